//! Datasets: reading labeled text from CSV/TSV files with a header, finding the text and label
//! columns, and the label set; label sets and numbers read from label cells; sentences tagged
//! word by word from CoNLL files; and the full importer (more formats, encodings, reports).

mod error;
pub mod import;
mod table;
mod tagged;
mod targets;
mod words;

pub use error::DataError;
pub use table::{file_sha256, label_set, read_labeled, LabeledTexts, ReadOptions};
pub use tagged::{is_tagged_file, read_tagged, TaggedSentences};
pub use targets::{split_label_cell, TextTargets};
pub use words::{split_words, split_words_with_offsets};
