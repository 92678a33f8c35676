use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;
use cw_storage_plus::Item;

/// Native side of the wrapper. cw20-base keeps balances and supply in its own items.
#[cw_serde]
pub struct WrapState {
    pub native_denom: String,
    /// Native coins locked in the contract backing CW20 OPEN 1:1: at least the total supply
    /// (plain `Burn` lowers the supply and leaves the coins here).
    pub wrapped: Uint128,
}

pub const WRAP: Item<WrapState> = Item::new("wrap");
