//! What an import produces: the rows, the report of rows that could not be read, and where the
//! data came from (with the file's SHA-256, to tie a project to the exact bytes).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Format, TextEncoding};

/// One example.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportedRow {
    /// The 0-based data row in the file (for CoNLL: the sentence), counting rows that had problems.
    pub source_row: usize,
    pub text: String,
    /// The second text of a text pair.
    pub text_pair: Option<String>,
    /// Empty for an unlabeled example; several for multi-label.
    pub labels: Vec<String>,
    /// A numeric target (regression).
    pub score: Option<f64>,
    /// CoNLL only: the tokens and their tags, one tag per token.
    pub tokens: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

/// A row that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The 0-based data row (for CoNLL: the sentence).
    pub row: usize,
    /// The 1-based physical line in the file, where the format has lines.
    pub line: Option<u64>,
    pub message: String,
}

/// How the import went, row by row: nothing is dropped without a problem saying so.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub problems: Vec<RowProblem>,
    /// Data rows seen, imported or not.
    pub rows_seen: usize,
    /// Blank lines, which are not rows (in CoNLL files they end sentences).
    pub blank_lines: usize,
    /// Entity tags rewritten to IOB2 (from IOB1, BIOES or BILOU).
    #[serde(default)]
    pub converted_tags: usize,
}

/// Where the rows came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub path: PathBuf,
    /// SHA-256 of the whole file, as read during the import.
    pub sha256: String,
    pub format: Format,
    pub encoding: TextEncoding,
    pub delimiter: Option<u8>,
    pub had_header: bool,
    pub columns: Vec<String>,
}

/// The result of an import.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub rows: Vec<ImportedRow>,
    pub report: ImportReport,
    pub source: SourceInfo,
}

/// Progress of a running import, reported every 65,536 rows and at the start and the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    pub bytes_read: u64,
    pub total_bytes: u64,
    /// Data rows seen so far.
    pub rows: usize,
}
