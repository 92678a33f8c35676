//! Addresses and secp256k1 signatures as the Cosmos SDK defines them.

use bech32::{primitives::decode::CheckedHrpstring, Bech32, Hrp};
use k256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

/// Bech32 prefix of account addresses.
pub const ACCOUNT_HRP: &str = "open";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("decoding bech32 failed: {0}")]
    Bech32(String),
    #[error("invalid Bech32 prefix; expected {expected}, got {got}")]
    WrongPrefix { expected: String, got: String },
    #[error("address length must be 1 to 255 bytes, got {0}")]
    Length(usize),
    #[error("empty address string is not allowed")]
    Empty,
}

/// `ripemd160(sha256(compressed_pubkey))`: the 20-byte account address of a secp256k1 key.
pub fn account_address(compressed_pubkey: &[u8]) -> [u8; 20] {
    let sha = Sha256::digest(compressed_pubkey);
    Ripemd160::digest(sha).into()
}

/// `sha256(name)[:20]`: the address of a module account (`authtypes.NewModuleAddress`).
pub fn module_address(name: &str) -> [u8; 20] {
    let digest = Sha256::digest(name.as_bytes());
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[..20]);
    out
}

pub fn to_bech32(hrp: &str, bytes: &[u8]) -> String {
    let hrp = Hrp::parse(hrp).expect("address prefixes are static and valid");
    bech32::encode::<Bech32>(hrp, bytes).expect("addresses of 1..=255 bytes always encode")
}

/// Strict classic-Bech32 decode with the expected prefix.
pub fn from_bech32(hrp: &str, address: &str) -> Result<Vec<u8>, AddressError> {
    if address.is_empty() {
        return Err(AddressError::Empty);
    }
    let checked = CheckedHrpstring::new::<Bech32>(address)
        .map_err(|e| AddressError::Bech32(e.to_string()))?;
    if checked.hrp().as_str() != hrp {
        return Err(AddressError::WrongPrefix {
            expected: hrp.to_string(),
            got: checked.hrp().to_string(),
        });
    }
    let bytes: Vec<u8> = checked.byte_iter().collect();
    if bytes.is_empty() || bytes.len() > 255 {
        return Err(AddressError::Length(bytes.len()));
    }
    Ok(bytes)
}

pub fn account_to_bech32(bytes: &[u8]) -> String {
    to_bech32(ACCOUNT_HRP, bytes)
}

pub fn account_from_bech32(address: &str) -> Result<Vec<u8>, AddressError> {
    from_bech32(ACCOUNT_HRP, address)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("invalid secp256k1 public key")]
    PublicKey,
    #[error("signature must be 64 bytes r||s, got {0} bytes")]
    Length(usize),
    #[error("malformed signature")]
    Malformed,
    #[error("signature is not in lower-S form")]
    HighS,
    #[error("signature does not verify")]
    Mismatch,
}

/// Verify a Cosmos secp256k1 signature: ECDSA over `sha256(message)`, 64-byte `r‖s`, low-S only.
pub fn verify_secp256k1(
    compressed_pubkey: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let key =
        VerifyingKey::from_sec1_bytes(compressed_pubkey).map_err(|_| SignatureError::PublicKey)?;
    if signature.len() != 64 {
        return Err(SignatureError::Length(signature.len()));
    }
    let sig = Signature::from_slice(signature).map_err(|_| SignatureError::Malformed)?;
    if sig.normalize_s().is_some() {
        return Err(SignatureError::HighS);
    }
    key.verify(message, &sig)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{signature::Signer, SigningKey};

    #[test]
    fn bech32_round_trip_and_strictness() {
        let addr = account_to_bech32(&[7u8; 20]);
        assert!(addr.starts_with("open1"));
        assert_eq!(account_from_bech32(&addr).unwrap(), vec![7u8; 20]);
        assert!(matches!(
            from_bech32("cosmos", &addr),
            Err(AddressError::WrongPrefix { .. })
        ));
        let mut broken = addr.clone();
        broken.pop();
        broken.push(if addr.ends_with('q') { 'p' } else { 'q' });
        assert!(account_from_bech32(&broken).is_err());
        assert_eq!(account_from_bech32(""), Err(AddressError::Empty));
    }

    #[test]
    fn verifies_low_s_and_rejects_high_s_and_tampering() {
        let sk = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let pk = sk.verifying_key().to_encoded_point(true);
        let sig: Signature = sk.sign(b"hello");
        let sig = sig.normalize_s().unwrap_or(sig);
        assert_eq!(
            verify_secp256k1(pk.as_bytes(), b"hello", &sig.to_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_secp256k1(pk.as_bytes(), b"hellO", &sig.to_bytes()),
            Err(SignatureError::Mismatch)
        );
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        // k256 may already refuse high-S when parsing; either way it never verifies.
        assert!(matches!(
            verify_secp256k1(pk.as_bytes(), b"hello", &high.to_bytes()),
            Err(SignatureError::HighS | SignatureError::Malformed)
        ));
        assert_eq!(
            verify_secp256k1(&[5; 33], b"x", &[0; 64]),
            Err(SignatureError::PublicKey)
        );
    }
}
