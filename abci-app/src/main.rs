//! `openledgerd`: the OpenLedger chain node.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use openledger_node::app::App;
use openledger_node::config::Home;
use openledger_node::server;
use openledger_node::store::Storage;

/// The OpenLedger chain node: a CometBFT ABCI++ application.
#[derive(Debug, Parser)]
#[command(name = "openledgerd", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a node home: genesis, validator and node keys, app config.
    Init {
        /// Chain id written into the genesis file.
        #[arg(long, env = "OPENLEDGERD_CHAIN_ID")]
        chain_id: String,
        /// Node home directory.
        #[arg(long, env = "OPENLEDGERD_HOME", default_value = "~/.openledger")]
        home: String,
        /// Validator name in the genesis file.
        #[arg(long, default_value = "openledger-validator")]
        moniker: String,
        /// Replace an existing genesis file and keys.
        #[arg(long)]
        overwrite: bool,
    },
    /// Serve the ABCI application for CometBFT (`proxy_app = tcp://<abci-addr>`).
    Start {
        /// Node home directory.
        #[arg(long, env = "OPENLEDGERD_HOME", default_value = "~/.openledger")]
        home: String,
        /// ABCI listen address (overrides app.toml).
        #[arg(long, env = "OPENLEDGERD_ABCI_ADDR")]
        abci_addr: Option<SocketAddr>,
        /// Cosmos REST (LCD) listen address (overrides app.toml `[rest] address`).
        #[arg(long, env = "OPENLEDGERD_REST_ADDR")]
        rest_addr: Option<SocketAddr>,
        /// Cosmos gRPC listen address (overrides app.toml `[grpc] address`).
        #[arg(long, env = "OPENLEDGERD_GRPC_ADDR")]
        grpc_addr: Option<SocketAddr>,
        /// CometBFT RPC URL used by REST and gRPC (overrides app.toml `[cometbft] rpc`).
        #[arg(long, env = "OPENLEDGERD_COMETBFT_RPC")]
        cometbft_rpc: Option<String>,
    },
    /// Run a one-validator dev chain (real CometBFT as a supervised child, ABCI in-process)
    /// with the OpenLedger contracts, a content node (kubo IPFS), an attester and the inference
    /// gateway beside it.
    Dev {
        /// Node home directory (created on first run).
        #[arg(long, env = "OPENLEDGERD_HOME", default_value = "~/.openledger/dev")]
        home: String,
        /// Delete the home first and start a new chain.
        #[arg(long)]
        reset: bool,
        /// Chain id of a new chain.
        #[arg(long, default_value = "openledger-dev-1")]
        chain_id: String,
        /// Target time between blocks (CometBFT timeout_commit), e.g. 500ms or 1s.
        #[arg(long, default_value = "500ms")]
        block_time: String,
        /// Fund an extra account at genesis: ADDR=COINS (repeatable; new chains only).
        #[arg(long, value_name = "ADDR=COINS")]
        fund: Vec<String>,
        /// CometBFT RPC port.
        #[arg(long, default_value_t = 26657)]
        rpc_port: u16,
        /// CometBFT P2P port.
        #[arg(long, default_value_t = 26656)]
        p2p_port: u16,
        /// ABCI port.
        #[arg(long, default_value_t = 26658)]
        abci_port: u16,
        /// Cosmos REST (LCD) port, for Keplr.
        #[arg(long, default_value_t = 1317)]
        rest_port: u16,
        /// Cosmos gRPC port (plaintext HTTP/2), for Hermes.
        #[arg(long, default_value_t = 9090)]
        grpc_port: u16,
        /// Path to the cometbft binary (default: $COMETBFT, PATH, then $(go env GOPATH)/bin).
        #[arg(long, env = "COMETBFT")]
        cometbft: Option<PathBuf>,
        /// Only the chain: no contracts, content node, attester or gateway (what scripts
        /// deploying their own contracts use).
        #[arg(long)]
        no_contracts: bool,
        /// No attester daemon.
        #[arg(long)]
        no_attester: bool,
        /// No inference gateway (openledger-serve).
        #[arg(long)]
        no_serve: bool,
        /// Inference gateway port (OpenAI API at http://127.0.0.1:PORT/v1).
        #[arg(long, default_value_t = 8000)]
        serve_port: u16,
        /// Attester Prometheus metrics port.
        #[arg(long, default_value_t = 9464)]
        attester_metrics_port: u16,
        /// No content node (kubo): the attester and the gateway share `<home>/content` instead
        /// of moving rows and answers over IPFS.
        #[arg(long)]
        no_ipfs: bool,
        /// Content node (kubo) RPC port (http://127.0.0.1:PORT/api/v0).
        #[arg(long, default_value_t = 5001)]
        ipfs_port: u16,
    },
    /// N validators on loopback: `localnet init` writes the homes, `localnet start` runs them.
    Localnet {
        #[command(subcommand)]
        command: LocalnetCommand,
    },
    /// Edit the genesis file.
    Genesis {
        #[command(subcommand)]
        command: GenesisCommand,
    },
    /// Sign and send transactions to a running chain.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
    },
    /// Ask a running chain.
    Query {
        #[command(subcommand)]
        command: QueryCommand,
    },
    /// IBC facts relayers need about this chain.
    Ibc {
        #[command(subcommand)]
        command: IbcCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TxCommand {
    /// Datanet transactions.
    Datanet {
        #[command(subcommand)]
        command: DatanetTx,
    },
}

#[derive(Debug, Subcommand)]
enum DatanetTx {
    /// Contribute files to a Datanet in one step: each file is split into rows (.jsonl: a line
    /// each; .csv: a record each, as a JSON object of its columns; .md: a section each; .txt: a
    /// paragraph each), rows are added to IPFS (pinned by your node) and registered on chain,
    /// up to --batch per tx. Rows the Datanet already holds are skipped; rows over its limits
    /// (bytes per file, per contributor and per Datanet a day, files a day) or malformed are
    /// refused, each listed with its line and why. Run it again after an interruption: it
    /// picks up where it stopped.
    Contribute {
        #[command(flatten)]
        tx: TxArgs,
        /// The Datanet's id.
        #[arg(long)]
        datanet: u64,
        /// License of the rows (default: the Datanet's).
        #[arg(long)]
        license: Option<String>,
        /// The kubo (IPFS) RPC the rows are added and pinned through.
        #[arg(
            long,
            env = "OPENLEDGER_IPFS_API",
            default_value = "http://127.0.0.1:5001"
        )]
        ipfs_api: String,
        /// Rows per tx (at most 100).
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Print the report as JSON (rows contributed with their ids and uris, skipped,
        /// refused with reasons, tx hashes).
        #[arg(long)]
        json: bool,
        /// The files (.jsonl, .csv, .md, .txt).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Create a text Datanet (a draft, owned by the signer); prints its id.
    Create {
        #[command(flatten)]
        tx: TxArgs,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        summary: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Comma-separated tags.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        #[arg(long, default_value = "CC-BY-4.0")]
        license: String,
        /// Who may contribute: open, or owner-approval.
        #[arg(long, default_value = "open")]
        policy: String,
        /// Reviews scoring below this (basis points) are rejections.
        #[arg(long, default_value_t = 5000)]
        min_score_bps: u64,
    },
    /// Accept (with a validation score) or reject contributions, in one tx (owner or curator).
    Review {
        #[command(flatten)]
        tx: TxArgs,
        /// Contribution ids.
        #[arg(required = true)]
        contributions: Vec<u64>,
        /// Reject instead of accepting.
        #[arg(long)]
        reject: bool,
        /// Validation score in basis points (0..=10000).
        #[arg(long, default_value_t = 10000)]
        score_bps: u64,
    },
    /// Publish a draft as version 1, paying the quoted fee (uopen wrapped into CW20 OPEN).
    Publish {
        #[command(flatten)]
        tx: TxArgs,
        #[arg(long)]
        datanet: u64,
    },
    /// Cut the next version over the rows accepted since the last, paying the quoted fee.
    NewVersion {
        #[command(flatten)]
        tx: TxArgs,
        #[arg(long)]
        datanet: u64,
    },
    /// Grant an account training access to a Datanet (owner).
    Grant {
        #[command(flatten)]
        tx: TxArgs,
        #[arg(long)]
        datanet: u64,
        #[arg(long)]
        grantee: String,
        /// Unix seconds the grant ends at (none: no expiry).
        #[arg(long)]
        expires_at: Option<u64>,
    },
    /// Revoke an account's access (owner).
    Revoke {
        #[command(flatten)]
        tx: TxArgs,
        #[arg(long)]
        datanet: u64,
        #[arg(long)]
        grantee: String,
    },
}

#[derive(Debug, Subcommand)]
enum QueryCommand {
    /// Datanets and their rows.
    Datanet {
        #[command(subcommand)]
        command: DatanetQuery,
    },
}

#[derive(Debug, Subcommand)]
enum DatanetQuery {
    /// A Datanet and its versions, as JSON.
    Show {
        #[command(flatten)]
        at: QueryArgs,
        datanet: u64,
    },
    /// A Datanet's contributions, a JSON line each.
    Rows {
        #[command(flatten)]
        at: QueryArgs,
        datanet: u64,
        /// Only pending, accepted or rejected ones.
        #[arg(long)]
        status: Option<String>,
        /// Contributions after this id.
        #[arg(long)]
        start_after: Option<u64>,
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// A contribution's bytes, fetched from IPFS and checked against its on-chain sha256 and
    /// size, to stdout (or --out FILE).
    Row {
        #[command(flatten)]
        at: QueryArgs,
        contribution: u64,
        #[arg(
            long,
            env = "OPENLEDGER_IPFS_API",
            default_value = "http://127.0.0.1:5001"
        )]
        ipfs_api: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Where a command asks (and a tx command sends).
#[derive(Debug, Args)]
struct QueryArgs {
    /// CometBFT RPC of a node of the chain.
    #[arg(
        long,
        env = "OPENLEDGER_NODE",
        default_value = "http://127.0.0.1:26657"
    )]
    node: String,
    /// The contracts' addresses file the deployer wrote (`openledgerd dev` keeps it in its
    /// home).
    #[arg(long, default_value = "~/.openledger/dev/contracts.json")]
    contracts: String,
}

/// Where and as whom a tx command signs.
#[derive(Debug, Args)]
struct TxArgs {
    #[command(flatten)]
    at: QueryArgs,
    /// The signer's BIP-39 mnemonic; prefer setting OPENLEDGER_MNEMONIC (arguments show in
    /// `ps`).
    #[arg(long, env = "OPENLEDGER_MNEMONIC", hide_env_values = true)]
    mnemonic: String,
    /// Account index in the mnemonic's HD path m/44'/118'/0'/0/INDEX (as Keplr and cosmjs).
    #[arg(long, default_value_t = 0)]
    account_index: u32,
    /// Fee per unit of gas (the chain's minimum by default).
    #[arg(long, default_value = "0.025uopen")]
    gas_price: String,
}

#[derive(Debug, Subcommand)]
enum IbcCommand {
    /// Print the ICS-23 proof specs of this chain's commitments as JSON, for Hermes's
    /// `proof_specs` chain option (the default, IAVL, does not verify this chain's proofs).
    ProofSpecs,
}

#[derive(Debug, clap::Args)]
struct LocalnetArgs {
    /// Directory holding node0, node1, … homes.
    #[arg(long, default_value = "~/.openledger/localnet")]
    dir: String,
    /// Path to the cometbft binary (default: $COMETBFT, PATH, then $(go env GOPATH)/bin).
    #[arg(long, env = "COMETBFT")]
    cometbft: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum LocalnetCommand {
    /// Generate the validators' homes, a shared genesis and persistent peers.
    Init {
        #[command(flatten)]
        common: LocalnetArgs,
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Chain id.
        #[arg(long, default_value = "openledger-localnet-1")]
        chain_id: String,
        /// Target time between blocks, e.g. 500ms or 1s.
        #[arg(long, default_value = "500ms")]
        block_time: String,
        /// Delete an existing localnet in the directory first.
        #[arg(long)]
        reset: bool,
        /// First port; node i uses base+10i+1 (REST), +6 (P2P), +7 (RPC), +8 (ABCI), +9 (gRPC).
        #[arg(long, default_value_t = 26650)]
        base_port: u16,
    },
    /// Run every validator (one `openledgerd start` and one `cometbft start` each).
    Start {
        #[command(flatten)]
        common: LocalnetArgs,
    },
}

#[derive(Debug, Subcommand)]
enum GenesisCommand {
    /// Add a funded account, e.g. `genesis add-account open1… 1000000uopen`.
    AddAccount {
        /// Bech32 account address (prefix `open`).
        address: String,
        /// Coins, comma separated: `1000000uopen,5foo`.
        coins: String,
        /// Node home directory.
        #[arg(long, env = "OPENLEDGERD_HOME", default_value = "~/.openledger")]
        home: String,
    },
}

fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(path)),
        None => PathBuf::from(path),
    }
}

/// `name`'s address in a deployer's addresses file, which must be for `chain_id`.
fn contract_address(file: &std::path::Path, chain_id: &str, name: &str) -> Result<String> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "reading the contracts' addresses from {} (give --contracts FILE)",
            file.display()
        )
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    if v["chain_id"].as_str().is_some_and(|c| c != chain_id) {
        anyhow::bail!(
            "{} is for chain {}, the node runs {chain_id}",
            file.display(),
            v["chain_id"]
        );
    }
    v["contracts"][name]["address"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{} names no {name} address", file.display()))
}

/// A signing client for `tx` and the addresses file it names.
async fn signing(tx: &TxArgs) -> Result<(openledger_node::cli::chain::ChainClient, PathBuf)> {
    use openledger_node::cli::chain;
    let signer = chain::signer_from_mnemonic(&tx.mnemonic, tx.account_index)?;
    let client = chain::ChainClient::connect(&tx.at.node, Some(signer), &tx.gas_price).await?;
    Ok((client, expand_home(&tx.at.contracts)))
}

async fn datanet_tx(command: DatanetTx) -> Result<()> {
    use openledger_node::cli::{datanet, owner};
    let tx = match &command {
        DatanetTx::Contribute { tx, .. }
        | DatanetTx::Create { tx, .. }
        | DatanetTx::Review { tx, .. }
        | DatanetTx::Publish { tx, .. }
        | DatanetTx::NewVersion { tx, .. }
        | DatanetTx::Grant { tx, .. }
        | DatanetTx::Revoke { tx, .. } => tx,
    };
    let (client, contracts) = signing(tx).await?;
    let registry = contract_address(&contracts, &client.chain_id, "datanet_registry")?;
    match command {
        DatanetTx::Contribute {
            datanet: datanet_id,
            license,
            ipfs_api,
            batch,
            json,
            files,
            ..
        } => {
            let ipfs =
                openledger_content::Ipfs::new(&ipfs_api, std::time::Duration::from_secs(60))?;
            // Fail before anything is read or sent when the daemon is not there.
            ipfs.id()
                .await
                .context("the IPFS daemon the rows go to (start kubo, or give --ipfs-api)")?;
            let reports = datanet::Contribute {
                chain: &client,
                registry: &registry,
                ipfs: &ipfs,
                datanet_id,
                license,
                batch,
            }
            .run(&files)
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                datanet::print_reports(&reports);
            }
            let stopped = reports.iter().filter(|r| r.error.is_some()).count();
            if stopped > 0 {
                anyhow::bail!(
                    "{stopped} of {} files stopped early (see above)",
                    reports.len()
                );
            }
            Ok(())
        }
        DatanetTx::Create {
            name,
            summary,
            description,
            tags,
            license,
            policy,
            min_score_bps,
            ..
        } => {
            let new = owner::NewDatanet {
                name,
                summary,
                description,
                tags,
                license,
                policy,
                min_score_bps,
            };
            owner::create(&client, &registry, new).await.map(|_| ())
        }
        DatanetTx::Review {
            contributions,
            reject,
            score_bps,
            ..
        } => owner::review(&client, &registry, &contributions, !reject, score_bps).await,
        DatanetTx::Publish { datanet, .. } | DatanetTx::NewVersion { datanet, .. } => {
            let first = matches!(command, DatanetTx::Publish { .. });
            let token = contract_address(&contracts, &client.chain_id, "open_token")?;
            owner::cut_version(&client, &registry, &token, datanet, first).await
        }
        DatanetTx::Grant {
            datanet,
            grantee,
            expires_at,
            ..
        } => {
            owner::access(
                &client,
                &registry,
                datanet,
                &grantee,
                Some(expires_at.unwrap_or(0)),
            )
            .await
        }
        DatanetTx::Revoke {
            datanet, grantee, ..
        } => owner::access(&client, &registry, datanet, &grantee, None).await,
    }
}

async fn datanet_query(command: DatanetQuery) -> Result<()> {
    use openledger_node::cli::{chain::ChainClient, owner};
    let at = match &command {
        DatanetQuery::Show { at, .. }
        | DatanetQuery::Rows { at, .. }
        | DatanetQuery::Row { at, .. } => at,
    };
    let client = ChainClient::connect(&at.node, None, "0uopen").await?;
    let registry = contract_address(
        &expand_home(&at.contracts),
        &client.chain_id,
        "datanet_registry",
    )?;
    match command {
        DatanetQuery::Show { datanet, .. } => owner::show(&client, &registry, datanet).await,
        DatanetQuery::Rows {
            datanet,
            status,
            start_after,
            limit,
            ..
        } => {
            owner::rows(
                &client,
                &registry,
                datanet,
                status.as_deref(),
                start_after,
                limit,
            )
            .await
        }
        DatanetQuery::Row {
            contribution,
            ipfs_api,
            out,
            ..
        } => {
            let ipfs =
                openledger_content::Ipfs::new(&ipfs_api, std::time::Duration::from_secs(60))?;
            let bytes = owner::fetch_row(&client, &registry, &ipfs, contribution).await?;
            match out {
                Some(path) => std::fs::write(&path, &bytes)
                    .with_context(|| format!("writing {}", path.display())),
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&bytes)
                        .context("writing to stdout")
                }
            }
        }
    }
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
        Command::Init {
            chain_id,
            home,
            moniker,
            overwrite,
        } => {
            let home = Home::new(expand_home(&home));
            home.init(&chain_id, &moniker, overwrite)?;
            println!("initialised {} for chain {chain_id}", home.root.display());
            println!("genesis: {}", home.genesis().display());
            Ok(())
        }
        Command::Tx {
            command: TxCommand::Datanet { command },
        } => tokio::runtime::Runtime::new()?.block_on(datanet_tx(command)),
        Command::Query {
            command: QueryCommand::Datanet { command },
        } => tokio::runtime::Runtime::new()?.block_on(datanet_query(command)),
        Command::Ibc {
            command: IbcCommand::ProofSpecs,
        } => {
            let specs = openledger_node::modules::ibc::context::proof_specs_json()
                .context("encoding the proof specs")?;
            println!("{specs}");
            Ok(())
        }
        Command::Genesis {
            command:
                GenesisCommand::AddAccount {
                    address,
                    coins,
                    home,
                },
        } => {
            let home = Home::new(expand_home(&home));
            home.add_genesis_account(&address, &coins)?;
            println!(
                "added {address} with {coins} to {}",
                home.genesis().display()
            );
            Ok(())
        }
        Command::Dev {
            home,
            reset,
            chain_id,
            block_time,
            fund,
            rpc_port,
            p2p_port,
            abci_port,
            rest_port,
            grpc_port,
            cometbft,
            no_contracts,
            no_attester,
            no_serve,
            serve_port,
            attester_metrics_port,
            no_ipfs,
            ipfs_port,
        } => {
            let fund = fund
                .iter()
                .map(|f| {
                    f.split_once('=')
                        .map(|(a, c)| (a.to_string(), c.to_string()))
                        .with_context(|| format!("--fund {f:?}: expected ADDR=COINS"))
                })
                .collect::<Result<Vec<_>>>()?;
            let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
            let opts = openledger_node::dev::DevOptions {
                home: expand_home(&home),
                reset,
                chain_id,
                block_time: openledger_node::dev::parse_duration(&block_time)?,
                fund,
                rpc: local(rpc_port),
                p2p: local(p2p_port),
                abci: local(abci_port),
                cometbft,
            };
            // The daemons have nothing to do without the contracts.
            let parts = openledger_node::dev::SystemOptions {
                contracts: !no_contracts,
                attester: !no_contracts && !no_attester,
                serve: !no_contracts && !no_serve,
                serve_addr: local(serve_port),
                attester_metrics: local(attester_metrics_port),
                ipfs: !no_contracts && !no_ipfs,
                ipfs_api: local(ipfs_port),
            };
            tokio::runtime::Runtime::new()?.block_on(openledger_node::dev::run_system(
                opts,
                Some(local(rest_port)),
                Some(local(grpc_port)),
                parts,
            ))
        }
        Command::Localnet { command } => {
            let (common, validators, chain_id, block_time, reset, base_port, run) = match command {
                LocalnetCommand::Init {
                    common,
                    validators,
                    chain_id,
                    block_time,
                    reset,
                    base_port,
                } => (
                    common, validators, chain_id, block_time, reset, base_port, false,
                ),
                LocalnetCommand::Start { common } => (
                    common,
                    0,
                    String::new(),
                    "500ms".to_string(),
                    false,
                    0,
                    true,
                ),
            };
            let opts = openledger_node::localnet::LocalnetOptions {
                dir: expand_home(&common.dir),
                validators,
                chain_id,
                base_port,
                block_time: openledger_node::dev::parse_duration(&block_time)?,
                cometbft: common.cometbft,
            };
            if run {
                return tokio::runtime::Runtime::new()?
                    .block_on(openledger_node::localnet::start(&opts));
            }
            if reset && opts.dir.exists() {
                std::fs::remove_dir_all(&opts.dir)
                    .with_context(|| format!("removing {}", opts.dir.display()))?;
            }
            let homes = openledger_node::localnet::init(&opts)?;
            println!(
                "localnet of {} validators written to {}; run `openledgerd localnet start --dir {}`",
                homes.len(),
                opts.dir.display(),
                opts.dir.display()
            );
            Ok(())
        }
        Command::Start {
            home,
            abci_addr,
            rest_addr,
            grpc_addr,
            cometbft_rpc,
        } => {
            let home = Home::new(expand_home(&home));
            let config = home.load_config()?;
            // Refuse a broken genesis now rather than halting CometBFT at InitChain.
            home.load_genesis()?;
            std::fs::create_dir_all(home.data_dir())?;
            let storage = Storage::open(home.state_db())
                .with_context(|| format!("opening {}", home.state_db().display()))?;
            let addr = abci_addr.unwrap_or(config.abci.address);
            if let Some(latest) = storage.latest() {
                tracing::info!(height = latest.height, app_hash = %hex::encode_upper(latest.app_hash), "state loaded");
            }
            let api = server::client_api::ClientApiConfig {
                rest: rest_addr.or(config.rest.enable.then_some(config.rest.address)),
                grpc: grpc_addr.or(config.grpc.enable.then_some(config.grpc.address)),
                cometbft_rpc: cometbft_rpc.unwrap_or(config.cometbft.rpc.clone()),
            };
            // Contracts' wasm and compiled modules live beside the state, under the home.
            let app = App::new(storage.clone())
                .with_retain_blocks(config.store.retain_blocks)
                .with_wasm(home.data_dir().join("wasm"))?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                let gate = server::limits::QueryGate::from_config(&config.query);
                tracing::info!(workers = gate.max_running(), "query workers");
                let chain = server::api::ChainView::new(storage, app.wasm().cloned(), gate.clone());
                let mut client_api = server::client_api::bind_all(api).await?.serve(chain);
                tracing::info!(%addr, "serving ABCI");
                let outcome = tokio::select! {
                    res = server::abci::serve(app, addr, gate) => {
                        res.map_err(|e| anyhow::anyhow!("ABCI server on {addr}: {e}"))
                    }
                    e = client_api.stopped() => Err(e),
                    _ = tokio::signal::ctrl_c() => {
                        tracing::info!("shutting down");
                        Ok(())
                    }
                };
                client_api.shutdown().await;
                outcome
            })
        }
    }
}
