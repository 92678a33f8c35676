//! An operator's standing in the attester registry: registering and bonding, in one tx. Used
//! by attesters (registered for the method and model they attest) and by gateways (registered
//! with no methods: never assigned a job, bonded so the escrow can slash them for inference
//! the attesters reject).

use cosmrs::Coin;
use cosmwasm_std::{to_json_binary, Binary, Uint128};
use openledger_types::attester::{
    AttesterInfo, Capabilities, ExecuteMsg as RegistryExecute, QueryMsg as RegistryQuery,
    ReceiveMsg as RegistryReceive,
};
use serde_json::{json, Value};

use crate::chain::{Chain, Included};
use crate::config::Deployment;
use crate::error::{AttesterError, Result};
use crate::keys::Keys;

pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| AttesterError::Rpc {
        url: String::new(),
        message: e.to_string(),
    })
}

/// The registry's record of `keys`' operator, or `None` when it is not registered.
pub async fn info(
    chain: &Chain,
    deployment: &Deployment,
    keys: &Keys,
) -> Result<Option<AttesterInfo>> {
    let q = RegistryQuery::Attester {
        operator: keys.address.clone(),
    };
    let registry = &deployment.contracts.attester_registry.address;
    match chain.smart(registry, &q).await {
        Ok(info) => Ok(Some(info)),
        Err(AttesterError::Query { log, .. }) if log.contains("not found") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Registers `keys`' operator with `capabilities` unless it already is, and bonds `bond` uopen
/// (wrapped into OPEN and sent to the registry), in one tx.
pub async fn register_and_bond(
    chain: &Chain,
    deployment: &Deployment,
    keys: &Keys,
    capabilities: Capabilities,
    bond: u128,
) -> Result<Included> {
    let registry = deployment.contracts.attester_registry.address.clone();
    let token = deployment.contracts.open_token.address.clone();
    let mut msgs: Vec<(String, Value, Vec<Coin>)> = vec![];
    if info(chain, deployment, keys).await?.is_none() {
        let register = RegistryExecute::Register {
            pubkey: Binary::from(keys.packet_pubkey().to_vec()),
            capabilities,
        };
        msgs.push((registry.clone(), to_value(&register)?, vec![]));
    }
    if bond > 0 {
        // OPEN wraps the token's own native denom (its `wrap_info`).
        #[derive(serde::Deserialize)]
        struct WrapInfo {
            native_denom: String,
        }
        let wrap: WrapInfo = chain.smart(&token, &json!({"wrap_info": {}})).await?;
        let funds = vec![Coin {
            denom: wrap.native_denom.parse().map_err(|e| AttesterError::Rpc {
                url: chain.url().into(),
                message: format!("denom: {e}"),
            })?,
            amount: bond,
        }];
        msgs.push((token.clone(), json!({"deposit": {}}), funds));
        let hook = to_json_binary(&RegistryReceive::Bond {}).map_err(|e| AttesterError::Rpc {
            url: chain.url().into(),
            message: e.to_string(),
        })?;
        msgs.push((
            token,
            json!({"send": {"contract": registry, "amount": Uint128::new(bond), "msg": hook}}),
            vec![],
        ));
    }
    chain.execute(keys, "register and bond", &msgs).await
}
