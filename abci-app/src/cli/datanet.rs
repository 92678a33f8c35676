//! `openledgerd tx datanet contribute`: files to Datanet rows in one step. Each file is split
//! into rows (by its type: .jsonl lines, .csv records, .md sections, .txt paragraphs), rows the
//! Datanet's limits or the chain already hold are set aside with the reason, the rest are added
//! to IPFS (pinned by the contributor's node) and registered on chain in batched txs.
//!
//! Nothing is registered before every row of its batch is on IPFS, and every batch is one
//! atomic `ContributeRows`: an interrupted run leaves whole batches behind, which a second run
//! finds on chain and skips, so running it again finishes the file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cosmwasm_std::HexBinary;
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use openledger_content::rows::{self, Format, Refused, Row};
use openledger_content::Ipfs;
use openledger_types::datanet::{
    ConfigResponse, ContributionsByHashResponse, DatanetInfo, DatanetKind, ExecuteMsg,
    FileProgressResponse, QueryMsg, QuotaResponse, RowUpload, UploadFile, MAX_ROWS_PER_BATCH,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::chain::{ChainClient, Included};

/// Rows added to IPFS at once.
const CONCURRENT_ADDS: usize = 8;
/// Batches broadcast before the first is waited for, so a block takes several (a full batch is
/// about a sixth of the block gas limit).
const TXS_IN_FLIGHT: usize = 4;

/// What happened to one file.
#[derive(Debug, Default, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    /// Rows the file split into (refused ones included).
    pub rows: usize,
    pub contributed: Vec<Contributed>,
    /// Rows the Datanet already holds (this file's earlier run, or anyone's same bytes).
    pub already: Vec<Already>,
    pub refused: Vec<RefusedRow>,
    pub txs: Vec<String>,
    /// Why the file stopped early, or was refused whole.
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Contributed {
    pub row: usize,
    pub line: usize,
    pub contribution_id: u64,
    pub uri: String,
}

#[derive(Debug, Serialize)]
pub struct Already {
    pub row: usize,
    pub line: usize,
    pub contribution_id: u64,
}

#[derive(Debug, Serialize)]
pub struct RefusedRow {
    pub row: usize,
    pub line: usize,
    pub reason: String,
}

impl From<Refused> for RefusedRow {
    fn from(r: Refused) -> Self {
        RefusedRow {
            row: r.index,
            line: r.line,
            reason: r.reason,
        }
    }
}

pub struct Contribute<'a> {
    pub chain: &'a ChainClient,
    pub registry: &'a str,
    pub ipfs: &'a Ipfs,
    pub datanet_id: u64,
    pub license: Option<String>,
    /// Rows per tx (at most the contract's `MAX_ROWS_PER_BATCH`).
    pub batch: usize,
}

impl Contribute<'_> {
    /// Contributes each file in turn; a file refused whole does not stop the others.
    pub async fn run(&self, files: &[PathBuf]) -> Result<Vec<FileReport>> {
        let dn: DatanetInfo = self
            .chain
            .smart(
                self.registry,
                &QueryMsg::Datanet {
                    datanet_id: self.datanet_id,
                },
            )
            .await
            .with_context(|| format!("Datanet {}", self.datanet_id))?;
        if dn.kind != DatanetKind::Text {
            bail!(
                "Datanet {} holds {:?} data; this command contributes text (.jsonl, .csv, .md, .txt)",
                dn.id,
                dn.kind
            );
        }
        let ConfigResponse { params, .. } = self
            .chain
            .smart(self.registry, &QueryMsg::Config {})
            .await?;
        let license = self.license.clone().unwrap_or_else(|| dn.license.clone());
        let mut reports = vec![];
        for path in files {
            let mut report = FileReport {
                path: path.clone(),
                ..Default::default()
            };
            if let Err(e) = self
                .file(path, params.max_contribution_bytes, &license, &mut report)
                .await
            {
                report.error = Some(format!("{e:#}"));
            }
            reports.push(report);
        }
        Ok(reports)
    }

    async fn file(
        &self,
        path: &Path,
        max_file_bytes: u64,
        license: &str,
        report: &mut FileReport,
    ) -> Result<()> {
        let format = Format::of(path)?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let sha256: [u8; 32] = Sha256::digest(&bytes).into();
        report.sha256 = hex::encode(sha256);
        report.bytes = bytes.len() as u64;
        if report.bytes > max_file_bytes {
            bail!(
                "{} bytes, more than the {max_file_bytes} a file may hold on this chain",
                report.bytes
            );
        }
        let split = rows::split(&bytes, format, max_file_bytes)?;
        report.rows = split.rows.len() + split.refused.len();
        report.refused = split.refused.into_iter().map(RefusedRow::from).collect();

        // Rows the Datanet holds already: done (a resumed run) or someone else's same bytes.
        let mut fresh: Vec<Row> = vec![];
        for chunk in split.rows.chunks(MAX_ROWS_PER_BATCH) {
            let known: ContributionsByHashResponse = self
                .chain
                .smart(
                    self.registry,
                    &QueryMsg::ContributionsByHash {
                        datanet_id: self.datanet_id,
                        content_hashes: chunk
                            .iter()
                            .map(|r| HexBinary::from(r.sha256.to_vec()))
                            .collect(),
                    },
                )
                .await?;
            for (row, id) in chunk.iter().zip(known.ids) {
                match id {
                    Some(contribution_id) => report.already.push(Already {
                        row: row.index,
                        line: row.line,
                        contribution_id,
                    }),
                    None => fresh.push(row.clone()),
                }
            }
        }

        // Today's limits: rows past what is left of them wait for tomorrow.
        let quota: QuotaResponse = self
            .chain
            .smart(
                self.registry,
                &QueryMsg::Quota {
                    datanet_id: self.datanet_id,
                    contributor: self.chain.signer()?.address.clone(),
                },
            )
            .await?;
        let started: FileProgressResponse = self
            .chain
            .smart(
                self.registry,
                &QueryMsg::FileProgress {
                    datanet_id: self.datanet_id,
                    contributor: self.chain.signer()?.address.clone(),
                    sha256: HexBinary::from(sha256.to_vec()),
                },
            )
            .await?;
        let resets = format!("resets at {}", utc(quota.resets_at.seconds()));
        if !fresh.is_empty() && started.bytes == 0 && quota.user_files >= quota.daily_files_per_user
        {
            bail!(
                "this account has contributed {} files today, the daily limit ({resets})",
                quota.user_files
            );
        }
        let user_left = quota.daily_bytes_per_user.saturating_sub(quota.user_bytes);
        let datanet_left = quota
            .daily_bytes_per_datanet
            .saturating_sub(quota.datanet_bytes);
        let mut taken = 0u64;
        let mut send = vec![];
        for row in fresh {
            let size = row.bytes.len() as u64;
            let over = if taken + size > user_left {
                Some(format!(
                    "over today's limit of {} bytes per contributor ({resets})",
                    quota.daily_bytes_per_user
                ))
            } else if taken + size > datanet_left {
                Some(format!(
                    "over today's limit of {} bytes per Datanet ({resets})",
                    quota.daily_bytes_per_datanet
                ))
            } else {
                None
            };
            match over {
                Some(reason) => report.refused.push(RefusedRow {
                    row: row.index,
                    line: row.line,
                    reason,
                }),
                None => {
                    taken += size;
                    send.push(row);
                }
            }
        }
        report.refused.sort_by_key(|r| r.row);
        if send.is_empty() {
            return Ok(());
        }

        // Every row on IPFS first: nothing is registered that its readers could not fetch.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bar = progress(send.len() as u64, &format!("{name}: adding rows to IPFS"));
        let uploads: Vec<RowUpload> = futures::stream::iter(send.iter().map(|row| {
            let bar = &bar;
            async move {
                let cid = self.ipfs.add(&row.bytes).await?;
                bar.inc(1);
                Ok::<_, openledger_content::IpfsError>(RowUpload {
                    content_hash: HexBinary::from(row.sha256.to_vec()),
                    size: row.bytes.len() as u64,
                    uri: cid.uri(),
                })
            }
        }))
        .buffered(CONCURRENT_ADDS)
        .try_collect()
        .await?;
        bar.finish_and_clear();

        let file = UploadFile {
            name,
            sha256: HexBinary::from(sha256.to_vec()),
            size: report.bytes,
        };
        let batch = self.batch.clamp(1, MAX_ROWS_PER_BATCH);
        let mut txs = vec![];
        for rows in send.chunks(batch).zip(uploads.chunks(batch)) {
            let (rows, uploads) = rows;
            let msg = ExecuteMsg::ContributeRows {
                datanet_id: self.datanet_id,
                file: file.clone(),
                rows: uploads.to_vec(),
                license: license.to_string(),
            };
            let what = format!(
                "rows {}..={} of {}",
                rows[0].index,
                rows[rows.len() - 1].index,
                path.display()
            );
            txs.push((vec![self.chain.execute_msg(self.registry, &msg)?], what));
        }
        let bar = progress(
            send.len() as u64,
            &format!("{}: registering on chain", file.name),
        );
        let results = self
            .chain
            .send_all(txs, TXS_IN_FLIGHT, |included| {
                bar.inc(contribution_ids(included).len() as u64)
            })
            .await;
        bar.finish_and_clear();
        // Batches after a failure were not sent; running again sends them and skips what landed.
        let mut first_error = None;
        for ((rows, uploads), result) in send.chunks(batch).zip(uploads.chunks(batch)).zip(results)
        {
            let included = match result {
                Ok(included) => included,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let ids = contribution_ids(&included);
            if ids.len() != rows.len() {
                first_error.get_or_insert(anyhow::anyhow!(
                    "tx {} registered {} contribution ids for {} rows",
                    included.hash,
                    ids.len(),
                    rows.len()
                ));
                continue;
            }
            for ((row, upload), contribution_id) in rows.iter().zip(uploads).zip(ids) {
                report.contributed.push(Contributed {
                    row: row.index,
                    line: row.line,
                    contribution_id,
                    uri: upload.uri.clone(),
                });
            }
            report.txs.push(included.hash);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The ids a `ContributeRows` tx registered, in row order.
fn contribution_ids(included: &Included) -> Vec<u64> {
    included
        .attributes
        .iter()
        .filter(|(ty, key, _)| ty.starts_with("wasm") && key == "contribution_id")
        .filter_map(|(_, _, v)| v.parse().ok())
        .collect()
}

/// A bar on stderr (drawn only on a terminal).
fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} rows ({per_sec}, eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// The human summary of a run.
pub fn print_reports(reports: &[FileReport]) {
    for r in reports {
        println!(
            "{} ({} bytes, sha256 {}):",
            r.path.display(),
            r.bytes,
            r.sha256
        );
        if !r.contributed.is_empty() {
            let first = r.contributed.first().map_or(0, |c| c.contribution_id);
            let last = r.contributed.last().map_or(0, |c| c.contribution_id);
            println!(
                "  contributed {} of {} rows as contributions #{first}..#{last} in {} txs",
                r.contributed.len(),
                r.rows,
                r.txs.len()
            );
        }
        if !r.already.is_empty() {
            println!(
                "  {} rows already in the Datanet (skipped), e.g. row {} as #{}",
                r.already.len(),
                r.already[0].row,
                r.already[0].contribution_id
            );
        }
        // Runs of consecutive rows refused for the same reason (a daily limit) print as one line.
        let mut i = 0;
        while i < r.refused.len() {
            let x = &r.refused[i];
            let mut j = i + 1;
            while j < r.refused.len()
                && r.refused[j].reason == x.reason
                && r.refused[j].row == r.refused[j - 1].row + 1
            {
                j += 1;
            }
            if j - i > 2 {
                let last = &r.refused[j - 1];
                println!(
                    "  refused rows {}..={} (lines {}..={}, {} rows): {}",
                    x.row,
                    last.row,
                    x.line,
                    last.line,
                    j - i,
                    x.reason
                );
            } else {
                for y in &r.refused[i..j] {
                    println!("  refused row {} (line {}): {}", y.row, y.line, y.reason);
                }
            }
            i = j;
        }
        if let Some(e) = &r.error {
            println!("  stopped: {e}");
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` of unix seconds (the proleptic Gregorian calendar; days from the
/// epoch by Howard Hinnant's civil-from-days).
fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_are_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_601_600), "2026-12-07 00:00 UTC");
        assert_eq!(utc(1_796_601_600 + 3_725), "2026-12-07 01:02 UTC");
    }
}
