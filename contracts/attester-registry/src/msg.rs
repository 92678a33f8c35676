pub use openledger_types::attester::*;

#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}
