//! The attester's work loop. Each poll reads the jobs assigned to this key from the escrow and
//! moves every one a step along its lifecycle:
//!
//! ```text
//! Assigned ──compute, journal──▶ Commit tx ──(all committed or commit deadline)──▶ Reveal tx
//!          (salt + result to disk first)              (the journaled salt and result)
//! Revealed ──(reveal deadline, nobody tallied)──▶ Tally tx   Finalized ──(challenge over)──▶ Settle tx
//! ```
//!
//! Network and chain failures are retried with exponential backoff (a chain that restarts is
//! simply waited for); answers that will not change (an unsupported job, inputs that do not
//! match their hashes, inputs larger than this attester's own `max_job_bytes` when that is below
//! the escrow's) are logged once and the job is left to expire. Inputs that cannot be found are
//! looked for again on each pass, and those still missing a few blocks before the commit
//! deadline are attested as "inputs unavailable" (`AttestationResult::inputs_unavailable`),
//! committed and revealed like any result, so a request naming bytes nobody has slashes no one.
//! So is a job whose inputs exceed the escrow's `max_job_bytes`, known from sizes alone.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmrs::Coin;
use cosmwasm_std::{Binary, HexBinary, Uint128};
use openledger_types::attester::{AttesterInfo, Capabilities};
use openledger_types::common::Method;
use openledger_types::escrow::{
    commitment, AssignmentStatus, AttestationPacket, AttestationPacketData, AttestationResult,
    AttesterJob, AttesterJobsResponse, BalanceResponse, ConfigResponse as EscrowConfig,
    ExecuteMsg as EscrowExecute, JobInfo, JobResponse, JobStatus, QueryMsg as EscrowQuery,
    ATTEST_PORT,
};
use rand_core::{OsRng, RngCore};
use serde_json::Value;
use tracing::{info, warn};

use crate::attest::{self, ServedModel};
use crate::chain::{Chain, Included};
use crate::config::{Config, Deployment};
use crate::content::ContentStore;
use crate::error::{AttesterError, Result};
use crate::inference::{self, Verdict};
use crate::journal::{Entry, Journal, Phase};
use crate::keys::Keys;
use crate::metrics::Metrics;
use crate::operator::{self, to_value};
use crate::receipt;

const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Blocks past a deadline after which any assigned attester, not only the designated one,
/// sends the Tally / Settle.
const KEEPER_GRACE_BLOCKS: u64 = 5;
/// An input still missing this many blocks before the commit deadline is attested as
/// unavailable: enough blocks left for the commit to be included.
const UNAVAILABLE_MARGIN_BLOCKS: u64 = 4;
/// Gas for the tally a reveal runs when it is the last one (measured: a reveal ≈ 135k gas, the
/// last reveal with tally and slash ≈ 404k), added when others may reveal before ours lands.
const TALLY_GAS_ALLOWANCE: u64 = 400_000;

pub struct Attester {
    cfg: Config,
    keys: Keys,
    chain: Chain,
    deployment: Deployment,
    content: ContentStore,
    model: Arc<ServedModel>,
    journal: Journal,
    metrics: Arc<Metrics>,
    /// Every job with an id ≤ this is over for us: polls start after it.
    cursor: Option<u64>,
    /// Jobs we cannot attest (logged once).
    given_up: HashSet<u64>,
    seen: HashSet<u64>,
}

impl Attester {
    pub fn new(cfg: Config) -> Result<Self> {
        let keys = Keys::load(&cfg.key_file, &cfg.prefix)?;
        let deployment = Deployment::load(&cfg.contracts, &cfg.chain_id)?;
        let gas_price = cfg
            .gas_price_parts()
            .map_err(|message| AttesterError::Config {
                path: cfg.contracts.clone(),
                message,
            })?;
        let chain = Chain::new(&cfg.rpc, &cfg.chain_id, gas_price, cfg.gas_adjustment)?;
        let model = Arc::new(ServedModel::load(&cfg.model)?);
        Ok(Attester {
            content: cfg.content_store()?,
            journal: Journal::open(cfg.state_dir.clone())?,
            keys,
            chain,
            deployment,
            model,
            metrics: Arc::new(Metrics::default()),
            cursor: None,
            given_up: HashSet::new(),
            seen: HashSet::new(),
            cfg,
        })
    }

    pub fn address(&self) -> &str {
        &self.keys.address
    }
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }
    pub fn model_hash(&self) -> [u8; 32] {
        self.model.hash
    }
    fn escrow(&self) -> &str {
        &self.deployment.contracts.attribution_escrow.address
    }

    /// Polls until `shutdown` resolves; a poll in progress is finished first, so no transaction
    /// is left half-recorded.
    pub async fn run(&mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut backoff = self.cfg.poll_interval();
        info!(
            attester = %self.keys.address,
            escrow = %self.escrow(),
            rpc = %self.chain.url(),
            model = %hex::encode(self.model.hash),
            "attester running"
        );
        if let Ok(chain_max) = self.chain_max_job_bytes().await {
            if self.cfg.max_job_bytes < chain_max {
                warn!(
                    max_job_bytes = self.cfg.max_job_bytes,
                    escrow_max_job_bytes = chain_max,
                    "max_job_bytes is below the escrow's: jobs between the two are left to \
                     expire, and missing them is slashed when others attest them"
                );
            }
        }
        loop {
            let wait = match self.poll_once().await {
                Ok(()) => {
                    backoff = self.cfg.poll_interval();
                    backoff
                }
                Err(e) => {
                    Metrics::inc(&self.metrics.chain_errors_total);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    warn!("{e}; retrying in {backoff:?}");
                    backoff
                }
            };
            tokio::select! {
                _ = &mut shutdown => {
                    info!("shutting down");
                    return Ok(());
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass over the assigned jobs. Transient failures end the pass (and are retried);
    /// a job's permanent failure only ends that job.
    pub async fn poll_once(&mut self) -> Result<()> {
        let height = self.chain.latest_height().await?;
        Metrics::set(&self.metrics.chain_height, height);
        let jobs = self.assigned_jobs().await?;
        let mut first_open: Option<u64> = None;
        let mut last = self.cursor;
        let mut in_flight = 0;
        for aj in &jobs {
            let id = aj.job.id;
            if self.seen.insert(id) {
                Metrics::inc(&self.metrics.jobs_seen_total);
                info!(job = id, status = ?aj.job.status, assignment = ?aj.assignment.status, "job assigned to us");
            }
            let over = match self.step(height, aj).await {
                Ok(over) => over,
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => {
                    if let AttesterError::Tx { .. } = e {
                        Metrics::inc(&self.metrics.tx_errors_total);
                    }
                    warn!(job = id, "{e}");
                    false
                }
            };
            if !over {
                in_flight += 1;
                first_open.get_or_insert(id);
            }
            last = Some(id);
        }
        // Jobs come in id order: everything before the first open one is over for good.
        self.cursor = match first_open {
            Some(id) => id.checked_sub(1),
            None => last,
        };
        Metrics::set(&self.metrics.jobs_in_flight, in_flight);
        Ok(())
    }

    async fn assigned_jobs(&self) -> Result<Vec<AttesterJob>> {
        let mut out = vec![];
        let mut start_after = self.cursor;
        loop {
            let page: AttesterJobsResponse = self
                .chain
                .smart(
                    self.escrow(),
                    &EscrowQuery::JobsByAttester {
                        attester: self.keys.address.clone(),
                        start_after,
                        limit: Some(openledger_types::common::MAX_LIMIT),
                    },
                )
                .await?;
            let full = page.jobs.len() == openledger_types::common::MAX_LIMIT as usize;
            start_after = page.jobs.last().map(|j| j.job.id);
            out.extend(page.jobs);
            if !full {
                return Ok(out);
            }
        }
    }

    /// Moves one job along; `Ok(true)` once nothing is left to do for it.
    async fn step(&mut self, height: u64, aj: &AttesterJob) -> Result<bool> {
        let job = &aj.job;
        let id = job.id;
        if matches!(
            job.status,
            JobStatus::Settled
                | JobStatus::Failed
                | JobStatus::Expired
                | JobStatus::InputsUnavailable
                | JobStatus::Rejected
        ) {
            self.finish(id, &aj.assignment.status, job.status)?;
            return Ok(true);
        }
        match aj.assignment.status {
            AssignmentStatus::Assigned => {
                if job.status != JobStatus::Committing || height > job.commit_deadline {
                    // Missed the commit window; the tally records it (and someone must send it).
                    self.keep(height, aj).await?;
                    return Ok(false);
                }
                if self.given_up.contains(&id) {
                    return Ok(false);
                }
                let entry = match self.journaled(job)? {
                    Some(e) => e,
                    None => match self.compute(aj, height).await {
                        Ok(e) => e,
                        Err(e @ AttesterError::InputsPending { .. }) => {
                            info!(job = id, "{e}");
                            return Ok(false);
                        }
                        Err(e) if e.is_transient() => return Err(e),
                        Err(e) => {
                            self.given_up.insert(id);
                            Metrics::inc(&self.metrics.jobs_failed_total);
                            return Err(e);
                        }
                    },
                };
                let msg = EscrowExecute::Commit {
                    job_id: id,
                    commitment: entry.commitment.clone(),
                };
                let what = format!("commit job {id}");
                let signed = self
                    .chain
                    .prepare(&self.keys, &what, &[self.escrow_msg(&msg)?], 0)
                    .await?;
                // The hash goes to the journal before the tx leaves: a crash right after the
                // broadcast still knows which tx holds its commitment.
                let entry = Entry {
                    commit_tx: Some(signed.hash.clone()),
                    ..entry
                };
                self.save(entry.clone())?;
                let tx = self.chain.submit(&what, signed).await?;
                Metrics::inc(&self.metrics.commits_total);
                info!(job = id, tx = %tx.hash, height = tx.height, "committed");
                self.save(Entry {
                    phase: Phase::Committed,
                    ..entry
                })?;
                Ok(false)
            }
            AssignmentStatus::Committed => {
                let reveal_open = job.status == JobStatus::Revealing
                    || (job.status == JobStatus::Committing && height > job.commit_deadline);
                if height > job.reveal_deadline {
                    self.keep(height, aj).await?;
                    return Ok(false);
                }
                if !reveal_open {
                    return Ok(false);
                }
                let Some(entry) = self.journaled(job)? else {
                    self.given_up.insert(id);
                    return Err(AttesterError::Job {
                        job_id: id,
                        message: format!(
                            "committed on chain but {} has no journal entry (state_dir lost?): \
                             cannot reveal",
                            self.cfg.state_dir.display()
                        ),
                    });
                };
                let (packet, signature) = self.signed_packet(job, &entry.result)?;
                let msg = EscrowExecute::Reveal {
                    job_id: id,
                    packet,
                    salt: entry.salt.clone(),
                    signature,
                };
                // Simulated now, ours may still become the last reveal (which runs the tally).
                let r: JobResponse = self
                    .chain
                    .smart(self.escrow(), &EscrowQuery::Job { job_id: id })
                    .await?;
                let others_pending = r.assignments.iter().any(|a| {
                    a.attester.as_str() != self.keys.address
                        && matches!(
                            a.status,
                            AssignmentStatus::Assigned | AssignmentStatus::Committed
                        )
                });
                let extra = if others_pending {
                    TALLY_GAS_ALLOWANCE
                } else {
                    0
                };
                let tx = self
                    .execute_with_allowance(&format!("reveal job {id}"), msg, extra)
                    .await?;
                Metrics::inc(&self.metrics.reveals_total);
                info!(job = id, tx = %tx.hash, height = tx.height, "revealed");
                self.save(Entry {
                    phase: Phase::Revealed,
                    reveal_tx: Some(tx.hash),
                    ..entry
                })?;
                Ok(false)
            }
            _ => {
                self.keep(height, aj).await?;
                Ok(false)
            }
        }
    }

    /// Keeper duty: the tally once the reveal window is over, the settlement once the challenge
    /// window is. The first in-quorum (or revealing) attester of the job sends it; the others
    /// join in only if it has not happened `KEEPER_GRACE_BLOCKS` later.
    async fn keep(&mut self, height: u64, aj: &AttesterJob) -> Result<()> {
        let job = &aj.job;
        let (due_after, what) = match job.status {
            JobStatus::Committing | JobStatus::Revealing => (job.reveal_deadline, "tally"),
            JobStatus::Finalized => match job.challenge_deadline {
                Some(d) => (d, "settle"),
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        if height <= due_after {
            return Ok(());
        }
        if height <= due_after + KEEPER_GRACE_BLOCKS {
            let r: JobResponse = self
                .chain
                .smart(self.escrow(), &EscrowQuery::Job { job_id: job.id })
                .await?;
            let designated = r.assignments.iter().find(|a| {
                matches!(
                    a.status,
                    AssignmentStatus::InQuorum | AssignmentStatus::Revealed
                )
            });
            if designated.is_some_and(|a| a.attester.as_str() != self.keys.address) {
                return Ok(());
            }
        }
        let msg = if what == "tally" {
            EscrowExecute::Tally { job_id: job.id }
        } else {
            EscrowExecute::Settle { job_id: job.id }
        };
        match self.execute(&format!("{what} job {}", job.id), msg).await {
            Ok(tx) => {
                Metrics::inc(&self.metrics.keeper_txs_total);
                info!(job = job.id, tx = %tx.hash, "{what} sent");
                Ok(())
            }
            // Someone else was first: nothing lost but the fee.
            Err(AttesterError::Tx { log, .. }) if log.contains("status") => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn finish(&mut self, id: u64, assignment: &AssignmentStatus, status: JobStatus) -> Result<()> {
        if let Some(entry) = self.journal.load(id)? {
            if entry.phase != Phase::Done {
                info!(job = id, job_status = ?status, ours = ?assignment, "job over");
                self.save(Entry {
                    phase: Phase::Done,
                    outcome: Some(format!("{status:?}/{assignment:?}")),
                    ..entry
                })?;
            }
        }
        Ok(())
    }

    /// The journal entry of `job`. One for another spec is from an earlier chain that reused
    /// the job id, and does not count.
    fn journaled(&self, job: &JobInfo) -> Result<Option<Entry>> {
        Ok(self
            .journal
            .load(job.id)?
            .filter(|e| e.spec_hash == job.spec_hash))
    }

    fn save(&self, entry: Entry) -> Result<()> {
        self.journal.save(&entry)
    }

    /// Gathers the inputs, computes the result, draws the salt and journals all of it before
    /// anything is sent.
    async fn compute(&mut self, aj: &AttesterJob, height: u64) -> Result<Entry> {
        let job = &aj.job;
        let id = job.id;
        let t = Instant::now();
        info!(
            job = id,
            datanets = job.spec.datanets.len(),
            "computing suffix_span attribution: fetching Datanet rows and the output"
        );
        // The chain's limit is the verdict's: a job over it is "unavailable" for every honest
        // attester alike. An attester configured below it can only leave such jobs.
        let chain_max = self.chain_max_job_bytes().await?;
        let max_job_bytes = self.cfg.max_job_bytes.min(chain_max);
        let mut inputs = match attest::gather(
            &self.chain,
            &self.deployment.contracts.datanet_registry.address,
            &self.content,
            &self.model,
            job,
            max_job_bytes,
        )
        .await
        {
            Ok(inputs) => inputs,
            // Content can arrive late (a slow disk sync, a peer still sending it): look again
            // on later passes while the commit window allows.
            Err(AttesterError::ContentNotFound { hash, .. })
                if height + UNAVAILABLE_MARGIN_BLOCKS < job.commit_deadline =>
            {
                Metrics::inc(&self.metrics.inputs_pending_total);
                return Err(AttesterError::InputsPending {
                    job_id: id,
                    hash,
                    until: job.commit_deadline - UNAVAILABLE_MARGIN_BLOCKS,
                });
            }
            // The output or a named row is nowhere to be found: say so, in the canonical form
            // every honest attester without those bytes reveals, so the quorum agrees on it
            // (and nobody is slashed for a request naming bytes that do not exist). Bytes that
            // do not match their hash stay an error.
            Err(AttesterError::ContentNotFound { hash, .. }) => {
                warn!(job = id, content = %hash, "job input not found: attesting \"inputs unavailable\"");
                return self.journal_unavailable(job, t);
            }
            // More than the chain lets any attester read: the same canonical verdict, found from
            // the sizes alone (nothing over the limit is read).
            Err(AttesterError::JobTooLarge { bytes, .. }) if max_job_bytes == chain_max => {
                warn!(
                    job = id,
                    bytes,
                    max_job_bytes,
                    "job inputs exceed the escrow's max_job_bytes: attesting \"inputs unavailable\""
                );
                return self.journal_unavailable(job, t);
            }
            Err(e) => return Err(e),
        };
        // Only a gateway-opened job must hold records (a payer's own plain-text job is his
        // declaration); how it was paid is kept beside the job.
        let r: JobResponse = self
            .chain
            .smart(self.escrow(), &EscrowQuery::Job { job_id: id })
            .await?;
        let by_gateway = r.payment.gateway.is_some();
        info!(
            job = id,
            by_gateway, "inputs match their hashes; recounting tokens and replaying the answer"
        );
        let model = self.model.clone();
        let owned = job.clone();
        let (input, output) = (std::mem::take(&mut inputs.input), inputs.output.clone());
        let verdict = tokio::task::spawn_blocking(move || -> Result<Verdict> {
            let replayer = model.replayer().ok_or_else(|| AttesterError::Job {
                job_id: owned.id,
                message: "the model's weights are not loaded: cannot replay answers".into(),
            })?;
            inference::check(&replayer, &owned, by_gateway, &input, &output)
        })
        .await
        .map_err(|e| AttesterError::Job {
            job_id: id,
            message: format!("replay task: {e}"),
        })??;
        match verdict {
            Verdict::Rejected { reason, why } => {
                Metrics::inc(&self.metrics.inferences_rejected_total);
                Metrics::inc(&self.metrics.jobs_computed_total);
                warn!(
                    job = id,
                    reason = reason.as_str(),
                    "inference rejected: {why}"
                );
                return self.journal_result(job, AttestationResult::rejected(reason), t);
            }
            Verdict::Verified { exact, tolerated } => {
                Metrics::inc(&self.metrics.inferences_verified_total);
                info!(
                    job = id,
                    exact,
                    tolerated,
                    ms = t.elapsed().as_millis() as u64,
                    "answer replayed: it is the model's"
                );
            }
            Verdict::Unrecorded => {
                info!(
                    job = id,
                    "plain-text input and output from the payer himself: nothing to replay"
                );
            }
        }
        let rows = inputs.docs.len();
        info!(job = id, rows, "tokenising the rows and indexing");
        let model = self.model.clone();
        let owned = job.clone();
        let evidence = (
            std::mem::take(&mut inputs.rows),
            std::mem::take(&mut inputs.versions),
        );
        let attestation =
            tokio::task::spawn_blocking(move || attest::compute(&owned, &model, inputs))
                .await
                .map_err(|e| AttesterError::Job {
                    job_id: id,
                    message: format!("compute task: {e}"),
                })??;
        // The full per-contribution scores behind result_hash, content-addressed, for receipts
        // and challenges.
        self.content
            .publish(&attestation.full.canonical_bytes())
            .await?;
        let mut result = attestation.result.clone();
        if self.cfg.testing.lie {
            warn!(
                job = id,
                "testing.lie is set: committing a WRONG result on purpose"
            );
            let mut h = result.result_hash.to_vec();
            h[0] ^= 0xff;
            result.result_hash = HexBinary::from(h);
        }
        self.write_receipt(job, &evidence.0, &evidence.1, &attestation, &result)?;
        Metrics::inc(&self.metrics.jobs_computed_total);
        info!(
            job = id,
            rows,
            contributions_with_influence = attestation.full.contributions.len(),
            contributions_paid = result.contributions.len(),
            weights = ?result.weights_bps.iter().map(|w| (w.datanet_id, w.version, w.bps)).collect::<Vec<_>>(),
            result_hash = %result.result_hash,
            ms = t.elapsed().as_millis() as u64,
            "attribution computed"
        );
        self.journal_result(job, result, t)
    }

    /// Draws the salt and journals `result` with its commitment before anything is sent.
    /// Journals the canonical "inputs unavailable" result.
    fn journal_unavailable(&mut self, job: &JobInfo, t: Instant) -> Result<Entry> {
        Metrics::inc(&self.metrics.jobs_computed_total);
        Metrics::inc(&self.metrics.inputs_unavailable_total);
        self.journal_result(job, AttestationResult::inputs_unavailable(), t)
    }

    /// The escrow's `max_job_bytes`: read per job, since governance may change it.
    async fn chain_max_job_bytes(&self) -> Result<u64> {
        let c: EscrowConfig = self
            .chain
            .smart(self.escrow(), &EscrowQuery::Config {})
            .await?;
        Ok(c.params.max_job_bytes)
    }

    fn journal_result(
        &mut self,
        job: &JobInfo,
        result: AttestationResult,
        t: Instant,
    ) -> Result<Entry> {
        let id = job.id;
        let mut salt = [0u8; 32];
        OsRng.fill_bytes(&mut salt);
        let commitment =
            commitment(&salt, id, &result, &self.keys.address).map_err(|e| AttesterError::Job {
                job_id: id,
                message: e.to_string(),
            })?;
        let ms = t.elapsed().as_millis() as u64;
        self.metrics
            .compute_milliseconds_total
            .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
        let entry = Entry {
            job_id: id,
            spec_hash: job.spec_hash.clone(),
            salt: HexBinary::from(salt.to_vec()),
            result,
            commitment,
            phase: Phase::Computed,
            commit_tx: None,
            reveal_tx: None,
            outcome: None,
        };
        self.save(entry.clone())?;
        Ok(entry)
    }

    /// The IBC-shaped packet revealing `result` for `job`, and this attester's signature over it
    /// (ed25519 is deterministic: the receipt written at compute time holds the same signature
    /// as the reveal).
    fn signed_packet(
        &self,
        job: &JobInfo,
        result: &AttestationResult,
    ) -> Result<(AttestationPacket, Binary)> {
        let packet = AttestationPacket {
            source_port: ATTEST_PORT.into(),
            source_channel: "channel-0".into(),
            dest_port: format!("wasm.{}", self.escrow()),
            dest_channel: "channel-0".into(),
            sequence: job.id,
            timeout_height: job.reveal_deadline,
            timeout_timestamp: 0,
            data: AttestationPacketData {
                request_id: job.id,
                spec_hash: job.spec_hash.clone(),
                attester: self.keys.address.clone(),
                result: result.clone(),
            },
        };
        let sign_bytes = packet
            .sign_bytes(&self.cfg.chain_id)
            .map_err(|e| AttesterError::Job {
                job_id: job.id,
                message: e.to_string(),
            })?;
        let signature = Binary::from(self.keys.packet.sign(&sign_bytes).to_bytes().to_vec());
        Ok((packet, signature))
    }

    /// Writes the job's receipt (`<state_dir>/receipts/<job>.json`): the evidence for every row
    /// `result` pays, checkable offline with `openledger-attester receipt verify`.
    fn write_receipt(
        &self,
        job: &JobInfo,
        rows: &[attest::Row],
        versions: &[attest::VersionLeaves],
        attestation: &attest::Attestation,
        result: &AttestationResult,
    ) -> Result<()> {
        let (packet, signature) = self.signed_packet(job, result)?;
        let Some(receipt) = receipt::build(
            &self.cfg.chain_id,
            &job.spec,
            rows,
            versions,
            attestation,
            packet,
            signature,
            self.keys.packet_pubkey(),
        ) else {
            warn!(
                job = job.id,
                "a paid row has no leaf index on this registry: no receipt with proofs"
            );
            return Ok(());
        };
        let path = receipt::path(&self.cfg.state_dir, job.id);
        let bytes = serde_json::to_vec_pretty(&receipt).map_err(|e| AttesterError::Job {
            job_id: job.id,
            message: format!("receipt: {e}"),
        })?;
        crate::content::write_atomic(&path, &bytes)?;
        info!(job = job.id, receipt = %path.display(), "receipt written");
        Ok(())
    }

    async fn execute(&self, what: &str, msg: EscrowExecute) -> Result<Included> {
        self.execute_with_allowance(what, msg, 0).await
    }

    async fn execute_with_allowance(
        &self,
        what: &str,
        msg: EscrowExecute,
        extra_gas: u64,
    ) -> Result<Included> {
        self.chain
            .execute_with_allowance(&self.keys, what, &[self.escrow_msg(&msg)?], extra_gas)
            .await
    }

    /// `msg` as an execution of the escrow, without funds.
    fn escrow_msg(&self, msg: &EscrowExecute) -> Result<(String, Value, Vec<Coin>)> {
        Ok((self.escrow().to_string(), to_value(msg)?, vec![]))
    }

    /// Registers this key with the attester registry (if it is not yet) and bonds `bond` uopen:
    /// wraps it into CW20 OPEN and sends it to the registry, in one transaction.
    pub async fn register(&self, bond: u128, backend: &str) -> Result<Included> {
        let capabilities = Capabilities {
            methods: vec![Method::SuffixSpan],
            model_hashes: vec![HexBinary::from(self.model.hash.to_vec())],
            backend: backend.into(),
            max_job_bytes: self.cfg.max_job_bytes,
        };
        operator::register_and_bond(
            &self.chain,
            &self.deployment,
            &self.keys,
            capabilities,
            bond,
        )
        .await
    }

    pub async fn attester_info(&self) -> Result<Option<AttesterInfo>> {
        operator::info(&self.chain, &self.deployment, &self.keys).await
    }

    /// The escrow balance credited to this attester (rewards), then claims it if non-zero.
    pub async fn claim(&self) -> Result<(Uint128, Option<Included>)> {
        let b: BalanceResponse = self
            .chain
            .smart(
                self.escrow(),
                &EscrowQuery::Balance {
                    address: self.keys.address.clone(),
                },
            )
            .await?;
        if b.balance.is_zero() {
            return Ok((b.balance, None));
        }
        let tx = self
            .execute("claim rewards", EscrowExecute::Claim {})
            .await?;
        Ok((b.balance, Some(tx)))
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }
}
