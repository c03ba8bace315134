//! Typed texts tagged by a token classifier, as `attune predict` and `attune serve` show them: the
//! words (split as CoNLL files have them), each word's tag, and the entities found, each with the
//! probability of its least sure word.

use serde::Serialize;

use super::entities;
use crate::data::split_words;
use crate::model::{ModelError, TokenClassifier};

/// An entity found in a text: its type, its words and where they are.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoundEntity {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    pub start_word: usize,
    /// One past the last word.
    pub end_word: usize,
    /// The lowest probability the model gave a word of the entity its tag.
    pub confidence: f32,
}

/// A text with its words, their tags and the entities they make.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaggedText {
    pub words: Vec<String>,
    pub tags: Vec<String>,
    pub entities: Vec<FoundEntity>,
}

/// Tags typed texts.
pub fn tag_texts(model: &TokenClassifier, texts: &[&str], batch_size: usize) -> Result<Vec<TaggedText>, ModelError> {
    let sentences: Vec<Vec<String>> = texts.iter().map(|t| split_words(t)).collect();
    let probabilities = model.predict_words(&sentences, batch_size)?;
    Ok(sentences
        .into_iter()
        .zip(&probabilities)
        .map(|(words, probs)| {
            let tags = model.tags_of(probs);
            let sure = |i: usize| probs[i].as_ref().map_or(0.0, |p| p.iter().copied().fold(0.0f32, f32::max));
            let found = entities(&tags)
                .into_iter()
                .map(|(kind, start, end)| FoundEntity {
                    kind,
                    text: words[start..end].join(" "),
                    start_word: start,
                    end_word: end,
                    confidence: (start..end).map(sure).fold(1.0f32, f32::min),
                })
                .collect();
            TaggedText { words, tags, entities: found }
        })
        .collect())
}
