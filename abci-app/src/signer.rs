//! Build and sign transactions (benchmarks, tests, local tools), byte for byte as cosmjs does:
//! canonical protobuf, ECDSA over `sha256(SignDoc)` (`SIGN_MODE_DIRECT`) or over the amino JSON
//! sign doc (`SIGN_MODE_LEGACY_AMINO_JSON`, what Keplr and Ledger sign), low-S.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use k256::ecdsa::{signature::Signer as _, Signature, SigningKey};
use prost::Message;

use crate::app::amino::AminoSignDoc;
use crate::app::error::TxError;
use crate::app::msgs::Msg;
use crate::crypto;
use crate::modules::auth::state::pubkey_any;

#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    pub pubkey: Vec<u8>,
    pub address: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("address", &self.address)
            .finish()
    }
}

impl Signer {
    /// A signer from a 32-byte secp256k1 secret key.
    pub fn from_secret(secret: &[u8; 32]) -> Result<Self, k256::ecdsa::Error> {
        let key = SigningKey::from_slice(secret)?;
        let pubkey = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let address = crypto::account_to_bech32(&crypto::account_address(&pubkey));
        Ok(Self {
            key,
            pubkey,
            address,
        })
    }

    /// The `SignDoc` bytes this signer signs for a body and auth info.
    pub fn sign_doc(body: &[u8], auth_info: &[u8], chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: body.to_vec(),
            auth_info_bytes: auth_info.to_vec(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(message);
        sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
    }

    /// A signed tx (TxRaw bytes) carrying `msgs`.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_direct(
        &self,
        chain_id: &str,
        account_number: u64,
        sequence: u64,
        msgs: Vec<Any>,
        fee: Vec<Coin>,
        gas_limit: u64,
        memo: &str,
    ) -> Vec<u8> {
        let (body, auth_info) =
            self.unsigned(msgs, SignMode::Direct, sequence, fee, gas_limit, memo);
        let signature = self.sign(&Self::sign_doc(&body, &auth_info, chain_id, account_number));
        TxRaw {
            body_bytes: body,
            auth_info_bytes: auth_info,
            signatures: vec![signature],
        }
        .encode_to_vec()
    }

    /// A tx carrying `msgs` signed with SIGN_MODE_LEGACY_AMINO_JSON: the signature covers the
    /// amino JSON of the messages, fee, memo, chain id, account number and sequence.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_amino(
        &self,
        chain_id: &str,
        account_number: u64,
        sequence: u64,
        msgs: Vec<Any>,
        fee: Vec<Coin>,
        gas_limit: u64,
        memo: &str,
    ) -> Result<Vec<u8>, TxError> {
        let decoded = msgs
            .iter()
            .map(Msg::from_any)
            .collect::<Result<Vec<_>, _>>()?;
        let fee_doc = Fee {
            amount: fee.clone(),
            gas_limit,
            payer: String::new(),
            granter: String::new(),
        };
        let sign_bytes = AminoSignDoc {
            chain_id,
            account_number,
            sequence,
            fee: &fee_doc,
            msgs: &decoded,
            memo,
            timeout_height: 0,
        }
        .sign_bytes();
        let (body, auth_info) = self.unsigned(
            msgs,
            SignMode::LegacyAminoJson,
            sequence,
            fee,
            gas_limit,
            memo,
        );
        Ok(TxRaw {
            body_bytes: body,
            auth_info_bytes: auth_info,
            signatures: vec![self.sign(&sign_bytes)],
        }
        .encode_to_vec())
    }

    /// Body and auth info bytes of a one-signer tx.
    fn unsigned(
        &self,
        msgs: Vec<Any>,
        mode: SignMode,
        sequence: u64,
        fee: Vec<Coin>,
        gas_limit: u64,
        memo: &str,
    ) -> (Vec<u8>, Vec<u8>) {
        let body = TxBody {
            messages: msgs,
            memo: memo.to_string(),
            ..Default::default()
        }
        .encode_to_vec();
        let auth_info = AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key: Some(pubkey_any(&self.pubkey)),
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single {
                        mode: mode as i32,
                    })),
                }),
                sequence,
            }],
            fee: Some(Fee {
                amount: fee,
                gas_limit,
                payer: String::new(),
                granter: String::new(),
            }),
            ..Default::default()
        }
        .encode_to_vec();
        (body, auth_info)
    }
}
