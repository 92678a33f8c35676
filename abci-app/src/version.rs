//! What this node says it is. `GetNodeInfo.application_version` is read by Hermes over ABCI and
//! gRPC, and by explorers over REST.

use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{Module, VersionInfo};

/// Versions claimed in `GetNodeInfo.application_version.build_deps`:
/// Hermes requires a CometBFT module and checks cosmos-sdk `>=0.46,<0.54` and ibc-go
/// `>=6.3.1,<11`. These describe the protocol we are compatible with, not Go code we link.
pub const CLAIMED_COSMOS_SDK: &str = "v0.50.13";
pub const CLAIMED_IBC_GO: &str = "v8.7.0";
pub const CLAIMED_COMETBFT: &str = "v0.38.26";

/// The `application_version` of `GetNodeInfo`.
pub fn application_version() -> VersionInfo {
    let module = |path: &str, version: &str| Module {
        path: path.to_string(),
        version: version.to_string(),
        sum: String::new(),
    };
    VersionInfo {
        name: "openledger".to_string(),
        app_name: "openledgerd".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: String::new(),
        build_tags: String::new(),
        go_version: format!("rust (openledgerd {})", env!("CARGO_PKG_VERSION")),
        build_deps: vec![
            module("github.com/cometbft/cometbft", CLAIMED_COMETBFT),
            module("github.com/cosmos/cosmos-sdk", CLAIMED_COSMOS_SDK),
            module("github.com/cosmos/ibc-go/v8", CLAIMED_IBC_GO),
        ],
        cosmos_sdk_version: CLAIMED_COSMOS_SDK.to_string(),
    }
}
