//! Evaluating a classifier on labeled texts: predictions, probabilities, loss and metrics.

use crate::data::LabeledTexts;
use crate::model::{argmax_rows, SequenceClassifier, TokenizedText};

use super::{ClassificationMetrics, TrainError};

pub struct Evaluation {
    pub metrics: ClassificationMetrics,
    pub predictions: Vec<usize>,
    pub probabilities: Vec<Vec<f32>>,
    /// Mean cross-entropy of the true labels.
    pub loss: f64,
}

/// Maps label names to the model's class indices; fails on labels the model does not know.
pub fn label_indices(model_labels: &[String], labels: &[String]) -> Result<Vec<usize>, TrainError> {
    let mut unknown: Vec<&str> = Vec::new();
    let indices = labels
        .iter()
        .map(|l| match model_labels.iter().position(|m| m == l) {
            Some(i) => i,
            None => {
                if !unknown.contains(&l.as_str()) {
                    unknown.push(l);
                }
                0
            }
        })
        .collect();
    if !unknown.is_empty() {
        let quote = |v: Vec<&str>| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
        return Err(TrainError::UnknownLabels {
            unknown: quote(unknown.into_iter().take(10).collect()),
            known: quote(model_labels.iter().map(String::as_str).collect()),
        });
    }
    Ok(indices)
}

/// Evaluates already tokenized texts against true class indices.
pub fn evaluate_tokenized(
    model: &SequenceClassifier,
    texts: &[TokenizedText],
    truth: &[usize],
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    let probabilities = model.predict_tokenized(texts, batch_size)?;
    let predictions = argmax_rows(&probabilities);
    let loss = probabilities.iter().zip(truth).map(|(p, &t)| -(p[t].max(1e-12) as f64).ln()).sum::<f64>()
        / truth.len().max(1) as f64;
    let metrics = ClassificationMetrics::compute(&model.labels, truth, &predictions);
    Ok(Evaluation { metrics, predictions, probabilities, loss })
}

/// Evaluates a model on a labeled dataset.
pub fn evaluate(model: &SequenceClassifier, data: &LabeledTexts, batch_size: usize) -> Result<Evaluation, TrainError> {
    let truth = label_indices(&model.labels, &data.labels)?;
    let tokenized = model.tokenizer.tokenize_inputs(&data.texts, data.pairs.as_deref())?;
    evaluate_tokenized(model, &tokenized, &truth, batch_size)
}
