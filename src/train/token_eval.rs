//! Evaluating a token classifier on tagged sentences: the predicted tag of every word, the
//! entity-level measures (as seqeval computes them) and the mean loss of the true tags.

use crate::data::TaggedSentences;
use crate::model::{TokenClassifier, TokenizedWords};

use super::{EntityMetrics, TrainError};

pub struct TokenEvaluation {
    pub metrics: EntityMetrics,
    /// The predicted tag of every word, sentence by sentence.
    pub predicted: Vec<Vec<String>>,
    /// Mean cross-entropy of the true tags over the words the model saw (tags it does not know
    /// are left out of the loss).
    pub loss: f64,
}

/// Evaluates already tokenized sentences against their true tags.
pub fn evaluate_tagged_tokenized(
    model: &TokenClassifier,
    sentences: &[TokenizedWords],
    truth: &[Vec<String>],
    batch_size: usize,
) -> Result<TokenEvaluation, TrainError> {
    let words: Vec<usize> = truth.iter().map(Vec::len).collect();
    let probabilities = model.predict_tokenized(sentences, &words, batch_size)?;
    let predicted: Vec<Vec<String>> = probabilities.iter().map(|p| model.tags_of(p)).collect();
    let (mut loss, mut counted) = (0.0f64, 0usize);
    for (probs, tags) in probabilities.iter().zip(truth) {
        for (p, tag) in probs.iter().zip(tags) {
            let (Some(p), Some(t)) = (p, model.labels.iter().position(|l| l == tag)) else { continue };
            loss -= (p[t].max(1e-12) as f64).ln();
            counted += 1;
        }
    }
    let metrics = EntityMetrics::compute(truth, &predicted);
    Ok(TokenEvaluation { metrics, predicted, loss: loss / counted.max(1) as f64 })
}

/// Evaluates a token classifier on tagged sentences.
pub fn evaluate_tagged(
    model: &TokenClassifier,
    data: &TaggedSentences,
    batch_size: usize,
) -> Result<TokenEvaluation, TrainError> {
    let tokenized = model.tokenizer.tokenize_words(&data.words)?;
    evaluate_tagged_tokenized(model, &tokenized, &data.tags, batch_size)
}
