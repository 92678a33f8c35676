//! The ABCI query paths Hermes reads before it relays: node info with
//! the build deps its version checks look for, staking params for the light-client trusting
//! period, and the node's minimum gas price.

mod support;

use cosmos_sdk_proto::cosmos::base::node::v1beta1::ConfigResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::GetNodeInfoResponse;
use cosmos_sdk_proto::cosmos::staking::v1beta1::QueryParamsResponse;
use openledger_node::store::Storage;
use prost::Message;
use support::{Driver, Fixture};

fn committed_node() -> Driver {
    let fx = Fixture::load();
    let mut node = Driver::new(Storage::in_memory().unwrap());
    node.init_chain(&fx.app_state());
    node.block(&[]);
    node
}

/// `vX.Y.Z` → (X, Y), as Hermes compares module versions.
fn major_minor(version: &str) -> (u64, u64) {
    let mut parts = version.trim_start_matches('v').split('.');
    let mut next = || parts.next().and_then(|p| p.parse().ok()).unwrap();
    (next(), next())
}

#[test]
fn node_info_names_the_consensus_and_sdk_versions_hermes_checks() {
    let mut node = committed_node();
    let res = node.query(
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
        vec![],
    );
    assert!(res.code.is_ok(), "{}", res.log);
    let info = GetNodeInfoResponse::decode(res.value).unwrap();
    let deps = info.application_version.unwrap().build_deps;
    let version_of = |path: &str| {
        deps.iter()
            .find(|m| m.path == path)
            .map(|m| m.version.clone())
            .unwrap_or_else(|| panic!("build_deps lacks {path}: {deps:?}"))
    };
    assert_eq!(
        major_minor(&version_of("github.com/cometbft/cometbft")),
        (0, 38)
    );
    let sdk = major_minor(&version_of("github.com/cosmos/cosmos-sdk"));
    assert!((0, 46) <= sdk && sdk < (0, 54), "cosmos-sdk {sdk:?}");
    let ibc = major_minor(&version_of("github.com/cosmos/ibc-go/v8"));
    assert!((6, 3) <= ibc && ibc < (11, 0), "ibc-go {ibc:?}");
}

#[test]
fn staking_params_give_an_unbonding_period_and_historical_entries() {
    let mut node = committed_node();
    let res = node.query("/cosmos.staking.v1beta1.Query/Params", vec![]);
    assert!(res.code.is_ok(), "{}", res.log);
    let params = QueryParamsResponse::decode(res.value)
        .unwrap()
        .params
        .unwrap();
    assert_eq!(params.unbonding_time.unwrap().seconds, 21 * 24 * 3600);
    assert!(params.historical_entries > 0);
    assert_eq!(params.bond_denom, "uopen");
}

#[test]
fn node_config_reports_the_minimum_gas_price_as_dec_coins() {
    let mut node = committed_node();
    let res = node.query("/cosmos.base.node.v1beta1.Service/Config", vec![]);
    assert!(res.code.is_ok(), "{}", res.log);
    let config = ConfigResponse::decode(res.value).unwrap();
    assert_eq!(config.minimum_gas_price, "0.025000000000000000uopen");
}
