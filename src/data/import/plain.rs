//! Plain text: one example per line, unlabeled. Blank lines (only whitespace, Unicode
//! whitespace included) are not examples and are counted in the report; a line that is not
//! valid text is a row problem.

use std::io::BufRead;

use super::collect::Collector;
use super::lines::{is_blank, not_utf8_message, Line, Lines};
use super::{ImportError, ImportedRow, TextEncoding};

fn trimmed(s: &str) -> &str {
    s.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}')
}

pub(crate) fn read<R: BufRead>(text: R, enc: TextEncoding, c: &mut Collector) -> Result<(), ImportError> {
    let mut lines = Lines::new(text, c.path(), enc);
    while let Some(Line { number: line, end_offset, bytes }) = lines.next_line()? {
        let decoded = std::str::from_utf8(bytes).map(trimmed);
        if is_blank(bytes) || decoded.is_ok_and(str::is_empty) {
            c.blank_line();
            continue;
        }
        let row = c.next_row()?;
        c.at_byte(end_offset);
        let result = match decoded {
            Ok(text) => Ok(ImportedRow { source_row: row, text: text.to_string(), ..Default::default() }),
            Err(_) => Err(not_utf8_message()),
        };
        c.push(row, Some(line), result);
    }
    Ok(())
}
