//! What to take from the file: which column holds the text, an optional second text (pairs),
//! and the target — labels from one or more columns (optionally split on a separator for
//! multi-label cells like `billing;refund`), or a numeric score. Columns go by name or index.

use serde::{Deserialize, Serialize};

use super::Layout;

/// A column, by name (for JSON Lines and Parquet, a dotted path such as `meta.text`) or by
/// 0-based index into the file's columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnRef {
    Name(String),
    Index(usize),
}

impl From<&str> for ColumnRef {
    fn from(name: &str) -> Self {
        ColumnRef::Name(name.to_string())
    }
}

impl From<usize> for ColumnRef {
    fn from(index: usize) -> Self {
        ColumnRef::Index(index)
    }
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(name) => write!(f, "{name}"),
            ColumnRef::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// What each example is to be learned against.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// No labels yet (they are given in the app).
    #[default]
    Unlabeled,
    /// Labels from these columns. With a separator, each cell is split into several labels
    /// (trimmed, empty pieces dropped). An empty cell leaves the row unlabeled.
    Labels { columns: Vec<ColumnRef>, separator: Option<String> },
    /// A numeric target; an empty cell leaves the row without a score, text is a row problem.
    Score(ColumnRef),
    /// Entity spans by character offsets (JSON Lines only): a list of `{"start", "end",
    /// "label"}` objects or `[start, end, label]` triples; the text becomes words with IOB2 tags.
    Spans(ColumnRef),
}

/// The layout of the file and the columns to take from it. CoNLL and plain-text files ignore
/// the columns: their rows are sentences and lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSpec {
    pub layout: Layout,
    pub text: ColumnRef,
    pub text_pair: Option<ColumnRef>,
    pub target: Target,
}

impl ImportSpec {
    /// Only the text, from the given column.
    pub fn text_only(layout: Layout, text: impl Into<ColumnRef>) -> Self {
        ImportSpec { layout, text: text.into(), text_pair: None, target: Target::Unlabeled }
    }

    /// The text and a single label column.
    pub fn labeled(layout: Layout, text: impl Into<ColumnRef>, label: impl Into<ColumnRef>) -> Self {
        let target = Target::Labels { columns: vec![label.into()], separator: None };
        ImportSpec { layout, text: text.into(), text_pair: None, target }
    }
}
