//! API keys: made from the payer's mnemonic ([`make_key`]) or by Keplr's `signArbitrary` over
//! the same grant, and checked on every request ([`Verifier`]) without any state here: the key
//! carries the grant, the payer's public key and his signature.

use bip32::{DerivationPath, XPrv};
use cosmwasm_std::{Binary, Uint128};
use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use openledger_types::api_key::{ApiKey, ApiKeyError, ApiKeyGrant};

/// Who is paying for a request.
#[derive(Clone, Debug)]
pub struct Payer {
    /// The payer's account (bech32).
    pub address: String,
    /// The verified key, as the escrow will want it.
    pub key: ApiKey,
    pub grant: ApiKeyGrant,
}

/// Checks API keys for one gateway on one chain.
#[derive(Clone, Debug)]
pub struct Verifier {
    pub chain_id: String,
    /// The operator's address: keys must name it.
    pub gateway: String,
    /// Bech32 prefix of account addresses.
    pub prefix: String,
}

impl Verifier {
    /// Verifies a bearer token at `now` (unix seconds).
    pub fn verify(&self, token: &str, now: u64) -> Result<Payer, ApiKeyError> {
        let key = ApiKey::decode(token)?;
        let grant = key.parse_grant()?;
        grant.check(&self.chain_id, &self.gateway, now)?;
        let address = bech32_address(&self.prefix, &key.payer_address_bytes())
            .map_err(ApiKeyError::Malformed)?;
        let hash = key
            .sign_hash(&address)
            .map_err(|e| ApiKeyError::Malformed(e.to_string()))?;
        let vk = VerifyingKey::from_sec1_bytes(&key.pub_key)
            .map_err(|_| ApiKeyError::Malformed("pub_key is not a secp256k1 point".into()))?;
        let sig = Signature::from_slice(&key.signature).map_err(|_| ApiKeyError::BadSignature)?;
        // k256 refuses high-S signatures, as the chain's secp256k1 check does.
        vk.verify_prehash(&hash, &sig)
            .map_err(|_| ApiKeyError::BadSignature)?;
        Ok(Payer {
            address,
            key,
            grant,
        })
    }
}

/// `prefix1…` of a 20-byte account address.
pub fn bech32_address(prefix: &str, bytes: &[u8]) -> Result<String, String> {
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| format!("bech32 prefix {prefix:?}: {e}"))?;
    bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|e| e.to_string())
}

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("mnemonic: {0}")]
    Mnemonic(String),
    #[error("derivation: {0}")]
    Derivation(String),
    #[error("signing: {0}")]
    Signing(String),
}

/// The account key at `m/44'/118'/0'/0/{index}` of a BIP-39 mnemonic (as cosmjs and Keplr).
pub fn account_key(mnemonic: &str, index: u32) -> Result<SigningKey, KeyError> {
    let words = mnemonic.split_whitespace().collect::<Vec<_>>().join(" ");
    let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &words)
        .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
    let path: DerivationPath = format!("m/44'/118'/0'/0/{index}")
        .parse()
        .map_err(|e: bip32::Error| KeyError::Derivation(e.to_string()))?;
    let xprv = XPrv::derive_from_path(m.to_seed(""), &path)
        .map_err(|e| KeyError::Derivation(e.to_string()))?;
    Ok(xprv.private_key().clone())
}

/// Signs `grant` as ADR-036 data with `key`, whose address has `prefix`.
pub fn sign_grant(key: &SigningKey, prefix: &str, grant: &ApiKeyGrant) -> Result<ApiKey, KeyError> {
    let pub_key = key
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let unsigned = ApiKey {
        grant: Binary::from(
            grant
                .to_bytes()
                .map_err(|e| KeyError::Signing(e.to_string()))?,
        ),
        pub_key: Binary::from(pub_key),
        signature: Binary::default(),
    };
    let address =
        bech32_address(prefix, &unsigned.payer_address_bytes()).map_err(KeyError::Signing)?;
    let hash = unsigned
        .sign_hash(&address)
        .map_err(|e| KeyError::Signing(e.to_string()))?;
    let sig: Signature = key
        .sign_prehash(&hash)
        .map_err(|e| KeyError::Signing(e.to_string()))?;
    // RFC 6979 signatures from k256 are low-S already; normalise anyway.
    let sig = sig.normalize_s().unwrap_or(sig);
    Ok(ApiKey {
        signature: Binary::from(sig.to_bytes().to_vec()),
        ..unsigned
    })
}

/// An API key in its wire form, from a mnemonic.
pub fn make_key(
    mnemonic: &str,
    account_index: u32,
    prefix: &str,
    chain_id: &str,
    gateway: &str,
    expires: u64,
    max_spend: Option<Uint128>,
) -> Result<(String, String), KeyError> {
    let key = account_key(mnemonic, account_index)?;
    let grant = ApiKeyGrant::new(chain_id, gateway, expires, max_spend);
    let signed = sign_grant(&key, prefix, &grant)?;
    let address =
        bech32_address(prefix, &signed.payer_address_bytes()).map_err(KeyError::Signing)?;
    let wire = signed
        .encode()
        .map_err(|e| KeyError::Signing(e.to_string()))?;
    Ok((wire, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The BIP-39 test vector every OpenLedger dev chain funds (alice = index 0, bob = 1).
    const DEV_MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn verifier() -> Verifier {
        Verifier {
            chain_id: "openledger-dev-1".into(),
            gateway: "open1gateway".into(),
            prefix: "open".into(),
        }
    }

    #[test]
    fn dev_mnemonic_derives_alice_and_bob_as_cosmjs_does() {
        for (i, want) in [
            "open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz",
            "open1jrkmdcwgq94uaamx6zax2luewlhf7u4ktn5f24",
        ]
        .iter()
        .enumerate()
        {
            let (_, addr) =
                make_key(DEV_MNEMONIC, i as u32, "open", "c", "g", 1, None).expect("key");
            assert_eq!(&addr, want);
        }
    }

    #[test]
    fn a_made_key_verifies_and_every_alteration_is_refused() {
        let v = verifier();
        let (wire, addr) = make_key(
            DEV_MNEMONIC,
            0,
            "open",
            &v.chain_id,
            &v.gateway,
            1_000,
            Some(Uint128::new(5)),
        )
        .expect("key");
        let payer = v.verify(&wire, 999).expect("verifies");
        assert_eq!(payer.address, addr);
        assert_eq!(payer.grant.max_spend, Some(Uint128::new(5)));

        assert!(matches!(
            v.verify(&wire, 1_001),
            Err(ApiKeyError::Expired { .. })
        ));
        let other_gateway = Verifier {
            gateway: "open1other".into(),
            ..v.clone()
        };
        assert!(matches!(
            other_gateway.verify(&wire, 0),
            Err(ApiKeyError::WrongGateway { .. })
        ));
        let other_chain = Verifier {
            chain_id: "x-1".into(),
            ..v.clone()
        };
        assert!(matches!(
            other_chain.verify(&wire, 0),
            Err(ApiKeyError::WrongChain { .. })
        ));

        // A grant with a later expiry, the original signature: forged.
        let key = ApiKey::decode(&wire).expect("decodes");
        let longer = ApiKeyGrant::new(&v.chain_id, &v.gateway, 9_999, Some(Uint128::new(5)));
        let forged = ApiKey {
            grant: Binary::from(longer.to_bytes().expect("json")),
            ..key.clone()
        };
        assert_eq!(
            v.verify(&forged.encode().expect("wire"), 0)
                .map(|p| p.address),
            Err(ApiKeyError::BadSignature)
        );
        // Bob's public key with Alice's signature.
        let bob = account_key(DEV_MNEMONIC, 1).expect("bob");
        let swapped = ApiKey {
            pub_key: Binary::from(
                bob.verifying_key()
                    .to_encoded_point(true)
                    .as_bytes()
                    .to_vec(),
            ),
            ..key.clone()
        };
        assert!(matches!(
            v.verify(&swapped.encode().expect("wire"), 0),
            Err(ApiKeyError::BadSignature)
        ));
        // The same signature with S replaced by n − S (high-S twin) is refused.
        let sig = Signature::from_slice(&key.signature).expect("sig");
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).expect("sig");
        let twin = ApiKey {
            signature: Binary::from(high.to_bytes().to_vec()),
            ..key
        };
        assert!(matches!(
            v.verify(&twin.encode().expect("wire"), 0),
            Err(ApiKeyError::BadSignature)
        ));
        assert!(matches!(
            v.verify("sk-proj-abc", 0),
            Err(ApiKeyError::Malformed(_))
        ));
    }

    #[test]
    fn a_bad_mnemonic_is_an_error_not_a_key() {
        assert!(account_key("abandon abandon", 0).is_err());
    }
}
