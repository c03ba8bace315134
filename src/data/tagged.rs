//! Sentences with a tag per word (named entities in IOB2), read from a CoNLL/BIO file or JSON
//! Lines with entity spans through the importer, for training and evaluating token classifiers.

use std::path::{Path, PathBuf};

use super::import::{import, sniff, Format, Sniffed, Target};
use super::DataError;
use crate::jobs::CancelToken;

/// Sentences as words, with one tag per word, and where they came from.
#[derive(Clone, Debug, Default)]
pub struct TaggedSentences {
    pub words: Vec<Vec<String>>,
    pub tags: Vec<Vec<String>>,
    pub path: PathBuf,
    /// SHA-256 of the whole source file.
    pub sha256: String,
    /// The sentences the file holds but that could not be read, one message each ("line 12: …").
    pub left_out: Vec<String>,
}

impl TaggedSentences {
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Keeps the first `n` sentences.
    pub fn truncate(&mut self, n: usize) {
        self.words.truncate(n);
        self.tags.truncate(n);
    }

    /// The tag set: `O` first, then the others sorted (so `B-X` comes before `I-X`).
    pub fn tag_set(&self) -> Vec<String> {
        let mut tags: Vec<String> = self.tags.iter().flatten().filter(|t| *t != "O").cloned().collect();
        tags.sort();
        tags.dedup();
        tags.insert(0, "O".to_string());
        tags
    }

    /// Fails unless some word carries an entity tag (a token classifier needs something to find).
    pub fn require_entities(&self) -> Result<(), DataError> {
        if self.tags.iter().flatten().any(|t| t != "O") {
            return Ok(());
        }
        Err(DataError::NoEntities { path: self.path.clone() })
    }
}

/// Whether a file holds words with tags: a CoNLL/BIO token file (a word and its tag per line), or
/// JSON Lines with entity spans (a `spans` or `entities` field).
pub fn is_tagged_file(path: &Path) -> bool {
    sniff(path, 1).is_ok_and(|s| is_tagged(&s))
}

fn is_tagged(sniffed: &Sniffed) -> bool {
    sniffed.layout.format == Format::Conll || matches!(sniffed.suggest_spec().target, Target::Spans(_))
}

/// Reads a CoNLL/BIO file (CoNLL-2003, WNUT-17, …; tags are converted to IOB2), or JSON Lines
/// with entity spans by character offsets.
pub fn read_tagged(path: &Path, max_rows: Option<usize>) -> Result<TaggedSentences, DataError> {
    let import_error = |e: super::import::ImportError| DataError::Import(e.to_string());
    let sniffed = sniff(path, 1).map_err(import_error)?;
    if !is_tagged(&sniffed) {
        return Err(DataError::NotTagged { path: path.to_path_buf() });
    }
    let imported = import(path, &sniffed.suggest_spec(), &mut |_| {}, &CancelToken::new()).map_err(import_error)?;
    let mut out = TaggedSentences {
        path: path.to_path_buf(),
        sha256: imported.source.sha256,
        left_out: imported
            .report
            .problems
            .iter()
            .map(|p| match p.line {
                Some(line) => format!("line {line}: {}", p.message),
                None => p.message.clone(),
            })
            .collect(),
        ..TaggedSentences::default()
    };
    for row in imported.rows.into_iter().take(max_rows.unwrap_or(usize::MAX)) {
        if let (Some(words), Some(tags)) = (row.tokens, row.tags) {
            out.words.push(words);
            out.tags.push(tags);
        }
    }
    if out.is_empty() {
        return Err(DataError::NoRows { path: path.to_path_buf() });
    }
    Ok(out)
}
