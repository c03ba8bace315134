//! Sniffing: from the first MiB of a file (Parquet: its footer), guess the format (extension
//! first, then content), the text encoding, the delimiter and quoting, whether there is a
//! header, and the column names, and show the first rows — so the analyst can check or correct
//! the layout before importing.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::collect::{Collector, Progress};
use super::source::{check_text, open_error, stamp, Tally};
use super::{conll, delimited, dialect, encoding, jsonl, parquet_file, plain};
use super::{Format, ImportError, Layout, TextEncoding};
use crate::jobs::CancelToken;

/// How much of a text file the sniffer reads.
pub const SNIFF_BYTES: usize = 1 << 20;

/// What the sniffer found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sniffed {
    pub layout: Layout,
    /// Column names: from the header, `column_1`… without one, dotted paths for JSON/Parquet,
    /// `tokens`/`tags` for CoNLL, `text` for plain text.
    pub columns: Vec<String>,
    /// The first rows, one cell per column (CoNLL: tokens and tags joined by spaces).
    pub preview: Vec<Vec<String>>,
    pub total_bytes: u64,
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

fn is_parquet(sample: &[u8], ext: &str) -> bool {
    sample.starts_with(b"PAR1") || matches!(ext, "parquet" | "pq")
}

fn parquet_layout() -> Layout {
    Layout { format: Format::Parquet, encoding: TextEncoding::Utf8, has_header: true }
}

/// Sniffs a file, previewing its first `preview_rows` rows.
pub fn sniff(path: &Path, preview_rows: usize) -> Result<Sniffed, ImportError> {
    let total = stamp(path)?.len;
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let mut sample = Vec::with_capacity(total.min(SNIFF_BYTES as u64) as usize);
    file.take(SNIFF_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|e| ImportError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
    if sample.is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    let ext = extension(path);
    if is_parquet(&sample, &ext) {
        let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
        let (columns, preview) = parquet_file::preview(file, preview_rows, path)?;
        return Ok(Sniffed { layout: parquet_layout(), columns, preview, total_bytes: total });
    }
    sniff_text(path, &ext, &sample, sample.len() as u64 >= total, preview_rows, total)
}

/// Sniffs a whole file held in memory; `name` gives the extension and the name in messages.
pub fn sniff_bytes(name: &str, bytes: &[u8], preview_rows: usize) -> Result<Sniffed, ImportError> {
    let path = Path::new(name);
    if bytes.is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    let ext = extension(path);
    let total = bytes.len() as u64;
    if is_parquet(bytes, &ext) {
        let (columns, preview) = parquet_file::preview(bytes::Bytes::copy_from_slice(bytes), preview_rows, path)?;
        return Ok(Sniffed { layout: parquet_layout(), columns, preview, total_bytes: total });
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    sniff_text(path, &ext, sample, sample.len() == bytes.len(), preview_rows, total)
}

fn sniff_text(
    path: &Path,
    ext: &str,
    sample: &[u8],
    complete: bool,
    preview_rows: usize,
    total_bytes: u64,
) -> Result<Sniffed, ImportError> {
    let encoding = encoding::detect(sample);
    let mut text = check_text(sample, encoding, complete, path)?;
    if !complete {
        if let Some(end) = text.rfind('\n') {
            text.truncate(end + 1);
        }
    }
    let format = guess_format(path, ext, &text, complete)?;
    let mut layout = Layout { format, encoding, has_header: false };
    let (columns, preview) = match format {
        Format::Delimited { delimiter, quoting } => {
            let d = dialect::try_delimiter(&text, delimiter, complete);
            layout.has_header = dialect::has_header(&d.records);
            delimited::preview(&text, delimiter, quoting, layout.has_header, complete, preview_rows)
        }
        Format::JsonLines => json_preview(&text, preview_rows),
        Format::Conll | Format::PlainText => line_preview(&text, format, preview_rows, path),
        Format::Parquet => (Vec::new(), Vec::new()),
    };
    Ok(Sniffed { layout, columns, preview, total_bytes })
}

fn first_line_is_json_object(text: &str) -> bool {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim_start().starts_with('{') && jsonl::parse_object(line.as_bytes()).is_ok()
}

fn delimited(d: &dialect::Dialect) -> Format {
    Format::Delimited { delimiter: d.delimiter, quoting: d.quoting }
}

/// The format: by extension where it is decisive, else by content.
fn guess_format(path: &Path, ext: &str, text: &str, complete: bool) -> Result<Format, ImportError> {
    match ext {
        "jsonl" | "ndjson" | "jsonlines" => return Ok(Format::JsonLines),
        "json" if text.trim_start().starts_with('[') => {
            return Err(ImportError::UnsupportedFile {
                path: path.to_path_buf(),
                kind: "a JSON array",
                advice:
                    "convert it to JSON Lines, one object per line (for example: jq -c '.[]' data.json > data.jsonl)",
            })
        }
        "json" => return Ok(Format::JsonLines),
        "conll" | "conllu" | "bio" | "iob" | "iob2" | "bioes" => return Ok(Format::Conll),
        "tsv" | "tab" => return Ok(delimited(&dialect::try_delimiter(text, b'\t', complete))),
        "csv" => {
            return Ok(dialect::guess(text, b",;\t|", complete)
                .filter(|d| d.consistency >= 0.9)
                .map_or(Format::Delimited { delimiter: b',', quoting: true }, |d| delimited(&d)))
        }
        _ => {}
    }
    if first_line_is_json_object(text) {
        return Ok(Format::JsonLines);
    }
    if conll::looks_like(text) {
        return Ok(Format::Conll);
    }
    match dialect::guess(text, b"\t,;|", complete) {
        Some(d) if d.consistency >= 0.9 => Ok(delimited(&d)),
        _ => Ok(Format::PlainText),
    }
}

fn json_preview(text: &str, rows: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let objects: Vec<_> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(100)
        .filter_map(|l| jsonl::parse_object(l.as_bytes()).ok())
        .collect();
    let mut columns = Vec::new();
    for object in &objects {
        jsonl::add_columns(object, &[], &mut columns);
    }
    let preview = objects
        .iter()
        .take(rows)
        .map(|object| {
            columns
                .iter()
                .map(|col| match jsonl::cell(jsonl::lookup(object, &col.keys), &col.name) {
                    Ok(super::mapping::Cell::Text(s)) => s.into_owned(),
                    Ok(super::mapping::Cell::List(items)) => items.join(", "),
                    Ok(super::mapping::Cell::Missing) | Err(_) => String::new(),
                })
                .collect()
        })
        .collect();
    (columns.into_iter().map(|c| c.name).collect(), preview)
}

/// Runs the CoNLL or plain-text reader on the sample and shows its first rows.
fn line_preview(text: &str, format: Format, rows: usize, path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut ignore = |_| {};
    let cancel = CancelToken::new();
    let progress = Progress { on_progress: &mut ignore, cancel: &cancel, total_bytes: 0, tally: Tally::default() };
    let Ok(mut c) = Collector::new(progress, path) else { return (Vec::new(), Vec::new()) };
    let result = match format {
        Format::Conll => conll::read(text.as_bytes(), TextEncoding::Utf8, &mut c),
        _ => plain::read(text.as_bytes(), TextEncoding::Utf8, &mut c),
    };
    drop(result);
    let (found, _) = c.into_parts();
    let preview = found
        .into_iter()
        .take(rows)
        .map(|r| match (r.tokens, r.tags) {
            (Some(tokens), Some(tags)) => vec![tokens.join(" "), tags.join(" ")],
            _ => vec![r.text],
        })
        .collect();
    let columns = match format {
        Format::Conll => conll::column_names(),
        _ => vec!["text".to_string()],
    };
    (columns, preview)
}
