//! Reading a delimited text file with a header into (text, label) pairs. The delimiter comes
//! from the extension (.tsv: tab, read without quoting like GLUE files; .csv: comma, quoted) or is
//! sniffed from the header line. Columns are taken by name or detected.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::targets::TextTargets;
use super::DataError;

const TEXT_NAMES: [&str; 11] =
    ["text", "sentence", "content", "message", "review", "document", "utterance", "query", "body", "tweet", "sms"];
const LABEL_NAMES: [&str; 9] = ["label", "labels", "category", "class", "target", "intent", "sentiment", "y", "tag"];

/// Which columns to read and how many rows.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub text_column: Option<String>,
    pub label_column: Option<String>,
    /// Read only the first N examples.
    pub max_rows: Option<usize>,
    /// A second text column (the pair's second text), when the task takes text pairs.
    pub pair_column: Option<String>,
    /// Keep rows whose label cell is empty (multi-label: a text with none of the labels).
    pub allow_empty_labels: bool,
}

/// Texts with one label each, and where they came from.
#[derive(Clone, Debug)]
pub struct LabeledTexts {
    pub texts: Vec<String>,
    pub labels: Vec<String>,
    pub path: PathBuf,
    /// SHA-256 of the whole source file, to tie a run to the exact data.
    pub sha256: String,
    pub text_column: String,
    pub label_column: String,
    /// The second text of each pair (e.g. the hypothesis), for text-pair tasks.
    pub pairs: Option<Vec<String>>,
    pub pair_column: Option<String>,
    /// What the texts are learned against: `labels` (one per text), or the label sets or numbers
    /// read from them.
    pub targets: TextTargets,
    /// The separator the label sets were split on, recorded in run.json to read the file again.
    pub label_separator: Option<String>,
}

impl LabeledTexts {
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Fails when fewer than two different labels occur (nothing to learn).
    pub fn require_two_classes(&self) -> Result<(), DataError> {
        let distinct = label_set(&self.labels);
        if distinct.len() < 2 {
            return Err(DataError::OneClass {
                column: self.label_column.clone(),
                label: distinct.into_iter().next().unwrap_or_default(),
                path: self.path.clone(),
            });
        }
        Ok(())
    }
}

/// The distinct labels, sorted (numbers by value, then text).
pub fn label_set(labels: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = labels.iter().collect();
    let mut out: Vec<String> = set.into_iter().cloned().collect();
    out.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    });
    out
}

pub fn file_sha256(path: &Path) -> Result<String, DataError> {
    let open_err = |e: std::io::Error| DataError::Open { path: path.to_path_buf(), reason: e.to_string() };
    let mut file = std::fs::File::open(path).map_err(open_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(open_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn sniff_delimiter(path: &Path, first_line: &str) -> (u8, bool) {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "tsv" | "tab" => return (b'\t', false),
        "csv" => return (b',', true),
        _ => {}
    }
    let count = |c: char| first_line.matches(c).count();
    let candidates = [('\t', count('\t')), (',', count(',')), (';', count(';')), ('|', count('|'))];
    let best = candidates.iter().max_by_key(|(_, n)| *n).map(|(c, _)| *c).unwrap_or(',');
    (best as u8, best != '\t')
}

/// Reads a CSV/TSV file with a header into labeled texts.
pub fn read_labeled(path: &Path, opts: &ReadOptions) -> Result<LabeledTexts, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::Open { path: path.to_path_buf(), reason: e.to_string() })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty { path: path.to_path_buf() });
    }
    let first_line_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let first_line = std::str::from_utf8(&bytes[..first_line_end]).map_err(|e| DataError::NotText {
        line: 1,
        reason: e.to_string(),
        path: path.to_path_buf(),
    })?;
    let (delimiter, quoting) = sniff_delimiter(path, first_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| DataError::NotText { line: 1, reason: e.to_string(), path: path.to_path_buf() })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            DataError::NotText { line, reason: e.to_string(), path: path.to_path_buf() }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            return Err(DataError::Ragged {
                line,
                expected: header.len(),
                found: record.len(),
                path: path.to_path_buf(),
            });
        }
        rows.push((line, record.iter().map(String::from).collect()));
        if opts.max_rows.is_some_and(|m| rows.len() >= m) {
            break;
        }
    }
    if rows.is_empty() {
        return Err(DataError::NoRows { path: path.to_path_buf() });
    }
    let text_idx = pick_column(&header, &rows, opts.text_column.as_deref(), Role::Text, path)?;
    let label_idx = pick_column(&header, &rows, opts.label_column.as_deref(), Role::Label(text_idx), path)?;
    let pair_idx = match &opts.pair_column {
        Some(name) => Some(header.iter().position(|h| h == name).ok_or_else(|| DataError::MissingColumn {
            column: name.clone(),
            available: header.join(", "),
            flag: "text-pair-column",
            path: path.to_path_buf(),
        })?),
        None => None,
    };
    let mut texts = Vec::with_capacity(rows.len());
    let mut labels = Vec::with_capacity(rows.len());
    let mut pairs = pair_idx.map(|_| Vec::with_capacity(rows.len()));
    for (line, row) in rows {
        if let (Some(i), Some(p)) = (pair_idx, pairs.as_mut()) {
            p.push(row[i].trim().to_string());
        }
        let label = row[label_idx].trim().to_string();
        if label.is_empty() && !opts.allow_empty_labels {
            return Err(DataError::EmptyLabel { line, column: header[label_idx].clone(), path: path.to_path_buf() });
        }
        texts.push(row[text_idx].trim().to_string());
        labels.push(label);
    }
    Ok(LabeledTexts {
        texts,
        labels,
        path: path.to_path_buf(),
        sha256: file_sha256(path)?,
        text_column: header[text_idx].clone(),
        label_column: header[label_idx].clone(),
        pairs,
        pair_column: pair_idx.map(|i| header[i].clone()),
        targets: TextTargets::OneLabel,
        label_separator: None,
    })
}

enum Role {
    Text,
    /// A label column, which cannot be the text column.
    Label(usize),
}

fn pick_column(
    header: &[String],
    rows: &[(u64, Vec<String>)],
    named: Option<&str>,
    role: Role,
    path: &Path,
) -> Result<usize, DataError> {
    let available = header.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ");
    let flag = match role {
        Role::Text => "text-column",
        Role::Label(_) => "label-column",
    };
    if let Some(name) = named {
        return header.iter().position(|h| h.eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            DataError::MissingColumn {
                column: name.to_string(),
                available: available.clone(),
                flag,
                path: path.to_path_buf(),
            }
        });
    }
    let known: &[&str] = match role {
        Role::Text => &TEXT_NAMES,
        Role::Label(_) => &LABEL_NAMES,
    };
    let excluded = match role {
        Role::Text => None,
        Role::Label(t) => Some(t),
    };
    if let Some(i) = known
        .iter()
        .find_map(|k| header.iter().position(|h| h.eq_ignore_ascii_case(k)).filter(|i| Some(*i) != excluded))
    {
        return Ok(i);
    }
    let sample = &rows[..rows.len().min(1000)];
    let candidates: Vec<usize> = (0..header.len()).filter(|i| Some(*i) != excluded).collect();
    let best = match role {
        // The text is the column with the longest values on average.
        Role::Text => candidates.iter().copied().max_by_key(|&i| sample.iter().map(|(_, r)| r[i].len()).sum::<usize>()),
        // The label is the column with the fewest distinct values.
        Role::Label(_) => candidates.iter().copied().min_by_key(|&i| {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for (_, r) in sample {
                *counts.entry(r[i].as_str()).or_default() += 1;
            }
            counts.len()
        }),
    };
    best.ok_or_else(|| DataError::AmbiguousColumn {
        what: if flag == "text-column" { "text" } else { "labels" },
        flag,
        available,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn reads_tsv_without_quoting_and_detects_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "d.tsv", "sentence\tlabel\nit 's \"fine\" . \t1\nbad movie \t0\n");
        let d = read_labeled(&p, &ReadOptions::default()).unwrap();
        assert_eq!(d.texts, vec!["it 's \"fine\" .", "bad movie"]);
        assert_eq!(d.labels, vec!["1", "0"]);
        assert_eq!(label_set(&d.labels), vec!["0", "1"]);
    }

    #[test]
    fn detects_text_and_label_by_content_when_names_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let p =
            write(&dir, "d.csv", "a,b\nspam,\"win a prize now, call\"\nham,\"see you at lunch today\"\nham,ok then\n");
        let d = read_labeled(&p, &ReadOptions::default()).unwrap();
        assert_eq!(d.text_column, "b");
        assert_eq!(d.label_column, "a");
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let empty = write(&dir, "e.csv", "");
        assert!(matches!(read_labeled(&empty, &ReadOptions::default()), Err(DataError::Empty { .. })));
        let header_only = write(&dir, "h.csv", "text,label\n");
        assert!(matches!(read_labeled(&header_only, &ReadOptions::default()), Err(DataError::NoRows { .. })));
        let ragged = write(&dir, "r.csv", "text,label\nfine,1\nbroken\n");
        let err = read_labeled(&ragged, &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, DataError::Ragged { line: 3, .. }), "{err}");
        let opts = ReadOptions { text_column: Some("body".into()), ..Default::default() };
        let err = read_labeled(&write(&dir, "m.csv", "text,label\na,1\n"), &opts).unwrap_err();
        assert!(err.to_string().contains("no column \"body\""), "{err}");
    }

    #[test]
    fn label_sets_sort_numbers_by_value() {
        let labels: Vec<String> = ["10", "2", "b", "a", "2"].iter().map(|s| s.to_string()).collect();
        assert_eq!(label_set(&labels), vec!["2", "10", "a", "b"]);
    }
}
