//! `{"loop":{}}` spins forever; `{"write":{"key":..,"value":..}}` writes storage first and then
//! spins (its write must be reverted); `{"ok":{}}` succeeds; `{"delete_then_scan":{"deletes":n}}`
//! removes n keys that do not exist (each leaves a tombstone in the block's overlay) and then
//! takes one step of a scan over them, the pattern whose cost must stay bounded by gas.
use cosmwasm_std::{entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Loop {},
    Write { key: String, value: String },
    Ok {},
    DeleteThenScan { deletes: u32 },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    Get { key: String },
    Loop {},
}

#[entry_point]
pub fn instantiate(_deps: DepsMut, _env: Env, _info: MessageInfo, _msg: cosmwasm_std::Empty) -> StdResult<Response> {
    Ok(Response::new())
}

fn spin(mut seed: u64) -> u64 {
    loop {
        seed = std::hint::black_box(seed.wrapping_mul(6364136223846793005).wrapping_add(1));
        if std::hint::black_box(seed) == 42 && std::hint::black_box(false) {
            return seed;
        }
    }
}

#[entry_point]
pub fn execute(deps: DepsMut, env: Env, _info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Loop {} => {
            spin(env.block.height);
            Ok(Response::new())
        }
        ExecuteMsg::Write { key, value } => {
            deps.storage.set(key.as_bytes(), value.as_bytes());
            spin(env.block.height);
            Ok(Response::new())
        }
        ExecuteMsg::Ok {} => Ok(Response::new().add_attribute("action", "ok")),
        ExecuteMsg::DeleteThenScan { deletes } => {
            for i in 0..deletes {
                deps.storage.remove(format!("t{i:08}").as_bytes());
            }
            deps.storage.set(b"u", b"after the tombstones");
            let first = deps
                .storage
                .range(Some(b"t"), None, cosmwasm_std::Order::Ascending)
                .next()
                .map(|(k, _)| String::from_utf8_lossy(&k).into_owned());
            Ok(Response::new().add_attribute("first", first.unwrap_or_default()))
        }
    }
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Get { key } => to_json_binary(&deps.storage.get(key.as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned())),
        QueryMsg::Loop {} => to_json_binary(&spin(env.block.height)),
    }
}
