#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    coins, to_json_binary, Addr, BankMsg, Binary, Deps, DepsMut, Env, MessageInfo, Response,
    StdError, StdResult, Uint128,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw20_base::contract as base;
use cw20_base::state::{ALLOWANCES, ALLOWANCES_SPENDER, BALANCES, TOKEN_INFO};

use crate::error::ContractError;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, WrapInfoResponse};
use crate::state::{WrapState, WRAP};

pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    if msg.native_denom.len() < 2 || msg.native_denom.len() > 128 {
        return Err(ContractError::InvalidDenom {});
    }
    // Every initial balance is backed: their sum comes with the instantiation, in the native denom.
    let required = msg
        .initial_balances
        .iter()
        .try_fold(Uint128::zero(), |sum, c| sum.checked_add(c.amount))
        .map_err(StdError::from)?;
    if !carries_exactly(&info, &msg.native_denom, required)? {
        return Err(ContractError::UnbackedInitialBalances {
            denom: msg.native_denom,
            required,
            sent: info.funds,
        });
    }
    let base_msg = cw20_base::msg::InstantiateMsg {
        name: msg.name,
        symbol: msg.symbol,
        decimals: msg.decimals,
        initial_balances: msg.initial_balances,
        mint: msg.mint,
        marketing: msg.marketing,
    };
    base::instantiate(deps.branch(), env, info, base_msg)?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    WRAP.save(
        deps.storage,
        &WrapState {
            native_denom: msg.native_denom.clone(),
            wrapped: required,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("native_denom", msg.native_denom))
}

/// `true` when `info` carries exactly `required` of `denom` and no other coins. With `required`
/// zero the message is nonpayable: any funds are a `PaymentError::NonPayable`.
fn carries_exactly(
    info: &MessageInfo,
    denom: &str,
    required: Uint128,
) -> Result<bool, ContractError> {
    if required.is_zero() {
        cw_utils::nonpayable(info)?;
        return Ok(true);
    }
    Ok(matches!(info.funds.as_slice(), [c] if c.denom == denom && c.amount == required))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Deposit {} => execute_deposit(deps, info),
        ExecuteMsg::Withdraw { amount } => execute_withdraw(deps, env, info, amount),
        ExecuteMsg::Mint { recipient, amount } => execute_mint(deps, env, info, recipient, amount),
        other => {
            // only Deposit and Mint take native coins; anything else sent here would be locked
            cw_utils::nonpayable(&info)?;
            if let ExecuteMsg::IncreaseAllowance {
                spender, amount, ..
            } = &other
            {
                ensure_allowance_fits(deps.as_ref(), &info.sender, spender, *amount)?;
            }
            let cw20_msg = other.into_cw20().expect("wrapper variants handled above");
            Ok(base::execute(deps, env, info, cw20_msg)?)
        }
    }
}

/// cw20-base 2.0 adds an allowance increase with a panicking `+=`, so an increase past
/// `Uint128::MAX` aborted the transaction without a reason (found by the message fuzzer):
/// refuse it with the overflow error first. Invalid spenders are left to cw20-base.
fn ensure_allowance_fits(
    deps: Deps,
    owner: &Addr,
    spender: &str,
    amount: Uint128,
) -> Result<(), ContractError> {
    let Ok(spender) = deps.api.addr_validate(spender) else {
        return Ok(());
    };
    let current = [
        ALLOWANCES.may_load(deps.storage, (owner, &spender))?,
        ALLOWANCES_SPENDER.may_load(deps.storage, (&spender, owner))?,
    ];
    for a in current.into_iter().flatten() {
        a.allowance.checked_add(amount).map_err(StdError::from)?;
    }
    Ok(())
}

pub fn execute_deposit(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let mut wrap = WRAP.load(deps.storage)?;
    let amount = cw_utils::must_pay(&info, &wrap.native_denom)?;
    let mut token = TOKEN_INFO.load(deps.storage)?;
    token.total_supply = token
        .total_supply
        .checked_add(amount)
        .map_err(StdError::from)?;
    // the mint cap bounds the whole supply, deposits included
    if let Some(cap) = token.get_cap() {
        if token.total_supply > cap {
            return Err(cw20_base::ContractError::CannotExceedCap {}.into());
        }
    }
    TOKEN_INFO.save(deps.storage, &token)?;
    BALANCES.update(deps.storage, &info.sender, |b| -> StdResult<_> {
        Ok(b.unwrap_or_default().checked_add(amount)?)
    })?;
    wrap.wrapped = wrap.wrapped.checked_add(amount).map_err(StdError::from)?;
    WRAP.save(deps.storage, &wrap)?;
    Ok(Response::new()
        .add_attribute("action", "deposit")
        .add_attribute("to", info.sender)
        .add_attribute("amount", amount))
}

/// cw20-base `Mint` (minter only, cap) that must carry exactly `amount` native coins: they are
/// locked as backing, so a mint is a deposit paid by the minter and credited to `recipient`.
pub fn execute_mint(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    recipient: String,
    amount: Uint128,
) -> Result<Response, ContractError> {
    // minter first: anyone else gets Unauthorized whatever it sent
    let token = TOKEN_INFO.load(deps.storage)?;
    if token.mint.as_ref().map(|m| &m.minter) != Some(&info.sender) {
        return Err(cw20_base::ContractError::Unauthorized {}.into());
    }
    let mut wrap = WRAP.load(deps.storage)?;
    if !carries_exactly(&info, &wrap.native_denom, amount)? {
        return Err(ContractError::UnbackedMint {
            denom: wrap.native_denom,
            required: amount,
            sent: info.funds,
        });
    }
    // cw20-base checks the minter again and the cap before it writes anything
    let res = base::execute_mint(deps.branch(), env, info, recipient, amount)?;
    wrap.wrapped = wrap.wrapped.checked_add(amount).map_err(StdError::from)?;
    WRAP.save(deps.storage, &wrap)?;
    Ok(res)
}

pub fn execute_withdraw(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    cw_utils::nonpayable(&info)?;
    let mut wrap = WRAP.load(deps.storage)?;
    // Every CW20 is backed (instantiate and Mint are paid, Deposit locks what it mints), so this
    // only fires on state from before that rule; kept as a defence.
    if wrap.wrapped < amount {
        return Err(ContractError::InsufficientBacking {
            backing: wrap.wrapped,
            requested: amount,
        });
    }
    // Burn through cw20-base (checks the balance, lowers the supply).
    let sender = info.sender.clone();
    base::execute_burn(deps.branch(), env, info, amount)?;
    wrap.wrapped -= amount;
    WRAP.save(deps.storage, &wrap)?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: sender.to_string(),
            amount: coins(amount.u128(), wrap.native_denom),
        })
        .add_attribute("action", "withdraw")
        .add_attribute("from", sender)
        .add_attribute("amount", amount))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::WrapInfo {} => to_json_binary(&query_wrap_info(deps)?),
        other => base::query(
            deps,
            env,
            other.into_cw20().expect("wrapper variants handled above"),
        ),
    }
}

pub fn query_wrap_info(deps: Deps) -> StdResult<WrapInfoResponse> {
    let w = WRAP.load(deps.storage)?;
    Ok(WrapInfoResponse {
        native_denom: w.native_denom,
        wrapped: w.wrapped,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "migrate"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::cw20::{BalanceResponse, Cw20Coin, MinterResponse, TokenInfoResponse};
    use cosmwasm_std::testing::{
        message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
    };
    use cosmwasm_std::{coin, from_json, CosmosMsg, OwnedDeps};

    const DENOM: &str = "uopen";

    fn setup() -> (
        OwnedDeps<MockStorage, MockApi, MockQuerier>,
        cosmwasm_std::Addr,
        cosmwasm_std::Addr,
    ) {
        setup_with_cap(None)
    }

    /// alice holds 1_000 OPEN from genesis, paid by `gov` (the minter) with the instantiation.
    fn setup_with_cap(
        cap: Option<Uint128>,
    ) -> (
        OwnedDeps<MockStorage, MockApi, MockQuerier>,
        cosmwasm_std::Addr,
        cosmwasm_std::Addr,
    ) {
        let mut deps = mock_dependencies();
        let gov = deps.api.addr_make("gov");
        let alice = deps.api.addr_make("alice");
        let msg = InstantiateMsg {
            name: "OpenLedger".into(),
            symbol: "OPEN".into(),
            decimals: 6,
            initial_balances: vec![Cw20Coin {
                address: alice.to_string(),
                amount: Uint128::new(1_000),
            }],
            mint: Some(MinterResponse {
                minter: gov.to_string(),
                cap,
            }),
            marketing: None,
            native_denom: DENOM.into(),
        };
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&gov, &coins(1_000, DENOM)),
            msg,
        )
        .unwrap();
        (deps, gov, alice)
    }

    fn wrapped(deps: Deps) -> Uint128 {
        query_wrap_info(deps).unwrap().wrapped
    }

    fn token_msg(initial_balances: Vec<Cw20Coin>) -> InstantiateMsg {
        InstantiateMsg {
            name: "OpenLedger".into(),
            symbol: "OPEN".into(),
            decimals: 6,
            initial_balances,
            mint: None,
            marketing: None,
            native_denom: DENOM.into(),
        }
    }

    fn balance(deps: Deps, a: &cosmwasm_std::Addr) -> Uint128 {
        let r: BalanceResponse = from_json(
            query(
                deps,
                mock_env(),
                QueryMsg::Balance {
                    address: a.to_string(),
                },
            )
            .unwrap(),
        )
        .unwrap();
        r.balance
    }

    fn supply(deps: Deps) -> Uint128 {
        let r: TokenInfoResponse =
            from_json(query(deps, mock_env(), QueryMsg::TokenInfo {}).unwrap()).unwrap();
        r.total_supply
    }

    mod instantiate {
        use super::*;

        #[test]
        fn basic() {
            let (deps, _, alice) = setup();
            assert_eq!(balance(deps.as_ref(), &alice), Uint128::new(1_000));
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_000));
            assert_eq!(
                query_wrap_info(deps.as_ref()).unwrap(),
                WrapInfoResponse {
                    native_denom: DENOM.into(),
                    wrapped: Uint128::new(1_000)
                }
            );
        }

        #[test]
        fn unbacked_initial_balances_refused() {
            let mut deps = mock_dependencies();
            let gov = deps.api.addr_make("gov");
            let balances = vec![
                Cw20Coin {
                    address: deps.api.addr_make("alice").to_string(),
                    amount: Uint128::new(600),
                },
                Cw20Coin {
                    address: deps.api.addr_make("bob").to_string(),
                    amount: Uint128::new(400),
                },
            ];
            let unbacked = |sent: Vec<cosmwasm_std::Coin>| ContractError::UnbackedInitialBalances {
                denom: DENOM.into(),
                required: Uint128::new(1_000),
                sent,
            };
            for funds in [
                vec![],
                coins(999, DENOM),
                coins(1_001, DENOM),
                coins(1_000, "uatom"),
                vec![coin(1_000, "uatom"), coin(1_000, DENOM)],
            ] {
                let err = instantiate(
                    deps.as_mut(),
                    mock_env(),
                    message_info(&gov, &funds),
                    token_msg(balances.clone()),
                )
                .unwrap_err();
                assert_eq!(err, unbacked(funds));
            }
            assert_eq!(
                unbacked(vec![]).to_string(),
                "Initial balances total 1000uopen: instantiate must carry exactly that and no other coins, sent []"
            );
            // exactly the sum: backed from the start
            instantiate(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &coins(1_000, DENOM)),
                token_msg(balances),
            )
            .unwrap();
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_000));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_000));
        }

        #[test]
        fn no_initial_balances_is_nonpayable() {
            let mut deps = mock_dependencies();
            let gov = deps.api.addr_make("gov");
            let err = instantiate(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &coins(5, DENOM)),
                token_msg(vec![]),
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Payment(cw_utils::PaymentError::NonPayable {})
            );
            instantiate(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &[]),
                token_msg(vec![]),
            )
            .unwrap();
            assert_eq!(supply(deps.as_ref()), Uint128::zero());
            assert_eq!(wrapped(deps.as_ref()), Uint128::zero());
        }

        #[test]
        fn bad_denom() {
            let mut deps = mock_dependencies();
            let gov = deps.api.addr_make("gov");
            let msg = InstantiateMsg {
                name: "OpenLedger".into(),
                symbol: "OPEN".into(),
                decimals: 6,
                initial_balances: vec![],
                mint: None,
                marketing: None,
                native_denom: "".into(),
            };
            let err =
                instantiate(deps.as_mut(), mock_env(), message_info(&gov, &[]), msg).unwrap_err();
            assert_eq!(err, ContractError::InvalidDenom {});
        }
    }

    mod wrap {
        use super::*;

        #[test]
        fn deposit_then_withdraw() {
            let (mut deps, _, alice) = setup();
            let bob = deps.api.addr_make("bob");
            let res = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(500, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap();
            assert_eq!(res.attributes[0].value, "deposit");
            assert_eq!(balance(deps.as_ref(), &bob), Uint128::new(500));
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_500));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_500));

            let res = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(200),
                },
            )
            .unwrap();
            assert_eq!(
                res.messages[0].msg,
                CosmosMsg::Bank(BankMsg::Send {
                    to_address: bob.to_string(),
                    amount: coins(200, DENOM)
                })
            );
            assert_eq!(balance(deps.as_ref(), &bob), Uint128::new(300));
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_300));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_300));
            // alice's genesis balance was paid at instantiation: all of it comes out
            let res = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(1_000),
                },
            )
            .unwrap();
            assert_eq!(
                res.messages[0].msg,
                CosmosMsg::Bank(BankMsg::Send {
                    to_address: alice.to_string(),
                    amount: coins(1_000, DENOM)
                })
            );
            assert_eq!(supply(deps.as_ref()), Uint128::new(300));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(300));
        }

        #[test]
        fn unbacked_legacy_supply_cannot_drain_the_backing() {
            // state a token instantiated before initial balances had to be paid can be in:
            // alice's 1_000 genesis OPEN backed by nothing, bob's deposit of 300
            let (mut deps, _, alice) = setup();
            let bob = deps.api.addr_make("bob");
            WRAP.update(deps.as_mut().storage, |mut w| -> StdResult<_> {
                w.wrapped = Uint128::zero();
                Ok(w)
            })
            .unwrap();
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(300, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap();
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(301),
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::InsufficientBacking {
                    backing: Uint128::new(300),
                    requested: Uint128::new(301)
                }
            );
            assert_eq!(balance(deps.as_ref(), &alice), Uint128::new(1_000));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(300));
        }

        #[test]
        fn deposit_past_cap_refused() {
            let (mut deps, _, _) = setup_with_cap(Some(Uint128::new(1_500)));
            let bob = deps.api.addr_make("bob");
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(500, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap();
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_500));
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(1, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::CannotExceedCap {})
            );
            assert_eq!(balance(deps.as_ref(), &bob), Uint128::new(500));
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_500));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_500));
            // room again once some is withdrawn
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(100),
                },
            )
            .unwrap();
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(100, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap();
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_500));
        }

        #[test]
        fn deposit_bad_funds() {
            let (mut deps, _, alice) = setup();
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[]),
                ExecuteMsg::Deposit {},
            )
            .unwrap_err();
            assert!(matches!(err, ContractError::Payment(_)));
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[coin(5, "uatom")]),
                ExecuteMsg::Deposit {},
            )
            .unwrap_err();
            assert!(matches!(err, ContractError::Payment(_)));
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[coin(5, DENOM), coin(5, "uatom")]),
                ExecuteMsg::Deposit {},
            )
            .unwrap_err();
            assert!(matches!(err, ContractError::Payment(_)));
        }

        #[test]
        fn cw20_messages_refuse_native_funds() {
            let (mut deps, _, alice) = setup();
            let bob = deps.api.addr_make("bob");
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[coin(1, DENOM)]),
                ExecuteMsg::Transfer {
                    recipient: bob.to_string(),
                    amount: Uint128::new(1),
                },
            )
            .unwrap_err();
            assert!(matches!(err, ContractError::Payment(_)));
        }

        #[test]
        fn withdraw_errors() {
            let (mut deps, _, alice) = setup();
            let bob = deps.api.addr_make("bob");
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(100, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap();
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::zero(),
                },
            )
            .unwrap_err();
            assert_eq!(err, ContractError::ZeroAmount {});
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[coin(1, DENOM)]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(1),
                },
            )
            .unwrap_err();
            assert!(matches!(err, ContractError::Payment(_)));
            // more than own balance (backing is there, but the CW20 balance is not)
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[coin(100, DENOM)]),
                ExecuteMsg::Deposit {},
            )
            .unwrap();
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(150),
                },
            )
            .unwrap_err();
            assert!(matches!(err, ContractError::Base(_)), "{err:?}");
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_200));
        }
    }

    mod cw20_interface {
        use super::*;

        #[test]
        fn only_governance_mints() {
            let (mut deps, gov, alice) = setup();
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[]),
                ExecuteMsg::Mint {
                    recipient: alice.to_string(),
                    amount: Uint128::new(1),
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::Unauthorized {})
            );
            // funds do not make a stranger the minter
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &coins(1, DENOM)),
                ExecuteMsg::Mint {
                    recipient: alice.to_string(),
                    amount: Uint128::new(1),
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::Unauthorized {})
            );
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &coins(5, DENOM)),
                ExecuteMsg::Mint {
                    recipient: alice.to_string(),
                    amount: Uint128::new(5),
                },
            )
            .unwrap();
            assert_eq!(balance(deps.as_ref(), &alice), Uint128::new(1_005));
            // the minter's coins back the mint
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_005));
        }

        #[test]
        fn mint_without_exact_funds_refused() {
            let (mut deps, gov, alice) = setup();
            for funds in [
                vec![],
                coins(4, DENOM),
                coins(6, DENOM),
                coins(5, "uatom"),
                vec![coin(5, "uatom"), coin(5, DENOM)],
            ] {
                let err = execute(
                    deps.as_mut(),
                    mock_env(),
                    message_info(&gov, &funds),
                    ExecuteMsg::Mint {
                        recipient: alice.to_string(),
                        amount: Uint128::new(5),
                    },
                )
                .unwrap_err();
                assert_eq!(
                    err,
                    ContractError::UnbackedMint {
                        denom: DENOM.into(),
                        required: Uint128::new(5),
                        sent: funds,
                    }
                );
            }
            assert_eq!(
                ContractError::UnbackedMint {
                    denom: DENOM.into(),
                    required: Uint128::new(5),
                    sent: vec![coin(5, "uatom"), coin(5, DENOM)],
                }
                .to_string(),
                "Mint of 5uopen must carry exactly that and no other coins, sent [5uatom, 5uopen]"
            );
            // a zero mint (allowed by cw20-base) takes no funds
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &coins(1, DENOM)),
                ExecuteMsg::Mint {
                    recipient: alice.to_string(),
                    amount: Uint128::zero(),
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Payment(cw_utils::PaymentError::NonPayable {})
            );
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &[]),
                ExecuteMsg::Mint {
                    recipient: alice.to_string(),
                    amount: Uint128::zero(),
                },
            )
            .unwrap();
            // nothing changed
            assert_eq!(balance(deps.as_ref(), &alice), Uint128::new(1_000));
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_000));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_000));
        }

        #[test]
        fn funded_mint_then_withdraw() {
            let (mut deps, gov, _) = setup();
            let bob = deps.api.addr_make("bob");
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &coins(300, DENOM)),
                ExecuteMsg::Mint {
                    recipient: bob.to_string(),
                    amount: Uint128::new(300),
                },
            )
            .unwrap();
            assert_eq!(balance(deps.as_ref(), &bob), Uint128::new(300));
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_300));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_300));
            let res = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Withdraw {
                    amount: Uint128::new(300),
                },
            )
            .unwrap();
            assert_eq!(
                res.messages[0].msg,
                CosmosMsg::Bank(BankMsg::Send {
                    to_address: bob.to_string(),
                    amount: coins(300, DENOM)
                })
            );
            assert_eq!(balance(deps.as_ref(), &bob), Uint128::zero());
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_000));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_000));
        }

        #[test]
        fn mint_past_cap_refused() {
            let (mut deps, gov, alice) = setup_with_cap(Some(Uint128::new(1_010)));
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &coins(11, DENOM)),
                ExecuteMsg::Mint {
                    recipient: alice.to_string(),
                    amount: Uint128::new(11),
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::CannotExceedCap {})
            );
            assert_eq!(supply(deps.as_ref()), Uint128::new(1_000));
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_000));
        }

        #[test]
        fn transfer_and_burn_delegate() {
            let (mut deps, _, alice) = setup();
            let bob = deps.api.addr_make("bob");
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[]),
                ExecuteMsg::Transfer {
                    recipient: bob.to_string(),
                    amount: Uint128::new(10),
                },
            )
            .unwrap();
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Burn {
                    amount: Uint128::new(4),
                },
            )
            .unwrap();
            assert_eq!(balance(deps.as_ref(), &bob), Uint128::new(6));
            assert_eq!(supply(deps.as_ref()), Uint128::new(996));
            // a plain burn leaves its native coins locked: over-backed, never under
            assert_eq!(wrapped(deps.as_ref()), Uint128::new(1_000));
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&bob, &[]),
                ExecuteMsg::Transfer {
                    recipient: alice.to_string(),
                    amount: Uint128::new(7),
                },
            )
            .unwrap_err();
            assert!(matches!(
                err,
                ContractError::Std(_) | ContractError::Base(_)
            ));
        }

        #[test]
        fn allowances_marketing_and_queries() {
            let (mut deps, _, alice) = setup();
            let bob = deps.api.addr_make("bob");
            let carol = deps.api.addr_make("carol");
            let run = |deps: &mut OwnedDeps<MockStorage, MockApi, MockQuerier>,
                       who: &cosmwasm_std::Addr,
                       msg: ExecuteMsg| {
                execute(deps.as_mut(), mock_env(), message_info(who, &[]), msg)
            };
            run(
                &mut deps,
                &alice,
                ExecuteMsg::IncreaseAllowance {
                    spender: bob.to_string(),
                    amount: Uint128::new(50),
                    expires: None,
                },
            )
            .unwrap();
            run(
                &mut deps,
                &alice,
                ExecuteMsg::DecreaseAllowance {
                    spender: bob.to_string(),
                    amount: Uint128::new(10),
                    expires: None,
                },
            )
            .unwrap();
            run(
                &mut deps,
                &bob,
                ExecuteMsg::TransferFrom {
                    owner: alice.to_string(),
                    recipient: carol.to_string(),
                    amount: Uint128::new(30),
                },
            )
            .unwrap();
            run(
                &mut deps,
                &bob,
                ExecuteMsg::BurnFrom {
                    owner: alice.to_string(),
                    amount: Uint128::new(10),
                },
            )
            .unwrap();
            let err = run(
                &mut deps,
                &bob,
                ExecuteMsg::TransferFrom {
                    owner: alice.to_string(),
                    recipient: carol.to_string(),
                    amount: Uint128::new(1),
                },
            )
            .unwrap_err();
            assert!(
                matches!(err, ContractError::Std(_) | ContractError::Base(_)),
                "{err:?}"
            );
            let err = run(
                &mut deps,
                &carol,
                ExecuteMsg::SendFrom {
                    owner: alice.to_string(),
                    contract: bob.to_string(),
                    amount: Uint128::new(1),
                    msg: Binary::default(),
                },
            )
            .unwrap_err();
            assert!(
                matches!(
                    err,
                    ContractError::Base(cw20_base::ContractError::NoAllowance {})
                ),
                "{err:?}"
            );
            assert_eq!(balance(deps.as_ref(), &carol), Uint128::new(30));
            assert_eq!(balance(deps.as_ref(), &alice), Uint128::new(960));
            let a: ::cw20::AllowanceResponse = from_json(
                query(
                    deps.as_ref(),
                    mock_env(),
                    QueryMsg::Allowance {
                        owner: alice.to_string(),
                        spender: bob.to_string(),
                    },
                )
                .unwrap(),
            )
            .unwrap();
            assert_eq!(a.allowance, Uint128::zero());
            let accts: ::cw20::AllAccountsResponse = from_json(
                query(
                    deps.as_ref(),
                    mock_env(),
                    QueryMsg::AllAccounts {
                        start_after: None,
                        limit: None,
                    },
                )
                .unwrap(),
            )
            .unwrap();
            assert_eq!(accts.accounts.len(), 2);
            let _: ::cw20::AllAllowancesResponse = from_json(
                query(
                    deps.as_ref(),
                    mock_env(),
                    QueryMsg::AllAllowances {
                        owner: alice.to_string(),
                        start_after: None,
                        limit: None,
                    },
                )
                .unwrap(),
            )
            .unwrap();
            let _: ::cw20::AllSpenderAllowancesResponse = from_json(
                query(
                    deps.as_ref(),
                    mock_env(),
                    QueryMsg::AllSpenderAllowances {
                        spender: bob.to_string(),
                        start_after: None,
                        limit: None,
                    },
                )
                .unwrap(),
            )
            .unwrap();
            // no marketing account was set, so nobody may update marketing
            let err = run(
                &mut deps,
                &alice,
                ExecuteMsg::UpdateMarketing {
                    project: Some("x".into()),
                    description: None,
                    marketing: None,
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::Unauthorized {})
            );
            let err = run(
                &mut deps,
                &alice,
                ExecuteMsg::UploadLogo(::cw20::Logo::Url("https://openledger.xyz/logo.png".into())),
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::Unauthorized {})
            );
            let m: ::cw20::MarketingInfoResponse =
                from_json(query(deps.as_ref(), mock_env(), QueryMsg::MarketingInfo {}).unwrap())
                    .unwrap();
            assert!(m.project.is_none());
            assert!(query(deps.as_ref(), mock_env(), QueryMsg::DownloadLogo {}).is_err());
            // Send to a contract builds the Receive hook
            let res = run(
                &mut deps,
                &alice,
                ExecuteMsg::Send {
                    contract: bob.to_string(),
                    amount: Uint128::new(5),
                    msg: Binary::from(b"{}".to_vec()),
                },
            )
            .unwrap();
            assert_eq!(res.messages.len(), 1);
        }

        #[test]
        fn migrate_checks_version() {
            let (mut deps, _, _) = setup();
            migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
            cw2::set_contract_version(deps.as_mut().storage, "other-contract", "9.9.9").unwrap();
            assert!(migrate(deps.as_mut(), mock_env(), MigrateMsg {}).is_err());
        }

        #[test]
        fn minter_handover() {
            let (mut deps, gov, alice) = setup();
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&alice, &[]),
                ExecuteMsg::UpdateMinter {
                    new_minter: Some(alice.to_string()),
                },
            )
            .unwrap_err();
            assert_eq!(
                err,
                ContractError::Base(cw20_base::ContractError::Unauthorized {})
            );
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&gov, &[]),
                ExecuteMsg::UpdateMinter { new_minter: None },
            )
            .unwrap();
            let m: Option<MinterResponse> =
                from_json(query(deps.as_ref(), mock_env(), QueryMsg::Minter {}).unwrap()).unwrap();
            assert!(m.is_none());
        }
    }
}
