//! CoNLL / BIO token files: one token per line with its tag in the last column (columns split
//! by tabs if the line has any, else by spaces), a blank line between sentences, `-DOCSTART-`
//! lines skipped. Reads CoNLL-2003 (4 columns) and WNUT-17 (2 columns) alike. Every line of a
//! file has the same number of columns; a sentence with a line that does not is left out and
//! reported with that line. Stray U+FEFF characters inside lines are removed; a line of only
//! whitespace (or U+FEFF) is blank. Tags are converted to IOB2 (see `tags.rs`); the report counts them.

use std::io::BufRead;

use super::collect::Collector;
use super::lines::{is_blank, not_utf8_message, Line, Lines};
use super::tags::to_iob2;
use super::{ImportError, ImportedRow, TextEncoding};

/// The columns a CoNLL import reports.
pub(crate) fn column_names() -> Vec<String> {
    vec!["tokens".to_string(), "tags".to_string()]
}

fn fields(line: &str) -> Vec<&str> {
    if line.contains('\t') {
        line.split('\t').map(str::trim).filter(|f| !f.is_empty()).collect()
    } else {
        line.split_ascii_whitespace().collect()
    }
}

fn is_docstart(line: &str) -> bool {
    line.trim_start().starts_with("-DOCSTART-")
}

#[derive(Default)]
struct Sentence {
    tokens: Vec<String>,
    tags: Vec<String>,
    lines: usize,
    /// The first bad line and what is wrong with it.
    problem: Option<(u64, String)>,
}

pub(crate) fn read<R: BufRead>(text: R, enc: TextEncoding, c: &mut Collector) -> Result<(), ImportError> {
    let mut lines = Lines::new(text, c.path(), enc);
    let mut columns: Option<usize> = None;
    let mut sentence = Sentence::default();
    while let Some(Line { number: line, end_offset, bytes }) = lines.next_line()? {
        c.at_byte(end_offset);
        let decoded = std::str::from_utf8(bytes);
        let blank = |t: &str| t.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}').is_empty();
        if is_blank(bytes) || decoded.is_ok_and(blank) {
            c.blank_line();
            finish(&mut sentence, c)?;
            continue;
        }
        sentence.lines += 1;
        let Ok(text) = decoded else {
            sentence.problem.get_or_insert((line, not_utf8_message()));
            continue;
        };
        let cleaned;
        let text = if text.contains('\u{feff}') {
            cleaned = text.replace('\u{feff}', "");
            cleaned.as_str()
        } else {
            text
        };
        if is_docstart(text) {
            sentence.lines -= 1;
            finish(&mut sentence, c)?;
            continue;
        }
        let f = fields(text);
        let expected = *columns.get_or_insert(f.len().max(2));
        match f.as_slice() {
            [token, .., tag] if f.len() == expected => {
                sentence.tokens.push(token.to_string());
                sentence.tags.push(tag.to_string());
            }
            _ => {
                let message = format!(
                    "line {line} has {} column(s) but the file's token lines have {expected} (the token first, \
                     its tag last); the sentence is left out",
                    f.len()
                );
                sentence.problem.get_or_insert((line, message));
            }
        }
    }
    finish(&mut sentence, c)
}

/// Ends a sentence: a row, or a problem.
fn finish(sentence: &mut Sentence, c: &mut Collector) -> Result<(), ImportError> {
    let mut s = std::mem::take(sentence);
    if s.lines == 0 {
        return Ok(());
    }
    let row = c.next_row()?;
    match s.problem {
        Some((line, message)) => c.problem(row, Some(line), message),
        None => {
            let converted = to_iob2(&mut s.tags);
            c.converted_tags(converted);
            c.push(
                row,
                None,
                Ok(ImportedRow {
                    source_row: row,
                    text: s.tokens.join(" "),
                    tokens: Some(s.tokens),
                    tags: Some(s.tags),
                    ..Default::default()
                }),
            )
        }
    }
    Ok(())
}

fn is_tag(field: &str) -> bool {
    field == "O"
        || field.len() > 2
            && matches!(field.as_bytes()[0], b'B' | b'I' | b'E' | b'S' | b'L' | b'U')
            && matches!(field.as_bytes()[1], b'-' | b'_')
}

/// Whether a text sample looks like a CoNLL file: sentences of short token lines with the same
/// number of columns (at least two) and BIO-style tags in the last column.
pub(crate) fn looks_like(text: &str) -> bool {
    let mut token_lines = 0usize;
    let mut tagged = 0usize;
    let mut blank = 0usize;
    let mut docstart = false;
    let mut counts: Vec<usize> = Vec::new();
    for line in text.lines().take(400) {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if is_docstart(line) {
            docstart = true;
            continue;
        }
        let f = fields(line);
        token_lines += 1;
        counts.push(f.len());
        if f.len() >= 2 && f.last().is_some_and(|t| is_tag(t)) && line.len() < 200 {
            tagged += 1;
        }
    }
    let (columns, share) = super::dialect::modal_fields(counts);
    token_lines >= 2
        && columns >= 2
        && share >= 0.8
        && tagged * 10 >= token_lines * 8
        && (blank > 0 || docstart)
        && token_lines >= 2 * blank.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_conll_and_wnut_but_not_tsv() {
        assert!(looks_like("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"));
        assert!(looks_like("@paul\tO\nIt\tO\nDubbz\tB-person\n\nThis\tO\nguy\tO\n"));
        assert!(!looks_like("ham\tGo until jurong point\nham\tOk lar\n\nspam\tFree entry\n"));
        assert!(!looks_like("sentence\tlabel\nhide new secretions\t0\n"));
    }
}
