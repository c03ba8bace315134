//! Delimited text (CSV, TSV, any single-byte delimiter), streamed record by record with the
//! `csv` crate: quoted fields may hold delimiters and newlines; without quoting `"` is ordinary.
//! The column count comes from the header, or for headerless files from the most common field
//! count among the first records, so one ragged first row does not decide it. A record with too
//! few fields (or extra non-empty ones) is a row problem with its line number.

use std::borrow::Cow;
use std::io::Read;

use super::collect::Collector;
use super::dialect::{column_names, generated_names, modal_fields};
use super::mapping::{build_row, resolve, Cell, Mapping};
use super::records::with_records;
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

/// Reads every record into the collector; the records are parsed on a second thread.
pub(crate) fn read<R: Read + Send>(
    text: R,
    delimiter: u8,
    quoting: bool,
    spec: &ImportSpec,
    enc: TextEncoding,
    c: &mut Collector,
) -> Result<Columns, ImportError> {
    let path = c.path().to_path_buf();
    with_records(reader(text, delimiter, quoting), &path, enc, |records| {
        let mut first: Vec<Vec<csv::ByteRecord>> = Vec::new();
        let mut seen = 0;
        while seen < LOOKAHEAD_RECORDS {
            let Some(batch) = records.next_batch()? else { break };
            seen += batch.len();
            first.push(batch);
        }
        let mut ahead = first.iter().flatten().take(LOOKAHEAD_RECORDS);
        let names = if spec.layout.has_header {
            let header = ahead.next().ok_or_else(|| ImportError::Empty { path: path.clone() })?;
            column_names(&header.iter().map(lossy).collect::<Vec<_>>())
        } else {
            generated_names(modal_fields(ahead.filter(|r| !is_blank(r)).map(|r| r.len())).0)
        };
        if names.is_empty() {
            return Err(ImportError::Empty { path: path.clone() });
        }
        let mapping = resolve(spec, &names, &path)?;
        let skip = usize::from(spec.layout.has_header);
        for rec in first.iter().flatten().skip(skip) {
            take(rec, &names, &mapping, c)?;
        }
        while let Some(batch) = records.next_batch()? {
            for rec in &batch {
                take(rec, &names, &mapping, c)?;
            }
            records.give_back(batch);
        }
        Ok(Columns { names, mapping })
    })
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
    if let Some(p) = rec.position() {
        c.at_byte(p.byte());
    }
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
