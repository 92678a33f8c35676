//! What the user commands need of a running chain, over its CometBFT RPC: contract queries
//! (`abci_query` of the wasm module's `SmartContractState`), the signer's account, and txs
//! simulated for gas, signed (`SIGN_MODE_DIRECT`, as cosmjs signs), broadcast and waited for.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmos_sdk_proto::Any;
use prost::Message;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use cosmos_sdk_proto::cosmos::tx::v1beta1::BroadcastMode;

use crate::server::cometbft::CometRpc;
use crate::signer::Signer;

/// How long a broadcast tx may take to be included before the command gives up on it.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// A tx that was included, successfully.
#[derive(Debug)]
pub struct Included {
    pub hash: String,
    pub height: i64,
    pub gas_used: i64,
    /// `(event type, key, value)` of every event attribute, in order.
    pub attributes: Vec<(String, String, String)>,
}

pub struct ChainClient {
    rpc: CometRpc,
    pub chain_id: String,
    /// None for a client that only queries.
    signer: Option<Signer>,
    gas_price: (f64, String),
    gas_adjustment: f64,
}

impl ChainClient {
    /// Connects to `rpc` and learns the chain id from its `status`; without a signer it can
    /// only query.
    pub async fn connect(rpc: &str, signer: Option<Signer>, gas_price: &str) -> Result<Self> {
        let rpc = CometRpc::new(rpc)?;
        let status = rpc
            .call("status", json!({}))
            .await
            .with_context(|| format!("asking {} for its status", rpc.url()))?;
        let chain_id = status["node_info"]["network"]
            .as_str()
            .context("status has no node_info.network (chain id)")?
            .to_string();
        Ok(ChainClient {
            rpc,
            chain_id,
            signer,
            gas_price: parse_gas_price(gas_price)?,
            gas_adjustment: 1.4,
        })
    }

    /// The account that signs.
    pub fn signer(&self) -> Result<&Signer> {
        self.signer.as_ref().context(
            "this command signs a transaction: give the account's mnemonic (OPENLEDGER_MNEMONIC)",
        )
    }

    /// An `abci_query`; returns the answer's value bytes.
    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<Vec<u8>> {
        let result = self
            .rpc
            .call(
                "abci_query",
                json!({"path": path, "data": hex::encode(data), "prove": false}),
            )
            .await?;
        let response = &result["response"];
        let code = response["code"].as_u64().unwrap_or(0);
        if code != 0 {
            bail!(
                "query {path} failed (code {code}): {}",
                response["log"].as_str().unwrap_or_default()
            );
        }
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(response["value"].as_str().unwrap_or_default())
            .with_context(|| format!("query {path}: the answer is not base64"))
    }

    /// A contract's smart query, answered in JSON.
    pub async fn smart<Q: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        query: &Q,
    ) -> Result<T> {
        let request = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: serde_json::to_vec(query)?,
        };
        let value = self
            .abci_query(
                "/cosmwasm.wasm.v1.Query/SmartContractState",
                request.encode_to_vec(),
            )
            .await?;
        let data = QuerySmartContractStateResponse::decode(value.as_slice())?.data;
        serde_json::from_slice(&data).with_context(|| {
            format!(
                "contract {contract} answered {}",
                String::from_utf8_lossy(&data)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )
        })
    }

    /// The signer's account number and next sequence.
    async fn account(&self) -> Result<(u64, u64)> {
        let value = self
            .abci_query(
                "/cosmos.auth.v1beta1.Query/Account",
                QueryAccountRequest {
                    address: self.signer()?.address.clone(),
                }
                .encode_to_vec(),
            )
            .await
            .with_context(|| {
                format!(
                    "account {} is not on chain: fund it with uopen first",
                    self.signer.as_ref().map_or("?", |s| s.address.as_str())
                )
            })?;
        let any = QueryAccountResponse::decode(value.as_slice())?
            .account
            .context("no account in the answer")?;
        let account = BaseAccount::decode(any.value.as_slice())?;
        Ok((account.account_number, account.sequence))
    }

    /// A `MsgExecuteContract` from the signer.
    pub fn execute_msg<M: Serialize>(&self, contract: &str, msg: &M) -> Result<Any> {
        self.execute_msg_with_funds(contract, msg, vec![])
    }

    /// A `MsgExecuteContract` from the signer, sending `funds` with it.
    pub fn execute_msg_with_funds<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: Vec<Coin>,
    ) -> Result<Any> {
        Ok(Any {
            type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
            value: MsgExecuteContract {
                sender: self.signer()?.address.clone(),
                contract: contract.to_string(),
                msg: serde_json::to_vec(msg)?,
                funds,
            }
            .encode_to_vec(),
        })
    }

    /// Simulates `msgs` for gas, signs them with the fee that gas costs, broadcasts, and waits
    /// until the tx is in a block. A tx the chain refuses or executes with an error is an error
    /// carrying its log.
    pub async fn send(&self, msgs: Vec<Any>, what: &str) -> Result<Included> {
        let (account_number, sequence) = self.account().await?;
        let tx = self.sign(msgs, what, account_number, sequence).await?;
        let hash = self.broadcast(&tx, what).await?;
        self.wait(&hash, what).await
    }

    /// [`ChainClient::send`] of several txs, up to `in_flight` of them broadcast before the
    /// first is waited for (consecutive sequences: the node's CheckTx state counts the pending
    /// ones), so a block can take several. The answers come in order, one per tx broadcast;
    /// after the first failure nothing more is broadcast, and those already sent are still
    /// waited for (they may well be included).
    pub async fn send_all(
        &self,
        txs: Vec<(Vec<Any>, String)>,
        in_flight: usize,
        mut on_included: impl FnMut(&Included),
    ) -> Vec<Result<Included>> {
        let mut out = vec![];
        let (account_number, mut sequence) = match self.account().await {
            Ok(a) => a,
            Err(e) => return vec![Err(e)],
        };
        let mut pending: std::collections::VecDeque<(String, String)> = Default::default();
        let mut failed = false;
        let mut record = |r: Result<Included>, failed: &mut bool| {
            match &r {
                Ok(included) => on_included(included),
                Err(_) => *failed = true,
            }
            out.push(r);
        };
        for (msgs, what) in txs {
            if failed {
                break;
            }
            while pending.len() >= in_flight.max(1) {
                if let Some((hash, what)) = pending.pop_front() {
                    let r = self.wait(&hash, &what).await;
                    record(r, &mut failed);
                }
            }
            if failed {
                break;
            }
            let sent = match self.sign(msgs, &what, account_number, sequence).await {
                Ok(tx) => self.broadcast(&tx, &what).await,
                Err(e) => Err(e),
            };
            match sent {
                Ok(hash) => {
                    pending.push_back((hash, what));
                    sequence += 1;
                }
                Err(e) => record(Err(e), &mut failed),
            }
        }
        while let Some((hash, what)) = pending.pop_front() {
            let r = self.wait(&hash, &what).await;
            record(r, &mut failed);
        }
        out
    }

    /// Simulates `msgs` for gas and signs them with the fee that gas costs at `sequence`.
    async fn sign(
        &self,
        msgs: Vec<Any>,
        what: &str,
        account_number: u64,
        sequence: u64,
    ) -> Result<Vec<u8>> {
        // Simulated at the committed sequence (a tx pending before this one changes its gas
        // little, and the simulation checks no signature); a block committed between reading
        // the sequence and simulating moves it on, so that is asked again.
        let mut attempt = 0;
        let simulated = loop {
            let (_, committed) = self.account().await?;
            let simulate_tx = self.signer()?.sign_direct(
                &self.chain_id,
                account_number,
                committed,
                msgs.clone(),
                vec![],
                0,
                "",
            );
            match self
                .abci_query(
                    "/cosmos.tx.v1beta1.Service/Simulate",
                    SimulateRequest {
                        tx_bytes: simulate_tx,
                        ..Default::default()
                    }
                    .encode_to_vec(),
                )
                .await
            {
                Ok(simulated) => break simulated,
                Err(e) if attempt < 5 && e.to_string().contains("account sequence mismatch") => {
                    attempt += 1;
                }
                Err(e) => return Err(e.context(format!("{what}: simulation"))),
            }
        };
        let gas_used = SimulateResponse::decode(simulated.as_slice())?
            .gas_info
            .map(|g| g.gas_used)
            .unwrap_or(0);
        let gas_limit = ((gas_used as f64) * self.gas_adjustment).ceil() as u64 + 10_000;
        let (price, denom) = &self.gas_price;
        let fee = vec![Coin {
            denom: denom.clone(),
            amount: ((gas_limit as f64) * price).ceil().to_string(),
        }];
        Ok(self.signer()?.sign_direct(
            &self.chain_id,
            account_number,
            sequence,
            msgs,
            fee,
            gas_limit,
            "",
        ))
    }

    /// Broadcasts (CheckTx only); returns the tx hash.
    async fn broadcast(&self, tx: &[u8], what: &str) -> Result<String> {
        let checked = self
            .rpc
            .broadcast(tx, BroadcastMode::Sync)
            .await
            .map_err(|e| anyhow!("{what}: broadcast: {e}"))?;
        if checked.code != 0 {
            bail!(
                "{what}: refused (code {}): {}",
                checked.code,
                checked.raw_log
            );
        }
        Ok(checked.txhash)
    }

    /// Waits until tx `hash` is in a block; its execution must have succeeded.
    async fn wait(&self, hash: &str, what: &str) -> Result<Included> {
        let started = Instant::now();
        loop {
            match self.rpc.tx(hash).await {
                Ok((_, r)) => {
                    if r.code != 0 {
                        bail!(
                            "{what}: failed in block {} (code {}): {}",
                            r.height,
                            r.code,
                            r.raw_log
                        );
                    }
                    let attributes = r
                        .events
                        .iter()
                        .flat_map(|e| {
                            e.attributes
                                .iter()
                                .map(move |a| (e.r#type.clone(), a.key.clone(), a.value.clone()))
                        })
                        .collect();
                    return Ok(Included {
                        hash: r.txhash,
                        height: r.height,
                        gas_used: r.gas_used,
                        attributes,
                    });
                }
                Err(e) if e.code == tonic::Code::NotFound => {}
                Err(e) => return Err(anyhow!("{what}: looking for tx {hash}: {e}")),
            }
            if started.elapsed() > INCLUSION_TIMEOUT {
                bail!(
                    "{what}: tx {hash} was not included within {}s",
                    INCLUSION_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// `0.025uopen` → (0.025, "uopen").
fn parse_gas_price(text: &str) -> Result<(f64, String)> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| {
            format!("gas price {text:?}: expected an amount and a denom, e.g. 0.025uopen")
        })?;
    let (amount, denom) = text.split_at(split);
    let amount: f64 = amount
        .parse()
        .with_context(|| format!("gas price {text:?}: {amount:?} is not a number"))?;
    if !amount.is_finite() || amount < 0.0 {
        bail!("gas price {text:?} must be a non-negative number");
    }
    Ok((amount, denom.to_string()))
}

/// The signer of account `index` (HD path m/44'/118'/0'/0/index) of a BIP-39 mnemonic, the
/// derivation Keplr and cosmjs use.
pub fn signer_from_mnemonic(mnemonic: &str, index: u32) -> Result<Signer> {
    let words = mnemonic.split_whitespace().collect::<Vec<_>>().join(" ");
    let mnemonic = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &words)
        .map_err(|e| anyhow!("the mnemonic is not a valid BIP-39 phrase: {e}"))?;
    let seed = mnemonic.to_seed("");
    let path: bip32::DerivationPath = format!("m/44'/118'/0'/0/{index}")
        .parse()
        .map_err(|e| anyhow!("HD path: {e}"))?;
    let key =
        bip32::XPrv::derive_from_path(seed, &path).map_err(|e| anyhow!("HD derivation: {e}"))?;
    let secret: [u8; 32] = key.private_key().to_bytes().into();
    Signer::from_secret(&secret).map_err(|e| anyhow!("derived key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_mnemonic_derives_the_dev_accounts() {
        for (i, (_, address)) in crate::dev::DEV_ACCOUNTS.iter().enumerate() {
            let signer = signer_from_mnemonic(crate::dev::DEV_MNEMONIC, i as u32).unwrap();
            assert_eq!(&signer.address, address);
        }
        assert!(signer_from_mnemonic("not a mnemonic", 0).is_err());
    }

    #[test]
    fn gas_prices_parse() {
        assert_eq!(
            parse_gas_price("0.025uopen").unwrap(),
            (0.025, "uopen".into())
        );
        assert!(parse_gas_price("uopen").is_err());
        assert!(parse_gas_price("0.025").is_err());
        assert!(parse_gas_price("-1uopen").is_err());
    }
}
