//! `openledger-attester`: run an OpenLedger attester (see `--help`).

#![deny(clippy::unwrap_used)]

use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use cosmwasm_std::{HexBinary, Timestamp, Uint128};
use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::tokenizer::TextStream;
use gpu_oracle::llm::{
    generate, CpuDecoder, Decoder, GenerateOptions, GpuDecoder, LlamaWeights, Sampling, Tokenizer,
};
use gpu_oracle::GpuContext;
use openledger_attester::chain::{Chain, Included};
use openledger_attester::config::{Config, Deployment};
use openledger_attester::content::ContentStore;
use openledger_attester::daemon::Attester;
use openledger_attester::ipfs::Ipfs;
use openledger_attester::keys::Keys;
use openledger_attester::metrics;
use openledger_attester::receipt;
use openledger_attester::AttesterError;
use openledger_types::attester::{
    AttesterInfo, AttesterStatus, Capabilities, ConfigResponse as RegistryConfig,
    ExecuteMsg as RegistryExecute, QueryMsg as RegistryQuery,
};
use openledger_types::common::Method;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "openledger-attester",
    version,
    about = "OpenLedger attester: takes attribution jobs assigned to its key from the chain, \
             computes them (suffix_span over the Datanet versions a job names), and commits then \
             reveals signed, IBC-shaped attestation packets"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a home: fresh keys (keys.json, mode 0600) and a config.toml to edit.
    Init(InitArgs),
    /// Register this key with the attester registry (if needed) and bond stake, in one tx.
    Register {
        #[arg(long, short)]
        config: PathBuf,
        /// uopen to wrap into OPEN and bond (at least the registry's min_bond to be eligible).
        #[arg(long, default_value_t = 0)]
        bond: u128,
        /// Backend named in the registered capabilities.
        #[arg(long, default_value = "wgpu")]
        backend: String,
    },
    /// Run the daemon until Ctrl-C / SIGTERM.
    Run {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Withdraw the rewards the escrow credited to this attester.
    Claim {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Start unbonding part of the bonded stake (one tx to the attester registry).
    ///
    /// It becomes withdrawable with `claim-unbonded` once the registry's unbonding period is
    /// over, and can be slashed until then. Unbonding more restarts the period for all stake unbonding. A
    /// bond left below the registry's min_bond makes the attester inactive (no new jobs).
    Unbond {
        #[arg(long, short)]
        config: PathBuf,
        /// OPEN base units to unbond (1 OPEN = 1 000 000): at least 1, at most what is bonded.
        #[arg(long, value_name = "UOPEN")]
        amount: u128,
    },
    /// Withdraw the stake whose unbonding period is over (one tx to the attester registry).
    ///
    /// The registry sends it back as CW20 OPEN. Says so and sends nothing when nothing is unbonding;
    /// fails, naming the release time, while the period runs, and while the escrow still lists
    /// open obligations of this attester (jobs assigned to it, results in a challenge window).
    ClaimUnbonded {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Leave jail once its term is over (one tx to the attester registry).
    ///
    /// Says so and sends nothing when not jailed; fails, with the time left, while the term runs. The attester is
    /// active again if its bond is at least the registry's min_bond, else inactive.
    Unjail {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Change the registered capabilities (one tx to the attester registry).
    ///
    /// Each flag replaces one field; the others keep their registered values. Prints the old and
    /// the new ones.
    UpdateCapabilities(UpdateCapabilitiesArgs),
    /// Show this attester's registration, bond and journaled jobs.
    Status {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Serve one inference as a model operator: run the GGUF model on a prompt (greedy), stream
    /// the tokens to stderr, store prompt and output in the content store, and print
    /// {input_hash, output_hash, input_tokens, output_tokens, output} as JSON.
    Infer(InferArgs),
    /// Attribution receipts: the evidence behind what a job paid each contribution.
    #[command(subcommand)]
    Receipt(ReceiptCommand),
}

#[derive(Subcommand)]
enum ReceiptCommand {
    /// Print the receipt this attester wrote for a job (JSON).
    Show {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        job: u64,
    },
    /// Check receipts offline: the attester's ed25519 signature over the revealed packet, the
    /// job spec it names, the answer's hash, and for every paid contribution its row's hash, its
    /// Merkle proof against the version root and its matched spans. FILE holds one receipt or a
    /// demo receipt (receipts under jobs[].evidence[]). Exits 1 on the first failure.
    Verify { file: PathBuf },
}

#[derive(Args)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["backend", "max_job_bytes", "methods", "model_hashes", "any_model"]),
))]
struct UpdateCapabilitiesArgs {
    #[arg(long, short)]
    config: PathBuf,
    /// Backend named in the capabilities (free text, at most 64 bytes, e.g. wgpu, cpu-reference).
    #[arg(long)]
    backend: Option<String>,
    /// Most bytes of inputs per job this attester takes. The daemon refuses larger jobs by
    /// config.toml's max_job_bytes whatever is registered: keep the two equal.
    #[arg(long, value_name = "BYTES")]
    max_job_bytes: Option<u64>,
    /// An attribution method offered; repeat for several (1 to 8); replaces the registered
    /// list. This daemon computes suffix_span only.
    #[arg(long = "method", value_enum, value_name = "METHOD")]
    methods: Vec<MethodArg>,
    /// sha256 of a GGUF model served (64 hex digits); repeat for several (at most 64);
    /// replaces the registered list.
    #[arg(long = "model-hash", value_name = "HEX", value_parser = parse_hash32,
          conflicts_with = "any_model")]
    model_hashes: Vec<HexBinary>,
    /// Register no model hashes: take jobs for any model.
    #[arg(long)]
    any_model: bool,
}

/// The registry's methods, spelled as on the wire.
#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    #[value(name = "suffix_span")]
    SuffixSpan,
    #[value(name = "datainf_lora")]
    DatainfLora,
    #[value(name = "tracin_proj")]
    TracinProj,
    #[value(name = "rag_retrieval")]
    RagRetrieval,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::SuffixSpan => Method::SuffixSpan,
            MethodArg::DatainfLora => Method::DatainfLora,
            MethodArg::TracinProj => Method::TracinProj,
            MethodArg::RagRetrieval => Method::RagRetrieval,
        }
    }
}

fn parse_hash32(s: &str) -> Result<HexBinary, String> {
    let bytes = hex::decode(s.trim()).map_err(|e| format!("not hex: {e}"))?;
    if bytes.len() != 32 {
        return Err(format!(
            "{} bytes; a model hash is a sha256, 32 bytes (64 hex digits)",
            bytes.len()
        ));
    }
    Ok(HexBinary::from(bytes))
}

#[derive(Args)]
struct InitArgs {
    /// Directory to create (keys.json, config.toml, state/).
    #[arg(long)]
    home: PathBuf,
    #[arg(long, default_value = "openledger-dev-1")]
    chain_id: String,
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    rpc: String,
    /// Addresses file written by scripts/deploy.sh.
    #[arg(long)]
    contracts: PathBuf,
    /// Content-addressed store(s) holding Datanet rows and inference outputs (the first is
    /// also the cache of what IPFS gives).
    #[arg(long = "content-dir", required = true)]
    content_dirs: Vec<PathBuf>,
    /// A kubo daemon's HTTP RPC (e.g. http://127.0.0.1:5001): content not in the directories is
    /// fetched from IPFS through it, and checked against its on-chain sha256.
    #[arg(long)]
    ipfs_api: Option<String>,
    /// GGUF model served (default: the SmolLM2 file scripts/fetch-models.sh caches).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Serve Prometheus metrics here (e.g. 127.0.0.1:9464).
    #[arg(long)]
    metrics_addr: Option<std::net::SocketAddr>,
}

#[derive(Args)]
struct InferArgs {
    #[arg(long)]
    model: Option<PathBuf>,
    /// Where the input and output are stored, as files named by their sha256.
    #[arg(long = "content-dir")]
    content_dir: PathBuf,
    /// Also add and pin them on IPFS through this kubo RPC (e.g. http://127.0.0.1:5001), so
    /// attesters on other machines can fetch them.
    #[arg(long)]
    ipfs_api: Option<String>,
    #[arg(long)]
    prompt: String,
    /// Wrap the prompt in the model's chat template as a user message.
    #[arg(long)]
    chat: bool,
    #[arg(long, default_value_t = 24)]
    max_tokens: usize,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    /// The plain-Rust CPU reference decoder.
    Cpu,
    /// wgpu (a GPU, or Mesa lavapipe on machines without one).
    Wgpu,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Init(args) => init(args),
        Command::Infer(args) => infer(args),
        Command::Receipt(ReceiptCommand::Show { config, job }) => {
            let cfg = Config::load(&config)?;
            let path = receipt::path(&cfg.state_dir, job);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("no receipt for job {job} ({})", path.display()))?;
            std::io::stdout().write_all(&bytes)?;
            println!();
            Ok(())
        }
        Command::Receipt(ReceiptCommand::Verify { file }) => {
            let receipts = receipt::read(&file)?;
            for r in &receipts {
                let c = receipt::verify(r).with_context(|| {
                    format!("receipt of job {} in {}", r.job_id, file.display())
                })?;
                println!(
                    "job {}: signature, spec and answer check out; {} paid contribution(s), \
                     {} Merkle proof(s) and {} matched span(s) verified",
                    c.job_id, c.contributions, c.proofs, c.spans
                );
            }
            println!("{} receipt(s) verified", receipts.len());
            Ok(())
        }
        Command::Register {
            config,
            bond,
            backend,
        } => runtime()?.block_on(async {
            let a = attester(&config)?;
            let tx = a.register(bond, &backend).await.context("register")?;
            let info = a
                .attester_info()
                .await?
                .context("registered, yet the registry does not know us")?;
            println!(
                "{} registered: bonded {} OPEN base units, status {:?} (tx {})",
                a.address(),
                info.bonded,
                info.status,
                tx.hash
            );
            Ok(())
        }),
        Command::Run { config } => runtime()?.block_on(async {
            let mut a = attester(&config)?;
            let cfg = Config::load(&config)?;
            if let Some(addr) = cfg.metrics_addr {
                metrics::serve(addr, a.metrics()).await?;
                tracing::info!("metrics on http://{addr}/metrics");
            }
            a.run(shutdown_signal()).await?;
            Ok(())
        }),
        Command::Claim { config } => runtime()?.block_on(async {
            let a = attester(&config)?;
            match a.claim().await? {
                (amount, Some(tx)) => println!("claimed {amount} OPEN base units (tx {})", tx.hash),
                (_, None) => println!("nothing to claim"),
            }
            Ok(())
        }),
        Command::Unbond { config, amount } => runtime()?.block_on(unbond(&config, amount)),
        Command::ClaimUnbonded { config } => runtime()?.block_on(claim_unbonded(&config)),
        Command::Unjail { config } => runtime()?.block_on(unjail(&config)),
        Command::UpdateCapabilities(args) => runtime()?.block_on(update_capabilities(args)),
        Command::Status { config } => runtime()?.block_on(async {
            let a = attester(&config)?;
            println!("attester {}", a.address());
            println!("model    {}", hex::encode(a.model_hash()));
            match a.attester_info().await? {
                Some(i) => println!(
                    "registry status {:?}, bonded {}, unbonding {}, slashed {}",
                    i.status, i.bonded, i.unbonding, i.slashed_total
                ),
                None => println!("not registered (run `openledger-attester register`)"),
            }
            for e in a.journal().entries()? {
                println!(
                    "job {:>6}  {:<9} {}",
                    e.job_id,
                    format!("{:?}", e.phase),
                    e.outcome.unwrap_or_default()
                );
            }
            Ok(())
        }),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")
}

fn attester(config: &Path) -> Result<Attester> {
    let cfg = Config::load(config)?;
    Attester::new(cfg).with_context(|| format!("starting the attester from {}", config.display()))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// What the operator commands (`unbond`, `claim-unbonded`, `unjail`, `update-capabilities`)
/// need: the key, the chain and the registry. Unlike [`attester`] it does not load the served
/// model (reading and hashing the GGUF), so they also run on a host that has only the keys.
struct Operator {
    cfg: Config,
    keys: Keys,
    chain: Chain,
    registry: String,
}

impl Operator {
    fn load(config: &Path) -> Result<Self> {
        let cfg = Config::load(config)?;
        let keys = Keys::load(&cfg.key_file, &cfg.prefix)?;
        let deployment = Deployment::load(&cfg.contracts, &cfg.chain_id)?;
        // Config::load has already checked it; this only unpacks it.
        let gas_price = cfg.gas_price_parts().map_err(anyhow::Error::msg)?;
        let chain = Chain::new(&cfg.rpc, &cfg.chain_id, gas_price, cfg.gas_adjustment)?;
        Ok(Operator {
            registry: deployment.contracts.attester_registry.address,
            cfg,
            keys,
            chain,
        })
    }

    /// This attester's registry record; an error naming the fix when it is not registered.
    async fn info(&self) -> Result<AttesterInfo> {
        let q = RegistryQuery::Attester {
            operator: self.keys.address.clone(),
        };
        match self.chain.smart(&self.registry, &q).await {
            Ok(info) => Ok(info),
            Err(AttesterError::Query { log, .. }) if log.contains("not found") => bail!(
                "{} is not registered with the attester registry {} \
                 (run `openledger-attester register` first)",
                self.keys.address,
                self.registry
            ),
            Err(e) => Err(e).context("querying the attester registry"),
        }
    }

    async fn registry_config(&self) -> Result<RegistryConfig> {
        self.chain
            .smart(&self.registry, &RegistryQuery::Config {})
            .await
            .context("querying the attester registry's config")
    }

    /// Sends `msg` to the registry in one tx and waits for its block; a refusal comes back in
    /// the contract's own words.
    async fn send(&self, what: &str, msg: &RegistryExecute) -> Result<Included> {
        let msg = serde_json::to_value(msg).context("encoding the registry message")?;
        self.chain
            .execute(&self.keys, what, &[(self.registry.clone(), msg, vec![])])
            .await
            .map_err(|e| refusal(what, e))
    }
}

/// Turns the node's wrapping of a contract error ("failed to execute message; message index:
/// 0: <reason>: execute wasm contract failed", from the simulation or the block) into the
/// reason, explained where the registry's words alone do not say what to do.
fn refusal(what: &str, e: AttesterError) -> anyhow::Error {
    let AttesterError::Tx {
        code, log, hash, ..
    } = &e
    else {
        return anyhow::Error::new(e).context(format!("sending {what}"));
    };
    let reason = log
        .split_once("message index: ")
        .and_then(|(_, rest)| rest.split_once(": "))
        .map_or(log.as_str(), |(_, reason)| reason);
    let reason = reason
        .strip_suffix(": execute wasm contract failed")
        .unwrap_or(reason);
    let tx = hash
        .as_ref()
        .map(|h| format!(" (tx {h}, code {code})"))
        .unwrap_or_else(|| format!(" (refused in simulation, code {code}; nothing was sent)"));
    let explained = match reason
        .strip_prefix("Stake still answers for open jobs ")
        .and_then(|r| r.strip_suffix(" of the verifier"))
    {
        Some(jobs) => format!(
            "the escrow still lists open obligations of this attester: jobs {jobs} (assigned \
             to it, or results it stands behind in a challenge window or an open challenge). \
             Unbonded stake can leave only once they are settled; try again later"
        ),
        None => reason.to_string(),
    };
    anyhow::anyhow!("{what}: the attester registry refused it{tx}: {explained}")
}

/// `t` as UTC RFC 3339, to the second.
fn utc(t: Timestamp) -> String {
    i64::try_from(t.seconds())
        .ok()
        .and_then(|s| cosmrs::tendermint::Time::from_unix_timestamp(s, 0).ok())
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| format!("unix time {}", t.seconds()))
}

/// A duration for people: "2d 3h", "1h 5m", "4m 10s", "12s".
fn human(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn status_text(s: &AttesterStatus) -> String {
    match s {
        AttesterStatus::Active => "active".into(),
        AttesterStatus::Inactive => "inactive".into(),
        AttesterStatus::Jailed { until } => {
            format!("jailed until {}", utc(Timestamp::from_seconds(*until)))
        }
        AttesterStatus::Tombstoned => "tombstoned".into(),
    }
}

fn release_text(i: &AttesterInfo) -> String {
    match i.release_at {
        Some(t) if !i.unbonding.is_zero() => format!(", releasable from {}", utc(t)),
        _ => String::new(),
    }
}

async fn unbond(config: &Path, amount: u128) -> Result<()> {
    // Refused before anything is read: the registry would refuse it too, after a fee.
    if amount == 0 {
        bail!("--amount must be at least 1 OPEN base unit");
    }
    let op = Operator::load(config)?;
    let before = op.info().await?;
    if Uint128::new(amount) > before.bonded {
        bail!(
            "cannot unbond {amount}: {} has {} OPEN base units bonded (and {} already unbonding)",
            op.keys.address,
            before.bonded,
            before.unbonding
        );
    }
    let tx = op
        .send(
            "unbond",
            &RegistryExecute::Unbond {
                amount: Uint128::new(amount),
            },
        )
        .await?;
    let after = op.info().await?;
    println!(
        "unbonding {amount} OPEN base units (tx {}, height {}): bonded {}, unbonding {}{}, \
         status {}",
        tx.hash,
        tx.height,
        after.bonded,
        after.unbonding,
        release_text(&after),
        status_text(&after.status)
    );
    if !before.unbonding.is_zero() {
        println!(
            "the {} that were already unbonding now wait for the new release time too",
            before.unbonding
        );
    }
    Ok(())
}

async fn claim_unbonded(config: &Path) -> Result<()> {
    let op = Operator::load(config)?;
    let info = op.info().await?;
    if info.unbonding.is_zero() {
        println!(
            "nothing is unbonding (bonded {}); nothing sent. Start with `openledger-attester \
             unbond`",
            info.bonded
        );
        return Ok(());
    }
    if let Some(release) = info.release_at {
        // The registry compares with block time, not this host's clock.
        let (height, now) = op.chain.latest_block().await?;
        if release > now {
            bail!(
                "{} OPEN base units are unbonding until {}: {} from now by the chain's clock \
                 (block {height}); claim then",
                info.unbonding,
                utc(release),
                human(release.seconds().saturating_sub(now.seconds()).max(1))
            );
        }
    }
    let tx = op
        .send("claim unbonded", &RegistryExecute::ClaimUnbonded {})
        .await?;
    println!(
        "claimed {} OPEN base units of unbonded stake (tx {}, height {}), sent to {} as CW20 \
         OPEN; still bonded {}",
        info.unbonding, tx.hash, tx.height, op.keys.address, info.bonded
    );
    Ok(())
}

async fn unjail(config: &Path) -> Result<()> {
    let op = Operator::load(config)?;
    let info = op.info().await?;
    match info.status {
        AttesterStatus::Jailed { until } => {
            let (height, now) = op.chain.latest_block().await?;
            if now.seconds() < until {
                bail!(
                    "jailed until {}: {} left by the chain's clock (block {height}); unjail then",
                    utc(Timestamp::from_seconds(until)),
                    human(until - now.seconds())
                );
            }
        }
        AttesterStatus::Tombstoned => bail!(
            "{} is tombstoned: removed for good, it cannot be unjailed",
            op.keys.address
        ),
        AttesterStatus::Active | AttesterStatus::Inactive => {
            println!(
                "not jailed (status {}); nothing sent",
                status_text(&info.status)
            );
            return Ok(());
        }
    }
    let tx = op.send("unjail", &RegistryExecute::Unjail {}).await?;
    let after = op.info().await?;
    println!(
        "unjailed (tx {}, height {}): status {}, bonded {}",
        tx.hash,
        tx.height,
        status_text(&after.status),
        after.bonded
    );
    if after.status == AttesterStatus::Inactive {
        let min_bond = op.registry_config().await?.min_bond;
        println!(
            "the bond is below the registry's min_bond of {min_bond}: bond more \
             (`openledger-attester register --bond`) to be assigned jobs again"
        );
    }
    Ok(())
}

fn method_name(m: &Method) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| format!("{m:?}"))
}

fn capabilities_text(c: &Capabilities) -> String {
    let methods: Vec<String> = c.methods.iter().map(method_name).collect();
    let models = if c.model_hashes.is_empty() {
        "any".to_string()
    } else {
        c.model_hashes
            .iter()
            .map(|h| h.to_hex())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "methods [{}], models [{models}], backend {:?}, max_job_bytes {}",
        methods.join(", "),
        c.backend,
        c.max_job_bytes
    )
}

async fn update_capabilities(args: UpdateCapabilitiesArgs) -> Result<()> {
    let UpdateCapabilitiesArgs {
        config,
        backend,
        max_job_bytes,
        methods,
        model_hashes,
        any_model,
    } = args;
    // The registry's limits, checked before anything is read or paid for.
    if backend.as_ref().is_some_and(|b| b.len() > 64) {
        bail!("--backend is at most 64 bytes");
    }
    let mut new_methods: Vec<Method> = vec![];
    for m in methods.into_iter().map(Method::from) {
        if !new_methods.contains(&m) {
            new_methods.push(m);
        }
    }
    if new_methods.len() > 8 {
        bail!("at most 8 methods");
    }
    let mut new_models: Vec<HexBinary> = vec![];
    for h in model_hashes {
        if !new_models.contains(&h) {
            new_models.push(h);
        }
    }
    if new_models.len() > 64 {
        bail!("at most 64 model hashes");
    }

    let op = Operator::load(&config)?;
    let old = op.info().await?.capabilities;
    let new = Capabilities {
        methods: if new_methods.is_empty() {
            old.methods.clone()
        } else {
            new_methods
        },
        model_hashes: if any_model {
            vec![]
        } else if new_models.is_empty() {
            old.model_hashes.clone()
        } else {
            new_models
        },
        backend: backend.unwrap_or_else(|| old.backend.clone()),
        max_job_bytes: max_job_bytes.unwrap_or(old.max_job_bytes),
    };
    println!("old capabilities: {}", capabilities_text(&old));
    if new == old {
        println!("new capabilities: the same; nothing sent");
        return Ok(());
    }
    let tx = op
        .send(
            "update capabilities",
            &RegistryExecute::UpdateCapabilities {
                capabilities: new.clone(),
            },
        )
        .await?;
    println!("new capabilities: {}", capabilities_text(&new));
    println!("updated (tx {}, height {})", tx.hash, tx.height);
    if new.max_job_bytes != op.cfg.max_job_bytes {
        println!(
            "note: {} says max_job_bytes = {}, and the daemon refuses larger jobs by that \
             value; set it to {} there too",
            config.display(),
            op.cfg.max_job_bytes,
            new.max_job_bytes
        );
    }
    Ok(())
}

fn init(args: InitArgs) -> Result<()> {
    let InitArgs {
        home,
        chain_id,
        rpc,
        contracts,
        content_dirs,
        ipfs_api,
        model,
        metrics_addr,
    } = args;
    if let Some(url) = &ipfs_api {
        Ipfs::new(url, std::time::Duration::from_secs(1))?;
    }
    let config_path = home.join("config.toml");
    if config_path.exists() {
        bail!("{} exists; refusing to overwrite", config_path.display());
    }
    let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
    let keys = Keys::generate(&home.join("keys.json"), "open")?;
    let cfg = Config {
        contracts: absolute(contracts),
        content_dirs: content_dirs.into_iter().map(absolute).collect(),
        ipfs_api,
        model: absolute(model.unwrap_or_else(gpu_oracle::llm::smollm2_gguf_path)),
        metrics_addr,
        ..Config::new(chain_id, rpc)
    };
    std::fs::write(&config_path, cfg.to_toml())
        .with_context(|| format!("writing {}", config_path.display()))?;
    println!("{}", keys.address);
    eprintln!(
        "created {} and keys.json for attester {}; fund it with uopen, then `openledger-attester register -c {}`",
        config_path.display(),
        keys.address,
        config_path.display()
    );
    Ok(())
}

fn infer(args: InferArgs) -> Result<()> {
    let InferArgs {
        model,
        content_dir,
        ipfs_api,
        prompt,
        chat,
        max_tokens,
        backend,
    } = args;
    let mut store = ContentStore::new(vec![content_dir]);
    if let Some(url) = &ipfs_api {
        store = store.with_ipfs(Ipfs::new(url, std::time::Duration::from_secs(30))?);
    }
    let path = model.unwrap_or_else(gpu_oracle::llm::smollm2_gguf_path);
    let gguf = Gguf::open(&path).with_context(|| format!("loading {}", path.display()))?;
    let weights = LlamaWeights::from_gguf(&gguf)?;
    let tok = Tokenizer::from_gguf(&gguf)?;
    drop(gguf);
    let text = if chat {
        Tokenizer::smollm2_chat_prompt(&[("user", &prompt)])
    } else {
        prompt
    };
    let ids = tok.encode(&text)?;
    let ctx_len = ids.len() + max_tokens + 1;
    let opts = GenerateOptions {
        max_new_tokens: max_tokens,
        sampling: Sampling::GREEDY,
        stop_tokens: tok.eos.into_iter().collect(),
    };
    let mut stream = TextStream::default();
    let mut err = std::io::stderr();
    let eos = tok.eos;
    let mut on_token = |t: u32| {
        if Some(t) == eos {
            return ControlFlow::Continue(());
        }
        if let Ok(piece) = stream.push(&tok, t) {
            let _ = write!(err, "{piece}");
            let _ = err.flush();
        }
        ControlFlow::Continue(())
    };
    let mut out = match backend {
        Backend::Cpu => {
            let mut dec = CpuDecoder::new(&weights, ctx_len)?;
            generate(&mut dec as &mut dyn Decoder, &ids, &opts, &mut on_token)?
        }
        Backend::Wgpu => {
            let ctx = GpuContext::new().context("no wgpu adapter")?;
            let mut dec = GpuDecoder::new(&ctx, &weights, ctx_len, ids.len())?;
            generate(&mut dec as &mut dyn Decoder, &ids, &opts, &mut on_token)?
        }
    };
    eprintln!();
    if out.last().is_some_and(|t| Some(*t) == tok.eos) {
        out.pop();
    }
    let output = tok.decode(&out)?;
    let (input, output_stored) = runtime()?.block_on(async {
        Ok::<_, anyhow::Error>((
            store.publish(text.as_bytes()).await?,
            store.publish(output.as_bytes()).await?,
        ))
    })?;
    let cid = |p: &openledger_attester::content::Published| p.cid.map(|c| c.to_string());
    println!(
        "{}",
        serde_json::json!({
            "input_hash": hex::encode(input.sha256),
            "output_hash": hex::encode(output_stored.sha256),
            "input_cid": cid(&input),
            "output_cid": cid(&output_stored),
            "input_tokens": ids.len(),
            "output_tokens": out.len(),
            "output": output,
        })
    );
    Ok(())
}
