//! What can go wrong reading a dataset, with the file and line, and what to do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot open the data file ({reason}) — {path}")]
    Open { path: PathBuf, reason: String },
    #[error("the data file is empty: give a file with a header row and at least one example — {path}")]
    Empty { path: PathBuf },
    #[error("the data file has a header but no examples — {path}")]
    NoRows { path: PathBuf },
    #[error(
        "there is no column \"{column}\"; the file's columns are: {available}. \
         Name the right one with --{flag} — {path}"
    )]
    MissingColumn { column: String, available: String, flag: &'static str, path: PathBuf },
    #[error("cannot tell which column holds the {what}; name it with --{flag} (columns: {available}) — {path}")]
    AmbiguousColumn { what: &'static str, flag: &'static str, available: String, path: PathBuf },
    #[error("line {line} has {found} fields but the header has {expected}; fix that line — {path}")]
    Ragged { line: u64, expected: usize, found: usize, path: PathBuf },
    #[error("line {line} is not readable text ({reason}); is this really a CSV/TSV file? — {path}")]
    NotText { line: u64, reason: String, path: PathBuf },
    #[error(
        "line {line} has an empty label in column \"{column}\"; give it a label or remove the line (when a \
         text may have none of several labels, train with --task multi-label) — {path}"
    )]
    EmptyLabel { line: u64, column: String, path: PathBuf },
    #[error(
        "this is not a CoNLL/BIO file (a word and its tag on each line, a blank line between \
         sentences) nor JSON Lines with entity spans, which training a token classifier needs — {path}"
    )]
    NotTagged { path: PathBuf },
    #[error(
        "no word of the training sentences has an entity tag (all are O); tag some entities first (a \
         token classifier needs examples of what to find) — {path}"
    )]
    NoEntities { path: PathBuf },
    #[error("{0}")]
    Import(String),
    #[error(
        "the label column \"{column}\" has only one class (\"{label}\"); a classifier needs examples \
         of at least two labels — {path}"
    )]
    OneClass { column: String, label: String, path: PathBuf },
}
