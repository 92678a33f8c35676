//! Inference API keys: a user's account key signs, with ADR-036 "sign arbitrary data" (what
//! Keplr's `signArbitrary` and `openledger-serve api-key` produce), a grant that lets one
//! gateway charge his prepaid inference credit in the escrow until an expiry, up to a cap.
//!
//! Nothing about a key is stored anywhere before it is used: the gateway checks the signature
//! to answer 401 early, and the escrow checks it again when the gateway opens a job against the
//! payer's credit, so a gateway cannot spend credit it holds no key for.
//!
//! Wire form of a key: `olk_` followed by unpadded base64url of the JSON of [`ApiKey`]. The
//! grant is carried as the exact bytes that were signed, so verifiers never re-serialise it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{to_json_vec, Binary, StdError, StdResult, Uint128};
use sha2::{Digest, Sha256};

/// Prefix of an API key's wire form.
pub const API_KEY_PREFIX: &str = "olk_";
/// [`ApiKeyGrant::kind`] of this version.
pub const API_KEY_KIND: &str = "openledger/api-key/v1";
/// A secp256k1 compressed public key.
pub const PUBKEY_LEN: usize = 33;
/// A secp256k1 signature as `r ‖ s`.
pub const SIGNATURE_LEN: usize = 64;

/// What the payer grants. Its JSON (fields in this order, no whitespace) is the ADR-036 `data`.
#[cw_serde]
pub struct ApiKeyGrant {
    /// Always [`API_KEY_KIND`]: the signature cannot be mistaken for anything else.
    #[serde(rename = "type")]
    pub kind: String,
    /// The chain whose escrow holds the credit.
    pub chain_id: String,
    /// The gateway operator's address: the only account that may charge this key.
    pub gateway: String,
    /// Unix seconds after which the key is refused.
    pub expires: u64,
    /// The most this key may spend in total (OPEN base units), or no cap.
    pub max_spend: Option<Uint128>,
}

/// A signed grant.
#[cw_serde]
pub struct ApiKey {
    /// The [`ApiKeyGrant`] JSON bytes exactly as signed.
    pub grant: Binary,
    /// The payer's secp256k1 public key (33 bytes, compressed); his address derives from it.
    pub pub_key: Binary,
    /// secp256k1 signature (64 bytes, `r ‖ s`) over [`sign_bytes`] of the payer and `grant`.
    pub signature: Binary,
}

/// Why a key is refused, before or after its signature is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiKeyError {
    /// Not `olk_` + base64url JSON of an [`ApiKey`], or the grant does not parse.
    Malformed(String),
    /// The signature does not verify.
    BadSignature,
    /// The grant names another chain.
    WrongChain { expected: String, got: String },
    /// The grant names another gateway.
    WrongGateway { expected: String, got: String },
    /// Past `expires`.
    Expired { expires: u64, now: u64 },
}

impl std::fmt::Display for ApiKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiKeyError::Malformed(why) => write!(f, "malformed API key: {why}"),
            ApiKeyError::BadSignature => write!(f, "API key signature does not verify"),
            ApiKeyError::WrongChain { expected, got } => {
                write!(f, "API key is for chain {got}, not {expected}")
            }
            ApiKeyError::WrongGateway { expected, got } => {
                write!(f, "API key is for gateway {got}, not {expected}")
            }
            ApiKeyError::Expired { expires, now } => {
                write!(f, "API key expired at {expires} (now {now}, unix seconds)")
            }
        }
    }
}

impl std::error::Error for ApiKeyError {}

impl From<ApiKeyError> for StdError {
    fn from(e: ApiKeyError) -> Self {
        StdError::generic_err(e.to_string())
    }
}

impl ApiKeyGrant {
    /// A grant of this version.
    pub fn new(chain_id: &str, gateway: &str, expires: u64, max_spend: Option<Uint128>) -> Self {
        ApiKeyGrant {
            kind: API_KEY_KIND.to_string(),
            chain_id: chain_id.to_string(),
            gateway: gateway.to_string(),
            expires,
            max_spend,
        }
    }

    /// The bytes to sign.
    pub fn to_bytes(&self) -> StdResult<Vec<u8>> {
        to_json_vec(self)
    }

    /// Checks the grant's own fields against the verifier's chain, gateway and clock.
    pub fn check(&self, chain_id: &str, gateway: &str, now: u64) -> Result<(), ApiKeyError> {
        if self.kind != API_KEY_KIND {
            return Err(ApiKeyError::Malformed(format!(
                "grant type {:?} is not {API_KEY_KIND:?}",
                self.kind
            )));
        }
        if self.chain_id != chain_id {
            return Err(ApiKeyError::WrongChain {
                expected: chain_id.to_string(),
                got: self.chain_id.clone(),
            });
        }
        if self.gateway != gateway {
            return Err(ApiKeyError::WrongGateway {
                expected: gateway.to_string(),
                got: self.gateway.clone(),
            });
        }
        if now > self.expires {
            return Err(ApiKeyError::Expired {
                expires: self.expires,
                now,
            });
        }
        Ok(())
    }
}

impl ApiKey {
    /// Parses the wire form (`olk_…`). Checks lengths, not the signature.
    pub fn decode(s: &str) -> Result<Self, ApiKeyError> {
        let body = s.strip_prefix(API_KEY_PREFIX).ok_or_else(|| {
            ApiKeyError::Malformed(format!("does not start with {API_KEY_PREFIX}"))
        })?;
        if body.len() > 4096 {
            return Err(ApiKeyError::Malformed("longer than 4096 characters".into()));
        }
        let json = base64url_decode(body)
            .ok_or_else(|| ApiKeyError::Malformed("not unpadded base64url".into()))?;
        let key: ApiKey = cosmwasm_std::from_json(&json)
            .map_err(|e| ApiKeyError::Malformed(format!("not an API key object: {e}")))?;
        key.check_lengths()?;
        Ok(key)
    }

    /// The wire form.
    pub fn encode(&self) -> StdResult<String> {
        Ok(format!(
            "{API_KEY_PREFIX}{}",
            base64url_encode(&to_json_vec(self)?)
        ))
    }

    /// Public key and signature lengths.
    pub fn check_lengths(&self) -> Result<(), ApiKeyError> {
        if self.pub_key.len() != PUBKEY_LEN {
            return Err(ApiKeyError::Malformed(format!(
                "pub_key is {} bytes, not {PUBKEY_LEN} (compressed secp256k1)",
                self.pub_key.len()
            )));
        }
        if self.signature.len() != SIGNATURE_LEN {
            return Err(ApiKeyError::Malformed(format!(
                "signature is {} bytes, not {SIGNATURE_LEN}",
                self.signature.len()
            )));
        }
        Ok(())
    }

    /// The signed grant, parsed.
    pub fn parse_grant(&self) -> Result<ApiKeyGrant, ApiKeyError> {
        cosmwasm_std::from_json(&self.grant)
            .map_err(|e| ApiKeyError::Malformed(format!("grant: {e}")))
    }

    /// The payer's 20-byte account address, `ripemd160(sha256(pub_key))`.
    pub fn payer_address_bytes(&self) -> [u8; 20] {
        pubkey_address_bytes(&self.pub_key)
    }

    /// The sha256 the payer signed, given his bech32 address.
    pub fn sign_hash(&self, signer: &str) -> StdResult<[u8; 32]> {
        Ok(Sha256::digest(sign_bytes(signer, &self.grant)?).into())
    }

    /// Identifies the key (spend is counted per key): sha256 of its signature.
    pub fn id(&self) -> [u8; 32] {
        Sha256::digest(self.signature.as_slice()).into()
    }
}

/// `ripemd160(sha256(pub_key))`: a Cosmos secp256k1 account address.
pub fn pubkey_address_bytes(pub_key: &[u8]) -> [u8; 20] {
    use ripemd::Ripemd160;
    let sha = Sha256::digest(pub_key);
    Ripemd160::digest(sha).into()
}

// ADR-036 sign doc: an amino StdSignDoc with one `sign/MsgSignData` and everything else
// zero. Fields are declared in amino JSON's sorted order.
#[derive(cosmwasm_schema::serde::Serialize)]
#[serde(crate = "cosmwasm_schema::serde")]
struct SignDoc<'a> {
    account_number: &'static str,
    chain_id: &'static str,
    fee: Fee,
    memo: &'static str,
    msgs: [SignMsg<'a>; 1],
    sequence: &'static str,
}

#[derive(cosmwasm_schema::serde::Serialize)]
#[serde(crate = "cosmwasm_schema::serde")]
struct Fee {
    amount: [(); 0],
    gas: &'static str,
}

#[derive(cosmwasm_schema::serde::Serialize)]
#[serde(crate = "cosmwasm_schema::serde")]
struct SignMsg<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    value: SignData<'a>,
}

#[derive(cosmwasm_schema::serde::Serialize)]
#[serde(crate = "cosmwasm_schema::serde")]
struct SignData<'a> {
    data: String,
    signer: &'a str,
}

/// The ADR-036 bytes `signer` signs for `data` (Keplr `signArbitrary`): the amino JSON of
/// `{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"",
/// "msgs":[{"type":"sign/MsgSignData","value":{"data":base64(data),"signer":signer}}],
/// "sequence":"0"}`; the signature is over its sha256.
pub fn sign_bytes(signer: &str, data: &[u8]) -> StdResult<Vec<u8>> {
    to_json_vec(&SignDoc {
        account_number: "0",
        chain_id: "",
        fee: Fee {
            amount: [],
            gas: "0",
        },
        memo: "",
        msgs: [SignMsg {
            kind: "sign/MsgSignData",
            value: SignData {
                data: Binary::from(data).to_base64(),
                signer,
            },
        }],
        sequence: "0",
    })
}

fn base64url_encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Strict: no padding, and bits past the last whole byte must be zero (one spelling per key).
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_refuses_other_spellings() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = base64url_encode(&data);
            assert!(!enc.contains('='));
            assert_eq!(base64url_decode(&enc).as_deref(), Some(&data[..]));
        }
        // "QQ" is "A"; "QR" carries a stray low bit.
        assert_eq!(base64url_decode("QQ").as_deref(), Some(&b"A"[..]));
        assert_eq!(base64url_decode("QR"), None);
        assert_eq!(base64url_decode("Q"), None);
        assert_eq!(base64url_decode("QQ=="), None);
        assert_eq!(base64url_decode("a+b/"), None);
    }

    #[test]
    fn sign_bytes_are_keplrs_adr036_doc() {
        let doc = sign_bytes("open1abc", b"hi").unwrap();
        assert_eq!(
            String::from_utf8(doc).unwrap(),
            r#"{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"type":"sign/MsgSignData","value":{"data":"aGk=","signer":"open1abc"}}],"sequence":"0"}"#
        );
    }

    #[test]
    fn grant_checks_chain_gateway_and_expiry() {
        let g = ApiKeyGrant::new("c-1", "open1gw", 100, None);
        assert_eq!(
            String::from_utf8(g.to_bytes().unwrap()).unwrap(),
            r#"{"type":"openledger/api-key/v1","chain_id":"c-1","gateway":"open1gw","expires":100,"max_spend":null}"#
        );
        assert_eq!(g.check("c-1", "open1gw", 100), Ok(()));
        assert_eq!(
            g.check("c-1", "open1gw", 101),
            Err(ApiKeyError::Expired {
                expires: 100,
                now: 101
            })
        );
        assert!(matches!(
            g.check("c-2", "open1gw", 0),
            Err(ApiKeyError::WrongChain { .. })
        ));
        assert!(matches!(
            g.check("c-1", "open1other", 0),
            Err(ApiKeyError::WrongGateway { .. })
        ));
        let mut bad = g.clone();
        bad.kind = "something/else".into();
        assert!(matches!(
            bad.check("c-1", "open1gw", 0),
            Err(ApiKeyError::Malformed(_))
        ));
    }

    #[test]
    fn wire_form_round_trips_and_bad_keys_say_why() {
        let key = ApiKey {
            grant: Binary::from(ApiKeyGrant::new("c", "g", 1, None).to_bytes().unwrap()),
            pub_key: Binary::from(vec![2u8; PUBKEY_LEN]),
            signature: Binary::from(vec![7u8; SIGNATURE_LEN]),
        };
        let wire = key.encode().unwrap();
        assert!(wire.starts_with(API_KEY_PREFIX));
        assert_eq!(ApiKey::decode(&wire), Ok(key.clone()));
        assert!(matches!(
            ApiKey::decode("sk-123"),
            Err(ApiKeyError::Malformed(_))
        ));
        assert!(matches!(
            ApiKey::decode("olk_!!!"),
            Err(ApiKeyError::Malformed(_))
        ));
        let short = ApiKey {
            signature: Binary::from(vec![7u8; 63]),
            ..key
        };
        assert!(matches!(
            ApiKey::decode(&short.encode().unwrap()),
            Err(ApiKeyError::Malformed(_))
        ));
    }

    #[test]
    fn address_is_ripemd160_of_sha256() {
        // The secp256k1 generator point, compressed; its Cosmos address bytes.
        let g = hex_decode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
        assert_eq!(
            pubkey_address_bytes(&g).to_vec(),
            hex_decode("751e76e8199196d454941c45d1b3a323f1433bd6")
        );
    }

    fn hex_decode(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
