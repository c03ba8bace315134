//! What can stop a whole import, each with a sentence that says what is wrong and what to do,
//! the file last. Problems with single rows are not errors: they go into the import report.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open the data file ({reason}) — {path}")]
    Open { path: PathBuf, reason: String },
    #[error("reading the data file failed ({reason}); check the disk or copy the file locally — {path}")]
    Read { path: PathBuf, reason: String },
    #[error("the data file is empty: give a file with at least one example — {path}")]
    Empty { path: PathBuf },
    #[error("the data file has a header but no examples — {path}")]
    NoRows { path: PathBuf },
    #[error(
        "this does not look like a text file ({reason}); give a CSV, TSV, JSON Lines, Parquet, \
         CoNLL or plain text file — {path}"
    )]
    NotText { path: PathBuf, reason: String },
    #[error("the file is not valid {encoding} ({reason}); re-save it as UTF-8 or pick its encoding — {path}")]
    Encoding { path: PathBuf, encoding: &'static str, reason: String },
    #[error("this is {kind}, which Attune cannot read directly; {advice} — {path}")]
    UnsupportedFile { path: PathBuf, kind: &'static str, advice: &'static str },
    #[error("there is no column \"{column}\"; the file's columns are: {available}. Pick one of those — {path}")]
    MissingColumn { path: PathBuf, column: String, available: String },
    #[error(
        "column number {index} does not exist: the file has {count} columns (numbered from 0): {available} — {path}"
    )]
    ColumnOutOfRange { path: PathBuf, index: usize, count: usize, available: String },
    #[error(
        "column \"{column}\" holds {type_name} values, which cannot be read as text or labels; pick a text, \
         number, boolean or list-of-text column — {path}"
    )]
    UnsupportedColumnType { path: PathBuf, column: String, type_name: String },
    #[error("the Parquet file cannot be read ({reason}); re-export it, uncompressed or with Snappy — {path}")]
    Parquet { path: PathBuf, reason: String },
    #[error(
        "the {role} column \"{column}\" is empty in every row; pick the column that holds the {role}s, \
         or import without one — {path}"
    )]
    EmptyTargetColumn { path: PathBuf, role: &'static str, column: String },
    #[error(
        "no row could be read ({problems} problems; the first, row {first_row}: {first_message}); \
         check the delimiter, the header setting and the columns — {path}"
    )]
    NoReadableRows { path: PathBuf, problems: usize, first_row: usize, first_message: String },
    #[error("the file changed while it was being imported; wait until it is fully written and import again — {path}")]
    Changed { path: PathBuf },
    #[error("the import was cancelled; nothing was imported — {path}")]
    Cancelled { path: PathBuf },
}
