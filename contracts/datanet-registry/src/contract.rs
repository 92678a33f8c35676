#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, Order,
    Response, StdError, StdResult, Timestamp,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw_storage_plus::Bound;
use openledger_types::{check_hash32, page_limit, BPS, MAX_DURATION_SECONDS};

use crate::bonds::{execute_bond, execute_claim_unbonded, execute_slash, execute_unbond};
use crate::contributions::{
    execute_contribute, execute_contribute_rows, execute_review_contribution, DAY_SECONDS,
};
use crate::error::ContractError;
use crate::msg::*;
use crate::state::*;
use crate::versions::{execute_cut_version, quote_fee};

pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

const MAX_CURATORS: usize = 20;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    validate_params(&msg.params)?;
    let cfg = Config {
        governance: deps.api.addr_validate(&msg.governance)?,
        open_token: deps.api.addr_validate(&msg.open_token)?,
        fee_collector: deps.api.addr_validate(&msg.fee_collector)?,
        params: msg.params,
    };
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("governance", cfg.governance))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    // No entry point takes native coins (OPEN moves as CW20); refuse them instead of locking them.
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::CreateDatanet {
            name,
            summary,
            description,
            tags,
            kind,
            license,
            policy,
            min_validation_score_bps,
        } => execute_create_datanet(
            deps,
            env,
            info,
            name,
            summary,
            description,
            tags,
            kind,
            license,
            policy,
            min_validation_score_bps,
        ),
        ExecuteMsg::UpdateMetadata {
            datanet_id,
            summary,
            description,
            tags,
        } => execute_update_metadata(deps, info, datanet_id, summary, description, tags),
        ExecuteMsg::SetCurator {
            datanet_id,
            curator,
            enabled,
        } => execute_set_curator(deps, info, datanet_id, curator, enabled),
        ExecuteMsg::RequestToContribute { datanet_id } => {
            execute_request_to_contribute(deps, info, datanet_id)
        }
        ExecuteMsg::SetContributorApproval {
            datanet_id,
            contributor,
            approved,
        } => execute_set_contributor_approval(deps, info, datanet_id, contributor, approved),
        ExecuteMsg::Contribute {
            datanet_id,
            content_hash,
            size,
            uri,
            license,
        } => execute_contribute(
            deps,
            env,
            info,
            datanet_id,
            content_hash,
            size,
            uri,
            license,
        ),
        ExecuteMsg::ContributeRows {
            datanet_id,
            file,
            rows,
            license,
        } => execute_contribute_rows(deps, env, info, datanet_id, file, rows, license),
        ExecuteMsg::ReviewContribution {
            contribution_id,
            accept,
            validation_score_bps,
        } => execute_review_contribution(deps, info, contribution_id, accept, validation_score_bps),
        ExecuteMsg::Receive(wrapper) => execute_receive(deps, env, info, wrapper),
        ExecuteMsg::Unbond { datanet_id, amount } => {
            execute_unbond(deps, env, info, datanet_id, amount)
        }
        ExecuteMsg::ClaimUnbonded { datanet_id } => {
            execute_claim_unbonded(deps, env, info, datanet_id)
        }
        ExecuteMsg::Slash {
            datanet_id,
            contributor,
            fraction_bps,
            penalty_points,
            reason,
        } => execute_slash(
            deps,
            info,
            datanet_id,
            contributor,
            fraction_bps,
            penalty_points,
            reason,
        ),
        ExecuteMsg::RequestAccess {
            datanet_id,
            purpose,
        } => execute_request_access(deps, env, info, datanet_id, purpose),
        ExecuteMsg::GrantAccess {
            datanet_id,
            grantee,
            expires_at,
        } => execute_grant_access(deps, env, info, datanet_id, grantee, expires_at),
        ExecuteMsg::RevokeAccess {
            datanet_id,
            grantee,
        } => execute_revoke_access(deps, info, datanet_id, grantee),
        ExecuteMsg::UpdateParams { params } => execute_update_params(deps, info, params),
        ExecuteMsg::UpdateFeeCollector { fee_collector } => {
            let mut cfg = CONFIG.load(deps.storage)?;
            if info.sender != cfg.governance {
                return Err(ContractError::Unauthorized {});
            }
            cfg.fee_collector = deps.api.addr_validate(&fee_collector)?;
            CONFIG.save(deps.storage, &cfg)?;
            Ok(Response::new()
                .add_attribute("action", "update_fee_collector")
                .add_attribute("fee_collector", fee_collector))
        }
        ExecuteMsg::UpdateGovernance { governance } => {
            execute_update_governance(deps, info, governance)
        }
    }
}

pub fn execute_receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    wrapper: cw20::Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.open_token {
        return Err(ContractError::WrongToken {});
    }
    let sender = deps.api.addr_validate(&wrapper.sender)?;
    match from_json(&wrapper.msg)? {
        ReceiveMsg::Publish { datanet_id } => {
            execute_cut_version(deps, env, cfg, sender, wrapper.amount, datanet_id, true)
        }
        ReceiveMsg::NewVersion { datanet_id } => {
            execute_cut_version(deps, env, cfg, sender, wrapper.amount, datanet_id, false)
        }
        ReceiveMsg::Bond { datanet_id } => execute_bond(deps, sender, wrapper.amount, datanet_id),
    }
}

/// Upper bound on `max_contribution_bytes` (1 TiB): declared sizes are summed into u64 totals.
pub const MAX_CONTRIBUTION_BYTES: u64 = 1 << 40;

pub(crate) fn validate_params(p: &DatanetParams) -> Result<(), ContractError> {
    if p.penalized_reward_bps > BPS {
        return Err(ContractError::invalid("penalized_reward_bps > 10000"));
    }
    if p.max_contribution_bytes == 0 || p.daily_files_per_user == 0 {
        return Err(ContractError::invalid("limits must be positive"));
    }
    // sizes are declared by contributors and summed per Datanet and per day
    if p.max_contribution_bytes > MAX_CONTRIBUTION_BYTES {
        return Err(ContractError::invalid(format!(
            "max_contribution_bytes must be at most {MAX_CONTRIBUTION_BYTES}"
        )));
    }
    // `release_at = now + bond_unbonding_seconds` must not overflow
    if p.bond_unbonding_seconds > MAX_DURATION_SECONDS {
        return Err(ContractError::invalid(format!(
            "bond_unbonding_seconds must be at most {MAX_DURATION_SECONDS}"
        )));
    }
    Ok(())
}

fn check_len(what: &str, s: &str, min: usize, max: usize) -> Result<(), ContractError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ContractError::invalid(format!(
            "{what} must be {min}..={max} characters"
        )));
    }
    Ok(())
}

pub(crate) fn validate_text(
    what: &str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<(), ContractError> {
    check_len(what, s, min, max)
}

fn validate_tags(tags: &[String]) -> Result<(), ContractError> {
    if tags.len() > 10 {
        return Err(ContractError::invalid("at most 10 tags"));
    }
    for t in tags {
        check_len("tag", t, 1, 32)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn execute_create_datanet(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    name: String,
    summary: String,
    description: String,
    tags: Vec<String>,
    kind: DatanetKind,
    license: String,
    policy: ContributionPolicy,
    min_validation_score_bps: u64,
) -> Result<Response, ContractError> {
    check_len("name", &name, 1, 64)?;
    check_len("summary", &summary, 0, 280)?;
    check_len("description", &description, 0, 8192)?;
    check_len("license", &license, 1, 64)?;
    validate_tags(&tags)?;
    if min_validation_score_bps > BPS {
        return Err(ContractError::invalid("min_validation_score_bps > 10000"));
    }
    let policy = match policy {
        ContributionPolicy::Allowlist { group } => ContributionPolicy::Allowlist {
            group: deps.api.addr_validate(&group)?.to_string(),
        },
        p => p,
    };
    let id = next_id(deps.storage, &DATANET_SEQ)?;
    let dn = DatanetInfo {
        id,
        owner: info.sender.clone(),
        name,
        summary,
        description,
        tags,
        kind,
        license,
        policy,
        min_validation_score_bps,
        status: DatanetStatus::Draft,
        version: 0,
        curators: vec![],
        accepted_count: 0,
        accepted_bytes: 0,
        pending_bytes: 0,
        pending_count: 0,
        created_at: env.block.time,
    };
    DATANETS.save(deps.storage, id, &dn)?;
    Ok(Response::new()
        .add_attribute("action", "create_datanet")
        .add_attribute("datanet_id", id.to_string())
        .add_attribute("owner", info.sender))
}

fn load_owned(deps: Deps, sender: &Addr, id: u64) -> Result<DatanetInfo, ContractError> {
    let dn = load_datanet(deps.storage, id)?;
    if dn.owner != sender {
        return Err(ContractError::Unauthorized {});
    }
    Ok(dn)
}

pub fn execute_update_metadata(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
    summary: Option<String>,
    description: Option<String>,
    tags: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    let mut dn = load_owned(deps.as_ref(), &info.sender, datanet_id)?;
    if let Some(s) = summary {
        check_len("summary", &s, 0, 280)?;
        dn.summary = s;
    }
    if let Some(d) = description {
        check_len("description", &d, 0, 8192)?;
        dn.description = d;
    }
    if let Some(t) = tags {
        validate_tags(&t)?;
        dn.tags = t;
    }
    DATANETS.save(deps.storage, datanet_id, &dn)?;
    Ok(Response::new()
        .add_attribute("action", "update_metadata")
        .add_attribute("datanet_id", datanet_id.to_string()))
}

pub fn execute_set_curator(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
    curator: String,
    enabled: bool,
) -> Result<Response, ContractError> {
    let mut dn = load_owned(deps.as_ref(), &info.sender, datanet_id)?;
    let curator = deps.api.addr_validate(&curator)?;
    dn.curators.retain(|c| c != curator);
    if enabled {
        if dn.curators.len() >= MAX_CURATORS {
            return Err(ContractError::invalid("too many curators"));
        }
        dn.curators.push(curator.clone());
    }
    DATANETS.save(deps.storage, datanet_id, &dn)?;
    Ok(Response::new()
        .add_attribute("action", "set_curator")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("curator", curator)
        .add_attribute("enabled", enabled.to_string()))
}

pub fn execute_request_to_contribute(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
) -> Result<Response, ContractError> {
    let dn = load_datanet(deps.storage, datanet_id)?;
    if dn.policy != ContributionPolicy::OwnerApproval {
        return Err(ContractError::WrongPolicy {});
    }
    let key = (datanet_id, &info.sender);
    if APPROVALS.may_load(deps.storage, key)? != Some(ApprovalStatus::Approved) {
        APPROVALS.save(deps.storage, key, &ApprovalStatus::Requested)?;
    }
    Ok(Response::new()
        .add_attribute("action", "request_to_contribute")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", info.sender))
}

pub fn execute_set_contributor_approval(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
    contributor: String,
    approved: bool,
) -> Result<Response, ContractError> {
    let dn = load_owned(deps.as_ref(), &info.sender, datanet_id)?;
    if dn.policy != ContributionPolicy::OwnerApproval {
        return Err(ContractError::WrongPolicy {});
    }
    let contributor = deps.api.addr_validate(&contributor)?;
    if approved {
        APPROVALS.save(
            deps.storage,
            (datanet_id, &contributor),
            &ApprovalStatus::Approved,
        )?;
    } else {
        APPROVALS.remove(deps.storage, (datanet_id, &contributor));
    }
    Ok(Response::new()
        .add_attribute("action", "set_contributor_approval")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", contributor)
        .add_attribute("approved", approved.to_string()))
}

pub fn execute_request_access(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    datanet_id: u64,
    purpose: String,
) -> Result<Response, ContractError> {
    load_datanet(deps.storage, datanet_id)?;
    check_len("purpose", &purpose, 1, 512)?;
    let key = (datanet_id, &info.sender);
    if let Some(e) = ACCESS.may_load(deps.storage, key)? {
        if access_live(&e, env.block.time.seconds()) {
            return Err(ContractError::invalid("access already granted"));
        }
    }
    ACCESS.save(
        deps.storage,
        key,
        &AccessEntry {
            status: AccessStatus::Requested,
            expires_at: None,
            purpose,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "request_access")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("grantee", info.sender))
}

fn access_live(e: &AccessEntry, now: u64) -> bool {
    e.status == AccessStatus::Granted && e.expires_at.is_none_or(|t| now < t)
}

fn owner_or_governance(
    deps: Deps,
    sender: &Addr,
    datanet_id: u64,
) -> Result<DatanetInfo, ContractError> {
    let dn = load_datanet(deps.storage, datanet_id)?;
    let cfg = CONFIG.load(deps.storage)?;
    if dn.owner != sender && cfg.governance != sender {
        return Err(ContractError::Unauthorized {});
    }
    Ok(dn)
}

pub fn execute_grant_access(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    datanet_id: u64,
    grantee: String,
    expires_at: Option<u64>,
) -> Result<Response, ContractError> {
    owner_or_governance(deps.as_ref(), &info.sender, datanet_id)?;
    let grantee = deps.api.addr_validate(&grantee)?;
    if let Some(t) = expires_at {
        if t <= env.block.time.seconds() {
            return Err(ContractError::invalid("expires_at is in the past"));
        }
    }
    let key = (datanet_id, &grantee);
    let purpose = ACCESS
        .may_load(deps.storage, key)?
        .map(|e| e.purpose)
        .unwrap_or_default();
    ACCESS.save(
        deps.storage,
        key,
        &AccessEntry {
            status: AccessStatus::Granted,
            expires_at,
            purpose,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "grant_access")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("grantee", grantee)
        .add_attribute(
            "expires_at",
            expires_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "never".into()),
        ))
}

pub fn execute_revoke_access(
    deps: DepsMut,
    info: MessageInfo,
    datanet_id: u64,
    grantee: String,
) -> Result<Response, ContractError> {
    owner_or_governance(deps.as_ref(), &info.sender, datanet_id)?;
    let grantee = deps.api.addr_validate(&grantee)?;
    let key = (datanet_id, &grantee);
    let mut e = ACCESS
        .may_load(deps.storage, key)?
        .ok_or_else(|| ContractError::invalid("no access entry"))?;
    e.status = AccessStatus::Revoked;
    ACCESS.save(deps.storage, key, &e)?;
    Ok(Response::new()
        .add_attribute("action", "revoke_access")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("grantee", grantee))
}

pub fn execute_update_params(
    deps: DepsMut,
    info: MessageInfo,
    params: DatanetParams,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance {
        return Err(ContractError::Unauthorized {});
    }
    validate_params(&params)?;
    cfg.params = params;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new().add_attribute("action", "update_params"))
}

pub fn execute_update_governance(
    deps: DepsMut,
    info: MessageInfo,
    governance: String,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.governance {
        return Err(ContractError::Unauthorized {});
    }
    cfg.governance = deps.api.addr_validate(&governance)?;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "update_governance")
        .add_attribute("governance", governance))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&query_config(deps)?),
        QueryMsg::Datanet { datanet_id } => {
            to_json_binary(&DATANETS.load(deps.storage, datanet_id)?)
        }
        QueryMsg::ListDatanets { start_after, limit } => {
            to_json_binary(&query_list_datanets(deps, start_after, limit)?)
        }
        QueryMsg::Contribution { contribution_id } => {
            to_json_binary(&contributions().load(deps.storage, contribution_id)?)
        }
        QueryMsg::ListContributions {
            datanet_id,
            start_after,
            limit,
        } => to_json_binary(&query_list_contributions(
            deps,
            datanet_id,
            start_after,
            limit,
        )?),
        QueryMsg::ContributionsByContributor {
            contributor,
            start_after,
            limit,
        } => to_json_binary(&query_contributions_by_contributor(
            deps,
            contributor,
            start_after,
            limit,
        )?),
        QueryMsg::Version {
            datanet_id,
            version,
        } => to_json_binary(&VERSIONS.load(deps.storage, (datanet_id, version))?),
        QueryMsg::ListVersions {
            datanet_id,
            start_after,
            limit,
        } => to_json_binary(&query_list_versions(deps, datanet_id, start_after, limit)?),
        QueryMsg::ContributorShare {
            datanet_id,
            version,
            contributor,
        } => to_json_binary(&query_contributor_share(
            deps,
            datanet_id,
            version,
            contributor,
        )?),
        QueryMsg::ContributionPayees {
            datanet_id,
            version,
            contribution_ids,
        } => to_json_binary(&query_contribution_payees(
            deps,
            datanet_id,
            version,
            contribution_ids,
        )?),
        QueryMsg::PublishFee { datanet_id } => {
            to_json_binary(&query_publish_fee(deps, datanet_id)?)
        }
        QueryMsg::Bond {
            datanet_id,
            contributor,
        } => to_json_binary(&query_bond(deps, datanet_id, contributor)?),
        QueryMsg::Penalty { contributor } => to_json_binary(&query_penalty(deps, contributor)?),
        QueryMsg::Access {
            datanet_id,
            grantee,
        } => to_json_binary(&query_access(deps, env, datanet_id, grantee)?),
        QueryMsg::ContributorApproval {
            datanet_id,
            contributor,
        } => {
            let a = deps.api.addr_validate(&contributor)?;
            to_json_binary(&ApprovalResponse {
                status: APPROVALS.may_load(deps.storage, (datanet_id, &a))?,
            })
        }
        QueryMsg::UploadUsage {
            address,
            datanet_id,
        } => to_json_binary(&query_upload_usage(deps, env, address, datanet_id)?),
        QueryMsg::Quota {
            datanet_id,
            contributor,
        } => to_json_binary(&query_quota(deps, env, datanet_id, contributor)?),
        QueryMsg::ContributionsByHash {
            datanet_id,
            content_hashes,
        } => to_json_binary(&query_contributions_by_hash(
            deps,
            datanet_id,
            content_hashes,
        )?),
        QueryMsg::FileProgress {
            datanet_id,
            contributor,
            sha256,
        } => to_json_binary(&query_file_progress(deps, datanet_id, contributor, sha256)?),
        QueryMsg::ContributorStats {
            datanet_id,
            contributor,
        } => {
            let who = deps.api.addr_validate(&contributor)?;
            to_json_binary(
                &STATS
                    .may_load(deps.storage, (datanet_id, &who))?
                    .unwrap_or_default(),
            )
        }
        QueryMsg::ListContributors {
            datanet_id,
            start_after,
            limit,
        } => to_json_binary(&query_list_contributors(
            deps,
            datanet_id,
            start_after,
            limit,
        )?),
    }
}

pub fn query_config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        governance: c.governance,
        open_token: c.open_token,
        fee_collector: c.fee_collector,
        params: c.params,
    })
}

pub fn query_list_datanets(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<DatanetsResponse> {
    let datanets = DATANETS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, d)| d))
        .collect::<StdResult<_>>()?;
    Ok(DatanetsResponse { datanets })
}

pub fn query_list_contributions(
    deps: Deps,
    datanet_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ContributionsResponse> {
    let contributions = contributions()
        .idx
        .datanet
        .prefix(datanet_id)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, c)| c))
        .collect::<StdResult<_>>()?;
    Ok(ContributionsResponse { contributions })
}

pub fn query_contributions_by_contributor(
    deps: Deps,
    contributor: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ContributionsResponse> {
    let who = deps.api.addr_validate(&contributor)?;
    let contributions = contributions()
        .idx
        .contributor
        .prefix(who)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, c)| c))
        .collect::<StdResult<_>>()?;
    Ok(ContributionsResponse { contributions })
}

pub fn query_list_versions(
    deps: Deps,
    datanet_id: u64,
    start_after: Option<u32>,
    limit: Option<u32>,
) -> StdResult<VersionsResponse> {
    let versions = VERSIONS
        .prefix(datanet_id)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(_, v)| v))
        .collect::<StdResult<_>>()?;
    Ok(VersionsResponse { versions })
}

pub fn query_contributor_share(
    deps: Deps,
    datanet_id: u64,
    version: u32,
    contributor: String,
) -> StdResult<ContributorShareResponse> {
    let who = deps.api.addr_validate(&contributor)?;
    let v = VERSIONS.load(deps.storage, (datanet_id, version))?;
    let cfg = CONFIG.load(deps.storage)?;
    let score = PENALTIES.may_load(deps.storage, &who)?.unwrap_or_default();
    Ok(ContributorShareResponse {
        weight: weight_at(deps.storage, datanet_id, &who, version)?,
        total_weight: v.total_weight,
        reward_multiplier_bps: reward_multiplier(&cfg.params, score),
    })
}

/// Who is paid for each of `contribution_ids` in version `version` of Datanet `datanet_id`:
/// `contributor` is `Some` iff the contribution exists, belongs to `datanet_id`, is Accepted and
/// its first version is ≤ `version` (its content hash is a leaf of that version's Merkle root);
/// then `reward_multiplier_bps` is the contributor's current multiplier (as `ContributorShare`
/// computes it), else 0. At most [`MAX_PAYEE_IDS`] ids; an unknown version is an error.
pub fn query_contribution_payees(
    deps: Deps,
    datanet_id: u64,
    version: u32,
    contribution_ids: Vec<u64>,
) -> StdResult<ContributionPayeesResponse> {
    if contribution_ids.len() > MAX_PAYEE_IDS {
        return Err(StdError::generic_err(format!(
            "at most {MAX_PAYEE_IDS} contribution ids per query, got {}",
            contribution_ids.len()
        )));
    }
    if !VERSIONS.has(deps.storage, (datanet_id, version)) {
        return Err(StdError::generic_err(
            ContractError::VersionNotFound {
                id: datanet_id,
                version,
            }
            .to_string(),
        ));
    }
    let cfg = CONFIG.load(deps.storage)?;
    let payees = contribution_ids
        .into_iter()
        .map(|contribution_id| -> StdResult<ContributionPayee> {
            let payee = contributions()
                .may_load(deps.storage, contribution_id)?
                .filter(|c| {
                    c.datanet_id == datanet_id
                        && c.status == ContributionStatus::Accepted
                        && c.version.is_some_and(|first| first <= version)
                })
                .map(|c| c.contributor);
            let reward_multiplier_bps = match &payee {
                Some(who) => {
                    let score = PENALTIES.may_load(deps.storage, who)?.unwrap_or_default();
                    reward_multiplier(&cfg.params, score)
                }
                None => 0,
            };
            Ok(ContributionPayee {
                contribution_id,
                contributor: payee,
                reward_multiplier_bps,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(ContributionPayeesResponse { payees })
}

pub fn query_publish_fee(deps: Deps, datanet_id: u64) -> StdResult<FeeResponse> {
    let dn = DATANETS.load(deps.storage, datanet_id)?;
    let cfg = CONFIG.load(deps.storage)?;
    Ok(FeeResponse {
        fee: quote_fee(&cfg.params, dn.pending_bytes)?,
        pending_bytes: dn.pending_bytes,
    })
}

pub fn query_bond(deps: Deps, datanet_id: u64, contributor: String) -> StdResult<BondResponse> {
    let who = deps.api.addr_validate(&contributor)?;
    let b = BONDS
        .may_load(deps.storage, (datanet_id, &who))?
        .unwrap_or_default();
    Ok(BondResponse {
        bonded: b.bonded,
        unbonding: b.unbonding,
        release_at: b.release_at,
    })
}

pub fn query_penalty(deps: Deps, contributor: String) -> StdResult<PenaltyResponse> {
    let who = deps.api.addr_validate(&contributor)?;
    let cfg = CONFIG.load(deps.storage)?;
    let score = PENALTIES.may_load(deps.storage, &who)?.unwrap_or_default();
    Ok(PenaltyResponse {
        score,
        reward_multiplier_bps: reward_multiplier(&cfg.params, score),
    })
}

pub fn query_access(
    deps: Deps,
    env: Env,
    datanet_id: u64,
    grantee: String,
) -> StdResult<AccessResponse> {
    let who = deps.api.addr_validate(&grantee)?;
    let dn = DATANETS.load(deps.storage, datanet_id)?;
    let e = ACCESS.may_load(deps.storage, (datanet_id, &who))?;
    let now = env.block.time.seconds();
    Ok(AccessResponse {
        status: e.as_ref().map(|e| e.status),
        expires_at: e.as_ref().and_then(|e| e.expires_at),
        purpose: e.as_ref().map(|e| e.purpose.clone()),
        has_access: dn.owner == who || e.as_ref().is_some_and(|e| access_live(e, now)),
    })
}

pub fn query_list_contributors(
    deps: Deps,
    datanet_id: u64,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<ContributorsResponse> {
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let contributors = STATS
        .prefix(datanet_id)
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(contributor, stats)| ContributorEntry { contributor, stats }))
        .collect::<StdResult<_>>()?;
    Ok(ContributorsResponse { contributors })
}

pub fn query_upload_usage(
    deps: Deps,
    env: Env,
    address: String,
    datanet_id: u64,
) -> StdResult<UploadUsageResponse> {
    let who = deps.api.addr_validate(&address)?;
    let day = env.block.time.seconds() / 86_400;
    let (user_bytes, user_files) = USER_DAY
        .may_load(deps.storage, (&who, day))?
        .unwrap_or_default();
    let datanet_bytes = DATANET_DAY
        .may_load(deps.storage, (datanet_id, day))?
        .unwrap_or_default();
    Ok(UploadUsageResponse {
        day,
        user_bytes,
        user_files,
        datanet_bytes,
    })
}

/// Today's upload counters of `contributor` and of the Datanet, with the limits they count
/// against (what `Contribute` / `ContributeRows` would check now).
pub fn query_quota(
    deps: Deps,
    env: Env,
    datanet_id: u64,
    contributor: String,
) -> StdResult<QuotaResponse> {
    let who = deps.api.addr_validate(&contributor)?;
    if !DATANETS.has(deps.storage, datanet_id) {
        return Err(StdError::generic_err(
            ContractError::DatanetNotFound { id: datanet_id }.to_string(),
        ));
    }
    let p = CONFIG.load(deps.storage)?.params;
    let day = env.block.time.seconds() / DAY_SECONDS;
    let (user_bytes, user_files) = USER_DAY
        .may_load(deps.storage, (&who, day))?
        .unwrap_or_default();
    let datanet_bytes = DATANET_DAY
        .may_load(deps.storage, (datanet_id, day))?
        .unwrap_or_default();
    // checked: `Timestamp::from_seconds` would panic past u64 nanoseconds
    let resets_at = (day + 1)
        .checked_mul(DAY_SECONDS * 1_000_000_000)
        .map(Timestamp::from_nanos)
        .ok_or_else(|| StdError::generic_err("block time out of range"))?;
    Ok(QuotaResponse {
        day,
        resets_at,
        user_bytes,
        user_files,
        datanet_bytes,
        max_contribution_bytes: p.max_contribution_bytes,
        daily_bytes_per_user: p.daily_bytes_per_user,
        daily_files_per_user: p.daily_files_per_user,
        daily_bytes_per_datanet: p.daily_bytes_per_datanet,
    })
}

/// Contribution id of each content hash in the Datanet, in the order asked: lets a client drop
/// rows already registered before it sends a batch.
pub fn query_contributions_by_hash(
    deps: Deps,
    datanet_id: u64,
    content_hashes: Vec<HexBinary>,
) -> StdResult<ContributionsByHashResponse> {
    if content_hashes.len() > MAX_ROWS_PER_BATCH {
        return Err(StdError::generic_err(format!(
            "at most {MAX_ROWS_PER_BATCH} content hashes per query, got {}",
            content_hashes.len()
        )));
    }
    let ids = content_hashes
        .iter()
        .map(|hash| {
            check_hash32(hash, "content_hash")?;
            CONTENT_HASHES.may_load(deps.storage, (datanet_id, hash.as_slice()))
        })
        .collect::<StdResult<_>>()?;
    Ok(ContributionsByHashResponse { ids })
}

pub fn query_file_progress(
    deps: Deps,
    datanet_id: u64,
    contributor: String,
    sha256: HexBinary,
) -> StdResult<FileProgressResponse> {
    let who = deps.api.addr_validate(&contributor)?;
    check_hash32(&sha256, "sha256")?;
    let bytes = FILE_BYTES
        .may_load(deps.storage, (datanet_id, &who, sha256.as_slice()))?
        .unwrap_or_default();
    Ok(FileProgressResponse { bytes })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "migrate"))
}
