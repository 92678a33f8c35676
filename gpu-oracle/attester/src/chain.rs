//! The chain as an attester sees it: CometBFT JSON-RPC for queries (`abci_query` through the
//! node's gRPC-path router), simulation, broadcast and inclusion; transactions built and signed
//! with cosmrs (`SIGN_MODE_DIRECT`, the bytes cosmjs would sign). The RPC is reached over
//! http:// or https:// (rustls; the Mozilla roots plus the system's, see [`tls_config`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::cosmwasm::MsgExecuteContract;
use cosmrs::tx::{Body, Fee, Msg as _, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin};
use cosmwasm_std::Timestamp;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{AttesterError, Result};
use crate::keys::Keys;

const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a broadcast tx may take to appear in a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(30);
/// SDK code of "account not found" (`ErrKeyNotFound`, codespace sdk).
const CODE_NOT_FOUND: u32 = 22;

#[derive(Clone)]
pub struct Chain {
    url: String,
    uri: hyper::Uri,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    chain_id: String,
    gas_price: f64,
    fee_denom: String,
    gas_adjustment: f64,
}

/// A signed tx and its hash (uppercase hex of its sha256, as CometBFT names it).
#[derive(Clone, Debug)]
pub struct SignedTx {
    pub bytes: Vec<u8>,
    pub hash: String,
}

/// One included transaction.
#[derive(Clone, Debug)]
pub struct Included {
    pub hash: String,
    pub height: u64,
    pub gas_used: u64,
    pub events: Value,
}

impl Chain {
    pub fn new(
        url: &str,
        chain_id: &str,
        gas_price: (f64, String),
        gas_adjustment: f64,
    ) -> Result<Self> {
        let normalized = url
            .strip_prefix("tcp://")
            .map(|r| format!("http://{r}"))
            .unwrap_or_else(|| url.to_string())
            .trim_end_matches('/')
            .to_string();
        let uri: hyper::Uri = format!("{normalized}/")
            .parse()
            .map_err(|e| AttesterError::Rpc {
                url: url.into(),
                message: format!("invalid URL: {e}"),
            })?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(AttesterError::Rpc {
                url: url.into(),
                message: "only http:// and https:// CometBFT RPC URLs are supported \
                          (tcp:// is taken as http://)"
                    .into(),
            });
        }
        let tls = tls_config().map_err(|e| AttesterError::Rpc {
            url: url.into(),
            message: format!("TLS setup: {e}"),
        })?;
        // One connector for both schemes: the URL decides, per request, whether TLS is spoken.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Chain {
            url: normalized,
            uri,
            client: Client::builder(TokioExecutor::new()).build(connector),
            chain_id: chain_id.into(),
            gas_price: gas_price.0,
            fee_denom: gas_price.1,
            gas_adjustment,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn rpc_err(&self, message: impl Into<String>) -> AttesterError {
        AttesterError::Rpc {
            url: self.url.clone(),
            message: message.into(),
        }
    }

    /// One JSON-RPC call; returns `result`.
    async fn call(&self, method: &str, params: Value) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let request = hyper::Request::post(self.uri.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| self.rpc_err(e.to_string()))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let mut m = format!("{method}: {}", error_chain(&e));
                if m.contains("UnknownIssuer") {
                    m.push_str(
                        " (a private CA? point SSL_CERT_FILE or SSL_CERT_DIR at its certificate)",
                    );
                }
                self.rpc_err(m)
            })?;
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| self.rpc_err(format!("{method}: {}", error_chain(&e))))?
                .to_bytes();
            Ok::<_, AttesterError>(bytes)
        };
        let bytes = tokio::time::timeout(RPC_TIMEOUT, exchange)
            .await
            .map_err(|_| self.rpc_err(format!("no answer to {method} within {RPC_TIMEOUT:?}")))??;
        let mut reply: Value = serde_json::from_slice(&bytes).map_err(|_| {
            self.rpc_err(format!(
                "{method}: not JSON-RPC: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
        })?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            return Err(self.rpc_err(format!("{method}: {error}")));
        }
        match reply.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(self.rpc_err(format!("{method}: no result"))),
        }
    }

    /// `status`'s `sync_info`, once the node is known to be on our chain.
    async fn sync_info(&self) -> Result<Value> {
        let mut status = self.call("status", json!({})).await?;
        let chain_id = status["node_info"]["network"].as_str().unwrap_or_default();
        if chain_id != self.chain_id {
            return Err(self.rpc_err(format!(
                "the node is on chain {chain_id:?}, the config says {:?}",
                self.chain_id
            )));
        }
        Ok(status["sync_info"].take())
    }

    /// Committed txs matching a CometBFT event query (`tx_search`; e.g.
    /// `wasm.job_id='7'`), oldest first, at most `limit` (≤ 100, one page), with their events.
    pub async fn tx_search(&self, query: &str, limit: u32) -> Result<Vec<Included>> {
        let found = self
            .call(
                "tx_search",
                json!({"query": query, "prove": false, "page": "1",
                       "per_page": limit.clamp(1, 100).to_string(), "order_by": "asc"}),
            )
            .await?;
        let txs = found["txs"].as_array().cloned().unwrap_or_default();
        txs.into_iter()
            .map(|tx| {
                Ok(Included {
                    hash: tx["hash"]
                        .as_str()
                        .ok_or_else(|| self.rpc_err("tx_search: a tx without a hash"))?
                        .to_string(),
                    height: as_u64(&tx["height"])
                        .ok_or_else(|| self.rpc_err("tx_search: a tx without a height"))?,
                    gas_used: as_u64(&tx["tx_result"]["gas_used"]).unwrap_or_default(),
                    events: tx["tx_result"]["events"].clone(),
                })
            })
            .collect()
    }

    /// Height of the latest committed block.
    pub async fn latest_height(&self) -> Result<u64> {
        as_u64(&self.sync_info().await?["latest_block_height"])
            .ok_or_else(|| self.rpc_err("status: no latest_block_height"))
    }

    /// Height and time of the latest committed block. Contracts compare their deadlines
    /// (unbonding release, jail terms) with block time, so callers predicting a contract's
    /// answer use this rather than the local clock.
    pub async fn latest_block(&self) -> Result<(u64, Timestamp)> {
        let sync = self.sync_info().await?;
        let height = as_u64(&sync["latest_block_height"])
            .ok_or_else(|| self.rpc_err("status: no latest_block_height"))?;
        let time = sync["latest_block_time"]
            .as_str()
            .and_then(|t| cosmrs::tendermint::Time::parse_from_rfc3339(t).ok())
            .and_then(|t| u64::try_from(t.unix_timestamp_nanos()).ok())
            .ok_or_else(|| {
                self.rpc_err(format!(
                    "status: latest_block_time {} is not an RFC 3339 time after 1970",
                    sync["latest_block_time"]
                ))
            })?;
        Ok((height, Timestamp::from_nanos(time)))
    }

    /// `abci_query` of a gRPC method path with a protobuf request.
    async fn abci_query<Resp: Message + Default>(
        &self,
        path: &str,
        request: impl Message,
    ) -> Result<Resp> {
        let r = self
            .call(
                "abci_query",
                json!({"path": path, "data": hex::encode(request.encode_to_vec()), "prove": false}),
            )
            .await?;
        let resp = &r["response"];
        let code = resp["code"].as_u64().unwrap_or(0) as u32;
        if code != 0 {
            return Err(AttesterError::Query {
                path: path.into(),
                code,
                log: resp["log"].as_str().unwrap_or_default().into(),
            });
        }
        let value = base64::engine::general_purpose::STANDARD
            .decode(resp["value"].as_str().unwrap_or_default())
            .map_err(|e| self.rpc_err(format!("{path}: value: {e}")))?;
        Resp::decode(value.as_slice()).map_err(|e| self.rpc_err(format!("{path}: {e}")))
    }

    /// A contract's smart query, JSON in and out.
    pub async fn smart<Q: Serialize, R: DeserializeOwned>(
        &self,
        contract: &str,
        query: &Q,
    ) -> Result<R> {
        let query_data = serde_json::to_vec(query).map_err(|e| self.rpc_err(e.to_string()))?;
        let r: QuerySmartContractStateResponse = self
            .abci_query(
                "/cosmwasm.wasm.v1.Query/SmartContractState",
                QuerySmartContractStateRequest {
                    address: contract.into(),
                    query_data,
                },
            )
            .await?;
        serde_json::from_slice(&r.data).map_err(|e| {
            self.rpc_err(format!(
                "smart query of {contract}: unexpected answer ({e}): {}",
                String::from_utf8_lossy(&r.data)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
        })
    }

    /// (account number, sequence); `None` for an account the chain has never seen.
    pub async fn account(&self, address: &str) -> Result<Option<(u64, u64)>> {
        let r: Result<QueryAccountResponse> = self
            .abci_query(
                "/cosmos.auth.v1beta1.Query/Account",
                QueryAccountRequest {
                    address: address.into(),
                },
            )
            .await;
        match r {
            Ok(r) => {
                let any = r
                    .account
                    .ok_or_else(|| self.rpc_err("account: empty answer"))?;
                let base = BaseAccount::decode(any.value.as_slice())
                    .map_err(|e| self.rpc_err(format!("account {address}: {e}")))?;
                Ok(Some((base.account_number, base.sequence)))
            }
            Err(AttesterError::Query { code, .. }) if code == CODE_NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Signs `msgs` (contract executions as JSON) from `keys`, simulates for the gas, broadcasts
    /// and waits until the tx is in a block. `what` names the tx in errors and logs.
    pub async fn execute(
        &self,
        keys: &Keys,
        what: &str,
        msgs: &[(String, Value, Vec<Coin>)],
    ) -> Result<Included> {
        self.execute_with_allowance(keys, what, msgs, 0).await
    }

    /// As [`Chain::execute`], with `extra_gas` on top of the simulated amount: for a message whose
    /// work can grow between simulation and inclusion (a reveal that turns out to be the last
    /// one runs the tally).
    pub async fn execute_with_allowance(
        &self,
        keys: &Keys,
        what: &str,
        msgs: &[(String, Value, Vec<Coin>)],
        extra_gas: u64,
    ) -> Result<Included> {
        let tx = self.prepare(keys, what, msgs, extra_gas).await?;
        self.submit(what, tx).await
    }

    /// Builds, simulates and signs a tx without sending it, so its hash can be recorded first.
    pub async fn prepare(
        &self,
        keys: &Keys,
        what: &str,
        msgs: &[(String, Value, Vec<Coin>)],
        extra_gas: u64,
    ) -> Result<SignedTx> {
        let sender: AccountId = keys
            .address
            .parse()
            .map_err(|e| self.rpc_err(format!("own address: {e}")))?;
        let mut anys = Vec::with_capacity(msgs.len());
        for (contract, msg, funds) in msgs {
            let m = MsgExecuteContract {
                sender: sender.clone(),
                contract: contract
                    .parse()
                    .map_err(|e| self.rpc_err(format!("contract address {contract}: {e}")))?,
                msg: serde_json::to_vec(msg).map_err(|e| self.rpc_err(e.to_string()))?,
                funds: funds.clone(),
            };
            anys.push(m.to_any().map_err(|e| self.rpc_err(e.to_string()))?);
        }
        let (account_number, sequence) =
            self.account(&keys.address)
                .await?
                .ok_or_else(|| AttesterError::Tx {
                    what: what.into(),
                    code: CODE_NOT_FOUND,
                    log: format!(
                        "account {} does not exist on chain {}: fund it first",
                        keys.address, self.chain_id
                    ),
                    hash: None,
                })?;
        let body = Body::new(anys, format!("openledger-attester: {what}"), 0u32);
        let simulated = self.sign(keys, &body, account_number, sequence, 0)?;
        let sim: SimulateResponse = self
            .abci_query(
                "/cosmos.tx.v1beta1.Service/Simulate",
                SimulateRequest {
                    tx_bytes: simulated,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| match e {
                AttesterError::Query { code, log, .. } => AttesterError::Tx {
                    what: what.into(),
                    code,
                    log,
                    hash: None,
                },
                e => e,
            })?;
        let used = sim.gas_info.map(|g| g.gas_used).unwrap_or(0);
        let gas_limit = ((used as f64) * self.gas_adjustment).ceil() as u64 + 10_000 + extra_gas;
        let bytes = self.sign(keys, &body, account_number, sequence, gas_limit)?;
        let hash = hex::encode_upper(sha2_256(&bytes));
        Ok(SignedTx { bytes, hash })
    }

    /// Broadcasts a [`Chain::prepare`]d tx and waits until it is in a block.
    pub async fn submit(&self, what: &str, tx: SignedTx) -> Result<Included> {
        let SignedTx { bytes: tx, hash } = tx;
        let r = self
            .call(
                "broadcast_tx_sync",
                json!({"tx": base64::engine::general_purpose::STANDARD.encode(&tx)}),
            )
            .await?;
        let code = r["code"].as_u64().unwrap_or(0) as u32;
        if code != 0 {
            return Err(AttesterError::Tx {
                what: what.into(),
                code,
                log: r["log"].as_str().unwrap_or_default().into(),
                hash: Some(hash),
            });
        }
        self.wait_for(what, &hash).await
    }

    fn sign(
        &self,
        keys: &Keys,
        body: &Body,
        account_number: u64,
        sequence: u64,
        gas_limit: u64,
    ) -> Result<Vec<u8>> {
        let amount = (gas_limit as f64 * self.gas_price).ceil() as u128;
        // A zero coin is invalid; the simulation (gas 0) carries no fee amount, as cosmjs does.
        let fee = if amount == 0 {
            Fee {
                amount: vec![],
                gas_limit,
                payer: None,
                granter: None,
            }
        } else {
            Fee::from_amount_and_gas(
                Coin {
                    denom: self
                        .fee_denom
                        .parse()
                        .map_err(|e| self.rpc_err(format!("fee denom: {e}")))?,
                    amount,
                },
                gas_limit,
            )
        };
        let auth_info =
            SignerInfo::single_direct(Some(keys.account.public_key()), sequence).auth_info(fee);
        let chain_id = self
            .chain_id
            .parse()
            .map_err(|e| self.rpc_err(format!("chain id: {e}")))?;
        SignDoc::new(body, &auth_info, &chain_id, account_number)
            .and_then(|doc| doc.sign(&keys.account))
            .and_then(|raw| raw.to_bytes())
            .map_err(|e| self.rpc_err(format!("signing: {e}")))
    }

    /// Polls `tx` until the hash is in a block; its DeliverTx code decides the outcome.
    async fn wait_for(&self, what: &str, hash: &str) -> Result<Included> {
        let start = Instant::now();
        let hash_b64 =
            base64::engine::general_purpose::STANDARD.encode(hex::decode(hash).unwrap_or_default());
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            match self
                .call("tx", json!({"hash": hash_b64, "prove": false}))
                .await
            {
                Ok(r) => {
                    let res = &r["tx_result"];
                    let code = res["code"].as_u64().unwrap_or(0) as u32;
                    if code != 0 {
                        return Err(AttesterError::Tx {
                            what: what.into(),
                            code,
                            log: res["log"].as_str().unwrap_or_default().into(),
                            hash: Some(hash.into()),
                        });
                    }
                    return Ok(Included {
                        hash: hash.into(),
                        height: as_u64(&r["height"]).unwrap_or(0),
                        gas_used: as_u64(&res["gas_used"]).unwrap_or(0),
                        events: res["events"].clone(),
                    });
                }
                // "tx (HASH) not found" until it is indexed; keep asking until the timeout.
                Err(_) if start.elapsed() < INCLUSION_TIMEOUT => continue,
                Err(_) => {
                    return Err(AttesterError::TxTimeout {
                        hash: hash.into(),
                        seconds: INCLUSION_TIMEOUT.as_secs(),
                    })
                }
            }
        }
    }
}

/// TLS for https:// RPC: rustls on ring, trusting the Mozilla roots (compiled in, so a host
/// without a CA bundle still reaches public endpoints) and the system store, which
/// `rustls-native-certs` reads from `SSL_CERT_FILE` / `SSL_CERT_DIR` when set: the way to trust
/// a private CA in front of a self-hosted node.
fn tls_config() -> std::result::Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        // Not fatal: the compiled-in roots remain; but a CA the operator pointed at and we
        // could not read explains a later "unknown issuer".
        tracing::warn!("system CA certificates: {e}");
    }
    let (_, ignored) = roots.add_parsable_certificates(native.certs);
    if ignored > 0 {
        tracing::debug!("{ignored} system CA certificate(s) could not be parsed; skipped");
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// `e` and its sources: hyper's own message ("client error (Connect)") hides the reason (a
/// refused connection, an unknown certificate issuer) in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        // Wrappers often repeat their cause's text.
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

fn sha2_256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// CometBFT writes int64 as JSON strings.
fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn chain(url: &str) -> Result<Chain> {
        Chain::new(url, "test-1", (0.025, "uopen".into()), 1.4)
    }

    #[test]
    fn http_https_and_tcp_urls_are_accepted_other_schemes_are_not() {
        for (url, normalized) in [
            ("http://127.0.0.1:26657", "http://127.0.0.1:26657"),
            ("https://rpc.example.com", "https://rpc.example.com"),
            (
                "https://rpc.example.com:443/cometbft/",
                "https://rpc.example.com:443/cometbft",
            ),
            ("tcp://127.0.0.1:26657", "http://127.0.0.1:26657"),
        ] {
            let c = chain(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(c.url(), normalized);
        }
        for url in ["ftp://rpc.example.com", "ws://127.0.0.1:26657/websocket"] {
            let e = chain(url).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("only http:// and https://"), "{url}: {e:?}");
        }
        // No scheme at all is refused too (as invalid or as unsupported).
        assert!(chain("127.0.0.1:26657").is_err());
        assert!(chain("not a url").is_err());
    }

    /// A plain-HTTP JSON-RPC server answering every request with one `status` result.
    async fn plain_status_server() -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    // One read holds the small request (or a TLS ClientHello); enough here.
                    let _ = conn.read(&mut buf).await;
                    let body = json!({"jsonrpc": "2.0", "id": 1, "result": {
                        "node_info": {"network": "test-1"},
                        "sync_info": {"latest_block_height": "7",
                                      "latest_block_time": "2026-01-02T03:04:05.5Z"}}})
                    .to_string();
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn https_urls_speak_tls_and_http_urls_do_not() {
        let addr = plain_status_server().await;
        let (height, time) = chain(&format!("http://{addr}"))
            .unwrap()
            .latest_block()
            .await
            .unwrap();
        assert_eq!(height, 7);
        let c = chain(&format!("http://{addr}")).unwrap();
        assert_eq!(c.latest_height().await.unwrap(), 7);
        assert_eq!(time, Timestamp::from_nanos(1_767_323_045_500_000_000));
        // The same server over https:// fails in the TLS handshake: the client sent a
        // ClientHello, not a plaintext request, and says so.
        let e = chain(&format!("https://{addr}"))
            .unwrap()
            .latest_block()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("corrupt message") || e.contains("InvalidContentType"),
            "{e}"
        );
    }
}
