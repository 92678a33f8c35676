use cosmwasm_std::{to_json_binary, Addr, Empty, HexBinary, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use datanet_registry::msg as dn;
use openledger_types::{sha256, DatanetRef};

use crate::msg::*;
use crate::ContractError;

fn contract_models() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        crate::contract::execute,
        crate::contract::instantiate,
        crate::contract::query,
    ))
}
fn contract_datanets() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        datanet_registry::contract::execute,
        datanet_registry::contract::instantiate,
        datanet_registry::contract::query,
    ))
}
fn contract_cw20() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    ))
}

fn h(s: &str) -> HexBinary {
    HexBinary::from(sha256(s.as_bytes()).to_vec())
}

struct World {
    app: App,
    models: Addr,
    gov: Addr,
    owner: Addr,
    trainer: Addr,
    other: Addr,
    root: HexBinary,
}

#[track_caller]
fn setup() -> World {
    let mut app = App::default();
    let gov = app.api().addr_make("gov");
    let owner = app.api().addr_make("datanet_owner");
    let trainer = app.api().addr_make("trainer");
    let other = app.api().addr_make("other");
    let cw20_id = app.store_code(contract_cw20());
    let dn_id = app.store_code(contract_datanets());
    let m_id = app.store_code(contract_models());
    let token = app
        .instantiate_contract(
            cw20_id,
            gov.clone(),
            &cw20_base::msg::InstantiateMsg {
                name: "OpenLedger".into(),
                symbol: "OPEN".into(),
                decimals: 6,
                initial_balances: vec![Cw20Coin {
                    address: owner.to_string(),
                    amount: Uint128::new(1_000),
                }],
                mint: None,
                marketing: None,
            },
            &[],
            "open",
            None,
        )
        .unwrap();
    let datanets = app
        .instantiate_contract(
            dn_id,
            gov.clone(),
            &dn::InstantiateMsg {
                governance: gov.to_string(),
                open_token: token.to_string(),
                fee_collector: gov.to_string(),
                params: dn::DatanetParams {
                    base_fee: Uint128::new(10),
                    fee_per_kib: Uint128::zero(),
                    max_contribution_bytes: 1_000_000,
                    daily_bytes_per_user: 10_000_000,
                    daily_files_per_user: 20,
                    daily_bytes_per_datanet: 10_000_000,
                    min_contributor_bond: Uint128::zero(),
                    bond_unbonding_seconds: 0,
                    penalty_threshold: 0,
                    penalized_reward_bps: 10_000,
                },
            },
            &[],
            "datanets",
            None,
        )
        .unwrap();
    // one published Datanet with one row
    app.execute_contract(
        owner.clone(),
        datanets.clone(),
        &dn::ExecuteMsg::CreateDatanet {
            name: "d".into(),
            summary: "".into(),
            description: "".into(),
            tags: vec![],
            kind: dn::DatanetKind::Text,
            license: "MIT".into(),
            policy: dn::ContributionPolicy::Open,
            min_validation_score_bps: 0,
        },
        &[],
    )
    .unwrap();
    app.execute_contract(
        owner.clone(),
        datanets.clone(),
        &dn::ExecuteMsg::Contribute {
            datanet_id: 1,
            content_hash: h("row"),
            size: 10,
            uri: "u".into(),
            license: "MIT".into(),
        },
        &[],
    )
    .unwrap();
    app.execute_contract(
        owner.clone(),
        datanets.clone(),
        &dn::ExecuteMsg::ReviewContribution {
            contribution_id: 1,
            accept: true,
            validation_score_bps: 10_000,
        },
        &[],
    )
    .unwrap();
    app.execute_contract(
        owner.clone(),
        token.clone(),
        &Cw20ExecuteMsg::Send {
            contract: datanets.to_string(),
            amount: Uint128::new(10),
            msg: to_json_binary(&dn::ReceiveMsg::Publish { datanet_id: 1 }).unwrap(),
        },
        &[],
    )
    .unwrap();
    app.execute_contract(
        owner.clone(),
        datanets.clone(),
        &dn::ExecuteMsg::GrantAccess {
            datanet_id: 1,
            grantee: trainer.to_string(),
            expires_at: None,
        },
        &[],
    )
    .unwrap();
    let v: dn::VersionInfo = app
        .wrap()
        .query_wasm_smart(
            &datanets,
            &dn::QueryMsg::Version {
                datanet_id: 1,
                version: 1,
            },
        )
        .unwrap();
    let models = app
        .instantiate_contract(
            m_id,
            gov.clone(),
            &InstantiateMsg {
                governance: gov.to_string(),
                datanet_registry: datanets.to_string(),
            },
            &[],
            "models",
            None,
        )
        .unwrap();
    World {
        app,
        models,
        gov,
        owner,
        trainer,
        other,
        root: v.merkle_root,
    }
}

impl World {
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> Result<AppResponse, ContractError> {
        self.app
            .execute_contract(who.clone(), self.models.clone(), &msg, &[])
            .map_err(|e| e.downcast().unwrap())
    }
    fn register(
        &mut self,
        who: &Addr,
        refs: Vec<DatanetRef>,
    ) -> Result<AppResponse, ContractError> {
        self.exec(
            who,
            ExecuteMsg::RegisterModel {
                name: "solidity-lora".into(),
                base_model_hash: h("llama"),
                adapter_hash: Some(h("lora")),
                training_log_hash: None,
                datanets: refs,
                price_in_per_1k: Uint128::new(20),
                price_out_per_1k: Uint128::new(60),
            },
        )
    }
    fn model(&self, id: u64) -> ModelInfo {
        self.app
            .wrap()
            .query_wasm_smart(&self.models, &QueryMsg::Model { model_id: id })
            .unwrap()
    }
}

fn good_ref(w: &World) -> DatanetRef {
    DatanetRef {
        datanet_id: 1,
        version: 1,
        root: w.root.clone(),
    }
}

#[test]
fn register_and_query() {
    let mut w = setup();
    let trainer = w.trainer.clone();
    let r = good_ref(&w);
    w.register(&trainer, vec![r.clone()]).unwrap();
    let m = w.model(1);
    assert_eq!(
        (m.owner.clone(), m.status, m.datanets.clone()),
        (trainer.clone(), ModelStatus::Active, vec![r])
    );
    let list: ModelsResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.models,
            &QueryMsg::ListModels {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(list.models.len(), 1);
    let by: ModelsResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.models,
            &QueryMsg::ModelsByOwner {
                owner: trainer.to_string(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(by.models.len(), 1);
}

#[test]
fn register_errors() {
    let mut w = setup();
    let (trainer, other) = (w.trainer.clone(), w.other.clone());
    let r = good_ref(&w);
    // no access
    assert_eq!(
        w.register(&other, vec![r.clone()]).unwrap_err(),
        ContractError::NoTrainingAccess { datanet_id: 1 }
    );
    // wrong root / unknown version
    let bad_root = DatanetRef {
        root: h("nope"),
        ..r.clone()
    };
    assert!(matches!(
        w.register(&trainer, vec![bad_root]).unwrap_err(),
        ContractError::BadDatanetRef { .. }
    ));
    let bad_ver = DatanetRef {
        version: 2,
        ..r.clone()
    };
    assert!(matches!(
        w.register(&trainer, vec![bad_ver]).unwrap_err(),
        ContractError::BadDatanetRef { .. }
    ));
    assert!(matches!(
        w.register(&trainer, vec![]).unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    assert!(matches!(
        w.register(&trainer, vec![r.clone(), r.clone()])
            .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    let bad_hash = ExecuteMsg::RegisterModel {
        name: "x".into(),
        base_model_hash: HexBinary::from(vec![1, 2]),
        adapter_hash: None,
        training_log_hash: None,
        datanets: vec![r],
        price_in_per_1k: Uint128::zero(),
        price_out_per_1k: Uint128::zero(),
    };
    assert!(matches!(
        w.exec(&trainer, bad_hash).unwrap_err(),
        ContractError::Std(_)
    ));
    // the Datanet owner has access without a grant
    let owner = w.owner.clone();
    let r = good_ref(&w);
    w.register(&owner, vec![r]).unwrap();
}

#[test]
fn owner_actions_and_status() {
    let mut w = setup();
    let (trainer, other, gov) = (w.trainer.clone(), w.other.clone(), w.gov.clone());
    let r = good_ref(&w);
    w.register(&trainer, vec![r]).unwrap();
    let prices = ExecuteMsg::UpdatePrices {
        model_id: 1,
        price_in_per_1k: Uint128::new(1),
        price_out_per_1k: Uint128::new(2),
    };
    assert_eq!(
        w.exec(&other, prices.clone()).unwrap_err(),
        ContractError::Unauthorized {}
    );
    w.exec(&trainer, prices).unwrap();
    assert_eq!(w.model(1).price_out_per_1k, Uint128::new(2));
    assert_eq!(
        w.exec(
            &trainer,
            ExecuteMsg::UpdatePrices {
                model_id: 7,
                price_in_per_1k: Uint128::zero(),
                price_out_per_1k: Uint128::zero()
            }
        )
        .unwrap_err(),
        ContractError::ModelNotFound { id: 7 }
    );

    assert_eq!(
        w.exec(
            &other,
            ExecuteMsg::SetStatus {
                model_id: 1,
                status: ModelStatus::Paused
            }
        )
        .unwrap_err(),
        ContractError::Unauthorized {}
    );
    w.exec(
        &trainer,
        ExecuteMsg::SetStatus {
            model_id: 1,
            status: ModelStatus::Paused,
        },
    )
    .unwrap();
    assert_eq!(w.model(1).status, ModelStatus::Paused);
    w.exec(
        &gov,
        ExecuteMsg::SetStatus {
            model_id: 1,
            status: ModelStatus::Retired,
        },
    )
    .unwrap();
    assert_eq!(
        w.exec(
            &trainer,
            ExecuteMsg::SetStatus {
                model_id: 1,
                status: ModelStatus::Active
            }
        )
        .unwrap_err(),
        ContractError::Retired {}
    );
    assert_eq!(
        w.exec(
            &trainer,
            ExecuteMsg::UpdatePrices {
                model_id: 1,
                price_in_per_1k: Uint128::zero(),
                price_out_per_1k: Uint128::zero()
            }
        )
        .unwrap_err(),
        ContractError::Retired {}
    );

    assert_eq!(
        w.exec(
            &other,
            ExecuteMsg::TransferOwnership {
                model_id: 1,
                new_owner: other.to_string()
            }
        )
        .unwrap_err(),
        ContractError::Unauthorized {}
    );
    w.exec(
        &trainer,
        ExecuteMsg::TransferOwnership {
            model_id: 1,
            new_owner: other.to_string(),
        },
    )
    .unwrap();
    assert_eq!(w.model(1).owner, other);
    let by: ModelsResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.models,
            &QueryMsg::ModelsByOwner {
                owner: trainer.to_string(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert!(by.models.is_empty());

    assert_eq!(
        w.exec(
            &other,
            ExecuteMsg::UpdateGovernance {
                governance: other.to_string()
            }
        )
        .unwrap_err(),
        ContractError::Unauthorized {}
    );
    w.exec(
        &gov,
        ExecuteMsg::UpdateGovernance {
            governance: other.to_string(),
        },
    )
    .unwrap();
    let c: ConfigResponse = w
        .app
        .wrap()
        .query_wasm_smart(&w.models, &QueryMsg::Config {})
        .unwrap();
    assert_eq!(c.governance, other);
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
        ExecuteMsg::UpdateGovernance {
            governance: "x".into(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Payment(_)), "{err:?}");
}

/// Schema-driven message fuzzing (see `packages/fuzz-support`): random and mutated-template
/// executes and queries against the registry of `setup()` (a published Datanet the trainer may
/// train on) with one model registered.
mod fuzz {
    use super::*;
    use fuzz_support::{hex, FuzzWorld, Lane, Vocab};

    fn world(_: &mut fuzz_support::Rng) -> FuzzWorld {
        let mut w = setup();
        let (gov, owner, trainer, other) = (
            w.gov.clone(),
            w.owner.clone(),
            w.trainer.clone(),
            w.other.clone(),
        );
        let refs = vec![DatanetRef {
            datanet_id: 1,
            version: 1,
            root: w.root.clone(),
        }];
        w.register(&trainer, refs.clone()).unwrap();
        let models = w.models.clone();
        let mut vocab = Vocab::new();
        vocab.addresses = [&gov, &owner, &trainer, &other, &models]
            .iter()
            .map(|a| a.to_string())
            .collect();
        vocab.hex = ["llama", "lora", "row", "log"]
            .iter()
            .map(|s| hex(h(s).as_slice()))
            .chain([w.root.to_hex()])
            .collect();
        vocab.numbers.extend([20, 60]);
        let exec = Lane::execute::<ExecuteMsg>("models", &models)
            .template(
                &trainer,
                &ExecuteMsg::RegisterModel {
                    name: "solidity-lora".into(),
                    base_model_hash: h("llama"),
                    adapter_hash: Some(h("lora")),
                    training_log_hash: Some(h("log")),
                    datanets: refs,
                    price_in_per_1k: Uint128::new(20),
                    price_out_per_1k: Uint128::new(60),
                },
            )
            .template(
                &trainer,
                &ExecuteMsg::UpdatePrices {
                    model_id: 1,
                    price_in_per_1k: Uint128::new(1),
                    price_out_per_1k: Uint128::new(2),
                },
            )
            .template(
                &trainer,
                &ExecuteMsg::SetStatus {
                    model_id: 1,
                    status: ModelStatus::Paused,
                },
            )
            .template(
                &gov,
                &ExecuteMsg::SetStatus {
                    model_id: 1,
                    status: ModelStatus::Retired,
                },
            )
            .template(
                &trainer,
                &ExecuteMsg::TransferOwnership {
                    model_id: 1,
                    new_owner: other.to_string(),
                },
            )
            .template(
                &gov,
                &ExecuteMsg::UpdateGovernance {
                    governance: gov.to_string(),
                },
            );
        let query = Lane::query::<QueryMsg>("models", &models)
            .query_template(&QueryMsg::Model { model_id: 1 })
            .query_template(&QueryMsg::ListModels {
                start_after: None,
                limit: Some(5),
            })
            .query_template(&QueryMsg::ModelsByOwner {
                owner: trainer.to_string(),
                start_after: None,
                limit: None,
            });
        let cfg: ConfigResponse = w
            .app
            .wrap()
            .query_wasm_smart(&models, &QueryMsg::Config {})
            .unwrap();
        let inst = Lane::instantiate::<InstantiateMsg>("models", &models).template(
            &gov,
            &InstantiateMsg {
                governance: gov.to_string(),
                datanet_registry: cfg.datanet_registry.to_string(),
            },
        );
        FuzzWorld::new(w.app, vec![gov, owner, trainer, other], vocab)
            .lane(exec)
            .lane(inst)
            .lane(query)
    }

    #[test]
    fn fuzz_messages() {
        let stats = fuzz_support::run("model-registry", 4_000, world);
        stats.assert_reached();
    }
}
