//! Delimited text (CSV, TSV, any single-byte delimiter), streamed record by record with the
//! `csv` crate: quoted fields may hold delimiters and newlines; without quoting `"` is ordinary.
//! The column count comes from the header, or for headerless files from the most common field
//! count among the first records, so one ragged first row does not decide it. A record with too
//! few fields (or extra non-empty ones) is a row problem with its line number.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Read;

use super::collect::Collector;
use super::dialect::{column_names, generated_names, modal_fields};
use super::mapping::{build_row, resolve, Cell, Mapping};
use super::source::read_error;
use super::{ImportError, ImportSpec, TextEncoding};

const LOOKAHEAD_RECORDS: usize = 100;

fn reader<R: Read>(text: R, delimiter: u8, quoting: bool) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 18)
        .from_reader(text)
}

fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace)
}

fn lossy(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

/// The file's columns and the spec resolved against them.
pub(crate) struct Columns {
    pub names: Vec<String>,
    pub mapping: Mapping<usize>,
}

/// Reads every record into the collector.
pub(crate) fn read<R: Read>(
    text: R,
    delimiter: u8,
    quoting: bool,
    spec: &ImportSpec,
    enc: TextEncoding,
    c: &mut Collector,
) -> Result<Columns, ImportError> {
    let path = c.path().to_path_buf();
    let mut rdr = reader(text, delimiter, quoting);
    let mut next = |rec: &mut csv::ByteRecord| -> Result<bool, ImportError> {
        rdr.read_byte_record(rec).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => read_error(&path, enc, io),
            other => ImportError::Read { path: path.clone(), reason: format!("{other:?}") },
        })
    };
    let mut ahead: VecDeque<csv::ByteRecord> = VecDeque::new();
    let mut rec = csv::ByteRecord::new();
    while ahead.len() < LOOKAHEAD_RECORDS && next(&mut rec)? {
        ahead.push_back(rec.clone());
    }
    let names = if spec.layout.has_header {
        let header = ahead.pop_front().ok_or_else(|| ImportError::Empty { path: path.clone() })?;
        column_names(&header.iter().map(lossy).collect::<Vec<_>>())
    } else {
        let (fields, _) = modal_fields(ahead.iter().filter(|r| !is_blank(r)).map(|r| r.len()));
        generated_names(fields)
    };
    if names.is_empty() {
        return Err(ImportError::Empty { path });
    }
    let mapping = resolve(spec, &names, &path)?;
    for r in ahead.drain(..) {
        take(&r, &names, &mapping, c)?;
    }
    while next(&mut rec)? {
        take(&rec, &names, &mapping, c)?;
    }
    Ok(Columns { names, mapping })
}

fn take(
    rec: &csv::ByteRecord,
    names: &[String],
    mapping: &Mapping<usize>,
    c: &mut Collector,
) -> Result<(), ImportError> {
    if is_blank(rec) {
        c.blank_line();
        return Ok(());
    }
    let row = c.next_row()?;
    let line = rec.position().map(|p| p.line());
    let extra_filled = rec.iter().skip(names.len()).any(|f| !f.iter().all(u8::is_ascii_whitespace));
    if rec.len() < names.len() || extra_filled {
        let message = format!(
            "this row has {} fields but the file has {} columns; fix the row (a missing or extra delimiter, \
             or an unclosed quote)",
            rec.len(),
            names.len()
        );
        c.problem(row, line, message);
        return Ok(());
    }
    let result = build_row(mapping, row, |&k| match std::str::from_utf8(&rec[k]) {
        Ok(s) => Ok(Cell::Text(Cow::Borrowed(s))),
        Err(_) => Err(format!(
            "column \"{}\" is not valid UTF-8 text; the file may be in another encoding (try Windows-1252)",
            names[k]
        )),
    });
    c.push(row, line, result);
    Ok(())
}

/// The columns and the first `rows` records of a sample, for the sniffer's preview.
/// When the sample is not the whole file, its last record may be cut off and is left out.
pub(crate) fn preview(
    text: &str,
    delimiter: u8,
    quoting: bool,
    has_header: bool,
    complete: bool,
    rows: usize,
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = reader(text.as_bytes(), delimiter, quoting);
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let wanted = rows.max(LOOKAHEAD_RECORDS) + 1;
    while records.len() < wanted + 1 && rdr.read_byte_record(&mut rec).unwrap_or(false) {
        if !is_blank(&rec) {
            records.push(rec.iter().map(lossy).collect());
        }
    }
    if !complete && records.len() <= wanted {
        records.pop();
    }
    let names = if has_header && !records.is_empty() {
        column_names(&records.remove(0))
    } else {
        generated_names(modal_fields(records.iter().take(LOOKAHEAD_RECORDS).map(Vec::len)).0)
    };
    records.truncate(rows);
    (names, records)
}
