//! A kubo (IPFS) daemon of its own for a test or a benchmark: a fresh repo in a scratch
//! directory, every listener on a loopback port the OS picks, no bootstrap peers, no DHT (peers
//! are connected explicitly, and bitswap asks connected peers directly).
//!
//! The binary is `$IPFS_BIN`, else `ipfs` in `$(go env GOPATH)/bin` (where `scripts/setup.sh`
//! builds it), else on PATH.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Kubo {
    pub repo: PathBuf,
    pub api: String,
    child: Child,
}

/// The kubo binary, or why there is none.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("IPFS_BIN") {
        return Ok(PathBuf::from(p));
    }
    let gopath = Command::new("go")
        .args(["env", "GOPATH"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut candidates: Vec<PathBuf> = gopath.into_iter().map(|g| g.join("bin/ipfs")).collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("ipfs")));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| "kubo (ipfs) not found: run scripts/setup.sh, or set IPFS_BIN".into())
}

/// The kubo binary; `None` (the test is skipped, said on stderr) only outside CI: where `CI` or
/// `OPENLEDGER_REQUIRE_IPFS` is set, a missing kubo fails the test.
pub fn binary_or_skip(test: &str) -> Option<PathBuf> {
    match binary() {
        Ok(p) => Some(p),
        Err(e)
            if std::env::var_os("CI").is_some()
                || std::env::var_os("OPENLEDGER_REQUIRE_IPFS").is_some() =>
        {
            panic!("{test}: {e}")
        }
        Err(e) => {
            eprintln!("skipping {test}: {e}");
            None
        }
    }
}

fn ipfs(bin: &Path, repo: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .args(args)
        .env("IPFS_PATH", repo)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "ipfs {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Kubo {
    /// Initialises a repo in `repo` (which must not exist) and starts its daemon; returns once
    /// the RPC answers.
    pub fn start(bin: &Path, repo: &Path) -> Result<Kubo, String> {
        ipfs(bin, repo, &["init", "--empty-repo", "--profile", "test"])?;
        for (key, json) in [
            ("Routing.Type", "\"none\""),
            ("Addresses.Gateway", "[]"),
            ("Swarm.ResourceMgr.Enabled", "false"),
        ] {
            ipfs(bin, repo, &["config", "--json", key, json])?;
        }
        let log = std::fs::File::create(repo.join("daemon.log"))
            .map_err(|e| format!("creating the daemon log: {e}"))?;
        let child = Command::new(bin)
            .args(["daemon"])
            .env("IPFS_PATH", repo)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting the daemon: {e}"))?;
        let mut kubo = Kubo {
            repo: repo.to_path_buf(),
            api: String::new(),
            child,
        };
        // The daemon writes `api` (the RPC's multiaddr) into the repo once it listens.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(addr) = std::fs::read_to_string(repo.join("api")) {
                if let Some(url) = http_url(addr.trim()) {
                    kubo.api = url;
                    if kubo.rpc("id").is_ok() {
                        return Ok(kubo);
                    }
                }
            }
            if let Ok(Some(status)) = kubo.child.try_wait() {
                return Err(format!("the daemon exited ({status}): {}", kubo.log_tail()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the daemon did not answer in 60 s: {}",
                    kubo.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The daemon's log, last lines.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.repo.join("daemon.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// One RPC call by curl-free plain HTTP/1.0 (POST, empty body): the answer's body.
    pub fn rpc(&self, call: &str) -> Result<String, String> {
        use std::io::{Read, Write};
        let hostport = self.api.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(hostport).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        write!(
            s,
            "POST /api/v0/{call} HTTP/1.0\r\nHost: {hostport}\r\nContent-Length: 0\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).map_err(|e| e.to_string())?;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            return Err(format!("{call}: {head} {body}"));
        }
        Ok(body.to_string())
    }

    /// The peer id and a loopback TCP address others can dial it at.
    pub fn dial_address(&self) -> Result<String, String> {
        let id: serde_json::Value =
            serde_json::from_str(&self.rpc("id")?).map_err(|e| e.to_string())?;
        id["Addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .find(|a| a.starts_with("/ip4/127.0.0.1/tcp/"))
            .map(str::to_string)
            .ok_or_else(|| format!("no loopback TCP address in {id}"))
    }

    /// Connects this daemon to `other`.
    pub fn connect(&self, other: &Kubo) -> Result<(), String> {
        let addr = other.dial_address()?;
        self.rpc(&format!("swarm/connect?arg={addr}")).map(|_| ())
    }

    /// The files of this daemon's blockstore (flatfs: one file per block).
    pub fn block_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "data") {
                    out.push(p);
                }
            }
        }
        let mut out = vec![];
        walk(&self.repo.join("blocks"), &mut out);
        out
    }
}

impl Drop for Kubo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/ip4/127.0.0.1/tcp/5001` → `http://127.0.0.1:5001`.
fn http_url(multiaddr: &str) -> Option<String> {
    let mut parts = multiaddr.trim_start_matches('/').split('/');
    match (parts.next()?, parts.next()?, parts.next()?, parts.next()?) {
        ("ip4", host, "tcp", port) => Some(format!("http://{host}:{port}")),
        _ => None,
    }
}
