//! `datanet-registry` interface.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, HexBinary, QuerierWrapper, StdResult, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;

#[cw_serde]
pub struct InstantiateMsg {
    /// Governance (the DAO timelock): owns parameters and may slash / grant.
    pub governance: String,
    /// CW20 OPEN contract accepted for fees and bonds.
    pub open_token: String,
    /// Receives publish / version fees and slashed bonds.
    pub fee_collector: String,
    pub params: DatanetParams,
}

/// Governable parameters. Sizes in bytes, periods in seconds.
#[cw_serde]
pub struct DatanetParams {
    /// Publish / new-version fee = `base_fee + fee_per_kib × ceil(new_bytes / 1024)` (OPEN base units).
    pub base_fee: Uint128,
    pub fee_per_kib: Uint128,
    /// Largest single contribution (GitBook: 5 MB per submission).
    pub max_contribution_bytes: u64,
    /// Per-address daily limits (GitBook: 10 MB and 20 files per user per day).
    pub daily_bytes_per_user: u64,
    pub daily_files_per_user: u32,
    /// Per-Datanet daily byte limit (GitBook: 10 MB per Datanet per day).
    pub daily_bytes_per_datanet: u64,
    /// Bond a contributor must hold on a Datanet before contributing (0 = none).
    pub min_contributor_bond: Uint128,
    pub bond_unbonding_seconds: u64,
    /// Penalty score at or above which rewards are multiplied by `penalized_reward_bps`.
    pub penalty_threshold: u64,
    pub penalized_reward_bps: u64,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum DatanetKind {
    Text,
    Image,
    Audio,
}

/// Who may contribute.
#[cw_serde]
pub enum ContributionPolicy {
    /// Anyone (subject to bond and rate limits).
    Open,
    /// Members (weight > 0) of a cw4 group contract.
    Allowlist { group: String },
    /// Addresses the Datanet owner approved after `RequestToContribute`.
    OwnerApproval,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum DatanetStatus {
    Draft,
    Published,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum ContributionStatus {
    Pending,
    Accepted,
    Rejected,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum ApprovalStatus {
    Requested,
    Approved,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum AccessStatus {
    Requested,
    Granted,
    Revoked,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Creates a Draft Datanet owned by the sender (who is also its first curator).
    CreateDatanet {
        name: String,
        summary: String,
        description: String,
        tags: Vec<String>,
        kind: DatanetKind,
        license: String,
        policy: ContributionPolicy,
        /// Reviews scoring below this are rejected automatically.
        min_validation_score_bps: u64,
    },
    /// Summary, description and tags are editable in place (no new version).
    UpdateMetadata {
        datanet_id: u64,
        summary: Option<String>,
        description: Option<String>,
        tags: Option<Vec<String>>,
    },
    /// Owner adds or removes a curator.
    SetCurator {
        datanet_id: u64,
        curator: String,
        enabled: bool,
    },
    /// `OwnerApproval` Datanets: ask to become a contributor.
    RequestToContribute {
        datanet_id: u64,
    },
    /// Owner approves (or revokes) a contributor.
    SetContributorApproval {
        datanet_id: u64,
        contributor: String,
        approved: bool,
    },
    /// Registers a contribution (bytes live off chain, addressed by `content_hash`).
    Contribute {
        datanet_id: u64,
        content_hash: HexBinary,
        size: u64,
        uri: String,
        license: String,
    },
    /// Registers the rows one file was split into, each as its own contribution (own content
    /// hash, size and uri), all or none. A file may be sent in several batches: the daily file
    /// limit counts it once a day however many batches carry it, and the bytes of all its rows
    /// count toward the daily byte limits and may never add up to more than `file.size`.
    ContributeRows {
        datanet_id: u64,
        /// The whole file the rows came from.
        file: UploadFile,
        /// 1..=[`MAX_ROWS_PER_BATCH`] rows, none of them already in the Datanet or repeated.
        rows: Vec<RowUpload>,
        /// Licence of every row.
        license: String,
    },
    /// Curator verdict; `accept` with a score below the Datanet minimum is a rejection.
    ReviewContribution {
        contribution_id: u64,
        accept: bool,
        validation_score_bps: u64,
    },
    /// CW20 OPEN hooks: see [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Starts unbonding part of a contributor bond.
    Unbond {
        datanet_id: u64,
        amount: Uint128,
    },
    /// Withdraws unbonded tokens once the unbonding period is over.
    ClaimUnbonded {
        datanet_id: u64,
    },
    /// Governance: slash a contributor's bond (fraction in bps) and add penalty points.
    Slash {
        datanet_id: u64,
        contributor: String,
        fraction_bps: u64,
        penalty_points: u64,
        reason: String,
    },
    /// Ask the owner for training access (ModelFactory).
    RequestAccess {
        datanet_id: u64,
        purpose: String,
    },
    /// Owner or governance grants access until `expires_at` (unix seconds; `None` = no expiry).
    GrantAccess {
        datanet_id: u64,
        grantee: String,
        expires_at: Option<u64>,
    },
    RevokeAccess {
        datanet_id: u64,
        grantee: String,
    },
    /// Governance.
    UpdateParams {
        params: DatanetParams,
    },
    /// Governance: where publish / version fees and slashed bonds go.
    UpdateFeeCollector {
        fee_collector: String,
    },
    UpdateGovernance {
        governance: String,
    },
}

/// The most rows one `ContributeRows` registers and the most hashes one `ContributionsByHash`
/// resolves: a full batch stays far inside a block's gas limit.
pub const MAX_ROWS_PER_BATCH: usize = 100;

/// The whole file a batch of rows was split from: the unit the daily file limit and the
/// per-upload size limit count.
#[cw_serde]
pub struct UploadFile {
    /// File name (1..=256 characters), shown in events and errors.
    pub name: String,
    /// sha256 of the whole file (32 bytes): batches naming the same hash are the same file.
    pub sha256: HexBinary,
    /// Size of the whole file in bytes, 1..=`max_contribution_bytes`; the rows registered
    /// under this file (across all batches) may not add up to more.
    pub size: u64,
}

/// One row of a file, registered as its own contribution.
#[cw_serde]
pub struct RowUpload {
    /// sha256 of the row's bytes (32 bytes); unique within the Datanet.
    pub content_hash: HexBinary,
    /// Size of the row in bytes (at least 1).
    pub size: u64,
    /// Where the row's bytes live (e.g. `ipfs://…`), 1..=512 characters.
    pub uri: String,
}

/// Messages carried in a CW20 `Send` of OPEN to this contract.
#[cw_serde]
pub enum ReceiveMsg {
    /// Draft → Published: cuts version 1; the amount must equal the quoted fee.
    Publish { datanet_id: u64 },
    /// Cuts the next version over the contributions accepted since the last one.
    NewVersion { datanet_id: u64 },
    /// Adds to the sender's contributor bond on a Datanet.
    Bond { datanet_id: u64 },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(DatanetInfo)]
    Datanet { datanet_id: u64 },
    #[returns(DatanetsResponse)]
    ListDatanets {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(ContributionInfo)]
    Contribution { contribution_id: u64 },
    #[returns(ContributionsResponse)]
    ListContributions {
        datanet_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(ContributionsResponse)]
    ContributionsByContributor {
        contributor: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(VersionInfo)]
    Version { datanet_id: u64, version: u32 },
    #[returns(VersionsResponse)]
    ListVersions {
        datanet_id: u64,
        start_after: Option<u32>,
        limit: Option<u32>,
    },
    /// A contributor's weight in a version (Σ validation scores of their accepted rows).
    #[returns(ContributorShareResponse)]
    ContributorShare {
        datanet_id: u64,
        version: u32,
        contributor: String,
    },
    /// Who is paid for each of `contribution_ids` in Datanet version (`datanet_id`, `version`):
    /// its contributor and reward multiplier, or `None` for an id that is not an accepted row of
    /// that version. At most [`MAX_PAYEE_IDS`] ids; answers in the order asked.
    #[returns(ContributionPayeesResponse)]
    ContributionPayees {
        datanet_id: u64,
        version: u32,
        contribution_ids: Vec<u64>,
    },
    /// Fee the next `Publish` / `NewVersion` costs.
    #[returns(FeeResponse)]
    PublishFee { datanet_id: u64 },
    #[returns(BondResponse)]
    Bond {
        datanet_id: u64,
        contributor: String,
    },
    #[returns(PenaltyResponse)]
    Penalty { contributor: String },
    #[returns(AccessResponse)]
    Access { datanet_id: u64, grantee: String },
    #[returns(ApprovalResponse)]
    ContributorApproval {
        datanet_id: u64,
        contributor: String,
    },
    #[returns(UploadUsageResponse)]
    UploadUsage { address: String, datanet_id: u64 },
    /// What `contributor` has uploaded today (UTC day of the block time) and the limits it
    /// counts against, so a client can refuse rows before sending them.
    #[returns(QuotaResponse)]
    Quota {
        datanet_id: u64,
        contributor: String,
    },
    /// The contribution id registered for each of `content_hashes` in the Datanet, in the order
    /// asked (`None`: not registered). At most [`MAX_ROWS_PER_BATCH`] hashes of 32 bytes each.
    #[returns(ContributionsByHashResponse)]
    ContributionsByHash {
        datanet_id: u64,
        content_hashes: Vec<HexBinary>,
    },
    /// Bytes of rows `contributor` has registered so far in Datanet `datanet_id` under the file
    /// with this sha256, so an interrupted upload can resume.
    #[returns(FileProgressResponse)]
    FileProgress {
        datanet_id: u64,
        contributor: String,
        sha256: HexBinary,
    },
    /// Per-contributor counts on a Datanet (leaderboard input: acceptance rate, bytes, weight).
    #[returns(ContributorStats)]
    ContributorStats {
        datanet_id: u64,
        contributor: String,
    },
    #[returns(ContributorsResponse)]
    ListContributors {
        datanet_id: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub open_token: Addr,
    pub fee_collector: Addr,
    pub params: DatanetParams,
}

#[cw_serde]
pub struct DatanetInfo {
    pub id: u64,
    pub owner: Addr,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub kind: DatanetKind,
    pub license: String,
    pub policy: ContributionPolicy,
    pub min_validation_score_bps: u64,
    pub status: DatanetStatus,
    /// Latest cut version (0 while Draft).
    pub version: u32,
    pub curators: Vec<Addr>,
    pub accepted_count: u64,
    pub accepted_bytes: u64,
    /// Bytes accepted since the last version (priced by the next `Publish`/`NewVersion`).
    pub pending_bytes: u64,
    pub pending_count: u64,
    pub created_at: Timestamp,
}

#[cw_serde]
pub struct DatanetsResponse {
    pub datanets: Vec<DatanetInfo>,
}

#[cw_serde]
pub struct ContributionInfo {
    pub id: u64,
    pub datanet_id: u64,
    pub contributor: Addr,
    pub content_hash: HexBinary,
    pub size: u64,
    pub uri: String,
    pub license: String,
    pub status: ContributionStatus,
    pub validation_score_bps: u64,
    pub reviewer: Option<Addr>,
    pub created_at: Timestamp,
    /// First version whose Merkle root includes this contribution.
    pub version: Option<u32>,
    /// Position among the Datanet's accepted contributions, in acceptance order: the leaf
    /// index in its versions' Merkle trees, so anyone can rebuild a version's root.
    #[serde(default)]
    pub leaf_index: Option<u64>,
}

#[cw_serde]
pub struct ContributionsResponse {
    pub contributions: Vec<ContributionInfo>,
}

#[cw_serde]
pub struct VersionInfo {
    pub datanet_id: u64,
    pub version: u32,
    /// Root of the incremental Merkle tree over accepted content hashes (see `merkle`).
    pub merkle_root: HexBinary,
    pub leaf_count: u64,
    pub total_bytes: u64,
    /// Σ contributor weights in this version.
    pub total_weight: Uint128,
    pub fee_paid: Uint128,
    pub created_at: Timestamp,
    pub height: u64,
}

#[cw_serde]
pub struct VersionsResponse {
    pub versions: Vec<VersionInfo>,
}

/// The most ids one `ContributionPayees` query resolves (and so the largest governable K of the
/// escrow's `max_contributions`).
pub const MAX_PAYEE_IDS: usize = 256;

#[cw_serde]
pub struct ContributionPayee {
    pub contribution_id: u64,
    /// `None`: not an accepted row of the version asked about.
    pub contributor: Option<Addr>,
    /// Current reward multiplier of the contributor (10 000 unless penalised; 0 when
    /// `contributor` is `None`).
    pub reward_multiplier_bps: u64,
}

#[cw_serde]
pub struct ContributionPayeesResponse {
    pub payees: Vec<ContributionPayee>,
}

#[cw_serde]
pub struct ContributorShareResponse {
    pub weight: Uint128,
    pub total_weight: Uint128,
    /// Current reward multiplier (10 000 unless the penalty score reached the threshold).
    pub reward_multiplier_bps: u64,
}

#[cw_serde]
pub struct FeeResponse {
    pub fee: Uint128,
    pub pending_bytes: u64,
}

#[cw_serde]
pub struct BondResponse {
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub release_at: Option<Timestamp>,
}

#[cw_serde]
pub struct PenaltyResponse {
    pub score: u64,
    pub reward_multiplier_bps: u64,
}

#[cw_serde]
pub struct AccessResponse {
    pub status: Option<AccessStatus>,
    pub expires_at: Option<u64>,
    pub purpose: Option<String>,
    /// Whether the grantee may train on the Datanet now (owner always may).
    pub has_access: bool,
}

#[cw_serde]
pub struct ApprovalResponse {
    pub status: Option<ApprovalStatus>,
}

#[cw_serde]
#[derive(Default)]
pub struct ContributorStats {
    pub submitted: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub accepted_bytes: u64,
    /// Σ validation scores of accepted contributions (the weight of the next version).
    pub weight: Uint128,
    /// `accepted × 10 000 / (accepted + rejected)`; 0 before any review.
    pub acceptance_rate_bps: u64,
}

#[cw_serde]
pub struct ContributorEntry {
    pub contributor: Addr,
    pub stats: ContributorStats,
}

#[cw_serde]
pub struct ContributorsResponse {
    pub contributors: Vec<ContributorEntry>,
}

#[cw_serde]
pub struct UploadUsageResponse {
    pub day: u64,
    pub user_bytes: u64,
    pub user_files: u32,
    pub datanet_bytes: u64,
}

#[cw_serde]
pub struct QuotaResponse {
    /// Current UTC day (unix seconds / 86 400) the counters below belong to.
    pub day: u64,
    /// Start of the next UTC day, when the counters reset.
    pub resets_at: Timestamp,
    /// Bytes the contributor uploaded today (all Datanets).
    pub user_bytes: u64,
    /// Files the contributor uploaded today (all Datanets): one per `Contribute`, one per file
    /// of `ContributeRows`.
    pub user_files: u32,
    /// Bytes uploaded to this Datanet today (all contributors).
    pub datanet_bytes: u64,
    /// Largest single file or contribution.
    pub max_contribution_bytes: u64,
    pub daily_bytes_per_user: u64,
    pub daily_files_per_user: u32,
    pub daily_bytes_per_datanet: u64,
}

#[cw_serde]
pub struct ContributionsByHashResponse {
    /// One entry per hash asked, in order: its contribution id, or `None` if not registered.
    pub ids: Vec<Option<u64>>,
}

#[cw_serde]
pub struct FileProgressResponse {
    /// Σ sizes of the rows registered under the file so far.
    pub bytes: u64,
}

/// Typed handle to a `datanet-registry` contract.
#[cw_serde]
pub struct DatanetRegistry(pub Addr);

impl DatanetRegistry {
    pub fn addr(&self) -> &Addr {
        &self.0
    }
    pub fn datanet(&self, q: &QuerierWrapper, datanet_id: u64) -> StdResult<DatanetInfo> {
        q.query_wasm_smart(&self.0, &QueryMsg::Datanet { datanet_id })
    }
    pub fn version(
        &self,
        q: &QuerierWrapper,
        datanet_id: u64,
        version: u32,
    ) -> StdResult<VersionInfo> {
        q.query_wasm_smart(
            &self.0,
            &QueryMsg::Version {
                datanet_id,
                version,
            },
        )
    }
    pub fn contributor_share(
        &self,
        q: &QuerierWrapper,
        datanet_id: u64,
        version: u32,
        contributor: &Addr,
    ) -> StdResult<ContributorShareResponse> {
        q.query_wasm_smart(
            &self.0,
            &QueryMsg::ContributorShare {
                datanet_id,
                version,
                contributor: contributor.to_string(),
            },
        )
    }
    pub fn contribution_payees(
        &self,
        q: &QuerierWrapper,
        datanet_id: u64,
        version: u32,
        contribution_ids: Vec<u64>,
    ) -> StdResult<Vec<ContributionPayee>> {
        let r: ContributionPayeesResponse = q.query_wasm_smart(
            &self.0,
            &QueryMsg::ContributionPayees {
                datanet_id,
                version,
                contribution_ids,
            },
        )?;
        Ok(r.payees)
    }
    pub fn has_access(
        &self,
        q: &QuerierWrapper,
        datanet_id: u64,
        grantee: &Addr,
    ) -> StdResult<bool> {
        let r: AccessResponse = q.query_wasm_smart(
            &self.0,
            &QueryMsg::Access {
                datanet_id,
                grantee: grantee.to_string(),
            },
        )?;
        Ok(r.has_access)
    }
}
