//! `config.toml` of a gateway.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A gateway's configuration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the OpenAI API listens (`http://<listen>/v1`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The chain whose escrow holds the payers' credit; API keys must name it.
    pub chain_id: String,
    /// The operator's account address; API keys must name it. With `[chain]` it is the
    /// address of `[chain] key_file` and may be left out.
    #[serde(default)]
    pub gateway: Option<String>,
    /// Bech32 prefix of account addresses.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Content store where each answer's exact input (the rendered prompt) and output are
    /// written, named by sha256, for the attesters. None: answers are not stored.
    #[serde(default)]
    pub content_dir: Option<PathBuf>,
    /// A kubo daemon's HTTP RPC (e.g. `http://127.0.0.1:5001`): each stored input and output is
    /// also added and pinned on IPFS, where attesters on other machines fetch it. An answer
    /// that could not be added is not charged.
    #[serde(default)]
    pub ipfs_api: Option<String>,
    #[serde(default)]
    pub engine: EngineSection,
    /// Where answers are paid: without it answers are served and stored but not charged.
    #[serde(default)]
    pub chain: Option<ChainSection>,
    /// The models served.
    pub models: Vec<ModelSection>,
    /// Misbehaviour on purpose, for tests that the attesters catch a dishonest gateway. Never
    /// set it on a gateway people pay: its bond is slashed for every answer it charges.
    #[serde(default)]
    pub testing: Testing,
}

/// `[testing]`: how a dishonest gateway cheats, for the tests that catch it.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Testing {
    /// Charge each answer one output token fewer than it generated.
    #[serde(default)]
    pub under_report_tokens: bool,
    /// Store (and charge for) a fixed answer the model did not give instead of the real one.
    #[serde(default)]
    pub forge_output: bool,
}

/// `[engine]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// Worker threads; 0 = one per core.
    #[serde(default)]
    pub workers: usize,
    /// Sequences decoded at once.
    #[serde(default = "default_max_sequences")]
    pub max_sequences: usize,
    /// Requests that may wait for a slot before the gateway answers 429.
    #[serde(default = "default_max_waiting")]
    pub max_waiting: usize,
    /// Most positions (prompt + answer) per request, at most the model's trained context.
    #[serde(default = "default_max_context")]
    pub max_context: usize,
}

impl Default for EngineSection {
    fn default() -> Self {
        EngineSection {
            workers: 0,
            max_sequences: default_max_sequences(),
            max_waiting: default_max_waiting(),
            max_context: default_max_context(),
        }
    }
}

/// `[chain]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSection {
    /// CometBFT RPC.
    pub rpc: String,
    /// `scripts/deploy.sh`'s addresses file (the escrow's address).
    pub contracts: PathBuf,
    /// The operator's account key (`openledger-attester init` format), which opens the jobs.
    pub key_file: PathBuf,
    #[serde(default = "default_gas_price")]
    pub gas_price: String,
}

fn default_gas_price() -> String {
    "0.025uopen".into()
}

/// `[[models]]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// The id clients give as `model`.
    pub name: String,
    /// The GGUF file.
    pub path: PathBuf,
    /// Its id in the on-chain model registry.
    #[serde(default)]
    pub registry_id: Option<u64>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8000))
}
fn default_prefix() -> String {
    "open".into()
}
fn default_max_sequences() -> usize {
    16
}
fn default_max_waiting() -> usize {
    64
}
fn default_max_context() -> usize {
    2048
}

/// Why a config did not load.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Loads and checks a config; relative paths are relative to its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.into(),
            message,
        };
        let mut cfg: Config = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for m in &mut cfg.models {
            m.path = base.join(&m.path);
        }
        if let Some(d) = &mut cfg.content_dir {
            *d = base.join(&*d);
        }
        if let Some(c) = &mut cfg.chain {
            c.contracts = base.join(&c.contracts);
            c.key_file = base.join(&c.key_file);
            if cfg.content_dir.is_none() {
                return Err(invalid(
                    "[chain] needs content_dir: attesters fetch each paid answer from it".into(),
                ));
            }
            if let Some(m) = cfg.models.iter().find(|m| m.registry_id.is_none()) {
                return Err(invalid(format!(
                    "model {:?} has no registry_id: with [chain] every model is paid by its registry prices",
                    m.name
                )));
            }
        } else if cfg.gateway.is_none() {
            return Err(invalid(
                "give gateway (the operator's address) or a [chain] section".into(),
            ));
        }
        if let Some(url) = &cfg.ipfs_api {
            if cfg.content_dir.is_none() {
                return Err(invalid(
                    "ipfs_api needs content_dir: answers are kept there as well".into(),
                ));
            }
            openledger_attester::ipfs::Ipfs::new(url, std::time::Duration::from_secs(1))
                .map_err(|e| invalid(e.to_string()))?;
        }
        if cfg.models.is_empty() {
            return Err(invalid(
                "no [[models]]: a gateway serves at least one".into(),
            ));
        }
        let mut names: Vec<&str> = cfg.models.iter().map(|m| m.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!("model name {:?} appears twice", w[0])));
        }
        if cfg.engine.max_context < 2 || cfg.engine.max_sequences == 0 {
            return Err(invalid(
                "[engine] max_context must be ≥ 2 and max_sequences ≥ 1".into(),
            ));
        }
        Ok(cfg)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}
