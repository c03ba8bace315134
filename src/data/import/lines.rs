//! Reading UTF-8 text line by line with 1-based line numbers, for the line-oriented formats
//! (JSON Lines, CoNLL, plain text). A line ends at `\n`; a `\r` before it is dropped.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::source::read_error;
use super::{ImportError, TextEncoding};

/// One line: its 1-based number, the byte offset of its end, and its bytes without the newline.
pub(crate) struct Line<'a> {
    pub number: u64,
    pub end_offset: u64,
    pub bytes: &'a [u8],
}

pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    offset: u64,
    path: PathBuf,
    enc: TextEncoding,
}

impl<R: BufRead> Lines<R> {
    pub fn new(inner: R, path: &Path, enc: TextEncoding) -> Self {
        Lines { inner, buf: Vec::with_capacity(1 << 12), line: 0, offset: 0, path: path.to_path_buf(), enc }
    }

    /// The next line, or `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, ImportError> {
        self.buf.clear();
        let n = self.inner.read_until(b'\n', &mut self.buf).map_err(|e| read_error(&self.path, self.enc, e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.offset += n as u64;
        let mut end = self.buf.len();
        if self.buf[..end].ends_with(b"\n") {
            end -= 1;
        }
        if self.buf[..end].ends_with(b"\r") {
            end -= 1;
        }
        Ok(Some(Line { number: self.line, end_offset: self.offset, bytes: &self.buf[..end] }))
    }
}

/// Whether a line holds only whitespace (and stray byte-order marks).
pub(crate) fn is_blank(line: &[u8]) -> bool {
    let mut rest = line;
    loop {
        match rest {
            [] => return true,
            [b, tail @ ..] if b.is_ascii_whitespace() => rest = tail,
            [0xEF, 0xBB, 0xBF, tail @ ..] => rest = tail,
            _ => return false,
        }
    }
}

/// The message for a line that is not valid UTF-8.
pub(crate) fn not_utf8_message() -> String {
    "this line is not valid UTF-8 text; the file may be in another encoding (try Windows-1252)".to_string()
}
