//! Datasets: reading labeled text from CSV/TSV files with a header, finding the text and label
//! columns, and the label set; sentences tagged word by word from CoNLL files. (The full importer — more formats, encodings, reports — grows here.)

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
