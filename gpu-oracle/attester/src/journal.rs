//! What an attester must not forget between commit and reveal: per job, the salt and the result
//! it committed to. Written (fsync + rename) before the commit is broadcast, so after a crash the
//! daemon reveals exactly what it committed, and never commits twice to different results.

use std::path::PathBuf;

use cosmwasm_std::HexBinary;
use openledger_types::escrow::AttestationResult;
use serde::{Deserialize, Serialize};

use crate::content::write_atomic;
use crate::error::{AttesterError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Result computed and salt drawn; the commit may or may not have reached the chain.
    Computed,
    Committed,
    Revealed,
    /// Nothing more to do (the job left Committing/Revealing, or this attester is done).
    Done,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub job_id: u64,
    pub spec_hash: HexBinary,
    pub salt: HexBinary,
    pub result: AttestationResult,
    pub commitment: HexBinary,
    pub phase: Phase,
    #[serde(default)]
    pub commit_tx: Option<String>,
    #[serde(default)]
    pub reveal_tx: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    pub fn open(state_dir: PathBuf) -> Result<Self> {
        let dir = state_dir.join("jobs");
        std::fs::create_dir_all(&dir).map_err(|e| AttesterError::io(&dir, e))?;
        Ok(Journal { dir })
    }

    fn path(&self, job_id: u64) -> PathBuf {
        self.dir.join(format!("{job_id:020}.json"))
    }

    pub fn load(&self, job_id: u64) -> Result<Option<Entry>> {
        let path = self.path(job_id);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| AttesterError::Job {
                    job_id,
                    message: format!("journal {} is unreadable: {e}", path.display()),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AttesterError::io(path, e)),
        }
    }

    pub fn save(&self, entry: &Entry) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| AttesterError::Job {
            job_id: entry.job_id,
            message: e.to_string(),
        })?;
        write_atomic(&self.path(entry.job_id), &bytes)
    }

    /// Entries in job order.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let mut out = vec![];
        let rd = std::fs::read_dir(&self.dir).map_err(|e| AttesterError::io(&self.dir, e))?;
        for f in rd.flatten() {
            let name = f.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if let Some(e) = self.load(id)? {
                out.push(e);
            }
        }
        out.sort_by_key(|e| e.job_id);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openledger_types::escrow::DatanetWeight;

    #[test]
    fn entries_survive_reopening_and_list_in_job_order() {
        let dir = crate::TestDir::new();
        let j = Journal::open(dir.path().into()).unwrap();
        assert_eq!(j.load(3).unwrap(), None);
        let entry = |job_id| Entry {
            job_id,
            spec_hash: HexBinary::from(vec![1; 32]),
            salt: HexBinary::from(vec![2; 32]),
            result: AttestationResult {
                result_hash: HexBinary::from(vec![3; 32]),
                weights_bps: vec![DatanetWeight {
                    datanet_id: 1,
                    version: 1,
                    bps: 10_000,
                }],
                contributions: vec![],
            },
            commitment: HexBinary::from(vec![4; 32]),
            phase: Phase::Computed,
            commit_tx: None,
            reveal_tx: None,
            outcome: None,
        };
        j.save(&entry(12)).unwrap();
        j.save(&entry(3)).unwrap();
        let mut e = entry(3);
        e.phase = Phase::Committed;
        j.save(&e).unwrap();
        let j2 = Journal::open(dir.path().into()).unwrap();
        assert_eq!(j2.load(3).unwrap(), Some(e));
        let ids: Vec<u64> = j2.entries().unwrap().iter().map(|e| e.job_id).collect();
        assert_eq!(ids, [3, 12]);
        std::fs::write(
            dir.path().join("jobs").join(format!("{:020}.json", 5)),
            b"{",
        )
        .unwrap();
        assert!(j2.load(5).is_err());
    }
}
