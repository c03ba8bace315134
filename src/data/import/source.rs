//! Reading the source: a reader that counts the raw bytes as they stream past (for progress),
//! the file's SHA-256 (computed alongside the import, stoppable), the size-and-mtime stamp that
//! catches a file changing during the import, and opening the byte stream as UTF-8 text after a
//! check of its first bytes.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::encoding::{binary_reason, decode_sample, known_binary, utf8_reader};
use super::{ImportError, TextEncoding};

/// The raw bytes read so far, shared between the reader that feeds them (which may run on
/// another thread) and the progress reports.
#[derive(Clone, Default)]
pub(crate) struct Tally {
    bytes: Arc<AtomicU64>,
}

impl Tally {
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Wraps a reader so that everything read through it is counted.
    pub fn reader<R: Read>(&self, inner: R) -> TallyReader<R> {
        TallyReader { inner, tally: self.clone() }
    }
}

pub(crate) struct TallyReader<R> {
    inner: R,
    tally: Tally,
}

impl<R: Read> Read for TallyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tally.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A file's size and modification time, compared before and after an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub len: u64,
    modified: Option<SystemTime>,
}

pub(crate) fn stamp(path: &Path) -> Result<Stamp, ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(ImportError::Open { path: path.to_path_buf(), reason: "it is a folder, not a file".into() });
    }
    Ok(Stamp { len: meta.len(), modified: meta.modified().ok() })
}

pub(crate) fn open_error(path: &Path, e: io::Error) -> ImportError {
    ImportError::Open { path: path.to_path_buf(), reason: e.to_string() }
}

/// A read failure during the import: invalid text from the decoder, or an I/O error.
pub(crate) fn read_error(path: &Path, enc: TextEncoding, e: io::Error) -> ImportError {
    match super::encoding::invalid_data_reason(&e) {
        Some(reason) => ImportError::Encoding { path: path.to_path_buf(), encoding: enc.name(), reason },
        None => ImportError::Read { path: path.to_path_buf(), reason: e.to_string() },
    }
}

const BUFFER_BYTES: usize = 1 << 18;

/// Opens raw bytes as UTF-8 text: checks the first chunk (empty, binary, invalid UTF-16),
/// skips a UTF-8 BOM and decodes other encodings on the fly.
pub(crate) fn open_text<'a, R: Read + Send + 'a>(
    raw: R,
    enc: TextEncoding,
    total_bytes: u64,
    path: &Path,
) -> Result<Box<dyn BufRead + Send + 'a>, ImportError> {
    let mut buffered = BufReader::with_capacity(BUFFER_BYTES, raw);
    let first = buffered.fill_buf().map_err(|e| read_error(path, enc, e))?;
    check_text(first, enc, first.len() as u64 >= total_bytes, path)?;
    if matches!(enc, TextEncoding::Utf8 | TextEncoding::Utf8Bom) && first.starts_with(b"\xEF\xBB\xBF") {
        buffered.consume(3);
    }
    Ok(match enc {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => Box::new(buffered),
        other => Box::new(BufReader::with_capacity(BUFFER_BYTES, utf8_reader(buffered, other))),
    })
}

/// Whole-file checks on the first bytes: not empty, not a known binary format, not binary junk,
/// decodable in the chosen encoding. Returns the decoded sample.
pub(crate) fn check_text(sample: &[u8], enc: TextEncoding, complete: bool, path: &Path) -> Result<String, ImportError> {
    if let Some((kind, advice)) = known_binary(sample) {
        return Err(ImportError::UnsupportedFile { path: path.to_path_buf(), kind, advice });
    }
    let text = decode_sample(sample, enc, complete).map_err(|reason| match enc {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            ImportError::Encoding { path: path.to_path_buf(), encoding: enc.name(), reason }
        }
        // Invalid UTF-8 is reported row by row; only the check for binary data needs the text.
        _ => ImportError::NotText { path: path.to_path_buf(), reason },
    });
    let text = match (text, enc) {
        (Ok(text), _) => text,
        (Err(_), TextEncoding::Utf8 | TextEncoding::Utf8Bom) => String::from_utf8_lossy(sample).into_owned(),
        (Err(e), _) => return Err(e),
    };
    if complete && text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').is_empty() {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    }
    if let Some(reason) = binary_reason(&text) {
        return Err(ImportError::NotText { path: path.to_path_buf(), reason });
    }
    Ok(text)
}

/// SHA-256 of a whole file, read in 1 MiB pieces; `None` when `stop` was raised first.
pub(crate) fn hash_file(path: &Path, stop: &dyn Fn() -> bool) -> Result<Option<String>, ImportError> {
    let read_err = |e: io::Error| ImportError::Read { path: path.to_path_buf(), reason: e.to_string() };
    let mut file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if stop() {
            return Ok(None);
        }
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e)),
        };
        if n == 0 {
            return Ok(Some(format!("{:x}", hasher.finalize())));
        }
        hasher.update(&buf[..n]);
    }
}
