//! Content-addressed inputs: Datanet contributions, inference inputs and outputs, each a file
//! named by the lowercase hex sha256 of its bytes, in local directories (the first is also the
//! cache), and, when a kubo daemon is configured, on IPFS ([`crate::ipfs`]). Every read is
//! checked against its hash, so neither a store (a shared directory, a mirror) nor the IPFS
//! network need be trusted.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use crate::error::{AttesterError, Result};
use crate::ipfs::{Cid, Fetched, Ipfs};

#[derive(Clone, Debug)]
pub struct ContentStore {
    dirs: Vec<PathBuf>,
    ipfs: Option<Ipfs>,
}

/// How large content the chain names may be: its recorded size (a contribution), or a bound
/// (a job's input and output, whose sizes are not on chain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Exactly(u64),
    AtMost(u64),
}

/// What [`ContentStore::publish`] stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    pub sha256: [u8; 32],
    /// The CID it was added and pinned as, with an IPFS daemon.
    pub cid: Option<Cid>,
}

impl ContentStore {
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        ContentStore { dirs, ipfs: None }
    }

    /// Content not in the directories is looked for on IPFS through `ipfs`, and what
    /// [`ContentStore::publish`] stores is added there too.
    pub fn with_ipfs(mut self, ipfs: Ipfs) -> Self {
        self.ipfs = Some(ipfs);
        self
    }

    pub fn ipfs(&self) -> Option<&Ipfs> {
        self.ipfs.as_ref()
    }

    /// Content the chain names by `sha256` (and, for a contribution, by its `uri`): from the
    /// directories, else from IPFS, checked against the hash and the size either way; what
    /// IPFS gave is kept in the first directory.
    ///
    /// Content IPFS does not give within the daemon's timeout, or gives wrong (other bytes than
    /// the hash names, another size than the chain records), is [`AttesterError::ContentNotFound`]:
    /// every honest attester sees the same, so it is the job's "inputs unavailable", never this
    /// attester's fault. A daemon that does not answer is [`AttesterError::Ipfs`] (its own).
    pub async fn fetch(&self, sha256: &[u8], uri: Option<&str>, size: Size) -> Result<Vec<u8>> {
        let local = match size {
            Size::Exactly(n) => self.get_sized(sha256, n),
            Size::AtMost(n) => self.get_at_most(sha256, n),
        };
        let (ipfs, searched) = match (local, &self.ipfs) {
            (Err(AttesterError::ContentNotFound { searched, .. }), Some(ipfs)) => (ipfs, searched),
            (local, _) => return local,
        };
        let hash: [u8; 32] = sha256.try_into().map_err(|_| AttesterError::Content {
            hash: hex::encode(sha256),
            message: format!("not a sha256 ({} bytes)", sha256.len()),
        })?;
        let name = hex::encode(hash);
        let cid = Cid::for_content(hash, uri);
        let limit = match size {
            Size::Exactly(n) | Size::AtMost(n) => n,
        };
        let unavailable = |why: String| AttesterError::ContentNotFound {
            hash: name.clone(),
            searched: format!("{searched}; on IPFS via {}: {why}", ipfs.url()),
        };
        let bytes = match ipfs.cat(&cid, limit).await? {
            Fetched::Bytes(bytes) => bytes,
            Fetched::NotFound(why) => return Err(unavailable(why)),
            Fetched::TooLarge => {
                return Err(match size {
                    Size::AtMost(max) => AttesterError::ContentTooLarge {
                        hash: name,
                        bytes: max + 1,
                        max,
                    },
                    Size::Exactly(n) => unavailable(format!(
                        "{cid} is more than the {n} bytes the chain records"
                    )),
                })
            }
        };
        if let Size::Exactly(n) = size {
            if bytes.len() as u64 != n {
                return Err(unavailable(format!(
                    "{cid} is {} bytes, the chain records {n}",
                    bytes.len()
                )));
            }
        }
        let got: [u8; 32] = Sha256::digest(&bytes).into();
        if got != hash {
            return Err(unavailable(format!(
                "{cid} gave bytes whose sha256 is {} (tampered, or a uri naming other content)",
                hex::encode(got)
            )));
        }
        debug!(content = %name, %cid, bytes = bytes.len(), "fetched from IPFS and verified");
        if let Some(dir) = self.dirs.first() {
            if let Err(e) = write_atomic(&dir.join(&name), &bytes) {
                warn!(content = %name, error = %e, "could not cache content fetched from IPFS");
            }
        }
        Ok(bytes)
    }

    /// Stores `bytes` in the first directory and, with an IPFS daemon, adds and pins them
    /// there, so attesters on other machines can fetch them.
    pub async fn publish(&self, bytes: &[u8]) -> Result<Published> {
        let sha256 = self.put(bytes)?;
        let cid = match &self.ipfs {
            Some(ipfs) => Some(ipfs.add(bytes).await?),
            None => None,
        };
        Ok(Published { sha256, cid })
    }

    /// The bytes whose sha256 is `hash`, from the first directory that has them.
    pub fn get(&self, hash: &[u8]) -> Result<Vec<u8>> {
        self.get_limited(hash, None)
    }

    /// [`ContentStore::get`] of content the chain says is `size` bytes: a file of another size
    /// is refused before it is read, so a planted huge file costs nothing.
    pub fn get_sized(&self, hash: &[u8], size: u64) -> Result<Vec<u8>> {
        self.get_limited(hash, Some(size))
    }

    /// [`ContentStore::get`] of content that may be at most `max` bytes (its size is not on
    /// chain): a larger file is refused before it is read.
    pub fn get_at_most(&self, hash: &[u8], max: u64) -> Result<Vec<u8>> {
        self.get_bounded(hash, |len| {
            (len > max).then(|| AttesterError::ContentTooLarge {
                hash: hex::encode(hash),
                bytes: len,
                max,
            })
        })
    }

    fn get_limited(&self, hash: &[u8], size: Option<u64>) -> Result<Vec<u8>> {
        match size {
            None => self.get_bounded(hash, |_| None),
            Some(size) => self.get_bounded(hash, |len| {
                (len != size).then(|| AttesterError::Content {
                    hash: hex::encode(hash),
                    message: format!("is {len} bytes, the chain says {size}"),
                })
            }),
        }
    }

    /// The bytes named `hash`; `refuse` sees a file's length first and may refuse it unread.
    fn get_bounded(
        &self,
        hash: &[u8],
        refuse: impl Fn(u64) -> Option<AttesterError>,
    ) -> Result<Vec<u8>> {
        let name = hex::encode(hash);
        let bad = |message: String| AttesterError::Content {
            hash: name.clone(),
            message,
        };
        if hash.len() != 32 {
            return Err(bad(format!("not a sha256 ({} bytes)", hash.len())));
        }
        for dir in &self.dirs {
            let path = dir.join(&name);
            match std::fs::metadata(&path) {
                Ok(m) => {
                    if let Some(refused) = refuse(m.len()) {
                        return Err(refused);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(AttesterError::io(path, e)),
            }
            match std::fs::read(&path) {
                Ok(bytes) => {
                    if Sha256::digest(&bytes)[..] != *hash {
                        return Err(bad(format!(
                            "{} does not hash to its name (corrupt or tampered)",
                            path.display()
                        )));
                    }
                    return Ok(bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(AttesterError::io(path, e)),
            }
        }
        Err(AttesterError::ContentNotFound {
            hash: name,
            searched: self.describe(),
        })
    }

    /// Stores `bytes` in the first directory; returns their sha256.
    pub fn put(&self, bytes: &[u8]) -> Result<[u8; 32]> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let dir = self.dirs.first().ok_or_else(|| AttesterError::Content {
            hash: hex::encode(hash),
            message: "no content directory configured".into(),
        })?;
        write_atomic(&dir.join(hex::encode(hash)), bytes)?;
        Ok(hash)
    }

    fn describe(&self) -> String {
        self.dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Writes through a temporary file, fsyncs, renames and fsyncs the directory: after a crash the
/// file is either complete or absent.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let tmp = path.with_extension("tmp");
    let mut f = private_file(&tmp)?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| AttesterError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| AttesterError::io(path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Journals (salts), receipts and content are this attester's own: owner-only, whatever the
/// process umask (0700 directories, 0600 files).
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| AttesterError::io(dir, e))
}

fn private_file(path: &Path) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| AttesterError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked_against_their_hash() {
        let a = crate::TestDir::new();
        let b = crate::TestDir::new();
        let store = ContentStore::new(vec![a.path().into(), b.path().into()]);
        let h = ContentStore::new(vec![b.path().into()])
            .put(b"row one")
            .unwrap();
        assert_eq!(
            store.get(&h).unwrap(),
            b"row one",
            "found in the second dir"
        );
        std::fs::write(a.path().join(hex::encode(h)), b"row 1").unwrap();
        // a mismatch is an error, never "unavailable"; only a miss is `ContentNotFound`
        let e = store.get(&h).unwrap_err();
        assert!(matches!(e, AttesterError::Content { .. }), "{e}");
        assert!(e.to_string().contains("does not hash"), "{e}");
        let e = store.get(&[7u8; 32]).unwrap_err();
        assert!(matches!(e, AttesterError::ContentNotFound { .. }), "{e}");
        assert!(e.to_string().contains("not found"), "{e}");
        assert!(store.get(&[1, 2]).is_err());
    }

    #[test]
    fn sized_reads_refuse_other_sizes_unread_and_files_are_private() {
        let a = crate::TestDir::new();
        let dir = a.path().join("store");
        let store = ContentStore::new(vec![dir.clone()]);
        let h = store.put(b"row one").unwrap();
        assert_eq!(store.get_sized(&h, 7).unwrap(), b"row one");
        let e = store.get_sized(&h, 6).unwrap_err().to_string();
        assert!(e.contains("is 7 bytes, the chain says 6"), "{e}");
        assert!(matches!(
            store.get_sized(&[9u8; 32], 7),
            Err(AttesterError::ContentNotFound { .. })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(hex::encode(h))), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
    }

    #[test]
    fn bounded_reads_refuse_larger_files_unread() {
        let a = crate::TestDir::new();
        let store = ContentStore::new(vec![a.path().join("store")]);
        let h = store.put(b"an output of 24 bytes...").unwrap();
        assert_eq!(store.get_at_most(&h, 24).unwrap().len(), 24);
        assert!(matches!(
            store.get_at_most(&h, 23),
            Err(AttesterError::ContentTooLarge {
                bytes: 24,
                max: 23,
                ..
            })
        ));
        assert!(matches!(
            store.get_at_most(&[7u8; 32], 100),
            Err(AttesterError::ContentNotFound { .. })
        ));
    }
}
