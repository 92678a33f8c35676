use std::collections::BTreeMap;

use ics23::HostFunctionsManager;
use prost::Message;

use super::overlay::Empty;
use super::*;

fn writes(pairs: &[(&str, Option<&str>)]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

fn commit(storage: &Storage, height: u64, w: &[(&str, Option<&str>)]) -> CommitInfo {
    let pending = storage.prepare_commit(height, writes(w)).unwrap();
    storage.commit(pending).unwrap()
}

#[test]
fn overlay_checkpoints_nest_and_revert() {
    let mut o = Overlay::new(Empty);
    o.put(b"a".to_vec(), b"1".to_vec());
    o.checkpoint();
    o.put(b"a".to_vec(), b"2".to_vec());
    o.put(b"b".to_vec(), b"2".to_vec());
    o.checkpoint();
    o.delete(b"a".to_vec());
    o.commit_checkpoint();
    assert_eq!(o.get(b"a"), None);
    o.revert_checkpoint();
    assert_eq!(o.get(b"a"), Some(b"1".to_vec()));
    assert_eq!(o.get(b"b"), None);
    assert_eq!(o.checkpoint_depth(), 0);
}

#[test]
fn overlay_merges_ranges_with_base_and_hides_deletions() {
    let storage = Storage::in_memory().unwrap();
    commit(
        &storage,
        1,
        &[
            ("p/a", Some("1")),
            ("p/c", Some("3")),
            ("p/e", Some("5")),
            ("q/z", Some("9")),
        ],
    );
    let mut o = Overlay::new(storage.latest_snapshot());
    o.put(b"p/b".to_vec(), b"2".to_vec());
    o.delete(b"p/c".to_vec());
    o.put(b"p/e".to_vec(), b"50".to_vec());
    let got: Vec<_> = o
        .scan_prefix(b"p/", None, 10)
        .into_iter()
        .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("p/a".into(), "1".into()),
            ("p/b".into(), "2".into()),
            ("p/e".into(), "50".into())
        ]
    );
    let last = o.first_in_range(
        std::ops::Bound::Included(b"p/"),
        std::ops::Bound::Excluded(b"p0"),
        true,
    );
    assert_eq!(last, Some((b"p/e".to_vec(), b"50".to_vec())));
    assert_eq!(o.scan_prefix(b"p/", Some(b"p/b"), 1).len(), 1);
}

/// A read view that counts the range seeks made into it.
struct Seeks<B> {
    inner: B,
    seeks: std::cell::Cell<u64>,
}

impl<B: StateRead> StateRead for Seeks<B> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner.get(key)
    }
    fn first_in_range(
        &self,
        lower: std::ops::Bound<&[u8]>,
        upper: std::ops::Bound<&[u8]>,
        reverse: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        self.seeks.set(self.seeks.get() + 1);
        self.inner.first_in_range(lower, upper, reverse)
    }
}

#[test]
fn a_run_of_deletions_costs_one_base_seek_and_is_counted() {
    use std::ops::Bound::{Excluded, Included};
    let storage = Storage::in_memory().unwrap();
    commit(
        &storage,
        1,
        &[("p/0000", Some("a")), ("p/9999z", Some("z"))],
    );
    let base = Seeks {
        inner: storage.latest_snapshot(),
        seeks: std::cell::Cell::new(0),
    };
    let mut o = Overlay::new(base);
    // 10 000 deletions of keys the base does not have, then one of a key it has.
    for i in 0..10_000 {
        o.delete(format!("p/{i:04}x").into_bytes());
    }
    o.delete(b"p/0000".to_vec());
    for reverse in [false, true] {
        o.base().seeks.set(0);
        let (found, skipped) = o.first_in_range_skipping(Included(b"p/"), Excluded(b"p0"), reverse);
        assert_eq!(found, Some((b"p/9999z".to_vec(), b"z".to_vec())));
        // Forward: one seek finds p/0000, hidden, one more past it. Reverse: p/9999z at once.
        assert!(
            o.base().seeks.get() <= 2,
            "{} base seeks",
            o.base().seeks.get()
        );
        let expected = if reverse { 0 } else { 10_001 };
        assert_eq!(skipped, expected, "reverse = {reverse}");
    }
    // A nested overlay adds its own deletions to its base's count.
    let mut top = Overlay::new(o);
    top.delete(b"p/9999z".to_vec());
    let (found, skipped) = top.first_in_range_skipping(Included(b"p/"), Excluded(b"p0"), false);
    assert_eq!(found, None);
    assert_eq!(skipped, 10_002);
}

#[test]
fn commits_persist_across_reopen_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let (h1, h3) = {
        let storage = Storage::open(&path).unwrap();
        let h1 = commit(
            &storage,
            1,
            &[("k", Some("v1")), ("ibc/clients/x", Some("c"))],
        );
        // An empty block still gets its own version.
        let h2 = commit(&storage, 2, &[]);
        assert_eq!(h1.app_hash, h2.app_hash);
        let h3 = commit(&storage, 3, &[("k", Some("v3"))]);
        assert_ne!(h2.app_hash, h3.app_hash);
        (h1, h3)
    };
    let storage = Storage::open(&path).unwrap();
    assert_eq!(storage.latest(), Some(h3));
    assert_eq!(storage.latest_snapshot().get(b"k"), Some(b"v3".to_vec()));
    let past = storage.snapshot_at(1).unwrap();
    assert_eq!(past.get(b"k"), Some(b"v1".to_vec()));
    assert_eq!(past.get(b"ibc/clients/x"), Some(b"c".to_vec()));
    assert!(!past.is_latest());
    assert!(storage.snapshot_at(4).is_err());
    assert_ne!(h1.app_hash, [0; 32]);
    // Out-of-order heights are refused.
    assert!(storage.prepare_commit(7, BTreeMap::new()).is_err());
}

#[test]
fn same_writes_give_same_app_hash_on_two_stores() {
    let a = Storage::in_memory().unwrap();
    let b = Storage::in_memory().unwrap();
    for h in 1..=5u64 {
        let key = format!("bank/{h}");
        let w = [
            (key.as_str(), Some("x")),
            ("auth/num", Some(if h % 2 == 0 { "a" } else { "b" })),
        ];
        assert_eq!(commit(&a, h, &w).app_hash, commit(&b, h, &w).app_hash);
    }
    let c = Storage::in_memory().unwrap();
    assert_ne!(
        commit(&c, 1, &[("bank/1", Some("y"))]).app_hash,
        Storage::in_memory()
            .map(|s| commit(&s, 1, &[("bank/1", Some("x"))]).app_hash)
            .unwrap()
    );
}

#[test]
fn initial_height_above_one_maps_versions() {
    let storage = Storage::in_memory().unwrap();
    commit(&storage, 100, &[("k", Some("a"))]);
    commit(&storage, 101, &[("k", Some("b"))]);
    assert_eq!(
        storage.snapshot_at(100).unwrap().get(b"k"),
        Some(b"a".to_vec())
    );
    assert!(storage.snapshot_at(99).is_err());
}

fn verify_op(op: &ProofOpBytes, root: &[u8], key: &[u8], value: Option<&[u8]>) -> bool {
    let proof = ics23::CommitmentProof::decode(op.data.as_slice()).unwrap();
    let spec = jmt::ics23_spec();
    match value {
        Some(v) => {
            ics23::verify_membership::<HostFunctionsManager>(&proof, &spec, &root.to_vec(), key, v)
        }
        None => {
            ics23::verify_non_membership::<HostFunctionsManager>(&proof, &spec, &root.to_vec(), key)
        }
    }
}

#[test]
fn ics23_proofs_verify_for_main_and_ibc_keys() {
    let storage = Storage::in_memory().unwrap();
    commit(
        &storage,
        1,
        &[
            ("auth/acc/1", Some("alice")),
            ("auth/acc/2", Some("bob")),
            ("ibc/clients/07-tendermint-0/clientState", Some("cs")),
            ("ibc/connections/connection-0", Some("conn")),
        ],
    );
    let info = commit(&storage, 2, &[("auth/acc/3", Some("carol"))]);

    let (value, ops) = storage.get_with_proof(b"auth/acc/2", 2).unwrap();
    assert_eq!(value.as_deref(), Some(&b"bob"[..]));
    assert_eq!(ops.len(), 1);
    assert!(verify_op(
        &ops[0],
        &info.app_hash,
        b"auth/acc/2",
        Some(b"bob")
    ));
    assert!(!verify_op(
        &ops[0],
        &info.app_hash,
        b"auth/acc/2",
        Some(b"eve")
    ));

    let (absent, ops) = storage.get_with_proof(b"auth/acc/9", 2).unwrap();
    assert!(absent.is_none());
    assert!(verify_op(&ops[0], &info.app_hash, b"auth/acc/9", None));

    let key = b"ibc/connections/connection-0";
    let (value, ops) = storage.get_with_proof(key, 2).unwrap();
    assert_eq!(value.as_deref(), Some(&b"conn"[..]));
    assert_eq!(ops.len(), 2);
    assert!(verify_op(
        &ops[0],
        &info.ibc_root,
        b"connections/connection-0",
        Some(b"conn")
    ));
    assert!(verify_op(
        &ops[1],
        &info.app_hash,
        IBC_ROOT_KEY,
        Some(&info.ibc_root)
    ));

    let (absent, ops) = storage
        .get_with_proof(b"ibc/connections/connection-7", 2)
        .unwrap();
    assert!(absent.is_none());
    assert!(verify_op(
        &ops[0],
        &info.ibc_root,
        b"connections/connection-7",
        None
    ));
}

#[test]
fn pruning_keeps_recent_heights_readable_and_provable() {
    let storage = Storage::in_memory().unwrap();
    for h in 1..=10u64 {
        let v = format!("v{h}");
        commit(
            &storage,
            h,
            &[("hot", Some(v.as_str())), ("ibc/hot", Some(v.as_str()))],
        );
    }
    commit(&storage, 11, &[("cold", Some("c"))]);
    let removed = storage.prune_below(8).unwrap();
    assert!(removed > 0);
    assert_eq!(storage.earliest_height(), Some(8));
    assert!(storage.snapshot_at(7).is_err());
    assert!(storage.get_with_proof(b"hot", 7).is_err());
    for h in 8..=10u64 {
        let snap = storage.snapshot_at(h).unwrap();
        assert_eq!(
            snap.get(b"hot"),
            Some(format!("v{h}").into_bytes()),
            "height {h}"
        );
        assert_eq!(snap.get(b"ibc/hot"), Some(format!("v{h}").into_bytes()));
        let (value, ops) = storage.get_with_proof(b"ibc/hot", h).unwrap();
        assert_eq!(value, Some(format!("v{h}").into_bytes()));
        assert_eq!(ops.len(), 2);
    }
    assert_eq!(storage.latest_snapshot().get(b"cold"), Some(b"c".to_vec()));
    // Pruning again below the same height is a no-op; writing continues.
    assert_eq!(storage.prune_below(8).unwrap(), 0);
    commit(&storage, 12, &[("hot", Some("v12"))]);
    assert_eq!(
        storage.snapshot_at(11).unwrap().get(b"hot"),
        Some(b"v10".to_vec())
    );
}
