//! `openledgerd`: the OpenLedger chain node.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
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
    },
    /// Edit the genesis file.
    Genesis {
        #[command(subcommand)]
        command: GenesisCommand,
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
        Command::Start { home, abci_addr } => {
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
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                tracing::info!(%addr, "serving ABCI");
                tokio::select! {
                    res = server::abci::serve(App::new(storage), addr) => {
                        res.map_err(|e| anyhow::anyhow!("ABCI server on {addr}: {e}"))
                    }
                    _ = tokio::signal::ctrl_c() => {
                        tracing::info!("shutting down");
                        Ok(())
                    }
                }
            })
        }
    }
}
