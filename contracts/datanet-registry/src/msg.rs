pub use openledger_types::datanet::*;

#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}
