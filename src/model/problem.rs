//! What a sequence classifier's outputs mean: one label per text (softmax over the labels),
//! several labels per text (a sigmoid per label, each with its own decision threshold), or a
//! number per text (regression, the output as it is). Saved as transformers' `problem_type`,
//! so a run loads there with the same loss and meaning.

use std::collections::BTreeMap;

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use super::layers::softmax_last_dim;

/// The problem a sequence classifier solves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    #[default]
    SingleLabel,
    MultiLabel,
    Regression,
}

/// The decision threshold of a label before any is tuned on validation data.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

impl Problem {
    /// transformers' name for it (`problem_type` in config.json).
    pub fn problem_type(self) -> &'static str {
        match self {
            Problem::SingleLabel => "single_label_classification",
            Problem::MultiLabel => "multi_label_classification",
            Problem::Regression => "regression",
        }
    }

    pub fn from_problem_type(name: &str) -> Option<Self> {
        [Problem::SingleLabel, Problem::MultiLabel, Problem::Regression].into_iter().find(|p| p.problem_type() == name)
    }

    /// The task in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Problem::SingleLabel => "one label per text",
            Problem::MultiLabel => "several labels per text",
            Problem::Regression => "a number per text (regression)",
        }
    }

    /// What the model outputs for logits (batch, outputs): class probabilities that sum to one,
    /// a probability per label, or the predicted numbers.
    pub fn outputs(self, logits: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Problem::SingleLabel => softmax_last_dim(logits),
            Problem::MultiLabel => sigmoid(logits),
            Problem::Regression => Ok(logits.clone()),
        }
    }
}

/// 1 / (1 + e^-x), from differentiable ops.
pub fn sigmoid(x: &Tensor) -> candle_core::Result<Tensor> {
    (x.neg()?.exp()? + 1.0)?.recip()
}

/// Binary cross-entropy of logits (batch, labels) against 0/1 targets of the same shape, averaged
/// over every label of every example (PyTorch's `BCEWithLogitsLoss`), computed stably as
/// max(x, 0) − x·y + log(1 + e^−|x|).
pub fn binary_cross_entropy_with_logits(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let log_term = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    ((logits.relu()? - (logits * targets)?)? + log_term)?.mean_all()
}

/// Mean squared error of one output per example (batch, 1) against targets (batch).
pub fn mean_squared_error(outputs: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    (outputs.squeeze(1)? - targets)?.sqr()?.mean_all()
}

/// The number a regression model predicts, from its output row.
pub fn predicted_number(outputs: &[f32]) -> f32 {
    outputs.first().copied().unwrap_or(0.0)
}

/// The labels a multi-label model gives a text: those whose probability reaches their threshold.
pub fn labels_above<'a>(labels: &'a [String], probabilities: &[f32], thresholds: &[f32]) -> Vec<&'a str> {
    labels
        .iter()
        .zip(probabilities)
        .enumerate()
        .filter(|(i, (_, &p))| p >= thresholds.get(*i).copied().unwrap_or(DEFAULT_THRESHOLD))
        .map(|(_, (l, _))| l.as_str())
        .collect()
}

/// The thresholds as config.json keeps them: label → threshold.
pub fn thresholds_json(labels: &[String], thresholds: &[f32]) -> serde_json::Value {
    let map: BTreeMap<&str, f64> =
        labels.iter().map(String::as_str).zip(thresholds.iter().map(|&t| t as f64)).collect();
    serde_json::json!(map)
}

/// The thresholds of `labels` from config.json's map (missing labels: the default).
pub fn thresholds_from_json(labels: &[String], value: Option<&serde_json::Value>) -> Vec<f32> {
    labels
        .iter()
        .map(|l| value.and_then(|v| v.get(l)).and_then(|t| t.as_f64()).map_or(DEFAULT_THRESHOLD, |t| t as f32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_round_trip_and_outputs_follow_the_problem() {
        for p in [Problem::SingleLabel, Problem::MultiLabel, Problem::Regression] {
            assert_eq!(Problem::from_problem_type(p.problem_type()), Some(p));
        }
        let logits = Tensor::new(&[[0.0f32, 2.0]], &candle_core::Device::Cpu).unwrap();
        let single = Problem::SingleLabel.outputs(&logits).unwrap().to_vec2::<f32>().unwrap();
        assert!((single[0][0] + single[0][1] - 1.0).abs() < 1e-6);
        let multi = Problem::MultiLabel.outputs(&logits).unwrap().to_vec2::<f32>().unwrap();
        assert!((multi[0][0] - 0.5).abs() < 1e-6 && (multi[0][1] - 0.880797).abs() < 1e-5);
        assert_eq!(Problem::Regression.outputs(&logits).unwrap().to_vec2::<f32>().unwrap(), vec![vec![0.0, 2.0]]);
    }

    #[test]
    fn losses_match_their_definitions() {
        let dev = candle_core::Device::Cpu;
        let logits = Tensor::new(&[[2.0f32, -1.0], [0.5, 30.0]], &dev).unwrap();
        let targets = Tensor::new(&[[1.0f32, 0.0], [0.0, 1.0]], &dev).unwrap();
        let bce = binary_cross_entropy_with_logits(&logits, &targets).unwrap().to_scalar::<f32>().unwrap();
        let p = |x: f32| 1.0 / (1.0 + (-x).exp());
        let want = -((p(2.0)).ln() + (1.0 - p(-1.0)).ln() + (1.0 - p(0.5)).ln() + p(30.0).ln()) / 4.0;
        assert!((bce - want).abs() < 1e-5, "{bce} vs {want}");
        let out = Tensor::new(&[[1.0f32], [3.0]], &dev).unwrap();
        let mse = mean_squared_error(&out, &Tensor::new(&[0.0f32, 5.0], &dev).unwrap()).unwrap();
        assert_eq!(mse.to_scalar::<f32>().unwrap(), 2.5);
    }

    #[test]
    fn thresholds_pick_labels_and_survive_json() {
        let labels = vec!["billing".to_string(), "refund".to_string()];
        assert_eq!(labels_above(&labels, &[0.6, 0.4], &[0.5, 0.3]), vec!["billing", "refund"]);
        assert_eq!(labels_above(&labels, &[0.6, 0.4], &[0.7, 0.5]), Vec::<&str>::new());
        let json = thresholds_json(&labels, &[0.25, 0.75]);
        assert_eq!(thresholds_from_json(&labels, Some(&json)), vec![0.25, 0.75]);
        assert_eq!(thresholds_from_json(&labels, None), vec![0.5, 0.5]);
    }
}
