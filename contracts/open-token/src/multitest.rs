//! Multi-test (real bank): CW20 OPEN stays fully backed through any sequence of deposits,
//! transfers, allowance transfers, funded and mis-funded mints, burns and withdrawals, and at the
//! end every holder withdraws its whole balance in native coins.

use std::collections::BTreeMap;

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{coin, coins, Addr, Coin, Empty, Uint128};
use cw20::{BalanceResponse, Cw20Coin, MinterResponse, TokenInfoResponse};
use cw_multi_test::{App, AppBuilder, Contract, ContractWrapper, Executor};
use proptest::prelude::*;

use crate::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, WrapInfoResponse};
use crate::ContractError;

const DENOM: &str = "uopen";
/// Native coins each user and the minter start with.
const USER_NATIVE: u128 = 1_000_000;
const GOV_NATIVE: u128 = 10_000_000;
const USERS: usize = 4;

fn c_token() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        crate::contract::execute,
        crate::contract::instantiate,
        crate::contract::query,
    ))
}

fn addr(s: &str) -> Addr {
    MockApi::default().addr_make(s)
}

fn users() -> Vec<Addr> {
    (0..USERS).map(|i| addr(&format!("user{i}"))).collect()
}

#[derive(Debug, Clone)]
enum Op {
    Deposit {
        who: usize,
        amount: u128,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: u128,
    },
    Approve {
        owner: usize,
        spender: usize,
        amount: u128,
    },
    TransferFrom {
        spender: usize,
        owner: usize,
        to: usize,
        amount: u128,
    },
    /// The minter mints to `to`, attaching exactly `amount`.
    Mint {
        to: usize,
        amount: u128,
    },
    /// The minter mints `amount` but attaches `amount + delta` (delta ≠ 0, so always refused).
    MisfundedMint {
        to: usize,
        amount: u128,
        delta: i64,
    },
    /// A user (not the minter) mints to itself with exact funds: refused.
    StrangerMint {
        who: usize,
        amount: u128,
    },
    Burn {
        who: usize,
        amount: u128,
    },
    Withdraw {
        who: usize,
        amount: u128,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..USERS;
    let amt = 0u128..5_000;
    prop_oneof![
        3 => (who.clone(), amt.clone()).prop_map(|(who, amount)| Op::Deposit { who, amount }),
        3 => (who.clone(), who.clone(), amt.clone())
            .prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        2 => (who.clone(), who.clone(), amt.clone())
            .prop_map(|(owner, spender, amount)| Op::Approve { owner, spender, amount }),
        2 => (who.clone(), who.clone(), who.clone(), amt.clone()).prop_map(
            |(spender, owner, to, amount)| Op::TransferFrom { spender, owner, to, amount }
        ),
        2 => (who.clone(), amt.clone()).prop_map(|(to, amount)| Op::Mint { to, amount }),
        1 => (who.clone(), amt.clone(), prop_oneof![-100i64..0, 1i64..100])
            .prop_map(|(to, amount, delta)| Op::MisfundedMint { to, amount, delta }),
        1 => (who.clone(), 1u128..5_000).prop_map(|(who, amount)| Op::StrangerMint { who, amount }),
        2 => (who.clone(), amt.clone()).prop_map(|(who, amount)| Op::Burn { who, amount }),
        3 => (who, amt).prop_map(|(who, amount)| Op::Withdraw { who, amount }),
    ]
}

/// What the chain should hold, predicted step by step.
#[derive(Debug, Default)]
struct Model {
    cw20: BTreeMap<Addr, u128>,
    native: BTreeMap<Addr, u128>,
    /// (owner, spender) → allowance; present once set (cw20-base keeps zero allowances).
    allowances: BTreeMap<(Addr, Addr), u128>,
    supply: u128,
    wrapped: u128,
    cap: Option<u128>,
}

impl Model {
    fn cw20(&self, a: &Addr) -> u128 {
        self.cw20.get(a).copied().unwrap_or_default()
    }
    fn native(&self, a: &Addr) -> u128 {
        self.native.get(a).copied().unwrap_or_default()
    }
    fn fits_cap(&self, amount: u128) -> bool {
        self.cap.is_none_or(|c| self.supply + amount <= c)
    }
    fn add_cw20(&mut self, a: &Addr, amount: u128) {
        *self.cw20.entry(a.clone()).or_default() += amount;
    }
    fn sub_cw20(&mut self, a: &Addr, amount: u128) {
        // A holder the model has never credited can still spend 0 (a zero burn succeeds).
        *self.cw20.entry(a.clone()).or_default() -= amount;
    }
    fn move_native(&mut self, from: &Addr, to: &Addr, amount: u128) {
        *self.native.get_mut(from).expect("has native") -= amount;
        *self.native.entry(to.clone()).or_default() += amount;
    }
}

struct World {
    app: App,
    token: Addr,
    gov: Addr,
    users: Vec<Addr>,
    model: Model,
}

impl World {
    fn new(initial: &[u128], cap_headroom: Option<u128>) -> World {
        let gov = addr("gov");
        let users = users();
        let mut app = AppBuilder::new().build(|router, _api, storage| {
            router
                .bank
                .init_balance(storage, &gov, coins(GOV_NATIVE, DENOM))
                .unwrap();
            for u in &users {
                router
                    .bank
                    .init_balance(storage, u, coins(USER_NATIVE, DENOM))
                    .unwrap();
            }
        });
        let mut model = Model::default();
        model.native.insert(gov.clone(), GOV_NATIVE);
        for u in &users {
            model.native.insert(u.clone(), USER_NATIVE);
        }
        let initial_balances: Vec<Cw20Coin> = users
            .iter()
            .zip(initial)
            .filter(|(_, &a)| a > 0)
            .map(|(u, &a)| Cw20Coin {
                address: u.to_string(),
                amount: Uint128::new(a),
            })
            .collect();
        let sum: u128 = initial_balances.iter().map(|c| c.amount.u128()).sum();
        let cap = cap_headroom.map(|h| sum + h);
        let id = app.store_code(c_token());
        let funds = if sum == 0 { vec![] } else { coins(sum, DENOM) };
        let token = app
            .instantiate_contract(
                id,
                gov.clone(),
                &InstantiateMsg {
                    name: "OpenLedger".into(),
                    symbol: "OPEN".into(),
                    decimals: 6,
                    initial_balances: initial_balances.clone(),
                    mint: Some(MinterResponse {
                        minter: gov.to_string(),
                        cap: cap.map(Uint128::new),
                    }),
                    marketing: None,
                    native_denom: DENOM.into(),
                },
                &funds,
                "open",
                None,
            )
            .unwrap();
        model.native.insert(token.clone(), 0);
        model.move_native(&gov, &token, sum);
        for c in &initial_balances {
            model.add_cw20(&Addr::unchecked(&c.address), c.amount.u128());
        }
        model.supply = sum;
        model.wrapped = sum;
        model.cap = cap;
        World {
            app,
            token,
            gov,
            users,
            model,
        }
    }

    fn exec(&mut self, who: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> Result<(), ContractError> {
        self.app
            .execute_contract(who.clone(), self.token.clone(), msg, funds)
            .map(|_| ())
            .map_err(|e| e.downcast().expect("a contract error"))
    }

    /// Runs `op`, checks that it succeeds exactly when the model says so, and updates the model.
    fn step(&mut self, op: &Op) {
        let u = self.users.clone();
        let gov = self.gov.clone();
        let token = self.token.clone();
        let amt = |a: u128| Uint128::new(a);
        let pay = |a: u128| if a == 0 { vec![] } else { coins(a, DENOM) };
        let (res, expect_ok) = match *op {
            Op::Deposit { who, amount } => {
                let ok = amount > 0
                    && self.model.native(&u[who]) >= amount
                    && self.model.fits_cap(amount);
                let res = self.exec(&u[who], &ExecuteMsg::Deposit {}, &pay(amount));
                if res.is_ok() {
                    self.model.move_native(&u[who], &token, amount);
                    self.model.add_cw20(&u[who], amount);
                    self.model.supply += amount;
                    self.model.wrapped += amount;
                }
                (res, ok)
            }
            Op::Transfer { from, to, amount } => {
                let ok = self.model.cw20(&u[from]) >= amount;
                let res = self.exec(
                    &u[from],
                    &ExecuteMsg::Transfer {
                        recipient: u[to].to_string(),
                        amount: amt(amount),
                    },
                    &[],
                );
                if res.is_ok() {
                    self.model.sub_cw20(&u[from], amount);
                    self.model.add_cw20(&u[to], amount);
                }
                (res, ok)
            }
            Op::Approve {
                owner,
                spender,
                amount,
            } => {
                let ok = owner != spender;
                let res = self.exec(
                    &u[owner],
                    &ExecuteMsg::IncreaseAllowance {
                        spender: u[spender].to_string(),
                        amount: amt(amount),
                        expires: None,
                    },
                    &[],
                );
                if res.is_ok() {
                    *self
                        .model
                        .allowances
                        .entry((u[owner].clone(), u[spender].clone()))
                        .or_default() += amount;
                }
                (res, ok)
            }
            Op::TransferFrom {
                spender,
                owner,
                to,
                amount,
            } => {
                let key = (u[owner].clone(), u[spender].clone());
                let ok = self
                    .model
                    .allowances
                    .get(&key)
                    .is_some_and(|&a| a >= amount)
                    && self.model.cw20(&u[owner]) >= amount;
                let res = self.exec(
                    &u[spender],
                    &ExecuteMsg::TransferFrom {
                        owner: u[owner].to_string(),
                        recipient: u[to].to_string(),
                        amount: amt(amount),
                    },
                    &[],
                );
                if res.is_ok() {
                    *self.model.allowances.get_mut(&key).expect("allowed") -= amount;
                    self.model.sub_cw20(&u[owner], amount);
                    self.model.add_cw20(&u[to], amount);
                }
                (res, ok)
            }
            Op::Mint { to, amount } => {
                let ok = self.model.native(&gov) >= amount && self.model.fits_cap(amount);
                let res = self.exec(
                    &gov,
                    &ExecuteMsg::Mint {
                        recipient: u[to].to_string(),
                        amount: amt(amount),
                    },
                    &pay(amount),
                );
                if res.is_ok() {
                    self.model.move_native(&gov, &token, amount);
                    self.model.add_cw20(&u[to], amount);
                    self.model.supply += amount;
                    self.model.wrapped += amount;
                }
                (res, ok)
            }
            Op::MisfundedMint { to, amount, delta } => {
                // never the exact amount (a zero mint with no funds would be valid)
                let sent = match amount.checked_add_signed(delta.into()) {
                    Some(s) if s != amount => s,
                    _ => amount + 1,
                };
                let res = self.exec(
                    &gov,
                    &ExecuteMsg::Mint {
                        recipient: u[to].to_string(),
                        amount: amt(amount),
                    },
                    &pay(sent),
                );
                if let Err(e) = &res {
                    assert!(
                        matches!(
                            e,
                            ContractError::UnbackedMint { .. } | ContractError::Payment(_)
                        ),
                        "{e:?}"
                    );
                }
                (res, false)
            }
            Op::StrangerMint { who, amount } => {
                let res = self.exec(
                    &u[who],
                    &ExecuteMsg::Mint {
                        recipient: u[who].to_string(),
                        amount: amt(amount),
                    },
                    &coins(amount, DENOM),
                );
                if let Err(e) = &res {
                    assert_eq!(
                        e,
                        &ContractError::Base(cw20_base::ContractError::Unauthorized {})
                    );
                }
                (res, false)
            }
            Op::Burn { who, amount } => {
                let ok = self.model.cw20(&u[who]) >= amount;
                let res = self.exec(
                    &u[who],
                    &ExecuteMsg::Burn {
                        amount: amt(amount),
                    },
                    &[],
                );
                if res.is_ok() {
                    // the native coins stay locked: wrapped is unchanged
                    self.model.sub_cw20(&u[who], amount);
                    self.model.supply -= amount;
                }
                (res, ok)
            }
            Op::Withdraw { who, amount } => {
                let ok = amount > 0 && self.model.cw20(&u[who]) >= amount;
                let res = self.exec(
                    &u[who],
                    &ExecuteMsg::Withdraw {
                        amount: amt(amount),
                    },
                    &[],
                );
                if res.is_ok() {
                    self.withdrawn(who, amount);
                }
                (res, ok)
            }
        };
        assert_eq!(res.is_ok(), expect_ok, "{op:?}: {res:?}");
        self.check();
    }

    fn withdrawn(&mut self, who: usize, amount: u128) {
        let (user, token) = (self.users[who].clone(), self.token.clone());
        self.model.sub_cw20(&user, amount);
        self.model.supply -= amount;
        self.model.wrapped -= amount;
        self.model.move_native(&token, &user, amount);
    }

    fn native(&self, a: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(a, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    fn cw20(&self, a: &Addr) -> u128 {
        let r: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.token,
                &QueryMsg::Balance {
                    address: a.to_string(),
                },
            )
            .unwrap();
        r.balance.u128()
    }

    /// total_supply ≤ wrapped == the native coins the token holds, and every balance matches.
    #[track_caller]
    fn check(&self) {
        let q = self.app.wrap();
        let info: TokenInfoResponse = q
            .query_wasm_smart(&self.token, &QueryMsg::TokenInfo {})
            .unwrap();
        let wrap: WrapInfoResponse = q
            .query_wasm_smart(&self.token, &QueryMsg::WrapInfo {})
            .unwrap();
        let held = self.native(&self.token);
        assert_eq!(info.total_supply.u128(), self.model.supply);
        assert_eq!(wrap.wrapped.u128(), self.model.wrapped);
        assert!(info.total_supply <= wrap.wrapped, "{info:?} {wrap:?}");
        assert_eq!(
            wrap.wrapped.u128(),
            held,
            "wrapped vs the token's bank balance"
        );
        if let Some(cap) = self.model.cap {
            assert!(self.model.supply <= cap);
        }
        for a in self.users.iter().chain([&self.gov]) {
            assert_eq!(self.cw20(a), self.model.cw20(a), "cw20 of {a}");
            assert_eq!(self.native(a), self.model.native(a), "native of {a}");
        }
        let sum: u128 = self.model.cw20.values().sum();
        assert_eq!(sum, self.model.supply);
    }

    /// Every holder withdraws its whole CW20 balance and receives as many native coins.
    fn withdraw_all(&mut self) {
        for who in 0..USERS {
            let user = self.users[who].clone();
            let bal = self.cw20(&user);
            if bal == 0 {
                continue;
            }
            let before = self.native(&user);
            self.exec(
                &user,
                &ExecuteMsg::Withdraw {
                    amount: Uint128::new(bal),
                },
                &[],
            )
            .unwrap_or_else(|e| panic!("user{who} cannot withdraw its {bal}: {e}"));
            self.withdrawn(who, bal);
            assert_eq!(self.native(&user), before + bal);
            assert_eq!(self.cw20(&user), 0);
            self.check();
        }
        assert_eq!(self.model.supply, 0);
    }
}

#[test]
fn funded_mint_and_genesis_balance_withdraw_through_the_bank() {
    let mut w = World::new(&[1_000, 0, 0, 0], None);
    let (gov, u0, u1) = (w.gov.clone(), w.users[0].clone(), w.users[1].clone());
    assert_eq!(w.native(&gov), GOV_NATIVE - 1_000);
    w.step(&Op::Mint { to: 1, amount: 300 });
    assert_eq!(w.native(&w.token.clone()), 1_300);
    w.step(&Op::Withdraw {
        who: 1,
        amount: 300,
    });
    assert_eq!(w.native(&u1), USER_NATIVE + 300);
    w.step(&Op::Withdraw {
        who: 0,
        amount: 1_000,
    });
    assert_eq!(w.native(&u0), USER_NATIVE + 1_000);
    assert_eq!(w.native(&w.token.clone()), 0);
    // an unfunded mint is refused and moves nothing
    let err = w
        .exec(
            &gov,
            &ExecuteMsg::Mint {
                recipient: u1.to_string(),
                amount: Uint128::new(5),
            },
            &[],
        )
        .unwrap_err();
    assert_eq!(
        err,
        ContractError::UnbackedMint {
            denom: DENOM.into(),
            required: Uint128::new(5),
            sent: vec![],
        }
    );
    w.check();
    // nor can a genesis balance be created without its coins
    let id = w.app.store_code(c_token());
    let err: ContractError = w
        .app
        .instantiate_contract(
            id,
            gov.clone(),
            &InstantiateMsg {
                name: "OpenLedger".into(),
                symbol: "OPEN".into(),
                decimals: 6,
                initial_balances: vec![Cw20Coin {
                    address: gov.to_string(),
                    amount: Uint128::new(10),
                }],
                mint: None,
                marketing: None,
                native_denom: DENOM.into(),
            },
            &[coin(9, DENOM)],
            "unbacked",
            None,
        )
        .unwrap_err()
        .downcast()
        .unwrap();
    assert_eq!(
        err,
        ContractError::UnbackedInitialBalances {
            denom: DENOM.into(),
            required: Uint128::new(10),
            sent: coins(9, DENOM),
        }
    );
}

/// Regression (message fuzzer): cw20-base adds allowance increases with a panicking `+=`; an
/// increase past `Uint128::MAX` is now an overflow error, and the allowance is unchanged.
#[test]
fn allowance_increase_past_max_is_an_error_not_a_panic() {
    let mut w = World::new(&[1_000, 0, 0, 0], None);
    let (u0, u1) = (w.users[0].clone(), w.users[1].clone());
    let inc = |amount: u128| ExecuteMsg::IncreaseAllowance {
        spender: u1.to_string(),
        amount: Uint128::new(amount),
        expires: None,
    };
    w.exec(&u0, &inc(u128::MAX - 1), &[]).unwrap();
    w.exec(&u0, &inc(1), &[]).unwrap();
    let err = w.exec(&u0, &inc(1), &[]).unwrap_err();
    assert!(
        matches!(
            err,
            ContractError::Std(cosmwasm_std::StdError::Overflow { .. })
        ),
        "{err:?}"
    );
    let a: cw20::AllowanceResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.token,
            &QueryMsg::Allowance {
                owner: u0.to_string(),
                spender: u1.to_string(),
            },
        )
        .unwrap();
    assert_eq!(a.allowance, Uint128::MAX);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn every_holder_can_always_withdraw(
        initial in proptest::collection::vec(prop_oneof![Just(0u128), 1u128..20_000], USERS),
        cap_headroom in proptest::option::of(0u128..20_000),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut w = World::new(&initial, cap_headroom);
        w.check();
        for op in &ops {
            w.step(op);
        }
        w.withdraw_all();
    }
}

/// Schema-driven message fuzzing (see `packages/fuzz-support`): random and mutated-template
/// executes and queries from the users, the minter and strangers, with random funds, against
/// the world above. No panic, no slow call, no state change by a failed execute, and the token
/// stays backed: total_supply ≤ wrapped ≤ the native coins it holds.
mod fuzz {
    use super::*;
    use cosmwasm_std::Binary;
    use cw20::Expiration;
    use fuzz_support::{FuzzWorld, Lane, Vocab};

    fn world(rng: &mut fuzz_support::Rng) -> FuzzWorld {
        let initial: Vec<u128> = (0..USERS)
            .map(|i| {
                if i == 0 || rng.chance(50) {
                    rng.range(1, 20_000) as u128
                } else {
                    0
                }
            })
            .collect();
        let cap = rng.chance(50).then(|| rng.below(20_000) as u128);
        let w = World::new(&initial, cap);
        let (gov, token, u) = (w.gov.clone(), w.token.clone(), w.users.clone());
        let mut vocab = Vocab::new();
        vocab.addresses = u
            .iter()
            .chain([&gov, &token])
            .map(Addr::to_string)
            .collect();
        vocab
            .numbers
            .extend([300, 5_000, 20_000, USER_NATIVE, GOV_NATIVE]);
        vocab.binaries = vec![
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec(),
            b"{}".to_vec(),
        ];
        let amt = Uint128::new;
        let exec = Lane::execute::<ExecuteMsg>("token", &token)
            .weight(20)
            .template_funded(&u[1], &ExecuteMsg::Deposit {}, &coins(500, DENOM))
            .template(&u[0], &ExecuteMsg::Withdraw { amount: amt(100) })
            .template(
                &u[0],
                &ExecuteMsg::Transfer {
                    recipient: u[1].to_string(),
                    amount: amt(10),
                },
            )
            .template(&u[0], &ExecuteMsg::Burn { amount: amt(5) })
            .template(
                &u[0],
                &ExecuteMsg::IncreaseAllowance {
                    spender: u[1].to_string(),
                    amount: amt(100),
                    expires: None,
                },
            )
            .template(
                &u[0],
                &ExecuteMsg::DecreaseAllowance {
                    spender: u[1].to_string(),
                    amount: amt(30),
                    expires: Some(Expiration::AtHeight(12_400)),
                },
            )
            .template(
                &u[1],
                &ExecuteMsg::TransferFrom {
                    owner: u[0].to_string(),
                    recipient: u[2].to_string(),
                    amount: amt(10),
                },
            )
            .template(
                &u[1],
                &ExecuteMsg::BurnFrom {
                    owner: u[0].to_string(),
                    amount: amt(5),
                },
            )
            .template(
                &u[0],
                &ExecuteMsg::Send {
                    contract: token.to_string(),
                    amount: amt(1),
                    msg: Binary::from(b"{}"),
                },
            )
            .template_funded(
                &gov,
                &ExecuteMsg::Mint {
                    recipient: u[1].to_string(),
                    amount: amt(300),
                },
                &coins(300, DENOM),
            )
            .template(
                &gov,
                &ExecuteMsg::UpdateMarketing {
                    project: Some("p".into()),
                    description: None,
                    marketing: Some(gov.to_string()),
                },
            );
        // one-way for the minter: rarely
        let minter = Lane::execute::<ExecuteMsg>("token minter", &token)
            .weight(1)
            .template(
                &gov,
                &ExecuteMsg::UpdateMinter {
                    new_minter: Some(u[3].to_string()),
                },
            );
        let query = Lane::query::<QueryMsg>("token", &token)
            .query_template(&QueryMsg::WrapInfo {})
            .query_template(&QueryMsg::TokenInfo {})
            .query_template(&QueryMsg::Balance {
                address: u[0].to_string(),
            })
            .query_template(&QueryMsg::Allowance {
                owner: u[0].to_string(),
                spender: u[1].to_string(),
            })
            .query_template(&QueryMsg::AllAllowances {
                owner: u[0].to_string(),
                start_after: None,
                limit: Some(10),
            })
            .query_template(&QueryMsg::AllAccounts {
                start_after: None,
                limit: None,
            });
        let inst = Lane::instantiate::<InstantiateMsg>("token", &token)
            .template_funded(
                &gov,
                &InstantiateMsg {
                    name: "OpenLedger".into(),
                    symbol: "OPEN".into(),
                    decimals: 6,
                    initial_balances: vec![Cw20Coin {
                        address: u[0].to_string(),
                        amount: amt(1_000),
                    }],
                    mint: Some(MinterResponse {
                        minter: gov.to_string(),
                        cap: Some(amt(5_000)),
                    }),
                    marketing: None,
                    native_denom: DENOM.into(),
                },
                &coins(1_000, DENOM),
            )
            .template(
                &u[1],
                &InstantiateMsg {
                    name: "Other".into(),
                    symbol: "OTH".into(),
                    decimals: 18,
                    initial_balances: vec![],
                    mint: None,
                    marketing: Some(cw20_base::msg::InstantiateMarketingInfo {
                        project: Some("p".into()),
                        description: Some("d".into()),
                        marketing: Some(u[1].to_string()),
                        logo: Some(cw20::Logo::Url("https://example.com/logo.png".into())),
                    }),
                    native_denom: "uatom".into(),
                },
            );
        let mut senders = u.clone();
        senders.push(gov);
        FuzzWorld::new(w.app, senders, vocab)
            .lane(exec)
            .lane(inst)
            .lane(minter)
            .lane(query)
            .invariant(move |app| {
                let q = app.wrap();
                let info: TokenInfoResponse = q
                    .query_wasm_smart(&token, &QueryMsg::TokenInfo {})
                    .map_err(|e| e.to_string())?;
                let wrap: WrapInfoResponse = q
                    .query_wasm_smart(&token, &QueryMsg::WrapInfo {})
                    .map_err(|e| e.to_string())?;
                let held = q.query_balance(&token, DENOM).map_err(|e| e.to_string())?;
                if info.total_supply > wrap.wrapped || wrap.wrapped > held.amount {
                    return Err(format!(
                        "unbacked: supply {} wrapped {} held {}",
                        info.total_supply, wrap.wrapped, held.amount
                    ));
                }
                Ok(())
            })
    }

    #[test]
    fn fuzz_messages() {
        let stats = fuzz_support::run("open-token", 5_000, world);
        stats.assert_reached();
    }
}
