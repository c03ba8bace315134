//! What the server needs from a model: its label names, what its outputs mean, and its outputs
//! (class probabilities, a probability per label, or a number) for a list of texts. A trait, so
//! tests can serve a model that fails or waits on cue; the real [`SequenceClassifier`]
//! implements it.

use crate::model::{Problem, SequenceClassifier};

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
