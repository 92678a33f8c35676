//! A reflect-style contract for the node's submessage tests.
//!
//! - `dispatch{msgs}`: returns the given submessages (with their `reply_on`, `gas_limit`).
//! - `set{key,value}` writes storage; `set_then_fail{key,value}` writes, then fails.
//! - `reply` records `reply/<id>` = `ok:<n events>` or `err:<error>` and sets data `reply:<id>`.
//! - queries: `get{key}`, `chain{request}` (raw `QueryRequest` through the chain's querier).
use cosmwasm_std::{
    entry_point, to_json_binary, to_json_vec, Binary, ContractResult, Deps, DepsMut, Empty, Env,
    MessageInfo, QueryRequest, Reply, Response, StdError, StdResult, SubMsg, SubMsgResult,
    SystemResult,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Dispatch { msgs: Vec<SubMsg<Empty>> },
    Set { key: String, value: String },
    SetThenFail { key: String, value: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    Get { key: String },
    Chain { request: QueryRequest<Empty> },
}

#[entry_point]
pub fn instantiate(deps: DepsMut, _env: Env, info: MessageInfo, _msg: Empty) -> StdResult<Response> {
    deps.storage.set(b"owner", info.sender.as_bytes());
    Ok(Response::new().add_attribute("owner", info.sender))
}

#[entry_point]
pub fn execute(deps: DepsMut, _env: Env, _info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Dispatch { msgs } => Ok(Response::new()
            .add_attribute("action", "dispatch")
            .add_submessages(msgs)),
        ExecuteMsg::Set { key, value } => {
            deps.storage.set(key.as_bytes(), value.as_bytes());
            Ok(Response::new()
                .add_attribute("action", "set")
                .add_event(cosmwasm_std::Event::new("stored").add_attribute("key", key))
                .set_data(b"set-data"))
        }
        ExecuteMsg::SetThenFail { key, value } => {
            deps.storage.set(key.as_bytes(), value.as_bytes());
            Err(StdError::generic_err("set_then_fail always fails"))
        }
    }
}

#[entry_point]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> StdResult<Response> {
    let record = match &msg.result {
        SubMsgResult::Ok(r) => format!("ok:{}", r.events.len()),
        SubMsgResult::Err(e) => format!("err:{e}"),
    };
    deps.storage.set(format!("reply/{}", msg.id).as_bytes(), record.as_bytes());
    Ok(Response::new()
        .add_attribute("reply_id", msg.id.to_string())
        .set_data(format!("reply:{}", msg.id).into_bytes()))
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Get { key } => to_json_binary(
            &deps
                .storage
                .get(key.as_bytes())
                .map(|v| String::from_utf8_lossy(&v).into_owned()),
        ),
        QueryMsg::Chain { request } => {
            let raw = to_json_vec(&request)?;
            match deps.querier.raw_query(&raw) {
                SystemResult::Ok(ContractResult::Ok(bin)) => Ok(bin),
                SystemResult::Ok(ContractResult::Err(e)) => Err(StdError::generic_err(format!("contract: {e}"))),
                SystemResult::Err(e) => Err(StdError::generic_err(format!("system: {e}"))),
            }
        }
    }
}
