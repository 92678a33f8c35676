//! Content over IPFS, next to raw kubo in the same run (`scripts/bench-content.sh` runs this):
//! two kubo daemons peered on loopback; N rows added through one; then
//! - add: each row through `Ipfs::add` (what the CLI and the gateway do: CIDv1, raw leaves,
//!   pinned, CID checked) vs raw `ipfs add -r` of the same rows as one directory;
//! - fetch: every row through the other node by `ContentStore::fetch` (what the attester does:
//!   sha256 and size checked, cached to disk), 8 at a time, vs raw `cat` of the same CIDs over
//!   the same RPC, 8 at a time, no checks.
//!
//! Prints rows/s, MB/s and the ratios. Env: BENCH_ROWS (2000), BENCH_ROW_BYTES (1024).

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use openledger_attester::content::{ContentStore, Size};
use openledger_attester::ipfs::{Cid, Fetched, Ipfs};
use sha2::{Digest, Sha256};

#[path = "../tests/kubo/mod.rs"]
mod kubo;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let rows_n = env("BENCH_ROWS", 2000);
    let row_bytes = env("BENCH_ROW_BYTES", 1024);
    let bin = kubo::binary().expect("kubo");
    let dir = std::env::temp_dir().join(format!("openledger-bench-content-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let a = kubo::Kubo::start(&bin, &dir.join("kubo-a")).expect("kubo a");
    let b = kubo::Kubo::start(&bin, &dir.join("kubo-b")).expect("kubo b");
    b.connect(&a).expect("peering");
    let timeout = Duration::from_secs(30);

    // Distinct rows (no dedup), as a Datanet's rows are.
    let rows: Vec<Vec<u8>> = (0..rows_n)
        .map(|i| {
            let mut row = format!("{{\"row\": {i}, \"text\": \"").into_bytes();
            let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            while row.len() + 2 < row_bytes {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                row.push(b'a' + (x % 26) as u8);
            }
            row.extend_from_slice(b"\"}");
            row
        })
        .collect();
    let total_mb = rows.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "bench-content: {rows_n} rows of {row_bytes} bytes ({total_mb:.2} MB), two kubo nodes on loopback, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // --- add ---------------------------------------------------------------------------------
    let raw_dir = dir.join("rows");
    std::fs::create_dir_all(&raw_dir).expect("rows dir");
    for (i, r) in rows.iter().enumerate() {
        std::fs::write(raw_dir.join(format!("{i:06}.json")), r).expect("row file");
    }
    let t = Instant::now();
    let out = std::process::Command::new(&bin)
        .arg("--repo-dir")
        .arg(&a.repo)
        .args([
            "add",
            "-r",
            "-Q",
            "--cid-version",
            "1",
            "--raw-leaves",
            "--pin",
        ])
        .arg(&raw_dir)
        .output()
        .expect("ipfs add -r");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw_add = t.elapsed().as_secs_f64();

    let ipfs_a = Ipfs::new(&a.api, timeout).expect("rpc a");
    let t = Instant::now();
    let cids: Vec<Cid> = futures::stream::iter(rows.iter().map(|r| ipfs_a.add(r)))
        .buffered(8)
        .try_collect()
        .await
        .expect("add");
    let ours_add = t.elapsed().as_secs_f64();
    for (r, c) in rows.iter().zip(&cids) {
        assert_eq!(
            c.content_sha256(),
            Some(<[u8; 32]>::from(Sha256::digest(r)))
        );
    }

    // --- fetch -------------------------------------------------------------------------------
    // Raw first on a fresh node would warm B's blockstore for ours: fetch raw through B, then
    // ours through a third node C that has never seen the rows.
    let ipfs_b = Ipfs::new(&b.api, timeout).expect("rpc b");
    let t = Instant::now();
    let fetched: Vec<Fetched> =
        futures::stream::iter(cids.iter().map(|c| ipfs_b.cat(c, row_bytes as u64 * 2)))
            .buffered(8)
            .try_collect()
            .await
            .expect("cat");
    let raw_fetch = t.elapsed().as_secs_f64();
    assert!(fetched.iter().all(|f| matches!(f, Fetched::Bytes(_))));

    let c = kubo::Kubo::start(&bin, &dir.join("kubo-c")).expect("kubo c");
    c.connect(&a).expect("peering c");
    let store = ContentStore::new(vec![dir.join("attester-cache")])
        .with_ipfs(Ipfs::new(&c.api, timeout).expect("rpc c"));
    let t = Instant::now();
    let got: Vec<Vec<u8>> = futures::stream::iter(rows.iter().map(|r| {
        let sha: [u8; 32] = Sha256::digest(r).into();
        let store = &store;
        async move { store.fetch(&sha, None, Size::Exactly(r.len() as u64)).await }
    }))
    .buffered(8)
    .try_collect()
    .await
    .expect("fetch");
    let ours_fetch = t.elapsed().as_secs_f64();
    assert!(got.iter().zip(&rows).all(|(g, r)| g == r));

    let line = |what: &str, secs: f64| {
        println!(
            "  {what:<52} {:>9.1} rows/s {:>7.2} MB/s  ({secs:.2} s)",
            rows_n as f64 / secs,
            total_mb / secs
        )
    };
    line(
        "raw kubo: ipfs add -r (one command, whole directory)",
        raw_add,
    );
    line(
        "ours: Ipfs::add per row, 8 at a time (CID checked)",
        ours_add,
    );
    line("raw kubo: cat per row via the peer, 8 at a time", raw_fetch);
    line(
        "ours: ContentStore::fetch via a fresh peer (verified, cached)",
        ours_fetch,
    );
    println!(
        "  ratios: add {:.2}x raw, fetch+verify {:.2}x raw (above 1 = slower than raw)",
        ours_add / raw_add,
        ours_fetch / raw_fetch
    );
    drop((a, b, c));
    let _ = std::fs::remove_dir_all(&dir);
}
