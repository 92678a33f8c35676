//! Contract addresses, as wasmd `keeper/addresses.go` derives them (32 bytes, bech32 `open`).

use sha2::{Digest, Sha256};

/// SDK `address.Module("wasm", key)`: `sha256(sha256("module") ‖ "wasm" ‖ 0x00 ‖ key)`.
pub fn module_address(key: &[u8]) -> Vec<u8> {
    let type_hash = Sha256::digest(b"module");
    let mut h = Sha256::new();
    h.update(type_hash);
    h.update(b"wasm\0");
    h.update(key);
    h.finalize().to_vec()
}

/// Classic address: `Module("wasm", BE64(code_id) ‖ BE64(instance_id))`.
pub fn classic(code_id: u64, instance_id: u64) -> Vec<u8> {
    let mut key = code_id.to_be_bytes().to_vec();
    key.extend_from_slice(&instance_id.to_be_bytes());
    module_address(&key)
}

fn length_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Predictable (Instantiate2) address: `Module("wasm", lp(checksum) ‖ lp(creator) ‖ lp(salt) ‖
/// lp(msg))`; `msg` is empty unless `fix_msg` is set.
pub fn predictable(checksum: &[u8], creator: &[u8], salt: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(32 + creator.len() + salt.len() + msg.len() + 32);
    length_prefixed(&mut key, checksum);
    length_prefixed(&mut key, creator);
    length_prefixed(&mut key, salt);
    length_prefixed(&mut key, msg);
    module_address(&key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{instantiate2_address, CanonicalAddr};

    #[test]
    fn predictable_matches_cosmwasm_std() {
        let checksum = [7u8; 32];
        let creator = [9u8; 20];
        let salt = b"salt-1";
        let expected =
            instantiate2_address(&checksum, &CanonicalAddr::from(creator.to_vec()), salt).unwrap();
        assert_eq!(
            predictable(&checksum, &creator, salt, b""),
            expected.to_vec()
        );
    }

    #[test]
    fn classic_is_wasmd_vector() {
        // The first contract of code 1 on every wasmd chain (prefix `wasm`).
        let addr = classic(1, 1);
        assert_eq!(
            crate::crypto::to_bech32("wasm", &addr),
            "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d"
        );
    }
}
