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
    /// Bech32 leaves slack: non-zero padding bits decode to the same bytes (and all-uppercase
    /// would, were the prefix not checked case-sensitively). Contracts see the string itself (`info.sender`, their own address), so only the
    /// one spelling [`to_bech32`] gives may name an account.
    #[error("address {given} is not canonical; the canonical spelling is {canonical}")]
    NotCanonical { given: String, canonical: String },
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

/// Strict classic-Bech32 decode with the expected prefix; only the canonical spelling (the one
/// [`to_bech32`] gives back for the decoded bytes) is accepted.
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
    // The decoder drops the padding bits of the last 5-bit group unchecked, so up to 2^4
    // strings (32 bytes) or 2^4·2 (20 bytes) decode alike; re-encoding catches all of them.
    let canonical = to_bech32(hrp, &bytes);
    if canonical != address {
        return Err(AddressError::NotCanonical {
            given: address.to_string(),
            canonical,
        });
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
    use bech32::primitives::iter::{ByteIterExt, Fe32IterExt};
    use bech32::Fe32;
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

    /// `open1…` of the 5-bit `data` with its checksum, whatever the padding bits hold.
    fn spell(data: Vec<Fe32>) -> String {
        let hrp = Hrp::parse(ACCOUNT_HRP).unwrap();
        data.into_iter()
            .with_checksum::<Bech32>(&hrp)
            .chars()
            .collect()
    }

    fn five_bit(bytes: &[u8]) -> Vec<Fe32> {
        bytes.iter().copied().bytes_to_fes().collect()
    }

    #[test]
    fn only_the_canonical_spelling_decodes() {
        // 20 bytes fill 32 characters exactly; one more character (5 bits, dropped by the
        // decoder) gave 32 other names for every account.
        let account = account_to_bech32(&[7u8; 20]);
        let data = five_bit(&[7u8; 20]);
        assert_eq!(spell(data.clone()), account);
        for extra in 0..32u8 {
            let mut longer = data.clone();
            longer.push(Fe32::try_from(extra).unwrap());
            let alt = spell(longer);
            assert!(
                matches!(
                    account_from_bech32(&alt),
                    Err(AddressError::NotCanonical { ref canonical, .. }) if *canonical == account
                ),
                "{alt}: {:?}",
                account_from_bech32(&alt)
            );
        }
        // 32 bytes (contracts) leave 4 padding bits in the last character: 15 more names.
        let contract = account_to_bech32(&[0xa5u8; 32]);
        let data = five_bit(&[0xa5u8; 32]);
        assert_eq!(spell(data.clone()), contract);
        let last = data.len() - 1;
        assert_eq!(data[last].to_u8() & 0b1111, 0);
        for pad in 1..16u8 {
            let mut padded = data.clone();
            padded[last] = Fe32::try_from(data[last].to_u8() | pad).unwrap();
            let alt = spell(padded);
            assert!(
                matches!(
                    account_from_bech32(&alt),
                    Err(AddressError::NotCanonical { .. })
                ),
                "{alt}"
            );
        }
        // The uppercase form is valid bech32 but would name the account a second way; its
        // prefix already fails the (case-sensitive) prefix check.
        let upper = account.to_uppercase();
        let err = account_from_bech32(&upper).unwrap_err();
        assert!(err.to_string().contains("prefix"), "{err}");
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
