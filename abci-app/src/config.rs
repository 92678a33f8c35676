//! The node's home directory: CometBFT-compatible layout plus the app's own config.
//!
//! ```text
//! <home>/config/genesis.json            CometBFT genesis with `app_state`
//! <home>/config/app.toml                this app's settings
//! <home>/config/priv_validator_key.json CometBFT validator key (ed25519)
//! <home>/config/node_key.json           CometBFT p2p key
//! <home>/data/priv_validator_state.json CometBFT double-sign guard
//! <home>/data/openledger.redb           application state
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::app::genesis::AppState;

/// `consensus_params.block.max_gas` of new chains: 30M. Measured on a 2-core machine, a wasm
/// loop burns 100M gas in 13.0 s in a debug build (7.7M gas/s), so one block of the worst
/// contract code holds a node about 4 s, where an unlimited block let one 2e9-gas tx (about
/// 50 OPEN of fees) hold every validator for minutes. 30M still fits the largest legitimate
/// tx: a contract call or a simulation is capped at 25M, and storing the largest project
/// contract (about 750 KB) takes about 13M with cosmjs's `auto` gas.
pub const BLOCK_MAX_GAS: u64 = 30_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    #[serde(default)]
    pub abci: AbciConfig,
    #[serde(default)]
    pub store: StoreConfig,
    /// The Cosmos REST / LCD server (Keplr).
    #[serde(default = "RestConfig::default_config")]
    pub rest: ServerConfig,
    /// The Cosmos gRPC server (Hermes).
    #[serde(default = "GrpcConfig::default_config")]
    pub grpc: ServerConfig,
    /// Where the REST and gRPC servers reach CometBFT's RPC (blocks, txs, broadcast).
    #[serde(default)]
    pub cometbft: CometbftConfig,
    /// How much query work (REST, gRPC, CometBFT's `abci_query`) runs at once.
    #[serde(default)]
    pub query: QueryConfig,
}

/// `[query]`: queries run a few at a time on their own threads, the rest wait in a bounded
/// queue (up to 10 s each) and are answered "busy" past it (gRPC `RESOURCE_EXHAUSTED`, REST
/// 429), so a flood of heavy queries cannot take the CPU that block execution needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    /// Queries running at once; 0 = one fewer than the machine's cores (at least 1).
    #[serde(default)]
    pub max_concurrent: usize,
    /// Queries waiting for a turn before new ones are refused at once.
    #[serde(default = "QueryConfig::default_max_waiting")]
    pub max_waiting: usize,
}

impl QueryConfig {
    fn default_max_waiting() -> usize {
        256
    }
}

impl Default for QueryConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 0,
            max_waiting: Self::default_max_waiting(),
        }
    }
}

/// `[rest]` / `[grpc]`: whether `openledgerd start` serves it, and where. Off by default
/// (as in the SDK's app.toml for the API), so several nodes on one machine (localnet) do not
/// collide on the ports; `--rest-addr` / `--grpc-addr` turn one on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default)]
    pub enable: bool,
    pub address: SocketAddr,
}

/// Defaults of `[rest]`: 127.0.0.1:1317.
pub struct RestConfig;
impl RestConfig {
    pub fn default_config() -> ServerConfig {
        ServerConfig {
            enable: false,
            address: SocketAddr::from(([127, 0, 0, 1], 1317)),
        }
    }
}

/// Defaults of `[grpc]`: 127.0.0.1:9090.
pub struct GrpcConfig;
impl GrpcConfig {
    pub fn default_config() -> ServerConfig {
        ServerConfig {
            enable: false,
            address: SocketAddr::from(([127, 0, 0, 1], 9090)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CometbftConfig {
    /// CometBFT's RPC URL (`[rpc] laddr` in CometBFT's config.toml).
    pub rpc: String,
}

impl Default for CometbftConfig {
    fn default() -> Self {
        Self {
            rpc: "http://127.0.0.1:26657".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbciConfig {
    /// Where CometBFT's `proxy_app` connects.
    pub address: SocketAddr,
}

impl Default for AbciConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 26658)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Heights of state to keep for historical queries and proofs (0 = all). CometBFT is
    /// told to prune its blocks to the same depth.
    #[serde(default)]
    pub retain_blocks: u64,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            abci: AbciConfig::default(),
            store: StoreConfig::default(),
            rest: RestConfig::default_config(),
            grpc: GrpcConfig::default_config(),
            cometbft: CometbftConfig::default(),
            query: QueryConfig::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn genesis(&self) -> PathBuf {
        self.config_dir().join("genesis.json")
    }
    pub fn app_config(&self) -> PathBuf {
        self.config_dir().join("app.toml")
    }
    pub fn state_db(&self) -> PathBuf {
        self.data_dir().join("openledger.redb")
    }

    pub fn load_config(&self) -> Result<AppConfig> {
        let path = self.app_config();
        if !path.exists() {
            return Ok(AppConfig::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Read the genesis file and check its `app_state` (fail before CometBFT connects).
    pub fn load_genesis(&self) -> Result<(Value, AppState)> {
        let path = self.genesis();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("reading {} (run `openledgerd init` first)", path.display())
        })?;
        let genesis: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let app_state = match genesis.get("app_state") {
            Some(v) => serde_json::from_value(v.clone())
                .with_context(|| format!("invalid app_state in {}", path.display()))?,
            None => AppState::default(),
        };
        Ok((genesis, app_state))
    }

    pub fn write_genesis(&self, genesis: &Value) -> Result<()> {
        write_atomic(&self.genesis(), &serde_json::to_vec_pretty(genesis)?)
    }

    /// Create a single-validator home. Refuses to touch an existing one unless `overwrite`.
    pub fn init(&self, chain_id: &str, moniker: &str, overwrite: bool) -> Result<()> {
        if self.genesis().exists() && !overwrite {
            bail!(
                "{} already exists; pass --overwrite to replace it",
                self.genesis().display()
            );
        }
        validate_chain_id(chain_id)?;
        std::fs::create_dir_all(self.config_dir())?;
        std::fs::create_dir_all(self.data_dir())?;

        let validator = new_ed25519();
        let address =
            hex::encode_upper(&Sha256::digest(validator.verification_key().as_bytes())[..20]);
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let pub_key = json!({"type": "tendermint/PubKeyEd25519", "value": b64(validator.verification_key().as_bytes())});
        let key_file = json!({
            "address": address,
            "pub_key": pub_key,
            "priv_key": {"type": "tendermint/PrivKeyEd25519", "value": b64(&keypair_bytes(&validator))},
        });
        write_private(
            &self.config_dir().join("priv_validator_key.json"),
            &key_file,
        )?;
        let node_key = new_ed25519();
        write_private(
            &self.config_dir().join("node_key.json"),
            &json!({"priv_key": {"type": "tendermint/PrivKeyEd25519", "value": b64(&keypair_bytes(&node_key))}}),
        )?;
        let state_file = self.data_dir().join("priv_validator_state.json");
        if overwrite || !state_file.exists() {
            write_atomic(
                &state_file,
                &serde_json::to_vec_pretty(&json!({"height": "0", "round": 0, "step": 0}))?,
            )?;
        }

        let genesis = json!({
            "genesis_time": tendermint::Time::now().to_rfc3339(),
            "chain_id": chain_id,
            "initial_height": "1",
            "consensus_params": {
                "block": {"max_bytes": "22020096", "max_gas": BLOCK_MAX_GAS.to_string()},
                "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
                "validator": {"pub_key_types": ["ed25519"]},
                "version": {"app": "0"},
                "abci": {"vote_extensions_enable_height": "0"}
            },
            "validators": [{"address": address, "pub_key": pub_key, "power": "10", "name": moniker}],
            "app_hash": "",
            "app_state": AppState::new_chain(),
        });
        self.write_genesis(&genesis)?;
        if overwrite || !self.app_config().exists() {
            let text = format!(
                "# openledgerd application settings\n{}",
                toml::to_string_pretty(&AppConfig::default())?
            );
            write_atomic(&self.app_config(), text.as_bytes())?;
        }
        Ok(())
    }

    /// Add a funded account to the genesis file (`genesis add-account`).
    pub fn add_genesis_account(&self, address: &str, coins: &str) -> Result<()> {
        crate::crypto::account_from_bech32(address)
            .map_err(|e| anyhow::anyhow!("invalid address {address}: {e}"))?;
        let parsed = parse_coins(coins)?;
        let (mut genesis, mut app_state) = self.load_genesis()?;
        if app_state.auth.accounts.iter().any(|a| a.address == address)
            || app_state.bank.balances.iter().any(|b| b.address == address)
        {
            bail!("{address} is already in the genesis file");
        }
        app_state
            .auth
            .accounts
            .push(crate::modules::auth::genesis::GenesisAccount {
                address: address.to_string(),
            });
        app_state
            .bank
            .balances
            .push(crate::modules::bank::genesis::Balance {
                address: address.to_string(),
                coins: parsed,
            });
        genesis["app_state"] = serde_json::to_value(&app_state)?;
        self.write_genesis(&genesis)
    }
}

/// Parse `1000uopen,5stake` into sorted genesis coins.
pub fn parse_coins(text: &str) -> Result<Vec<crate::modules::bank::genesis::GenesisCoin>> {
    let mut coins = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .filter(|i| *i > 0)
            .with_context(|| format!("invalid coin {part:?}: expected <amount><denom>"))?;
        let (amount, denom) = part.split_at(split);
        crate::app::coins::validate_denom(denom).map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::app::coins::parse_amount(amount).map_err(|e| anyhow::anyhow!("{e}"))?;
        coins.push(crate::modules::bank::genesis::GenesisCoin {
            denom: denom.to_string(),
            amount: amount.to_string(),
        });
    }
    if coins.is_empty() {
        bail!("no coins given");
    }
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    if coins.windows(2).any(|w| w[0].denom == w[1].denom) {
        bail!("duplicate denom in {text:?}");
    }
    Ok(coins)
}

fn validate_chain_id(chain_id: &str) -> Result<()> {
    if chain_id.is_empty() || chain_id.len() > 50 || chain_id.chars().any(char::is_whitespace) {
        bail!("invalid chain id {chain_id:?}: 1 to 50 characters, no whitespace");
    }
    Ok(())
}

fn new_ed25519() -> ed25519_consensus::SigningKey {
    ed25519_consensus::SigningKey::new(rand_core::OsRng)
}

/// CometBFT stores ed25519 private keys as `seed ‖ public key`.
fn keypair_bytes(key: &ed25519_consensus::SigningKey) -> Vec<u8> {
    [
        key.as_bytes().as_slice(),
        key.verification_key().as_bytes().as_slice(),
    ]
    .concat()
}

fn write_private(path: &Path, value: &Value) -> Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(value)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Write through a temporary file and rename, so a crash never leaves half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
