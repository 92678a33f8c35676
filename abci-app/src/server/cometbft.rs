//! A small JSON-RPC client for CometBFT's RPC (`status`, `block`, `header`, `tx`, `tx_search`,
//! `broadcast_tx_*`), and the conversions of its answers into the SDK protobuf types that the
//! REST and gRPC servers return (as the SDK's own client context does).

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    Block as SdkBlock, GetNodeInfoResponse, Header as SdkHeader,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastMode, GetTxsEventResponse, Tx};
use cosmos_sdk_proto::Any;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint_proto::abci::{Event, EventAttribute};
use tendermint_proto::p2p::{DefaultNodeInfo, DefaultNodeInfoOther, ProtocolVersion};
use tonic::Code;

use super::api::{application_version, ApiError};

/// Longest wait for one RPC answer (`broadcast_tx_commit` waits up to CometBFT's
/// `timeout_broadcast_tx_commit`, 10 s by default).
const RPC_TIMEOUT: Duration = Duration::from_secs(25);
pub const TX_TYPE_URL: &str = "/cosmos.tx.v1beta1.Tx";
/// Validator consensus address prefix (`sdk_block.header.proposer_address`).
pub const VALCONS_HRP: &str = "openvalcons";

#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    #[error("CometBFT RPC at {url} is unreachable: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("CometBFT RPC answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("{message}: {data}")]
    Rpc {
        code: i64,
        message: String,
        data: String,
    },
    #[error("unexpected CometBFT RPC answer to {method}: {detail}")]
    Decode { method: String, detail: String },
}

impl From<RpcError> for ApiError {
    fn from(e: RpcError) -> Self {
        match &e {
            RpcError::Unreachable { .. } => ApiError::unavailable(e.to_string()),
            RpcError::Rpc { data, .. } => ApiError::new(Code::Unknown, data.clone()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

/// CometBFT's RPC, as a client.
#[derive(Clone)]
pub struct CometRpc {
    url: String,
    uri: hyper::Uri,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for CometRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CometRpc").field("url", &self.url).finish()
    }
}

fn decode_err(method: &str, detail: impl std::fmt::Display) -> RpcError {
    RpcError::Decode {
        method: method.to_string(),
        detail: detail.to_string(),
    }
}

/// A JSON number or decimal string (CometBFT writes int64 as strings).
fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn b64_field(value: &Value) -> Result<Vec<u8>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => B64.decode(s).map_err(|e| format!("base64: {e}")),
        other => Err(format!("expected base64, got {other}")),
    }
}

/// `2024-05-01T10:00:00.123456789Z` → `2024-05-01T10:00:00Z` (the SDK's `time.RFC3339`).
fn rfc3339_seconds(time: &str) -> String {
    match (time.find('.'), time.rfind(|c| c == 'Z' || c == '+')) {
        (Some(dot), Some(end)) if dot < end => format!("{}{}", &time[..dot], &time[end..]),
        _ => time.to_string(),
    }
}

/// CometBFT ABCI events (jsonpb) → protobuf.
fn events(value: &Value) -> Vec<Event> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| Event {
                    r#type: text(&e["type"]),
                    attributes: e["attributes"]
                        .as_array()
                        .map(|attrs| {
                            attrs
                                .iter()
                                .map(|a| EventAttribute {
                                    key: text(&a["key"]),
                                    value: text(&a["value"]),
                                    index: a["index"].as_bool().unwrap_or(false),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn tx_hash(tx: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx))
}

/// SDK `client.CheckCometError`: some CometBFT refusals are answered as a `TxResponse`.
fn comet_refusal(err: &RpcError, tx: &[u8]) -> Option<TxResponse> {
    let RpcError::Rpc { data, .. } = err else {
        return None;
    };
    let lower = data.to_lowercase();
    let (code, log) = if lower.contains("tx already exists in cache") {
        (19, "tx already exists in cache")
    } else if lower.contains("mempool is full") {
        (20, "mempool is full")
    } else if lower.contains("tx too large") {
        (21, "tx too large")
    } else {
        return None;
    };
    Some(TxResponse {
        txhash: tx_hash(tx),
        code,
        codespace: "sdk".to_string(),
        raw_log: format!("{data}: {log}"),
        ..Default::default()
    })
}

impl CometRpc {
    /// `url` is CometBFT's RPC address, e.g. `http://127.0.0.1:26657` (also `tcp://…`).
    pub fn new(url: &str) -> Result<Self, RpcError> {
        let normalized = match url.strip_prefix("tcp://") {
            Some(rest) => format!("http://{rest}"),
            None => url.to_string(),
        };
        let normalized = normalized.trim_end_matches('/').to_string();
        let uri: hyper::Uri =
            format!("{normalized}/")
                .parse()
                .map_err(|e| RpcError::Unreachable {
                    url: url.to_string(),
                    detail: format!("invalid URL: {e}"),
                })?;
        if uri.scheme_str() != Some("http") {
            return Err(RpcError::Unreachable {
                url: url.to_string(),
                detail: "only http:// CometBFT RPC URLs are supported".to_string(),
            });
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            url: normalized,
            uri,
            client,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// One JSON-RPC call; returns `result`.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let request = hyper::Request::post(self.uri.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| decode_err(method, e))?;
        let unreachable = |detail: String| RpcError::Unreachable {
            url: self.url.clone(),
            detail,
        };
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| unreachable(e.to_string()))?
                .to_bytes();
            Ok::<_, RpcError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(RPC_TIMEOUT, exchange)
            .await
            .map_err(|_| unreachable(format!("no answer to {method} within {RPC_TIMEOUT:?}")))??;
        let mut reply: Value = serde_json::from_slice(&bytes).map_err(|_| RpcError::Http {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        })?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            return Err(RpcError::Rpc {
                code: int(&error["code"]).unwrap_or(0),
                message: text(&error["message"]),
                data: text(&error["data"]),
            });
        }
        if !status.is_success() {
            return Err(RpcError::Http {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            });
        }
        match reply.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(decode_err(method, "no result")),
        }
    }

    /// `GetNodeInfo` from CometBFT `status`, with our `application_version`.
    pub async fn node_info(&self) -> Result<GetNodeInfoResponse, ApiError> {
        let status = self.call("status", json!({})).await?;
        let ni = &status["node_info"];
        let pv = &ni["protocol_version"];
        let version = |v: &Value| int(v).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        let channels = hex::decode(text(&ni["channels"]))
            .map_err(|e| decode_err("status", format!("node_info.channels: {e}")))?;
        Ok(GetNodeInfoResponse {
            default_node_info: Some(DefaultNodeInfo {
                protocol_version: Some(ProtocolVersion {
                    p2p: version(&pv["p2p"]),
                    block: version(&pv["block"]),
                    app: version(&pv["app"]),
                }),
                default_node_id: text(&ni["id"]),
                listen_addr: text(&ni["listen_addr"]),
                network: text(&ni["network"]),
                version: text(&ni["version"]),
                channels,
                moniker: text(&ni["moniker"]),
                other: Some(DefaultNodeInfoOther {
                    tx_index: text(&ni["other"]["tx_index"]),
                    rpc_address: text(&ni["other"]["rpc_address"]),
                }),
            }),
            application_version: Some(application_version()),
        })
    }

    pub async fn syncing(&self) -> Result<bool, ApiError> {
        let status = self.call("status", json!({})).await?;
        Ok(status["sync_info"]["catching_up"]
            .as_bool()
            .unwrap_or(false))
    }

    /// A block (latest when `height` is `None`) as `(block_id, block, sdk_block)`.
    pub async fn block(
        &self,
        height: Option<u64>,
    ) -> Result<
        (
            tendermint_proto::types::BlockId,
            tendermint_proto::types::Block,
            SdkBlock,
        ),
        ApiError,
    > {
        let params = match height {
            Some(h) => json!({"height": h.to_string()}),
            None => json!({}),
        };
        let result = self.call("block", params).await.map_err(|e| match e {
            RpcError::Rpc { data, .. } => ApiError::invalid_argument(data),
            other => other.into(),
        })?;
        let id: tendermint::block::Id = serde_json::from_value(result["block_id"].clone())
            .map_err(|e| decode_err("block", format!("block_id: {e}")))?;
        let block: tendermint::Block = serde_json::from_value(result["block"].clone())
            .map_err(|e| decode_err("block", format!("block: {e}")))?;
        let raw: tendermint_proto::types::Block = block.into();
        let sdk = sdk_block(&raw);
        Ok((id.into(), raw, sdk))
    }

    /// The block time at `height`, formatted as the SDK's `TxResponse.timestamp`.
    async fn block_time(&self, height: i64) -> Result<String, ApiError> {
        let result = self
            .call("header", json!({"height": height.to_string()}))
            .await?;
        Ok(rfc3339_seconds(&text(&result["header"]["time"])))
    }

    /// `BroadcastTx`: `broadcast_tx_sync` / `_async`, and `_commit` for the legacy BLOCK mode.
    pub async fn broadcast(&self, tx: &[u8], mode: BroadcastMode) -> Result<TxResponse, ApiError> {
        let method = match mode {
            BroadcastMode::Sync => "broadcast_tx_sync",
            BroadcastMode::Async => "broadcast_tx_async",
            BroadcastMode::Block => "broadcast_tx_commit",
            BroadcastMode::Unspecified => {
                return Err(ApiError::invalid_argument(
                    "invalid broadcast mode BROADCAST_MODE_UNSPECIFIED; supported: BROADCAST_MODE_SYNC, BROADCAST_MODE_ASYNC",
                ))
            }
        };
        if tx.is_empty() {
            return Err(ApiError::invalid_argument("invalid empty tx"));
        }
        let result = match self.call(method, json!({"tx": B64.encode(tx)})).await {
            Ok(result) => result,
            Err(e) => return comet_refusal(&e, tx).ok_or_else(|| e.into()),
        };
        let txhash = text(&result["hash"]);
        if mode != BroadcastMode::Block {
            // CheckTx only: `data` is upper hex already (`HexBytes`).
            return Ok(TxResponse {
                txhash,
                code: int(&result["code"]).unwrap_or(0) as u32,
                codespace: text(&result["codespace"]),
                data: text(&result["data"]),
                raw_log: text(&result["log"]),
                ..Default::default()
            });
        }
        let check = &result["check_tx"];
        let check_code = int(&check["code"]).unwrap_or(0);
        let (source, height) = if check_code != 0 {
            (check, 0)
        } else {
            (&result["tx_result"], int(&result["height"]).unwrap_or(0))
        };
        let data = b64_field(&source["data"]).map_err(|e| decode_err(method, e))?;
        Ok(TxResponse {
            height,
            txhash,
            codespace: text(&source["codespace"]),
            code: int(&source["code"]).unwrap_or(0) as u32,
            data: hex::encode_upper(data),
            raw_log: text(&source["log"]),
            info: text(&source["info"]),
            gas_wanted: int(&source["gas_wanted"]).unwrap_or(0),
            gas_used: int(&source["gas_used"]).unwrap_or(0),
            events: events(&source["events"]),
            ..Default::default()
        })
    }

    /// `GetTx` by upper- or lower-case hex hash.
    pub async fn tx(&self, hash: &str) -> Result<(Tx, TxResponse), ApiError> {
        if hash.is_empty() {
            return Err(ApiError::invalid_argument("tx hash cannot be empty"));
        }
        let bytes = hex::decode(hash)
            .map_err(|e| ApiError::invalid_argument(format!("invalid tx hash {hash:?}: {e}")))?;
        let result = self
            .call("tx", json!({"hash": B64.encode(bytes), "prove": false}))
            .await
            .map_err(|e| match e {
                RpcError::Rpc { ref data, .. } if data.contains("not found") => {
                    ApiError::not_found(format!("tx not found: {hash}"))
                }
                other => other.into(),
            })?;
        let height = int(&result["height"]).unwrap_or(0);
        let time = self.block_time(height).await?;
        tx_from_result(&result, time).map_err(|e| decode_err("tx", e).into())
    }

    /// `GetTxsEvent`: `tx_search` with the SDK's page (1-based) and limit.
    pub async fn search_txs(
        &self,
        query: &str,
        page: u64,
        limit: u64,
        order_by: &str,
    ) -> Result<GetTxsEventResponse, ApiError> {
        let mut params = json!({
            "query": query,
            "prove": false,
            "page": page.to_string(),
            "per_page": limit.to_string(),
        });
        if !order_by.is_empty() {
            params["order_by"] = json!(order_by);
        }
        let result = self.call("tx_search", params).await.map_err(|e| match e {
            RpcError::Rpc { data, .. } => ApiError::invalid_argument(data),
            other => other.into(),
        })?;
        let total = int(&result["total_count"]).unwrap_or(0).max(0) as u64;
        let mut times: HashMap<i64, String> = HashMap::new();
        let mut out = GetTxsEventResponse {
            total,
            ..Default::default()
        };
        for item in result["txs"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let height = int(&item["height"]).unwrap_or(0);
            let time = match times.get(&height) {
                Some(t) => t.clone(),
                None => {
                    let t = self.block_time(height).await?;
                    times.insert(height, t.clone());
                    t
                }
            };
            let (tx, response) =
                tx_from_result(item, time).map_err(|e| decode_err("tx_search", e))?;
            out.txs.push(tx);
            out.tx_responses.push(response);
        }
        Ok(out)
    }
}

/// The CometBFT query of `GetTxsEvent`: `query` (SDK ≥ 0.50), else the deprecated `events`
/// joined with `AND` (SDK 0.47).
pub fn search_query(query: &str, events: &[String]) -> Result<String, ApiError> {
    let query = query.trim();
    if !query.is_empty() {
        return Ok(query.to_string());
    }
    let events: Vec<&str> = events
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .collect();
    if events.is_empty() {
        return Err(ApiError::invalid_argument("query cannot be empty"));
    }
    for event in &events {
        if !event.contains('=') && !event.contains('<') && !event.contains('>') {
            return Err(ApiError::invalid_argument(format!(
                "invalid event; event {event} should be of the format: {{eventType}}.{{eventAttribute}}={{value}}"
            )));
        }
    }
    Ok(events.join(" AND "))
}

/// `GetTxsEvent` page (1-based, default 1), limit (default 100) and order.
pub fn search_paging(page: u64, limit: u64, order_by: i32) -> (u64, u64, &'static str) {
    let order = match order_by {
        1 => "asc",
        2 => "desc",
        _ => "",
    };
    (page.max(1), if limit == 0 { 100 } else { limit }, order)
}

/// One `tx` / `tx_search` item → (`Tx`, `TxResponse`) as the SDK's `mkTxResult`.
fn tx_from_result(item: &Value, timestamp: String) -> Result<(Tx, TxResponse), String> {
    let raw = b64_field(&item["tx"])?;
    // `TxRaw` and `Tx` share field numbers, so the raw bytes decode as a `Tx`.
    let tx = Tx::decode(raw.as_slice()).map_err(|e| format!("tx: {e}"))?;
    let result = &item["tx_result"];
    let data = b64_field(&result["data"])?;
    let response = TxResponse {
        height: int(&item["height"]).unwrap_or(0),
        txhash: text(&item["hash"]),
        codespace: text(&result["codespace"]),
        code: int(&result["code"]).unwrap_or(0) as u32,
        data: hex::encode_upper(data),
        raw_log: text(&result["log"]),
        logs: vec![],
        info: text(&result["info"]),
        gas_wanted: int(&result["gas_wanted"]).unwrap_or(0),
        gas_used: int(&result["gas_used"]).unwrap_or(0),
        tx: Some(Any {
            type_url: TX_TYPE_URL.to_string(),
            value: tx.encode_to_vec(),
        }),
        timestamp,
        events: events(&result["events"]),
    };
    Ok((tx, response))
}

/// The SDK's `sdk_block`: the CometBFT block with a bech32 (`openvalcons`) proposer address.
pub fn sdk_block(raw: &tendermint_proto::types::Block) -> SdkBlock {
    let header = raw.header.as_ref().map(|h| SdkHeader {
        version: h.version.clone(),
        chain_id: h.chain_id.clone(),
        height: h.height,
        time: h.time.clone(),
        last_block_id: h.last_block_id.clone(),
        last_commit_hash: h.last_commit_hash.clone(),
        data_hash: h.data_hash.clone(),
        validators_hash: h.validators_hash.clone(),
        next_validators_hash: h.next_validators_hash.clone(),
        consensus_hash: h.consensus_hash.clone(),
        app_hash: h.app_hash.clone(),
        last_results_hash: h.last_results_hash.clone(),
        evidence_hash: h.evidence_hash.clone(),
        proposer_address: crate::crypto::to_bech32(VALCONS_HRP, &h.proposer_address),
    });
    SdkBlock {
        header,
        data: raw.data.clone(),
        evidence: raw.evidence.clone(),
        last_commit: raw.last_commit.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_drop_fractions() {
        assert_eq!(
            rfc3339_seconds("2024-05-01T10:00:00.123456789Z"),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(
            rfc3339_seconds("2024-05-01T10:00:00Z"),
            "2024-05-01T10:00:00Z"
        );
    }

    #[test]
    fn rpc_urls_normalise() {
        let rpc = CometRpc::new("tcp://127.0.0.1:26657/").unwrap();
        assert_eq!(rpc.url(), "http://127.0.0.1:26657");
        assert!(CometRpc::new("https://example.com").is_err());
    }
}
