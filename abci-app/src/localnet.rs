//! `openledgerd localnet`: N validators on loopback, each a CometBFT process driving its own
//! `openledgerd start` process, with a shared genesis and persistent peers. No docker.
//!
//! Node `i` lives in `<dir>/node<i>` and listens on `base + 10·i + {1: rest, 6: p2p, 7: rpc, 8: abci, 9: grpc}`
//! (the defaults give node0 the usual 26656/26657/26658).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::process::{Child, Command};

use crate::config::Home;
use crate::dev::{self, DevOptions, DEV_ACCOUNTS, DEV_FUNDS};

#[derive(Debug, Clone)]
pub struct LocalnetOptions {
    pub dir: PathBuf,
    pub validators: usize,
    pub chain_id: String,
    pub base_port: u16,
    pub block_time: Duration,
    pub cometbft: Option<PathBuf>,
}

/// Written by `init` so `start` runs the net on the ports it was configured with.
pub const MANIFEST: &str = "localnet.json";

/// The base port recorded by `init` in `dir`.
pub fn recorded_base_port(dir: &Path) -> Result<u16> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no localnet in {} (run `openledgerd localnet init`)",
            dir.display()
        )
    })?;
    let manifest: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    manifest["base_port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .with_context(|| format!("{}: missing base_port", path.display()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePorts {
    pub p2p: SocketAddr,
    pub rpc: SocketAddr,
    pub abci: SocketAddr,
    pub rest: SocketAddr,
    pub grpc: SocketAddr,
}

pub fn ports(base: u16, index: usize) -> NodePorts {
    let at = |offset: u16| SocketAddr::from(([127, 0, 0, 1], base + 10 * index as u16 + offset));
    NodePorts {
        p2p: at(6),
        rpc: at(7),
        abci: at(8),
        rest: at(1),
        grpc: at(9),
    }
}

pub fn node_home(dir: &Path, index: usize) -> Home {
    Home::new(dir.join(format!("node{index}")))
}

/// CometBFT node id: hex of the first 20 bytes of sha256(ed25519 public key).
fn node_id(home: &Home) -> Result<String> {
    let path = home.config_dir().join("node_key.json");
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
        .with_context(|| format!("parsing {}", path.display()))?;
    let keypair = base64::engine::general_purpose::STANDARD
        .decode(key["priv_key"]["value"].as_str().unwrap_or_default())
        .context("node key is not base64")?;
    if keypair.len() != 64 {
        bail!("{}: expected a 64-byte ed25519 keypair", path.display());
    }
    Ok(hex::encode(&Sha256::digest(&keypair[32..])[..20]))
}

/// Generate the homes: keys per node, one genesis listing every validator and the dev
/// accounts, CometBFT configs with persistent peers. Refuses to overwrite an existing net.
pub fn init(opts: &LocalnetOptions) -> Result<Vec<Home>> {
    if !(1..=16).contains(&opts.validators) {
        bail!("--validators must be between 1 and 16");
    }
    if opts.dir.join("node0").exists() {
        bail!(
            "{} already holds a localnet; remove it or pass --reset",
            opts.dir.display()
        );
    }
    let cometbft = dev::find_cometbft(opts.cometbft.as_deref())?;
    let homes: Vec<Home> = (0..opts.validators)
        .map(|i| node_home(&opts.dir, i))
        .collect();
    let mut validators = Vec::new();
    for (i, home) in homes.iter().enumerate() {
        home.init(&opts.chain_id, &format!("validator{i}"), false)?;
        let (genesis, _) = home.load_genesis()?;
        validators.push(genesis["validators"][0].clone());
    }
    // Node 0's genesis, with every validator and the dev accounts, is everyone's genesis.
    let first = &homes[0];
    for (_, address) in DEV_ACCOUNTS {
        first.add_genesis_account(address, DEV_FUNDS)?;
    }
    let (mut genesis, _) = first.load_genesis()?;
    genesis["validators"] = Value::Array(validators);
    for home in &homes {
        home.write_genesis(&genesis)?;
    }
    let manifest = serde_json::json!({
        "validators": opts.validators,
        "chain_id": opts.chain_id,
        "base_port": opts.base_port,
    });
    crate::config::write_atomic(
        &opts.dir.join(MANIFEST),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    let ids = homes.iter().map(node_id).collect::<Result<Vec<_>>>()?;
    for (i, home) in homes.iter().enumerate() {
        let p = ports(opts.base_port, i);
        let node_opts = DevOptions {
            home: home.root.clone(),
            reset: false,
            chain_id: opts.chain_id.clone(),
            block_time: opts.block_time,
            fund: vec![],
            rpc: p.rpc,
            p2p: p.p2p,
            abci: p.abci,
            cometbft: Some(cometbft.clone()),
        };
        dev::configure_cometbft(&cometbft, home, &node_opts, &format!("validator{i}"))?;
        let peers: Vec<String> = (0..opts.validators)
            .filter(|j| *j != i)
            .map(|j| format!("{}@{}", ids[j], ports(opts.base_port, j).p2p))
            .collect();
        set_persistent_peers(home, &peers.join(","))?;
    }
    Ok(homes)
}

fn set_persistent_peers(home: &Home, peers: &str) -> Result<()> {
    let path = home.config_dir().join("config.toml");
    let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(&path)?)?;
    let p2p = table
        .entry("p2p")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .context("p2p section of config.toml is not a table")?;
    p2p.insert(
        "persistent_peers".into(),
        toml::Value::String(peers.to_string()),
    );
    p2p.insert("pex".into(), toml::Value::Boolean(false));
    crate::config::write_atomic(&path, toml::to_string(&table)?.as_bytes())
}

fn spawn_logged(program: &Path, args: &[&str], home: &Home, log: &str) -> Result<Child> {
    let log_path = home.root.join(log);
    let file = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    Command::new(program)
        .args(args)
        .stdout(Stdio::from(file.try_clone()?))
        .stderr(Stdio::from(file))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", program.display()))
}

async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}

/// Run every node of an initialised localnet until Ctrl-C, or until a process dies.
pub async fn start(opts: &LocalnetOptions) -> Result<()> {
    let cometbft = dev::find_cometbft(opts.cometbft.as_deref())?;
    let base_port = recorded_base_port(&opts.dir)?;
    let me = std::env::current_exe().context("locating the openledgerd binary")?;
    let mut homes = Vec::new();
    for i in 0.. {
        let home = node_home(&opts.dir, i);
        if !home.genesis().exists() {
            break;
        }
        homes.push(home);
    }
    if homes.is_empty() {
        bail!(
            "no localnet in {}; run `openledgerd localnet init` first",
            opts.dir.display()
        );
    }
    let mut children: Vec<(String, Child)> = Vec::new();
    for (i, home) in homes.iter().enumerate() {
        let p = ports(base_port, i);
        let root = home.root.to_string_lossy().to_string();
        let (abci, rest, grpc) = (p.abci.to_string(), p.rest.to_string(), p.grpc.to_string());
        let cometbft_rpc = format!("http://{}", p.rpc);
        children.push((
            format!("app{i}"),
            spawn_logged(
                &me,
                &[
                    "start",
                    "--home",
                    &root,
                    "--abci-addr",
                    &abci,
                    "--rest-addr",
                    &rest,
                    "--grpc-addr",
                    &grpc,
                    "--cometbft-rpc",
                    &cometbft_rpc,
                ],
                home,
                "app.log",
            )?,
        ));
    }
    // Let the apps bind before CometBFT dials them.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, home) in homes.iter().enumerate() {
        let root = home.root.to_string_lossy().to_string();
        children.push((
            format!("cometbft{i}"),
            spawn_logged(&cometbft, &["start", "--home", &root], home, "cometbft.log")?,
        ));
    }
    println!(
        "OpenLedger localnet: {} validators in {}",
        homes.len(),
        opts.dir.display()
    );
    for i in 0..homes.len() {
        let p = ports(base_port, i);
        println!(
            "  node{i}: RPC http://{}  REST http://{}  gRPC {}  P2P {}  ABCI {}  logs {}/node{i}/{{app,cometbft}}.log",
            p.rpc,
            p.rest,
            p.grpc,
            p.p2p,
            p.abci,
            opts.dir.display()
        );
    }
    println!("Press Ctrl-C to stop.");

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let died = async {
        loop {
            for (name, child) in children.iter_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return format!("{name} exited ({status})");
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = sigterm.recv() => Ok(()),
        which = died => Err(anyhow::anyhow!("{which}; see the logs under {}", opts.dir.display())),
    };
    // CometBFT first, then the apps.
    for (_, child) in children.iter_mut().rev() {
        terminate(child).await;
    }
    outcome
}
