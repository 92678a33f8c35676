#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, CosmosMsg, Deps, DepsMut, Empty, Env, MessageInfo, Order, Response,
    StdResult,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::msg::*;
use crate::state::*;

pub const CONTRACT_NAME: &str = env!("CARGO_PKG_NAME");
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
const MAX_MSGS: usize = 32;
const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 30;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let cfg = Config {
        proposer: deps.api.addr_validate(&msg.proposer)?,
        min_delay_seconds: msg.min_delay_seconds,
        handed_off: false,
    };
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("proposer", cfg.proposer))
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
        ExecuteMsg::Schedule {
            msgs,
            delay_seconds,
            description,
        } => execute_schedule(deps, env, info, msgs, delay_seconds, description),
        ExecuteMsg::Execute { operation_id } => execute_execute(deps, env, operation_id),
        ExecuteMsg::Cancel { operation_id } => execute_cancel(deps, info, operation_id),
        ExecuteMsg::UpdateConfig {
            proposer,
            min_delay_seconds,
        } => execute_update_config(deps, env, info, proposer, min_delay_seconds),
        ExecuteMsg::HandOff { proposer } => execute_hand_off(deps, info, proposer),
    }
}

pub fn execute_schedule(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msgs: Vec<CosmosMsg<Empty>>,
    delay_seconds: Option<u64>,
    description: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.proposer {
        return Err(ContractError::Unauthorized {});
    }
    if msgs.is_empty() || msgs.len() > MAX_MSGS {
        return Err(ContractError::Empty {});
    }
    let delay = delay_seconds.unwrap_or(cfg.min_delay_seconds);
    if delay < cfg.min_delay_seconds {
        return Err(ContractError::DelayTooShort {
            min_delay: cfg.min_delay_seconds,
        });
    }
    let id = OP_SEQ.may_load(deps.storage)?.unwrap_or_default() + 1;
    OP_SEQ.save(deps.storage, &id)?;
    let now = env.block.time.seconds();
    let op = Operation {
        id,
        msgs,
        description,
        scheduled_at: now,
        ready_at: now.saturating_add(delay),
        status: OperationStatus::Pending,
    };
    OPERATIONS.save(deps.storage, id, &op)?;
    Ok(Response::new()
        .add_attribute("action", "schedule")
        .add_attribute("operation_id", id.to_string())
        .add_attribute("ready_at", op.ready_at.to_string()))
}

pub fn execute_execute(
    deps: DepsMut,
    env: Env,
    operation_id: u64,
) -> Result<Response, ContractError> {
    let mut op = OPERATIONS
        .may_load(deps.storage, operation_id)?
        .ok_or(ContractError::NotFound { id: operation_id })?;
    if op.status != OperationStatus::Pending {
        return Err(ContractError::NotPending {});
    }
    if env.block.time.seconds() < op.ready_at {
        return Err(ContractError::NotReady {
            ready_at: op.ready_at,
        });
    }
    op.status = OperationStatus::Executed;
    OPERATIONS.save(deps.storage, operation_id, &op)?;
    Ok(Response::new()
        .add_messages(op.msgs)
        .add_attribute("action", "execute")
        .add_attribute("operation_id", operation_id.to_string()))
}

pub fn execute_cancel(
    deps: DepsMut,
    info: MessageInfo,
    operation_id: u64,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.proposer {
        return Err(ContractError::Unauthorized {});
    }
    let mut op = OPERATIONS
        .may_load(deps.storage, operation_id)?
        .ok_or(ContractError::NotFound { id: operation_id })?;
    if op.status != OperationStatus::Pending {
        return Err(ContractError::NotPending {});
    }
    op.status = OperationStatus::Cancelled;
    OPERATIONS.save(deps.storage, operation_id, &op)?;
    Ok(Response::new()
        .add_attribute("action", "cancel")
        .add_attribute("operation_id", operation_id.to_string()))
}

pub fn execute_update_config(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    proposer: Option<String>,
    min_delay_seconds: Option<u64>,
) -> Result<Response, ContractError> {
    if info.sender != env.contract.address {
        return Err(ContractError::Unauthorized {});
    }
    let mut cfg = CONFIG.load(deps.storage)?;
    if let Some(p) = proposer {
        cfg.proposer = deps.api.addr_validate(&p)?;
    }
    if let Some(d) = min_delay_seconds {
        cfg.min_delay_seconds = d;
    }
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

pub fn execute_hand_off(
    deps: DepsMut,
    info: MessageInfo,
    proposer: String,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.proposer {
        return Err(ContractError::Unauthorized {});
    }
    if cfg.handed_off {
        return Err(ContractError::AlreadyHandedOff {});
    }
    cfg.proposer = deps.api.addr_validate(&proposer)?;
    cfg.handed_off = true;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "hand_off")
        .add_attribute("proposer", proposer))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                proposer: c.proposer,
                min_delay_seconds: c.min_delay_seconds,
                handed_off: c.handed_off,
            })
        }
        QueryMsg::Operation { operation_id } => {
            to_json_binary(&OPERATIONS.load(deps.storage, operation_id)?)
        }
        QueryMsg::ListOperations { start_after, limit } => {
            let operations = OPERATIONS
                .range(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize)
                .map(|r| r.map(|(_, o)| o))
                .collect::<StdResult<_>>()?;
            to_json_binary(&OperationsResponse { operations })
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "migrate"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
    use cosmwasm_std::{coins, from_json, BankMsg};

    fn setup() -> (
        cosmwasm_std::OwnedDeps<
            cosmwasm_std::MemoryStorage,
            cosmwasm_std::testing::MockApi,
            cosmwasm_std::testing::MockQuerier,
        >,
        cosmwasm_std::Addr,
    ) {
        let mut deps = mock_dependencies();
        let proposer = deps.api.addr_make("multisig");
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&proposer, &[]),
            InstantiateMsg {
                proposer: proposer.to_string(),
                min_delay_seconds: 100,
            },
        )
        .unwrap();
        (deps, proposer)
    }

    fn bank_msg(
        deps: &cosmwasm_std::OwnedDeps<
            cosmwasm_std::MemoryStorage,
            cosmwasm_std::testing::MockApi,
            cosmwasm_std::testing::MockQuerier,
        >,
    ) -> CosmosMsg {
        BankMsg::Send {
            to_address: deps.api.addr_make("x").to_string(),
            amount: coins(1, "uopen"),
        }
        .into()
    }

    #[test]
    fn schedule_wait_execute() {
        let (mut deps, proposer) = setup();
        let other = deps.api.addr_make("other");
        let sched = ExecuteMsg::Schedule {
            msgs: vec![bank_msg(&deps)],
            delay_seconds: None,
            description: "pay".into(),
        };
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&other, &[]),
                sched.clone()
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&proposer, &[]),
                ExecuteMsg::Schedule {
                    msgs: vec![],
                    delay_seconds: None,
                    description: "".into()
                }
            )
            .unwrap_err(),
            ContractError::Empty {}
        );
        let m = bank_msg(&deps);
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&proposer, &[]),
                ExecuteMsg::Schedule {
                    msgs: vec![m],
                    delay_seconds: Some(99),
                    description: "".into()
                }
            )
            .unwrap_err(),
            ContractError::DelayTooShort { min_delay: 100 }
        );
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&proposer, &[]),
            sched,
        )
        .unwrap();
        let env = mock_env();
        let ready_at = env.block.time.seconds() + 100;
        assert_eq!(
            execute(
                deps.as_mut(),
                env.clone(),
                message_info(&other, &[]),
                ExecuteMsg::Execute { operation_id: 1 }
            )
            .unwrap_err(),
            ContractError::NotReady { ready_at }
        );
        let mut later = env;
        later.block.time = later.block.time.plus_seconds(100);
        let res = execute(
            deps.as_mut(),
            later.clone(),
            message_info(&other, &[]),
            ExecuteMsg::Execute { operation_id: 1 },
        )
        .unwrap();
        assert_eq!(res.messages.len(), 1);
        assert_eq!(
            execute(
                deps.as_mut(),
                later.clone(),
                message_info(&other, &[]),
                ExecuteMsg::Execute { operation_id: 1 }
            )
            .unwrap_err(),
            ContractError::NotPending {}
        );
        assert_eq!(
            execute(
                deps.as_mut(),
                later,
                message_info(&other, &[]),
                ExecuteMsg::Execute { operation_id: 9 }
            )
            .unwrap_err(),
            ContractError::NotFound { id: 9 }
        );
        let op: Operation = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Operation { operation_id: 1 },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(op.status, OperationStatus::Executed);
    }

    #[test]
    fn native_funds_are_refused() {
        let (mut deps, proposer) = setup();
        let err = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&proposer, &coins(1, "uopen")),
            ExecuteMsg::Cancel { operation_id: 1 },
        )
        .unwrap_err();
        assert!(matches!(err, ContractError::Payment(_)));
    }

    #[test]
    fn cancel_and_config() {
        let (mut deps, proposer) = setup();
        let other = deps.api.addr_make("other");
        let m = bank_msg(&deps);
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&proposer, &[]),
            ExecuteMsg::Schedule {
                msgs: vec![m],
                delay_seconds: Some(500),
                description: "".into(),
            },
        )
        .unwrap();
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&other, &[]),
                ExecuteMsg::Cancel { operation_id: 1 }
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&proposer, &[]),
            ExecuteMsg::Cancel { operation_id: 1 },
        )
        .unwrap();
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&proposer, &[]),
                ExecuteMsg::Cancel { operation_id: 1 }
            )
            .unwrap_err(),
            ContractError::NotPending {}
        );
        let list: OperationsResponse = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::ListOperations {
                    start_after: None,
                    limit: None,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(list.operations[0].status, OperationStatus::Cancelled);

        // config changes only from the timelock itself
        let upd = ExecuteMsg::UpdateConfig {
            proposer: None,
            min_delay_seconds: Some(5),
        };
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&proposer, &[]),
                upd.clone()
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        let me = mock_env().contract.address;
        execute(deps.as_mut(), mock_env(), message_info(&me, &[]), upd).unwrap();
        let c: ConfigResponse =
            from_json(query(deps.as_ref(), mock_env(), QueryMsg::Config {}).unwrap()).unwrap();
        assert_eq!(c.min_delay_seconds, 5);

        // one hand-off
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&other, &[]),
                ExecuteMsg::HandOff {
                    proposer: other.to_string()
                }
            )
            .unwrap_err(),
            ContractError::Unauthorized {}
        );
        execute(
            deps.as_mut(),
            mock_env(),
            message_info(&proposer, &[]),
            ExecuteMsg::HandOff {
                proposer: other.to_string(),
            },
        )
        .unwrap();
        assert_eq!(
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(&other, &[]),
                ExecuteMsg::HandOff {
                    proposer: proposer.to_string()
                }
            )
            .unwrap_err(),
            ContractError::AlreadyHandedOff {}
        );
    }
}
