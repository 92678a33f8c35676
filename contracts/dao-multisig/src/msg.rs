pub use cw3_flex_multisig::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};

#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}
