//! Guessing how delimited text is split: the delimiter (tab, comma, semicolon or pipe — the one
//! that gives the same number of fields on most lines, quotes respected), whether `"` quotes
//! fields (always for CSV; for tab-separated text only when quoted fields parse cleanly, because
//! GLUE-style TSV files have bare `"` inside fields), and whether the first row is a header.

/// Records split from a sample, and whether any quoted field was malformed.
pub(crate) struct Split {
    pub records: Vec<Vec<String>>,
    pub dirty: bool,
}

/// Splits a sample into at most `max_records` records. When the sample is not the whole file,
/// its last record may be cut off and is dropped.
pub(crate) fn split(text: &str, delimiter: u8, quoting: bool, complete: bool, max_records: usize) -> Split {
    let b = text.as_bytes();
    let mut out = Split { records: Vec::new(), dirty: false };
    let mut record: Vec<String> = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() && out.records.len() < max_records {
        if quoting && b[i] == b'"' {
            i += 1;
            loop {
                match b[i..].iter().position(|&c| c == b'"') {
                    None if complete => {
                        out.dirty = true;
                        field.extend_from_slice(&b[i..]);
                        i = b.len();
                        break;
                    }
                    None => return out,
                    Some(q) => {
                        field.extend_from_slice(&b[i..i + q]);
                        i += q + 1;
                        if b.get(i) == Some(&b'"') {
                            field.push(b'"');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            if i < b.len() && !matches!(b[i], b'\n' | b'\r') && b[i] != delimiter {
                out.dirty = true;
            }
        }
        let end = b[i..].iter().position(|&c| c == delimiter || c == b'\n' || c == b'\r').map_or(b.len(), |p| i + p);
        field.extend_from_slice(&b[i..end]);
        i = end;
        record.push(String::from_utf8_lossy(&field).into_owned());
        field.clear();
        if i < b.len() && b[i] == delimiter {
            i += 1;
            continue;
        }
        if i >= b.len() && !complete {
            return out;
        }
        if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        i += 1;
        let blank = record.len() == 1 && record[0].trim().is_empty();
        if !blank {
            out.records.push(std::mem::take(&mut record));
        }
        record.clear();
    }
    out
}

/// The most common number of fields, and the share of records that have it.
pub(crate) fn modal_fields(lens: impl IntoIterator<Item = usize>) -> (usize, f64) {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    let mut total = 0;
    for len in lens {
        total += 1;
        match counts.iter_mut().find(|(l, _)| *l == len) {
            Some((_, n)) => *n += 1,
            None => counts.push((len, 1)),
        }
    }
    let (fields, n) = counts.into_iter().max_by_key(|&(l, n)| (n, l)).unwrap_or((0, 0));
    (fields, if total == 0 { 0.0 } else { n as f64 / total as f64 })
}

/// A guessed delimiter with its records.
pub(crate) struct Dialect {
    pub delimiter: u8,
    pub quoting: bool,
    pub fields: usize,
    /// Share of records with the most common number of fields.
    pub consistency: f64,
    pub records: Vec<Vec<String>>,
}

const SNIFF_RECORDS: usize = 200;

/// Tries each delimiter and keeps the most consistent one with at least two fields
/// (the earlier candidate wins a tie).
pub(crate) fn guess(text: &str, candidates: &[u8], complete: bool) -> Option<Dialect> {
    let mut best: Option<Dialect> = None;
    for &delimiter in candidates {
        let d = try_delimiter(text, delimiter, complete);
        if d.fields >= 2 && best.as_ref().is_none_or(|b| d.consistency > b.consistency) {
            best = Some(d);
        }
    }
    best
}

/// Splits the sample with one delimiter, deciding about quoting.
pub(crate) fn try_delimiter(text: &str, delimiter: u8, complete: bool) -> Dialect {
    let quoting = delimiter != b'\t' || tab_quoting(text, complete);
    let split = split(text, delimiter, quoting, complete, SNIFF_RECORDS);
    let (fields, consistency) = modal_fields(split.records.iter().map(Vec::len));
    Dialect { delimiter, quoting, fields, consistency, records: split.records }
}

/// Tab-separated text is read without quoting, unless some field starts with a quote and
/// quoting splits the sample cleanly and as consistently.
fn tab_quoting(text: &str, complete: bool) -> bool {
    let bare = split(text, b'\t', false, complete, SNIFF_RECORDS);
    if !bare.records.iter().flatten().any(|f| f.starts_with('"')) {
        return false;
    }
    let quoted = split(text, b'\t', true, complete, SNIFF_RECORDS);
    let (bare_fields, bare_share) = modal_fields(bare.records.iter().map(Vec::len));
    let (fields, share) = modal_fields(quoted.records.iter().map(Vec::len));
    !quoted.dirty && share >= bare_share && (fields == bare_fields || share == 1.0)
}

/// Column names that mark a header row.
const KNOWN_NAMES: [&str; 40] = [
    "text",
    "sentence",
    "content",
    "message",
    "review",
    "document",
    "utterance",
    "query",
    "body",
    "tweet",
    "sms",
    "comment",
    "title",
    "description",
    "question",
    "answer",
    "premise",
    "hypothesis",
    "sentence1",
    "sentence2",
    "text_a",
    "text_b",
    "label",
    "labels",
    "category",
    "class",
    "target",
    "intent",
    "sentiment",
    "tag",
    "tags",
    "score",
    "rating",
    "id",
    "idx",
    "topic",
    "y",
    "x",
    "input",
    "output",
];

pub(crate) fn is_known_name(cell: &str) -> bool {
    let cell = cell.trim();
    KNOWN_NAMES.iter().any(|k| k.eq_ignore_ascii_case(cell))
}

fn is_numeric(cell: &str) -> bool {
    cell.trim().parse::<f64>().is_ok()
}

/// Whether the first record looks like column names rather than data: known names, names
/// above numbers, short names above long texts — and not values that recur below.
pub(crate) fn has_header(records: &[Vec<String>]) -> bool {
    let Some((first, rest)) = records.split_first() else { return false };
    if rest.is_empty() {
        return first.iter().any(|c| is_known_name(c));
    }
    let (mut header, mut data) = (0, 0);
    for (j, cell) in first.iter().enumerate() {
        let cell = cell.trim();
        let below: Vec<&str> = rest.iter().filter_map(|r| r.get(j)).map(|c| c.trim()).collect();
        if below.is_empty() {
            continue;
        }
        let recurs = below.contains(&cell);
        if cell.is_empty() || recurs {
            data += 2;
        } else if is_known_name(cell) {
            header += 2;
        } else if below.iter().filter(|c| is_numeric(c)).count() * 5 >= below.len() * 4 {
            if is_numeric(cell) {
                data += 1;
            } else {
                header += 2;
            }
        } else {
            let mean_len = below.iter().map(|c| c.chars().count()).sum::<usize>() / below.len();
            if cell.chars().count() <= 30 && mean_len > 2 * cell.chars().count() + 10 {
                header += 1;
            }
        }
    }
    let duplicate = first.iter().enumerate().any(|(i, c)| first[..i].contains(c));
    header > data && !duplicate
}

/// Header cells made into usable, unique names (`column_N` for empty ones).
pub(crate) fn column_names(header: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, cell) in header.iter().enumerate() {
        let base = match cell.trim() {
            "" => format!("column_{}", i + 1),
            name => name.to_string(),
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// `column_1` … `column_N`, for files without a header.
pub(crate) fn generated_names(count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("column_{i}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields_with_newlines_and_doubled_quotes() {
        let s = split("a,\"b\nc\",\"say \"\"hi\"\"\"\r\nd,e,f\n", b',', true, true, 10);
        assert_eq!(s.records, vec![vec!["a", "b\nc", "say \"hi\""], vec!["d", "e", "f"]]);
        assert!(!s.dirty);
        assert!(split("\"a\" b,c\n", b',', true, true, 10).dirty);
    }

    #[test]
    fn drops_a_record_cut_off_by_the_sample_end() {
        let s = split("a,b\nc,\"d\ne", b',', true, false, 10);
        assert_eq!(s.records, vec![vec!["a", "b"]]);
    }

    #[test]
    fn picks_the_consistent_delimiter() {
        let tsv = "it 's , fine , really \t1\nbad , bad \t0\nok\t1\n";
        assert_eq!(guess(tsv, b"\t,;|", true).unwrap().delimiter, b'\t');
        let semi = "a;b;c\n1,5;x;y\n2;z,w;v\n";
        assert_eq!(guess(semi, b",;\t|", true).unwrap().delimiter, b';');
    }

    #[test]
    fn tabs_quote_only_when_quoted_fields_are_clean() {
        assert!(!try_delimiter("\"a\" said\t1\nb\t0\n", b'\t', true).quoting);
        assert!(try_delimiter("\"a\tb\"\t1\nc\t0\n", b'\t', true).quoting);
        assert!(!try_delimiter("plain\t1\nc\t0\n", b'\t', true).quoting);
    }

    #[test]
    fn header_heuristics() {
        let rec = |rows: &[&[&str]]| -> Vec<Vec<String>> {
            rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
        };
        assert!(has_header(&rec(&[&["text", "label"], &["hello there", "1"]])));
        assert!(has_header(&rec(&[&["a", "b"], &["spam", "win a prize now, call this number"], &["ham", "ok"]])));
        assert!(!has_header(&rec(&[&["ham", "go until jurong point"], &["ham", "ok lar"], &["spam", "free"]])));
        assert!(!has_header(&rec(&[&["3", "Title one", "Body text"], &["4", "Title two", "More text"]])));
        assert!(has_header(&rec(&[&["comment", "stars"], &["great stuff", "5"], &["bad", "1"]])));
    }

    #[test]
    fn names_are_unique_and_never_empty() {
        let header: Vec<String> = ["text", "", "text"].iter().map(|s| s.to_string()).collect();
        assert_eq!(column_names(&header), vec!["text", "column_2", "text_2"]);
    }
}
