//! Classification metrics computed as scikit-learn computes them (zero_division=0): accuracy,
//! macro/micro/weighted F1, per-class precision/recall/F1/support, and the confusion matrix.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassificationMetrics {
    pub accuracy: f64,
    pub macro_f1: f64,
    pub micro_f1: f64,
    pub weighted_f1: f64,
    pub examples: u64,
    /// Label names; rows and columns of `confusion` follow this order.
    pub labels: Vec<String>,
    pub per_class: BTreeMap<String, ClassScores>,
    /// confusion[true][predicted]
    pub confusion: Vec<Vec<u64>>,
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

fn f1(precision: f64, recall: f64) -> f64 {
    ratio(2.0 * precision * recall, precision + recall)
}

impl ClassificationMetrics {
    /// Metrics of predicted vs true class indices into `labels`.
    pub fn compute(labels: &[String], truth: &[usize], predicted: &[usize]) -> Self {
        let k = labels.len();
        let mut confusion = vec![vec![0u64; k]; k];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t][p] += 1;
        }
        let n = truth.len() as f64;
        let correct: u64 = (0..k).map(|i| confusion[i][i]).sum();
        let mut per_class = BTreeMap::new();
        let (mut macro_f1, mut weighted_f1) = (0.0, 0.0);
        let (mut tp_all, mut fp_all, mut fn_all) = (0.0, 0.0, 0.0);
        for (i, label) in labels.iter().enumerate() {
            let tp = confusion[i][i] as f64;
            let predicted_i: u64 = (0..k).map(|t| confusion[t][i]).sum();
            let support: u64 = confusion[i].iter().sum();
            let precision = ratio(tp, predicted_i as f64);
            let recall = ratio(tp, support as f64);
            let score = f1(precision, recall);
            macro_f1 += score / k.max(1) as f64;
            weighted_f1 += score * support as f64;
            tp_all += tp;
            fp_all += predicted_i as f64 - tp;
            fn_all += support as f64 - tp;
            per_class.insert(label.clone(), ClassScores { precision, recall, f1: score, support });
        }
        let micro_p = ratio(tp_all, tp_all + fp_all);
        let micro_r = ratio(tp_all, tp_all + fn_all);
        Self {
            accuracy: ratio(correct as f64, n),
            macro_f1,
            micro_f1: f1(micro_p, micro_r),
            weighted_f1: ratio(weighted_f1, n),
            examples: truth.len() as u64,
            labels: labels.to_vec(),
            per_class,
            confusion,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_score_one() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let m = ClassificationMetrics::compute(&labels, &[0, 1, 1], &[0, 1, 1]);
        assert_eq!(m.accuracy, 1.0);
        assert_eq!(m.macro_f1, 1.0);
        assert_eq!(m.confusion, vec![vec![1, 0], vec![0, 2]]);
    }

    #[test]
    fn never_predicted_class_has_zero_precision_not_nan() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let m = ClassificationMetrics::compute(&labels, &[0, 1], &[0, 0]);
        assert_eq!(m.per_class["b"].precision, 0.0);
        assert_eq!(m.per_class["b"].f1, 0.0);
        assert!((m.per_class["a"].precision - 0.5).abs() < 1e-12);
    }
}
