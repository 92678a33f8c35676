//! A contributor's file split into Datanet rows: each row becomes one contribution, its bytes
//! added to IPFS and its sha256 registered on chain.
//!
//! - `.jsonl`: every non-blank line is a row, which must be one JSON value (kept byte for byte).
//! - `.csv`: the first record names the columns; every later record is a row, written as a JSON
//!   object of column → text in column order (self-describing, and what `.jsonl` rows look like).
//! - `.md`: a row per section (a heading line starts one; `#` inside fenced code does not).
//! - `.txt`: a row per paragraph (runs of non-blank lines).
//!
//! A text Datanet holds UTF-8: a file that is not is refused whole, naming the first bad byte.
//! A row that cannot be a contribution (malformed JSON, a CSV record of the wrong width, a row
//! over the size limit, a repeat of an earlier row) is refused alone, with its line and why.

use std::collections::HashSet;
use std::path::Path;

use sha2::{Digest, Sha256};

/// What a file is split by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Markdown,
    Text,
}

impl Format {
    /// From the file name's extension.
    pub fn of(path: &Path) -> Result<Self, FileError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "md" | "markdown" => Ok(Format::Markdown),
            "txt" | "text" => Ok(Format::Text),
            _ => Err(FileError::Unsupported {
                extension: ext.to_string(),
            }),
        }
    }
}

/// A file refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("unsupported file type {extension:?}: contribute .jsonl, .csv, .md or .txt files")]
    Unsupported { extension: String },
    #[error(
        "not UTF-8 text: invalid byte at offset {offset} (line {line}); a text Datanet holds UTF-8"
    )]
    NotUtf8 { offset: usize, line: usize },
    #[error("the CSV file has no header record naming its columns")]
    NoCsvHeader,
    #[error("CSV header: {0}")]
    CsvHeader(String),
}

/// A row ready to contribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based position among the file's rows (refused ones included).
    pub index: usize,
    /// The line the row starts on (1-based).
    pub line: usize,
    pub bytes: Vec<u8>,
    pub sha256: [u8; 32],
}

/// A row that will not be contributed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub index: usize,
    pub line: usize,
    pub reason: String,
}

/// A file's rows: those to contribute and those refused, each in file order.
#[derive(Debug, Default)]
pub struct Split {
    pub rows: Vec<Row>,
    pub refused: Vec<Refused>,
}

/// Splits `bytes` (a file of `format`) into rows of at most `max_row_bytes` each.
pub fn split(bytes: &[u8], format: Format, max_row_bytes: u64) -> Result<Split, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        FileError::NotUtf8 {
            offset,
            line: 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count(),
        }
    })?;
    // A byte-order mark is an encoding detail, not content.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let pieces = match format {
        Format::Jsonl => jsonl(text),
        Format::Csv => csv_rows(text)?,
        Format::Markdown => sections(text),
        Format::Text => paragraphs(text),
    };
    let mut out = Split::default();
    let mut seen = HashSet::new();
    for (i, (line, piece)) in pieces.into_iter().enumerate() {
        let index = i + 1;
        let refuse = |reason: String| Refused {
            index,
            line,
            reason,
        };
        match piece {
            Err(reason) => out.refused.push(refuse(reason)),
            Ok(row) if row.len() as u64 > max_row_bytes => out.refused.push(refuse(format!(
                "{} bytes, more than the Datanet's {max_row_bytes} per contribution",
                row.len()
            ))),
            Ok(row) => {
                let sha256: [u8; 32] = Sha256::digest(row.as_bytes()).into();
                if !seen.insert(sha256) {
                    out.refused.push(refuse(
                        "the same bytes as an earlier row of this file".into(),
                    ));
                    continue;
                }
                out.rows.push(Row {
                    index,
                    line,
                    bytes: row.into_bytes(),
                    sha256,
                });
            }
        }
    }
    Ok(out)
}

type Piece = (usize, Result<String, String>);

/// Lines without their terminators, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

fn jsonl(text: &str) -> Vec<Piece> {
    lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let row = match serde_json::from_str::<serde_json::Value>(l) {
                Ok(_) => Ok(l.to_string()),
                Err(e) => Err(format!("not a JSON value: {e}")),
            };
            (n, row)
        })
        .collect()
}

fn paragraphs(text: &str) -> Vec<Piece> {
    let mut out = vec![];
    let mut current: Option<(usize, Vec<&str>)> = None;
    for (n, l) in lines(text) {
        if l.trim().is_empty() {
            if let Some((start, body)) = current.take() {
                out.push((start, Ok(body.join("\n"))));
            }
        } else {
            current.get_or_insert((n, vec![])).1.push(l);
        }
    }
    if let Some((start, body)) = current {
        out.push((start, Ok(body.join("\n"))));
    }
    out
}

fn sections(text: &str) -> Vec<Piece> {
    let mut out = vec![];
    let mut current: Option<(usize, Vec<&str>)> = None;
    let mut fence: Option<&str> = None;
    let mut flush = |current: &mut Option<(usize, Vec<&str>)>| {
        if let Some((start, body)) = current.take() {
            let joined = body.join("\n");
            let trimmed = joined.trim_matches('\n');
            if !trimmed.trim().is_empty() {
                out.push((start, Ok(trimmed.to_string())));
            }
        }
    };
    for (n, l) in lines(text) {
        let t = l.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
        } else if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
        } else if is_heading(t) {
            flush(&mut current);
        }
        if current.is_none() && l.trim().is_empty() {
            continue;
        }
        current.get_or_insert((n, vec![])).1.push(l);
    }
    flush(&mut current);
    out
}

/// An ATX heading: 1–6 `#` then a space (or nothing).
fn is_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && line[hashes..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t')
}

fn csv_rows(text: &str) -> Result<Vec<Piece>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| FileError::CsvHeader(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(FileError::NoCsvHeader);
    }
    let mut names = HashSet::new();
    if let Some(dup) = header.iter().find(|h| !names.insert(h.as_str())) {
        return Err(FileError::CsvHeader(format!(
            "column {dup:?} appears twice"
        )));
    }
    let mut out = vec![];
    for record in reader.records() {
        match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                out.push((line, Err(format!("not a CSV record: {e}"))));
            }
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                if r.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                if r.len() != header.len() {
                    out.push((
                        line,
                        Err(format!(
                            "{} fields, the header names {} columns",
                            r.len(),
                            header.len()
                        )),
                    ));
                    continue;
                }
                // Written by hand, not through `serde_json::Map`: its key order (sorted, or
                // insertion order under serde_json's `preserve_order`) depends on what else the
                // build enables, and a row's bytes, hence its hash, must not.
                let fields: Vec<String> = header
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| format!("{}:{}", json_string(h), json_string(v)))
                    .collect();
                out.push((line, Ok(format!("{{{}}}", fields.join(",")))));
            }
        }
    }
    Ok(out)
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &Split) -> Vec<&str> {
        s.rows
            .iter()
            .map(|r| std::str::from_utf8(&r.bytes).unwrap())
            .collect()
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(Format::of(Path::new("a/rows.JSONL")), Ok(Format::Jsonl));
        assert_eq!(Format::of(Path::new("t.csv")), Ok(Format::Csv));
        assert_eq!(Format::of(Path::new("t.md")), Ok(Format::Markdown));
        assert_eq!(Format::of(Path::new("t.txt")), Ok(Format::Text));
        let e = Format::of(Path::new("t.pdf")).unwrap_err();
        assert!(e.to_string().contains(".jsonl, .csv, .md or .txt"), "{e}");
    }

    #[test]
    fn jsonl_rows_are_lines_kept_byte_for_byte_and_bad_lines_are_refused_alone() {
        let file = "{\"q\": \"capital of France?\", \"a\": \"Paris\"}\r\n\n[1, 2]\nnot json\n{\"q\": \"capital of France?\", \"a\": \"Paris\"}\n\"x\"";
        let s = split(file.as_bytes(), Format::Jsonl, 1000).unwrap();
        assert_eq!(
            texts(&s),
            [
                "{\"q\": \"capital of France?\", \"a\": \"Paris\"}",
                "[1, 2]",
                "\"x\""
            ]
        );
        assert_eq!(s.rows[1].line, 3);
        assert_eq!(
            s.rows[0].sha256,
            <[u8; 32]>::from(Sha256::digest(&s.rows[0].bytes))
        );
        assert_eq!(s.refused.len(), 2);
        assert_eq!((s.refused[0].index, s.refused[0].line), (3, 4));
        assert!(
            s.refused[0].reason.contains("not a JSON value"),
            "{:?}",
            s.refused
        );
        assert_eq!(s.refused[1].line, 5);
        assert!(s.refused[1].reason.contains("earlier row"));
    }

    #[test]
    fn csv_records_become_json_objects_in_column_order() {
        let file = "question,answer\n\"Capital of France, the country?\",Paris\nshort\n\n\"multi\nline\",\"say \"\"hi\"\"\"\n";
        let s = split(file.as_bytes(), Format::Csv, 1000).unwrap();
        assert_eq!(
            texts(&s),
            [
                r#"{"question":"Capital of France, the country?","answer":"Paris"}"#,
                r#"{"question":"multi\nline","answer":"say \"hi\""}"#
            ]
        );
        assert_eq!(s.refused.len(), 1);
        assert_eq!(s.refused[0].line, 3);
        assert!(s.refused[0].reason.contains("1 fields, the header names 2"));
        assert!(matches!(
            split(b"a,a\n1,2\n", Format::Csv, 100),
            Err(FileError::CsvHeader(_))
        ));
        assert!(matches!(
            split(b"", Format::Csv, 100),
            Err(FileError::NoCsvHeader)
        ));
    }

    #[test]
    fn markdown_splits_at_headings_but_not_inside_code() {
        let file = "intro line\n\n# One\nbody one\n```\n# not a heading\n```\n\n## Two\nbody two\n#hashtag is text\n";
        let s = split(file.as_bytes(), Format::Markdown, 1000).unwrap();
        assert_eq!(
            texts(&s),
            [
                "intro line",
                "# One\nbody one\n```\n# not a heading\n```",
                "## Two\nbody two\n#hashtag is text"
            ]
        );
        assert_eq!(s.rows[2].line, 9);
    }

    #[test]
    fn text_splits_into_paragraphs_and_oversized_rows_are_refused() {
        let file = "first line\nsame paragraph\n\n\n   \nsecond\n\nthird paragraph is long";
        let s = split(file.as_bytes(), Format::Text, 15).unwrap();
        assert_eq!(texts(&s), ["second"]);
        assert_eq!(s.refused.len(), 2);
        assert!(s.refused[0]
            .reason
            .contains("25 bytes, more than the Datanet's 15"));
        let all = split(file.as_bytes(), Format::Text, 100).unwrap();
        assert_eq!(
            texts(&all),
            [
                "first line\nsame paragraph",
                "second",
                "third paragraph is long"
            ]
        );
        assert_eq!(all.rows[1].line, 6);
    }

    #[test]
    fn invalid_utf8_refuses_the_whole_file_naming_the_byte() {
        let e = split(b"ok\nfine\nbad \xff here", Format::Text, 100).unwrap_err();
        assert_eq!(
            e,
            FileError::NotUtf8 {
                offset: 12,
                line: 3
            }
        );
        assert!(e.to_string().contains("offset 12 (line 3)"));
        // a byte-order mark is not content
        let s = split("\u{feff}{\"a\":1}".as_bytes(), Format::Jsonl, 100).unwrap();
        assert_eq!(texts(&s), ["{\"a\":1}"]);
    }
}
