//! The importer: anything an analyst has — CSV/TSV or any delimited text, JSON Lines, Parquet,
//! plain text, CoNLL/BIO token files, in UTF-8, UTF-16 or Windows-1252 — into rows, without ever
//! dropping a row silently. [`sniff`] guesses the layout and shows a preview; [`ImportSpec`] says
//! which columns hold the text, pair, labels or score; [`import`] streams the file (bounded
//! memory beyond the rows), reports progress, honours a [`CancelToken`], and returns the rows
//! with a report of every row it could not read. Whole-file failures are [`ImportError`]s.
//! The in-memory entry points ([`sniff_bytes`], [`import_bytes`]) serve tests and fuzzing.

mod collect;
mod conll;
mod delimited;
mod dialect;
mod encoding;
mod error;
mod jsonl;
mod layout;
mod lines;
mod mapping;
mod parquet_file;
mod plain;
mod records;
mod rows;
mod sniff;
mod source;
mod spans;
mod spec;
mod suggest;
mod tags;

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

pub use error::ImportError;
pub use layout::{Format, Layout, TextEncoding};
pub use rows::{ImportProgress, ImportReport, Imported, ImportedRow, RowProblem, SourceInfo};
pub use sniff::{sniff, sniff_bytes, Sniffed, SNIFF_BYTES};
pub use spec::{ColumnRef, ImportSpec, Target};
pub use tags::to_iob2;

use crate::jobs::CancelToken;
use collect::{Collector, Progress};
use source::{hash_file, open_error, open_text, stamp, Tally};

/// Imports a file. Progress is reported at the start, every 65,536 rows and at the end.
/// Fails if the file changes (size or modification time) while it is read. The file's SHA-256
/// is computed on a second thread while the rows are read.
pub fn import(
    path: &Path,
    spec: &ImportSpec,
    on_progress: &mut dyn FnMut(ImportProgress),
    cancel: &CancelToken,
) -> Result<Imported, ImportError> {
    check_spans(spec, path)?;
    let before = stamp(path)?;
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let failed = AtomicBool::new(false);
    let stop = || failed.load(Ordering::Relaxed) || cancel.is_cancelled();
    let (read, sha256) = std::thread::scope(|scope| {
        let hashing = std::thread::Builder::new()
            .name("attune-import-hash".into())
            .spawn_scoped(scope, || hash_file(path, &stop));
        let tally = Tally::default();
        let progress = Progress { on_progress, cancel, total_bytes: before.len, tally: tally.clone() };
        let read = match spec.layout.format {
            Format::Parquet => read_parquet(file, spec, progress, path),
            _ => read_text(tally.reader(file), spec, progress, path),
        };
        failed.store(read.is_err(), Ordering::Relaxed);
        let sha256 = match hashing {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(ImportError::Read { path: path.to_path_buf(), reason: "hashing the file failed".into() })
            }),
            Err(_) => hash_file(path, &stop),
        };
        (read, sha256)
    });
    let (rows, report, columns) = read?;
    let sha256 = sha256?.ok_or_else(|| ImportError::Cancelled { path: path.to_path_buf() })?;
    if stamp(path)? != before {
        return Err(ImportError::Changed { path: path.to_path_buf() });
    }
    Ok(Imported { rows, report, source: source_info(path, sha256, spec, columns) })
}

/// Imports a whole file held in memory; `name` is used in messages and as the source path.
pub fn import_bytes(
    name: &str,
    bytes: &[u8],
    spec: &ImportSpec,
    on_progress: &mut dyn FnMut(ImportProgress),
    cancel: &CancelToken,
) -> Result<Imported, ImportError> {
    let path = Path::new(name);
    check_spans(spec, path)?;
    let counted = Tally::default();
    let progress = Progress { on_progress, cancel, total_bytes: bytes.len() as u64, tally: counted.clone() };
    let (rows, report, columns) = match spec.layout.format {
        Format::Parquet => read_parquet(bytes::Bytes::copy_from_slice(bytes), spec, progress, path)?,
        _ => read_text(counted.reader(bytes), spec, progress, path)?,
    };
    let sha256 = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(bytes));
    Ok(Imported { rows, report, source: source_info(path, sha256, spec, columns) })
}

type Read3 = (Vec<ImportedRow>, ImportReport, Vec<String>);

/// Entity spans by character offsets are only read from JSON Lines.
fn check_spans(spec: &ImportSpec, path: &Path) -> Result<(), ImportError> {
    if matches!(spec.target, Target::Spans(_)) && spec.layout.format != Format::JsonLines {
        return Err(ImportError::UnsupportedFile {
            path: path.to_path_buf(),
            kind: "a file with entity spans that is not JSON Lines",
            advice: "give the spans as JSON Lines ({\"text\": …, \"spans\": [{\"start\", \"end\", \"label\"}]}), \
                     or the words and tags as a CoNLL file",
        });
    }
    Ok(())
}

fn read_text<R: Read + Send>(raw: R, spec: &ImportSpec, progress: Progress, path: &Path) -> Result<Read3, ImportError> {
    let enc = spec.layout.encoding;
    let text = open_text(raw, enc, progress.total_bytes, path)?;
    let mut c = Collector::new(progress, path)?;
    let (columns, target) = match spec.layout.format {
        Format::Delimited { delimiter, quoting } => {
            let cols = delimited::read(text, delimiter, quoting, spec, enc, &mut c)?;
            (cols.names, cols.mapping.target())
        }
        Format::JsonLines => {
            let (names, mapping) = jsonl::read(text, spec, enc, &mut c)?;
            (names, mapping.target())
        }
        Format::Conll => {
            conll::read(text, enc, &mut c)?;
            (conll::column_names(), None)
        }
        Format::PlainText | Format::Parquet => {
            plain::read(text, enc, &mut c)?;
            (vec!["text".to_string()], None)
        }
    };
    let (rows, report) = c.finish(target)?;
    Ok((rows, report, columns))
}

fn read_parquet<C: parquet::file::reader::ChunkReader + 'static>(
    chunk: C,
    spec: &ImportSpec,
    progress: Progress,
    path: &Path,
) -> Result<Read3, ImportError> {
    let mut c = Collector::new(progress, path)?;
    let (columns, mapping) = parquet_file::read(chunk, spec, &mut c)?;
    let (rows, report) = c.finish(mapping.target())?;
    Ok((rows, report, columns))
}

fn source_info(path: &Path, sha256: String, spec: &ImportSpec, columns: Vec<String>) -> SourceInfo {
    let layout = spec.layout;
    SourceInfo {
        path: path.to_path_buf(),
        sha256,
        format: layout.format,
        encoding: layout.encoding,
        delimiter: layout.format.delimiter(),
        had_header: layout.has_header && matches!(layout.format, Format::Delimited { .. }),
        columns,
    }
}
