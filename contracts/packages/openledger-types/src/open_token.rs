//! `open-token` as the other contracts use it: the native wrapper's `Deposit` / `Withdraw` and
//! its `WrapInfo` query (the CW20 messages are cw20's; the whole interface lives in the
//! `open-token` crate, which contracts do not depend on).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, QuerierWrapper, StdResult, Uint128, WasmMsg,
};

/// The wrapper variants of open-token's `ExecuteMsg`.
#[cw_serde]
pub enum ExecuteMsg {
    /// Wraps the native coins sent with it: mints as much CW20 OPEN to the sender.
    Deposit {},
    /// Burns `amount` CW20 OPEN from the sender and sends it as many native coins.
    Withdraw { amount: Uint128 },
}

/// The wrapper variant of open-token's `QueryMsg`.
#[cw_serde]
pub enum QueryMsg {
    WrapInfo {},
}

#[cw_serde]
pub struct WrapInfoResponse {
    /// The native gas denom wrapped 1:1 (`uopen`).
    pub native_denom: String,
    /// Native coins locked as backing.
    pub wrapped: Uint128,
}

/// Typed handle to the `open-token` contract.
#[cw_serde]
pub struct OpenToken(pub Addr);

impl OpenToken {
    /// The native denom the token wraps.
    pub fn native_denom(&self, q: &QuerierWrapper) -> StdResult<String> {
        let w: WrapInfoResponse = q.query_wasm_smart(&self.0, &QueryMsg::WrapInfo {})?;
        Ok(w.native_denom)
    }

    /// Wraps `coin` (of the native denom) into CW20 OPEN credited to the sender of the message.
    pub fn deposit_msg(&self, coin: Coin) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: self.0.to_string(),
            msg: to_json_binary(&ExecuteMsg::Deposit {})?,
            funds: vec![coin],
        }
        .into())
    }

    /// Unwraps `amount` of the sender's CW20 OPEN into native coins sent to the sender.
    pub fn withdraw_msg(&self, amount: Uint128) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: self.0.to_string(),
            msg: to_json_binary(&ExecuteMsg::Withdraw { amount })?,
            funds: vec![],
        }
        .into())
    }
}
