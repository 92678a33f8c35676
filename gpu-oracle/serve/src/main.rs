//! `openledger-serve`: run an OpenLedger inference gateway (see `--help`).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use cosmwasm_std::Uint128;
use openledger_attester::chain::Chain;
use openledger_attester::config::Deployment;
use openledger_attester::content::ContentStore;
use openledger_attester::ipfs::Ipfs;
use openledger_attester::keys::Keys;
use openledger_attester::operator;
use openledger_serve::auth::{make_key, Verifier};
use openledger_serve::billing::Billing;
use openledger_serve::config::Config;
use openledger_serve::engine::{unix_now, Engine, EngineConfig, Model};
use openledger_serve::metrics::Metrics;
use openledger_serve::server::{router, Gateway};
use openledger_types::attester::Capabilities;
use tracing_subscriber::EnvFilter;

/// How long adding an answer to IPFS may take before the answer goes uncharged.
const IPFS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Parser)]
#[command(
    name = "openledger-serve",
    version,
    about = "OpenLedger inference gateway: an OpenAI-compatible API (/v1/models, \
             /v1/chat/completions, /v1/completions, streamed or whole) over GGUF models kept \
             loaded, for callers holding an API key their account signed for this gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve until Ctrl-C / SIGTERM.
    Run {
        /// The gateway's config.toml.
        #[arg(long, short, env = "OPENLEDGER_SERVE_CONFIG")]
        config: PathBuf,
        /// Listen here instead of the config's `listen`.
        #[arg(long, env = "OPENLEDGER_SERVE_LISTEN")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Register this gateway's operator key (`[chain] key_file`) in the attester registry and
    /// bond stake, in one tx. A gateway must be bonded (at least the registry's min_bond) to
    /// charge inference credit: the escrow slashes the bond (and jails the gateway) when the
    /// attesters reject an answer it charged for. It registers with no methods, so it is never
    /// assigned a job to attest.
    Register {
        /// The gateway's config.toml (needs a `[chain]` section).
        #[arg(long, short, env = "OPENLEDGER_SERVE_CONFIG")]
        config: PathBuf,
        /// uopen to wrap into OPEN and bond (0: only register, or only report when registered).
        #[arg(long, default_value_t = 0)]
        bond: u128,
    },
    /// Print an API key for this gateway, signed by an account of a BIP-39 mnemonic (derived at
    /// m/44'/118'/0'/0/N, as Keplr and cosmjs derive). The key lets the gateway charge that
    /// account's inference credit until it expires; it is a secret, like the mnemonic.
    ApiKey {
        /// The account's mnemonic (or set OPENLEDGER_MNEMONIC, which keeps it out of `ps`).
        #[arg(long, env = "OPENLEDGER_MNEMONIC", hide_env_values = true)]
        mnemonic: String,
        #[arg(long, default_value_t = 0)]
        account_index: u32,
        /// Lifetime: e.g. 30m, 24h, 7d.
        #[arg(long, default_value = "24h")]
        expires: String,
        /// The most the key may spend in total, in uopen (default: no cap).
        #[arg(long)]
        max_spend: Option<u128>,
        /// Take the chain id, gateway address and prefix from this gateway config.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The gateway operator's address (instead of --config).
        #[arg(long, required_unless_present = "config")]
        gateway: Option<String>,
        /// The chain id (instead of --config).
        #[arg(long, required_unless_present = "config")]
        chain_id: Option<String>,
        #[arg(long, default_value = "open")]
        prefix: String,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run { config, listen } => run(config, listen),
        Command::Register { config, bond } => register(&config, bond),
        Command::ApiKey {
            mnemonic,
            account_index,
            expires,
            max_spend,
            config,
            gateway,
            chain_id,
            prefix,
        } => {
            let (chain_id, gateway, prefix) = match config {
                Some(path) => {
                    let c = Config::load(&path)?;
                    let gateway = operator_address(&c)?;
                    (c.chain_id, gateway, c.prefix)
                }
                None => (
                    chain_id.context("--chain-id")?,
                    gateway.context("--gateway")?,
                    prefix,
                ),
            };
            let expires = unix_now() + parse_lifetime(&expires)?;
            let (key, address) = make_key(
                &mnemonic,
                account_index,
                &prefix,
                &chain_id,
                &gateway,
                expires,
                max_spend.map(Uint128::new),
            )?;
            println!("{key}");
            eprintln!(
                "API key of {address} for gateway {gateway} on {chain_id}, expires at unix {expires}{}",
                max_spend.map(|m| format!(", spends at most {m} uopen")).unwrap_or_default()
            );
            Ok(())
        }
    }
}

fn register(config: &Path, bond: u128) -> Result<()> {
    let cfg = Config::load(config)?;
    let c = cfg.chain.as_ref().with_context(|| {
        format!(
            "{} has no [chain] section: a gateway registers with the chain it charges on",
            config.display()
        )
    })?;
    let keys = Keys::load(&c.key_file, &cfg.prefix)?;
    let deployment = Deployment::load(&c.contracts, &cfg.chain_id)?;
    let chain = Chain::new(&c.rpc, &cfg.chain_id, parse_gas_price(&c.gas_price)?, 1.3)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    rt.block_on(async {
        let registered = operator::info(&chain, &deployment, &keys).await?;
        if registered.is_some() && bond == 0 {
            println!("{} is registered; pass --bond to add stake", keys.address);
        } else {
            let capabilities = Capabilities {
                methods: vec![],
                model_hashes: vec![],
                backend: "gateway".into(),
                max_job_bytes: 0,
            };
            let tx = operator::register_and_bond(&chain, &deployment, &keys, capabilities, bond)
                .await
                .context("register and bond")?;
            println!("registered and bonded {bond} uopen (tx {})", tx.hash);
        }
        let info = operator::info(&chain, &deployment, &keys)
            .await?
            .context("registered, yet the registry does not know this gateway")?;
        println!(
            "gateway {}: bonded {} OPEN base units, status {:?}",
            keys.address, info.bonded, info.status
        );
        Ok(())
    })
}

/// `0.025uopen` → (0.025, "uopen").
fn parse_gas_price(text: &str) -> Result<(f64, String)> {
    let at = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("gas_price {text:?}: use e.g. 0.025uopen"))?;
    let (n, denom) = text.split_at(at);
    let n: f64 = n
        .parse()
        .with_context(|| format!("gas_price {text:?}: use e.g. 0.025uopen"))?;
    Ok((n, denom.to_owned()))
}

/// `30m`, `24h`, `7d`, `90s` → seconds.
fn parse_lifetime(text: &str) -> Result<u64> {
    let (n, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = n
        .parse()
        .with_context(|| format!("lifetime {text:?}: use e.g. 30m, 24h, 7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("lifetime {text:?}: the unit must be s, m, h or d"),
    };
    if secs == 0 || secs > 366 * 86_400 {
        bail!("lifetime {text:?}: between 1 s and 366 d");
    }
    Ok(secs)
}

/// The gateway address: `[chain] key_file`'s account, else `gateway`.
fn operator_address(cfg: &Config) -> Result<String> {
    let Some(chain) = &cfg.chain else {
        return cfg.gateway.clone().context("the config names no gateway");
    };
    let keys = Keys::load(&chain.key_file, &cfg.prefix)?;
    if let Some(g) = cfg.gateway.as_ref().filter(|g| **g != keys.address) {
        bail!(
            "gateway {g} in the config is not the address of {} ({})",
            chain.key_file.display(),
            keys.address
        );
    }
    Ok(keys.address)
}

fn run(config: PathBuf, listen: Option<std::net::SocketAddr>) -> Result<()> {
    let cfg = Config::load(&config)?;
    let listen = listen.unwrap_or(cfg.listen);
    let gateway = operator_address(&cfg)?;
    let mut models = Vec::new();
    for m in &cfg.models {
        let started = std::time::Instant::now();
        let model = Model::load(&m.name, m.registry_id, &m.path, cfg.engine.max_context)?;
        tracing::info!(
            model = %m.name,
            path = %m.path.display(),
            hash = %hex::encode(model.file_hash),
            context = model.context,
            secs = started.elapsed().as_secs_f32(),
            "model loaded"
        );
        models.push(Arc::new(model));
    }
    let workers = match cfg.engine.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let metrics = Arc::new(Metrics::new());
    let engine = Engine::start(
        EngineConfig {
            workers,
            max_sequences: cfg.engine.max_sequences,
            max_waiting: cfg.engine.max_waiting,
        },
        Arc::clone(&metrics),
    )
    .context("starting the engine threads")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let _guard = rt.enter();
    let billing = match &cfg.chain {
        None => None,
        Some(c) => {
            let keys = Keys::load(&c.key_file, &cfg.prefix)?;
            let deployment = Deployment::load(&c.contracts, &cfg.chain_id)?;
            let gas_price = parse_gas_price(&c.gas_price)?;
            let chain = Chain::new(&c.rpc, &cfg.chain_id, gas_price, 1.3)?;
            Some(Billing::start(
                chain,
                keys,
                deployment.contracts.attribution_escrow.address,
                deployment.contracts.attester_registry.address,
                Arc::clone(&metrics),
            ))
        }
    };
    let mut gw = Gateway::new(
        engine,
        models,
        Verifier {
            chain_id: cfg.chain_id.clone(),
            gateway: gateway.clone(),
            prefix: cfg.prefix.clone(),
        },
        metrics,
        content_store(&cfg)?,
        billing,
    );
    gw.testing = cfg.testing;
    let gw = Arc::new(gw);
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        println!(
            "openledger-serve: OpenAI API on http://{listen}/v1 (gateway {gateway}, {})",
            if gw.billing.is_some() {
                "answers paid from inference credit"
            } else {
                "no chain: answers not charged"
            }
        );
        let app = router(Arc::clone(&gw));
        let gw2 = Arc::clone(&gw);
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                gw2.ready.store(false, Ordering::Relaxed);
                tracing::info!("shutting down: finishing open responses");
            })
            .await
            .context("serving")
    })?;
    gw.engine.shutdown();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Where answers are stored: the content directory, and IPFS when configured.
fn content_store(cfg: &Config) -> Result<Option<ContentStore>> {
    let Some(dir) = &cfg.content_dir else {
        return Ok(None);
    };
    let store = ContentStore::new(vec![dir.clone()]);
    Ok(Some(match &cfg.ipfs_api {
        Some(url) => store.with_ipfs(Ipfs::new(url, IPFS_TIMEOUT)?),
        None => store,
    }))
}
