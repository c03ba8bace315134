//! How a file is laid out: its format, its text encoding and whether it starts with a header.
//! [`sniff`](super::sniff) guesses a layout; the analyst may correct it before importing.

use serde::{Deserialize, Serialize};

/// The kind of file, with what is needed to split it into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// Delimited text (CSV, TSV, …). Without quoting, `"` is an ordinary character (GLUE TSV files).
    Delimited { delimiter: u8, quoting: bool },
    /// One JSON object per line; fields by name, nested fields by dotted path (`meta.text`).
    JsonLines,
    /// Apache Parquet; text, integer, float, boolean and list-of-text columns.
    Parquet,
    /// One example per line, unlabeled.
    PlainText,
    /// CoNLL / BIO token files: a token per line, its tag in the last column, a blank line between sentences.
    Conll,
}

impl Format {
    /// The field delimiter, for delimited text.
    pub fn delimiter(&self) -> Option<u8> {
        match self {
            Format::Delimited { delimiter, .. } => Some(*delimiter),
            _ => None,
        }
    }

    /// A short name for reports ("CSV", "TSV", "JSON Lines", …).
    pub fn name(&self) -> &'static str {
        match self {
            Format::Delimited { delimiter: b',', .. } => "CSV",
            Format::Delimited { delimiter: b'\t', .. } => "TSV",
            Format::Delimited { .. } => "delimited text",
            Format::JsonLines => "JSON Lines",
            Format::Parquet => "Parquet",
            Format::PlainText => "plain text",
            Format::Conll => "CoNLL",
        }
    }
}

/// The text encoding of a file. A byte-order mark, where present, is removed while reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextEncoding {
    Utf8,
    /// UTF-8 that starts with a byte-order mark (as Excel writes it).
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// Windows-1252, which also reads Latin-1 (ISO-8859-1) text.
    Windows1252,
}

impl TextEncoding {
    pub fn name(&self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 (with BOM)",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Everything needed to split a file into rows and fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub format: Format,
    pub encoding: TextEncoding,
    /// Whether the first row holds column names (delimited text only).
    pub has_header: bool,
}
