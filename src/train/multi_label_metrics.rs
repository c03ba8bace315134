//! Multi-label classification metrics computed as scikit-learn computes them on 0/1 indicator
//! matrices (zero_division=0): subset accuracy, Hamming loss, micro- and macro-averaged
//! precision/recall/F1, per-label scores and the per-label confusion (TP/FP/FN/TN, as
//! `multilabel_confusion_matrix`). Also owns the per-label decision thresholds: tuning them on
//! validation probabilities for the best F1, and applying them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::ClassScores;

use crate::model::DEFAULT_THRESHOLD;
/// Tuned thresholds are clamped to this range.
const MIN_THRESHOLD: f32 = 0.05;
const MAX_THRESHOLD: f32 = 0.95;

/// One label's confusion counts over all examples.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LabelCounts {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    pub true_negatives: u64,
}

impl LabelCounts {
    fn add(&mut self, truth: bool, predicted: bool) {
        match (truth, predicted) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }

    fn support(&self) -> u64 {
        self.true_positives + self.false_negatives
    }

    fn predicted(&self) -> u64 {
        self.true_positives + self.false_positives
    }

    /// Precision, recall and F1 as sklearn's `precision_recall_fscore_support`: F1 is
    /// 2·TP / (true + predicted), not 2·P·R / (P + R), which rounds differently.
    fn scores(&self) -> ClassScores {
        let tp = self.true_positives as f64;
        let (support, predicted) = (self.support() as f64, self.predicted() as f64);
        ClassScores {
            precision: ratio(tp, predicted),
            recall: ratio(tp, support),
            f1: ratio(2.0 * tp, support + predicted),
            support: self.support(),
        }
    }
}

/// Multi-label metrics over `examples` rows of yes/no decisions, one per label.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MultiLabelMetrics {
    pub examples: u64,
    /// Label names, in the column order of the indicator rows.
    pub labels: Vec<String>,
    /// Share of examples whose whole set of labels is right (sklearn `accuracy_score`).
    pub subset_accuracy: f64,
    /// Micro-averaged precision/recall/F1 (TP, FP, FN summed over labels); support is the number
    /// of positive cells in the truth.
    pub micro: ClassScores,
    /// Mean of the per-label F1 over all labels, including labels with no support (they count 0).
    pub macro_f1: f64,
    /// Same as `micro.f1`.
    pub micro_f1: f64,
    pub macro_precision: f64,
    pub macro_recall: f64,
    /// Share of wrong cells (sklearn `hamming_loss`).
    pub hamming_loss: f64,
    pub per_label: BTreeMap<String, ClassScores>,
    /// Per-label confusion, as sklearn `multilabel_confusion_matrix`.
    pub counts: BTreeMap<String, LabelCounts>,
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Cell `label` of an indicator row; a row too short for it counts as "no".
fn cell(row: &[bool], label: usize) -> bool {
    row.get(label).copied().unwrap_or(false)
}

fn mean(values: impl Iterator<Item = f64>, count: usize) -> f64 {
    ratio(values.sum(), count as f64)
}

impl MultiLabelMetrics {
    /// Metrics of `predicted` against `truth`: one row per example, one yes/no cell per label in
    /// `labels` order. Rows are paired in order (extra rows on either side are ignored); a cell
    /// missing from a short row counts as "no".
    pub fn compute(labels: &[String], truth: &[Vec<bool>], predicted: &[Vec<bool>]) -> Self {
        let k = labels.len();
        let mut counts = vec![LabelCounts::default(); k];
        let (mut examples, mut exact) = (0u64, 0u64);
        for (t, p) in truth.iter().zip(predicted) {
            examples += 1;
            let mut row_right = true;
            for (label, c) in counts.iter_mut().enumerate() {
                let (yes, guess) = (cell(t, label), cell(p, label));
                row_right &= yes == guess;
                c.add(yes, guess);
            }
            exact += u64::from(row_right);
        }
        let scores: Vec<ClassScores> = counts.iter().map(LabelCounts::scores).collect();
        let micro = micro_scores(&counts);
        let wrong: u64 = counts.iter().map(|c| c.false_positives + c.false_negatives).sum();
        Self {
            examples,
            labels: labels.to_vec(),
            subset_accuracy: ratio(exact as f64, examples as f64),
            micro_f1: micro.f1,
            micro,
            macro_f1: mean(scores.iter().map(|s| s.f1), k),
            macro_precision: mean(scores.iter().map(|s| s.precision), k),
            macro_recall: mean(scores.iter().map(|s| s.recall), k),
            hamming_loss: ratio(wrong as f64, (examples * k as u64) as f64),
            per_label: labels.iter().cloned().zip(scores).collect(),
            counts: labels.iter().cloned().zip(counts).collect(),
        }
    }
}

/// Scores of the counts summed over all labels.
fn micro_scores(counts: &[LabelCounts]) -> ClassScores {
    let total = counts.iter().fold(LabelCounts::default(), |acc, c| LabelCounts {
        true_positives: acc.true_positives + c.true_positives,
        false_positives: acc.false_positives + c.false_positives,
        false_negatives: acc.false_negatives + c.false_negatives,
        true_negatives: acc.true_negatives + c.true_negatives,
    });
    total.scores()
}

/// Per label, the probability threshold that maximises that label's F1 on validation data (ties:
/// the threshold closest to 0.5, then the lower one); labels with no positive in the truth keep
/// 0.5. Candidates: 0.5 and the midpoints between consecutive distinct sorted probabilities of
/// that label, clamped to [0.05, 0.95]. One threshold per column of the first probability row; a
/// missing truth cell counts as "no" and a NaN probability as never positive.
pub fn tune_thresholds(probabilities: &[Vec<f32>], truth: &[Vec<bool>]) -> Vec<f32> {
    let labels = probabilities.first().map_or(0, Vec::len);
    (0..labels).map(|label| tune_label(&label_column(probabilities, truth, label))).collect()
}

/// Applies thresholds: p >= t is positive. A label without a threshold has the default one, as
/// `model::labels_above` reads it.
pub fn apply_thresholds(probabilities: &[Vec<f32>], thresholds: &[f32]) -> Vec<Vec<bool>> {
    let threshold = |i: usize| thresholds.get(i).copied().unwrap_or(DEFAULT_THRESHOLD);
    probabilities.iter().map(|row| row.iter().enumerate().map(|(i, &p)| p >= threshold(i)).collect()).collect()
}

/// One label's (probability, truth) pairs, sorted by probability; NaN becomes -inf so that it is
/// below every threshold, as `p >= t` treats it.
fn label_column(probabilities: &[Vec<f32>], truth: &[Vec<bool>], label: usize) -> Vec<(f32, bool)> {
    let mut column: Vec<(f32, bool)> = probabilities
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let p = row.get(label).copied().unwrap_or(f32::NAN);
            let yes = truth.get(i).is_some_and(|t| cell(t, label));
            (if p.is_nan() { f32::NEG_INFINITY } else { p }, yes)
        })
        .collect();
    column.sort_by(|a, b| a.0.total_cmp(&b.0));
    column
}

/// The best threshold of one label's sorted column.
fn tune_label(column: &[(f32, bool)]) -> f32 {
    let positives = column.iter().filter(|(_, yes)| *yes).count();
    if positives == 0 {
        return DEFAULT_THRESHOLD;
    }
    // positives_below[i]: true positives among the i lowest probabilities.
    let mut positives_below = Vec::with_capacity(column.len() + 1);
    positives_below.push(0usize);
    for &(_, yes) in column {
        positives_below.push(positives_below[positives_below.len() - 1] + usize::from(yes));
    }
    let f1_at = |t: f32| {
        let below = column.partition_point(|&(p, _)| p < t);
        let tp = positives - positives_below[below];
        let predicted = column.len() - below;
        ratio(2.0 * tp as f64, (positives + predicted) as f64)
    };
    let mut best = (f1_at(DEFAULT_THRESHOLD), DEFAULT_THRESHOLD);
    for t in candidates(column) {
        let score = f1_at(t);
        if score > best.0 || (score == best.0 && closer_to_default(t, best.1)) {
            best = (score, t);
        }
    }
    best.1
}

/// Midpoints between consecutive distinct probabilities, clamped to the allowed range.
fn candidates(column: &[(f32, bool)]) -> impl Iterator<Item = f32> + '_ {
    column
        .windows(2)
        .filter(|w| w[0].0 < w[1].0)
        .map(|w| (w[0].0 + w[1].0) / 2.0)
        .filter(|t| !t.is_nan())
        .map(|t| t.clamp(MIN_THRESHOLD, MAX_THRESHOLD))
}

/// Whether `a` beats `b` on the tie rule: nearer 0.5, then lower.
fn closer_to_default(a: f32, b: f32) -> bool {
    let (da, db) = ((a - DEFAULT_THRESHOLD).abs(), (b - DEFAULT_THRESHOLD).abs());
    da < db || (da == db && a < b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("l{i}")).collect()
    }

    fn f1_of(probabilities: &[Vec<f32>], truth: &[Vec<bool>], thresholds: &[f32]) -> f64 {
        let predicted = apply_thresholds(probabilities, thresholds);
        MultiLabelMetrics::compute(&names(thresholds.len()), truth, &predicted).per_label["l0"].f1
    }

    #[test]
    fn low_probability_positives_get_a_threshold_between_the_groups() {
        let probabilities: Vec<Vec<f32>> =
            [0.31, 0.29, 0.30, 0.32, 0.10, 0.12, 0.08, 0.11, 0.09].iter().map(|&p| vec![p]).collect();
        let truth: Vec<Vec<bool>> = (0..9).map(|i| vec![i < 4]).collect();
        let thresholds = tune_thresholds(&probabilities, &truth);
        assert_eq!(thresholds.len(), 1);
        assert!(thresholds[0] > 0.12 && thresholds[0] <= 0.29, "threshold {}", thresholds[0]);
        let tuned = f1_of(&probabilities, &truth, &thresholds);
        assert_eq!(tuned, 1.0);
        assert!(tuned >= f1_of(&probabilities, &truth, &[0.5]));
    }

    #[test]
    fn tuned_f1_is_never_below_the_default() {
        let probabilities: Vec<Vec<f32>> =
            (0..40).map(|i| vec![(i as f32 * 0.37).fract(), (i as f32 * 0.61).fract()]).collect();
        let truth: Vec<Vec<bool>> = (0..40).map(|i| vec![i % 3 == 0, i % 5 < 2]).collect();
        let thresholds = tune_thresholds(&probabilities, &truth);
        let tuned = MultiLabelMetrics::compute(&names(2), &truth, &apply_thresholds(&probabilities, &thresholds));
        let default = MultiLabelMetrics::compute(&names(2), &truth, &apply_thresholds(&probabilities, &[0.5, 0.5]));
        for label in names(2) {
            assert!(tuned.per_label[&label].f1 >= default.per_label[&label].f1, "{label}");
        }
        assert!(thresholds.iter().all(|t| (MIN_THRESHOLD..=MAX_THRESHOLD).contains(t)));
    }

    #[test]
    fn label_without_positives_keeps_one_half() {
        let probabilities = vec![vec![0.9, 0.2], vec![0.1, 0.7], vec![0.4, 0.3]];
        let truth = vec![vec![true, false], vec![false, false], vec![false, false]];
        assert_eq!(tune_thresholds(&probabilities, &truth)[1], 0.5);
    }

    #[test]
    fn ties_prefer_the_threshold_nearest_one_half() {
        // Every threshold in (0.2, 0.8] separates perfectly; 0.5 itself is one of them.
        let probabilities = vec![vec![0.2], vec![0.8]];
        let truth = vec![vec![false], vec![true]];
        assert_eq!(tune_thresholds(&probabilities, &truth), vec![0.5]);
    }

    #[test]
    fn thresholds_are_clamped() {
        // Negatives at 0.0, positives at 0.04 and 0.06: the separating midpoint 0.02 is clamped
        // to 0.05, which still beats 0.5 (F1 2/3 against 0).
        let probabilities = vec![vec![0.0], vec![0.0], vec![0.04], vec![0.06]];
        let truth = vec![vec![false], vec![false], vec![true], vec![true]];
        assert_eq!(tune_thresholds(&probabilities, &truth), vec![MIN_THRESHOLD]);
    }

    #[test]
    fn apply_thresholds_uses_greater_or_equal() {
        let predicted = apply_thresholds(&[vec![0.5, 0.29, 0.9], vec![0.49, 0.3, 0.95]], &[0.5, 0.3, 0.95]);
        assert_eq!(predicted, vec![vec![true, false, false], vec![false, true, true]]);
    }

    #[test]
    fn zero_division_gives_zero() {
        let labels = names(3);
        // l0 right once; l1 never true but predicted; l2 neither true nor predicted.
        let truth = vec![vec![true, false, false], vec![false, false, false]];
        let predicted = vec![vec![true, true, false], vec![false, false, false]];
        let m = MultiLabelMetrics::compute(&labels, &truth, &predicted);
        assert_eq!(m.per_label["l1"], ClassScores { precision: 0.0, recall: 0.0, f1: 0.0, support: 0 });
        assert_eq!(m.per_label["l2"], ClassScores { precision: 0.0, recall: 0.0, f1: 0.0, support: 0 });
        assert!((m.macro_f1 - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(m.subset_accuracy, 0.5);
        assert!((m.hamming_loss - 1.0 / 6.0).abs() < 1e-15);
        assert_eq!(m.counts["l1"].false_positives, 1);
        assert_eq!(m.counts["l2"].true_negatives, 2);
    }
}
