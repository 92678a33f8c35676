//! `openledger-attester`: the attester daemon of the OpenLedger Proof-of-Attribution network.
//!
//! It watches the `attribution-escrow` contract for jobs assigned to its key ([`daemon`]),
//! fetches the inputs by content hash ([`content`]: its own directories, then IPFS) and the
//! Datanet versions they name from the chain, checks the inference it is asked to attribute (token counts and a replay of the
//! answer, [`inference`]), computes the attribution with `gpu-oracle` ([`attest`]), and answers in two
//! signed transactions ([`chain`]): a commitment in the commit window, then the IBC-shaped packet
//! signed with its ed25519 key ([`keys`]) in the reveal window. What it must not forget between
//! the two (the salt and the committed result) is journaled to disk first ([`journal`]), so a crash
//! or restart neither loses work nor reveals something other than what was committed. Each attested
//! job leaves a receipt ([`receipt`]) that anyone can check offline.

pub mod attest;
pub mod chain;
pub mod config;
pub mod content;
pub mod daemon;
pub mod error;
pub mod inference;
pub mod journal;
pub mod keys;
pub mod metrics;
pub mod operator;
pub mod receipt;

pub use error::AttesterError;
/// IPFS as the content network (CIDs, the kubo RPC client): shared with the node's CLI.
pub use openledger_content::ipfs;

/// A fresh directory under the system temp dir, removed on drop (unit tests only).
#[cfg(test)]
pub(crate) struct TestDir(std::path::PathBuf);

#[cfg(test)]
impl TestDir {
    pub(crate) fn new() -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "openledger-attester-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create test dir");
        TestDir(dir)
    }
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

#[cfg(test)]
impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
