//! Paying for answers: before an answer is generated its worst-case fee (the prompt plus
//! `max_tokens` at the registry's prices, plus the platform fee, as the escrow's `QuoteFee`
//! computes it) must fit in the payer's inference credit and his key's spending cap, less what
//! his other answers in flight have reserved; otherwise 402. After the answer, the escrow job
//! is opened with `RequestJobWithCredit` for the tokens actually delivered, from the operator's
//! account. Job openings are batched: one tx carries every answer that finished while the
//! previous tx was in flight, since one account's txs must go one at a time (sequence numbers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cosmwasm_std::HexBinary;
use openledger_attester::chain::Chain;
use openledger_attester::keys::Keys;
use openledger_attester::AttesterError;
use openledger_types::attester::{
    AttesterInfo, AttesterStatus, EligibleResponse, QueryMsg as RegistryQuery, MAX_ELIGIBLE_LIMIT,
};
use openledger_types::escrow::{
    ConfigResponse as EscrowConfig, CreditResponse, ExecuteMsg as EscrowExecute, FeeQuote,
    KeySpentResponse, QueryMsg as EscrowQuery,
};
use openledger_types::Method;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::auth::Payer;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// Most job openings in one tx.
const MAX_BATCH: usize = 32;
/// How long the gateway's own standing in the attester registry, and the count of attesters
/// eligible for a model, are trusted before they are read again (a jail or an unbond is seen
/// this late at most; the escrow checks both on every job).
const STANDING_TTL: Duration = Duration::from_secs(10);

/// When a condition for charging was read from the chain, and whether it held (else why not).
type Checked = (Instant, Result<(), String>);

/// The chain side of a gateway.
pub struct Billing {
    chain: Chain,
    escrow: String,
    /// The attester registry and the gateway operator's address in it.
    registry: String,
    operator: String,
    /// When the standing was last read, and whether it allowed charging (else why not).
    standing: Mutex<Option<Checked>>,
    /// Per model file hash: when the eligible attesters were last counted, and whether there
    /// were enough for the escrow to assign a job (else why not).
    attesters: Mutex<HashMap<[u8; 32], Checked>>,
    /// Per payer, then per key id: what answers in flight may still cost.
    reserved: Mutex<HashMap<String, u128>>,
    key_reserved: Mutex<HashMap<[u8; 32], u128>>,
    orders: mpsc::UnboundedSender<Order>,
    metrics: Arc<Metrics>,
}

struct Order {
    what: String,
    msg: Value,
    reply: oneshot::Sender<Result<(u64, String), String>>,
}

/// Credit held back for one answer in flight; given back when dropped.
pub struct Reservation {
    billing: Arc<Billing>,
    payer: String,
    key_id: [u8; 32],
    amount: u128,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let take = |m: &mut u128| *m = m.saturating_sub(self.amount);
        if let Ok(mut r) = self.billing.reserved.lock() {
            if let Some(v) = r.get_mut(&self.payer) {
                take(v);
                if *v == 0 {
                    r.remove(&self.payer);
                }
            }
        }
        if let Ok(mut r) = self.billing.key_reserved.lock() {
            if let Some(v) = r.get_mut(&self.key_id) {
                take(v);
                if *v == 0 {
                    r.remove(&self.key_id);
                }
            }
        }
    }
}

/// An opened job.
#[derive(Clone, Debug)]
pub struct OpenedJob {
    pub job_id: u64,
    pub tx_hash: String,
}

impl Billing {
    /// Starts the job-opening task (needs a tokio runtime).
    pub fn start(
        chain: Chain,
        keys: Keys,
        escrow: String,
        registry: String,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let billing = Arc::new(Billing {
            chain: chain.clone(),
            escrow: escrow.clone(),
            registry,
            operator: keys.address.clone(),
            standing: Mutex::new(None),
            attesters: Mutex::new(HashMap::new()),
            reserved: Mutex::new(HashMap::new()),
            key_reserved: Mutex::new(HashMap::new()),
            orders: tx,
            metrics,
        });
        tokio::spawn(open_jobs(chain, keys, escrow, rx));
        billing
    }

    async fn query<R: serde::de::DeserializeOwned>(&self, q: &EscrowQuery) -> Result<R, ApiError> {
        self.chain
            .smart(&self.escrow, q)
            .await
            .map_err(|e| ApiError::Internal(format!("querying the escrow: {e}")))
    }

    /// 503 unless this gateway may charge now: the escrow opens jobs only for an Active
    /// operator of the attester registry (bonded ≥ min_bond, not jailed), so an answer made
    /// while it is not would be given away.
    async fn check_standing(&self) -> Result<(), ApiError> {
        let cached = self
            .standing
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .filter(|(at, _)| at.elapsed() < STANDING_TTL);
        let standing = match cached {
            Some((_, standing)) => standing,
            None => {
                let q = RegistryQuery::Attester {
                    operator: self.operator.clone(),
                };
                let standing = match self
                    .chain
                    .smart::<_, AttesterInfo>(&self.registry, &q)
                    .await
                {
                    Ok(info) => match info.status {
                        AttesterStatus::Active => Ok(()),
                        AttesterStatus::Inactive => Err(format!(
                            "its bond of {} is below the registry's min_bond: the operator \
                             bonds more with `openledger-serve register --bond`",
                            info.bonded
                        )),
                        AttesterStatus::Jailed { until } => Err(format!(
                            "it is jailed until unix {until} (the attesters rejected an answer \
                             it charged for); the operator unjails it after that"
                        )),
                        AttesterStatus::Tombstoned => Err("it is tombstoned".into()),
                    },
                    Err(AttesterError::Query { log, .. }) if log.contains("not found") => Err(
                        "it is not registered in the attester registry: the operator runs \
                         `openledger-serve register --bond`"
                            .into(),
                    ),
                    Err(e) => {
                        return Err(ApiError::Internal(format!(
                            "querying the attester registry: {e}"
                        )))
                    }
                };
                if let Ok(mut s) = self.standing.lock() {
                    *s = Some((Instant::now(), standing.clone()));
                }
                standing
            }
        };
        standing.map_err(|why| {
            ApiError::Unavailable(format!(
                "this gateway ({}) cannot charge for answers now: {why}",
                self.operator
            ))
        })
    }

    /// 503 unless the escrow could assign a job for the model now: it asks `default_ask_count`
    /// Active attesters serving the model (`model_hash`, the GGUF's sha256) other than this
    /// gateway, and refuses the job with fewer.
    async fn check_attesters(&self, model_hash: [u8; 32]) -> Result<(), ApiError> {
        let cached = self
            .attesters
            .lock()
            .ok()
            .and_then(|a| a.get(&model_hash).cloned())
            .filter(|(at, _)| at.elapsed() < STANDING_TTL);
        let enough = match cached {
            Some((_, enough)) => enough,
            None => {
                let config: EscrowConfig = self.query(&EscrowQuery::Config {}).await?;
                let ask = config.params.default_ask_count;
                let q = RegistryQuery::Eligible {
                    method: Method::SuffixSpan,
                    model_hash: Some(HexBinary::from(model_hash.to_vec())),
                    start_after: None,
                    // One more: this gateway may be among them, and never attests its own jobs.
                    limit: Some(ask.saturating_add(1).min(MAX_ELIGIBLE_LIMIT)),
                };
                let eligible: EligibleResponse =
                    self.chain.smart(&self.registry, &q).await.map_err(|e| {
                        ApiError::Internal(format!("querying the attester registry: {e}"))
                    })?;
                let others = eligible
                    .attesters
                    .iter()
                    .filter(|a| a.operator.as_str() != self.operator)
                    .count() as u32;
                let enough = if others >= ask {
                    Ok(())
                } else {
                    Err(format!(
                        "the escrow assigns every job to {ask} attesters, and {others} are \
                         eligible for this model (Active in the attester registry, serving \
                         suffix_span and model {}), so it would refuse the job",
                        hex::encode(model_hash)
                    ))
                };
                if let Ok(mut a) = self.attesters.lock() {
                    a.insert(model_hash, (Instant::now(), enough.clone()));
                }
                enough
            }
        };
        enough.map_err(|why| ApiError::NoAttesters(format!("no answer can be paid for now: {why}")))
    }

    /// Holds back the most `prompt_tokens` + `max_tokens` can cost; 402 when it does not fit,
    /// 503 when this gateway may not charge at all, or the escrow could not assign the job.
    pub async fn reserve(
        self: &Arc<Self>,
        payer: &Payer,
        model_id: u64,
        model_hash: [u8; 32],
        prompt_tokens: usize,
        max_tokens: usize,
    ) -> Result<Reservation, ApiError> {
        self.check_standing().await?;
        self.check_attesters(model_hash).await?;
        let quote: FeeQuote = self
            .query(&EscrowQuery::QuoteFee {
                model_id,
                input_tokens: prompt_tokens as u64,
                output_tokens: max_tokens as u64,
            })
            .await?;
        let credit: CreditResponse = self
            .query(&EscrowQuery::Credit {
                address: payer.address.clone(),
            })
            .await?;
        let key_id = payer.key.id();
        let spent = match payer.grant.max_spend {
            Some(_) => {
                let r: KeySpentResponse = self
                    .query(&EscrowQuery::KeySpent {
                        key_id: HexBinary::from(key_id.to_vec()),
                    })
                    .await?;
                r.spent.u128()
            }
            None => 0,
        };
        let fee = quote.fee.u128();
        let refuse = |m: String| {
            self.metrics.payment_failures.inc();
            Err(ApiError::PaymentRequired(m))
        };
        let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
        let mut key_reserved = self.key_reserved.lock().unwrap_or_else(|p| p.into_inner());
        let held = reserved.get(&payer.address).copied().unwrap_or(0);
        if credit.credit.u128() < held.saturating_add(fee) {
            return refuse(format!(
                "{} has {} uopen of inference credit{}; this request may cost up to {fee} uopen \
                 ({prompt_tokens} prompt tokens + max_tokens {max_tokens}); deposit with the \
                 escrow's DepositCredit or lower max_tokens",
                payer.address,
                credit.credit,
                if held > 0 {
                    format!(", {held} of it held for answers in flight")
                } else {
                    String::new()
                },
            ));
        }
        if let Some(cap) = payer.grant.max_spend {
            let key_held = key_reserved.get(&key_id).copied().unwrap_or(0);
            if spent.saturating_add(key_held).saturating_add(fee) > cap.u128() {
                return refuse(format!(
                    "this API key may spend {cap} uopen in all and has spent {spent}{}; this \
                     request may cost up to {fee} uopen: make a new key",
                    if key_held > 0 {
                        format!(" with {key_held} held for answers in flight")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        *reserved.entry(payer.address.clone()).or_default() += fee;
        *key_reserved.entry(key_id).or_default() += fee;
        Ok(Reservation {
            billing: Arc::clone(self),
            payer: payer.address.clone(),
            key_id,
            amount: fee,
        })
    }

    /// Opens the job for an answer and gives the reservation back.
    #[allow(clippy::too_many_arguments)]
    pub async fn open(
        &self,
        reservation: Reservation,
        payer: &Payer,
        model_id: u64,
        input_hash: [u8; 32],
        output_hash: [u8; 32],
        input_tokens: usize,
        output_tokens: usize,
    ) -> Result<OpenedJob, String> {
        let msg = EscrowExecute::RequestJobWithCredit {
            api_key: payer.key.clone(),
            model_id,
            method: Method::SuffixSpan,
            input_hash: HexBinary::from(input_hash.to_vec()),
            output_hash: HexBinary::from(output_hash.to_vec()),
            input_tokens: input_tokens as u64,
            output_tokens: output_tokens as u64,
            ask_count: None,
            method_params: None,
        };
        let msg = serde_json::to_value(&msg).map_err(|e| e.to_string())?;
        let (reply, answer) = oneshot::channel();
        self.orders
            .send(Order {
                what: format!("job for {}", payer.address),
                msg,
                reply,
            })
            .map_err(|_| "the job-opening task stopped".to_string())?;
        let result = answer
            .await
            .map_err(|_| "the job-opening task stopped".to_string())?;
        drop(reservation);
        match result {
            Ok((job_id, tx_hash)) => {
                self.metrics.jobs_opened.inc();
                Ok(OpenedJob { job_id, tx_hash })
            }
            Err(e) => {
                self.metrics.payment_failures.inc();
                Err(e)
            }
        }
    }

    /// The transactions that opened and settled a job (CometBFT's tx index), and what its
    /// settlement paid each party; `null`s for what has not happened (or is not indexed).
    pub async fn settlement(&self, job_id: u64) -> Result<Value, ApiError> {
        let find = |kind: &'static str| async move {
            let found = self
                .chain
                .tx_search(&format!("wasm-{kind}.job_id='{job_id}'"), 10)
                .await
                .map_err(|e| ApiError::Internal(format!("searching the chain's txs: {e}")))?;
            Ok::<_, ApiError>(found.into_iter().find_map(|tx| {
                job_event(&tx.events, &format!("wasm-{kind}"), job_id).map(|e| (tx.hash, e))
            }))
        };
        let opened = find("attribution_job").await?;
        let settled = find("attribution_settlement").await?;
        Ok(json!({
            "txs": {
                "request": opened.as_ref().map(|(hash, _)| hash),
                "settle": settled.as_ref().map(|(hash, _)| hash),
            },
            "payouts": settled.as_ref().map(|(_, e)| payouts(e)),
        }))
    }

    /// The escrow's view of a job (`Job {job_id}`), as JSON.
    pub async fn job(&self, job_id: u64) -> Result<Value, ApiError> {
        self.chain
            .smart(&self.escrow, &EscrowQuery::Job { job_id })
            .await
            .map_err(|e| match e {
                AttesterError::Query { .. } => ApiError::NotFound(format!("no job {job_id}: {e}")),
                e => ApiError::Internal(format!("querying the escrow: {e}")),
            })
    }
}

/// The job ids a tx opened, in message order (`attribution_job` events).
/// The attributes of the first event of type `kind` whose `job_id` is `job_id`.
fn job_event(events: &Value, kind: &str, job_id: u64) -> Option<HashMap<String, String>> {
    events
        .as_array()?
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| {
            e["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        a["key"].as_str()?.to_string(),
                        a["value"].as_str()?.to_string(),
                    ))
                })
                .collect::<HashMap<_, _>>()
        })
        .find(|a| a.get("job_id").map(String::as_str) == Some(job_id.to_string().as_str()))
}

/// What a job's settlement paid each party, read from its `attribution_settlement` event:
/// amounts in uopen as decimal strings, contributions as the escrow lists them
/// (`datanet:version:contribution:contributor:amount`).
fn payouts(settled: &HashMap<String, String>) -> Value {
    let get = |k: &str| settled.get(k).cloned().unwrap_or_default();
    let list = |k: &str| -> Vec<String> {
        get(k)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let contributions: Vec<Value> = list("contributions")
        .iter()
        .filter_map(|c| {
            let [datanet, version, id, contributor, amount] =
                <[&str; 5]>::try_from(c.split(':').collect::<Vec<_>>()).ok()?;
            Some(json!({
                "datanet_id": datanet.parse::<u64>().ok()?,
                "version": version.parse::<u32>().ok()?,
                "contribution_id": id.parse::<u64>().ok()?,
                "contributor": contributor,
                "amount": amount,
            }))
        })
        .collect();
    json!({
        "model_owner": {"address": get("model_owner"), "amount": get("model_owner_share")},
        "attesters": {"addresses": list("attesters"), "amount": get("attester_share")},
        "contributors": {
            "amount": get("contributor_share"),
            "contributions": contributions,
            "pooled": get("pooled"),
            "forfeited": get("contributions_forfeited"),
        },
        "unattributed": {"amount": get("unattributed"), "to": get("unattributed_to")},
        "platform_fee": get("platform_fee"),
        "dust": get("dust"),
    })
}

fn job_ids(events: &Value) -> Vec<u64> {
    events
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "wasm-attribution_job")
        .filter_map(|e| {
            e["attributes"]
                .as_array()?
                .iter()
                .find_map(|a| (a["key"] == "job_id").then(|| a["value"].as_str()?.parse().ok())?)
        })
        .collect()
}

async fn open_jobs(
    chain: Chain,
    keys: Keys,
    escrow: String,
    mut rx: mpsc::UnboundedReceiver<Order>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(o) => batch.push(o),
                Err(_) => break,
            }
        }
        let msgs: Vec<_> = batch
            .iter()
            .map(|o| (escrow.clone(), o.msg.clone(), vec![]))
            .collect();
        let what = if batch.len() == 1 {
            batch[0].what.clone()
        } else {
            format!("{} jobs", batch.len())
        };
        match chain.execute(&keys, &what, &msgs).await {
            Ok(included) => {
                let ids = job_ids(&included.events);
                if ids.len() == batch.len() {
                    for (o, id) in batch.into_iter().zip(ids) {
                        let _ = o.reply.send(Ok((id, included.hash.clone())));
                    }
                } else {
                    let e = format!(
                        "tx {} opened {} jobs for {} answers",
                        included.hash,
                        ids.len(),
                        batch.len()
                    );
                    for o in batch {
                        let _ = o.reply.send(Err(e.clone()));
                    }
                }
            }
            // A batch whose tx was refused changed nothing: one payer's failure must not cost
            // the others their jobs, so each goes again alone. (A timeout is not retried: the
            // tx may still land.)
            Err(e) if batch.len() > 1 && !matches!(e, AttesterError::TxTimeout { .. }) => {
                tracing::warn!(error = %e, jobs = batch.len(), "batched job opening failed; opening one by one");
                for o in batch {
                    let r = chain
                        .execute(&keys, &o.what, &[(escrow.clone(), o.msg.clone(), vec![])])
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|inc| match job_ids(&inc.events).first() {
                            Some(&id) => Ok((id, inc.hash.clone())),
                            None => Err(format!("tx {} opened no job", inc.hash)),
                        });
                    let _ = o.reply.send(r);
                }
            }
            Err(e) => {
                let e = e.to_string();
                tracing::error!(error = %e, "opening a job failed");
                for o in batch {
                    let _ = o.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payouts_are_read_from_the_jobs_settlement_event() {
        let events = serde_json::json!([
            {"type": "wasm-attribution_settlement", "attributes": [{"key": "job_id", "value": "6"}, {"key": "model_owner_share", "value": "1"}]},
            {"type": "wasm-attribution_settlement", "attributes": [
                {"key": "job_id", "value": "7"}, {"key": "model_owner", "value": "open1owner"},
                {"key": "model_owner_share", "value": "300"}, {"key": "attester_share", "value": "200"},
                {"key": "attesters", "value": "open1a,open1b"}, {"key": "contributor_share", "value": "500"},
                {"key": "pooled", "value": "100"}, {"key": "contributions", "value": "1:2:3:open1c:400,bad"},
                {"key": "contributions_forfeited", "value": "0"}, {"key": "unattributed", "value": "0"},
                {"key": "unattributed_to", "value": "treasury"}, {"key": "platform_fee", "value": "100"},
                {"key": "dust", "value": "1"}]},
        ]);
        let settled = job_event(&events, "wasm-attribution_settlement", 7).expect("job 7's event");
        let p = payouts(&settled);
        assert_eq!(
            p["model_owner"],
            serde_json::json!({"address": "open1owner", "amount": "300"})
        );
        assert_eq!(
            p["attesters"]["addresses"],
            serde_json::json!(["open1a", "open1b"])
        );
        assert_eq!(
            p["contributors"]["contributions"],
            serde_json::json!([{"datanet_id": 1, "version": 2, "contribution_id": 3, "contributor": "open1c", "amount": "400"}]),
            "a malformed entry is left out"
        );
        assert_eq!(p["contributors"]["amount"], "500");
        assert!(job_event(&events, "wasm-attribution_settlement", 8).is_none());
    }

    #[test]
    fn job_ids_come_from_attribution_job_events_in_order() {
        let events = serde_json::json!([
            {"type": "wasm", "attributes": [{"key": "job_id", "value": "99"}]},
            {"type": "wasm-attribution_job", "attributes": [{"key": "model_id", "value": "1"}, {"key": "job_id", "value": "7"}]},
            {"type": "wasm-attribution_job", "attributes": [{"key": "job_id", "value": "8"}]},
        ]);
        assert_eq!(job_ids(&events), vec![7, 8]);
        assert!(job_ids(&Value::Null).is_empty());
    }
}
