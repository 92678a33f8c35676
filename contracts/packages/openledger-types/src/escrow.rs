//! `attribution-escrow` interface: paid inference jobs, the attester poll (commit / reveal of
//! IBC-shaped packets, tally, penalties, challenge window) and settlement with pull claims.
//!
//! A job is paid either with CW20 OPEN sent with it ([`ReceiveMsg::RequestJob`]) or from the
//! payer's prepaid inference credit ([`ExecuteMsg::DepositCredit`]), charged by a gateway that
//! holds his [`ApiKey`] ([`ExecuteMsg::RequestJobWithCredit`]).

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{to_json_vec, Addr, Binary, HexBinary, StdResult, Uint128};
use cw20::Cw20ReceiveMsg;

use crate::api_key::ApiKey;
use crate::common::{sha256, DatanetRef, Method};

/// Port attestation packets are sent from (IBC-shaped: port, channel and sequence, as cw-band's oracle packets).
pub const ATTEST_PORT: &str = "attest";

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    /// Receives platform fees, rounding dust, forfeited (penalised) rewards and lost challenge bonds.
    pub treasury: String,
    pub open_token: String,
    pub model_registry: String,
    pub datanet_registry: String,
    pub attester_registry: String,
    pub params: EscrowParams,
}

/// Governable parameters. Periods are in blocks unless named `_seconds`.
#[cw_serde]
pub struct EscrowParams {
    /// `F_platform` in `Fee = (T_in·R_in + T_out·R_out) / 1000 + F_platform`.
    pub platform_fee: Uint128,
    /// Split of `F_net = Fee − F_platform`: model owner β, attesters γ, contributors δ (Σ = 10 000).
    pub beta_bps: u64,
    pub gamma_bps: u64,
    pub delta_bps: u64,
    pub default_ask_count: u32,
    pub max_ask_count: u32,
    /// Quorum fraction of assigned stake (2/3 ⇒ 2, 3).
    pub quorum_num: u64,
    pub quorum_den: u64,
    pub commit_blocks: u64,
    pub reveal_blocks: u64,
    pub challenge_blocks: u64,
    /// Tolerance mode: max L1 distance (bps) of a reveal from the stake-weighted median.
    pub tolerance_bps: u64,
    pub slash_missed_bps: u64,
    pub slash_deviation_bps: u64,
    pub slash_equivocation_bps: u64,
    pub jail_seconds: u64,
    /// Downtime: more than `max_misses_per_window` missed reveals within `miss_window_blocks`
    /// jails the attester (on top of the per-miss `slash_missed_bps`).
    pub miss_window_blocks: u64,
    pub max_misses_per_window: u32,
    pub challenge_bond: Uint128,
    /// K: the most contributions one result may name with their own influence (at most
    /// `datanet::MAX_PAYEE_IDS`; copied into each job when it is requested). The rest of a
    /// Datanet version's weight (its rows past the top K) is paid by validation score.
    #[serde(default = "default_max_contributions")]
    pub max_contributions: u32,
    /// Where the contributors' share δ goes when no row of any named Datanet influenced the
    /// answer (empty `weights_bps`): never to contributors who had no part in it. Read at
    /// settlement.
    #[serde(default)]
    pub unattributed: Unattributed,
    /// Blocks governance has to `ResolveChallenge` after a challenge is raised. Past it the
    /// challenge lapses: the bond goes back to the challenger and the result stands (`Settle`).
    /// Keep it well inside the registry's `unbonding_seconds`: while a challenge is open the
    /// quorum's stake cannot be withdrawn, and this bounds how long governance can hold it.
    #[serde(default = "default_challenge_resolve_blocks")]
    pub challenge_resolve_blocks: u64,
    /// Slash of a gateway's bond (attester registry) when the attesters reject the inference
    /// it charged a payer for ([`JobStatus::Rejected`]); it is also jailed for `jail_seconds`.
    #[serde(default = "default_slash_gateway_bps")]
    pub slash_gateway_bps: u64,
    /// The most bytes attesters read for one job: its Datanet rows (sizes on chain), inference
    /// input and output together. One chain-wide figure, so every honest attester reaches the
    /// same verdict on a job over it: "inputs unavailable" ([`JobStatus::InputsUnavailable`]),
    /// which slashes nobody and keeps the platform fee. Attesters register at least this much
    /// as their `max_job_bytes`.
    #[serde(default = "default_max_job_bytes")]
    pub max_job_bytes: u64,
}

/// [`EscrowParams::max_job_bytes`] of deployments made before it existed: 5 MiB, an attester's
/// default.
pub const DEFAULT_MAX_JOB_BYTES: u64 = 5 << 20;

fn default_max_job_bytes() -> u64 {
    DEFAULT_MAX_JOB_BYTES
}

/// [`EscrowParams::slash_gateway_bps`] of deployments made before it existed: charging for
/// inference that was not served is fraud, weighed like equivocation.
pub const DEFAULT_SLASH_GATEWAY_BPS: u64 = 1_000;

fn default_slash_gateway_bps() -> u64 {
    DEFAULT_SLASH_GATEWAY_BPS
}

/// [`EscrowParams::challenge_resolve_blocks`] of deployments made before it existed
/// (≈ 3.5 days at 6 s blocks, half the deployed 7-day unbonding period).
pub const DEFAULT_CHALLENGE_RESOLVE_BLOCKS: u64 = 50_400;

fn default_challenge_resolve_blocks() -> u64 {
    DEFAULT_CHALLENGE_RESOLVE_BLOCKS
}

/// [`EscrowParams::max_contributions`] of deployments made before it existed.
pub const DEFAULT_MAX_CONTRIBUTIONS: u32 = 64;

fn default_max_contributions() -> u32 {
    DEFAULT_MAX_CONTRIBUTIONS
}

/// Destination of the contributors' share δ of a job whose answer no row influenced.
#[cw_serde]
#[derive(Copy, Eq, Default)]
pub enum Unattributed {
    /// The treasury (the default): the payer still pays the price he was quoted.
    #[default]
    Treasury,
    /// Back to the payer, credited to his claimable balance (to his inference credit when the
    /// job was paid from it).
    Payer,
}

/// Immutable description of what is attributed; `spec_hash = sha256(json(spec))`.
#[cw_serde]
pub struct JobSpec {
    pub method: Method,
    pub model_id: u64,
    pub model_hash: HexBinary,
    pub adapter_hash: Option<HexBinary>,
    pub datanets: Vec<DatanetRef>,
    pub input_hash: HexBinary,
    pub output_hash: HexBinary,
    /// Method parameters (min span length, projection seed, k, …), opaque to the chain.
    pub method_params: Option<Binary>,
}

impl JobSpec {
    pub fn hash(&self) -> StdResult<HexBinary> {
        Ok(HexBinary::from(sha256(&to_json_vec(self)?).to_vec()))
    }
}

/// Influence weight of one Datanet version in a result (Σ over a result = 10 000, or no
/// entries at all when no row influenced the answer).
#[cw_serde]
pub struct DatanetWeight {
    pub datanet_id: u64,
    pub version: u32,
    pub bps: u64,
}

/// Influence of one contribution (row) within its Datanet version: `bps` (1..=10 000) of that
/// version's weight, i.e. of the version's part of δ.
#[cw_serde]
pub struct ContributionWeight {
    pub datanet_id: u64,
    pub version: u32,
    pub contribution_id: u64,
    pub bps: u64,
}

/// The attested quantity.
///
/// `weights_bps` splits the answer's influence over Datanet versions (Σ = 10 000, or empty when
/// no row influenced it). `contributions` names the most influential rows, at most the job's
/// `max_contributions`, strictly ascending by (Datanet, version, contribution) and free of zero
/// entries, each of a version present in `weights_bps`, Σ bps ≤ 10 000 per version: each is
/// paid its `bps` of its version's part of δ. What the listed rows of a version leave
/// (10 000 − Σ of their bps) belongs to the rows past the top K and is paid by validation score.
/// The escrow answers a reveal breaking any of these rules with an error acknowledgement.
#[cw_serde]
pub struct AttestationResult {
    /// sha256 of gpu-oracle's canonical result bytes (every contribution's share), content-addressed off chain.
    pub result_hash: HexBinary,
    pub weights_bps: Vec<DatanetWeight>,
    #[serde(default)]
    pub contributions: Vec<ContributionWeight>,
}

/// Domain tag whose sha256 is the `result_hash` of [`AttestationResult::inputs_unavailable`].
pub const INPUTS_UNAVAILABLE_TAG: &[u8] = b"openledger/attestation/inputs-unavailable/v1";

impl AttestationResult {
    /// The canonical "inputs unavailable" result: what every honest attester that cannot fetch
    /// the job's output or a named contribution (not found, as opposed to bytes that do not
    /// match their hash), or whose inputs exceed [`EscrowParams::max_job_bytes`], reveals. It is
    /// the same bytes for every attester and job, so the exact-mode quorum can agree on it;
    /// committed and revealed like any result.
    pub fn inputs_unavailable() -> Self {
        AttestationResult {
            result_hash: HexBinary::from(sha256(INPUTS_UNAVAILABLE_TAG).to_vec()),
            weights_bps: vec![],
            contributions: vec![],
        }
    }

    pub fn is_inputs_unavailable(&self) -> bool {
        *self == Self::inputs_unavailable()
    }

    /// The canonical "inference rejected" result: what every honest attester reveals when the
    /// job's stored input and output do not check (see [`Rejection`]). The same bytes for every
    /// attester and job of that reason, committed and revealed like any result.
    pub fn rejected(reason: Rejection) -> Self {
        AttestationResult {
            result_hash: HexBinary::from(sha256(reason.tag()).to_vec()),
            weights_bps: vec![],
            contributions: vec![],
        }
    }

    /// Why this result rejects the inference, if it is a canonical rejection.
    pub fn rejection(&self) -> Option<Rejection> {
        Rejection::ALL
            .into_iter()
            .find(|r| *self == Self::rejected(*r))
    }

    /// A verdict on the job's inputs instead of a measurement of influence: inputs unavailable
    /// or inference rejected.
    pub fn is_verdict(&self) -> bool {
        self.is_inputs_unavailable() || self.rejection().is_some()
    }

    /// Canonical digest compared by the exact-mode tally.
    pub fn digest(&self) -> StdResult<HexBinary> {
        Ok(HexBinary::from(sha256(&to_json_vec(self)?).to_vec()))
    }
}

/// Why attesters reject a job's inference, in the order they check: the first that applies is
/// the one revealed, so honest attesters agree.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Rejection {
    /// The token counts the job was charged for are not those of its stored prompt and answer
    /// (counted with the model's tokenizer).
    TokenCount,
    /// The stored answer is not what the model produces for the stored prompt and sampling
    /// settings (or the stored records are not well-formed).
    Output,
}

impl Rejection {
    pub const ALL: [Rejection; 2] = [Rejection::TokenCount, Rejection::Output];

    /// Domain tag whose sha256 is the `result_hash` of [`AttestationResult::rejected`].
    pub fn tag(self) -> &'static [u8] {
        match self {
            Rejection::TokenCount => b"openledger/attestation/rejected/token-count/v1",
            Rejection::Output => b"openledger/attestation/rejected/output/v1",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::TokenCount => "token_count",
            Rejection::Output => "output",
        }
    }
}

/// Packet payload, named after cw-band's `OracleResponsePacketData`.
#[cw_serde]
pub struct AttestationPacketData {
    /// The job id.
    pub request_id: u64,
    pub spec_hash: HexBinary,
    pub attester: String,
    pub result: AttestationResult,
}

/// IBC-shaped packet (mode (a): delivered by the attester's own `Reveal` tx).
#[cw_serde]
pub struct AttestationPacket {
    pub source_port: String,
    pub source_channel: String,
    pub dest_port: String,
    pub dest_channel: String,
    /// Must equal the job id (one packet per attester and job).
    pub sequence: u64,
    /// Block height after which the packet is refused (0 = none).
    pub timeout_height: u64,
    /// Unix nanoseconds after which the packet is refused (0 = none).
    pub timeout_timestamp: u64,
    pub data: AttestationPacketData,
}

/// What an attester signs: the packet and the chain it is for (like the Cosmos SDK's
/// `StdSignDoc`), so a packet signed for one chain is no evidence on another.
#[derive(cosmwasm_schema::serde::Serialize)]
#[serde(crate = "cosmwasm_schema::serde")]
struct PacketSignDoc<'a> {
    chain_id: &'a str,
    packet: &'a AttestationPacket,
}

impl AttestationPacket {
    /// The 32 bytes an attester signs with its registered ed25519 key:
    /// `sha256(json({"chain_id": chain_id, "packet": packet}))`.
    pub fn sign_bytes(&self, chain_id: &str) -> StdResult<[u8; 32]> {
        Ok(sha256(&to_json_vec(&PacketSignDoc {
            chain_id,
            packet: self,
        })?))
    }
}

/// A packet with the attester's ed25519 signature over [`AttestationPacket::sign_bytes`].
#[cw_serde]
pub struct SignedPacket {
    pub packet: AttestationPacket,
    pub signature: Binary,
}

/// Acknowledgement stored per (job, attester), like cw-band / ICS-20 acks.
#[cw_serde]
pub enum Acknowledgement {
    Result(Binary),
    Error(String),
}

/// Commitment sent in the commit window: `sha256(salt ‖ job_id (8 bytes BE) ‖ json(result) ‖ attester)`.
pub fn commitment(
    salt: &[u8],
    job_id: u64,
    result: &AttestationResult,
    attester: &str,
) -> StdResult<HexBinary> {
    let mut buf = Vec::with_capacity(salt.len() + 8 + 256 + attester.len());
    buf.extend_from_slice(salt);
    buf.extend_from_slice(&job_id.to_be_bytes());
    buf.extend_from_slice(&to_json_vec(result)?);
    buf.extend_from_slice(attester.as_bytes());
    Ok(HexBinary::from(sha256(&buf).to_vec()))
}

#[cw_serde]
#[allow(clippy::large_enum_variant)]
pub enum ExecuteMsg {
    /// CW20 OPEN hooks: [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Assigned attester, before the commit deadline.
    Commit {
        job_id: u64,
        commitment: HexBinary,
    },
    /// Assigned attester, after all commits are in or the commit deadline passed, before the
    /// reveal deadline. A reveal that does not match the commitment is equivocation.
    Reveal {
        job_id: u64,
        packet: AttestationPacket,
        salt: HexBinary,
        signature: Binary,
    },
    /// Anyone, once every assigned attester revealed or the reveal deadline passed.
    Tally {
        job_id: u64,
    },
    /// Anyone, after the challenge window of a Finalized job: credits the split.
    Settle {
        job_id: u64,
    },
    /// Governance referee: `upheld = true` means the finalized result was wrong.
    ResolveChallenge {
        job_id: u64,
        upheld: bool,
    },
    /// Anyone: two validly signed, different packets from one attester for one job.
    ReportEquivocation {
        job_id: u64,
        attester: String,
        first: SignedPacket,
        second: SignedPacket,
    },
    /// Withdraws the sender's credited balance (model owner / attester rewards, contributors'
    /// per-row influence rewards, unattributed δ returned to a payer).
    Claim {},
    /// Withdraws the sender's contributor share of a Datanet version's reward pool.
    ClaimContributor {
        datanet_id: u64,
        version: u32,
    },
    UpdateParams {
        params: EscrowParams,
    },
    /// Governance: where platform fees, dust, forfeits and lost challenge bonds go.
    UpdateTreasury {
        treasury: String,
    },
    UpdateGovernance {
        governance: String,
    },
    /// Buys inference credit for `beneficiary` (default: the sender) with the native coins sent:
    /// exactly one coin, of the denom open-token wraps (its `WrapInfo`). The escrow wraps them
    /// into CW20 OPEN at once (open-token `Deposit`), so it holds CW20 like for every job.
    DepositCredit {
        beneficiary: Option<String>,
    },
    /// Gives `amount` of the sender's unused inference credit back as native coins: the escrow
    /// unwraps that much CW20 OPEN with open-token's `Withdraw` (which sends the coins to the
    /// escrow) and forwards the coins to the sender in the same transaction.
    WithdrawCredit {
        amount: Uint128,
    },
    /// Sent by a gateway operator: opens a job like [`ReceiveMsg::RequestJob`], paid from the
    /// inference credit of the account whose key signed `api_key` (the payer). The key must be
    /// for this chain and for the sender, unexpired, and its signature must verify. The fee is
    /// exactly `QuoteFee`; it must fit in the payer's credit and, when the key has a
    /// `max_spend`, in what the key has left. Refunds of the job go back to the payer's credit,
    /// but never to the key's spend: the cap bounds what a leaked key can make a gateway spend.
    RequestJobWithCredit {
        api_key: ApiKey,
        model_id: u64,
        method: Method,
        input_hash: HexBinary,
        output_hash: HexBinary,
        input_tokens: u64,
        output_tokens: u64,
        ask_count: Option<u32>,
        method_params: Option<Binary>,
    },
}

#[cw_serde]
pub enum ReceiveMsg {
    /// Pays for attribution of one inference; the amount must equal `QuoteFee`.
    RequestJob {
        model_id: u64,
        method: Method,
        input_hash: HexBinary,
        output_hash: HexBinary,
        input_tokens: u64,
        output_tokens: u64,
        ask_count: Option<u32>,
        method_params: Option<Binary>,
    },
    /// Disputes a Finalized job within its challenge window; the amount must equal `challenge_bond`.
    Challenge { job_id: u64, reason: String },
    /// Buys inference credit for `beneficiary` (default: the sender) with the CW20 OPEN sent.
    DepositCredit { beneficiary: Option<String> },
}

/// How a job's fee was paid, which decides where its refunds go.
#[cw_serde]
#[derive(Copy, Eq, Default)]
pub enum Funding {
    /// CW20 OPEN sent with [`ReceiveMsg::RequestJob`] (every job before credit existed):
    /// refunds are CW20 transfers to the payer, unattributed δ is credited to his `Balance`.
    #[default]
    Cw20,
    /// Charged to the payer's inference credit by a gateway ([`ExecuteMsg::RequestJobWithCredit`]):
    /// refunds and unattributed δ go back to his inference credit.
    Credit,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum JobStatus {
    Committing,
    Revealing,
    Finalized,
    Challenged,
    Settled,
    /// Revealed but no quorum, or a challenge was upheld: refunded.
    Failed,
    /// Too few reveals by the deadline: refunded.
    Expired,
    /// A quorum revealed [`AttestationResult::inputs_unavailable`]: nobody is slashed for
    /// missing, the platform fee goes to the treasury and the rest back to the payer.
    InputsUnavailable,
    /// A quorum revealed [`AttestationResult::rejected`]: the inference the job was charged for
    /// does not check. A gateway-opened job refunds its whole fee to the payer's credit and
    /// slashes the gateway (`slash_gateway_bps`, jailed); a job the payer opened himself keeps
    /// the platform fee, like `InputsUnavailable`.
    Rejected,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum AssignmentStatus {
    Assigned,
    Committed,
    Revealed,
    /// Revealed the finalized result (or within the band): rewarded.
    InQuorum,
    /// Revealed something else while a quorum agreed: slashed.
    Deviated,
    /// No valid reveal by the deadline: slashed (downtime).
    Missed,
    /// Reveal ≠ commitment, or two signed results: slashed and tombstoned.
    Equivocated,
}

#[cw_serde]
pub struct Assignment {
    pub attester: Addr,
    /// Bonded stake when the job was assigned (the tally's weight).
    pub stake: Uint128,
    pub status: AssignmentStatus,
    pub commitment: Option<HexBinary>,
    pub result: Option<AttestationResult>,
    pub ack: Option<Acknowledgement>,
}

#[cw_serde]
pub struct JobInfo {
    pub id: u64,
    pub payer: Addr,
    pub model_owner: Addr,
    pub spec: JobSpec,
    pub spec_hash: HexBinary,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub fee: Uint128,
    pub platform_fee: Uint128,
    pub status: JobStatus,
    pub created_height: u64,
    pub commit_deadline: u64,
    pub reveal_deadline: u64,
    pub challenge_deadline: Option<u64>,
    pub total_stake: Uint128,
    pub result: Option<AttestationResult>,
    pub challenger: Option<Addr>,
    pub challenge_bond: Uint128,
    /// Last block at which governance may resolve the open challenge (set when challenged).
    #[serde(default)]
    pub challenge_resolve_deadline: Option<u64>,
    /// `EscrowParams::max_contributions` when the job was requested (0 for older jobs: their
    /// results name no contributions).
    #[serde(default)]
    pub max_contributions: u32,
}

/// How a job was paid. Kept beside [`JobInfo`], not in it: one more field in `JobInfo` puts its
/// derived JSON decoder past the VM's limit of 100 locals per wasm function.
#[cw_serde]
#[derive(Default)]
pub struct JobPayment {
    /// How the fee was paid (every job before credit existed: CW20).
    pub funding: Funding,
    /// The gateway operator that opened a credit-paid job with the payer's API key (answerable
    /// for the inference it claimed to serve); `None` for CW20-paid jobs.
    pub gateway: Option<Addr>,
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(JobResponse)]
    Job { job_id: u64 },
    /// Jobs by id, optionally only those in `status`.
    #[returns(JobsResponse)]
    ListJobs {
        status: Option<JobStatus>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Jobs an attester was assigned to (with its assignment), by job id: what an oracle
    /// node polls for work.
    #[returns(AttesterJobsResponse)]
    JobsByAttester {
        attester: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(FeeQuote)]
    QuoteFee {
        model_id: u64,
        input_tokens: u64,
        output_tokens: u64,
    },
    /// Credited (claimable) balance of an address.
    #[returns(BalanceResponse)]
    Balance { address: String },
    /// Prepaid inference credit of an address (what gateways may charge with its API keys).
    #[returns(CreditResponse)]
    Credit { address: String },
    /// What the API key with this id (`ApiKey::id`, 32 bytes) has spent in total.
    #[returns(KeySpentResponse)]
    KeySpent { key_id: HexBinary },
    #[returns(PoolResponse)]
    Pool { datanet_id: u64, version: u32 },
    #[returns(ContributorClaimableResponse)]
    ContributorClaimable {
        datanet_id: u64,
        version: u32,
        contributor: String,
    },
    /// What one contribution (row) has earned by its own influence across settled jobs
    /// (leaderboard input; validation-score pool claims are not included).
    #[returns(ContributionEarningsResponse)]
    ContributionEarnings { contribution_id: u64 },
    /// Token accounting of the whole contract.
    #[returns(Ledger)]
    Ledger {},
    /// Jobs (by id, at most `MAX_LIMIT`) in which the attester's stake is still answerable:
    /// assigned to an unresolved job, or in the quorum of a job whose challenge window or
    /// challenge is open. The attester registry refuses `ClaimUnbonded` while any is listed.
    #[returns(ObligationsResponse)]
    Obligations { attester: String },
}

#[cw_serde]
pub struct ObligationsResponse {
    pub jobs: Vec<u64>,
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub treasury: Addr,
    pub open_token: Addr,
    pub model_registry: Addr,
    pub datanet_registry: Addr,
    pub attester_registry: Addr,
    pub params: EscrowParams,
}

#[cw_serde]
pub struct JobResponse {
    pub job: JobInfo,
    pub assignments: Vec<Assignment>,
    /// How the job was paid.
    #[serde(default)]
    pub payment: JobPayment,
}

#[cw_serde]
pub struct JobsResponse {
    pub jobs: Vec<JobInfo>,
}

#[cw_serde]
pub struct AttesterJob {
    pub job: JobInfo,
    pub assignment: Assignment,
}

#[cw_serde]
pub struct AttesterJobsResponse {
    pub jobs: Vec<AttesterJob>,
}

#[cw_serde]
pub struct FeeQuote {
    pub fee: Uint128,
    pub platform_fee: Uint128,
    pub net_fee: Uint128,
}

#[cw_serde]
pub struct BalanceResponse {
    pub balance: Uint128,
}

#[cw_serde]
pub struct CreditResponse {
    pub address: Addr,
    pub credit: Uint128,
}

#[cw_serde]
pub struct KeySpentResponse {
    /// Σ fees of the jobs opened with the key, refunded ones included.
    pub spent: Uint128,
}

#[cw_serde]
pub struct PoolResponse {
    pub datanet_id: u64,
    pub version: u32,
    /// Everything ever credited to the pool, and what contributors have drawn from it
    /// (paid + forfeited to the treasury by penalties).
    pub total: Uint128,
    pub drawn: Uint128,
}

#[cw_serde]
pub struct ContributorClaimableResponse {
    /// `floor(total × weight / total_weight) − already drawn`.
    pub entitled: Uint128,
    /// `entitled × reward_multiplier_bps / 10 000` (the rest is forfeited to the treasury).
    pub payable: Uint128,
}

#[cw_serde]
#[derive(Default)]
pub struct ContributionEarningsResponse {
    pub contribution_id: u64,
    /// Who was credited (the row's contributor); `None` before the row was ever paid.
    pub contributor: Option<Addr>,
    /// Σ credited to the contributor's claimable balance (after the reward multiplier).
    pub earned: Uint128,
    /// Σ forfeited to the treasury by the contributor's penalty multiplier.
    pub forfeited: Uint128,
    /// Settled jobs that paid this row.
    pub jobs: u64,
}

/// Every token the contract holds is in exactly one bucket:
/// `held = escrowed + credited + pools_outstanding + inference_credit`.
#[cw_serde]
#[derive(Default)]
pub struct Ledger {
    /// Fees of unresolved jobs plus challenge bonds.
    pub escrowed: Uint128,
    /// Σ claimable balances.
    pub credited: Uint128,
    /// Σ (pool.total − pool.drawn).
    pub pools_outstanding: Uint128,
    /// Σ prepaid inference credit. Credit deposits count as `received` and withdrawals as
    /// `paid_out`; a job paid from credit only moves tokens from here to `escrowed`.
    #[serde(default)]
    pub inference_credit: Uint128,
    /// Cumulative flows (for audits and the property tests).
    pub received: Uint128,
    pub paid_out: Uint128,
    /// Rounding remainders sent to the treasury.
    pub dust: Uint128,
}

impl Ledger {
    pub fn held(&self) -> Uint128 {
        self.escrowed + self.credited + self.pools_outstanding + self.inference_credit
    }
}
