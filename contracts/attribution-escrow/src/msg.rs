pub use openledger_types::escrow::*;

#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}
