//! Turning the cells of one record into an [`ImportedRow`]: the spec's columns resolved against
//! the file's columns, then text, pair, labels and score taken from the cells, or the reason the
//! row cannot be used (which becomes a row problem, never a silent drop).

use std::borrow::Cow;
use std::path::Path;

use super::{ColumnRef, ImportError, ImportSpec, ImportedRow, Target};

/// A spec column found in the file: its key (an index, or a path) and its name for messages.
#[derive(Clone, Debug)]
pub(crate) struct Column<K> {
    pub key: K,
    pub name: String,
}

/// The spec with every column found in the file.
#[derive(Clone, Debug)]
pub(crate) struct Mapping<K> {
    pub text: Column<K>,
    pub pair: Option<Column<K>>,
    pub labels: Vec<Column<K>>,
    pub score: Option<Column<K>>,
    /// The column of entity spans (JSON Lines), read by the JSON reader itself.
    pub spans: Option<Column<K>>,
    pub separator: Option<String>,
}

impl<K> Mapping<K> {
    /// The role and name(s) of the target column(s), for the check that they are not all empty.
    pub fn target(&self) -> Option<(&'static str, String)> {
        if let Some(score) = &self.score {
            return Some(("score", score.name.clone()));
        }
        if let Some(spans) = &self.spans {
            return Some(("entity spans", spans.name.clone()));
        }
        if self.labels.is_empty() {
            return None;
        }
        Some(("label", self.labels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("\", \"")))
    }

    /// Every column the spec uses, with its key.
    pub fn keys(&self) -> impl Iterator<Item = &Column<K>> {
        std::iter::once(&self.text).chain(&self.pair).chain(&self.labels).chain(&self.score).chain(&self.spans)
    }
}

/// Resolves the spec against a list of columns; each key is the column's index in that list.
pub(crate) fn resolve(spec: &ImportSpec, columns: &[String], path: &Path) -> Result<Mapping<usize>, ImportError> {
    let find = |r: &ColumnRef| find_column(r, columns, path).map(|key| Column { key, name: columns[key].clone() });
    let (labels, score, separator) = match &spec.target {
        Target::Unlabeled | Target::Spans(_) => (Vec::new(), None, None),
        Target::Labels { columns: refs, separator } => {
            (refs.iter().map(find).collect::<Result<_, _>>()?, None, separator.clone())
        }
        Target::Score(r) => (Vec::new(), Some(find(r)?), None),
    };
    let spans = match &spec.target {
        Target::Spans(r) => Some(find(r)?),
        _ => None,
    };
    Ok(Mapping {
        text: find(&spec.text)?,
        pair: spec.text_pair.as_ref().map(find).transpose()?,
        labels,
        score,
        spans,
        separator: separator.filter(|s| !s.is_empty()),
    })
}

/// The index of a column by name (exact, then ignoring case and surrounding spaces) or by index.
pub(crate) fn find_column(r: &ColumnRef, columns: &[String], path: &Path) -> Result<usize, ImportError> {
    match r {
        ColumnRef::Index(i) if *i < columns.len() => Ok(*i),
        ColumnRef::Index(i) => Err(ImportError::ColumnOutOfRange {
            path: path.to_path_buf(),
            index: *i,
            count: columns.len(),
            available: list_columns(columns),
        }),
        ColumnRef::Name(name) => columns
            .iter()
            .position(|c| c == name)
            .or_else(|| columns.iter().position(|c| c.trim().eq_ignore_ascii_case(name.trim())))
            .ok_or_else(|| ImportError::MissingColumn {
                path: path.to_path_buf(),
                column: name.clone(),
                available: list_columns(columns),
            }),
    }
}

pub(crate) fn list_columns(columns: &[String]) -> String {
    if columns.is_empty() {
        return "(none)".to_string();
    }
    columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
}

/// One cell as a format delivers it.
pub(crate) enum Cell<'a> {
    /// The field does not exist in this record (JSON, Parquet).
    Missing,
    Text(Cow<'a, str>),
    /// A list (JSON array, Parquet list): several labels, or words of a text.
    List(Vec<String>),
}

/// Builds a row from its cells, or says why it cannot be used.
pub(crate) fn build_row<'a, K>(
    mapping: &Mapping<K>,
    source_row: usize,
    mut get: impl FnMut(&K) -> Result<Cell<'a>, String>,
) -> Result<ImportedRow, String> {
    let text = text_cell(&mapping.text, &mut get, "text")?;
    let text_pair = match &mapping.pair {
        Some(col) => Some(text_cell(col, &mut get, "second text")?),
        None => None,
    };
    let mut labels = Vec::new();
    for col in &mapping.labels {
        match get(&col.key)? {
            Cell::Missing => return Err(format!("there is no field \"{}\" (labels)", col.name)),
            Cell::Text(cell) => push_labels(&mut labels, &cell, mapping.separator.as_deref()),
            Cell::List(items) => items.iter().for_each(|s| push_labels(&mut labels, s, mapping.separator.as_deref())),
        }
    }
    let score = match &mapping.score {
        Some(col) => score_cell(col, &mut get)?,
        None => None,
    };
    Ok(ImportedRow { source_row, text, text_pair, labels, score, tokens: None, tags: None })
}

fn text_cell<'a, K>(
    col: &Column<K>,
    get: &mut impl FnMut(&K) -> Result<Cell<'a>, String>,
    role: &str,
) -> Result<String, String> {
    let text = match get(&col.key)? {
        Cell::Missing => return Err(format!("there is no field \"{}\" ({role})", col.name)),
        Cell::Text(cell) => cell.trim().to_string(),
        Cell::List(items) => items.join(" ").trim().to_string(),
    };
    if text.is_empty() {
        return Err(format!("the {role} in column \"{}\" is empty", col.name));
    }
    Ok(text)
}

fn push_labels(labels: &mut Vec<String>, cell: &str, separator: Option<&str>) {
    match separator {
        Some(sep) => labels.extend(cell.split(sep).map(str::trim).filter(|s| !s.is_empty()).map(String::from)),
        None => {
            let label = cell.trim();
            if !label.is_empty() {
                labels.push(label.to_string());
            }
        }
    }
}

fn score_cell<'a, K>(
    col: &Column<K>,
    get: &mut impl FnMut(&K) -> Result<Cell<'a>, String>,
) -> Result<Option<f64>, String> {
    let cell = match get(&col.key)? {
        Cell::Missing => return Err(format!("there is no field \"{}\" (score)", col.name)),
        Cell::Text(cell) => cell,
        Cell::List(_) => return Err(format!("the score in column \"{}\" is a list, not a number", col.name)),
    };
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(format!("the score \"{}\" in column \"{}\" is not a number", shorten(cell), col.name)),
    }
}

/// At most 60 characters of a cell, for messages.
pub(crate) fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(separator: Option<&str>) -> Mapping<usize> {
        Mapping {
            text: Column { key: 0, name: "text".into() },
            pair: None,
            labels: vec![Column { key: 1, name: "labels".into() }],
            score: None,
            spans: None,
            separator: separator.map(String::from),
        }
    }

    fn cells<'a>(values: &'a [&'a str]) -> impl FnMut(&usize) -> Result<Cell<'a>, String> {
        move |k| Ok(values.get(*k).map_or(Cell::Missing, |v| Cell::Text(Cow::Borrowed(v))))
    }

    #[test]
    fn splits_multi_label_cells_and_drops_empty_pieces() {
        let row = build_row(&mapping(Some(";")), 3, cells(&[" hi ", "billing; refund;;"])).unwrap();
        assert_eq!(row.text, "hi");
        assert_eq!(row.labels, vec!["billing", "refund"]);
        assert_eq!(row.source_row, 3);
    }

    #[test]
    fn empty_text_is_a_problem_and_empty_label_is_unlabeled() {
        assert!(build_row(&mapping(None), 0, cells(&["  ", "a"])).unwrap_err().contains("empty"));
        assert!(build_row(&mapping(None), 0, cells(&["x", " "])).unwrap().labels.is_empty());
    }

    #[test]
    fn scores_must_be_numbers() {
        let mut m = mapping(None);
        m.labels.clear();
        m.score = Some(Column { key: 1, name: "score".into() });
        assert_eq!(build_row(&m, 0, cells(&["x", " 0.5"])).unwrap().score, Some(0.5));
        assert!(build_row(&m, 0, cells(&["x", "high"])).unwrap_err().contains("not a number"));
        assert!(build_row(&m, 0, cells(&["x", "NaN"])).is_err());
        assert_eq!(build_row(&m, 0, cells(&["x", ""])).unwrap().score, None);
    }
}
