//! Datasets: reading labeled text from CSV/TSV files with a header, finding the text and label
//! columns, and the label set. (The full importer — more formats, encodings, reports — grows here.)

mod error;
pub mod import;
mod table;

pub use error::DataError;
pub use table::{file_sha256, label_set, read_labeled, LabeledTexts, ReadOptions};
