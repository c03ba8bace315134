//! Plain text: one example per line, unlabeled. Blank lines are not examples (they are counted
//! in the report); a line that is not valid text is a row problem.

use std::io::BufRead;

use super::collect::Collector;
use super::lines::{is_blank, not_utf8_message, Line, Lines};
use super::{ImportError, ImportedRow, TextEncoding};

pub(crate) fn read<R: BufRead>(text: R, enc: TextEncoding, c: &mut Collector) -> Result<(), ImportError> {
    let mut lines = Lines::new(text, c.path(), enc);
    while let Some(Line { number: line, end_offset, bytes }) = lines.next_line()? {
        if is_blank(bytes) {
            c.blank_line();
            continue;
        }
        let row = c.next_row()?;
        c.at_byte(end_offset);
        let result = match std::str::from_utf8(bytes) {
            Ok(s) => Ok(ImportedRow {
                source_row: row,
                text: s.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}').to_string(),
                ..Default::default()
            }),
            Err(_) => Err(not_utf8_message()),
        };
        c.push(row, Some(line), result);
    }
    Ok(())
}
