use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, StdResult, Storage, Timestamp, Uint128};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use openledger_types::datanet::{
    AccessStatus, ApprovalStatus, ContributionInfo, ContributorStats, DatanetInfo, DatanetParams,
    VersionInfo,
};
use openledger_types::merkle::MerkleAccumulator;

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub open_token: Addr,
    pub fee_collector: Addr,
    pub params: DatanetParams,
}

#[cw_serde]
#[derive(Default)]
pub struct BondState {
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub release_at: Option<Timestamp>,
}

#[cw_serde]
pub struct AccessEntry {
    pub status: AccessStatus,
    pub expires_at: Option<u64>,
    pub purpose: String,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const DATANET_SEQ: Item<u64> = Item::new("datanet_seq");
pub const CONTRIBUTION_SEQ: Item<u64> = Item::new("contribution_seq");
pub const DATANETS: Map<u64, DatanetInfo> = Map::new("datanets");
/// (datanet, content hash) → contribution id: one upload per content per Datanet.
pub const CONTENT_HASHES: Map<(u64, &[u8]), u64> = Map::new("hashes");
pub const APPROVALS: Map<(u64, &Addr), ApprovalStatus> = Map::new("approvals");
/// Incremental Merkle tree over accepted content hashes, per Datanet.
pub const MERKLE: Map<u64, MerkleAccumulator> = Map::new("merkle");
pub const VERSIONS: Map<(u64, u32), VersionInfo> = Map::new("versions");
/// (datanet, contributor, v) → cumulative weight counting from version v on (checkpoints).
pub const WEIGHTS: Map<(u64, &Addr, u32), Uint128> = Map::new("weights");
/// (datanet, v) → Σ weights counting from version v on.
pub const TOTAL_WEIGHTS: Map<(u64, u32), Uint128> = Map::new("total_weights");
pub const BONDS: Map<(u64, &Addr), BondState> = Map::new("bonds");
pub const PENALTIES: Map<&Addr, u64> = Map::new("penalties");
pub const STATS: Map<(u64, &Addr), ContributorStats> = Map::new("stats");

/// Updates a contributor's counters on a Datanet.
pub fn update_stats(
    store: &mut dyn Storage,
    datanet_id: u64,
    who: &Addr,
    f: impl FnOnce(&mut ContributorStats),
) -> StdResult<()> {
    let mut st = STATS
        .may_load(store, (datanet_id, who))?
        .unwrap_or_default();
    f(&mut st);
    let reviewed = st.accepted + st.rejected;
    st.acceptance_rate_bps = (st.accepted * openledger_types::BPS)
        .checked_div(reviewed)
        .unwrap_or(0);
    STATS.save(store, (datanet_id, who), &st)
}
pub const ACCESS: Map<(u64, &Addr), AccessEntry> = Map::new("access");
/// (address, day) → (bytes, files) uploaded that day.
pub const USER_DAY: Map<(&Addr, u64), (u64, u32)> = Map::new("user_day");
/// (datanet, day) → bytes uploaded that day.
pub const DATANET_DAY: Map<(u64, u64), u64> = Map::new("datanet_day");
/// (datanet, address, file sha256) → Σ sizes of the rows registered under that file in that
/// Datanet (all batches, all days): never more than the file's declared size. Per Datanet, so
/// the same file can go to several.
pub const FILE_BYTES: Map<(u64, &Addr, &[u8]), u64> = Map::new("file_bytes");
/// (address, day, file sha256) present once the file was counted in that day's `USER_DAY`
/// files, so later batches of the same file that day are not counted again.
pub const USER_DAY_FILES: Map<(&Addr, u64, &[u8]), Empty> = Map::new("user_day_files");

pub struct ContributionIndexes<'a> {
    pub datanet: MultiIndex<'a, u64, ContributionInfo, u64>,
    pub contributor: MultiIndex<'a, Addr, ContributionInfo, u64>,
}

impl IndexList<ContributionInfo> for ContributionIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<ContributionInfo>> + '_> {
        let v: Vec<&dyn Index<ContributionInfo>> = vec![&self.datanet, &self.contributor];
        Box::new(v.into_iter())
    }
}

/// Contributions by id, indexed by Datanet and by contributor.
pub fn contributions<'a>() -> IndexedMap<u64, ContributionInfo, ContributionIndexes<'a>> {
    IndexedMap::new(
        "contribs",
        ContributionIndexes {
            datanet: MultiIndex::new(
                |_pk, c: &ContributionInfo| c.datanet_id,
                "contribs",
                "contribs__datanet",
            ),
            contributor: MultiIndex::new(
                |_pk, c: &ContributionInfo| c.contributor.clone(),
                "contribs",
                "contribs__contributor",
            ),
        },
    )
}

pub fn next_id(store: &mut dyn Storage, seq: &Item<u64>) -> StdResult<u64> {
    let id = seq.may_load(store)?.unwrap_or_default() + 1;
    seq.save(store, &id)?;
    Ok(id)
}

pub fn load_datanet(store: &dyn Storage, id: u64) -> Result<DatanetInfo, crate::ContractError> {
    DATANETS
        .may_load(store, id)?
        .ok_or(crate::ContractError::DatanetNotFound { id })
}

/// Value of a per-version checkpointed quantity at `version`: the latest checkpoint ≤ version.
pub fn weight_at(
    store: &dyn Storage,
    datanet_id: u64,
    who: &Addr,
    version: u32,
) -> StdResult<Uint128> {
    use cw_storage_plus::Bound;
    let last = WEIGHTS
        .prefix((datanet_id, who))
        .range(
            store,
            None,
            Some(Bound::inclusive(version)),
            cosmwasm_std::Order::Descending,
        )
        .next()
        .transpose()?;
    Ok(last.map(|(_, w)| w).unwrap_or_default())
}

pub fn total_weight_at(store: &dyn Storage, datanet_id: u64, version: u32) -> StdResult<Uint128> {
    use cw_storage_plus::Bound;
    let last = TOTAL_WEIGHTS
        .prefix(datanet_id)
        .range(
            store,
            None,
            Some(Bound::inclusive(version)),
            cosmwasm_std::Order::Descending,
        )
        .next()
        .transpose()?;
    Ok(last.map(|(_, w)| w).unwrap_or_default())
}

/// Reward multiplier for a penalty score.
pub fn reward_multiplier(params: &DatanetParams, score: u64) -> u64 {
    if params.penalty_threshold > 0 && score >= params.penalty_threshold {
        params.penalized_reward_bps
    } else {
        openledger_types::BPS
    }
}
