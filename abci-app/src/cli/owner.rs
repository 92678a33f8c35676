//! The rest of a Datanet's life from the command line: the owner creates it, curates the
//! contributions (`review`), cuts versions (`publish`, `new-version`, paying the fee the
//! registry quotes in CW20 OPEN, wrapped from native uopen in the same tx) and grants or revokes
//! access; anyone queries Datanets and rows, and fetches a row's bytes from IPFS checked
//! against its on-chain hash.

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use openledger_content::{Cid, Fetched, Ipfs};
use openledger_types::datanet::{
    ContributionInfo, ContributionPolicy, ContributionsResponse, DatanetInfo, DatanetKind,
    ExecuteMsg, FeeResponse, QueryMsg, ReceiveMsg, VersionInfo,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::chain::{ChainClient, Included};

/// The attributes named `key` of a tx's wasm events.
fn attribute(included: &Included, key: &str) -> Vec<String> {
    included
        .attributes
        .iter()
        .filter(|(ty, k, _)| ty.starts_with("wasm") && k == key)
        .map(|(_, _, v)| v.clone())
        .collect()
}

pub struct NewDatanet {
    pub name: String,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub license: String,
    /// `open` or `owner-approval`.
    pub policy: String,
    pub min_score_bps: u64,
}

/// Creates a Draft Datanet; returns its id.
pub async fn create(chain: &ChainClient, registry: &str, d: NewDatanet) -> Result<u64> {
    let policy = match d.policy.as_str() {
        "open" => ContributionPolicy::Open,
        "owner-approval" => ContributionPolicy::OwnerApproval,
        other => bail!("--policy {other:?}: use open or owner-approval"),
    };
    let msg = ExecuteMsg::CreateDatanet {
        name: d.name,
        summary: d.summary,
        description: d.description,
        tags: d.tags,
        kind: DatanetKind::Text,
        license: d.license,
        policy,
        min_validation_score_bps: d.min_score_bps,
    };
    let included = chain
        .send(vec![chain.execute_msg(registry, &msg)?], "create Datanet")
        .await?;
    let id = attribute(&included, "datanet_id")
        .first()
        .and_then(|v| v.parse().ok())
        .context("the tx named no datanet_id")?;
    println!("created Datanet {id} (draft; tx {})", included.hash);
    Ok(id)
}

/// Accepts (with a validation score) or rejects contributions, all in one tx.
pub async fn review(
    chain: &ChainClient,
    registry: &str,
    contributions: &[u64],
    accept: bool,
    score_bps: u64,
) -> Result<()> {
    if contributions.is_empty() {
        bail!("name at least one contribution id");
    }
    let msgs = contributions
        .iter()
        .map(|&id| {
            chain.execute_msg(
                registry,
                &ExecuteMsg::ReviewContribution {
                    contribution_id: id,
                    accept,
                    validation_score_bps: score_bps,
                },
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let included = chain.send(msgs, "review").await?;
    let statuses = attribute(&included, "status");
    for (id, status) in contributions.iter().zip(&statuses) {
        println!("contribution {id}: {status}");
    }
    println!("(tx {})", included.hash);
    Ok(())
}

/// Cuts the first version (`first`) or the next one over the rows accepted since, paying the
/// quoted fee: native uopen wrapped into CW20 OPEN and sent with the hook, in one tx.
pub async fn cut_version(
    chain: &ChainClient,
    registry: &str,
    open_token: &str,
    datanet_id: u64,
    first: bool,
) -> Result<()> {
    let quote: FeeResponse = chain
        .smart(registry, &QueryMsg::PublishFee { datanet_id })
        .await?;
    let hook = if first {
        ReceiveMsg::Publish { datanet_id }
    } else {
        ReceiveMsg::NewVersion { datanet_id }
    };
    let hook = base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&hook)?);
    let mut msgs = vec![];
    if !quote.fee.is_zero() {
        msgs.push(chain.execute_msg_with_funds(
            open_token,
            &json!({"deposit": {}}),
            vec![Coin {
                denom: "uopen".into(),
                amount: quote.fee.to_string(),
            }],
        )?);
    }
    msgs.push(chain.execute_msg(
        open_token,
        &json!({"send": {"contract": registry, "amount": quote.fee.to_string(), "msg": hook}}),
    )?);
    let what = if first { "publish" } else { "new version" };
    let included = chain.send(msgs, what).await?;
    let dn: DatanetInfo = chain
        .smart(registry, &QueryMsg::Datanet { datanet_id })
        .await?;
    let v: VersionInfo = chain
        .smart(
            registry,
            &QueryMsg::Version {
                datanet_id,
                version: dn.version,
            },
        )
        .await?;
    println!(
        "Datanet {datanet_id} v{}: {} rows, root {}; fee {} uopen for {} new bytes (tx {})",
        v.version, v.leaf_count, v.merkle_root, quote.fee, quote.pending_bytes, included.hash
    );
    Ok(())
}

/// Grants (`Some(expiry)`: unix seconds, 0 for none) or revokes a training access.
pub async fn access(
    chain: &ChainClient,
    registry: &str,
    datanet_id: u64,
    grantee: &str,
    grant: Option<u64>,
) -> Result<()> {
    let msg = match grant {
        Some(expires) => ExecuteMsg::GrantAccess {
            datanet_id,
            grantee: grantee.to_string(),
            expires_at: (expires > 0).then_some(expires),
        },
        None => ExecuteMsg::RevokeAccess {
            datanet_id,
            grantee: grantee.to_string(),
        },
    };
    let what = if grant.is_some() { "grant" } else { "revoke" };
    let included = chain
        .send(vec![chain.execute_msg(registry, &msg)?], what)
        .await?;
    println!(
        "{what}ed {grantee} on Datanet {datanet_id} (tx {})",
        included.hash
    );
    Ok(())
}

/// A Datanet and its versions, as JSON.
pub async fn show(chain: &ChainClient, registry: &str, datanet_id: u64) -> Result<()> {
    let dn: DatanetInfo = chain
        .smart(registry, &QueryMsg::Datanet { datanet_id })
        .await?;
    let mut versions = vec![];
    for version in 1..=dn.version {
        let v: VersionInfo = chain
            .smart(
                registry,
                &QueryMsg::Version {
                    datanet_id,
                    version,
                },
            )
            .await?;
        versions.push(v);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"datanet": dn, "versions": versions}))?
    );
    Ok(())
}

/// A page of a Datanet's contributions (optionally only one status), one JSON line each.
pub async fn rows(
    chain: &ChainClient,
    registry: &str,
    datanet_id: u64,
    status: Option<&str>,
    start_after: Option<u64>,
    limit: u32,
) -> Result<()> {
    let page: ContributionsResponse = chain
        .smart(
            registry,
            &QueryMsg::ListContributions {
                datanet_id,
                start_after,
                limit: Some(limit),
            },
        )
        .await?;
    for c in page.contributions {
        let s = serde_json::to_value(&c)?;
        if status.is_none_or(|want| s["status"] == want) {
            println!("{s}");
        }
    }
    Ok(())
}

/// A contribution's bytes, from IPFS, checked against its on-chain hash and size.
pub async fn fetch_row(
    chain: &ChainClient,
    registry: &str,
    ipfs: &Ipfs,
    contribution_id: u64,
) -> Result<Vec<u8>> {
    let c: ContributionInfo = chain
        .smart(registry, &QueryMsg::Contribution { contribution_id })
        .await?;
    let sha256: [u8; 32] = c
        .content_hash
        .as_slice()
        .try_into()
        .context("the contribution's content hash is not 32 bytes")?;
    let cid = Cid::for_content(sha256, Some(&c.uri));
    let bytes = match ipfs.cat(&cid, c.size).await? {
        Fetched::Bytes(bytes) => bytes,
        Fetched::NotFound(why) => {
            bail!("contribution {contribution_id} ({cid}) is not available: {why}")
        }
        Fetched::TooLarge => bail!("{cid} is more than the {} bytes the chain records", c.size),
    };
    let got: [u8; 32] = Sha256::digest(&bytes).into();
    if got != sha256 || bytes.len() as u64 != c.size {
        bail!(
            "{cid} gave {} bytes with sha256 {}, the chain records {} bytes with {}: refused",
            bytes.len(),
            hex::encode(got),
            c.size,
            c.content_hash
        );
    }
    Ok(bytes)
}
