//! `config.toml`: where the chain is, which key signs, where the contracts and the content live.
//! Relative paths are relative to the directory of the config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::content::ContentStore;
use crate::error::{AttesterError, Result};
use crate::ipfs::Ipfs;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub chain_id: String,
    /// CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    /// Bech32 prefix of account addresses.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Minimum gas price of the chain, e.g. `0.025uopen`.
    #[serde(default = "default_gas_price")]
    pub gas_price: String,
    /// Simulated gas × this = the gas limit sent.
    #[serde(default = "default_gas_adjustment")]
    pub gas_adjustment: f64,
    /// `keys.json` written by `openledger-attester init`.
    pub key_file: PathBuf,
    /// Addresses file written by `scripts/deploy.sh`.
    pub contracts: PathBuf,
    /// Journal of jobs in flight (salts, committed results).
    pub state_dir: PathBuf,
    /// Content-addressed stores, searched in order: directories of files named by the lowercase
    /// hex sha256 of their bytes.
    pub content_dirs: Vec<PathBuf>,
    /// A kubo daemon's HTTP RPC, e.g. `http://127.0.0.1:5001`: content not in `content_dirs` is
    /// fetched from IPFS through it (and cached in the first directory). None: directories only.
    #[serde(default)]
    pub ipfs_api: Option<String>,
    /// How long one IPFS fetch looks for content before calling it unavailable (for now: the
    /// job is looked at again on later passes until close to its commit deadline).
    #[serde(default = "default_ipfs_timeout_secs")]
    pub ipfs_timeout_secs: u64,
    /// The GGUF model served (its sha256 is the `model_hash` jobs name; its tokenizer
    /// tokenises corpora and outputs for `suffix_span`).
    pub model: PathBuf,
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// Most bytes of inputs (the rows a job names and its output) this attester fetches for
    /// one job; registered as its capability. A larger job is refused unfetched.
    #[serde(default = "default_max_job_bytes")]
    pub max_job_bytes: u64,
    /// Prometheus metrics (`GET /metrics`); none when absent.
    #[serde(default)]
    pub metrics_addr: Option<SocketAddr>,
    #[serde(default)]
    pub testing: Testing,
}

/// Misbehaviour on purpose, for the network's own failure tests. Never set it in production.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Testing {
    /// Commit and reveal a wrong result (a different `result_hash`).
    #[serde(default)]
    pub lie: bool,
}

fn default_ipfs_timeout_secs() -> u64 {
    20
}
fn default_max_job_bytes() -> u64 {
    5 << 20
}
fn default_prefix() -> String {
    "open".into()
}
fn default_gas_price() -> String {
    "0.025uopen".into()
}
fn default_gas_adjustment() -> f64 {
    1.4
}
fn default_poll_ms() -> u64 {
    1000
}

impl Config {
    /// A config with every default, `keys.json` and `state/` beside it, and no content dirs
    /// or model yet.
    pub fn new(chain_id: String, rpc: String) -> Self {
        Config {
            chain_id,
            rpc,
            prefix: default_prefix(),
            gas_price: default_gas_price(),
            gas_adjustment: default_gas_adjustment(),
            key_file: "keys.json".into(),
            contracts: PathBuf::new(),
            state_dir: "state".into(),
            content_dirs: vec![],
            ipfs_api: None,
            ipfs_timeout_secs: default_ipfs_timeout_secs(),
            model: PathBuf::new(),
            poll_interval_ms: default_poll_ms(),
            max_job_bytes: default_max_job_bytes(),
            metrics_addr: None,
            testing: Testing::default(),
        }
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AttesterError::io(path, e))?;
        let mut cfg: Config = toml::from_str(&text).map_err(|e| AttesterError::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut cfg.key_file,
            &mut cfg.contracts,
            &mut cfg.state_dir,
            &mut cfg.model,
        ] {
            *p = base.join(&*p);
        }
        for d in &mut cfg.content_dirs {
            *d = base.join(&*d);
        }
        cfg.gas_price_parts()
            .map_err(|message| AttesterError::Config {
                path: path.into(),
                message,
            })?;
        // NaN fails too.
        if !cfg.gas_adjustment.is_finite() || cfg.gas_adjustment < 1.0 {
            return Err(AttesterError::Config {
                path: path.into(),
                message: format!("gas_adjustment must be ≥ 1, got {}", cfg.gas_adjustment),
            });
        }
        if cfg.content_dirs.is_empty() {
            return Err(AttesterError::Config {
                path: path.into(),
                message: "content_dirs must name at least one directory".into(),
            });
        }
        cfg.ipfs().map_err(|e| AttesterError::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// The configured kubo RPC client, if any.
    pub fn ipfs(&self) -> Result<Option<Ipfs>> {
        self.ipfs_api
            .as_deref()
            .map(|url| Ipfs::new(url, Duration::from_secs(self.ipfs_timeout_secs)))
            .transpose()
            .map_err(AttesterError::from)
    }

    /// The content store this config names: its directories, then IPFS.
    pub fn content_store(&self) -> Result<ContentStore> {
        let store = ContentStore::new(self.content_dirs.clone());
        Ok(match self.ipfs()? {
            Some(ipfs) => store.with_ipfs(ipfs),
            None => store,
        })
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(100))
    }

    /// `0.025uopen` → (0.025, "uopen").
    pub fn gas_price_parts(&self) -> Result<(f64, String), String> {
        let s = self.gas_price.trim();
        let split = s
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| format!("gas_price {s:?} has no denom"))?;
        let (amount, denom) = s.split_at(split);
        let amount: f64 = amount
            .parse()
            .map_err(|_| format!("gas_price {s:?}: {amount:?} is not a number"))?;
        if !amount.is_finite() || amount < 0.0 {
            return Err(format!("gas_price {s:?} is not a non-negative number"));
        }
        Ok((amount, denom.to_string()))
    }
}

/// The part of `scripts/deploy.sh`'s addresses file the attester reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Deployment {
    pub chain_id: String,
    pub contracts: Contracts,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Contracts {
    pub open_token: Deployed,
    pub datanet_registry: Deployed,
    pub attester_registry: Deployed,
    pub attribution_escrow: Deployed,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Deployed {
    pub address: String,
}

impl Deployment {
    pub fn load(path: &Path, chain_id: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AttesterError::io(path, e))?;
        let d: Deployment = serde_json::from_str(&text).map_err(|e| AttesterError::Config {
            path: path.into(),
            message: format!("not a scripts/deploy.sh addresses file: {e}"),
        })?;
        if d.chain_id != chain_id {
            return Err(AttesterError::Config {
                path: path.into(),
                message: format!(
                    "addresses are for chain {}, the config says {chain_id}",
                    d.chain_id
                ),
            });
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_against_the_config_dir_and_bad_values_are_named() {
        let dir = crate::TestDir::new();
        let path = dir.path().join("config.toml");
        let good = r#"
chain_id = "openledger-dev-1"
rpc = "http://127.0.0.1:26657"
key_file = "keys.json"
contracts = "/abs/contracts.json"
state_dir = "state"
content_dirs = ["content"]
model = "m.gguf"
"#;
        std::fs::write(&path, good).unwrap();
        let cfg = Config::load(&path).unwrap();
        assert_eq!(cfg.key_file, dir.path().join("keys.json"));
        assert_eq!(cfg.contracts, PathBuf::from("/abs/contracts.json"));
        assert_eq!(cfg.content_dirs, vec![dir.path().join("content")]);
        assert_eq!(cfg.gas_price_parts().unwrap(), (0.025, "uopen".into()));

        std::fs::write(&path, good.replace("rpc", "rcp")).unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("rcp"), "{e}");
        std::fs::write(&path, format!("{good}gas_price = \"cheap\"\n")).unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("gas_price"), "{e}");
    }
}
