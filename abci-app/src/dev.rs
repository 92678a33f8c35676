//! `openledgerd dev`: a one-validator chain on this machine with real CometBFT v0.38 as a
//! supervised child process (as Namada runs it), the ABCI server in this process; and beside it,
//! unless turned off, the rest of the system ([`system`]): the contracts, an attester and the
//! inference gateway.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::process::{Child, Command};
use tracing::{info, warn};

use crate::app::App;
use crate::config::Home;
use crate::server;
use crate::store::Storage;

mod ipfs;
pub mod system;

pub use system::SystemOptions;

/// The documented dev/test mnemonic (the BIP-39 test vector; public, never for real funds).
pub const DEV_MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// Accounts of [`DEV_MNEMONIC`] at `m/44'/118'/0'/0/i`, funded at genesis by `dev`.
/// (Checked against cosmjs's derivation by a test.)
pub const DEV_ACCOUNTS: [(&str, &str); 2] = [
    ("alice", "open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz"),
    ("bob", "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24"),
];
pub const DEV_FUNDS: &str = "1000000000000uopen";

/// CometBFT line this node speaks (ABCI v0.38 wire).
pub const COMETBFT_LINE: &str = "0.38.";

#[derive(Debug, Clone)]
pub struct DevOptions {
    pub home: PathBuf,
    pub reset: bool,
    pub chain_id: String,
    pub block_time: Duration,
    pub fund: Vec<(String, String)>,
    pub rpc: SocketAddr,
    pub p2p: SocketAddr,
    pub abci: SocketAddr,
    pub cometbft: Option<PathBuf>,
}

/// Parse `500ms`, `1s`, `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| text.split_at(i))
        .with_context(|| format!("invalid duration {text:?}: use e.g. 500ms or 1s"))?;
    let value: f64 = number
        .parse()
        .with_context(|| format!("invalid duration {text:?}"))?;
    let millis = match unit {
        "ms" => value,
        "s" => value * 1000.0,
        _ => bail!("invalid duration unit in {text:?}: use ms or s"),
    };
    if !(1.0..=600_000.0).contains(&millis) {
        bail!("duration {text:?} out of range (1ms to 10min)");
    }
    Ok(Duration::from_millis(millis as u64))
}

/// The `cometbft` binary: `$COMETBFT`, then `PATH`, then `$(go env GOPATH)/bin`.
pub fn find_cometbft(explicit: Option<&Path>) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        candidates.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("COMETBFT") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("cometbft")));
    }
    if let Ok(out) = std::process::Command::new("go")
        .args(["env", "GOPATH"])
        .output()
    {
        let gopath = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !gopath.is_empty() {
            candidates.push(PathBuf::from(gopath).join("bin/cometbft"));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join("go/bin/cometbft"));
    }
    let found = candidates
        .into_iter()
        .find(|p| p.is_file())
        .context("cometbft not found: run scripts/setup.sh (installs CometBFT v0.38 with `go install`), or set COMETBFT")?;
    let out = std::process::Command::new(&found)
        .arg("version")
        .output()
        .with_context(|| format!("running {} version", found.display()))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !version.starts_with(COMETBFT_LINE) {
        bail!(
            "{} is CometBFT {version:?}; this node needs the {COMETBFT_LINE}x line (scripts/setup.sh installs it)",
            found.display()
        );
    }
    Ok(found)
}

/// Write CometBFT's config.toml for a local dev node (creating it with `cometbft init`).
pub fn configure_cometbft(
    cometbft: &Path,
    home: &Home,
    opts: &DevOptions,
    moniker: &str,
) -> Result<()> {
    let config = home.config_dir().join("config.toml");
    if !config.exists() {
        // Creates config.toml; keeps our genesis and keys ("Found … file").
        let status = std::process::Command::new(cometbft)
            .args(["init", "--home"])
            .arg(&home.root)
            .stdout(Stdio::null())
            .status()
            .context("running cometbft init")?;
        if !status.success() {
            bail!("cometbft init failed for {}", home.root.display());
        }
    }
    let text = std::fs::read_to_string(&config)?;
    let mut table: toml::Table = toml::from_str(&text).context("parsing CometBFT config.toml")?;
    let tcp = |a: &SocketAddr| toml::Value::String(format!("tcp://{a}"));
    let set = |table: &mut toml::Table, section: Option<&str>, key: &str, value: toml::Value| {
        let target = match section {
            Some(s) => table
                .entry(s)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .expect("CometBFT config sections are tables"),
            None => table,
        };
        target.insert(key.to_string(), value);
    };
    let s = |v: &str| toml::Value::String(v.to_string());
    set(&mut table, None, "moniker", s(moniker));
    set(&mut table, None, "proxy_app", tcp(&opts.abci));
    set(&mut table, Some("rpc"), "laddr", tcp(&opts.rpc));
    set(
        &mut table,
        Some("rpc"),
        "cors_allowed_origins",
        toml::Value::Array(vec![s("*")]),
    );
    set(&mut table, Some("p2p"), "laddr", tcp(&opts.p2p));
    set(
        &mut table,
        Some("p2p"),
        "addr_book_strict",
        toml::Value::Boolean(false),
    );
    set(
        &mut table,
        Some("p2p"),
        "allow_duplicate_ip",
        toml::Value::Boolean(true),
    );
    let ms = format!("{}ms", opts.block_time.as_millis());
    set(&mut table, Some("consensus"), "timeout_commit", s(&ms));
    set(&mut table, Some("consensus"), "timeout_propose", s("1s"));
    set(
        &mut table,
        Some("consensus"),
        "create_empty_blocks",
        toml::Value::Boolean(true),
    );
    set(&mut table, Some("tx_index"), "indexer", s("kv"));
    crate::config::write_atomic(&config, toml::to_string(&table)?.as_bytes())
}

/// Initialise the dev home when needed: genesis with the dev accounts and `--fund` entries.
pub fn prepare_home(opts: &DevOptions) -> Result<Home> {
    let home = Home::new(&opts.home);
    if opts.reset && home.root.exists() {
        std::fs::remove_dir_all(&home.root)
            .with_context(|| format!("removing {}", home.root.display()))?;
    }
    if !home.genesis().exists() {
        home.init(&opts.chain_id, "openledger-dev", false)?;
        for (_, address) in DEV_ACCOUNTS {
            home.add_genesis_account(address, DEV_FUNDS)?;
        }
        for (address, coins) in &opts.fund {
            home.add_genesis_account(address, coins)?;
        }
    } else if !opts.fund.is_empty() {
        warn!("--fund only applies to a new chain; pass --reset to start over");
    }
    Ok(home)
}

/// SIGTERM, then SIGKILL after 10 s.
async fn stop_child(child: &mut Child, name: &str) {
    if let Some(pid) = child.id() {
        let pid = nix::unistd::Pid::from_raw(pid as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_err()
        {
            warn!("{name} did not stop within 10s; killing it");
            let _ = child.kill().await;
        }
    }
}

/// Run the dev chain until Ctrl-C (or SIGTERM), or until CometBFT dies (no REST or gRPC).
pub async fn run(opts: DevOptions) -> Result<()> {
    run_with(opts, None, None).await
}

/// Run the dev chain with the Cosmos REST (Keplr) and gRPC (Hermes) servers on these
/// addresses; they serve once block 1 is committed and stop first on shutdown.
pub async fn run_with(
    opts: DevOptions,
    rest: Option<SocketAddr>,
    grpc: Option<SocketAddr>,
) -> Result<()> {
    run_system(opts, rest, grpc, SystemOptions::chain_only()).await
}

/// [`run_with`], and the parts of the system `parts` turns on: once block 1 is committed the
/// contracts are deployed (first start) and set up, then the attester and the gateway start.
/// Ctrl-C stops the gateway, the attester, REST and gRPC, CometBFT, then the node; a child
/// that exits by itself stops everything and is the error returned.
pub async fn run_system(
    opts: DevOptions,
    rest: Option<SocketAddr>,
    grpc: Option<SocketAddr>,
    parts: SystemOptions,
) -> Result<()> {
    let cometbft = find_cometbft(opts.cometbft.as_deref())?;
    let home = prepare_home(&opts)?;
    // Everything the system needs is found now, before anything starts.
    let plan = system::Plan::prepare(&parts, &home.root)?;
    if let Some(plan) = &plan {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => return Ok(()),
            built = plan.build_contracts() => built?,
        }
    }
    let (_, app_state) = home.load_genesis()?;
    let chain_id = home.load_genesis()?.0["chain_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    configure_cometbft(&cometbft, &home, &opts, "openledger-dev")?;
    std::fs::create_dir_all(home.data_dir())?;
    let storage = Storage::open(home.state_db())
        .with_context(|| format!("opening {}", home.state_db().display()))?;

    let listener_check = std::net::TcpListener::bind(opts.abci)
        .with_context(|| format!("ABCI address {} is not free", opts.abci))?;
    drop(listener_check);
    let client_api = server::client_api::bind_all(server::client_api::ClientApiConfig {
        rest,
        grpc,
        cometbft_rpc: format!("http://{}", opts.rpc),
    })
    .await?;
    let (rest_addr, grpc_addr) = (client_api.rest_addr(), client_api.grpc_addr());
    let abci_addr = opts.abci;
    let watch = storage.clone();
    let app = App::new(storage).with_wasm(home.data_dir().join("wasm"))?;
    // The dev home's app.toml, when there is one, sizes the query gate as it does for `start`.
    let gate = server::limits::QueryGate::from_config(&home.load_config()?.query);
    let chain_view = server::api::ChainView::new(watch.clone(), app.wasm().cloned(), gate.clone());
    let abci = tokio::spawn(async move { server::abci::serve(app, abci_addr, gate).await });

    let log_path = home.root.join("cometbft.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let mut child = Command::new(&cometbft)
        .args(["start", "--home"])
        .arg(&home.root)
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group, so a terminal's Ctrl-C reaches only us and the shutdown
        // goes in order (CometBFT stopping first would look like a crash to the others).
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", cometbft.display()))?;
    info!(pid = child.id(), log = %log_path.display(), "cometbft started");

    // Serve nothing until block 1 is committed (clients reject an empty app hash).
    let ready = async {
        loop {
            if watch.latest().is_some_and(|l| l.height >= 1) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        _ = ready => {}
        status = child.wait() => bail!("cometbft exited before the first block ({status:?}); see {}", log_path.display()),
        _ = tokio::time::sleep(Duration::from_secs(60)) => {
            stop_child(&mut child, "cometbft").await;
            bail!("no block within 60s; see {}", log_path.display())
        }
    }

    let mut client_api = client_api.serve(chain_view);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut running = None;
    if let Some(plan) = &plan {
        println!(
            "OpenLedger dev chain {chain_id} is up (RPC http://{}); now the rest of the system",
            opts.rpc
        );
        let started = tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => None,
            _ = sigterm.recv() => None,
            status = child.wait() => Some(Err(system::exit_report("cometbft", status, &log_path))),
            res = plan.start(&chain_id, opts.rpc) => Some(res),
        };
        match started {
            Some(Ok(sys)) => running = Some(sys),
            // Failed or interrupted: whatever the set-up had started was killed when its
            // future was dropped.
            other => {
                client_api.shutdown().await;
                stop_child(&mut child, "cometbft").await;
                return match other {
                    Some(Err(e)) => Err(e),
                    _ => {
                        println!("stopped.");
                        Ok(())
                    }
                };
            }
        }
    }

    println!(
        "OpenLedger dev chain {chain_id} is running (home {})",
        home.root.display()
    );
    println!(
        "  CometBFT RPC  http://{}   (WebSocket ws://{}/websocket)",
        opts.rpc, opts.rpc
    );
    if let Some(addr) = rest_addr {
        println!("  REST (LCD)    http://{addr}");
    }
    if let Some(addr) = grpc_addr {
        println!("  gRPC          http://{addr}   (plaintext HTTP/2)");
    }
    println!("  ABCI          tcp://{}", opts.abci);
    println!("  CometBFT log  {}", log_path.display());
    if let Some(sys) = &running {
        sys.print_endpoints();
    }
    println!("Funded accounts (mnemonic: \"{DEV_MNEMONIC}\", HD path m/44'/118'/0'/0/i):");
    for balance in &app_state.bank.balances {
        let coins: Vec<String> = balance
            .coins
            .iter()
            .map(|c| format!("{}{}", c.amount, c.denom))
            .collect();
        let name = DEV_ACCOUNTS
            .iter()
            .find(|(_, a)| *a == balance.address)
            .map(|(n, _)| *n)
            .unwrap_or("funded");
        let credit = running
            .as_ref()
            .and_then(|s| s.credit(&balance.address))
            .map(|c| format!("   inference credit {c}uopen"))
            .unwrap_or_default();
        println!(
            "  {name:<6} {}  {}{credit}",
            balance.address,
            coins.join(",")
        );
    }
    if let Some(sys) = &running {
        sys.print_usage();
    }
    println!("Press Ctrl-C to stop.");

    let daemon_exit = async {
        match running.as_mut() {
            Some(sys) => sys.exited().await,
            None => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = sigterm.recv() => Ok(()),
        status = child.wait() => Err(system::exit_report("cometbft", status, &log_path)),
        res = abci => Err(anyhow::anyhow!("ABCI server stopped: {res:?}")),
        e = client_api.stopped() => Err(e),
        e = daemon_exit => Err(e),
    };
    if let Some(sys) = running.as_mut() {
        info!("stopping: the gateway, then the attester, then the content node");
        sys.stop().await;
    }
    info!("stopping: REST and gRPC first, then cometbft, then the ABCI server");
    client_api.shutdown().await;
    stop_child(&mut child, "cometbft").await;
    if outcome.is_ok() {
        println!("stopped.");
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("0ms").is_err());
    }

    #[test]
    fn dev_accounts_match_cosmjs_derivation_of_the_mnemonic() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/cosmjs-txs.json"
        ))
        .unwrap();
        let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(fixture["mnemonic"], DEV_MNEMONIC);
        for (name, address) in DEV_ACCOUNTS {
            assert_eq!(fixture["accounts"][name]["address"], address, "{name}");
        }
    }
}
