pub use cw4_stake::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReceiveMsg, StakedResponse};

#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}
