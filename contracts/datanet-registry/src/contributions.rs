//! Contributions: upload records, policy / bond / rate-limit checks, curator review.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Storage, Uint128};
use openledger_types::{check_hash32, BPS};

use crate::contract::validate_text;
use crate::error::ContractError;
use crate::msg::*;
use crate::state::*;

pub const DAY_SECONDS: u64 = 86_400;

fn may_contribute(deps: &DepsMut, dn: &DatanetInfo, who: &Addr) -> Result<(), ContractError> {
    if dn.owner == who {
        return Ok(());
    }
    let allowed = match &dn.policy {
        ContributionPolicy::Open => true,
        ContributionPolicy::Allowlist { group } => {
            let group = cw4::Cw4Contract::new(Addr::unchecked(group));
            group
                .is_member(&deps.querier, who, None)?
                .is_some_and(|w| w > 0)
        }
        ContributionPolicy::OwnerApproval => {
            APPROVALS.may_load(deps.storage, (dn.id, who))? == Some(ApprovalStatus::Approved)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ContractError::NotAllowedToContribute {})
    }
}

/// Policy and bond checks: once per message, however many rows it carries.
fn check_contributor(
    deps: &DepsMut,
    p: &DatanetParams,
    dn: &DatanetInfo,
    who: &Addr,
) -> Result<(), ContractError> {
    may_contribute(deps, dn, who)?;
    if dn.owner != who && !p.min_contributor_bond.is_zero() {
        let bonded = BONDS
            .may_load(deps.storage, (dn.id, who))?
            .unwrap_or_default()
            .bonded;
        if bonded < p.min_contributor_bond {
            return Err(ContractError::InsufficientBond {
                required: p.min_contributor_bond,
                bonded,
            });
        }
    }
    Ok(())
}

/// Per-row checks shared by `Contribute` and `ContributeRows` (sizes against the per-upload
/// limit are checked by the callers: a row is bounded by its file).
fn check_row(
    storage: &dyn Storage,
    datanet_id: u64,
    content_hash: &HexBinary,
    size: u64,
    uri: &str,
) -> Result<(), ContractError> {
    check_hash32(content_hash, "content_hash")?;
    validate_text("uri", uri, 1, 512)?;
    if size == 0 {
        return Err(ContractError::invalid("size must be at least 1 byte"));
    }
    if CONTENT_HASHES.has(storage, (datanet_id, content_hash.as_slice())) {
        return Err(ContractError::DuplicateContent {});
    }
    Ok(())
}

/// Adds `bytes` and `files` to today's counters (UTC day of the block time), refusing the
/// upload if any daily limit would be crossed.
fn charge_daily_limits(
    storage: &mut dyn Storage,
    p: &DatanetParams,
    who: &Addr,
    datanet_id: u64,
    day: u64,
    bytes: u64,
    files: u32,
) -> Result<(), ContractError> {
    let (ub, uf) = USER_DAY.may_load(storage, (who, day))?.unwrap_or_default();
    // checked: with governance's limits near u64::MAX a plain `+` could overflow
    let (ub, uf) = (ub.checked_add(bytes), uf.checked_add(files));
    if ub.is_none_or(|b| b > p.daily_bytes_per_user) {
        return Err(ContractError::DailyLimitExceeded {
            limit: "bytes per user".into(),
        });
    }
    if uf.is_none_or(|f| f > p.daily_files_per_user) {
        return Err(ContractError::DailyLimitExceeded {
            limit: "files per user".into(),
        });
    }
    let db = DATANET_DAY
        .may_load(storage, (datanet_id, day))?
        .unwrap_or_default();
    let db = db.checked_add(bytes);
    if db.is_none_or(|b| b > p.daily_bytes_per_datanet) {
        return Err(ContractError::DailyLimitExceeded {
            limit: "bytes per datanet".into(),
        });
    }
    let (ub, uf, db) = (
        ub.unwrap_or_default(),
        uf.unwrap_or_default(),
        db.unwrap_or_default(),
    );
    USER_DAY.save(storage, (who, day), &(ub, uf))?;
    DATANET_DAY.save(storage, (datanet_id, day), &db)?;
    Ok(())
}

/// Stores one checked row as a Pending contribution; returns its id.
#[allow(clippy::too_many_arguments)]
fn record_row(
    storage: &mut dyn Storage,
    env: &Env,
    datanet_id: u64,
    contributor: &Addr,
    content_hash: HexBinary,
    size: u64,
    uri: String,
    license: String,
) -> Result<u64, ContractError> {
    let id = next_id(storage, &CONTRIBUTION_SEQ)?;
    CONTENT_HASHES.save(storage, (datanet_id, content_hash.as_slice()), &id)?;
    let c = ContributionInfo {
        id,
        datanet_id,
        contributor: contributor.clone(),
        content_hash,
        size,
        uri,
        license,
        status: ContributionStatus::Pending,
        validation_score_bps: 0,
        reviewer: None,
        created_at: env.block.time,
        version: None,
        leaf_index: None,
    };
    contributions().save(storage, id, &c)?;
    update_stats(storage, datanet_id, contributor, |st| st.submitted += 1)?;
    Ok(id)
}

fn day_of(env: &Env) -> u64 {
    env.block.time.seconds() / DAY_SECONDS
}

#[allow(clippy::too_many_arguments)]
pub fn execute_contribute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    datanet_id: u64,
    content_hash: HexBinary,
    size: u64,
    uri: String,
    license: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let p = &cfg.params;
    let dn = load_datanet(deps.storage, datanet_id)?;
    check_hash32(&content_hash, "content_hash")?;
    validate_text("uri", &uri, 1, 512)?;
    validate_text("license", &license, 1, 64)?;
    if size == 0 || size > p.max_contribution_bytes {
        return Err(ContractError::invalid(format!(
            "size must be 1..={} bytes",
            p.max_contribution_bytes
        )));
    }
    check_contributor(&deps, p, &dn, &info.sender)?;
    check_row(deps.storage, datanet_id, &content_hash, size, &uri)?;
    // One call is one file.
    charge_daily_limits(
        deps.storage,
        p,
        &info.sender,
        datanet_id,
        day_of(&env),
        size,
        1,
    )?;
    let id = record_row(
        deps.storage,
        &env,
        datanet_id,
        &info.sender,
        content_hash.clone(),
        size,
        uri,
        license,
    )?;
    Ok(Response::new()
        .add_attribute("action", "contribute")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contribution_id", id.to_string())
        .add_attribute("contributor", info.sender)
        .add_attribute("content_hash", content_hash.to_hex())
        .add_attribute("size", size.to_string()))
}

/// `ContributeRows`: every row is checked before anything is written, so a refused row refuses
/// the batch and leaves the state as it was.
pub fn execute_contribute_rows(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    datanet_id: u64,
    file: UploadFile,
    rows: Vec<RowUpload>,
    license: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let p = &cfg.params;
    let dn = load_datanet(deps.storage, datanet_id)?;
    if rows.is_empty() || rows.len() > MAX_ROWS_PER_BATCH {
        return Err(ContractError::BatchSize {
            max: MAX_ROWS_PER_BATCH,
            got: rows.len(),
        });
    }
    validate_text("file name", &file.name, 1, 256)?;
    check_hash32(&file.sha256, "file sha256")?;
    if file.size == 0 || file.size > p.max_contribution_bytes {
        return Err(ContractError::invalid(format!(
            "file size must be 1..={} bytes",
            p.max_contribution_bytes
        )));
    }
    validate_text("license", &license, 1, 64)?;
    check_contributor(&deps, p, &dn, &info.sender)?;

    let mut first_row: BTreeMap<&[u8], usize> = BTreeMap::new();
    let mut bytes: u64 = 0;
    for (index, row) in rows.iter().enumerate() {
        let row_err = |error| ContractError::Row {
            index,
            error: Box::new(error),
        };
        check_row(
            deps.storage,
            datanet_id,
            &row.content_hash,
            row.size,
            &row.uri,
        )
        .map_err(row_err)?;
        if let Some(&first) = first_row.get(row.content_hash.as_slice()) {
            return Err(row_err(ContractError::DuplicateInBatch { first }));
        }
        first_row.insert(row.content_hash.as_slice(), index);
        // saturating: anything past u64::MAX is over the file size anyway
        bytes = bytes.saturating_add(row.size);
    }

    let file_key = (datanet_id, &info.sender, file.sha256.as_slice());
    let so_far = FILE_BYTES
        .may_load(deps.storage, file_key)?
        .unwrap_or_default();
    let total = so_far.saturating_add(bytes);
    if total > file.size {
        return Err(ContractError::FileOverSize {
            name: file.name,
            size: file.size,
            total,
        });
    }
    let day = day_of(&env);
    let day_key = (&info.sender, day, file.sha256.as_slice());
    // The file counts once a day toward the files limit, whichever batch brings it first.
    let new_file_today = !USER_DAY_FILES.has(deps.storage, day_key);
    charge_daily_limits(
        deps.storage,
        p,
        &info.sender,
        datanet_id,
        day,
        bytes,
        u32::from(new_file_today),
    )?;
    if new_file_today {
        USER_DAY_FILES.save(deps.storage, day_key, &Empty {})?;
    }
    FILE_BYTES.save(deps.storage, file_key, &total)?;

    let count = rows.len();
    let mut res = Response::new()
        .add_attribute("action", "contribute_rows")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contributor", info.sender.as_str())
        .add_attribute("file_sha256", file.sha256.to_hex())
        .add_attribute("rows", count.to_string())
        .add_attribute("bytes", bytes.to_string());
    let mut ids = Vec::with_capacity(count);
    for row in rows {
        let id = record_row(
            deps.storage,
            &env,
            datanet_id,
            &info.sender,
            row.content_hash,
            row.size,
            row.uri,
            license.clone(),
        )?;
        ids.push(id);
    }
    // Ids of one batch are consecutive; the per-row `contribution_id` attributes are what
    // readers of single `Contribute` events already look for.
    let (first, last) = (ids.first().copied(), ids.last().copied());
    res = res
        .add_attribute(
            "first_contribution_id",
            first.unwrap_or_default().to_string(),
        )
        .add_attribute("last_contribution_id", last.unwrap_or_default().to_string())
        .add_attributes(ids.iter().map(|id| ("contribution_id", id.to_string())));
    Ok(res)
}

pub fn execute_review_contribution(
    deps: DepsMut,
    info: MessageInfo,
    contribution_id: u64,
    accept: bool,
    validation_score_bps: u64,
) -> Result<Response, ContractError> {
    let mut c = contributions()
        .may_load(deps.storage, contribution_id)?
        .ok_or(ContractError::ContributionNotFound {
            id: contribution_id,
        })?;
    let mut dn = load_datanet(deps.storage, c.datanet_id)?;
    if dn.owner != info.sender && !dn.curators.contains(&info.sender) {
        return Err(ContractError::Unauthorized {});
    }
    if c.status != ContributionStatus::Pending {
        return Err(ContractError::AlreadyReviewed {});
    }
    if validation_score_bps > BPS {
        return Err(ContractError::invalid("validation_score_bps > 10000"));
    }
    let accepted = accept && validation_score_bps >= dn.min_validation_score_bps;
    c.validation_score_bps = validation_score_bps;
    c.reviewer = Some(info.sender.clone());
    if accepted {
        c.status = ContributionStatus::Accepted;
        let next_version = dn.version + 1;
        c.version = Some(next_version);
        // Merkle leaf.
        let mut acc = MERKLE.may_load(deps.storage, dn.id)?.unwrap_or_default();
        let leaf: [u8; 32] = c.content_hash.to_array()?;
        acc.push(&leaf);
        c.leaf_index = Some(acc.count - 1);
        MERKLE.save(deps.storage, dn.id, &acc)?;
        // Weight checkpoints effective from the next version.
        let add = Uint128::from(validation_score_bps);
        let w = weight_at(deps.storage, dn.id, &c.contributor, next_version)? + add;
        WEIGHTS.save(deps.storage, (dn.id, &c.contributor, next_version), &w)?;
        let t = total_weight_at(deps.storage, dn.id, next_version)? + add;
        TOTAL_WEIGHTS.save(deps.storage, (dn.id, next_version), &t)?;
        dn.accepted_count += 1;
        dn.accepted_bytes += c.size;
        dn.pending_count += 1;
        dn.pending_bytes += c.size;
        DATANETS.save(deps.storage, dn.id, &dn)?;
        update_stats(deps.storage, dn.id, &c.contributor, |st| {
            st.accepted += 1;
            st.accepted_bytes += c.size;
            st.weight += add;
        })?;
    } else {
        c.status = ContributionStatus::Rejected;
        update_stats(deps.storage, dn.id, &c.contributor, |st| st.rejected += 1)?;
    }
    contributions().replace(deps.storage, contribution_id, Some(&c), None)?;
    Ok(Response::new()
        .add_attribute("action", "review_contribution")
        .add_attribute("contribution_id", contribution_id.to_string())
        .add_attribute("datanet_id", dn.id.to_string())
        .add_attribute("status", if accepted { "accepted" } else { "rejected" })
        .add_attribute("validation_score_bps", validation_score_bps.to_string()))
}
