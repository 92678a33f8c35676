//! What `openledgerd dev` runs beside the chain, so that one command brings up the whole system:
//! the content node (a kubo IPFS daemon, [`ipfs`]), the OpenLedger contracts (deployed by
//! `clients/ts/deploy.mjs` on first start, then set up for one machine by `setup.mjs` next to
//! this file), one `openledger-attester` and the `openledger-serve` inference gateway, as
//! supervised children logging to files in the home.
//!
//! The dev home holds it all: `contracts.json` (the deployer's addresses file; its presence,
//! complete, is what keeps a restart from deploying again), `dev-setup.json` (what the set-up
//! registered), `ipfs/` (the kubo repo), `attester/` and `gateway/` (keys, configs, and each
//! one's own `content/` cache: the Datanet rows and the answers go between them over IPFS, as
//! between machines), and one log per child. With `--no-ipfs` the parties share `content/`
//! instead.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tracing::info;

use super::ipfs as kubo;
use super::{stop_child, DEV_MNEMONIC};

/// The wasm artifacts the deployer uploads (`scripts/build-contracts.sh` writes them).
const ARTIFACTS: [&str; 8] = [
    "dao_timelock",
    "open_token",
    "datanet_registry",
    "model_registry",
    "attester_registry",
    "attribution_escrow",
    "dao_stake",
    "dao_multisig",
];

/// The id clients give as `model` for the dev model (SmolLM2-135M-Instruct), also its name in
/// the model registry.
pub const MODEL_NAME: &str = "smollm2-135m-instruct";

/// What each daemon bonds in the attester registry, in uopen (wrapped into OPEN): 1 OPEN, at
/// least the deployer's `min_bond` of 1000 base units.
const BOND_UOPEN: u128 = 1_000_000;

/// How long the dev attester's IPFS fetch looks for content before trying again next pass.
const DEV_IPFS_TIMEOUT_SECS: i64 = 2;

/// Loading the GGUF and the first poll of the chain take seconds; a debug build on a busy
/// machine takes longer.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

/// Which parts run beside the chain, and where the new ones listen.
#[derive(Debug, Clone)]
pub struct SystemOptions {
    /// Deploy and set up the contracts (without them neither daemon has anything to do).
    pub contracts: bool,
    pub attester: bool,
    pub serve: bool,
    /// The gateway's OpenAI API (`http://<serve_addr>/v1`).
    pub serve_addr: SocketAddr,
    /// The attester's Prometheus metrics.
    pub attester_metrics: SocketAddr,
    /// Run the content node (kubo) and move content over IPFS.
    pub ipfs: bool,
    /// The kubo RPC (`http://<ipfs_api>/api/v0`).
    pub ipfs_api: SocketAddr,
}

impl SystemOptions {
    /// The chain alone (`--no-contracts`), what scripts that deploy their own contracts run.
    pub fn chain_only() -> Self {
        SystemOptions {
            contracts: false,
            attester: false,
            serve: false,
            serve_addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            attester_metrics: SocketAddr::from(([127, 0, 0, 1], 9464)),
            ipfs: false,
            ipfs_api: SocketAddr::from(([127, 0, 0, 1], 5001)),
        }
    }
}

/// Everything the system needs, found before the chain starts so a missing piece fails at
/// once with the command that provides it.
#[derive(Debug)]
pub struct Plan {
    opts: SystemOptions,
    home: PathBuf,
    repo: PathBuf,
    node: PathBuf,
    model: PathBuf,
    attester_bin: Option<PathBuf>,
    serve_bin: Option<PathBuf>,
    kubo_bin: Option<PathBuf>,
}

impl Plan {
    /// `None` for the chain alone.
    pub fn prepare(opts: &SystemOptions, home: &Path) -> Result<Option<Plan>> {
        if !opts.contracts {
            return Ok(None);
        }
        let repo = find_repo().context(
            "the contracts, their deployer and the dev model come from an OpenLedger checkout, \
             and none was found above this executable or the current directory: run openledgerd \
             from the checkout (cargo run --release --bin openledgerd -- dev), or start the chain \
             alone with --no-contracts",
        )?;
        let node = find_on_path("node")
            .context("node (Node.js >= 20) not found on PATH; run scripts/setup.sh")?;
        for needed in ["clients/ts/dist/index.js", "clients/ts/node_modules"] {
            if !repo.join(needed).exists() {
                bail!(
                    "{} is missing: clients/ts is not built; run scripts/setup.sh",
                    repo.join(needed).display()
                );
            }
        }
        let model = dev_model(&repo)?;
        let binary = |name: &str, package: &str, flag: &str| {
            find_binary(name, &repo).with_context(|| {
                format!(
                    "{name} not found next to this executable, in {}/target/{{release,debug}} or on \
                     PATH; build it with `cargo build --release -p {package}` (or `cargo build \
                     --release` for every binary), or start without it: {flag}",
                    repo.display()
                )
            })
        };
        let attester_bin = opts
            .attester
            .then(|| {
                binary(
                    "openledger-attester",
                    "openledger-attester",
                    "--no-attester",
                )
            })
            .transpose()?;
        let serve_bin = opts
            .serve
            .then(|| binary("openledger-serve", "openledger-serve", "--no-serve"))
            .transpose()?;
        let kubo_bin = opts.ipfs.then(kubo::find_kubo).transpose()?;
        Ok(Some(Plan {
            opts: opts.clone(),
            home: home.to_path_buf(),
            repo,
            node,
            model,
            attester_bin,
            serve_bin,
            kubo_bin,
        }))
    }

    /// Where `party` ("attester", "gateway", "setup") keeps content: its own cache when
    /// content moves over IPFS, else the one directory all share.
    fn content_dir(&self, party: &str) -> PathBuf {
        match self.kubo_bin {
            Some(_) => self.home.join(party).join("content"),
            None => self.home.join("content"),
        }
    }

    fn ipfs_url(&self) -> Option<String> {
        self.kubo_bin
            .as_ref()
            .map(|_| format!("http://{}", self.opts.ipfs_api))
    }

    /// The content node, ready: its repo made on first start.
    async fn start_ipfs(&self, bin: &Path) -> Result<Daemon> {
        let repo = self.home.join("ipfs");
        let args = kubo::prepare_repo(bin, &repo, self.opts.ipfs_api).await?;
        let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
        let mut d = Daemon::spawn("ipfs (kubo)", bin, &args, self.home.join("ipfs.log"))?;
        println!(
            "Starting the content node (kubo, repo {}, log {})",
            repo.display(),
            d.log.display()
        );
        let api = self.opts.ipfs_api;
        d.wait_until(&format!("the kubo RPC http://{api}/api/v0/id"), || {
            kubo::rpc_ok(api)
        })
        .await?;
        Ok(d)
    }

    fn contracts_file(&self) -> PathBuf {
        self.home.join("contracts.json")
    }

    /// The deployer records `deployed_at_height` once its last step is done; before that a
    /// start runs it again, and it resumes.
    fn deployed(&self) -> bool {
        std::fs::read(self.contracts_file())
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v["deployed_at_height"].is_u64())
    }

    /// Before the first deployment: the wasm artifacts, built when missing (minutes).
    pub async fn build_contracts(&self) -> Result<()> {
        let artifacts = self.repo.join("artifacts");
        let missing: Vec<&str> = ARTIFACTS
            .into_iter()
            .filter(|a| !artifacts.join(format!("{a}.wasm")).is_file())
            .collect();
        if self.deployed() || missing.is_empty() {
            return Ok(());
        }
        let log = self.home.join("build-contracts.log");
        println!(
            "Building the contracts (scripts/build-contracts.sh; {} missing from {}); a few minutes \
             the first time, log {}",
            missing.join(", "),
            artifacts.display(),
            log.display()
        );
        let started = Instant::now();
        let mut cmd = Command::new("bash");
        cmd.arg(self.repo.join("scripts/build-contracts.sh"))
            .current_dir(&self.repo);
        run_step("scripts/build-contracts.sh", cmd, &log, |l| {
            (l.starts_with("==> building") || l.starts_with("==> cargo build finished"))
                .then(|| l.to_string())
        })
        .await?;
        println!(
            "  contracts built in {:.0}s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Deploys the contracts (first start) and sets them up, then starts the daemons and
    /// waits until they answer.
    pub async fn start(&self, chain_id: &str, rpc: SocketAddr) -> Result<System> {
        let rpc_url = format!("http://{rpc}");
        let contracts = self.contracts_file();
        let ipfs = match &self.kubo_bin {
            Some(bin) => Some(self.start_ipfs(bin).await?),
            None => None,
        };
        if self.deployed() {
            println!(
                "Contracts: kept from an earlier start ({})",
                contracts.display()
            );
        } else {
            println!(
                "Deploying the OpenLedger contracts (clients/ts/deploy.mjs, log {}):",
                self.home.join("deploy.log").display()
            );
            let mut cmd = Command::new(&self.node);
            cmd.arg(self.repo.join("clients/ts/deploy.mjs"))
                .args(["--rpc", &rpc_url, "--out"])
                .arg(&contracts)
                .current_dir(&self.repo);
            run_step(
                "deploying the contracts",
                cmd,
                &self.home.join("deploy.log"),
                |l| (l.starts_with('[') || l.starts_with("deploy:")).then(|| l.to_string()),
            )
            .await?;
        }

        let attester_config = match &self.attester_bin {
            Some(bin) => Some(self.attester_home(bin, chain_id, &rpc_url).await?),
            None => None,
        };
        let gateway_dir = self.home.join("gateway");
        let gateway_keys = gateway_dir.join("keys.json");

        println!(
            "Setting up the contracts for this machine (log {}):",
            self.home.join("setup.log").display()
        );
        let state_file = self.home.join("dev-setup.json");
        let mut cmd = Command::new(&self.node);
        cmd.arg(self.repo.join("abci-app/src/dev/setup.mjs"))
            .args(["--rpc", &rpc_url])
            .arg("--contracts")
            .arg(&contracts)
            .arg("--home")
            .arg(&self.home)
            .arg("--model")
            .arg(&self.model)
            .args(["--model-name", MODEL_NAME])
            .arg("--state")
            .arg(&state_file)
            .current_dir(&self.repo);
        match self.ipfs_url() {
            Some(url) => cmd.args(["--ipfs-api", &url]),
            None => cmd.arg("--content-dir").arg(self.content_dir("setup")),
        };
        if let Some(config) = &attester_config {
            cmd.arg("--attester-config").arg(config);
        }
        if self.opts.serve {
            cmd.arg("--gateway-keys").arg(&gateway_keys);
        }
        run_step(
            "setting up the contracts",
            cmd,
            &self.home.join("setup.log"),
            |l| Some(l.to_string()),
        )
        .await?;
        let setup: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&state_file)
                .with_context(|| format!("reading {}", state_file.display()))?,
        )
        .with_context(|| format!("parsing {}", state_file.display()))?;

        let mut system = System {
            contracts,
            setup,
            serve_addr: self.opts.serve_addr,
            attester_metrics: self.opts.attester_metrics,
            attester: None,
            serve: None,
            serve_bin: self.serve_bin.clone(),
            gateway_config: gateway_dir.join("config.toml"),
            ipfs,
            ipfs_api: self.ipfs_url(),
        };
        if let (Some(bin), Some(config)) = (&self.attester_bin, &attester_config) {
            self.bond(&system.setup["attester"], "attester", bin, config)
                .await?;
            let mut args: Vec<OsString> = vec!["run".into(), "-c".into()];
            args.push(config.into());
            system.attester = Some(Daemon::spawn(
                "openledger-attester",
                bin,
                &args,
                self.home.join("attester.log"),
            )?);
        }
        if let Some(bin) = &self.serve_bin {
            let model_id = system.setup["model"]["id"]
                .as_u64()
                .context("dev-setup.json names no registered model")?;
            write_gateway_config(
                &system.gateway_config,
                self.opts.serve_addr,
                chain_id,
                &rpc_url,
                &system.contracts,
                &self.content_dir("gateway"),
                self.ipfs_url().as_deref(),
                &self.model,
                model_id,
            )?;
            self.bond(
                &system.setup["gateway"],
                "gateway operator",
                bin,
                &system.gateway_config,
            )
            .await?;
            let mut args: Vec<OsString> = vec!["run".into(), "-c".into()];
            args.push(system.gateway_config.clone().into());
            system.serve = Some(Daemon::spawn(
                "openledger-serve",
                bin,
                &args,
                self.home.join("serve.log"),
            )?);
        }
        if let Some(d) = &mut system.attester {
            println!("Starting the attester (log {})", d.log.display());
            d.wait_ready(self.opts.attester_metrics, "/metrics").await?;
        }
        if let Some(d) = &mut system.serve {
            println!(
                "Starting the inference gateway, loading {} (log {})",
                self.model.display(),
                d.log.display()
            );
            d.wait_ready(self.opts.serve_addr, "/ready").await?;
        }
        Ok(system)
    }

    /// Registers and bonds a daemon's key with its own `register` command (`openledger-attester
    /// register` registers the method and model it attests; `openledger-serve register` a
    /// gateway, with no methods), unless setup.mjs found it bonded already.
    async fn bond(
        &self,
        standing: &serde_json::Value,
        what: &str,
        bin: &Path,
        config: &Path,
    ) -> Result<()> {
        let address = standing["address"].as_str().unwrap_or("?");
        if standing["needs_bond"] == serde_json::Value::Bool(false) {
            println!("  {what} {address}: registered and bonded (already)");
            return Ok(());
        }
        let mut cmd = Command::new(bin);
        cmd.arg("register")
            .arg("-c")
            .arg(config)
            .args(["--bond", &BOND_UOPEN.to_string()]);
        let step = format!("registering the {what} ({} register)", bin.display());
        run_step(&step, cmd, &self.home.join("setup.log"), |l| {
            Some(format!("{what}: {l}"))
        })
        .await
    }

    /// The attester's home (`openledger-attester init` on first start): its config path.
    async fn attester_home(&self, bin: &Path, chain_id: &str, rpc: &str) -> Result<PathBuf> {
        let dir = self.home.join("attester");
        let config = dir.join("config.toml");
        let content = self.content_dir("attester");
        if !config.exists() {
            let mut init = Command::new(bin);
            init.arg("init");
            if let Some(url) = self.ipfs_url() {
                init.args(["--ipfs-api", &url]);
            }
            let out = init
                .arg("--home")
                .arg(&dir)
                .args(["--chain-id", chain_id, "--rpc", rpc])
                .arg("--contracts")
                .arg(self.contracts_file())
                .arg("--content-dir")
                .arg(&content)
                .arg("--model")
                .arg(&self.model)
                .arg("--metrics-addr")
                .arg(self.opts.attester_metrics.to_string())
                .stdin(Stdio::null())
                .output()
                .await
                .with_context(|| format!("running {} init", bin.display()))?;
            if !out.status.success() {
                bail!(
                    "openledger-attester init failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        // Every start: a restart may use other ports (--rpc-port, --attester-metrics-port,
        // --ipfs-port), turn IPFS on or off, or find another cached model file; the keys and
        // the journal stay.
        let text = std::fs::read_to_string(&config)
            .with_context(|| format!("reading {}", config.display()))?;
        let mut table: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", config.display()))?;
        let s = |v: String| toml::Value::String(v);
        table.insert("rpc".into(), s(rpc.to_string()));
        table.insert(
            "metrics_addr".into(),
            s(self.opts.attester_metrics.to_string()),
        );
        table.insert("model".into(), s(self.model.display().to_string()));
        // A home first started with --no-ipfs keeps its shared directory readable.
        let shared = self.home.join("content");
        let dirs = std::iter::once(content.clone())
            .chain((shared != content && shared.is_dir()).then_some(shared))
            .map(|d| s(d.display().to_string()))
            .collect();
        table.insert("content_dirs".into(), toml::Value::Array(dirs));
        match self.ipfs_url() {
            Some(url) => table.insert("ipfs_api".into(), s(url)),
            None => table.remove("ipfs_api"),
        };
        // A dev chain's blocks are fast (a commit window of 30 blocks is 15 s at the default
        // 500 ms): a fetch must give up soon enough for the next pass to look again in time.
        table.insert(
            "ipfs_timeout_secs".into(),
            toml::Value::Integer(DEV_IPFS_TIMEOUT_SECS),
        );
        crate::config::write_atomic(&config, toml::to_string(&table)?.as_bytes())?;
        Ok(config)
    }
}

/// The running system beside the chain.
pub struct System {
    contracts: PathBuf,
    /// `dev-setup.json`: what setup.mjs registered.
    setup: serde_json::Value,
    serve_addr: SocketAddr,
    attester_metrics: SocketAddr,
    attester: Option<Daemon>,
    serve: Option<Daemon>,
    serve_bin: Option<PathBuf>,
    gateway_config: PathBuf,
    ipfs: Option<Daemon>,
    ipfs_api: Option<String>,
}

impl System {
    /// The endpoints, after the chain's.
    pub fn print_endpoints(&self) {
        let escrow = std::fs::read(&self.contracts)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| {
                v["contracts"]["attribution_escrow"]["address"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default();
        println!(
            "  Contracts     {}   (escrow {escrow})",
            self.contracts.display()
        );
        if let (Some(d), Some(api)) = (&self.ipfs, &self.ipfs_api) {
            println!(
                "  IPFS (kubo)   {api}/api/v0   (content node; Datanet rows, answers, receipts)"
            );
            println!("  IPFS log      {}", d.log.display());
        }
        if let Some(d) = &self.serve {
            println!(
                "  Gateway       http://{}/v1   (OpenAI API; model {MODEL_NAME} = registry model {}; operator {})",
                self.serve_addr,
                self.setup["model"]["id"],
                self.setup["gateway"]["address"].as_str().unwrap_or("?")
            );
            println!("  Gateway log   {}", d.log.display());
        }
        if let Some(d) = &self.attester {
            println!(
                "  Attester      {}   metrics http://{}/metrics",
                self.setup["attester"]["address"].as_str().unwrap_or("?"),
                self.attester_metrics
            );
            println!("  Attester log  {}", d.log.display());
        }
        if self.serve.is_some() && self.attester.is_none() {
            println!(
                "  (no attester: the gateway's jobs open only while another attester of the \
                 model is bonded)"
            );
        }
    }

    /// Inference credit of the dev accounts.
    pub fn credit(&self, address: &str) -> Option<String> {
        let accounts = self.setup["accounts"].as_object()?;
        accounts
            .values()
            .find(|a| a["address"] == address)
            .and_then(|a| a["credit"].as_str())
            .map(str::to_string)
    }

    /// How to buy an answer, after the accounts.
    pub fn print_usage(&self) {
        let Some(bin) = &self.serve_bin else {
            return;
        };
        println!(
            "An API key for alice (for bob add --account-index 1), then an answer paid from her credit:"
        );
        println!(
            "  KEY=$({} api-key -c {} --mnemonic \"{DEV_MNEMONIC}\")",
            bin.display(),
            self.gateway_config.display()
        );
        println!(
            "  curl http://{}/v1/chat/completions -H \"Authorization: Bearer $KEY\" \
             -H 'Content-Type: application/json' -d '{{\"model\": \"{MODEL_NAME}\", \"messages\": \
             [{{\"role\": \"user\", \"content\": \"What is the capital of France?\"}}], \"max_tokens\": 32}}'",
            self.serve_addr
        );
        println!(
            "  (any OpenAI client works with baseURL http://{}/v1 and that key; the answer's job \
             id is in its x-openledger-job header)",
            self.serve_addr
        );
    }

    /// Resolves when a daemon exits, which it never should: the error names it and shows the
    /// end of its log.
    pub async fn exited(&mut self) -> anyhow::Error {
        let (serve, attester, ipfs) = (&mut self.serve, &mut self.attester, &mut self.ipfs);
        let serve = async move {
            match serve {
                Some(d) => d.exited().await,
                None => std::future::pending().await,
            }
        };
        let attester = async move {
            match attester {
                Some(d) => d.exited().await,
                None => std::future::pending().await,
            }
        };
        let ipfs = async move {
            match ipfs {
                Some(d) => d.exited().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            e = serve => e,
            e = attester => e,
            e = ipfs => e,
        }
    }

    /// Stops the gateway first (no new jobs), then the attester, then the content node both
    /// read from.
    pub async fn stop(&mut self) {
        for d in [&mut self.serve, &mut self.attester, &mut self.ipfs]
            .into_iter()
            .flatten()
        {
            stop_child(&mut d.child, d.name).await;
        }
    }
}

/// A child that runs until the system stops.
struct Daemon {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn spawn(name: &'static str, program: &Path, args: &[OsString], log: PathBuf) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("opening {}", log.display()))?;
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            // Its own process group: a terminal's Ctrl-C reaches only openledgerd, which
            // stops the children in order.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        info!(pid = child.id(), log = %log.display(), "{name} started");
        Ok(Daemon { name, child, log })
    }

    async fn exited(&mut self) -> anyhow::Error {
        let status = self.child.wait().await;
        exit_report(self.name, status, &self.log)
    }

    async fn wait_ready(&mut self, addr: SocketAddr, path: &str) -> Result<()> {
        self.wait_until(&format!("http://{addr}{path}"), || {
            http_ok(addr, "GET", path)
        })
        .await
    }

    /// Waits until `ready` says so, failing when the child exits or after [`READY_TIMEOUT`].
    async fn wait_until<F: std::future::Future<Output = bool>>(
        &mut self,
        what: &str,
        ready: impl Fn() -> F,
    ) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if ready().await {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(exit_report(self.name, Ok(status), &self.log));
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not answer {what} within {}s; see {}",
                    self.name,
                    READY_TIMEOUT.as_secs(),
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// "NAME exited unexpectedly (STATUS)", with the end of its log.
pub(crate) fn exit_report(
    name: &str,
    status: std::io::Result<ExitStatus>,
    log: &Path,
) -> anyhow::Error {
    let status = match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("wait failed: {e}"),
    };
    anyhow!(
        "{name} exited unexpectedly ({status}); the end of {}:\n{}",
        log.display(),
        tail(log, 20)
    )
}

/// The last `lines` lines of a log (read from its last 16 KiB: logs grow for as long as the
/// chain runs).
fn tail(path: &Path, lines: usize) -> String {
    let read = || -> std::io::Result<String> {
        let mut f = std::fs::File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(16 * 1024)))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            all[start..]
                .iter()
                .map(|l| format!("  | {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Err(e) => format!("  (cannot read it: {e})"),
    }
}

/// Runs a set-up step to completion: its stdout goes to the log, and what `relay` makes of a
/// line, if anything, is printed as progress; stderr goes to the log only.
async fn run_step(
    what: &str,
    mut cmd: Command,
    log: &Path,
    relay: impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(file.try_clone()?)
        // As the daemons: Ctrl-C is openledgerd's to handle (dropping this kills it).
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("{what}: starting {:?}", cmd.as_std().get_program()))?;
    let stdout = child.stdout.take().context("child stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut file = tokio::fs::File::from_std(file);
    while let Some(line) = lines.next_line().await? {
        file.write_all(line.as_bytes()).await?;
        file.write_all(b"\n").await?;
        if let Some(progress) = relay(&line) {
            println!("  {progress}");
        }
    }
    let status = child.wait().await?;
    if !status.success() {
        bail!(
            "{what} failed ({status}); the end of {}:\n{}",
            log.display(),
            tail(log, 20)
        );
    }
    Ok(())
}

/// True when `METHOD path` (no body) answers 200 (HTTP/1.0, so the server closes the connection).
pub(super) async fn http_ok(addr: SocketAddr, method: &str, path: &str) -> bool {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(
                format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<bool, std::io::Error>(head.starts_with(b"HTTP/1.") && &head[8..12] == b" 200")
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), exchange).await,
        Ok(Ok(true))
    )
}

#[allow(clippy::too_many_arguments)]
fn write_gateway_config(
    path: &Path,
    listen: SocketAddr,
    chain_id: &str,
    rpc: &str,
    contracts: &Path,
    content: &Path,
    ipfs_api: Option<&str>,
    model: &Path,
    model_id: u64,
) -> Result<()> {
    // Written on every start (ports and the model id may change); the keys beside it stay.
    let q = |p: &Path| toml::Value::String(p.display().to_string());
    let text = format!(
        "# Written by `openledgerd dev` on every start (edits are overwritten).\n\
         listen = \"{listen}\"\n\
         chain_id = {chain_id}\n\
         content_dir = {content}\n\
         {ipfs}\
         \n\
         [chain]\n\
         rpc = {rpc}\n\
         contracts = {contracts}\n\
         key_file = \"keys.json\"\n\
         \n\
         [[models]]\n\
         name = \"{MODEL_NAME}\"\n\
         path = {model}\n\
         registry_id = {model_id}\n",
        chain_id = toml::Value::String(chain_id.into()),
        content = q(content),
        ipfs = ipfs_api
            .map(|u| format!("ipfs_api = {}\n", toml::Value::String(u.into())))
            .unwrap_or_default(),
        rpc = toml::Value::String(rpc.into()),
        contracts = q(contracts),
        model = q(model),
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::config::write_atomic(path, text.as_bytes())
}

/// The checkout holding the deployer and the contract build: above this executable (a
/// `target/` build), above the current directory, or where this was compiled.
fn find_repo() -> Option<PathBuf> {
    let is_repo = |d: &Path| {
        d.join("clients/ts/deploy.mjs").is_file() && d.join("scripts/build-contracts.sh").is_file()
    };
    let mut starts: Vec<PathBuf> = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        starts.push(exe);
    }
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    starts.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    starts
        .iter()
        .flat_map(|s| s.ancestors())
        .find(|d| is_repo(d))
        .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
}

/// `name` next to this executable, then in the checkout's cargo target dir (release, then
/// debug), then on PATH.
fn find_binary(name: &str, repo: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(dir);
    }
    dirs.push(repo.join("target/release"));
    dirs.push(repo.join("target/debug"));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .or_else(|| find_on_path(name))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The dev model's GGUF, as `scripts/fetch-models.sh --check` prints it (setup caches it).
fn dev_model(repo: &Path) -> Result<PathBuf> {
    let out = std::process::Command::new("bash")
        .arg(repo.join("scripts/fetch-models.sh"))
        .arg("--check")
        .stderr(Stdio::null())
        .output()
        .context("running scripts/fetch-models.sh --check")?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !path.is_file() {
        bail!(
            "the dev model (SmolLM2-135M-Instruct GGUF) is not cached: run scripts/setup.sh \
             (or scripts/fetch-models.sh), or start the chain alone with --no-contracts"
        );
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_config_loads_as_openledger_serve_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway/config.toml");
        write_gateway_config(
            &path,
            "127.0.0.1:8000".parse().unwrap(),
            "openledger-dev-1",
            "http://127.0.0.1:26657",
            Path::new("/home/dev/contracts.json"),
            Path::new("/home/dev/content"),
            Some("http://127.0.0.1:5001"),
            Path::new("/models/SmolLM2 \"135M\".gguf"),
            7,
        )
        .unwrap();
        let table: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(table["listen"].as_str(), Some("127.0.0.1:8000"));
        assert_eq!(table["chain"]["key_file"].as_str(), Some("keys.json"));
        assert_eq!(table["ipfs_api"].as_str(), Some("http://127.0.0.1:5001"));
        let model = &table["models"].as_array().unwrap()[0];
        assert_eq!(model["name"].as_str(), Some(MODEL_NAME));
        assert_eq!(
            model["path"].as_str(),
            Some("/models/SmolLM2 \"135M\".gguf")
        );
        assert_eq!(model["registry_id"].as_integer(), Some(7));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&log, text).unwrap();
        assert_eq!(tail(&log, 2), "  | line 98\n  | line 99");
        assert!(tail(&dir.path().join("none"), 2).contains("cannot read"));
    }

    #[test]
    fn this_checkout_is_found() {
        let repo = find_repo().unwrap();
        assert!(repo.join("abci-app/src/dev/setup.mjs").is_file());
    }
}
