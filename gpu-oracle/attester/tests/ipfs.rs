//! IPFS as the content network, with two real kubo daemons (separate repos and ports, peered
//! on loopback): rows a contributor adds through one are fetched by an attester through the
//! other and checked against their on-chain sha256; content that does not match is refused.
//!
//! Needs kubo (`scripts/setup.sh` builds it); skipped without it except where `CI` or
//! `OPENLEDGER_REQUIRE_IPFS` is set, where it fails.

use std::time::Duration;

use openledger_attester::content::{ContentStore, Size};
use openledger_attester::error::AttesterError;
use openledger_attester::ipfs::{Cid, Ipfs, BLOCK_SIZE};
use sha2::{Digest, Sha256};

mod kubo;
use kubo::Kubo;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("openledger-ipfs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Bytes that differ from run to run and position to position (no dedup between rows).
fn rows_of(len: usize, seed: u8) -> Vec<u8> {
    let mut x = u64::from(seed)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(u64::from(std::process::id()))
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_added_through_one_node_are_fetched_through_another_and_verified() {
    let Some(bin) = kubo::binary_or_skip("two kubo nodes") else {
        return;
    };
    let dir = scratch("two-nodes");
    let contributor_node = Kubo::start(&bin, &dir.join("kubo-a")).expect("kubo a");
    let attester_node = Kubo::start(&bin, &dir.join("kubo-b")).expect("kubo b");
    attester_node
        .connect(&contributor_node)
        .expect("peering b to a");

    let timeout = Duration::from_secs(4);
    let contributor = ContentStore::new(vec![dir.join("contributor-cache")])
        .with_ipfs(Ipfs::new(&contributor_node.api, timeout).unwrap());
    let attester = ContentStore::new(vec![dir.join("attester-cache")])
        .with_ipfs(Ipfs::new(&attester_node.api, timeout).unwrap());

    // A row of one block: its CID is its sha256, so the chain's hash alone finds it.
    let row = b"{\"text\": \"Paris is the capital of France.\"}".to_vec();
    let published = contributor.publish(&row).await.unwrap();
    assert_eq!(published.sha256, sha(&row));
    assert_eq!(published.cid, Some(Cid::raw(sha(&row))));
    let got = attester
        .fetch(&sha(&row), None, Size::Exactly(row.len() as u64))
        .await
        .unwrap();
    assert_eq!(got, row);
    // kept in the attester's own cache, so a replay reads it locally
    assert_eq!(
        std::fs::read(dir.join("attester-cache").join(hex::encode(sha(&row)))).unwrap(),
        row
    );

    // A row of several blocks: found by the `ipfs://` uri its contribution records.
    let big = rows_of(3 * BLOCK_SIZE as usize + 1000, 1);
    let big_cid = contributor.publish(&big).await.unwrap().cid.unwrap();
    assert_eq!(
        big_cid.content_sha256(),
        None,
        "several blocks: a dag-pb root"
    );
    let got = attester
        .fetch(
            &sha(&big),
            Some(&big_cid.uri()),
            Size::Exactly(big.len() as u64),
        )
        .await
        .unwrap();
    assert_eq!(got, big);

    // A uri naming other content of the same size: fetched, refused by its hash, and
    // "unavailable" (every honest attester sees the same), never an error of the attester.
    let other = rows_of(big.len(), 2);
    let other_cid = contributor.publish(&other).await.unwrap().cid.unwrap();
    let fresh = ContentStore::new(vec![dir.join("fresh-cache")])
        .with_ipfs(Ipfs::new(&attester_node.api, timeout).unwrap());
    let e = fresh
        .fetch(
            &sha(&big),
            Some(&other_cid.uri()),
            Size::Exactly(big.len() as u64),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::ContentNotFound { .. }), "{e}");
    assert!(e.to_string().contains("tampered"), "{e}");
    assert!(!dir
        .join("fresh-cache")
        .join(hex::encode(sha(&big)))
        .exists());

    // Another size than the chain records: refused after size + 1 bytes.
    let e = fresh
        .fetch(
            &sha(&big),
            Some(&big_cid.uri()),
            Size::Exactly(big.len() as u64 - 1),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::ContentNotFound { .. }), "{e}");
    // A job output over the attester's bound is too large, not unavailable.
    let e = fresh
        .fetch(&sha(&big), Some(&big_cid.uri()), Size::AtMost(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AttesterError::ContentTooLarge { max: 1000, .. }),
        "{e}"
    );

    // Content nobody has: unavailable once the daemon's search times out.
    let e = fresh
        .fetch(&sha(b"never added"), None, Size::Exactly(11))
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::ContentNotFound { .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_block_is_refused() {
    let Some(bin) = kubo::binary_or_skip("tampered block") else {
        return;
    };
    let dir = scratch("tampered");
    let a = Kubo::start(&bin, &dir.join("kubo-a")).expect("kubo a");
    let b = Kubo::start(&bin, &dir.join("kubo-b")).expect("kubo b");
    b.connect(&a).expect("peering");
    let timeout = Duration::from_secs(4);
    let ipfs_a = Ipfs::new(&a.api, timeout).unwrap();
    let row = rows_of(5000, 3);
    ipfs_a.add(&row).await.unwrap();
    // Flip bytes of the block on A's disk (flatfs keeps one file per block).
    let file = a
        .block_files()
        .into_iter()
        .find(|f| std::fs::read(f).is_ok_and(|b| b == row))
        .expect("the row's block file");
    let mut tampered = row.clone();
    tampered[10] ^= 0x20;
    std::fs::write(&file, &tampered).unwrap();

    // A serves what its disk holds (it does not rehash on read): the store refuses it.
    let via_a = ContentStore::new(vec![dir.join("cache-a")]).with_ipfs(ipfs_a.clone());
    let e = via_a
        .fetch(&sha(&row), None, Size::Exactly(row.len() as u64))
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::ContentNotFound { .. }), "{e}");
    assert!(e.to_string().contains("tampered"), "{e}");
    assert!(!dir.join("cache-a").join(hex::encode(sha(&row))).exists());

    // B checks every block it receives against its CID: it never gets the row at all.
    let via_b =
        ContentStore::new(vec![dir.join("cache-b")]).with_ipfs(Ipfs::new(&b.api, timeout).unwrap());
    let e = via_b
        .fetch(&sha(&row), None, Size::Exactly(row.len() as u64))
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::ContentNotFound { .. }), "{e}");

    // A local cache file that does not match its name is this attester's own fault: an error,
    // not "unavailable".
    std::fs::create_dir_all(dir.join("cache-c")).unwrap();
    std::fs::write(dir.join("cache-c").join(hex::encode(sha(&row))), &tampered).unwrap();
    let via_c = ContentStore::new(vec![dir.join("cache-c")]).with_ipfs(ipfs_a);
    let e = via_c
        .fetch(&sha(&row), None, Size::Exactly(row.len() as u64))
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::Content { .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_stops_is_the_attesters_own_error_not_unavailable_content() {
    let Some(bin) = kubo::binary_or_skip("daemon down") else {
        return;
    };
    let dir = scratch("down");
    let node = Kubo::start(&bin, &dir.join("kubo")).expect("kubo");
    let ipfs = Ipfs::new(&node.api, Duration::from_secs(3)).unwrap();
    let store = ContentStore::new(vec![dir.join("cache")]).with_ipfs(ipfs);
    let row = b"a row".to_vec();
    store.publish(&row).await.unwrap();
    drop(node);
    let e = ContentStore::new(vec![dir.join("other-cache")])
        .with_ipfs(Ipfs::new(store.ipfs().unwrap().url(), Duration::from_secs(3)).unwrap())
        .fetch(&sha(&row), None, Size::Exactly(5))
        .await
        .unwrap_err();
    assert!(matches!(e, AttesterError::Ipfs(_)), "{e}");
    assert!(e.is_transient(), "looked at again on the next pass");
    // the published copy is still in the store's own directory
    assert_eq!(
        store
            .fetch(&sha(&row), None, Size::Exactly(5))
            .await
            .unwrap(),
        row
    );
}
