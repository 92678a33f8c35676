//! `openledger-attester`: run an OpenLedger attester (see `--help`).

use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::tokenizer::TextStream;
use gpu_oracle::llm::{
    generate, CpuDecoder, Decoder, GenerateOptions, GpuDecoder, LlamaWeights, Sampling, Tokenizer,
};
use gpu_oracle::GpuContext;
use openledger_attester::config::Config;
use openledger_attester::content::ContentStore;
use openledger_attester::daemon::Attester;
use openledger_attester::keys::Keys;
use openledger_attester::metrics;
use openledger_attester::receipt;
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
    /// Content-addressed store(s) holding Datanet rows and inference outputs.
    #[arg(long = "content-dir", required = true)]
    content_dirs: Vec<PathBuf>,
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
    #[arg(long = "content-dir")]
    content_dir: PathBuf,
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

fn init(args: InitArgs) -> Result<()> {
    let InitArgs {
        home,
        chain_id,
        rpc,
        contracts,
        content_dirs,
        model,
        metrics_addr,
    } = args;
    let config_path = home.join("config.toml");
    if config_path.exists() {
        bail!("{} exists; refusing to overwrite", config_path.display());
    }
    let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
    let keys = Keys::generate(&home.join("keys.json"), "open")?;
    let cfg = Config {
        contracts: absolute(contracts),
        content_dirs: content_dirs.into_iter().map(absolute).collect(),
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
        prompt,
        chat,
        max_tokens,
        backend,
    } = args;
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
    let store = ContentStore::new(vec![content_dir]);
    let input_hash = store.put(text.as_bytes())?;
    let output_hash = store.put(output.as_bytes())?;
    println!(
        "{}",
        serde_json::json!({
            "input_hash": hex::encode(input_hash),
            "output_hash": hex::encode(output_hash),
            "input_tokens": ids.len(),
            "output_tokens": out.len(),
            "output": output,
        })
    );
    Ok(())
}
