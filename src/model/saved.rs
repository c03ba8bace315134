//! What writing a fine-tuned model needs, for a text classifier and a token classifier alike: its
//! config.json, its parameters, its labels and tokenizer, what task it does, and saving it as a
//! Hugging Face folder. Exports (GGUF, Hugging Face folders) are written through this.

use std::path::Path;

use super::{ModelError, ParamStore, SequenceClassifier, TextTokenizer, TokenClassifier};

/// GGUF's `attune.task` of a text classifier (any of its problems) and of a token classifier.
pub const SEQUENCE_CLASSIFICATION: &str = "sequence-classification";
pub const TOKEN_CLASSIFICATION: &str = "token-classification";

pub trait SavedModel {
    /// The config.json of the fine-tuned model, as transformers reads it.
    fn config_json(&self) -> serde_json::Value;
    fn params(&self) -> &ParamStore;
    fn labels(&self) -> &[String];
    fn tokenizer(&self) -> &TextTokenizer;
    /// [`SEQUENCE_CLASSIFICATION`] or [`TOKEN_CLASSIFICATION`].
    fn task(&self) -> &'static str;
    /// Writes a Hugging Face-compatible folder.
    fn save(&self, dir: &Path) -> Result<(), ModelError>;
}

impl SavedModel for SequenceClassifier {
    fn config_json(&self) -> serde_json::Value {
        self.config.classifier_json(&self.labels, self.problem, &self.thresholds)
    }

    fn params(&self) -> &ParamStore {
        &self.params
    }

    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    fn task(&self) -> &'static str {
        SEQUENCE_CLASSIFICATION
    }

    fn save(&self, dir: &Path) -> Result<(), ModelError> {
        SequenceClassifier::save(self, dir)
    }
}

impl SavedModel for TokenClassifier {
    fn config_json(&self) -> serde_json::Value {
        self.config.token_classifier_json(&self.labels)
    }

    fn params(&self) -> &ParamStore {
        &self.params
    }

    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    fn task(&self) -> &'static str {
        TOKEN_CLASSIFICATION
    }

    fn save(&self, dir: &Path) -> Result<(), ModelError> {
        TokenClassifier::save(self, dir)
    }
}
