use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg, Expiration, Logo, MinterResponse};

pub use cw20_base::msg::{InstantiateMarketingInfo, MigrateMsg};

#[cw_serde]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    /// Genesis CW20 balances. The instantiation must carry exactly their sum of `native_denom`
    /// and no other coins (no funds at all when the sum is zero): it becomes the native backing,
    /// so every initial balance can be withdrawn.
    pub initial_balances: Vec<Cw20Coin>,
    /// Governance (the DAO timelock) as minter; `cap` bounds the total supply, for `Mint` and
    /// `Deposit` alike. cw20-base keeps the cap with the minter: `UpdateMinter { new_minter: null }`
    /// removes both.
    pub mint: Option<MinterResponse>,
    pub marketing: Option<InstantiateMarketingInfo>,
    /// Native gas denom wrapped 1:1 (`uopen`).
    pub native_denom: String,
}

/// The CW20 interface plus `Deposit` / `Withdraw`. Every CW20 OPEN is backed by a native coin
/// locked in the contract, so every holder can always withdraw its whole balance. Only `Deposit`
/// and `Mint` accept funds.
#[cw_serde]
pub enum ExecuteMsg {
    /// Wraps the `native_denom` coins sent with the message (that denom only): mints the same
    /// amount to the sender. Fails when the total supply would exceed the mint cap.
    Deposit {},
    /// Unwraps: burns `amount` from the sender and sends back as many native coins.
    Withdraw {
        amount: Uint128,
    },
    Transfer {
        recipient: String,
        amount: Uint128,
    },
    /// Burns `amount` from the sender without releasing native coins: they stay locked in the
    /// contract, which is then backed by more than its supply (`Withdraw` is the burn that pays
    /// them out).
    Burn {
        amount: Uint128,
    },
    Send {
        contract: String,
        amount: Uint128,
        msg: Binary,
    },
    IncreaseAllowance {
        spender: String,
        amount: Uint128,
        expires: Option<Expiration>,
    },
    DecreaseAllowance {
        spender: String,
        amount: Uint128,
        expires: Option<Expiration>,
    },
    TransferFrom {
        owner: String,
        recipient: String,
        amount: Uint128,
    },
    SendFrom {
        owner: String,
        contract: String,
        amount: Uint128,
        msg: Binary,
    },
    /// Burns from `owner` through an allowance; like `Burn`, the native coins stay locked.
    BurnFrom {
        owner: String,
        amount: Uint128,
    },
    /// Minter only. Must carry exactly `amount` of the native denom and no other coins (none when
    /// `amount` is 0): the coins are locked as backing, like a `Deposit` paid by the minter and
    /// credited to `recipient`. Fails when the total supply would exceed the cap.
    Mint {
        recipient: String,
        amount: Uint128,
    },
    UpdateMinter {
        new_minter: Option<String>,
    },
    UpdateMarketing {
        project: Option<String>,
        description: Option<String>,
        marketing: Option<String>,
    },
    UploadLogo(Logo),
}

impl ExecuteMsg {
    /// The cw20-base message for every variant the wrapper passes through unchanged; `None` for
    /// `Deposit`, `Withdraw` and `Mint` (a cw20-base mint would not be backed).
    pub fn into_cw20(self) -> Option<Cw20ExecuteMsg> {
        use Cw20ExecuteMsg as C;
        Some(match self {
            ExecuteMsg::Deposit {} | ExecuteMsg::Withdraw { .. } | ExecuteMsg::Mint { .. } => {
                return None
            }
            ExecuteMsg::Transfer { recipient, amount } => C::Transfer { recipient, amount },
            ExecuteMsg::Burn { amount } => C::Burn { amount },
            ExecuteMsg::Send {
                contract,
                amount,
                msg,
            } => C::Send {
                contract,
                amount,
                msg,
            },
            ExecuteMsg::IncreaseAllowance {
                spender,
                amount,
                expires,
            } => C::IncreaseAllowance {
                spender,
                amount,
                expires,
            },
            ExecuteMsg::DecreaseAllowance {
                spender,
                amount,
                expires,
            } => C::DecreaseAllowance {
                spender,
                amount,
                expires,
            },
            ExecuteMsg::TransferFrom {
                owner,
                recipient,
                amount,
            } => C::TransferFrom {
                owner,
                recipient,
                amount,
            },
            ExecuteMsg::SendFrom {
                owner,
                contract,
                amount,
                msg,
            } => C::SendFrom {
                owner,
                contract,
                amount,
                msg,
            },
            ExecuteMsg::BurnFrom { owner, amount } => C::BurnFrom { owner, amount },
            ExecuteMsg::UpdateMinter { new_minter } => C::UpdateMinter { new_minter },
            ExecuteMsg::UpdateMarketing {
                project,
                description,
                marketing,
            } => C::UpdateMarketing {
                project,
                description,
                marketing,
            },
            ExecuteMsg::UploadLogo(logo) => C::UploadLogo(logo),
        })
    }
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Native denom and the amount of it locked as backing (at least the CW20 total supply).
    #[returns(WrapInfoResponse)]
    WrapInfo {},
    #[returns(cw20::BalanceResponse)]
    Balance { address: String },
    #[returns(cw20::TokenInfoResponse)]
    TokenInfo {},
    #[returns(cw20::MinterResponse)]
    Minter {},
    #[returns(cw20::AllowanceResponse)]
    Allowance { owner: String, spender: String },
    #[returns(cw20::AllAllowancesResponse)]
    AllAllowances {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw20::AllSpenderAllowancesResponse)]
    AllSpenderAllowances {
        spender: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw20::AllAccountsResponse)]
    AllAccounts {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw20::MarketingInfoResponse)]
    MarketingInfo {},
    #[returns(cw20::DownloadLogoResponse)]
    DownloadLogo {},
}

impl QueryMsg {
    pub fn into_cw20(self) -> Option<cw20_base::msg::QueryMsg> {
        use cw20_base::msg::QueryMsg as Q;
        Some(match self {
            QueryMsg::WrapInfo {} => return None,
            QueryMsg::Balance { address } => Q::Balance { address },
            QueryMsg::TokenInfo {} => Q::TokenInfo {},
            QueryMsg::Minter {} => Q::Minter {},
            QueryMsg::Allowance { owner, spender } => Q::Allowance { owner, spender },
            QueryMsg::AllAllowances {
                owner,
                start_after,
                limit,
            } => Q::AllAllowances {
                owner,
                start_after,
                limit,
            },
            QueryMsg::AllSpenderAllowances {
                spender,
                start_after,
                limit,
            } => Q::AllSpenderAllowances {
                spender,
                start_after,
                limit,
            },
            QueryMsg::AllAccounts { start_after, limit } => Q::AllAccounts { start_after, limit },
            QueryMsg::MarketingInfo {} => Q::MarketingInfo {},
            QueryMsg::DownloadLogo {} => Q::DownloadLogo {},
        })
    }
}

#[cw_serde]
pub struct WrapInfoResponse {
    pub native_denom: String,
    pub wrapped: Uint128,
}
