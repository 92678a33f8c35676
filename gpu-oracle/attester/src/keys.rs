//! The attester's two keys, in one `keys.json` (mode 0600): a secp256k1 account key that signs
//! transactions and pays their fees, and the ed25519 key registered with the attester registry
//! that signs attestation packets.

use std::path::Path;

use cosmrs::crypto::secp256k1;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::error::{AttesterError, Result};

#[derive(Serialize, Deserialize)]
struct KeyFile {
    /// Hex secp256k1 secret (32 bytes).
    secp256k1: String,
    /// Hex ed25519 seed (32 bytes).
    ed25519: String,
}

pub struct Keys {
    pub account: secp256k1::SigningKey,
    pub packet: ed25519_consensus::SigningKey,
    /// Bech32 account address.
    pub address: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("address", &self.address)
            .finish()
    }
}

impl Keys {
    /// Creates a fresh key file; refuses to overwrite one.
    pub fn generate(path: &Path, prefix: &str) -> Result<Self> {
        if path.exists() {
            return Err(AttesterError::Keys {
                path: path.into(),
                message: "exists; refusing to overwrite keys".into(),
            });
        }
        let mut secp = [0u8; 32];
        let mut ed = [0u8; 32];
        // A uniformly random 32-byte value is a valid secp256k1 scalar except with
        // negligible probability; retry on that.
        loop {
            OsRng.fill_bytes(&mut secp);
            if k256::SecretKey::from_slice(&secp).is_ok() {
                break;
            }
        }
        OsRng.fill_bytes(&mut ed);
        let file = KeyFile {
            secp256k1: hex::encode(secp),
            ed25519: hex::encode(ed),
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| AttesterError::io(dir, e))?;
        }
        write_private(path, text.as_bytes())?;
        Self::from_file(&file, path, prefix)
    }

    pub fn load(path: &Path, prefix: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AttesterError::io(path, e))?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| AttesterError::Keys {
            path: path.into(),
            message: e.to_string(),
        })?;
        Self::from_file(&file, path, prefix)
    }

    fn from_file(file: &KeyFile, path: &Path, prefix: &str) -> Result<Self> {
        let bad = |message: String| AttesterError::Keys {
            path: path.into(),
            message,
        };
        let secp = hex32(&file.secp256k1).map_err(|e| bad(format!("secp256k1: {e}")))?;
        let ed = hex32(&file.ed25519).map_err(|e| bad(format!("ed25519: {e}")))?;
        let account =
            secp256k1::SigningKey::from_slice(&secp).map_err(|e| bad(format!("secp256k1: {e}")))?;
        let address = account
            .public_key()
            .account_id(prefix)
            .map_err(|e| bad(format!("address: {e}")))?
            .to_string();
        Ok(Keys {
            account,
            packet: ed25519_consensus::SigningKey::from(ed),
            address,
        })
    }

    /// The 32-byte ed25519 public key registered with the attester registry.
    pub fn packet_pubkey(&self) -> [u8; 32] {
        self.packet.verification_key().to_bytes()
    }
}

fn hex32(s: &str) -> Result<[u8; 32], String> {
    let v = hex::decode(s.trim()).map_err(|e| e.to_string())?;
    v.try_into()
        .map_err(|v: Vec<u8>| format!("{} bytes, want 32", v.len()))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AttesterError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| AttesterError::io(path, e))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| AttesterError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_reload_identically_and_are_not_overwritten() {
        let dir = crate::TestDir::new();
        let path = dir.path().join("keys.json");
        let k = Keys::generate(&path, "open").unwrap();
        assert!(k.address.starts_with("open1"));
        let again = Keys::load(&path, "open").unwrap();
        assert_eq!(again.address, k.address);
        assert_eq!(again.packet_pubkey(), k.packet_pubkey());
        assert!(Keys::generate(&path, "open").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, r#"{"secp256k1":"00","ed25519":"11"}"#).unwrap();
        let e = Keys::load(&path, "open").unwrap_err().to_string();
        assert!(e.contains("secp256k1"), "{e}");
    }
}
