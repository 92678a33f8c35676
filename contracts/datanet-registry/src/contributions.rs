//! Contributions: upload records, policy / bond / rate-limit checks, curator review.

use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, MessageInfo, Response, Uint128};
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
    may_contribute(&deps, &dn, &info.sender)?;
    if dn.owner != info.sender && !p.min_contributor_bond.is_zero() {
        let bonded = BONDS
            .may_load(deps.storage, (datanet_id, &info.sender))?
            .unwrap_or_default()
            .bonded;
        if bonded < p.min_contributor_bond {
            return Err(ContractError::InsufficientBond {
                required: p.min_contributor_bond,
                bonded,
            });
        }
    }
    if CONTENT_HASHES.has(deps.storage, (datanet_id, content_hash.as_slice())) {
        return Err(ContractError::DuplicateContent {});
    }

    // Daily limits (UTC day of the block time).
    let day = env.block.time.seconds() / DAY_SECONDS;
    let (ub, uf) = USER_DAY
        .may_load(deps.storage, (&info.sender, day))?
        .unwrap_or_default();
    // checked: with governance's limits near u64::MAX a plain `+` could overflow
    let (ub, uf) = (ub.checked_add(size), uf.checked_add(1));
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
        .may_load(deps.storage, (datanet_id, day))?
        .unwrap_or_default();
    let db = db.checked_add(size);
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
    USER_DAY.save(deps.storage, (&info.sender, day), &(ub, uf))?;
    DATANET_DAY.save(deps.storage, (datanet_id, day), &db)?;

    let id = next_id(deps.storage, &CONTRIBUTION_SEQ)?;
    CONTENT_HASHES.save(deps.storage, (datanet_id, content_hash.as_slice()), &id)?;
    let c = ContributionInfo {
        id,
        datanet_id,
        contributor: info.sender.clone(),
        content_hash: content_hash.clone(),
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
    contributions().save(deps.storage, id, &c)?;
    update_stats(deps.storage, datanet_id, &info.sender, |st| {
        st.submitted += 1
    })?;
    Ok(Response::new()
        .add_attribute("action", "contribute")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("contribution_id", id.to_string())
        .add_attribute("contributor", info.sender)
        .add_attribute("content_hash", content_hash.to_hex())
        .add_attribute("size", size.to_string()))
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
