//! Multi-test world: real cw20-base OPEN, cw4-group allowlists, and this registry.

use cosmwasm_std::{to_json_binary, Addr, Empty, HexBinary, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use openledger_types::merkle::merkle_root;
use openledger_types::sha256;

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
fn contract_group() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw4_group::contract::execute,
        cw4_group::contract::instantiate,
        cw4_group::contract::query,
    ))
}

pub fn params() -> DatanetParams {
    DatanetParams {
        base_fee: Uint128::new(100),
        fee_per_kib: Uint128::new(10),
        max_contribution_bytes: 5_000_000,
        daily_bytes_per_user: 10_000_000,
        daily_files_per_user: 20,
        daily_bytes_per_datanet: 10_000_000,
        min_contributor_bond: Uint128::zero(),
        bond_unbonding_seconds: 1_000,
        penalty_threshold: 10,
        penalized_reward_bps: 5_000,
    }
}

struct World {
    app: App,
    token: Addr,
    reg: Addr,
    gov: Addr,
    owner: Addr,
    alice: Addr,
    bob: Addr,
    collector: Addr,
}

fn addr(app: &App, s: &str) -> Addr {
    app.api().addr_make(s)
}

#[track_caller]
fn setup_with(p: DatanetParams) -> World {
    let mut app = App::default();
    let gov = addr(&app, "gov");
    let owner = addr(&app, "owner");
    let alice = addr(&app, "alice");
    let bob = addr(&app, "bob");
    let collector = addr(&app, "collector");
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
                initial_balances: [&owner, &alice, &bob]
                    .iter()
                    .map(|a| Cw20Coin {
                        address: a.to_string(),
                        amount: Uint128::new(1_000_000),
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
                fee_collector: collector.to_string(),
                params: p,
            },
            &[],
            "datanets",
            Some(gov.to_string()),
        )
        .unwrap();
    World {
        app,
        token,
        reg,
        gov,
        owner,
        alice,
        bob,
        collector,
    }
}

fn setup() -> World {
    setup_with(params())
}

fn h(i: u32) -> HexBinary {
    HexBinary::from(sha256(&i.to_be_bytes()).to_vec())
}

impl World {
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> Result<AppResponse, ContractError> {
        self.app
            .execute_contract(who.clone(), self.reg.clone(), &msg, &[])
            .map_err(|e| e.downcast().unwrap())
    }
    fn send(
        &mut self,
        who: &Addr,
        amount: u128,
        msg: ReceiveMsg,
    ) -> Result<AppResponse, ContractError> {
        let token = self.token.clone();
        self.app
            .execute_contract(
                who.clone(),
                token,
                &Cw20ExecuteMsg::Send {
                    contract: self.reg.to_string(),
                    amount: Uint128::new(amount),
                    msg: to_json_binary(&msg).unwrap(),
                },
                &[],
            )
            .map_err(|e| e.downcast().unwrap())
    }
    fn q<T: serde::de::DeserializeOwned>(&self, msg: QueryMsg) -> T {
        self.app.wrap().query_wasm_smart(&self.reg, &msg).unwrap()
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
    fn create(&mut self, policy: ContributionPolicy) -> u64 {
        let owner = self.owner.clone();
        let res = self
            .exec(
                &owner,
                ExecuteMsg::CreateDatanet {
                    name: "Solidity audits".into(),
                    summary: "Audited contracts".into(),
                    description: "# Data\nmarkdown".into(),
                    tags: vec!["web3".into(), "security".into()],
                    kind: DatanetKind::Text,
                    license: "CC-BY-4.0".into(),
                    policy,
                    min_validation_score_bps: 5_000,
                },
            )
            .unwrap();
        let id = res
            .events
            .iter()
            .flat_map(|e| &e.attributes)
            .find(|a| a.key == "datanet_id")
            .unwrap()
            .value
            .clone();
        id.parse().unwrap()
    }
    fn contribute(
        &mut self,
        who: &Addr,
        datanet_id: u64,
        i: u32,
        size: u64,
    ) -> Result<u64, ContractError> {
        let res = self.exec(
            who,
            ExecuteMsg::Contribute {
                datanet_id,
                content_hash: h(i),
                size,
                uri: format!("ipfs://row{i}"),
                license: "CC-BY-4.0".into(),
            },
        )?;
        Ok(res
            .events
            .iter()
            .flat_map(|e| &e.attributes)
            .find(|a| a.key == "contribution_id")
            .unwrap()
            .value
            .parse()
            .unwrap())
    }
    fn review(
        &mut self,
        who: &Addr,
        id: u64,
        accept: bool,
        score: u64,
    ) -> Result<AppResponse, ContractError> {
        self.exec(
            who,
            ExecuteMsg::ReviewContribution {
                contribution_id: id,
                accept,
                validation_score_bps: score,
            },
        )
    }
}

mod create {
    use super::*;

    #[test]
    fn create_and_update_metadata() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        assert_eq!(id, 1);
        let dn: DatanetInfo = w.q(QueryMsg::Datanet { datanet_id: id });
        assert_eq!(dn.status, DatanetStatus::Draft);
        assert_eq!(dn.version, 0);
        assert_eq!(dn.owner, w.owner);
        let (owner, alice) = (w.owner.clone(), w.alice.clone());
        let upd = ExecuteMsg::UpdateMetadata {
            datanet_id: id,
            summary: Some("new".into()),
            description: None,
            tags: Some(vec![]),
        };
        assert_eq!(
            w.exec(&alice, upd.clone()).unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(&owner, upd).unwrap();
        let dn: DatanetInfo = w.q(QueryMsg::Datanet { datanet_id: id });
        assert_eq!(dn.summary, "new");
        assert!(dn.tags.is_empty());
        let list: DatanetsResponse = w.q(QueryMsg::ListDatanets {
            start_after: None,
            limit: None,
        });
        assert_eq!(list.datanets.len(), 1);
        let list: DatanetsResponse = w.q(QueryMsg::ListDatanets {
            start_after: Some(1),
            limit: None,
        });
        assert!(list.datanets.is_empty());
        assert_eq!(
            w.exec(
                &owner,
                ExecuteMsg::UpdateMetadata {
                    datanet_id: 9,
                    summary: None,
                    description: None,
                    tags: None
                }
            )
            .unwrap_err(),
            ContractError::DatanetNotFound { id: 9 }
        );
    }

    #[test]
    fn validation() {
        let mut w = setup();
        let owner = w.owner.clone();
        let mk = |name: &str, tags: Vec<String>, score: u64| ExecuteMsg::CreateDatanet {
            name: name.into(),
            summary: "".into(),
            description: "".into(),
            tags,
            kind: DatanetKind::Audio,
            license: "MIT".into(),
            policy: ContributionPolicy::Open,
            min_validation_score_bps: score,
        };
        assert!(matches!(
            w.exec(&owner, mk("", vec![], 0)).unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        assert!(matches!(
            w.exec(&owner, mk("x", vec!["t".into(); 11], 0))
                .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        assert!(matches!(
            w.exec(&owner, mk("x", vec![], 10_001)).unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        let bad_group = ExecuteMsg::CreateDatanet {
            name: "x".into(),
            summary: "".into(),
            description: "".into(),
            tags: vec![],
            kind: DatanetKind::Image,
            license: "MIT".into(),
            policy: ContributionPolicy::Allowlist {
                group: "not an address".into(),
            },
            min_validation_score_bps: 0,
        };
        assert!(matches!(
            w.exec(&owner, bad_group).unwrap_err(),
            ContractError::Std(_)
        ));
    }
}

mod contributions {
    use super::*;

    #[test]
    fn contribute_review_and_errors() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (owner, alice, bob) = (w.owner.clone(), w.alice.clone(), w.bob.clone());
        let c1 = w.contribute(&alice, id, 1, 2_000).unwrap();
        assert_eq!(
            w.contribute(&bob, id, 1, 10).unwrap_err(),
            ContractError::DuplicateContent {}
        );
        assert!(matches!(
            w.contribute(&bob, id, 2, 0).unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        assert!(matches!(
            w.contribute(&bob, id, 2, 5_000_001).unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        assert_eq!(
            w.contribute(&bob, 42, 2, 10).unwrap_err(),
            ContractError::DatanetNotFound { id: 42 }
        );
        let bad_hash = ExecuteMsg::Contribute {
            datanet_id: id,
            content_hash: HexBinary::from(vec![1u8; 31]),
            size: 1,
            uri: "u".into(),
            license: "l".into(),
        };
        assert!(matches!(
            w.exec(&bob, bad_hash).unwrap_err(),
            ContractError::Std(_)
        ));

        // only owner / curators review
        assert_eq!(
            w.review(&bob, c1, true, 9_000).unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(
            &owner,
            ExecuteMsg::SetCurator {
                datanet_id: id,
                curator: bob.to_string(),
                enabled: true,
            },
        )
        .unwrap();
        assert_eq!(
            w.exec(
                &alice,
                ExecuteMsg::SetCurator {
                    datanet_id: id,
                    curator: alice.to_string(),
                    enabled: true
                }
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        assert!(matches!(
            w.review(&bob, c1, true, 10_001).unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        w.review(&bob, c1, true, 9_000).unwrap();
        assert_eq!(
            w.review(&bob, c1, true, 9_000).unwrap_err(),
            ContractError::AlreadyReviewed {}
        );
        assert_eq!(
            w.review(&bob, 99, true, 9_000).unwrap_err(),
            ContractError::ContributionNotFound { id: 99 }
        );
        // below the Datanet minimum (5000) ⇒ rejected even if "accepted"
        let c2 = w.contribute(&alice, id, 2, 100).unwrap();
        w.review(&owner, c2, true, 4_999).unwrap();
        let c: ContributionInfo = w.q(QueryMsg::Contribution {
            contribution_id: c2,
        });
        assert_eq!(c.status, ContributionStatus::Rejected);
        let c3 = w.contribute(&bob, id, 3, 100).unwrap();
        w.review(&owner, c3, false, 9_000).unwrap();
        let c: ContributionInfo = w.q(QueryMsg::Contribution {
            contribution_id: c3,
        });
        assert_eq!(c.status, ContributionStatus::Rejected);
        // removing the curator revokes review rights
        w.exec(
            &owner,
            ExecuteMsg::SetCurator {
                datanet_id: id,
                curator: bob.to_string(),
                enabled: false,
            },
        )
        .unwrap();
        let c4 = w.contribute(&alice, id, 4, 100).unwrap();
        assert_eq!(
            w.review(&bob, c4, true, 9_000).unwrap_err(),
            ContractError::Unauthorized {}
        );

        let all: ContributionsResponse = w.q(QueryMsg::ListContributions {
            datanet_id: id,
            start_after: None,
            limit: None,
        });
        assert_eq!(all.contributions.len(), 4);
        let page: ContributionsResponse = w.q(QueryMsg::ListContributions {
            datanet_id: id,
            start_after: Some(c2),
            limit: Some(1),
        });
        assert_eq!(page.contributions[0].id, c3);
        let by: ContributionsResponse = w.q(QueryMsg::ContributionsByContributor {
            contributor: alice.to_string(),
            start_after: None,
            limit: None,
        });
        assert_eq!(
            by.contributions.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![c1, c2, c4]
        );
        let dn: DatanetInfo = w.q(QueryMsg::Datanet { datanet_id: id });
        assert_eq!((dn.accepted_count, dn.pending_bytes), (1, 2_000));
        // leaderboard inputs: alice 3 submitted, 1 accepted, 1 rejected (1 pending)
        let st: ContributorStats = w.q(QueryMsg::ContributorStats {
            datanet_id: id,
            contributor: alice.to_string(),
        });
        assert_eq!(
            (
                st.submitted,
                st.accepted,
                st.rejected,
                st.acceptance_rate_bps,
                st.weight
            ),
            (3, 1, 1, 5_000, Uint128::new(9_000))
        );
        let all: ContributorsResponse = w.q(QueryMsg::ListContributors {
            datanet_id: id,
            start_after: None,
            limit: None,
        });
        assert_eq!(all.contributors.len(), 2);
        let page: ContributorsResponse = w.q(QueryMsg::ListContributors {
            datanet_id: id,
            start_after: Some(all.contributors[0].contributor.to_string()),
            limit: Some(5),
        });
        assert_eq!(page.contributors.len(), 1);
    }

    #[test]
    fn daily_limits() {
        let mut p = params();
        p.daily_files_per_user = 2;
        p.daily_bytes_per_user = 1_000;
        p.daily_bytes_per_datanet = 1_500;
        let mut w = setup_with(p);
        let id = w.create(ContributionPolicy::Open);
        let (alice, bob) = (w.alice.clone(), w.bob.clone());
        w.contribute(&alice, id, 1, 400).unwrap();
        assert!(matches!(
            w.contribute(&alice, id, 2, 700).unwrap_err(),
            ContractError::DailyLimitExceeded { .. }
        ));
        w.contribute(&alice, id, 2, 500).unwrap();
        assert!(matches!(
            w.contribute(&alice, id, 3, 1).unwrap_err(),
            ContractError::DailyLimitExceeded { .. }
        ));
        assert!(matches!(
            w.contribute(&bob, id, 4, 700).unwrap_err(),
            ContractError::DailyLimitExceeded { .. }
        ));
        let u: UploadUsageResponse = w.q(QueryMsg::UploadUsage {
            address: alice.to_string(),
            datanet_id: id,
        });
        assert_eq!((u.user_bytes, u.user_files, u.datanet_bytes), (900, 2, 900));
        // next day
        w.app.update_block(|b| b.time = b.time.plus_seconds(86_400));
        w.contribute(&alice, id, 3, 1).unwrap();
        w.contribute(&bob, id, 4, 700).unwrap();
    }

    #[test]
    fn allowlist_policy() {
        let mut w = setup();
        let gid = w.app.store_code(contract_group());
        let alice = w.alice.clone();
        let group = w
            .app
            .instantiate_contract(
                gid,
                w.gov.clone(),
                &cw4_group::msg::InstantiateMsg {
                    admin: None,
                    members: vec![cw4::Member {
                        addr: alice.to_string(),
                        weight: 1,
                    }],
                },
                &[],
                "allow",
                None,
            )
            .unwrap();
        let id = w.create(ContributionPolicy::Allowlist {
            group: group.to_string(),
        });
        w.contribute(&alice, id, 1, 10).unwrap();
        let bob = w.bob.clone();
        assert_eq!(
            w.contribute(&bob, id, 2, 10).unwrap_err(),
            ContractError::NotAllowedToContribute {}
        );
    }

    #[test]
    fn owner_approval_policy() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::OwnerApproval);
        let open = w.create(ContributionPolicy::Open);
        let (owner, alice) = (w.owner.clone(), w.alice.clone());
        assert_eq!(
            w.contribute(&alice, id, 1, 10).unwrap_err(),
            ContractError::NotAllowedToContribute {}
        );
        assert_eq!(
            w.exec(&alice, ExecuteMsg::RequestToContribute { datanet_id: open })
                .unwrap_err(),
            ContractError::WrongPolicy {}
        );
        w.exec(&alice, ExecuteMsg::RequestToContribute { datanet_id: id })
            .unwrap();
        let a: ApprovalResponse = w.q(QueryMsg::ContributorApproval {
            datanet_id: id,
            contributor: alice.to_string(),
        });
        assert_eq!(a.status, Some(ApprovalStatus::Requested));
        let approve = ExecuteMsg::SetContributorApproval {
            datanet_id: id,
            contributor: alice.to_string(),
            approved: true,
        };
        assert_eq!(
            w.exec(&alice, approve.clone()).unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(&owner, approve).unwrap();
        w.contribute(&alice, id, 1, 10).unwrap();
        w.exec(
            &owner,
            ExecuteMsg::SetContributorApproval {
                datanet_id: id,
                contributor: alice.to_string(),
                approved: false,
            },
        )
        .unwrap();
        assert_eq!(
            w.contribute(&alice, id, 2, 10).unwrap_err(),
            ContractError::NotAllowedToContribute {}
        );
        // the owner may always contribute
        w.contribute(&owner, id, 3, 10).unwrap();
    }
}

mod versions {
    use super::*;

    #[test]
    fn leaf_indexes_rebuild_the_root_when_reviews_come_out_of_order() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (owner, alice, bob) = (w.owner.clone(), w.alice.clone(), w.bob.clone());
        let c1 = w.contribute(&alice, id, 1, 10).unwrap();
        let c2 = w.contribute(&bob, id, 2, 10).unwrap();
        let c3 = w.contribute(&alice, id, 3, 10).unwrap();
        let c4 = w.contribute(&bob, id, 4, 10).unwrap();
        // accepted in the order 3, 1, 4; 2 rejected
        w.review(&owner, c3, true, 9_000).unwrap();
        w.review(&owner, c2, false, 0).unwrap();
        w.review(&owner, c1, true, 9_000).unwrap();
        w.review(&owner, c4, true, 9_000).unwrap();
        let fee: FeeResponse = w.q(QueryMsg::PublishFee { datanet_id: id });
        w.send(
            &owner,
            fee.fee.u128(),
            ReceiveMsg::Publish { datanet_id: id },
        )
        .unwrap();
        let rows: ContributionsResponse = w.q(QueryMsg::ListContributions {
            datanet_id: id,
            start_after: None,
            limit: None,
        });
        let index: Vec<Option<u64>> = rows.contributions.iter().map(|c| c.leaf_index).collect();
        assert_eq!(index, [Some(1), None, Some(0), Some(2)]);
        let mut accepted: Vec<&ContributionInfo> = rows
            .contributions
            .iter()
            .filter(|c| c.leaf_index.is_some())
            .collect();
        let by_id: Vec<[u8; 32]> = accepted
            .iter()
            .map(|c| c.content_hash.to_array().unwrap())
            .collect();
        accepted.sort_by_key(|c| c.leaf_index);
        let leaves: Vec<[u8; 32]> = accepted
            .iter()
            .map(|c| c.content_hash.to_array().unwrap())
            .collect();
        let v1: VersionInfo = w.q(QueryMsg::Version {
            datanet_id: id,
            version: 1,
        });
        assert_eq!(v1.merkle_root, merkle_root(&leaves));
        assert_ne!(
            v1.merkle_root,
            merkle_root(&by_id),
            "id order is not the tree's order"
        );
    }

    #[test]
    fn publish_and_new_version() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (owner, alice, bob) = (w.owner.clone(), w.alice.clone(), w.bob.clone());
        // nothing accepted yet
        assert_eq!(
            w.send(&owner, 100, ReceiveMsg::Publish { datanet_id: id })
                .unwrap_err(),
            ContractError::NothingToVersion {}
        );
        let c1 = w.contribute(&alice, id, 1, 2_048).unwrap();
        let c2 = w.contribute(&bob, id, 2, 1).unwrap();
        w.review(&owner, c1, true, 8_000).unwrap();
        w.review(&owner, c2, true, 6_000).unwrap();
        let fee: FeeResponse = w.q(QueryMsg::PublishFee { datanet_id: id });
        assert_eq!(fee.fee, Uint128::new(100 + 10 * 3)); // ceil(2049/1024) = 3 KiB
        assert_eq!(
            w.send(&owner, 129, ReceiveMsg::Publish { datanet_id: id })
                .unwrap_err(),
            ContractError::WrongFee {
                expected: Uint128::new(130),
                received: Uint128::new(129)
            }
        );
        assert_eq!(
            w.send(&alice, 130, ReceiveMsg::Publish { datanet_id: id })
                .unwrap_err(),
            ContractError::Unauthorized {}
        );
        assert_eq!(
            w.send(&owner, 130, ReceiveMsg::NewVersion { datanet_id: id })
                .unwrap_err(),
            ContractError::NotPublished {}
        );
        w.send(&owner, 130, ReceiveMsg::Publish { datanet_id: id })
            .unwrap();
        assert_eq!(w.balance(&w.collector.clone()), 130);
        assert_eq!(
            w.send(&owner, 130, ReceiveMsg::Publish { datanet_id: id })
                .unwrap_err(),
            ContractError::AlreadyPublished {}
        );

        let v1: VersionInfo = w.q(QueryMsg::Version {
            datanet_id: id,
            version: 1,
        });
        let leaves: Vec<[u8; 32]> = [1u32, 2].iter().map(|i| sha256(&i.to_be_bytes())).collect();
        assert_eq!(v1.merkle_root, merkle_root(&leaves));
        assert_eq!((v1.leaf_count, v1.total_weight), (2, Uint128::new(14_000)));
        let dn: DatanetInfo = w.q(QueryMsg::Datanet { datanet_id: id });
        assert_eq!(
            (dn.status, dn.version, dn.pending_count),
            (DatanetStatus::Published, 1, 0)
        );
        assert_eq!(
            w.send(&owner, 100, ReceiveMsg::NewVersion { datanet_id: id })
                .unwrap_err(),
            ContractError::NothingToVersion {}
        );

        // version 2 adds a row by alice; version 1 shares are unchanged
        let c3 = w.contribute(&alice, id, 3, 100).unwrap();
        w.review(&owner, c3, true, 10_000).unwrap();
        let s: ContributorShareResponse = w.q(QueryMsg::ContributorShare {
            datanet_id: id,
            version: 1,
            contributor: alice.to_string(),
        });
        assert_eq!(
            (s.weight, s.total_weight, s.reward_multiplier_bps),
            (Uint128::new(8_000), Uint128::new(14_000), 10_000)
        );
        w.send(&owner, 110, ReceiveMsg::NewVersion { datanet_id: id })
            .unwrap();
        let s: ContributorShareResponse = w.q(QueryMsg::ContributorShare {
            datanet_id: id,
            version: 2,
            contributor: alice.to_string(),
        });
        assert_eq!(
            (s.weight, s.total_weight),
            (Uint128::new(18_000), Uint128::new(24_000))
        );
        let s: ContributorShareResponse = w.q(QueryMsg::ContributorShare {
            datanet_id: id,
            version: 2,
            contributor: bob.to_string(),
        });
        assert_eq!(s.weight, Uint128::new(6_000));
        let v2: VersionInfo = w.q(QueryMsg::Version {
            datanet_id: id,
            version: 2,
        });
        let leaves: Vec<[u8; 32]> = [1u32, 2, 3]
            .iter()
            .map(|i| sha256(&i.to_be_bytes()))
            .collect();
        assert_eq!(v2.merkle_root, merkle_root(&leaves));
        let vs: VersionsResponse = w.q(QueryMsg::ListVersions {
            datanet_id: id,
            start_after: None,
            limit: None,
        });
        assert_eq!(vs.versions.len(), 2);
        let c: ContributionInfo = w.q(QueryMsg::Contribution {
            contribution_id: c3,
        });
        assert_eq!(c.version, Some(2));
    }

    #[test]
    fn wrong_token_rejected() {
        let mut w = setup();
        let cw20_id = w.app.store_code(contract_cw20());
        let owner = w.owner.clone();
        let fake = w
            .app
            .instantiate_contract(
                cw20_id,
                owner.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: "Fake".into(),
                    symbol: "FAKE".into(),
                    decimals: 6,
                    initial_balances: vec![Cw20Coin {
                        address: owner.to_string(),
                        amount: Uint128::new(1_000),
                    }],
                    mint: None,
                    marketing: None,
                },
                &[],
                "fake",
                None,
            )
            .unwrap();
        let id = w.create(ContributionPolicy::Open);
        let err: ContractError = w
            .app
            .execute_contract(
                owner,
                fake,
                &Cw20ExecuteMsg::Send {
                    contract: w.reg.to_string(),
                    amount: Uint128::new(100),
                    msg: to_json_binary(&ReceiveMsg::Bond { datanet_id: id }).unwrap(),
                },
                &[],
            )
            .unwrap_err()
            .downcast()
            .unwrap();
        assert_eq!(err, ContractError::WrongToken {});
    }
}

mod bonds {
    use super::*;

    #[test]
    fn bond_unbond_claim_slash() {
        let mut p = params();
        p.min_contributor_bond = Uint128::new(500);
        let mut w = setup_with(p);
        let id = w.create(ContributionPolicy::Open);
        let (gov, alice) = (w.gov.clone(), w.alice.clone());
        assert_eq!(
            w.contribute(&alice, id, 1, 10).unwrap_err(),
            ContractError::InsufficientBond {
                required: Uint128::new(500),
                bonded: Uint128::zero()
            }
        );
        assert!(matches!(
            w.send(&alice, 0, ReceiveMsg::Bond { datanet_id: id })
                .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        w.send(&alice, 1_000, ReceiveMsg::Bond { datanet_id: id })
            .unwrap();
        w.contribute(&alice, id, 1, 10).unwrap();

        assert!(matches!(
            w.exec(
                &alice,
                ExecuteMsg::Unbond {
                    datanet_id: id,
                    amount: Uint128::new(1_001)
                }
            )
            .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        w.exec(
            &alice,
            ExecuteMsg::Unbond {
                datanet_id: id,
                amount: Uint128::new(600),
            },
        )
        .unwrap();
        assert!(matches!(
            w.contribute(&alice, id, 2, 10).unwrap_err(),
            ContractError::InsufficientBond { .. }
        ));
        assert_eq!(
            w.exec(&alice, ExecuteMsg::ClaimUnbonded { datanet_id: id })
                .unwrap_err(),
            ContractError::StillUnbonding {}
        );

        // governance slashes 50 % of bonded + unbonding (1000) = 500: 400 from bonded, 100 from unbonding
        let slash = ExecuteMsg::Slash {
            datanet_id: id,
            contributor: alice.to_string(),
            fraction_bps: 5_000,
            penalty_points: 10,
            reason: "spam".into(),
        };
        assert_eq!(
            w.exec(&alice, slash.clone()).unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(&gov, slash).unwrap();
        let b: BondResponse = w.q(QueryMsg::Bond {
            datanet_id: id,
            contributor: alice.to_string(),
        });
        assert_eq!(
            (b.bonded, b.unbonding),
            (Uint128::zero(), Uint128::new(500))
        );
        assert_eq!(w.balance(&w.collector.clone()), 500);
        let pen: PenaltyResponse = w.q(QueryMsg::Penalty {
            contributor: alice.to_string(),
        });
        assert_eq!((pen.score, pen.reward_multiplier_bps), (10, 5_000));

        w.app.update_block(|b| b.time = b.time.plus_seconds(1_000));
        let before = w.balance(&alice);
        w.exec(&alice, ExecuteMsg::ClaimUnbonded { datanet_id: id })
            .unwrap();
        assert_eq!(w.balance(&alice), before + 500);
        assert_eq!(
            w.exec(&alice, ExecuteMsg::ClaimUnbonded { datanet_id: id })
                .unwrap_err(),
            ContractError::NothingToClaim {}
        );
    }
}

mod access {
    use super::*;

    #[test]
    fn request_grant_expire_revoke() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (owner, alice, bob, gov) = (
            w.owner.clone(),
            w.alice.clone(),
            w.bob.clone(),
            w.gov.clone(),
        );
        let a: AccessResponse = w.q(QueryMsg::Access {
            datanet_id: id,
            grantee: owner.to_string(),
        });
        assert!(a.has_access);
        w.exec(
            &alice,
            ExecuteMsg::RequestAccess {
                datanet_id: id,
                purpose: "fine-tune a LoRA".into(),
            },
        )
        .unwrap();
        let a: AccessResponse = w.q(QueryMsg::Access {
            datanet_id: id,
            grantee: alice.to_string(),
        });
        assert_eq!(
            (a.status, a.has_access),
            (Some(AccessStatus::Requested), false)
        );
        let now = w.app.block_info().time.seconds();
        let grant = ExecuteMsg::GrantAccess {
            datanet_id: id,
            grantee: alice.to_string(),
            expires_at: Some(now + 100),
        };
        assert_eq!(
            w.exec(&bob, grant.clone()).unwrap_err(),
            ContractError::Unauthorized {}
        );
        assert!(matches!(
            w.exec(
                &owner,
                ExecuteMsg::GrantAccess {
                    datanet_id: id,
                    grantee: alice.to_string(),
                    expires_at: Some(now)
                }
            )
            .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        w.exec(&owner, grant).unwrap();
        let a: AccessResponse = w.q(QueryMsg::Access {
            datanet_id: id,
            grantee: alice.to_string(),
        });
        assert!(a.has_access);
        assert_eq!(a.purpose.as_deref(), Some("fine-tune a LoRA"));
        assert!(matches!(
            w.exec(
                &alice,
                ExecuteMsg::RequestAccess {
                    datanet_id: id,
                    purpose: "again".into()
                }
            )
            .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        w.app.update_block(|b| b.time = b.time.plus_seconds(100));
        let a: AccessResponse = w.q(QueryMsg::Access {
            datanet_id: id,
            grantee: alice.to_string(),
        });
        assert!(!a.has_access);
        // governance can grant too, and revoke
        w.exec(
            &gov,
            ExecuteMsg::GrantAccess {
                datanet_id: id,
                grantee: bob.to_string(),
                expires_at: None,
            },
        )
        .unwrap();
        assert_eq!(
            w.exec(
                &alice,
                ExecuteMsg::RevokeAccess {
                    datanet_id: id,
                    grantee: bob.to_string()
                }
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(
            &owner,
            ExecuteMsg::RevokeAccess {
                datanet_id: id,
                grantee: bob.to_string(),
            },
        )
        .unwrap();
        let a: AccessResponse = w.q(QueryMsg::Access {
            datanet_id: id,
            grantee: bob.to_string(),
        });
        assert_eq!(
            (a.status, a.has_access),
            (Some(AccessStatus::Revoked), false)
        );
    }
}

mod admin {
    use super::*;

    #[test]
    fn governance_only() {
        let mut w = setup();
        let (gov, alice) = (w.gov.clone(), w.alice.clone());
        let mut p = params();
        p.base_fee = Uint128::new(7);
        assert_eq!(
            w.exec(&alice, ExecuteMsg::UpdateParams { params: p.clone() })
                .unwrap_err(),
            ContractError::Unauthorized {}
        );
        let mut bad = p.clone();
        bad.penalized_reward_bps = 10_001;
        assert!(matches!(
            w.exec(&gov, ExecuteMsg::UpdateParams { params: bad })
                .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
        w.exec(&gov, ExecuteMsg::UpdateParams { params: p })
            .unwrap();
        let c: ConfigResponse = w.q(QueryMsg::Config {});
        assert_eq!(c.params.base_fee, Uint128::new(7));
        assert_eq!(
            w.exec(
                &alice,
                ExecuteMsg::UpdateGovernance {
                    governance: alice.to_string()
                }
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(
            &gov,
            ExecuteMsg::UpdateGovernance {
                governance: alice.to_string(),
            },
        )
        .unwrap();
        let c: ConfigResponse = w.q(QueryMsg::Config {});
        assert_eq!(c.governance, alice);
    }
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
        ExecuteMsg::RequestToContribute { datanet_id: 1 },
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Payment(_)), "{err:?}");
}

mod fee_collector {
    use super::*;

    #[test]
    fn governance_moves_the_fee_collector() {
        let mut w = setup();
        let (gov, alice) = (w.gov.clone(), w.alice.clone());
        let upd = ExecuteMsg::UpdateFeeCollector {
            fee_collector: alice.to_string(),
        };
        assert_eq!(
            w.exec(&alice, upd.clone()).unwrap_err(),
            ContractError::Unauthorized {}
        );
        w.exec(&gov, upd).unwrap();
        let c: ConfigResponse = w.q(QueryMsg::Config {});
        assert_eq!(c.fee_collector, alice);
    }
}

mod payees {
    use super::*;

    fn payees(w: &World, datanet_id: u64, version: u32, ids: &[u64]) -> Vec<ContributionPayee> {
        let r: ContributionPayeesResponse = w.q(QueryMsg::ContributionPayees {
            datanet_id,
            version,
            contribution_ids: ids.to_vec(),
        });
        r.payees
    }

    fn payee(id: u64, who: Option<&Addr>, mult: u64) -> ContributionPayee {
        ContributionPayee {
            contribution_id: id,
            contributor: who.cloned(),
            reward_multiplier_bps: mult,
        }
    }

    #[test]
    fn contribution_payees_name_accepted_rows_of_the_version() {
        let mut w = setup();
        let (owner, alice, bob, gov) = (
            w.owner.clone(),
            w.alice.clone(),
            w.bob.clone(),
            w.gov.clone(),
        );
        let id = w.create(ContributionPolicy::Open);
        let other = w.create(ContributionPolicy::Open);
        let a1 = w.contribute(&alice, id, 1, 10).unwrap();
        let b1 = w.contribute(&bob, id, 2, 10).unwrap();
        let rejected = w.contribute(&alice, id, 3, 10).unwrap();
        let pending = w.contribute(&bob, id, 4, 10).unwrap();
        let elsewhere = w.contribute(&alice, other, 5, 10).unwrap();
        w.review(&owner, a1, true, 8_000).unwrap();
        w.review(&owner, b1, true, 6_000).unwrap();
        w.review(&owner, rejected, false, 9_000).unwrap();
        w.review(&owner, elsewhere, true, 9_000).unwrap();
        let fee: FeeResponse = w.q(QueryMsg::PublishFee { datanet_id: id });
        w.send(
            &owner,
            fee.fee.u128(),
            ReceiveMsg::Publish { datanet_id: id },
        )
        .unwrap();
        let fee: FeeResponse = w.q(QueryMsg::PublishFee { datanet_id: other });
        w.send(
            &owner,
            fee.fee.u128(),
            ReceiveMsg::Publish { datanet_id: other },
        )
        .unwrap();
        // accepted after version 1: first in version 2
        let late = w.contribute(&alice, id, 6, 10).unwrap();
        w.review(&owner, late, true, 7_000).unwrap();

        // answers in the order asked; only accepted rows of Datanet `id` up to version 1
        assert_eq!(
            payees(
                &w,
                id,
                1,
                &[b1, a1, rejected, pending, elsewhere, late, 999, a1]
            ),
            vec![
                payee(b1, Some(&bob), 10_000),
                payee(a1, Some(&alice), 10_000),
                payee(rejected, None, 0),
                payee(pending, None, 0),
                payee(elsewhere, None, 0),
                payee(late, None, 0),
                payee(999, None, 0),
                payee(a1, Some(&alice), 10_000),
            ]
        );
        assert_eq!(
            payees(&w, other, 1, &[elsewhere, a1]),
            vec![payee(elsewhere, Some(&alice), 10_000), payee(a1, None, 0)]
        );
        assert!(payees(&w, id, 1, &[]).is_empty());

        // a penalised contributor's multiplier is the one ContributorShare reports
        w.exec(
            &gov,
            ExecuteMsg::Slash {
                datanet_id: id,
                contributor: bob.to_string(),
                fraction_bps: 0,
                penalty_points: 10,
                reason: "spam".into(),
            },
        )
        .unwrap();
        let share: ContributorShareResponse = w.q(QueryMsg::ContributorShare {
            datanet_id: id,
            version: 1,
            contributor: bob.to_string(),
        });
        assert_eq!(share.reward_multiplier_bps, 5_000);
        assert_eq!(payees(&w, id, 1, &[b1]), vec![payee(b1, Some(&bob), 5_000)]);

        // version 2 includes the late row (and keeps the old ones)
        let fee: FeeResponse = w.q(QueryMsg::PublishFee { datanet_id: id });
        w.send(
            &owner,
            fee.fee.u128(),
            ReceiveMsg::NewVersion { datanet_id: id },
        )
        .unwrap();
        assert_eq!(
            payees(&w, id, 2, &[late, a1]),
            vec![
                payee(late, Some(&alice), 10_000),
                payee(a1, Some(&alice), 10_000)
            ]
        );

        // unknown versions and too many ids are errors
        for (datanet_id, version, n) in [(id, 3u32, 1usize), (77, 1, 1), (id, 0, 1)] {
            let err = w
                .app
                .wrap()
                .query_wasm_smart::<ContributionPayeesResponse>(
                    &w.reg,
                    &QueryMsg::ContributionPayees {
                        datanet_id,
                        version,
                        contribution_ids: vec![a1; n],
                    },
                )
                .unwrap_err();
            assert!(err.to_string().contains("not found"), "{err}");
        }
        assert_eq!(
            payees(&w, id, 1, &vec![a1; MAX_PAYEE_IDS]).len(),
            MAX_PAYEE_IDS
        );
        let err = w
            .app
            .wrap()
            .query_wasm_smart::<ContributionPayeesResponse>(
                &w.reg,
                &QueryMsg::ContributionPayees {
                    datanet_id: id,
                    version: 1,
                    contribution_ids: vec![a1; MAX_PAYEE_IDS + 1],
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("at most 256"), "{err}");
    }
}

/// Regression (message fuzzer, attester registry; same pattern here): an unbounded
/// `bond_unbonding_seconds` would make every `Unbond` panic in `Timestamp::plus_seconds`, and
/// declared sizes near u64::MAX overflowed the per-Datanet byte totals; both bounds are refused at
/// instantiation and in `UpdateParams`, and the largest allowed values work.
#[test]
fn params_past_their_bounds_are_refused() {
    let mut w = setup();
    let gov = w.gov.clone();
    let mut big = params();
    big.max_contribution_bytes = u64::MAX;
    assert!(matches!(
        w.exec(&gov, ExecuteMsg::UpdateParams { params: big })
            .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    let mut p = params();
    p.bond_unbonding_seconds = u64::MAX;
    assert!(matches!(
        w.exec(&gov, ExecuteMsg::UpdateParams { params: p.clone() })
            .unwrap_err(),
        ContractError::InvalidInput { .. }
    ));
    let id = w.app.store_code(contract_registry());
    let err: ContractError = w
        .app
        .instantiate_contract(
            id,
            gov.clone(),
            &InstantiateMsg {
                governance: gov.to_string(),
                open_token: w.token.to_string(),
                fee_collector: w.collector.to_string(),
                params: p,
            },
            &[],
            "datanets2",
            None,
        )
        .unwrap_err()
        .downcast()
        .unwrap();
    assert!(matches!(err, ContractError::InvalidInput { .. }), "{err:?}");
    // at the bounds: a 1 TiB row within u64::MAX daily limits, then a bond unbonding for 100 years
    let mut edge = params();
    edge.max_contribution_bytes = crate::contract::MAX_CONTRIBUTION_BYTES;
    edge.daily_bytes_per_user = u64::MAX;
    edge.daily_bytes_per_datanet = u64::MAX;
    edge.bond_unbonding_seconds = openledger_types::MAX_DURATION_SECONDS;
    w.exec(&gov, ExecuteMsg::UpdateParams { params: edge })
        .unwrap();
    let id = w.create(ContributionPolicy::Open);
    let alice = w.alice.clone();
    w.contribute(&alice, id, 1, crate::contract::MAX_CONTRIBUTION_BYTES)
        .unwrap();
    w.send(&alice, 10, ReceiveMsg::Bond { datanet_id: id })
        .unwrap();
    w.exec(
        &alice,
        ExecuteMsg::Unbond {
            datanet_id: id,
            amount: Uint128::new(10),
        },
    )
    .unwrap();
}

/// Regression (message fuzzer): penalty points were added with a panicking `+`; the score now
/// saturates at u64::MAX (fully penalised).
#[test]
fn penalty_score_saturates() {
    let mut w = setup();
    let id = w.create(ContributionPolicy::Open);
    let (gov, alice) = (w.gov.clone(), w.alice.clone());
    let slash = |points: u64| ExecuteMsg::Slash {
        datanet_id: id,
        contributor: alice.to_string(),
        fraction_bps: 0,
        penalty_points: points,
        reason: "spam".into(),
    };
    w.exec(&gov, slash(u64::MAX - 1)).unwrap();
    w.exec(&gov, slash(u64::MAX)).unwrap();
    let p: PenaltyResponse = w.q(QueryMsg::Penalty {
        contributor: alice.to_string(),
    });
    assert_eq!(p.score, u64::MAX);
    assert_eq!(p.reward_multiplier_bps, params().penalized_reward_bps);
}

/// `ContributeRows`: a file split into rows, registered in batches; the file counts once a day.
mod rows {
    use super::*;

    /// A file whose sha256 is `h(1_000_000 + n)`.
    fn file(n: u32, size: u64) -> UploadFile {
        UploadFile {
            name: format!("file{n}.jsonl"),
            sha256: h(1_000_000 + n),
            size,
        }
    }

    fn row(i: u32, size: u64) -> RowUpload {
        RowUpload {
            content_hash: h(i),
            size,
            uri: format!("ipfs://row{i}"),
        }
    }

    fn attr<'a>(res: &'a AppResponse, key: &str) -> Vec<&'a str> {
        res.events
            .iter()
            .filter(|e| e.ty == "wasm")
            .flat_map(|e| &e.attributes)
            .filter(|a| a.key == key)
            .map(|a| a.value.as_str())
            .collect()
    }

    impl World {
        fn rows_msg(
            &mut self,
            who: &Addr,
            datanet_id: u64,
            file: UploadFile,
            rows: Vec<RowUpload>,
        ) -> Result<AppResponse, ContractError> {
            self.exec(
                who,
                ExecuteMsg::ContributeRows {
                    datanet_id,
                    file,
                    rows,
                    license: "CC-BY-4.0".into(),
                },
            )
        }
        /// Registers rows `is` (each `size` bytes) of `file`; returns their contribution ids.
        fn rows(
            &mut self,
            who: &Addr,
            datanet_id: u64,
            file: UploadFile,
            is: impl IntoIterator<Item = u32>,
            size: u64,
        ) -> Result<Vec<u64>, ContractError> {
            let rows = is.into_iter().map(|i| row(i, size)).collect();
            let res = self.rows_msg(who, datanet_id, file, rows)?;
            Ok(attr(&res, "contribution_id")
                .into_iter()
                .map(|v| v.parse().unwrap())
                .collect())
        }
        fn quota(&self, datanet_id: u64, who: &Addr) -> QuotaResponse {
            self.q(QueryMsg::Quota {
                datanet_id,
                contributor: who.to_string(),
            })
        }
        fn progress(&self, datanet_id: u64, who: &Addr, file: &UploadFile) -> u64 {
            let r: FileProgressResponse = self.q(QueryMsg::FileProgress {
                datanet_id,
                contributor: who.to_string(),
                sha256: file.sha256.clone(),
            });
            r.bytes
        }
        fn by_hash(&self, datanet_id: u64, is: &[u32]) -> Vec<Option<u64>> {
            let r: ContributionsByHashResponse = self.q(QueryMsg::ContributionsByHash {
                datanet_id,
                content_hashes: is.iter().map(|&i| h(i)).collect(),
            });
            r.ids
        }
    }

    fn row_err(index: usize, error: ContractError) -> ContractError {
        ContractError::Row {
            index,
            error: Box::new(error),
        }
    }

    #[test]
    fn a_batch_registers_each_row() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let alice = w.alice.clone();
        // one row through Contribute first: batch ids continue the sequence
        w.contribute(&alice, id, 99, 10).unwrap();
        let f = file(1, 1_000);
        let rows = vec![row(1, 100), row(2, 200), row(3, 300)];
        let res = w.rows_msg(&alice, id, f.clone(), rows.clone()).unwrap();
        assert_eq!(attr(&res, "action"), ["contribute_rows"]);
        assert_eq!(attr(&res, "rows"), ["3"]);
        assert_eq!(attr(&res, "bytes"), ["600"]);
        assert_eq!(attr(&res, "file_sha256"), [f.sha256.to_hex().as_str()]);
        assert_eq!(attr(&res, "first_contribution_id"), ["2"]);
        assert_eq!(attr(&res, "last_contribution_id"), ["4"]);
        assert_eq!(attr(&res, "contribution_id"), ["2", "3", "4"]);
        for (r, cid) in rows.iter().zip(2u64..) {
            let c: ContributionInfo = w.q(QueryMsg::Contribution {
                contribution_id: cid,
            });
            assert_eq!(c.datanet_id, id);
            assert_eq!(c.contributor, alice);
            assert_eq!(c.content_hash, r.content_hash);
            assert_eq!(c.size, r.size);
            assert_eq!(c.uri, r.uri);
            assert_eq!(c.license, "CC-BY-4.0");
            assert_eq!(c.status, ContributionStatus::Pending);
        }
        assert_eq!(w.progress(id, &alice, &f), 600);
        let st: ContributorStats = w.q(QueryMsg::ContributorStats {
            datanet_id: id,
            contributor: alice.to_string(),
        });
        assert_eq!(st.submitted, 4);
        // ContributionsByHash answers in the order asked, None for unknown hashes
        assert_eq!(
            w.by_hash(id, &[3, 7, 99, 1]),
            [Some(4), None, Some(1), Some(2)]
        );
        // the rows are ordinary contributions: a curator reviews them one by one
        let owner = w.owner.clone();
        w.review(&owner, 3, true, 9_000).unwrap();
        let c: ContributionInfo = w.q(QueryMsg::Contribution { contribution_id: 3 });
        assert_eq!(c.status, ContributionStatus::Accepted);
    }

    #[test]
    fn a_file_counts_once_a_day_across_batches() {
        let mut p = params();
        p.daily_files_per_user = 2;
        let mut w = setup_with(p);
        let id = w.create(ContributionPolicy::Open);
        let alice = w.alice.clone();
        let (a, b, c) = (file(1, 10_000), file(2, 10_000), file(3, 10_000));
        w.rows(&alice, id, a.clone(), 1..=5, 100).unwrap();
        w.rows(&alice, id, a.clone(), 6..=10, 100).unwrap();
        let q = w.quota(id, &alice);
        assert_eq!(
            (q.user_files, q.user_bytes, q.datanet_bytes),
            (1, 1_000, 1_000)
        );
        w.rows(&alice, id, b.clone(), 11..=12, 100).unwrap();
        assert_eq!(w.quota(id, &alice).user_files, 2);
        // a third file is over the files limit ...
        assert_eq!(
            w.rows(&alice, id, c.clone(), [13], 100).unwrap_err(),
            ContractError::DailyLimitExceeded {
                limit: "files per user".into()
            }
        );
        // ... but more rows of files already counted today are not
        w.rows(&alice, id, a.clone(), [13], 100).unwrap();
        w.rows(&alice, id, b.clone(), [14], 100).unwrap();
        let q = w.quota(id, &alice);
        assert_eq!((q.user_files, q.user_bytes), (2, 1_400));
        assert_eq!(w.progress(id, &alice, &a), 1_100);
        // next day: the same file counts again
        w.app.update_block(|b| b.time = b.time.plus_seconds(86_400));
        w.rows(&alice, id, a.clone(), [15], 100).unwrap();
        let q = w.quota(id, &alice);
        assert_eq!((q.user_files, q.user_bytes), (1, 100));
        w.rows(&alice, id, b, [16], 100).unwrap();
        assert_eq!(
            w.rows(&alice, id, c, [17], 100).unwrap_err(),
            ContractError::DailyLimitExceeded {
                limit: "files per user".into()
            }
        );
        // progress of a file spans days
        assert_eq!(w.progress(id, &alice, &a), 1_200);
    }

    #[test]
    fn byte_limits_refuse_the_whole_batch() {
        let mut p = params();
        p.daily_bytes_per_user = 1_000;
        p.daily_bytes_per_datanet = 1_500;
        let mut w = setup_with(p);
        let id = w.create(ContributionPolicy::Open);
        let (alice, bob) = (w.alice.clone(), w.bob.clone());
        let f = file(1, 5_000);
        w.rows(&alice, id, f.clone(), 1..=4, 200).unwrap();
        // 800 + 3 × 100 > 1 000 per user
        assert_eq!(
            w.rows(&alice, id, f.clone(), 5..=7, 100).unwrap_err(),
            ContractError::DailyLimitExceeded {
                limit: "bytes per user".into()
            }
        );
        // nothing of the refused batch was recorded
        assert_eq!(w.by_hash(id, &[5, 6, 7]), [None, None, None]);
        assert_eq!(w.progress(id, &alice, &f), 800);
        let q = w.quota(id, &alice);
        assert_eq!((q.user_bytes, q.user_files, q.datanet_bytes), (800, 1, 800));
        let l: ContributionsResponse = w.q(QueryMsg::ListContributions {
            datanet_id: id,
            start_after: None,
            limit: Some(30),
        });
        assert_eq!(l.contributions.len(), 4);
        // exactly up to the limit is fine
        w.rows(&alice, id, f, 5..=6, 100).unwrap();
        // 1 000 + 600 > 1 500 per Datanet
        let g = file(2, 5_000);
        assert_eq!(
            w.rows(&bob, id, g.clone(), 20..=22, 200).unwrap_err(),
            ContractError::DailyLimitExceeded {
                limit: "bytes per datanet".into()
            }
        );
        assert_eq!(w.quota(id, &bob).user_files, 0);
        assert_eq!(w.progress(id, &bob, &g), 0);
        w.rows(&bob, id, g, 20..=24, 100).unwrap();
        assert_eq!(w.quota(id, &bob).datanet_bytes, 1_500);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (alice, bob) = (w.alice.clone(), w.bob.clone());
        w.contribute(&alice, id, 1, 10).unwrap();
        let f = file(1, 1_000);
        // repeated within the batch
        assert_eq!(
            w.rows_msg(&alice, id, f.clone(), vec![row(2, 1), row(3, 1), row(2, 1)])
                .unwrap_err(),
            row_err(2, ContractError::DuplicateInBatch { first: 0 })
        );
        // already in the Datanet (another contributor's row, too)
        assert_eq!(
            w.rows(&bob, id, f.clone(), [2, 1], 1).unwrap_err(),
            row_err(1, ContractError::DuplicateContent {})
        );
        w.rows(&alice, id, f.clone(), [2, 3], 1).unwrap();
        assert_eq!(
            w.rows(&alice, id, f.clone(), [4, 3], 1).unwrap_err(),
            row_err(1, ContractError::DuplicateContent {})
        );
        // the same content in another Datanet is a new row
        let other = w.create(ContributionPolicy::Open);
        let g = file(2, 1_000);
        assert_eq!(w.rows(&alice, other, g, [1, 2, 3], 1).unwrap(), [4, 5, 6]);
    }

    #[test]
    fn rows_of_a_file_never_exceed_its_size() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (alice, bob) = (w.alice.clone(), w.bob.clone());
        let f = file(1, 1_000);
        w.rows(&alice, id, f.clone(), 1..=3, 200).unwrap();
        assert_eq!(
            w.rows(&alice, id, f.clone(), 4..=5, 201).unwrap_err(),
            ContractError::FileOverSize {
                name: "file1.jsonl".into(),
                size: 1_000,
                total: 1_002,
            }
        );
        // one batch alone over the size
        let g = file(2, 100);
        assert!(matches!(
            w.rows(&alice, id, g.clone(), [10], 101).unwrap_err(),
            ContractError::FileOverSize { total: 101, .. }
        ));
        assert_eq!(w.progress(id, &alice, &g), 0);
        // filling the file exactly is fine, one more byte is not
        w.rows(&alice, id, f.clone(), 4..=5, 200).unwrap();
        assert_eq!(w.progress(id, &alice, &f), 1_000);
        assert!(matches!(
            w.rows(&alice, id, f.clone(), [6], 1).unwrap_err(),
            ContractError::FileOverSize { .. }
        ));
        // another contributor's progress on the same file is their own
        assert_eq!(w.progress(id, &bob, &f), 0);
        w.rows(&bob, id, f.clone(), [6], 1_000).unwrap();
        // and the same file can go, whole, to another Datanet
        let other = w.create(ContributionPolicy::Open);
        w.rows(&alice, other, f.clone(), 1..=5, 200).unwrap();
        assert_eq!(w.progress(other, &alice, &f), 1_000);
        assert_eq!(w.progress(id, &alice, &f), 1_000);

        // the file itself: size 1..=max_contribution_bytes, a 32-byte hash, a name
        let max = params().max_contribution_bytes;
        for bad in [
            file(3, 0),
            file(3, max + 1),
            UploadFile {
                sha256: HexBinary::from(vec![1u8; 31]),
                ..file(3, 10)
            },
            UploadFile {
                name: String::new(),
                ..file(3, 10)
            },
            UploadFile {
                name: "x".repeat(257),
                ..file(3, 10)
            },
        ] {
            assert!(matches!(
                w.rows(&alice, id, bad, [7], 1).unwrap_err(),
                ContractError::InvalidInput { .. } | ContractError::Std(_)
            ));
        }
        w.rows(&alice, id, file(3, max), [7], 1).unwrap();
    }

    #[test]
    fn batch_size_and_row_checks() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let alice = w.alice.clone();
        let f = file(1, 1_000_000);
        assert_eq!(
            w.rows_msg(&alice, id, f.clone(), vec![]).unwrap_err(),
            ContractError::BatchSize {
                max: MAX_ROWS_PER_BATCH,
                got: 0
            }
        );
        let n = MAX_ROWS_PER_BATCH as u32;
        assert_eq!(
            w.rows(&alice, id, f.clone(), 1..=n + 1, 1).unwrap_err(),
            ContractError::BatchSize {
                max: MAX_ROWS_PER_BATCH,
                got: MAX_ROWS_PER_BATCH + 1
            }
        );
        // per-row checks name the row
        let bad_rows = [
            RowUpload {
                content_hash: HexBinary::from(vec![0u8; 20]),
                ..row(1, 1)
            },
            RowUpload {
                uri: String::new(),
                ..row(1, 1)
            },
            RowUpload {
                uri: "x".repeat(513),
                ..row(1, 1)
            },
            row(1, 0),
        ];
        for bad in bad_rows {
            let e = w
                .rows_msg(&alice, id, f.clone(), vec![row(2, 1), bad])
                .unwrap_err();
            assert!(matches!(&e, ContractError::Row { index: 1, .. }), "{e:?}");
        }
        let e = w
            .exec(
                &alice,
                ExecuteMsg::ContributeRows {
                    datanet_id: id,
                    file: f.clone(),
                    rows: vec![row(1, 1)],
                    license: String::new(),
                },
            )
            .unwrap_err();
        assert!(matches!(e, ContractError::InvalidInput { .. }));
        assert_eq!(
            w.rows(&alice, 42, f.clone(), [1], 1).unwrap_err(),
            ContractError::DatanetNotFound { id: 42 }
        );
        assert_eq!(w.by_hash(id, &[1, 2]), [None, None]);
        // a full batch goes through
        let ids = w.rows(&alice, id, f, 1..=n, 1).unwrap();
        assert_eq!(ids, (1..=MAX_ROWS_PER_BATCH as u64).collect::<Vec<_>>());
    }

    #[test]
    fn policy_and_bond_are_checked() {
        let mut p = params();
        p.min_contributor_bond = Uint128::new(500);
        let mut w = setup_with(p);
        let open = w.create(ContributionPolicy::Open);
        let approval = w.create(ContributionPolicy::OwnerApproval);
        let (owner, alice) = (w.owner.clone(), w.alice.clone());
        assert_eq!(
            w.rows(&alice, open, file(1, 100), [1], 1).unwrap_err(),
            ContractError::InsufficientBond {
                required: Uint128::new(500),
                bonded: Uint128::zero()
            }
        );
        w.send(&alice, 500, ReceiveMsg::Bond { datanet_id: open })
            .unwrap();
        w.rows(&alice, open, file(1, 100), [1], 1).unwrap();
        w.send(
            &alice,
            500,
            ReceiveMsg::Bond {
                datanet_id: approval,
            },
        )
        .unwrap();
        assert_eq!(
            w.rows(&alice, approval, file(2, 100), [2], 1).unwrap_err(),
            ContractError::NotAllowedToContribute {}
        );
        // the owner needs neither approval nor bond
        w.rows(&owner, approval, file(2, 100), [2], 1).unwrap();
    }

    #[test]
    fn quota_reflects_usage_and_resets_next_day() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let (alice, bob) = (w.alice.clone(), w.bob.clone());
        let p = params();
        let q = w.quota(id, &alice);
        let now = w.app.block_info().time.seconds();
        let day = now / 86_400;
        assert_eq!(
            q,
            QuotaResponse {
                day,
                resets_at: cosmwasm_std::Timestamp::from_seconds((day + 1) * 86_400),
                user_bytes: 0,
                user_files: 0,
                datanet_bytes: 0,
                max_contribution_bytes: p.max_contribution_bytes,
                daily_bytes_per_user: p.daily_bytes_per_user,
                daily_files_per_user: p.daily_files_per_user,
                daily_bytes_per_datanet: p.daily_bytes_per_datanet,
            }
        );
        assert!(q.resets_at.seconds() > now);
        w.rows(&alice, id, file(1, 1_000), 1..=3, 100).unwrap();
        w.contribute(&alice, id, 10, 50).unwrap();
        w.rows(&bob, id, file(1, 1_000), 4..=5, 100).unwrap();
        let q = w.quota(id, &alice);
        assert_eq!((q.user_bytes, q.user_files, q.datanet_bytes), (350, 2, 550));
        let q = w.quota(id, &bob);
        assert_eq!((q.user_bytes, q.user_files, q.datanet_bytes), (200, 1, 550));
        // another Datanet: the user's counters are global, the Datanet's its own
        let other = w.create(ContributionPolicy::Open);
        let q = w.quota(other, &alice);
        assert_eq!((q.user_bytes, q.user_files, q.datanet_bytes), (350, 2, 0));
        // UploadUsage agrees
        let u: UploadUsageResponse = w.q(QueryMsg::UploadUsage {
            address: alice.to_string(),
            datanet_id: id,
        });
        assert_eq!((u.user_bytes, u.user_files, u.datanet_bytes), (350, 2, 550));
        // at resets_at the counters are back to zero
        let resets_at = q.resets_at;
        w.app.update_block(|b| b.time = resets_at);
        let q = w.quota(id, &alice);
        assert_eq!(
            (q.day, q.user_bytes, q.user_files, q.datanet_bytes),
            (day + 1, 0, 0, 0)
        );
        assert_eq!(q.resets_at.seconds(), (day + 2) * 86_400);
        // unknown Datanet or bad address: errors
        let wrap = w.app.wrap();
        assert!(wrap
            .query_wasm_smart::<QuotaResponse>(
                &w.reg,
                &QueryMsg::Quota {
                    datanet_id: 42,
                    contributor: alice.to_string()
                }
            )
            .is_err());
        assert!(wrap
            .query_wasm_smart::<QuotaResponse>(
                &w.reg,
                &QueryMsg::Quota {
                    datanet_id: id,
                    contributor: "not an address".into()
                }
            )
            .is_err());
    }

    #[test]
    fn contributions_by_hash_bounds() {
        let mut w = setup();
        let id = w.create(ContributionPolicy::Open);
        let alice = w.alice.clone();
        w.contribute(&alice, id, 1, 10).unwrap();
        let n = MAX_ROWS_PER_BATCH as u32;
        let all: Vec<u32> = (1..=n).collect();
        let ids = w.by_hash(id, &all);
        assert_eq!(ids.len(), MAX_ROWS_PER_BATCH);
        assert_eq!(ids[0], Some(1));
        assert!(ids[1..].iter().all(Option::is_none));
        assert_eq!(w.by_hash(id, &[]), Vec::<Option<u64>>::new());
        // another Datanet does not see the row
        assert_eq!(w.by_hash(id + 1, &[1]), [None]);
        let wrap = w.app.wrap();
        let ask = |hashes: Vec<HexBinary>| {
            wrap.query_wasm_smart::<ContributionsByHashResponse>(
                &w.reg,
                &QueryMsg::ContributionsByHash {
                    datanet_id: id,
                    content_hashes: hashes,
                },
            )
        };
        assert!(ask((1..=n + 1).map(h).collect()).is_err());
        assert!(ask(vec![h(1), HexBinary::from(vec![1u8; 33])]).is_err());
        // FileProgress refuses a hash that is not 32 bytes
        assert!(wrap
            .query_wasm_smart::<FileProgressResponse>(
                &w.reg,
                &QueryMsg::FileProgress {
                    datanet_id: 1,
                    contributor: alice.to_string(),
                    sha256: HexBinary::from(vec![1u8; 3]),
                }
            )
            .is_err());
    }

    #[test]
    fn single_contribute_still_counts_one_file_per_call() {
        let mut p = params();
        p.daily_files_per_user = 3;
        let mut w = setup_with(p);
        let id = w.create(ContributionPolicy::Open);
        let alice = w.alice.clone();
        w.contribute(&alice, id, 1, 10).unwrap();
        w.contribute(&alice, id, 2, 10).unwrap();
        let q = w.quota(id, &alice);
        assert_eq!((q.user_files, q.user_bytes), (2, 20));
        // a batch file is one more, and the single calls do not touch file progress
        w.rows(&alice, id, file(1, 100), 3..=6, 10).unwrap();
        assert_eq!(w.quota(id, &alice).user_files, 3);
        assert_eq!(
            w.contribute(&alice, id, 7, 10).unwrap_err(),
            ContractError::DailyLimitExceeded {
                limit: "files per user".into()
            }
        );
        // more rows of the counted file still fit
        w.rows(&alice, id, file(1, 100), [7], 10).unwrap();
        // and the single call's own checks keep their order (duplicates before limits)
        assert_eq!(
            w.contribute(&alice, id, 1, 10).unwrap_err(),
            ContractError::DuplicateContent {}
        );
        w.app.update_block(|b| b.time = b.time.plus_seconds(86_400));
        assert_eq!(
            w.contribute(&alice, id, 1, 10).unwrap_err(),
            ContractError::DuplicateContent {}
        );
        assert!(matches!(
            w.contribute(&alice, id, 8, params().max_contribution_bytes + 1)
                .unwrap_err(),
            ContractError::InvalidInput { .. }
        ));
    }
}

/// cw-multi-test meters no gas, so the gas of a batch is estimated here with the node's own
/// costs (SDK KV gas on every storage access, with the contract's 33-byte key prefix; wasm event
/// attribute costs; the instance cost; 10 gas per tx byte). Wasm execution gas is not counted.
mod gas {
    use super::*;
    use std::cell::Cell;
    use std::marker::PhantomData;

    use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier, MockStorage};
    use cosmwasm_std::{to_json_vec, Order, OwnedDeps, Record, Storage};

    const READ_FLAT: u64 = 1_000;
    const READ_PER_BYTE: u64 = 3;
    const WRITE_FLAT: u64 = 2_000;
    const WRITE_PER_BYTE: u64 = 30;
    const ITER_NEXT_FLAT: u64 = 30;
    const DELETE: u64 = 1_000;
    /// 1 + a 32-byte contract address, counted in every key.
    const PREFIX: usize = 33;
    const INSTANCE: u64 = 60_000;
    const PER_ATTRIBUTE: u64 = 10;
    const ATTRIBUTE_FREE_BYTES: u64 = 100;
    const TX_SIZE_PER_BYTE: u64 = 10;
    /// Signer, signature, fee and envelope of a tx around the contract message.
    const TX_OVERHEAD_BYTES: u64 = 400;
    const BLOCK_MAX_GAS: u64 = 30_000_000;

    #[derive(Default)]
    struct Metered {
        inner: MockStorage,
        gas: Cell<u64>,
    }

    impl Metered {
        fn charge(&self, g: u64) {
            self.gas.set(self.gas.get() + g);
        }
    }

    impl Storage for Metered {
        fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
            let v = self.inner.get(key);
            let bytes = PREFIX + key.len() + v.as_ref().map_or(0, Vec::len);
            self.charge(READ_FLAT + READ_PER_BYTE * bytes as u64);
            v
        }
        fn range<'a>(
            &'a self,
            start: Option<&[u8]>,
            end: Option<&[u8]>,
            order: Order,
        ) -> Box<dyn Iterator<Item = Record> + 'a> {
            Box::new(self.inner.range(start, end, order).inspect(|(k, v)| {
                self.charge(ITER_NEXT_FLAT + READ_PER_BYTE * (PREFIX + k.len() + v.len()) as u64)
            }))
        }
        fn set(&mut self, key: &[u8], value: &[u8]) {
            self.charge(WRITE_FLAT + WRITE_PER_BYTE * (PREFIX + key.len() + value.len()) as u64);
            self.inner.set(key, value)
        }
        fn remove(&mut self, key: &[u8]) {
            self.charge(DELETE);
            self.inner.remove(key)
        }
    }

    /// (storage gas, total estimated gas) of one `ContributeRows` of `n` rows by a bonded
    /// non-owner contributor.
    fn batch_gas(n: u32) -> (u64, u64) {
        let mut deps = OwnedDeps {
            storage: Metered::default(),
            api: MockApi::default(),
            querier: MockQuerier::default(),
            custom_query_type: PhantomData::<Empty>,
        };
        let env = mock_env();
        let (gov, owner, alice) = (
            deps.api.addr_make("gov"),
            deps.api.addr_make("owner"),
            deps.api.addr_make("alice"),
        );
        let mut p = params();
        p.min_contributor_bond = Uint128::new(1);
        crate::contract::instantiate(
            deps.as_mut(),
            env.clone(),
            message_info(&gov, &[]),
            InstantiateMsg {
                governance: gov.to_string(),
                open_token: gov.to_string(),
                fee_collector: gov.to_string(),
                params: p,
            },
        )
        .unwrap();
        crate::contract::execute(
            deps.as_mut(),
            env.clone(),
            message_info(&owner, &[]),
            ExecuteMsg::CreateDatanet {
                name: "Solidity audits".into(),
                summary: "s".into(),
                description: "d".into(),
                tags: vec![],
                kind: DatanetKind::Text,
                license: "CC-BY-4.0".into(),
                policy: ContributionPolicy::Open,
                min_validation_score_bps: 5_000,
            },
        )
        .unwrap();
        crate::state::BONDS
            .save(
                &mut deps.storage,
                (1, &alice),
                &crate::state::BondState {
                    bonded: Uint128::new(1),
                    ..Default::default()
                },
            )
            .unwrap();
        let msg = ExecuteMsg::ContributeRows {
            datanet_id: 1,
            file: UploadFile {
                name: "solidity-audits-2024.jsonl".into(),
                sha256: h(u32::MAX),
                size: 5_000_000,
            },
            rows: (0..n)
                .map(|i| RowUpload {
                    content_hash: h(i),
                    size: 2_000,
                    // a CIDv1 (base32, 59 characters)
                    uri: format!(
                        "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenx{i:04}"
                    ),
                })
                .collect(),
            license: "CC-BY-4.0".into(),
        };
        let tx_bytes = to_json_vec(&msg).unwrap().len() as u64 + TX_OVERHEAD_BYTES;
        deps.storage.gas.set(0);
        let res =
            crate::contract::execute(deps.as_mut(), env, message_info(&alice, &[]), msg).unwrap();
        let storage = deps.storage.gas.get();
        let attr_bytes: u64 = res
            .attributes
            .iter()
            .map(|a| (a.key.len() + a.value.len()) as u64)
            .sum();
        let events = attr_bytes.saturating_sub(ATTRIBUTE_FREE_BYTES)
            + PER_ATTRIBUTE * res.attributes.len() as u64;
        (
            storage,
            INSTANCE + storage + events + TX_SIZE_PER_BYTE * tx_bytes,
        )
    }

    #[test]
    fn a_full_batch_fits_well_inside_a_block() {
        let (s1, g1) = batch_gas(1);
        let (sn, gn) = batch_gas(MAX_ROWS_PER_BATCH as u32);
        println!(
            "ContributeRows gas estimate (storage + events + instance + tx size, no wasm \
             execution): 1 row {g1} (storage {s1}), {MAX_ROWS_PER_BATCH} rows {gn} (storage {sn})"
        );
        // A full batch leaves most of a block to other txs.
        assert!(gn < BLOCK_MAX_GAS / 5, "{gn}");
    }
}

/// Schema-driven message fuzzing (see `packages/fuzz-support`): random and mutated-template
/// executes, CW20 hooks (`Publish` / `NewVersion` / `Bond` through the token's `Send`) and
/// queries against a registry with an open, an owner-approval and an allowlist Datanet, rows
/// pending and accepted, one published version and a bonded contributor.
mod fuzz {
    use super::*;
    use fuzz_support::{hex, FuzzWorld, Lane, Vocab};

    fn world(rng: &mut fuzz_support::Rng) -> FuzzWorld {
        let mut p = params();
        if rng.chance(50) {
            p.min_contributor_bond = Uint128::new(500);
        }
        let mut w = setup_with(p.clone());
        let (gov, owner, alice, bob) = (
            w.gov.clone(),
            w.owner.clone(),
            w.alice.clone(),
            w.bob.clone(),
        );
        let gid = w.app.store_code(contract_group());
        let group = w
            .app
            .instantiate_contract(
                gid,
                gov.clone(),
                &cw4_group::msg::InstantiateMsg {
                    admin: None,
                    members: vec![cw4::Member {
                        addr: alice.to_string(),
                        weight: 1,
                    }],
                },
                &[],
                "allow",
                None,
            )
            .unwrap();
        let open = w.create(ContributionPolicy::Open);
        let approval = w.create(ContributionPolicy::OwnerApproval);
        let allow = w.create(ContributionPolicy::Allowlist {
            group: group.to_string(),
        });
        for who in [&alice, &bob] {
            w.send(who, 500, ReceiveMsg::Bond { datanet_id: open })
                .unwrap();
        }
        let c1 = w.contribute(&alice, open, 1, 2_048).unwrap();
        w.contribute(&bob, open, 2, 1).unwrap();
        w.contribute(&alice, allow, 3, 10).unwrap_or_default();
        w.review(&owner, c1, true, 8_000).unwrap();
        let fee: FeeResponse = w.q(QueryMsg::PublishFee { datanet_id: open });
        w.send(
            &owner,
            fee.fee.u128(),
            ReceiveMsg::Publish { datanet_id: open },
        )
        .unwrap();

        let reg = w.reg.clone();
        let mut vocab = Vocab::new();
        vocab.addresses = [
            &gov,
            &owner,
            &alice,
            &bob,
            &w.collector,
            &w.token,
            &reg,
            &group,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        vocab.hex = (0..8).map(|i| hex(h(i).as_slice())).collect();
        let v: VersionInfo = w.q(QueryMsg::Version {
            datanet_id: open,
            version: 1,
        });
        vocab.hex.push(v.merkle_root.to_hex());
        vocab
            .numbers
            .extend([fee.fee.u128(), 500, 2_048, 5_000_000, 8_000]);

        let create = ExecuteMsg::CreateDatanet {
            name: "n".into(),
            summary: "s".into(),
            description: "# d".into(),
            tags: vec!["web3".into()],
            kind: DatanetKind::Image,
            license: "MIT".into(),
            policy: ContributionPolicy::Open,
            min_validation_score_bps: 5_000,
        };
        let exec = Lane::execute::<ExecuteMsg>("registry", &reg)
            .template(&owner, &create)
            .template(
                &owner,
                &ExecuteMsg::UpdateMetadata {
                    datanet_id: open,
                    summary: Some("s2".into()),
                    description: None,
                    tags: Some(vec!["a".into(), "b".into()]),
                },
            )
            .template(
                &owner,
                &ExecuteMsg::SetCurator {
                    datanet_id: open,
                    curator: bob.to_string(),
                    enabled: true,
                },
            )
            .template(
                &alice,
                &ExecuteMsg::RequestToContribute {
                    datanet_id: approval,
                },
            )
            .template(
                &owner,
                &ExecuteMsg::SetContributorApproval {
                    datanet_id: approval,
                    contributor: alice.to_string(),
                    approved: true,
                },
            )
            .template(
                &alice,
                &ExecuteMsg::Contribute {
                    datanet_id: open,
                    content_hash: h(4),
                    size: 1_500,
                    uri: "ipfs://row4".into(),
                    license: "CC-BY-4.0".into(),
                },
            )
            .template(
                &alice,
                &ExecuteMsg::ContributeRows {
                    datanet_id: open,
                    file: UploadFile {
                        name: "rows.jsonl".into(),
                        sha256: h(7),
                        size: 3_000,
                    },
                    rows: vec![
                        RowUpload {
                            content_hash: h(5),
                            size: 1_000,
                            uri: "ipfs://row5".into(),
                        },
                        RowUpload {
                            content_hash: h(6),
                            size: 1_000,
                            uri: "ipfs://row6".into(),
                        },
                    ],
                    license: "CC-BY-4.0".into(),
                },
            )
            .template(
                &owner,
                &ExecuteMsg::ReviewContribution {
                    contribution_id: 2,
                    accept: true,
                    validation_score_bps: 6_000,
                },
            )
            .template(
                &alice,
                &ExecuteMsg::Unbond {
                    datanet_id: open,
                    amount: Uint128::new(100),
                },
            )
            .template(&alice, &ExecuteMsg::ClaimUnbonded { datanet_id: open })
            .template(
                &gov,
                &ExecuteMsg::Slash {
                    datanet_id: open,
                    contributor: alice.to_string(),
                    fraction_bps: 1_000,
                    penalty_points: 5,
                    reason: "spam".into(),
                },
            )
            .template(
                &bob,
                &ExecuteMsg::RequestAccess {
                    datanet_id: open,
                    purpose: "fine-tune".into(),
                },
            )
            .template(
                &owner,
                &ExecuteMsg::GrantAccess {
                    datanet_id: open,
                    grantee: bob.to_string(),
                    expires_at: Some(1_571_800_000),
                },
            )
            .template(
                &owner,
                &ExecuteMsg::RevokeAccess {
                    datanet_id: open,
                    grantee: bob.to_string(),
                },
            )
            .template(&gov, &ExecuteMsg::UpdateParams { params: p.clone() })
            .template(
                &gov,
                &ExecuteMsg::UpdateFeeCollector {
                    fee_collector: w.collector.to_string(),
                },
            );
        let hooks = Lane::cw20_hook::<ReceiveMsg>("registry hook", &w.token, &reg)
            .weight(4)
            .template_send(
                &owner,
                fee.fee.u128(),
                &ReceiveMsg::Publish { datanet_id: open },
            )
            .template_send(
                &owner,
                fee.fee.u128(),
                &ReceiveMsg::NewVersion { datanet_id: open },
            )
            .template_send(&bob, 500, &ReceiveMsg::Bond { datanet_id: open });
        let query = Lane::query::<QueryMsg>("registry", &reg)
            .query_template(&QueryMsg::Datanet { datanet_id: open })
            .query_template(&QueryMsg::ListContributions {
                datanet_id: open,
                start_after: None,
                limit: Some(30),
            })
            .query_template(&QueryMsg::ContributorShare {
                datanet_id: open,
                version: 1,
                contributor: alice.to_string(),
            })
            .query_template(&QueryMsg::ContributionPayees {
                datanet_id: open,
                version: 1,
                contribution_ids: vec![1, 2, 3],
            })
            .query_template(&QueryMsg::ListContributors {
                datanet_id: open,
                start_after: None,
                limit: None,
            })
            .query_template(&QueryMsg::PublishFee { datanet_id: open })
            .query_template(&QueryMsg::Quota {
                datanet_id: open,
                contributor: alice.to_string(),
            })
            .query_template(&QueryMsg::ContributionsByHash {
                datanet_id: open,
                content_hashes: vec![h(1), h(5)],
            })
            .query_template(&QueryMsg::FileProgress {
                datanet_id: open,
                contributor: alice.to_string(),
                sha256: h(7),
            });
        let inst = Lane::instantiate::<InstantiateMsg>("registry", &reg).template(
            &gov,
            &InstantiateMsg {
                governance: gov.to_string(),
                open_token: w.token.to_string(),
                fee_collector: w.collector.to_string(),
                params: params(),
            },
        );
        FuzzWorld::new(w.app, vec![gov, owner, alice, bob], vocab)
            .lane(exec)
            .lane(inst)
            .lane(hooks)
            .lane(query)
    }

    #[test]
    fn fuzz_messages() {
        let stats = fuzz_support::run("datanet-registry", 4_000, world);
        stats.assert_reached();
    }
}
