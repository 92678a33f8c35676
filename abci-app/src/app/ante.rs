//! The ante handler, in the SDK's order: tx size gas → memo → timeout → fee (min gas price,
//! deduct to the fee collector) → set pubkey → signature gas → verify signatures against
//! `(account number, sequence)` → increment sequences.

use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, SignDoc};
use prost::Message;
use serde::{Deserialize, Serialize};

use super::amino::AminoSignDoc;
use super::coins::{Coins, Dec};
use super::context::{KvRead, KvWrite, TxCtx};
use super::error::TxError;
use super::events;
use super::tx::{signature_event, DecodedTx, ExecMode};
use crate::crypto;
use crate::modules::auth::state::pubkey_any;
use crate::modules::auth::{AuthRead, AuthWrite, FEE_COLLECTOR};
use crate::modules::bank::{BankRead, BankWrite};
use crate::store::{StateRead, StateWrite};

pub const FEE_PARAMS_KEY: &[u8] = b"params/fees";

/// Chain-wide fee rule, set at genesis. Enforced in CheckTx *and* FinalizeBlock, so a
/// proposer cannot include underpaying transactions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FeeParams {
    pub fee_denom: String,
    /// Minimum price per unit of gas in `fee_denom`, a decimal such as `"0.025"`.
    pub min_gas_price: String,
}

impl Default for FeeParams {
    fn default() -> Self {
        Self {
            fee_denom: "uopen".to_string(),
            min_gas_price: "0.025".to_string(),
        }
    }
}

pub fn fee_params<S: KvRead>(state: &mut S) -> Result<FeeParams, TxError> {
    match state.read(FEE_PARAMS_KEY)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| TxError::TxDecode(format!("stored fee params: {e}"))),
        None => Ok(FeeParams::default()),
    }
}

pub fn set_fee_params<S: KvWrite>(state: &mut S, params: &FeeParams) -> Result<(), TxError> {
    Dec::parse(&params.min_gas_price).map_err(TxError::InvalidRequest)?;
    let bytes = serde_json::to_vec(params)
        .map_err(|e| TxError::InvalidRequest(format!("fee params: {e}")))?;
    state.write(FEE_PARAMS_KEY.to_vec(), bytes)
}

pub const CHAIN_ID_KEY: &[u8] = b"params/chain_id";
/// The block gas limit (`consensus_params.block.max_gas`, big-endian u64) recorded at genesis;
/// absent when it is -1 (unlimited).
pub const BLOCK_MAX_GAS_KEY: &[u8] = b"params/block_max_gas";

/// The block gas limit recorded at genesis, if any.
pub fn block_max_gas(state: &impl StateRead) -> Option<u64> {
    let bytes: [u8; 8] = state.get(BLOCK_MAX_GAS_KEY)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

pub fn run<S: StateWrite>(
    ctx: &mut TxCtx<S>,
    tx: &DecodedTx,
    mode: ExecMode,
) -> Result<(), TxError> {
    let simulate = mode == ExecMode::Simulate;
    // As the SDK's SetUpContextDecorator: no tx may want more gas than a whole block holds, or
    // one fee-paying tx could hold every validator for as long as its gas lasts.
    if let Some(max_gas) = ctx.block.max_gas.filter(|_| !simulate) {
        if tx.gas_limit() > max_gas {
            return Err(TxError::InvalidGasLimit(format!(
                "tx gas limit {} exceeds block max gas {max_gas}",
                tx.gas_limit()
            )));
        }
    }
    let params = ctx.auth_params()?;
    // Tips were removed from the SDK (v0.50); ignored here, one would only be a byte the
    // amino signature does not cover.
    #[allow(deprecated)] // deprecated in the protos because the SDK dropped tips: the point here
    if tx.auth_info.tip.is_some() {
        return Err(TxError::InvalidRequest(
            "tips are not supported".to_string(),
        ));
    }

    // ValidateBasic parts that need params.
    if tx.raw.signatures.is_empty() && !simulate {
        return Err(TxError::NoSignatures);
    }
    if tx.raw.signatures.len() as u64 > params.tx_sig_limit {
        return Err(TxError::TooManySignatures(format!(
            "signatures: {}, limit: {}",
            tx.raw.signatures.len(),
            params.tx_sig_limit
        )));
    }
    let memo_chars = tx.body.memo.chars().count();
    if memo_chars as u64 > params.max_memo_characters {
        return Err(TxError::MemoTooLarge {
            max: params.max_memo_characters,
            got: memo_chars,
        });
    }
    if tx.body.timeout_height != 0 && ctx.block.height > tx.body.timeout_height {
        return Err(TxError::TxTimeoutHeight(format!(
            "block height: {}, timeout height: {}",
            ctx.block.height, tx.body.timeout_height
        )));
    }

    // ConsumeGasForTxSize (simulation adds the size of a signature it did not get).
    let mut size = tx.len as u64;
    if simulate {
        size += 65 * tx.signers.len() as u64;
    }
    ctx.gas
        .consume(params.tx_size_cost_per_byte * size, "txSize")?;

    // Fees.
    let fee = tx
        .auth_info
        .fee
        .as_ref()
        .ok_or_else(|| TxError::InvalidRequest("missing fee".to_string()))?;
    let fee_coins = Coins::from_proto(&fee.amount)?;
    let fee_params = fee_params(ctx)?;
    if !simulate {
        let price = Dec::parse(&fee_params.min_gas_price).map_err(TxError::InvalidRequest)?;
        let required = price.mul_ceil(fee.gas_limit);
        let paid = fee_coins.amount_of(&fee_params.fee_denom);
        if paid < required {
            return Err(TxError::InsufficientFee(format!(
                "insufficient fees; got: {} required: {required}{}",
                if fee_coins.is_empty() {
                    "0".to_string()
                } else {
                    fee_coins.to_string()
                },
                fee_params.fee_denom
            )));
        }
    }
    let (payer_str, payer) = if fee.payer.is_empty() {
        tx.signers[0].clone()
    } else {
        tx.signers
            .iter()
            .find(|(s, _)| *s == fee.payer)
            .cloned()
            .ok_or_else(|| {
                TxError::InvalidRequest(format!("fee payer {} is not a signer", fee.payer))
            })?
    };
    if ctx.account(&payer)?.is_none() {
        return Err(TxError::UnknownAddress(format!(
            "fee payer address: {payer_str} does not exist"
        )));
    }
    // cosmjs simulates with an empty fee; move a nominal fee then (the simulated state is
    // thrown away) so the estimate includes the fee transfer the real tx will pay for.
    let nominal = Coins::single(&fee_params.fee_denom, 1);
    let charged =
        if simulate && fee_coins.is_empty() && ctx.balance(&payer, &fee_params.fee_denom)? > 1 {
            &nominal
        } else {
            &fee_coins
        };
    if !charged.is_empty() {
        let collector = crypto::module_address(FEE_COLLECTOR);
        let fee_events = ctx
            .send_coins(&payer, &collector, charged)
            .map_err(|e| match e {
                TxError::InsufficientFunds(m) => {
                    TxError::InsufficientFunds(format!("{m}: insufficient funds to pay fees"))
                }
                other => other,
            })?;
        if charged == &fee_coins {
            ctx.events.extend(fee_events);
        }
    }
    ctx.events
        .push(events::tx_fee(&fee_coins.to_string(), &payer_str));

    // Signers: set pubkeys, charge and verify signatures, bump sequences.
    let chain_id = match ctx.read(CHAIN_ID_KEY)? {
        Some(bytes) => String::from_utf8(bytes).unwrap_or_default(),
        None => ctx.block.chain_id.clone(),
    };
    for (index, ((signer, address), info)) in tx
        .signers
        .iter()
        .zip(&tx.auth_info.signer_infos)
        .enumerate()
    {
        let mut account = ctx
            .account(address)?
            .ok_or_else(|| TxError::UnknownAddress(format!("account {signer} does not exist")))?;
        // An amino signature covers neither the signer info nor its public key: dropping the key
        // would give a second valid tx (another hash) under the same signature.
        let amino = matches!(
            info.mode_info.as_ref().and_then(|m| m.sum.as_ref()),
            Some(mode_info::Sum::Single(single)) if single.mode == SignMode::LegacyAminoJson as i32
        );
        if amino && info.public_key.is_none() && !simulate {
            return Err(TxError::InvalidPubKey(format!(
                "signer {signer} signs with SIGN_MODE_LEGACY_AMINO_JSON, which does not cover \
                 the signer info: the tx must carry its public key"
            )));
        }
        let provided = match &info.public_key {
            Some(any) => {
                if any.type_url != "/cosmos.crypto.secp256k1.PubKey" {
                    return Err(TxError::InvalidPubKey(format!(
                        "unsupported public key type {}",
                        any.type_url
                    )));
                }
                let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(
                    any.value.as_slice(),
                )
                .map_err(|e| TxError::InvalidPubKey(e.to_string()))?;
                if pk.key.len() != 33
                    || crypto::account_address(&pk.key).as_slice() != address.as_slice()
                {
                    return Err(TxError::InvalidPubKey(format!(
                        "pubKey does not match signer address {signer} with signer index: {index}"
                    )));
                }
                Some(pk.key)
            }
            None => None,
        };
        let stored = account.secp256k1_pubkey();
        let pubkey = match (provided, stored) {
            (Some(p), None) => {
                account.base_mut().pub_key = Some(pubkey_any(&p));
                Some(p)
            }
            (Some(p), Some(s)) if p == s => Some(p),
            (Some(_), Some(_)) => {
                return Err(TxError::InvalidPubKey(format!(
                    "pubKey does not match the key stored for {signer}"
                )))
            }
            (None, Some(s)) => Some(s),
            (None, None) if simulate => None,
            (None, None) => {
                return Err(TxError::InvalidPubKey(format!(
                    "pubkey on account {signer} is not set"
                )))
            }
        };
        ctx.gas
            .consume(params.sig_verify_cost_secp256k1, "ante verify: secp256k1")?;

        let base = account.base();
        if info.sequence != base.sequence {
            return Err(TxError::WrongSequence {
                expected: base.sequence,
                got: info.sequence,
            });
        }
        if !simulate {
            let pubkey = pubkey.ok_or_else(|| {
                TxError::InvalidPubKey(format!("pubkey on account {signer} is not set"))
            })?;
            let sign_bytes = sign_bytes(tx, info, &chain_id, base.account_number, base.sequence)?;
            let signature = &tx.raw.signatures[index];
            crypto::verify_secp256k1(&pubkey, &sign_bytes, signature).map_err(|_| {
                TxError::Unauthorized(format!(
                    "signature verification failed; please verify account number ({}) and chain-id ({chain_id})",
                    base.account_number
                ))
            })?;
        }
        ctx.events.push(events::tx_acc_seq(signer, base.sequence));
        if let Some(sig) = tx.raw.signatures.get(index) {
            ctx.events.push(signature_event(sig));
        }
        account.base_mut().sequence += 1;
        ctx.set_account(&account)?;
    }
    Ok(())
}

fn sign_bytes(
    tx: &DecodedTx,
    info: &cosmos_sdk_proto::cosmos::tx::v1beta1::SignerInfo,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
) -> Result<Vec<u8>, TxError> {
    let mode = match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(single)) => single.mode,
        Some(mode_info::Sum::Multi(_)) => {
            return Err(TxError::NotSupported("multisig signers".to_string()))
        }
        None => return Err(TxError::Unauthorized("missing sign mode".to_string())),
    };
    if mode == SignMode::Direct as i32 {
        Ok(SignDoc {
            body_bytes: tx.raw.body_bytes.clone(),
            auth_info_bytes: tx.raw.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec())
    } else if mode == SignMode::LegacyAminoJson as i32 {
        if let Some(msg) = tx.msgs.iter().find(|m| !m.has_amino_form()) {
            return Err(TxError::NotSupported(format!(
                "{} cannot be signed with SIGN_MODE_LEGACY_AMINO_JSON; sign it in direct mode",
                msg.type_url()
            )));
        }
        for msg in &tx.msgs {
            msg.check_amino_payload()?;
        }
        let fee = tx
            .auth_info
            .fee
            .as_ref()
            .ok_or_else(|| TxError::InvalidRequest("missing fee".to_string()))?;
        Ok(AminoSignDoc {
            chain_id,
            account_number,
            sequence,
            fee,
            msgs: &tx.msgs,
            memo: &tx.body.memo,
            timeout_height: tx.body.timeout_height,
        }
        .sign_bytes())
    } else {
        Err(TxError::NotSupported(format!("sign mode {mode}")))
    }
}
