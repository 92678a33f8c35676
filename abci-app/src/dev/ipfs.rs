//! The dev system's content node: a kubo (IPFS) daemon with its own repo under the dev home.
//! Datanet rows, the gateway's answers and the attester's receipts are added to it; the
//! attester fetches what its own cache lacks through it, checking every byte against the hash
//! the chain records.
//!
//! The repo is made with kubo's `test` profile (every listener on loopback, no bootstrap peers,
//! no mDNS), and on every start its RPC is put on the port asked for, its HTTP gateway turned
//! off and content routing set to `none`: a dev node talks to the peers it is told to
//! (`ipfs --repo-dir <home>/ipfs swarm connect <multiaddr>`), never to the public network.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use tokio::process::Command;

/// kubo: `$IPFS_BIN`, then `PATH`, then `$(go env GOPATH)/bin` (where `scripts/setup.sh`
/// builds it).
pub fn find_kubo() -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("IPFS_BIN") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("ipfs")));
    }
    if let Ok(out) = std::process::Command::new("go")
        .args(["env", "GOPATH"])
        .output()
    {
        let gopath = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !gopath.is_empty() {
            candidates.push(PathBuf::from(gopath).join("bin/ipfs"));
        }
    }
    candidates.into_iter().find(|p| p.is_file()).context(
        "kubo (ipfs) not found: run scripts/setup.sh (builds kubo from the Go module proxy), \
         set IPFS_BIN, or start without the content node: --no-ipfs",
    )
}

/// `ipfs --repo-dir <repo> <args>`, which must succeed.
async fn ipfs(bin: &Path, repo: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .arg("--repo-dir")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "ipfs {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates the repo on first start and points it at `api`; returns the daemon's arguments.
pub async fn prepare_repo(bin: &Path, repo: &Path, api: SocketAddr) -> Result<Vec<String>> {
    if !repo.join("config").is_file() {
        std::fs::create_dir_all(repo).with_context(|| format!("creating {}", repo.display()))?;
        ipfs(bin, repo, &["init", "--empty-repo", "--profile", "test"]).await?;
    }
    let api_addr = format!("\"/ip4/{}/tcp/{}\"", api.ip(), api.port());
    for (key, json) in [
        ("Addresses.API", api_addr.as_str()),
        ("Addresses.Gateway", "[]"),
        ("Routing.Type", "\"none\""),
        ("Bootstrap", "[]"),
    ] {
        ipfs(bin, repo, &["config", "--json", key, json]).await?;
    }
    Ok(vec![
        "--repo-dir".into(),
        repo.display().to_string(),
        "daemon".into(),
    ])
}

/// True when the kubo RPC at `addr` answers `POST /api/v0/id` with 200 (its RPC refuses GET).
pub async fn rpc_ok(addr: SocketAddr) -> bool {
    super::system::http_ok(addr, "POST", "/api/v0/id").await
}
