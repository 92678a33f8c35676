//! Transaction decoding and execution: decode → ante → messages, as the SDK's `runTx`.

use base64::Engine;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use cosmos_sdk_proto::Any;
use prost::Message;
use tendermint::abci::Event;

use super::ante;
use super::context::{BlockInfo, TxCtx};
use super::error::TxError;
use super::events;
use super::gas::GasMeter;
use super::msgs::Msg;
use crate::crypto;
use crate::store::{Overlay, StateRead};

/// Largest transaction accepted (CometBFT's default `mempool.max_tx_bytes`).
pub const MAX_TX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    /// Mempool admission: ante only, on the check state.
    Check,
    /// Re-admission after a commit: ante only.
    Recheck,
    /// Gas estimation: no signature check, no fee check, unlimited gas, state discarded.
    Simulate,
    /// Block execution.
    Deliver,
}

impl ExecMode {
    pub fn runs_messages(self) -> bool {
        matches!(self, ExecMode::Simulate | ExecMode::Deliver)
    }
}

/// A transaction decoded once, keeping the exact signed bytes.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    pub raw: TxRaw,
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub msgs: Vec<Msg>,
    /// Required signers in order, deduplicated (bech32, raw bytes).
    pub signers: Vec<(String, Vec<u8>)>,
    pub len: usize,
}

impl DecodedTx {
    pub fn gas_limit(&self) -> u64 {
        self.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit)
    }
}

/// Decode and check everything that needs no state (the SDK's tx decoder + `ValidateBasic`).
pub fn decode_tx(bytes: &[u8]) -> Result<DecodedTx, TxError> {
    if bytes.len() > MAX_TX_BYTES {
        return Err(TxError::TxTooLarge(format!(
            "tx of {} bytes exceeds {MAX_TX_BYTES}",
            bytes.len()
        )));
    }
    let raw = TxRaw::decode(bytes).map_err(|e| TxError::TxDecode(e.to_string()))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| TxError::TxDecode(format!("body: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| TxError::TxDecode(format!("auth info: {e}")))?;
    // One encoding per tx: bytes outside the signature (TxRaw fields; the body under amino
    // signing) must not admit unknown fields or a second encoding with another hash. ADR-027
    // requires canonical TxRaw; the same rule for the body and auth info rejects unknown fields.
    canonical("TxRaw", &raw, bytes)?;
    canonical("TxBody", &body, &raw.body_bytes)?;
    canonical("AuthInfo", &auth_info, &raw.auth_info_bytes)?;
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(TxError::UnknownExtensionOptions);
    }
    if body.messages.is_empty() {
        return Err(TxError::InvalidRequest(
            "must contain at least one message".to_string(),
        ));
    }
    let msgs = body
        .messages
        .iter()
        .map(Msg::from_any)
        .collect::<Result<Vec<_>, _>>()?;
    for msg in &msgs {
        msg.validate_basic()?;
    }
    let fee = auth_info
        .fee
        .as_ref()
        .ok_or_else(|| TxError::InvalidRequest("missing fee".to_string()))?;
    if fee.gas_limit > i64::MAX as u64 {
        return Err(TxError::InvalidRequest(format!(
            "invalid gas supplied; {} > {}",
            fee.gas_limit,
            i64::MAX
        )));
    }
    super::coins::Coins::from_proto(&fee.amount)?;
    if !fee.granter.is_empty() {
        return Err(TxError::NotSupported("fee grants".to_string()));
    }
    let mut signers: Vec<(String, Vec<u8>)> = Vec::new();
    for msg in &msgs {
        for signer in msg.signers() {
            if !signers.iter().any(|(s, _)| *s == signer) {
                let bytes = crypto::account_from_bech32(&signer)
                    .map_err(|e| TxError::InvalidAddress(format!("signer {signer}: {e}")))?;
                signers.push((signer, bytes));
            }
        }
    }
    if raw.signatures.len() != auth_info.signer_infos.len() {
        return Err(TxError::Unauthorized(format!(
            "invalid number of signatures; expected: {}, got {}",
            auth_info.signer_infos.len(),
            raw.signatures.len()
        )));
    }
    if auth_info.signer_infos.len() != signers.len() {
        return Err(TxError::Unauthorized(format!(
            "wrong number of signers; expected {}, got {}",
            signers.len(),
            auth_info.signer_infos.len()
        )));
    }
    Ok(DecodedTx {
        raw,
        body,
        auth_info,
        msgs,
        signers,
        len: bytes.len(),
    })
}

/// Refuse bytes that do not re-encode identically (unknown fields, non-canonical order).
pub fn canonical<M: Message>(what: &str, decoded: &M, bytes: &[u8]) -> Result<(), TxError> {
    if decoded.encode_to_vec() == bytes {
        Ok(())
    } else {
        Err(TxError::TxDecode(format!(
            "{what} is not canonically encoded (unknown or out-of-order fields)"
        )))
    }
}

/// What one transaction did.
#[derive(Debug, Clone)]
pub struct TxOutcome {
    /// `Ok(TxMsgData bytes)` or the error that failed it.
    pub result: Result<Vec<u8>, TxError>,
    pub msg_responses: Vec<Any>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

impl TxOutcome {
    /// The outcome of a tx that failed before it ran: nothing used, nothing emitted.
    pub fn unrun(error: TxError, gas_wanted: u64) -> Self {
        TxOutcome {
            result: Err(error),
            msg_responses: vec![],
            gas_wanted,
            gas_used: 0,
            events: vec![],
        }
    }
}

/// Run one transaction on `state`. Ante writes (fee, sequence) stay even when a message
/// fails; message writes are all or nothing. A tx whose ante fails changes nothing.
pub fn run_tx<B: StateRead + Clone + 'static>(
    state: &mut Overlay<B>,
    block: &BlockInfo,
    mode: ExecMode,
    tx_bytes: &[u8],
) -> TxOutcome {
    let tx = match decode_tx(tx_bytes) {
        Ok(tx) => tx,
        Err(e) => return TxOutcome::unrun(e, 0),
    };
    run_decoded(state, block, mode, &tx)
}

pub fn run_decoded<B: StateRead + Clone + 'static>(
    state: &mut Overlay<B>,
    block: &BlockInfo,
    mode: ExecMode,
    tx: &DecodedTx,
) -> TxOutcome {
    let gas_wanted = tx.gas_limit();
    let meter = match mode {
        ExecMode::Simulate => GasMeter::new(super::gas::SIMULATION_GAS_LIMIT),
        _ => GasMeter::new(gas_wanted),
    };
    state.checkpoint();
    let mut ctx = TxCtx::new(state, meter, block);
    if let Err(e) = ante::run(&mut ctx, tx, mode) {
        let gas_used = ctx.gas.consumed().min(gas_wanted.max(ctx.gas.consumed()));
        drop(ctx);
        state.revert_checkpoint();
        return TxOutcome {
            result: Err(e),
            msg_responses: vec![],
            gas_wanted,
            gas_used,
            events: vec![],
        };
    }
    let ante_events = std::mem::take(&mut ctx.events);
    let gas = ctx.gas.clone();
    drop(ctx);
    state.commit_checkpoint();

    if !mode.runs_messages() {
        return TxOutcome {
            result: Ok(Vec::new()),
            msg_responses: vec![],
            gas_wanted,
            gas_used: gas.consumed(),
            events: ante_events,
        };
    }

    state.checkpoint();
    let mut ctx = TxCtx::new(state, gas, block);
    let mut msg_events = Vec::new();
    let mut msg_responses = Vec::new();
    let mut failure = None;
    for (index, msg) in tx.msgs.iter().enumerate() {
        let index = index as u32;
        let sender = msg.signers().into_iter().next().unwrap_or_default();
        match msg.execute(&mut ctx) {
            Ok((events, response)) => {
                msg_events.push(events::message(
                    &msg.type_url(),
                    &sender,
                    msg.module(),
                    index,
                ));
                msg_events.extend(events::with_msg_index(events, index));
                msg_responses.push(response);
            }
            Err(e) => {
                failure = Some((index, e));
                break;
            }
        }
    }
    let gas_used = ctx.gas.consumed();
    drop(ctx);
    match failure {
        Some((index, e)) => {
            state.revert_checkpoint();
            // Keep the error typed (code, codespace), with the SDK's message-index context.
            let e = with_context(e, index);
            TxOutcome {
                result: Err(e),
                msg_responses: vec![],
                gas_wanted,
                gas_used,
                events: ante_events,
            }
        }
        None => {
            state.commit_checkpoint();
            #[allow(deprecated)] // `data` is the pre-0.46 field; clients read `msg_responses`.
            let data = TxMsgData {
                data: vec![],
                msg_responses: msg_responses.clone(),
            }
            .encode_to_vec();
            let mut events = ante_events;
            events.extend(msg_events);
            TxOutcome {
                result: Ok(data),
                msg_responses,
                gas_wanted,
                gas_used,
                events,
            }
        }
    }
}

/// Prefix a message failure with its index, as the SDK's "failed to execute message; message
/// index: N: …", without changing its code.
fn with_context(e: TxError, index: u32) -> TxError {
    let prefix = format!("failed to execute message; message index: {index}: ");
    match e {
        TxError::InsufficientFunds(m) => TxError::InsufficientFunds(prefix + &m),
        TxError::InvalidCoins(m) => TxError::InvalidCoins(prefix + &m),
        TxError::InvalidAddress(m) => TxError::InvalidAddress(prefix + &m),
        TxError::UnknownRequest(m) => TxError::UnknownRequest(prefix + &m),
        TxError::InvalidRequest(m) => TxError::InvalidRequest(prefix + &m),
        TxError::Wasm {
            code,
            description,
            detail,
        } => TxError::Wasm {
            code,
            description,
            detail: prefix + &detail,
        },
        other => other,
    }
}

pub fn signature_event(signature: &[u8]) -> Event {
    events::tx_signature(&base64::engine::general_purpose::STANDARD.encode(signature))
}
