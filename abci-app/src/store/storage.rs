//! redb-backed storage of the two JMTs, their values and preimages, and the flat index.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, RwLock};

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, RootHash, Sha256Jmt, Version};
use prost::Message;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use sha2::Sha256;

use super::{StateRead, IBC_PREFIX, IBC_ROOT_KEY};

type Bytes<'a> = &'a [u8];
const MAIN_NODES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_main_nodes");
const IBC_NODES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_ibc_nodes");
/// `substore ‖ key_hash ‖ BE(version)` → borsh `Option<value>` (a `None` is a deletion).
const VALUES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_values");
/// `substore ‖ key_hash` → key.
const PREIMAGES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_preimages");
/// Latest state, ordered by application key (not part of the app hash).
const FLAT: TableDefinition<Bytes, Bytes> = TableDefinition::new("flat_latest");
/// `BE(stale_since) ‖ substore ‖ borsh(node_key)`: tree nodes no version ≥ stale_since needs.
const STALE_NODES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_stale_nodes");
/// `BE(stale_since) ‖ value key`: values superseded at stale_since.
const STALE_VALUES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_stale_values");
const META: TableDefinition<&str, Bytes> = TableDefinition::new("meta");
const META_LATEST: &str = "latest";
/// Oldest JMT version still readable (after pruning).
const META_EARLIEST: &str = "earliest_version";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage database: {0}")]
    Database(String),
    #[error("merkle tree: {0}")]
    Tree(String),
    #[error("height {requested} is not available (latest committed height is {latest}; older heights may be pruned)")]
    HeightNotAvailable { requested: u64, latest: u64 },
    #[error("commit out of order: expected height {expected}, got {got}")]
    OutOfOrder { expected: u64, got: u64 },
}

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

/// What was last committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CommitInfo {
    pub height: u64,
    /// JMT version of `height` (versions are contiguous from 1; heights start at `initial_height`).
    pub version: u64,
    pub app_hash: [u8; 32],
    pub ibc_root: [u8; 32],
}

impl CommitInfo {
    fn version_of(&self, height: u64) -> Option<u64> {
        let offset = self.height - self.version;
        height.checked_sub(offset).filter(|v| *v >= 1)
    }
}

/// A block's state changes, hashed but not yet written (ABCI 2.0: the app hash is known at the
/// end of FinalizeBlock, the state is persisted at Commit).
#[derive(Debug)]
pub struct PendingCommit {
    pub info: CommitInfo,
    main_batch: TreeUpdateBatch,
    ibc_batch: TreeUpdateBatch,
    preimages: Vec<(u8, KeyHash, Vec<u8>)>,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

/// One proof operation as carried in an ABCI `ProofOps` (`data` is a protobuf `CommitmentProof`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOpBytes {
    pub field_type: String,
    pub key: Vec<u8>,
    pub data: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Substore {
    Main = 0,
    Ibc = 1,
}

impl Substore {
    fn nodes(self) -> TableDefinition<'static, Bytes<'static>, Bytes<'static>> {
        match self {
            Substore::Main => MAIN_NODES,
            Substore::Ibc => IBC_NODES,
        }
    }

    /// Which tree an application key lives in, and its key inside that tree.
    fn route(app_key: &[u8]) -> (Substore, &[u8]) {
        match app_key.strip_prefix(IBC_PREFIX) {
            Some(rest) => (Substore::Ibc, rest),
            None => (Substore::Main, app_key),
        }
    }
}

/// The node's state database.
#[derive(Clone)]
pub struct Storage {
    db: Arc<Database>,
    latest: Arc<RwLock<Option<CommitInfo>>>,
    earliest_version: Arc<RwLock<u64>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("latest", &self.latest())
            .finish()
    }
}

impl Storage {
    /// Open (or create) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let db = Database::create(path.as_ref()).map_err(db_err)?;
        Self::from_database(db)
    }

    /// A storage that lives in memory only (tests, simulations).
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(db_err)?;
        Self::from_database(db)
    }

    fn from_database(db: Database) -> Result<Self, StoreError> {
        let txn = db.begin_write().map_err(db_err)?;
        {
            for table in [
                MAIN_NODES,
                IBC_NODES,
                VALUES,
                PREIMAGES,
                FLAT,
                STALE_NODES,
                STALE_VALUES,
            ] {
                txn.open_table(table).map_err(db_err)?;
            }
            txn.open_table(META).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        let (latest, earliest) = {
            let read = db.begin_read().map_err(db_err)?;
            let meta = read.open_table(META).map_err(db_err)?;
            let latest = match meta.get(META_LATEST).map_err(db_err)? {
                Some(bytes) => Some(
                    CommitInfo::try_from_slice(bytes.value())
                        .map_err(|e| StoreError::Database(format!("corrupt commit info: {e}")))?,
                ),
                None => None,
            };
            let earliest = match meta.get(META_EARLIEST).map_err(db_err)? {
                Some(bytes) => u64::try_from_slice(bytes.value())
                    .map_err(|e| StoreError::Database(format!("corrupt earliest version: {e}")))?,
                None => 1,
            };
            (latest, earliest)
        };
        Ok(Self {
            db: Arc::new(db),
            latest: Arc::new(RwLock::new(latest)),
            earliest_version: Arc::new(RwLock::new(earliest)),
        })
    }

    /// The last commit, or `None` for a fresh database.
    pub fn latest(&self) -> Option<CommitInfo> {
        *self
            .latest
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn earliest(&self) -> u64 {
        *self
            .earliest_version
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The lowest height whose state can still be read (pruning removes older ones).
    pub fn earliest_height(&self) -> Option<u64> {
        self.latest()
            .map(|l| l.height - l.version + self.earliest())
    }

    /// A read view of the latest committed state.
    pub fn latest_snapshot(&self) -> Snapshot {
        let txn = self
            .db
            .begin_read()
            .expect("storage: opening a read transaction must succeed");
        Snapshot {
            txn: Arc::new(txn),
            at: None,
        }
    }

    /// A read view of the state committed at `height` (point reads only below the latest height).
    pub fn snapshot_at(&self, height: u64) -> Result<Snapshot, StoreError> {
        let latest = self.latest().ok_or(StoreError::HeightNotAvailable {
            requested: height,
            latest: 0,
        })?;
        if height == latest.height {
            return Ok(self.latest_snapshot());
        }
        let earliest = self.earliest();
        let version = latest
            .version_of(height)
            .filter(|v| height < latest.height && *v >= earliest)
            .ok_or(StoreError::HeightNotAvailable {
                requested: height,
                latest: latest.height,
            })?;
        let txn = self.db.begin_read().map_err(db_err)?;
        Ok(Snapshot {
            txn: Arc::new(txn),
            at: Some(version),
        })
    }

    /// Hash a block's writes into both trees at `height` without persisting anything.
    pub fn prepare_commit(
        &self,
        height: u64,
        writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<PendingCommit, StoreError> {
        let latest = self.latest();
        if let Some(latest) = latest {
            if height != latest.height + 1 {
                return Err(StoreError::OutOfOrder {
                    expected: latest.height + 1,
                    got: height,
                });
            }
        }
        let version = latest.map_or(1, |l| l.version + 1);

        let mut main_set = Vec::new();
        let mut ibc_set = Vec::new();
        let mut preimages = Vec::new();
        for (app_key, value) in &writes {
            let (substore, key) = Substore::route(app_key);
            let key_hash = KeyHash::with::<Sha256>(key);
            preimages.push((substore as u8, key_hash, key.to_vec()));
            match substore {
                Substore::Main => main_set.push((key_hash, value.clone())),
                Substore::Ibc => ibc_set.push((key_hash, value.clone())),
            }
        }

        let read = self.db.begin_read().map_err(db_err)?;
        let ibc_reader = TreeView::open(&read, Substore::Ibc)?;
        let (ibc_root, ibc_batch) = put(&ibc_reader, ibc_set, version)?;
        if latest.map(|l| l.ibc_root) != Some(ibc_root.0) {
            let key_hash = KeyHash::with::<Sha256>(IBC_ROOT_KEY);
            preimages.push((Substore::Main as u8, key_hash, IBC_ROOT_KEY.to_vec()));
            main_set.push((key_hash, Some(ibc_root.0.to_vec())));
        }
        let main_reader = TreeView::open(&read, Substore::Main)?;
        let (app_hash, main_batch) = put(&main_reader, main_set, version)?;

        Ok(PendingCommit {
            info: CommitInfo {
                height,
                version,
                app_hash: app_hash.0,
                ibc_root: ibc_root.0,
            },
            main_batch,
            ibc_batch,
            preimages,
            writes,
        })
    }

    /// Persist a prepared block atomically. After this returns, the block survives a crash.
    pub fn commit(&self, pending: PendingCommit) -> Result<CommitInfo, StoreError> {
        let expected = self.latest().map_or(pending.info.height, |l| l.height + 1);
        if pending.info.height != expected {
            return Err(StoreError::OutOfOrder {
                expected,
                got: pending.info.height,
            });
        }
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut values = txn.open_table(VALUES).map_err(db_err)?;
            for (substore, batch) in [
                (Substore::Main, &pending.main_batch),
                (Substore::Ibc, &pending.ibc_batch),
            ] {
                let mut nodes = txn.open_table(substore.nodes()).map_err(db_err)?;
                for (node_key, node) in batch.node_batch.nodes() {
                    let k = borsh::to_vec(node_key).map_err(db_err)?;
                    let v = borsh::to_vec(node).map_err(db_err)?;
                    nodes.insert(k.as_slice(), v.as_slice()).map_err(db_err)?;
                }
                let mut stale_values = txn.open_table(STALE_VALUES).map_err(db_err)?;
                for ((version, key_hash), value) in batch.node_batch.values() {
                    // The value this one supersedes is stale from `version` on.
                    let lower = value_key(substore as u8, key_hash, 0);
                    let upper = value_key(substore as u8, key_hash, version.saturating_sub(1));
                    let previous = match values
                        .range::<&[u8]>(lower.as_slice()..=upper.as_slice())
                        .map_err(db_err)?
                        .next_back()
                    {
                        Some(entry) => Some(entry.map_err(db_err)?.0.value().to_vec()),
                        None => None,
                    };
                    if let Some(previous) = previous {
                        let stale = [version.to_be_bytes().as_slice(), &previous].concat();
                        stale_values
                            .insert(stale.as_slice(), [].as_slice())
                            .map_err(db_err)?;
                    }
                    let k = value_key(substore as u8, key_hash, *version);
                    let v = borsh::to_vec(value).map_err(db_err)?;
                    values.insert(k.as_slice(), v.as_slice()).map_err(db_err)?;
                }
                let mut stale_nodes = txn.open_table(STALE_NODES).map_err(db_err)?;
                for index in &batch.stale_node_index_batch {
                    let node_key = borsh::to_vec(&index.node_key).map_err(db_err)?;
                    let k = [
                        index.stale_since_version.to_be_bytes().as_slice(),
                        &[substore as u8],
                        &node_key,
                    ]
                    .concat();
                    stale_nodes
                        .insert(k.as_slice(), [].as_slice())
                        .map_err(db_err)?;
                }
            }
            let mut preimages = txn.open_table(PREIMAGES).map_err(db_err)?;
            for (substore, key_hash, key) in &pending.preimages {
                let k = preimage_key(*substore, key_hash);
                preimages
                    .insert(k.as_slice(), key.as_slice())
                    .map_err(db_err)?;
            }
            let mut flat = txn.open_table(FLAT).map_err(db_err)?;
            for (key, value) in &pending.writes {
                match value {
                    Some(v) => {
                        flat.insert(key.as_slice(), v.as_slice()).map_err(db_err)?;
                    }
                    None => {
                        flat.remove(key.as_slice()).map_err(db_err)?;
                    }
                }
            }
            let mut meta = txn.open_table(META).map_err(db_err)?;
            let info = borsh::to_vec(&pending.info).map_err(db_err)?;
            meta.insert(META_LATEST, info.as_slice()).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        *self
            .latest
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(pending.info);
        Ok(pending.info)
    }

    /// Forget every state older than `height`: tree nodes and values that only older versions
    /// need are deleted, and reads below `height` fail. Returns how many entries were removed.
    pub fn prune_below(&self, height: u64) -> Result<u64, StoreError> {
        let Some(latest) = self.latest() else {
            return Ok(0);
        };
        let Some(keep_from) = latest.version_of(height.min(latest.height)) else {
            return Ok(0);
        };
        if keep_from <= self.earliest() {
            return Ok(0);
        }
        // A node or value stale since version s is needed only by versions below s.
        let bound = (keep_from + 1).to_be_bytes();
        let mut removed = 0u64;
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut stale_nodes = txn.open_table(STALE_NODES).map_err(db_err)?;
            let mut main_nodes = txn.open_table(MAIN_NODES).map_err(db_err)?;
            let mut ibc_nodes = txn.open_table(IBC_NODES).map_err(db_err)?;
            for entry in keys_below(&stale_nodes, &bound)? {
                let node_key = &entry[9..];
                let table = if entry[8] == Substore::Ibc as u8 {
                    &mut ibc_nodes
                } else {
                    &mut main_nodes
                };
                table.remove(node_key).map_err(db_err)?;
                stale_nodes.remove(entry.as_slice()).map_err(db_err)?;
                removed += 1;
            }
            let mut stale_values = txn.open_table(STALE_VALUES).map_err(db_err)?;
            let mut values = txn.open_table(VALUES).map_err(db_err)?;
            for entry in keys_below(&stale_values, &bound)? {
                values.remove(&entry[8..]).map_err(db_err)?;
                stale_values.remove(entry.as_slice()).map_err(db_err)?;
                removed += 1;
            }
            let mut meta = txn.open_table(META).map_err(db_err)?;
            let earliest = borsh::to_vec(&keep_from).map_err(db_err)?;
            meta.insert(META_EARLIEST, earliest.as_slice())
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        *self
            .earliest_version
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = keep_from;
        Ok(removed)
    }

    /// The value of an application key at `height` with its ICS-23 proof ops, innermost first
    /// (`[ibc proof, main proof]` for `ibc/` keys, `[main proof]` otherwise).
    pub fn get_with_proof(
        &self,
        app_key: &[u8],
        height: u64,
    ) -> Result<(Option<Vec<u8>>, Vec<ProofOpBytes>), StoreError> {
        let latest = self.latest().ok_or(StoreError::HeightNotAvailable {
            requested: height,
            latest: 0,
        })?;
        let earliest = self.earliest();
        let version = latest
            .version_of(height)
            .filter(|v| height <= latest.height && *v >= earliest)
            .ok_or(StoreError::HeightNotAvailable {
                requested: height,
                latest: latest.height,
            })?;
        let read = self.db.begin_read().map_err(db_err)?;
        let (substore, key) = Substore::route(app_key);
        let prove = |substore: Substore, key: &[u8]| -> Result<_, StoreError> {
            let view = TreeView::open(&read, substore)?;
            let (value, proof) = Sha256Jmt::new(&view)
                .get_with_ics23_proof(key.to_vec(), version)
                .map_err(|e| StoreError::Tree(e.to_string()))?;
            Ok((
                value,
                ProofOpBytes {
                    field_type: "ics23:jmt".to_string(),
                    key: key.to_vec(),
                    data: proof.encode_to_vec(),
                },
            ))
        };
        let (value, op) = prove(substore, key)?;
        let mut ops = vec![op];
        if substore == Substore::Ibc {
            let (_, root_op) = prove(Substore::Main, IBC_ROOT_KEY)?;
            ops.push(root_op);
        }
        Ok((value, ops))
    }
}

/// Apply one value set at `version`; the first version also materialises the empty tree at
/// version 0, since JMT versions are contiguous.
fn put(
    reader: &TreeView,
    set: Vec<(KeyHash, Option<OwnedValue>)>,
    version: Version,
) -> Result<(RootHash, TreeUpdateBatch), StoreError> {
    let tree = Sha256Jmt::new(reader);
    let result = if version == 1 {
        tree.put_value_sets(vec![Vec::new(), set], 0)
            .map(|(roots, batch)| (roots[1], batch))
    } else {
        tree.put_value_set(set, version)
    };
    result.map_err(|e| StoreError::Tree(e.to_string()))
}

/// Every key of `table` below `bound`.
fn keys_below(
    table: &redb::Table<Bytes<'static>, Bytes<'static>>,
    bound: &[u8],
) -> Result<Vec<Vec<u8>>, StoreError> {
    table
        .range::<&[u8]>(..bound)
        .map_err(db_err)?
        .map(|e| e.map(|(k, _)| k.value().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

fn value_key(substore: u8, key_hash: &KeyHash, version: Version) -> Vec<u8> {
    let mut k = Vec::with_capacity(41);
    k.push(substore);
    k.extend_from_slice(&key_hash.0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

fn preimage_key(substore: u8, key_hash: &KeyHash) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(substore);
    k.extend_from_slice(&key_hash.0);
    k
}

/// JMT reader over one substore's committed nodes.
struct TreeView {
    substore: Substore,
    nodes: redb::ReadOnlyTable<Bytes<'static>, Bytes<'static>>,
    values: redb::ReadOnlyTable<Bytes<'static>, Bytes<'static>>,
    preimages: redb::ReadOnlyTable<Bytes<'static>, Bytes<'static>>,
}

impl TreeView {
    fn open(txn: &ReadTransaction, substore: Substore) -> Result<Self, StoreError> {
        Ok(Self {
            substore,
            nodes: txn.open_table(substore.nodes()).map_err(db_err)?,
            values: txn.open_table(VALUES).map_err(db_err)?,
            preimages: txn.open_table(PREIMAGES).map_err(db_err)?,
        })
    }

    fn value_at(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let lower = value_key(self.substore as u8, &key_hash, 0);
        let upper = value_key(self.substore as u8, &key_hash, max_version);
        let mut range = self
            .values
            .range::<&[u8]>(lower.as_slice()..=upper.as_slice())?;
        match range.next_back() {
            Some(entry) => {
                let (_, value) = entry?;
                Ok(Option::<Vec<u8>>::try_from_slice(value.value())?)
            }
            None => Ok(None),
        }
    }
}

impl TreeReader for TreeView {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key)?;
        match self.nodes.get(key.as_slice())? {
            Some(bytes) => Ok(Some(Node::try_from_slice(bytes.value())?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.value_at(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("state-sync restore is not supported")
    }
}

impl HasPreimage for TreeView {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        let key = preimage_key(self.substore as u8, &key_hash);
        Ok(self
            .preimages
            .get(key.as_slice())?
            .map(|v| v.value().to_vec()))
    }
}

/// A consistent read view: the latest state (`at == None`, with range scans) or a past JMT
/// version (point reads only; range scans there see nothing and callers must refuse them).
#[derive(Clone)]
pub struct Snapshot {
    txn: Arc<ReadTransaction>,
    at: Option<Version>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("at", &self.at).finish()
    }
}

impl Snapshot {
    /// Whether range scans are served (only the latest state keeps an ordered index).
    pub fn is_latest(&self) -> bool {
        self.at.is_none()
    }
}

impl StateRead for Snapshot {
    fn get(&self, app_key: &[u8]) -> Option<Vec<u8>> {
        match self.at {
            None => {
                let flat = self
                    .txn
                    .open_table(FLAT)
                    .expect("storage: flat index must exist");
                flat.get(app_key)
                    .expect("storage: flat index read must succeed")
                    .map(|v| v.value().to_vec())
            }
            Some(version) => {
                let (substore, key) = Substore::route(app_key);
                let view =
                    TreeView::open(&self.txn, substore).expect("storage: tree tables must exist");
                view.value_at(version, KeyHash::with::<Sha256>(key))
                    .expect("storage: historical read must succeed")
            }
        }
    }

    fn first_in_range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        if self.at.is_some() {
            return None;
        }
        let flat = self
            .txn
            .open_table(FLAT)
            .expect("storage: flat index must exist");
        let mut range = flat
            .range::<&[u8]>((lower, upper))
            .expect("storage: flat index scan must succeed");
        let entry = if reverse {
            range.next_back()
        } else {
            range.next()
        };
        entry.map(|e| {
            let (k, v) = e.expect("storage: flat index scan must succeed");
            (k.value().to_vec(), v.value().to_vec())
        })
    }
}
