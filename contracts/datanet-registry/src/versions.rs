//! Publishing and versioning: a version pins the Merkle root over all contributions accepted
//! so far; `Publish` (Draft → Published) and `NewVersion` are paid in OPEN by new bytes.

use cosmwasm_std::{
    to_json_binary, Addr, DepsMut, Env, Event, Response, StdResult, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use openledger_types::datanet::DatanetParams;

use crate::error::ContractError;
use crate::msg::*;
use crate::state::*;

/// `base_fee + fee_per_kib × ceil(bytes / 1024)`.
pub fn quote_fee(p: &DatanetParams, bytes: u64) -> StdResult<Uint128> {
    let kib = bytes.div_ceil(1024);
    Ok(p.base_fee
        .checked_add(p.fee_per_kib.checked_mul(Uint128::from(kib))?)?)
}

pub fn execute_cut_version(
    deps: DepsMut,
    env: Env,
    cfg: Config,
    sender: Addr,
    amount: Uint128,
    datanet_id: u64,
    publish: bool,
) -> Result<Response, ContractError> {
    let mut dn = load_datanet(deps.storage, datanet_id)?;
    if dn.owner != sender {
        return Err(ContractError::Unauthorized {});
    }
    match (publish, dn.status) {
        (true, DatanetStatus::Published) => return Err(ContractError::AlreadyPublished {}),
        (false, DatanetStatus::Draft) => return Err(ContractError::NotPublished {}),
        _ => {}
    }
    if dn.pending_count == 0 {
        return Err(ContractError::NothingToVersion {});
    }
    let fee = quote_fee(&cfg.params, dn.pending_bytes)?;
    if amount != fee {
        return Err(ContractError::WrongFee {
            expected: fee,
            received: amount,
        });
    }
    let version = dn.version + 1;
    let acc = MERKLE
        .may_load(deps.storage, datanet_id)?
        .unwrap_or_default();
    let info = VersionInfo {
        datanet_id,
        version,
        merkle_root: acc.root(),
        leaf_count: acc.count,
        total_bytes: dn.accepted_bytes,
        total_weight: total_weight_at(deps.storage, datanet_id, version)?,
        fee_paid: fee,
        created_at: env.block.time,
        height: env.block.height,
    };
    VERSIONS.save(deps.storage, (datanet_id, version), &info)?;
    dn.version = version;
    dn.status = DatanetStatus::Published;
    dn.pending_bytes = 0;
    dn.pending_count = 0;
    DATANETS.save(deps.storage, datanet_id, &dn)?;

    let mut res = Response::new();
    if !fee.is_zero() {
        res = res.add_message(WasmMsg::Execute {
            contract_addr: cfg.open_token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: cfg.fee_collector.to_string(),
                amount: fee,
            })?,
            funds: vec![],
        });
    }
    let ev = Event::new("datanet_version")
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("version", version.to_string())
        .add_attribute("merkle_root", info.merkle_root.to_hex())
        .add_attribute("leaf_count", info.leaf_count.to_string())
        .add_attribute("total_weight", info.total_weight)
        .add_attribute("fee", fee);
    Ok(res
        .add_event(ev)
        .add_attribute("action", if publish { "publish" } else { "new_version" })
        .add_attribute("datanet_id", datanet_id.to_string())
        .add_attribute("version", version.to_string())
        .add_attribute("merkle_root", info.merkle_root.to_hex())
        .add_attribute("leaf_count", info.leaf_count.to_string())
        .add_attribute("fee", fee))
}
