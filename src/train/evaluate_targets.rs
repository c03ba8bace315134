//! Evaluating models that give several labels per text (a probability per label, decided by
//! per-label thresholds) or a number per text (regression): predictions, loss and metrics, and
//! one entry point that evaluates any text model on data of its kind.

use crate::data::{LabeledTexts, TextTargets};
use crate::model::{predicted_number, Problem, SequenceClassifier, TokenizedText};

use super::evaluate::{evaluate, label_indices, Evaluation};
use super::{apply_thresholds, tune_thresholds, MultiLabelMetrics, RegressionMetrics, TrainError};

pub struct LabelSetEvaluation {
    pub metrics: MultiLabelMetrics,
    /// A probability per label for each example.
    pub probabilities: Vec<Vec<f32>>,
    pub predicted: Vec<Vec<bool>>,
    pub truth: Vec<Vec<bool>>,
    /// The thresholds the predictions were decided with.
    pub thresholds: Vec<f32>,
    /// Mean binary cross-entropy over labels and examples.
    pub loss: f64,
}

pub struct ScoreEvaluation {
    pub metrics: RegressionMetrics,
    pub predictions: Vec<f64>,
    pub truth: Vec<f64>,
    /// Mean squared error.
    pub loss: f64,
}

/// The evaluation of a text model, by its problem.
pub enum TextEvaluation {
    Classes(Evaluation),
    LabelSets(LabelSetEvaluation),
    Scores(ScoreEvaluation),
}

/// Each example's labels as a yes/no per model label; fails on labels the model does not know.
pub fn label_set_indicators(model_labels: &[String], sets: &[Vec<String>]) -> Result<Vec<Vec<bool>>, TrainError> {
    let flat: Vec<String> = sets.iter().flatten().cloned().collect();
    label_indices(model_labels, &flat)?;
    Ok(sets.iter().map(|set| model_labels.iter().map(|l| set.contains(l)).collect()).collect())
}

/// Evaluates tokenized texts against their label sets. With `tune`, the thresholds are tuned on
/// these examples (training's validation); otherwise the model's own are used.
pub fn evaluate_label_sets_tokenized(
    model: &SequenceClassifier,
    texts: &[TokenizedText],
    truth: &[Vec<bool>],
    batch_size: usize,
    tune: bool,
) -> Result<LabelSetEvaluation, TrainError> {
    let probabilities = model.predict_tokenized(texts, batch_size)?;
    let thresholds = if tune { tune_thresholds(&probabilities, truth) } else { model.thresholds.clone() };
    let predicted = apply_thresholds(&probabilities, &thresholds);
    let metrics = MultiLabelMetrics::compute(&model.labels, truth, &predicted);
    let cells = truth.iter().map(Vec::len).sum::<usize>().max(1) as f64;
    let loss = probabilities
        .iter()
        .zip(truth)
        .flat_map(|(p, t)| p.iter().zip(t))
        .map(|(&p, &t)| -((if t { p } else { 1.0 - p }).max(1e-12) as f64).ln())
        .sum::<f64>()
        / cells;
    Ok(LabelSetEvaluation { metrics, probabilities, predicted, truth: truth.to_vec(), thresholds, loss })
}

/// Evaluates tokenized texts against their numbers.
pub fn evaluate_scores_tokenized(
    model: &SequenceClassifier,
    texts: &[TokenizedText],
    truth: &[f64],
    batch_size: usize,
) -> Result<ScoreEvaluation, TrainError> {
    let predictions: Vec<f64> =
        model.predict_tokenized(texts, batch_size)?.iter().map(|o| predicted_number(o) as f64).collect();
    let metrics = RegressionMetrics::compute(truth, &predictions);
    Ok(ScoreEvaluation { loss: metrics.mse, metrics, predictions, truth: truth.to_vec() })
}

/// Evaluates a text model on data read for its problem (one label, label sets or numbers).
pub fn evaluate_texts(
    model: &SequenceClassifier,
    data: &LabeledTexts,
    batch_size: usize,
) -> Result<TextEvaluation, TrainError> {
    let tokenized = || model.tokenizer.tokenize_inputs(&data.texts, data.pairs.as_deref());
    match (&data.targets, model.problem) {
        (TextTargets::OneLabel, Problem::SingleLabel) => {
            Ok(TextEvaluation::Classes(evaluate(model, data, batch_size)?))
        }
        (TextTargets::LabelSets(sets), Problem::MultiLabel) => {
            let truth = label_set_indicators(&model.labels, sets)?;
            Ok(TextEvaluation::LabelSets(evaluate_label_sets_tokenized(
                model,
                &tokenized()?,
                &truth,
                batch_size,
                false,
            )?))
        }
        (TextTargets::Scores(scores), Problem::Regression) => {
            Ok(TextEvaluation::Scores(evaluate_scores_tokenized(model, &tokenized()?, scores, batch_size)?))
        }
        (_, problem) => Err(TrainError::Settings(format!(
            "this model predicts {}, but the data was read for another task; read it for the model's task",
            problem.describe()
        ))),
    }
}
