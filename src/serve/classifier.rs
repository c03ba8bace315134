//! What the server needs from a model: its label names, what its outputs mean, and its answers
//! for a list of texts (from class probabilities, a probability per label, or a number; or a
//! token classifier's tagged words). A trait, so tests can serve a model that fails or waits on
//! cue; the real [`SequenceClassifier`] and [`TokenClassifier`] implement it.

use super::reply::{predictions, OutputMeaning, Prediction};
use crate::model::{Problem, SequenceClassifier, TokenClassifier};
use crate::train::tag_texts;

/// A text classifier the server can own on its model thread.
pub trait Classifier: Send + 'static {
    /// The label names, in the order of each probability row.
    fn labels(&self) -> &[String];

    /// One row of class probabilities per text, in the order of `texts`. `batch_size` is how
    /// many texts the model may run through the network at once. An error is a sentence for
    /// the person who sent the texts.
    fn probabilities(&mut self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>, String>;

    /// What the rows mean: class probabilities (the default), a probability per label, or the
    /// predicted number.
    fn problem(&self) -> Problem {
        Problem::SingleLabel
    }

    /// Multi-label: the probability from which each label is given.
    fn thresholds(&self) -> Vec<f32> {
        Vec::new()
    }

    /// What the model does, for `/health`: transformers' `problem_type` for text classifiers,
    /// `token_classification` for token classifiers.
    fn problem_type(&self) -> &'static str {
        self.problem().problem_type()
    }

    /// One answer per text, in order: what `/predict` sends back. By default read from
    /// [`Classifier::probabilities`] as the model's problem says.
    fn answers(&mut self, texts: &[&str], batch_size: usize) -> Result<Vec<Prediction>, String> {
        let rows = self.probabilities(texts, batch_size)?;
        let meaning =
            OutputMeaning { labels: self.labels().to_vec(), problem: self.problem(), thresholds: self.thresholds() };
        predictions(&meaning, &rows)
    }
}

impl Classifier for SequenceClassifier {
    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn probabilities(&mut self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>, String> {
        self.predict(texts, batch_size).map_err(|e| e.to_string())
    }

    fn problem(&self) -> Problem {
        self.problem
    }

    fn thresholds(&self) -> Vec<f32> {
        self.thresholds.clone()
    }
}

/// A token classifier answers with each text's words, their tags and the entities they make.
impl Classifier for TokenClassifier {
    fn labels(&self) -> &[String] {
        &self.labels
    }

    /// A tag per word has no row per text: the server asks for [`Classifier::answers`].
    fn probabilities(&mut self, _texts: &[&str], _batch_size: usize) -> Result<Vec<Vec<f32>>, String> {
        Err("this model tags words; it gives no probabilities per text".into())
    }

    fn problem_type(&self) -> &'static str {
        "token_classification"
    }

    fn answers(&mut self, texts: &[&str], batch_size: usize) -> Result<Vec<Prediction>, String> {
        let tagged = tag_texts(self, texts, batch_size).map_err(|e| e.to_string())?;
        Ok(tagged.into_iter().map(Prediction::tagged).collect())
    }
}
