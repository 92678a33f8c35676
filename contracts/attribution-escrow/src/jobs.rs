//! Verifier, part 1: job creation with stake-weighted deterministic assignment, commits,
//! reveals of signed IBC-shaped packets (with acknowledgements) and equivocation evidence.

use cosmwasm_std::{
    to_json_binary, Addr, Binary, CosmosMsg, Deps, DepsMut, Env, Event, HexBinary, MessageInfo,
    Response, StdResult, Storage, Uint128,
};
use openledger_types::attester::{AttesterRegistry, EligibleAttester, MAX_CANDIDATES};
use openledger_types::escrow::*;
use openledger_types::model::{ModelRegistry, ModelStatus};
use openledger_types::{check_hash32, sha256, Method, BPS};

use crate::credit::charge_credit;
use crate::error::ContractError;
use crate::split::quote_fee;
use crate::state::*;
use crate::tally::{all_revealed, do_tally};

/// Samples `k` distinct indices of `stakes` with probability ∝ stake, deterministically from `seed`
/// (round r draws `u128(sha256(seed ‖ r)[..16]) mod remaining_stake`).
pub fn weighted_sample(stakes: &[Uint128], k: usize, seed: &[u8; 32]) -> Vec<usize> {
    let mut remaining: Vec<usize> = (0..stakes.len())
        .filter(|i| !stakes[*i].is_zero())
        .collect();
    let mut total: u128 = remaining.iter().map(|i| stakes[*i].u128()).sum();
    let mut picked = Vec::with_capacity(k);
    for round in 0..k as u32 {
        if remaining.is_empty() || total == 0 {
            break;
        }
        let mut buf = seed.to_vec();
        buf.extend_from_slice(&round.to_be_bytes());
        let d = sha256(&buf);
        let r = u128::from_be_bytes(d[..16].try_into().expect("16 bytes")) % total;
        let mut acc = 0u128;
        let mut pos = 0;
        for (p, i) in remaining.iter().enumerate() {
            acc += stakes[*i].u128();
            if r < acc {
                pos = p;
                break;
            }
        }
        let i = remaining.remove(pos);
        total -= stakes[i].u128();
        picked.push(i);
    }
    picked
}

fn assignment_seed(env: &Env, job_id: u64, spec_hash: &HexBinary) -> [u8; 32] {
    let mut buf = env.block.chain_id.as_bytes().to_vec();
    buf.extend_from_slice(&env.block.height.to_be_bytes());
    buf.extend_from_slice(&env.block.time.nanos().to_be_bytes());
    buf.extend_from_slice(
        &env.transaction
            .as_ref()
            .map(|t| t.index)
            .unwrap_or_default()
            .to_be_bytes(),
    );
    buf.extend_from_slice(&job_id.to_be_bytes());
    buf.extend_from_slice(spec_hash.as_slice());
    sha256(&buf)
}

/// What a job asks for, however it is paid.
pub struct JobRequest {
    pub model_id: u64,
    pub method: Method,
    pub input_hash: HexBinary,
    pub output_hash: HexBinary,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub ask_count: Option<u32>,
    pub method_params: Option<Binary>,
}

/// How a job is paid.
pub enum Payment {
    /// CW20 OPEN the payer sent with `ReceiveMsg::RequestJob`: must be exactly the fee.
    Cw20 { amount: Uint128 },
    /// Charged to the payer's inference credit by `gateway`, with the API key `key_id`
    /// (whose grant caps its total spend at `max_spend`).
    Credit {
        gateway: Addr,
        key_id: [u8; 32],
        max_spend: Option<Uint128>,
    },
}

impl Payment {
    fn funding(&self) -> Funding {
        match self {
            Payment::Cw20 { .. } => Funding::Cw20,
            Payment::Credit { .. } => Funding::Credit,
        }
    }
}

/// Takes the fee (CW20 sent with the request, or the payer's credit) into `escrowed`.
fn take_fee(
    store: &mut dyn Storage,
    payer: &Addr,
    payment: &Payment,
    fee: Uint128,
) -> Result<(), ContractError> {
    match payment {
        Payment::Cw20 { amount } => {
            if *amount != fee {
                return Err(ContractError::WrongPayment {
                    expected: fee,
                    received: *amount,
                });
            }
            LEDGER.update(store, |mut l| -> StdResult<_> {
                l.escrowed += fee;
                l.received += fee;
                Ok(l)
            })?;
        }
        Payment::Credit {
            key_id, max_spend, ..
        } => charge_credit(store, payer, key_id, *max_spend, fee)?,
    }
    Ok(())
}

/// Opens a job (both ways of paying for one): pins its spec, takes the quoted fee and assigns
/// `ask_count` attesters.
pub fn open_job(
    deps: DepsMut,
    env: Env,
    cfg: Config,
    payer: Addr,
    req: JobRequest,
    payment: Payment,
) -> Result<Response, ContractError> {
    let JobRequest {
        model_id,
        method,
        input_hash,
        output_hash,
        input_tokens,
        output_tokens,
        ask_count,
        method_params,
    } = req;
    let p = &cfg.params;
    check_hash32(&input_hash, "input_hash")?;
    check_hash32(&output_hash, "output_hash")?;
    if method_params.as_ref().is_some_and(|b| b.len() > 1024) {
        return Err(ContractError::invalid("method_params larger than 1 KiB"));
    }
    let model = ModelRegistry(cfg.model_registry.clone()).model(&deps.querier, model_id)?;
    if model.status != ModelStatus::Active {
        return Err(ContractError::ModelNotActive { model_id });
    }
    let fee = quote_fee(
        input_tokens,
        output_tokens,
        model.price_in_per_1k,
        model.price_out_per_1k,
        p.platform_fee,
    )?;
    take_fee(deps.storage, &payer, &payment, fee)?;
    let ask = ask_count.unwrap_or(p.default_ask_count);
    if ask == 0 || ask > p.max_ask_count {
        return Err(ContractError::invalid(format!(
            "ask_count must be 1..={}",
            p.max_ask_count
        )));
    }
    let spec = JobSpec {
        method,
        model_id,
        model_hash: model.base_model_hash.clone(),
        adapter_hash: model.adapter_hash.clone(),
        datanets: model.datanets.clone(),
        input_hash,
        output_hash,
        method_params,
    };
    let spec_hash = spec.hash()?;
    let mut eligible: Vec<EligibleAttester> = AttesterRegistry(cfg.attester_registry.clone())
        .eligible(
            &deps.querier,
            method,
            Some(model.base_model_hash.clone()),
            MAX_CANDIDATES,
        )?;
    // A gateway that also attests never checks the inference it charged for itself.
    if let Payment::Credit { gateway, .. } = &payment {
        eligible.retain(|e| e.operator != *gateway);
    }
    if (eligible.len() as u32) < ask {
        return Err(ContractError::NotEnoughAttesters {
            needed: ask,
            available: eligible.len() as u32,
        });
    }
    let id = JOB_SEQ.may_load(deps.storage)?.unwrap_or_default() + 1;
    JOB_SEQ.save(deps.storage, &id)?;
    let stakes: Vec<Uint128> = eligible.iter().map(|e| e.stake).collect();
    let picked = weighted_sample(
        &stakes,
        ask as usize,
        &assignment_seed(&env, id, &spec_hash),
    );
    let mut total_stake = Uint128::zero();
    let mut res = Response::new()
        .add_attribute("action", "request_job")
        .add_attribute("job_id", id.to_string());
    let mut assigned = vec![];
    for i in &picked {
        let e = &eligible[*i];
        total_stake += e.stake;
        ASSIGNMENTS.save(
            deps.storage,
            (id, &e.operator),
            &Assignment {
                attester: e.operator.clone(),
                stake: e.stake,
                status: AssignmentStatus::Assigned,
                commitment: None,
                result: None,
                ack: None,
            },
        )?;
        ATTESTER_JOBS.save(deps.storage, (&e.operator, id), &())?;
        OBLIGATIONS.save(deps.storage, (&e.operator, id), &())?;
        res = res.add_attribute("assigned", e.operator.to_string());
        assigned.push(e.operator.to_string());
    }
    let commit_deadline = env.block.height + p.commit_blocks;
    let job = JobInfo {
        id,
        payer: payer.clone(),
        model_owner: model.owner,
        spec,
        spec_hash: spec_hash.clone(),
        input_tokens,
        output_tokens,
        fee,
        platform_fee: p.platform_fee.min(fee),
        status: JobStatus::Committing,
        created_height: env.block.height,
        commit_deadline,
        reveal_deadline: commit_deadline + p.reveal_blocks,
        challenge_deadline: None,
        total_stake,
        result: None,
        challenger: None,
        challenge_bond: Uint128::zero(),
        challenge_resolve_deadline: None,
        max_contributions: p.max_contributions,
    };
    jobs().save(deps.storage, id, &job)?;
    if let Payment::Credit { gateway, .. } = &payment {
        // Its bond answers for the inference until the tally decides the job.
        OBLIGATIONS.save(deps.storage, (gateway, id), &())?;
        JOB_PAYMENTS.save(
            deps.storage,
            id,
            &JobPayment {
                funding: payment.funding(),
                gateway: Some(gateway.clone()),
            },
        )?;
    }
    let event = Event::new("attribution_job")
        .add_attribute("job_id", id.to_string())
        .add_attribute("model_id", model_id.to_string())
        .add_attribute("method", format!("{method:?}"))
        .add_attribute("spec_hash", spec_hash.to_hex())
        .add_attribute("fee", fee)
        .add_attribute("assigned", assigned.join(","))
        .add_attribute("commit_deadline", commit_deadline.to_string())
        .add_attribute("reveal_deadline", job.reveal_deadline.to_string());
    res = res
        .add_event(event)
        .add_attribute("payer", payer)
        .add_attribute("fee", fee)
        .add_attribute("spec_hash", spec_hash.to_hex())
        .add_attribute("commit_deadline", commit_deadline.to_string())
        .add_attribute("reveal_deadline", job.reveal_deadline.to_string());
    Ok(match payment {
        Payment::Cw20 { .. } => res.add_attribute("funding", "cw20"),
        Payment::Credit {
            gateway, key_id, ..
        } => res
            .add_attribute("funding", "credit")
            .add_attribute("gateway", gateway)
            .add_attribute("api_key_id", HexBinary::from(key_id).to_hex()),
    })
}

fn load_assignment(
    store: &dyn Storage,
    job_id: u64,
    who: &Addr,
) -> Result<Assignment, ContractError> {
    ASSIGNMENTS
        .may_load(store, (job_id, who))?
        .ok_or(ContractError::NotAssigned {})
}

pub fn execute_commit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    commitment: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    if job.status != JobStatus::Committing {
        return Err(ContractError::WrongStatus {});
    }
    if env.block.height > job.commit_deadline {
        return Err(ContractError::CommitPhaseOver {});
    }
    check_hash32(&commitment, "commitment")?;
    let mut a = load_assignment(deps.storage, job_id, &info.sender)?;
    if a.status != AssignmentStatus::Assigned {
        return Err(ContractError::AlreadyCommitted {});
    }
    a.status = AssignmentStatus::Committed;
    a.commitment = Some(commitment);
    ASSIGNMENTS.save(deps.storage, (job_id, &info.sender), &a)?;
    // everyone committed ⇒ reveals may start now
    if load_assignments(deps.storage, job_id)?
        .iter()
        .all(|a| a.status != AssignmentStatus::Assigned)
    {
        job.status = JobStatus::Revealing;
        jobs().save(deps.storage, job_id, &job)?;
    }
    Ok(Response::new()
        .add_attribute("action", "commit")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("attester", info.sender))
}

/// Checks a packet against the job and the attester; `Err(reason)` becomes an error ack.
fn check_packet(
    deps: Deps,
    env: &Env,
    job: &JobInfo,
    attester: &Addr,
    packet: &AttestationPacket,
    signature: &Binary,
    pubkey: &Binary,
) -> Result<(), String> {
    if packet.source_port != ATTEST_PORT {
        return Err(format!("source_port must be {ATTEST_PORT}"));
    }
    if packet.sequence != job.id || packet.data.request_id != job.id {
        return Err("sequence / request_id must equal the job id".into());
    }
    if packet.data.spec_hash != job.spec_hash {
        return Err("spec_hash mismatch".into());
    }
    if packet.data.attester != attester.as_str() {
        return Err("attester mismatch".into());
    }
    if packet.timeout_height != 0 && env.block.height > packet.timeout_height {
        return Err("packet timed out (height)".into());
    }
    if packet.timeout_timestamp != 0 && env.block.time.nanos() > packet.timeout_timestamp {
        return Err("packet timed out (timestamp)".into());
    }
    check_result(job, &packet.data.result)?;
    let msg = packet
        .sign_bytes(&env.block.chain_id)
        .map_err(|e| e.to_string())?;
    match deps.api.ed25519_verify(&msg, signature, pubkey) {
        Ok(true) => Ok(()),
        _ => Err("invalid ed25519 signature".into()),
    }
}

fn reason_of(ack: &Acknowledgement) -> String {
    match ack {
        Acknowledgement::Error(e) => e.clone(),
        Acknowledgement::Result(_) => String::new(),
    }
}

/// A result must weigh Datanets of the spec, in spec order, Σ = 10 000 bps, or weigh none at
/// all (no row influenced the answer); its contributions must pass [`check_contributions`].
pub fn check_result(job: &JobInfo, r: &AttestationResult) -> Result<(), String> {
    if r.result_hash.len() != 32 {
        return Err("result_hash must be 32 bytes".into());
    }
    let mut next = 0usize;
    let mut sum = 0u64;
    for w in &r.weights_bps {
        let pos = job.spec.datanets[next..]
            .iter()
            .position(|d| d.datanet_id == w.datanet_id && d.version == w.version)
            .ok_or_else(|| "weights must name spec Datanets in spec order".to_string())?;
        next += pos + 1;
        sum = sum.saturating_add(w.bps);
    }
    if !r.weights_bps.is_empty() && sum != BPS {
        return Err("weights_bps must sum to 10000 (or be empty: no influence)".into());
    }
    check_contributions(job.max_contributions, &r.weights_bps, &r.contributions)
}

/// Per-row influence of a result: at most `max` (the job's K) entries, strictly ascending by
/// (datanet_id, version, contribution_id), each of a version present in `weights`, with
/// 1 ≤ bps ≤ 10 000 and Σ bps ≤ 10 000 per version.
pub fn check_contributions(
    max: u32,
    weights: &[DatanetWeight],
    contributions: &[ContributionWeight],
) -> Result<(), String> {
    if contributions.len() > max as usize {
        return Err(format!(
            "at most {max} contributions (the job's max_contributions), got {}",
            contributions.len()
        ));
    }
    let mut prev: Option<(u64, u32, u64)> = None;
    let mut version_sum = 0u64;
    for c in contributions {
        let key = (c.datanet_id, c.version, c.contribution_id);
        let name = format!("{}:{}:{}", c.datanet_id, c.version, c.contribution_id);
        if c.bps == 0 || c.bps > BPS {
            return Err(format!("contribution {name}: bps must be 1..=10000"));
        }
        if prev.is_some_and(|p| p >= key) {
            return Err(format!(
                "contributions must be strictly ascending by (datanet_id, version, contribution_id): {name}"
            ));
        }
        if !weights
            .iter()
            .any(|w| (w.datanet_id, w.version) == (c.datanet_id, c.version))
        {
            return Err(format!(
                "contribution {name}: Datanet version not in weights_bps"
            ));
        }
        if prev.is_none_or(|p| (p.0, p.1) != (c.datanet_id, c.version)) {
            version_sum = 0;
        }
        version_sum += c.bps;
        if version_sum > BPS {
            return Err(format!(
                "contributions of Datanet {} version {} sum to more than 10000 bps",
                c.datanet_id, c.version
            ));
        }
        prev = Some(key);
    }
    Ok(())
}

pub fn execute_reveal(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    packet: AttestationPacket,
    salt: HexBinary,
    signature: Binary,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut job = load_job(deps.storage, job_id)?;
    match job.status {
        JobStatus::Committing if env.block.height <= job.commit_deadline => {
            return Err(ContractError::RevealTooEarly {})
        }
        JobStatus::Committing | JobStatus::Revealing => {}
        _ => return Err(ContractError::WrongStatus {}),
    }
    if env.block.height > job.reveal_deadline {
        return Err(ContractError::RevealPhaseOver {});
    }
    let mut a = load_assignment(deps.storage, job_id, &info.sender)?;
    match a.status {
        AssignmentStatus::Committed => {}
        AssignmentStatus::Assigned => return Err(ContractError::NotCommitted {}),
        _ => return Err(ContractError::AlreadyRevealed {}),
    }
    if salt.len() < 16 || salt.len() > 64 {
        return Err(ContractError::invalid("salt must be 16..=64 bytes"));
    }
    if job.status == JobStatus::Committing {
        job.status = JobStatus::Revealing;
        jobs().save(deps.storage, job_id, &job)?;
    }
    let registry = openledger_types::attester::AttesterRegistry(cfg.attester_registry.clone());
    let pubkey = registry.attester(&deps.querier, &info.sender)?.pubkey;

    let mut res = Response::new()
        .add_attribute("action", "reveal")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("attester", info.sender.to_string());
    if let Err(reason) = check_packet(
        deps.as_ref(),
        &env,
        &job,
        &info.sender,
        &packet,
        &signature,
        &pubkey,
    ) {
        // Like IBC: the packet is received and answered with an error acknowledgement.
        let ack = Acknowledgement::Error(reason);
        a.ack = Some(ack.clone());
        ASSIGNMENTS.save(deps.storage, (job_id, &info.sender), &a)?;
        let ev = Event::new("attestation_ack")
            .add_attribute("job_id", job_id.to_string())
            .add_attribute("attester", info.sender.to_string())
            .add_attribute("ack", "error")
            .add_attribute("error", reason_of(&ack));
        return Ok(res
            .add_event(ev)
            .add_attribute("ack", "error")
            .set_data(to_json_binary(&ack)?));
    }
    let result = packet.data.result;
    let expected = commitment(salt.as_slice(), job_id, &result, info.sender.as_str())?;
    if Some(&expected) != a.commitment.as_ref() {
        // A validly signed reveal that does not open the commitment: equivocation.
        let ack = Acknowledgement::Error("reveal does not match commitment: equivocation".into());
        a.ack = Some(ack.clone());
        a.status = AssignmentStatus::Equivocated;
        ASSIGNMENTS.save(deps.storage, (job_id, &info.sender), &a)?;
        let slash = registry.slash_msg(
            &info.sender,
            cfg.params.slash_equivocation_bps,
            None,
            true,
            "equivocation: commit/reveal mismatch",
        )?;
        let ev = Event::new("attestation_ack")
            .add_attribute("job_id", job_id.to_string())
            .add_attribute("attester", info.sender.to_string())
            .add_attribute("ack", "error")
            .add_attribute("error", reason_of(&ack));
        res = res
            .add_submessage(penalty(slash))
            .add_event(ev)
            .add_attribute("ack", "error")
            .add_attribute("penalty", "equivocation");
    } else {
        let ack = Acknowledgement::Result(Binary::from(result.digest()?.to_vec()));
        a.ack = Some(ack.clone());
        a.status = AssignmentStatus::Revealed;
        a.result = Some(result);
        ASSIGNMENTS.save(deps.storage, (job_id, &info.sender), &a)?;
        let ev = Event::new("attestation_ack")
            .add_attribute("job_id", job_id.to_string())
            .add_attribute("attester", info.sender.to_string())
            .add_attribute("ack", "result");
        res = res
            .add_event(ev)
            .add_attribute("ack", "result")
            .set_data(to_json_binary(&ack)?);
    }
    if all_revealed(deps.storage, job_id)? {
        let (msgs, attrs) = do_tally(deps.branch(), &env, &cfg, job_id)?;
        let ev = Event::new("attribution_tally")
            .add_attribute("job_id", job_id.to_string())
            .add_attributes(attrs.clone());
        res = res
            .add_event(ev)
            .add_submessages(msgs)
            .add_attributes(attrs);
    }
    Ok(res)
}

pub fn execute_report_equivocation(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    attester: String,
    first: SignedPacket,
    second: SignedPacket,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let job = load_job(deps.storage, job_id)?;
    let attester = deps.api.addr_validate(&attester)?;
    let mut a = load_assignment(deps.storage, job_id, &attester)?;
    let bad = |r: &str| ContractError::InvalidEvidence { reason: r.into() };
    if a.status == AssignmentStatus::Equivocated {
        return Err(bad("already punished"));
    }
    let registry = AttesterRegistry(cfg.attester_registry.clone());
    let pubkey = registry.attester(&deps.querier, &attester)?.pubkey;
    for sp in [&first, &second] {
        if sp.packet.data.request_id != job_id
            || sp.packet.sequence != job_id
            || sp.packet.data.attester != attester.as_str()
        {
            return Err(bad("packets must be for this job and attester"));
        }
        // Job ids restart on every deployment: only the spec hash ties a packet to this job.
        if sp.packet.data.spec_hash != job.spec_hash {
            return Err(bad("packet is for another job spec (spec_hash mismatch)"));
        }
        // Signed over this chain's id, so packets from another chain do not verify.
        let msg = sp.packet.sign_bytes(&env.block.chain_id)?;
        if !deps
            .api
            .ed25519_verify(&msg, &sp.signature, &pubkey)
            .unwrap_or(false)
        {
            return Err(bad("signature does not verify"));
        }
    }
    if first.packet.data.result == second.packet.data.result {
        return Err(bad("results are identical"));
    }
    a.status = AssignmentStatus::Equivocated;
    a.ack = Some(Acknowledgement::Error("equivocation".into()));
    ASSIGNMENTS.save(deps.storage, (job_id, &attester), &a)?;
    let slash: CosmosMsg = registry.slash_msg(
        &attester,
        cfg.params.slash_equivocation_bps,
        None,
        true,
        "equivocation: two signed results",
    )?;
    Ok(Response::new()
        .add_message(slash)
        .add_attribute("action", "report_equivocation")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("attester", attester)
        .add_attribute("reporter", info.sender))
}
