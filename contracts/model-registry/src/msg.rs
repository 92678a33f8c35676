pub use openledger_types::model::*;

#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}
