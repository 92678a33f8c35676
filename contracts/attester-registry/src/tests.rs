use cosmwasm_std::{to_json_binary, Addr, Binary, Empty, HexBinary, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use openledger_types::{sha256, Method};

use crate::msg::*;
use crate::ContractError;

fn contract_registry() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        crate::contract::execute,
        crate::contract::instantiate,
        crate::contract::query,
    ))
}
fn contract_cw20() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    ))
}

/// Stand-in verifier: `Obligations` answers the job ids last set by executing it with them.
fn contract_verifier() -> Box<dyn Contract<Empty>> {
    use cosmwasm_std::{Deps, DepsMut, Env, MessageInfo, Response, StdError, StdResult};
    use cw_storage_plus::Item;
    const OPEN: Item<Vec<u64>> = Item::new("open");
    fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, _: Empty) -> Result<Response, StdError> {
        OPEN.save(deps.storage, &vec![])?;
        Ok(Response::new())
    }
    fn execute(
        deps: DepsMut,
        _: Env,
        _: MessageInfo,
        jobs: Vec<u64>,
    ) -> Result<Response, StdError> {
        OPEN.save(deps.storage, &jobs)?;
        Ok(Response::new())
    }
    fn query(deps: Deps, _: Env, msg: openledger_types::escrow::QueryMsg) -> StdResult<Binary> {
        match msg {
            openledger_types::escrow::QueryMsg::Obligations { .. } => {
                to_json_binary(&openledger_types::escrow::ObligationsResponse {
                    jobs: OPEN.load(deps.storage)?,
                })
            }
            _ => Err(StdError::generic_err("not a verifier query")),
        }
    }
    Box::new(ContractWrapper::new(execute, instantiate, query))
}

struct World {
    app: App,
    token: Addr,
    reg: Addr,
    gov: Addr,
    verifier: Addr,
    op: Addr,
    op2: Addr,
    treasury: Addr,
}

fn caps(methods: Vec<Method>, models: Vec<HexBinary>) -> Capabilities {
    Capabilities {
        methods,
        model_hashes: models,
        backend: "wgpu-vulkan".into(),
        max_job_bytes: 1 << 20,
    }
}

#[track_caller]
fn setup() -> World {
    let mut app = App::default();
    let gov = app.api().addr_make("gov");
    let verifier_id = app.store_code(contract_verifier());
    let verifier = app
        .instantiate_contract(verifier_id, gov.clone(), &Empty {}, &[], "verifier", None)
        .unwrap();
    let op = app.api().addr_make("op");
    let op2 = app.api().addr_make("op2");
    let treasury = app.api().addr_make("treasury");
    let cw20_id = app.store_code(contract_cw20());
    let reg_id = app.store_code(contract_registry());
    let token = app
        .instantiate_contract(
            cw20_id,
            gov.clone(),
            &cw20_base::msg::InstantiateMsg {
                name: "OpenLedger".into(),
                symbol: "OPEN".into(),
                decimals: 6,
                initial_balances: [&op, &op2]
                    .iter()
                    .map(|a| Cw20Coin {
                        address: a.to_string(),
                        amount: Uint128::new(10_000),
                    })
                    .collect(),
                mint: None,
                marketing: None,
            },
            &[],
            "open",
            None,
        )
        .unwrap();
    let reg = app
        .instantiate_contract(
            reg_id,
            gov.clone(),
            &InstantiateMsg {
                governance: gov.to_string(),
                open_token: token.to_string(),
                slash_recipient: treasury.to_string(),
                min_bond: Uint128::new(1_000),
                unbonding_seconds: 100,
                verifier: Some(verifier.to_string()),
            },
            &[],
            "attesters",
            None,
        )
        .unwrap();
    World {
        app,
        token,
        reg,
        gov,
        verifier,
        op,
        op2,
        treasury,
    }
}

impl World {
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> Result<AppResponse, ContractError> {
        self.app
            .execute_contract(who.clone(), self.reg.clone(), &msg, &[])
            .map_err(|e| e.downcast().unwrap())
    }
    fn bond(&mut self, who: &Addr, amount: u128) -> Result<AppResponse, ContractError> {
        let token = self.token.clone();
        self.app
            .execute_contract(
                who.clone(),
                token,
                &Cw20ExecuteMsg::Send {
                    contract: self.reg.to_string(),
                    amount: Uint128::new(amount),
                    msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
                },
                &[],
            )
            .map_err(|e| e.downcast().unwrap())
    }
    fn info(&self, who: &Addr) -> AttesterInfo {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.reg,
                &QueryMsg::Attester {
                    operator: who.to_string(),
                },
            )
            .unwrap()
    }
    fn eligible(&self, method: Method, model: Option<HexBinary>) -> Vec<Addr> {
        let r: EligibleResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.reg,
                &QueryMsg::Eligible {
                    method,
                    model_hash: model,
                    start_after: None,
                    limit: None,
                },
            )
            .unwrap();
        r.attesters.into_iter().map(|a| a.operator).collect()
    }
    fn balance(&self, who: &Addr) -> u128 {
        let r: cw20::BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.token,
                &cw20::Cw20QueryMsg::Balance {
                    address: who.to_string(),
                },
            )
            .unwrap();
        r.balance.u128()
    }
    fn register(&mut self, who: &Addr, c: Capabilities) -> Result<AppResponse, ContractError> {
        self.exec(
            who,
            ExecuteMsg::Register {
                pubkey: Binary::from([7u8; 32]),
                capabilities: c,
            },
        )
    }
}

#[test]
fn register_bond_and_eligibility() {
    let mut w = setup();
    let (op, op2) = (w.op.clone(), w.op2.clone());
    let model = HexBinary::from(sha256(b"model").to_vec());
    assert_eq!(
        w.bond(&op, 1_000).unwrap_err(),
        ContractError::NotRegistered {}
    );
    assert!(matches!(
        w.exec(
            &op,
            ExecuteMsg::Register {
                pubkey: Binary::from([1u8; 31]),
                capabilities: caps(vec![Method::SuffixSpan], vec![])
            }
        )
        .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    assert!(matches!(
        w.register(&op, caps(vec![Method::SuffixSpan; 9], vec![]))
            .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    w.register(&op, caps(vec![Method::SuffixSpan], vec![]))
        .unwrap();
    assert_eq!(
        w.register(&op, caps(vec![Method::SuffixSpan], vec![]))
            .unwrap_err(),
        ContractError::AlreadyRegistered {}
    );
    w.register(
        &op2,
        caps(
            vec![Method::SuffixSpan, Method::RagRetrieval],
            vec![model.clone()],
        ),
    )
    .unwrap();
    assert_eq!(w.info(&op).status, AttesterStatus::Inactive);
    w.bond(&op, 999).unwrap();
    assert_eq!(w.info(&op).status, AttesterStatus::Inactive);
    w.bond(&op, 1).unwrap();
    assert_eq!(w.info(&op).status, AttesterStatus::Active);
    w.bond(&op2, 2_000).unwrap();
    assert_eq!(w.eligible(Method::SuffixSpan, None).len(), 2);
    assert_eq!(w.eligible(Method::RagRetrieval, None), vec![op2.clone()]);
    assert_eq!(
        w.eligible(
            Method::SuffixSpan,
            Some(HexBinary::from(sha256(b"other").to_vec()))
        ),
        vec![op.clone()]
    );
    assert_eq!(w.eligible(Method::SuffixSpan, Some(model)).len(), 2);
    assert!(w.eligible(Method::TracinProj, None).is_empty());
    // a gateway registers with no methods: bonded and Active, but never eligible for a job
    w.exec(
        &op2,
        ExecuteMsg::UpdateCapabilities {
            capabilities: caps(vec![], vec![]),
        },
    )
    .unwrap();
    assert_eq!(w.info(&op2).status, AttesterStatus::Active);
    assert_eq!(w.eligible(Method::SuffixSpan, None), vec![op.clone()]);
    assert!(w.eligible(Method::RagRetrieval, None).is_empty());

    w.exec(
        &op,
        ExecuteMsg::UpdateCapabilities {
            capabilities: caps(vec![Method::TracinProj], vec![]),
        },
    )
    .unwrap();
    assert_eq!(w.eligible(Method::TracinProj, None), vec![op.clone()]);
    let stranger = w.app.api().addr_make("stranger");
    assert_eq!(
        w.exec(
            &stranger,
            ExecuteMsg::UpdateCapabilities {
                capabilities: caps(vec![Method::TracinProj], vec![])
            }
        )
        .unwrap_err(),
        ContractError::NotRegistered {}
    );
    let list: AttestersResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.reg,
            &QueryMsg::ListAttesters {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(list.attesters.len(), 2);
}

#[test]
fn unbond_and_claim() {
    let mut w = setup();
    let op = w.op.clone();
    w.register(&op, caps(vec![Method::SuffixSpan], vec![]))
        .unwrap();
    w.bond(&op, 1_500).unwrap();
    assert!(matches!(
        w.exec(
            &op,
            ExecuteMsg::Unbond {
                amount: Uint128::new(1_501)
            }
        )
        .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    w.exec(
        &op,
        ExecuteMsg::Unbond {
            amount: Uint128::new(600),
        },
    )
    .unwrap();
    let a = w.info(&op);
    assert_eq!(
        (a.bonded, a.unbonding, a.status),
        (
            Uint128::new(900),
            Uint128::new(600),
            AttesterStatus::Inactive
        )
    );
    assert!(w.eligible(Method::SuffixSpan, None).is_empty());
    assert_eq!(
        w.exec(&op, ExecuteMsg::ClaimUnbonded {}).unwrap_err(),
        ContractError::StillUnbonding {}
    );
    w.app.update_block(|b| b.time = b.time.plus_seconds(100));
    // the verifier still holds the stake answerable for job 7: the claim waits for it
    let (verifier, gov) = (w.verifier.clone(), w.gov.clone());
    w.app
        .execute_contract(gov.clone(), verifier.clone(), &vec![7u64], &[])
        .unwrap();
    assert_eq!(
        w.exec(&op, ExecuteMsg::ClaimUnbonded {}).unwrap_err(),
        ContractError::ObligationsOpen { jobs: vec![7] }
    );
    // ... and it can still be slashed meanwhile (unbonding stake is slashable)
    w.exec(
        &verifier,
        ExecuteMsg::Slash {
            operator: op.to_string(),
            fraction_bps: 1_000,
            jail_until: None,
            tombstone: false,
            reason: "late penalty".into(),
        },
    )
    .unwrap();
    // 10 % of 900 + 600, taken from the bond first
    let a = w.info(&op);
    assert_eq!(
        (a.bonded, a.unbonding),
        (Uint128::new(750), Uint128::new(600))
    );
    w.app
        .execute_contract(gov, verifier, &Vec::<u64>::new(), &[])
        .unwrap();
    let before = w.balance(&op);
    w.exec(&op, ExecuteMsg::ClaimUnbonded {}).unwrap();
    assert_eq!(w.balance(&op), before + 600);
    assert_eq!(
        w.exec(&op, ExecuteMsg::ClaimUnbonded {}).unwrap_err(),
        ContractError::NothingToClaim {}
    );
}

#[test]
fn slash_jail_unjail_tombstone() {
    let mut w = setup();
    let (op, op2, gov, verifier) = (
        w.op.clone(),
        w.op2.clone(),
        w.gov.clone(),
        w.verifier.clone(),
    );
    w.register(&op, caps(vec![Method::SuffixSpan], vec![]))
        .unwrap();
    w.bond(&op, 2_000).unwrap();
    let now = w.app.block_info().time.seconds();
    let slash = |frac, jail: Option<u64>, tomb| ExecuteMsg::Slash {
        operator: op.to_string(),
        fraction_bps: frac,
        jail_until: jail,
        tombstone: tomb,
        reason: "test".into(),
    };
    assert_eq!(
        w.exec(&op2, slash(100, None, false)).unwrap_err(),
        ContractError::Unauthorized {}
    );
    assert!(matches!(
        w.exec(&verifier, slash(10_001, None, false)).unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    w.exec(&verifier, slash(100, Some(now + 50), false))
        .unwrap();
    let a = w.info(&op);
    assert_eq!(
        (a.bonded, a.slashed_total, a.status.clone()),
        (
            Uint128::new(1_980),
            Uint128::new(20),
            AttesterStatus::Jailed { until: now + 50 }
        )
    );
    assert_eq!(w.balance(&w.treasury.clone()), 20);
    assert!(w.eligible(Method::SuffixSpan, None).is_empty());
    assert_eq!(
        w.exec(&op, ExecuteMsg::Unjail {}).unwrap_err(),
        ContractError::StillJailed { until: now + 50 }
    );
    w.app.update_block(|b| b.time = b.time.plus_seconds(50));
    w.exec(&op, ExecuteMsg::Unjail {}).unwrap();
    assert_eq!(w.info(&op).status, AttesterStatus::Active);
    assert_eq!(
        w.exec(&op, ExecuteMsg::Unjail {}).unwrap_err(),
        ContractError::NotJailed {}
    );
    // governance may slash too; tombstone is final
    w.exec(&gov, slash(500, None, true)).unwrap();
    let a = w.info(&op);
    assert_eq!(
        (a.bonded, a.status),
        (Uint128::new(1_881), AttesterStatus::Tombstoned)
    );
    assert_eq!(w.bond(&op, 10).unwrap_err(), ContractError::Tombstoned {});
    assert_eq!(
        w.exec(&op, ExecuteMsg::Unjail {}).unwrap_err(),
        ContractError::Tombstoned {}
    );
    assert!(w.eligible(Method::SuffixSpan, None).is_empty());
    // a tombstoned operator can still leave with what is left
    w.exec(
        &op,
        ExecuteMsg::Unbond {
            amount: Uint128::new(1_881),
        },
    )
    .unwrap();
    let stranger = w.app.api().addr_make("stranger");
    assert_eq!(
        w.exec(
            &gov,
            ExecuteMsg::Slash {
                operator: stranger.to_string(),
                fraction_bps: 1,
                jail_until: None,
                tombstone: false,
                reason: "".into()
            }
        )
        .unwrap_err(),
        ContractError::NotRegistered {}
    );
}

#[test]
fn governance_config() {
    let mut w = setup();
    let (op, gov) = (w.op.clone(), w.gov.clone());
    let upd = ExecuteMsg::UpdateConfig {
        min_bond: Some(Uint128::new(5)),
        unbonding_seconds: Some(1),
        slash_recipient: None,
        verifier: Some(op.to_string()),
    };
    assert_eq!(
        w.exec(&op, upd.clone()).unwrap_err(),
        ContractError::Unauthorized {}
    );
    assert!(matches!(
        w.exec(
            &gov,
            ExecuteMsg::UpdateConfig {
                min_bond: Some(Uint128::zero()),
                unbonding_seconds: None,
                slash_recipient: None,
                verifier: None
            }
        )
        .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    w.exec(&gov, upd).unwrap();
    let c: ConfigResponse = w
        .app
        .wrap()
        .query_wasm_smart(&w.reg, &QueryMsg::Config {})
        .unwrap();
    assert_eq!(
        (c.min_bond, c.verifier),
        (Uint128::new(5), Some(op.clone()))
    );
    assert_eq!(
        w.exec(
            &op,
            ExecuteMsg::UpdateGovernance {
                governance: op.to_string()
            }
        )
        .unwrap_err(),
        ContractError::Unauthorized {}
    );
    w.exec(
        &gov,
        ExecuteMsg::UpdateGovernance {
            governance: op.to_string(),
        },
    )
    .unwrap();
    // wrong token
    let cw20_id = w.app.store_code(contract_cw20());
    let fake = w
        .app
        .instantiate_contract(
            cw20_id,
            op.clone(),
            &cw20_base::msg::InstantiateMsg {
                name: "Fake".into(),
                symbol: "FAKE".into(),
                decimals: 6,
                initial_balances: vec![Cw20Coin {
                    address: op.to_string(),
                    amount: Uint128::new(10),
                }],
                mint: None,
                marketing: None,
            },
            &[],
            "fake",
            None,
        )
        .unwrap();
    let err: ContractError = w
        .app
        .execute_contract(
            op.clone(),
            fake,
            &Cw20ExecuteMsg::Send {
                contract: w.reg.to_string(),
                amount: Uint128::new(10),
                msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
            },
            &[],
        )
        .unwrap_err()
        .downcast()
        .unwrap();
    assert_eq!(err, ContractError::WrongToken {});
}

#[test]
fn native_funds_are_refused() {
    use cosmwasm_std::coins;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
    let mut deps = mock_dependencies();
    let who = deps.api.addr_make("who");
    let err = crate::contract::execute(
        deps.as_mut(),
        mock_env(),
        message_info(&who, &coins(5, "uopen")),
        ExecuteMsg::Unjail {},
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Payment(_)), "{err:?}");
}

#[test]
fn eligible_pages_past_one_query() {
    let mut w = setup();
    let token = w.token.clone();
    let gov = w.gov.clone();
    let n = 130usize;
    let ops: Vec<Addr> = (0..n)
        .map(|i| w.app.api().addr_make(&format!("many{i}")))
        .collect();
    // 1 OPEN each from op
    for o in &ops {
        w.app
            .execute_contract(
                w.op.clone(),
                token.clone(),
                &Cw20ExecuteMsg::Transfer {
                    recipient: o.to_string(),
                    amount: Uint128::new(1),
                },
                &[],
            )
            .unwrap();
    }
    // min bond 1 so a 1-token bond activates
    w.exec(
        &gov,
        ExecuteMsg::UpdateConfig {
            min_bond: Some(Uint128::new(1)),
            unbonding_seconds: None,
            slash_recipient: None,
            verifier: None,
        },
    )
    .unwrap();
    for o in &ops {
        w.register(o, caps(vec![Method::SuffixSpan], vec![]))
            .unwrap();
        w.bond(o, 1).unwrap();
    }
    let handle = openledger_types::attester::AttesterRegistry(w.reg.clone());
    let all = handle
        .eligible(&w.app.wrap(), Method::SuffixSpan, None, 1_000)
        .unwrap();
    assert_eq!(all.len(), n);
    let capped = handle
        .eligible(&w.app.wrap(), Method::SuffixSpan, None, 120)
        .unwrap();
    assert_eq!(capped.len(), 120);
    let mut sorted = all.iter().map(|a| a.operator.clone()).collect::<Vec<_>>();
    sorted.dedup();
    assert_eq!(sorted.len(), n);
}

/// Regression (message fuzzer): an unbounded `unbonding_seconds` made every later `Unbond` panic
/// in `Timestamp::plus_seconds`; it is now refused, and the largest allowed value still unbonds.
#[test]
fn unbonding_seconds_past_the_bound_are_refused() {
    let mut w = setup();
    let (gov, op) = (w.gov.clone(), w.op.clone());
    w.register(&op, caps(vec![Method::SuffixSpan], vec![]))
        .unwrap();
    w.bond(&op, 2_000).unwrap();
    let cfg = |u: u64| ExecuteMsg::UpdateConfig {
        min_bond: None,
        unbonding_seconds: Some(u),
        slash_recipient: None,
        verifier: None,
    };
    assert!(matches!(
        w.exec(&gov, cfg(u64::MAX)).unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    w.exec(&gov, cfg(openledger_types::MAX_DURATION_SECONDS))
        .unwrap();
    w.exec(
        &op,
        ExecuteMsg::Unbond {
            amount: Uint128::new(500),
        },
    )
    .unwrap();
}

/// Schema-driven message fuzzing (see `packages/fuzz-support`): random and mutated-template
/// executes, CW20 `Bond` hooks and queries against the registry of `setup()` with `op`
/// registered and bonded. The registry always holds the bonded + unbonding stake it reports.
mod fuzz {
    use super::*;
    use fuzz_support::{hex, FuzzWorld, Lane, Vocab};

    fn world(rng: &mut fuzz_support::Rng) -> FuzzWorld {
        let mut w = setup();
        let (gov, op, op2) = (w.gov.clone(), w.op.clone(), w.op2.clone());
        let model = HexBinary::from(sha256(b"model").to_vec());
        w.register(&op, caps(vec![Method::SuffixSpan], vec![model.clone()]))
            .unwrap();
        w.bond(&op, 1_000 + rng.below(2) as u128 * 500).unwrap();
        let (reg, token) = (w.reg.clone(), w.token.clone());
        let mut vocab = Vocab::new();
        vocab.addresses = [&gov, &op, &op2, &w.verifier, &w.treasury, &reg, &token]
            .iter()
            .map(|a| a.to_string())
            .collect();
        vocab.hex = vec![model.to_hex(), hex(&sha256(b"other"))];
        vocab.binaries = vec![vec![7u8; 32], vec![1u8; 31], vec![2u8; 33]];
        vocab.numbers.extend([999, 1_500, 2_000]);
        let exec = Lane::execute::<ExecuteMsg>("attesters", &reg)
            .template(
                &op2,
                &ExecuteMsg::Register {
                    pubkey: Binary::from([7u8; 32]),
                    capabilities: caps(
                        vec![Method::SuffixSpan, Method::RagRetrieval],
                        vec![model.clone()],
                    ),
                },
            )
            .template(
                &op,
                &ExecuteMsg::UpdateCapabilities {
                    capabilities: caps(vec![Method::TracinProj], vec![]),
                },
            )
            .template(
                &op,
                &ExecuteMsg::Unbond {
                    amount: Uint128::new(400),
                },
            )
            .template(&op, &ExecuteMsg::ClaimUnbonded {})
            .template(&op, &ExecuteMsg::Unjail {})
            .template(
                &gov,
                &ExecuteMsg::Slash {
                    operator: op.to_string(),
                    fraction_bps: 1_000,
                    jail_until: Some(1_571_800_000),
                    tombstone: false,
                    reason: "late".into(),
                },
            )
            .template(
                &gov,
                &ExecuteMsg::UpdateConfig {
                    min_bond: Some(Uint128::new(500)),
                    unbonding_seconds: Some(10),
                    slash_recipient: None,
                    verifier: Some(w.verifier.to_string()),
                },
            )
            .template(
                &gov,
                &ExecuteMsg::UpdateGovernance {
                    governance: gov.to_string(),
                },
            );
        let hooks = Lane::cw20_hook::<ReceiveMsg>("attesters hook", &token, &reg)
            .weight(3)
            .template_send(&op, 500, &ReceiveMsg::Bond {})
            .template_send(&op2, 1_000, &ReceiveMsg::Bond {});
        let query = Lane::query::<QueryMsg>("attesters", &reg)
            .query_template(&QueryMsg::Attester {
                operator: op.to_string(),
            })
            .query_template(&QueryMsg::ListAttesters {
                start_after: None,
                limit: Some(10),
            })
            .query_template(&QueryMsg::Eligible {
                method: Method::SuffixSpan,
                model_hash: Some(model),
                start_after: None,
                limit: None,
            });
        let inst = Lane::instantiate::<InstantiateMsg>("attesters", &reg).template(
            &gov,
            &InstantiateMsg {
                governance: gov.to_string(),
                open_token: token.to_string(),
                slash_recipient: w.treasury.to_string(),
                min_bond: Uint128::new(1_000),
                unbonding_seconds: 100,
                verifier: Some(w.verifier.to_string()),
            },
        );
        FuzzWorld::new(w.app, vec![gov, op, op2], vocab)
            .lane(exec)
            .lane(inst)
            .lane(hooks)
            .lane(query)
            .invariant(move |app| {
                let q = app.wrap();
                let list: AttestersResponse = q
                    .query_wasm_smart(
                        &reg,
                        &QueryMsg::ListAttesters {
                            start_after: None,
                            limit: Some(100),
                        },
                    )
                    .map_err(|e| e.to_string())?;
                let owed: Uint128 = list.attesters.iter().map(|a| a.bonded + a.unbonding).sum();
                let held: cw20::BalanceResponse = q
                    .query_wasm_smart(
                        &token,
                        &cw20::Cw20QueryMsg::Balance {
                            address: reg.to_string(),
                        },
                    )
                    .map_err(|e| e.to_string())?;
                if owed > held.balance {
                    return Err(format!(
                        "stake {owed} but the registry holds {}",
                        held.balance
                    ));
                }
                Ok(())
            })
    }

    #[test]
    fn fuzz_messages() {
        let stats = fuzz_support::run("attester-registry", 4_000, world);
        stats.assert_reached();
    }
}
