//! Regression metrics computed as scikit-learn and scipy compute them: mean absolute error, mean
//! squared error and its root, R² (sklearn `r2_score`), Pearson's r (`scipy.stats.pearsonr`) and
//! Spearman's rho (`scipy.stats.spearmanr`: Pearson's r of average ranks, ties sharing the mean of
//! their ranks). Where a number is undefined it is 0.0, never NaN, so that it serializes: a
//! correlation with a constant input or fewer than 2 examples, R² with fewer than 2 examples
//! (sklearn returns NaN there), and everything over no examples.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RegressionMetrics {
    pub examples: u64,
    pub mae: f64,
    pub mse: f64,
    pub rmse: f64,
    /// 1 - SS_res / SS_tot. As sklearn (force_finite): 1.0 when the predictions are exact, 0.0
    /// when the truth is constant but the predictions are not; 0.0 with fewer than 2 examples.
    pub r2: f64,
    /// Pearson's r; 0.0 when undefined (a constant input, fewer than 2 examples, non-finite input).
    pub pearson: f64,
    /// Spearman's rho (Pearson's r of average ranks); 0.0 when undefined, as `pearson`.
    pub spearman: f64,
}

impl RegressionMetrics {
    /// Metrics of `predicted` against `truth`, paired in order (extra values on either side are
    /// ignored).
    pub fn compute(truth: &[f64], predicted: &[f64]) -> Self {
        let n = truth.len().min(predicted.len());
        let (truth, predicted) = (&truth[..n], &predicted[..n]);
        let mae = mean(truth.iter().zip(predicted).map(|(t, p)| (p - t).abs()));
        let mse = mean(truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)));
        Self {
            examples: n as u64,
            mae,
            mse,
            rmse: mse.sqrt(),
            r2: r2(truth, predicted),
            pearson: pearson(truth, predicted),
            spearman: pearson(&average_ranks(truth), &average_ranks(predicted)),
        }
    }
}

/// Arithmetic mean; 0.0 of nothing.
fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len();
    if n == 0 {
        0.0
    } else {
        values.sum::<f64>() / n as f64
    }
}

/// sklearn `r2_score` with `force_finite=True`; 0.0 below 2 examples.
fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    if truth.len() < 2 {
        return 0.0;
    }
    let residual: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
    let truth_mean = mean(truth.iter().copied());
    let total: f64 = truth.iter().map(|t| (t - truth_mean) * (t - truth_mean)).sum();
    match (residual != 0.0, total != 0.0) {
        (false, _) => 1.0,
        (true, false) => 0.0,
        (true, true) => 1.0 - residual / total,
    }
}

fn is_constant(values: &[f64]) -> bool {
    values.iter().all(|&v| v == values[0])
}

/// Deviations from the mean and their Euclidean norm, scaled by the largest deviation first as
/// scipy does against overflow.
fn centred(values: &[f64]) -> (Vec<f64>, f64) {
    let m = mean(values.iter().copied());
    let deviations: Vec<f64> = values.iter().map(|v| v - m).collect();
    let largest = deviations.iter().fold(0.0f64, |a, d| a.max(d.abs()));
    let norm = largest * deviations.iter().map(|d| (d / largest) * (d / largest)).sum::<f64>().sqrt();
    (deviations, norm)
}

/// Pearson's r as `scipy.stats.pearsonr`: the dot product of the normalised deviations, clipped
/// to [-1, 1], exactly ±1 for 2 examples. 0.0 where scipy gives NaN or raises.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    if x.len() < 2 || is_constant(x) || is_constant(y) {
        return 0.0;
    }
    let ((dx, nx), (dy, ny)) = (centred(x), centred(y));
    let r = dx.iter().zip(&dy).map(|(a, b)| (a / nx) * (b / ny)).sum::<f64>().clamp(-1.0, 1.0);
    if !r.is_finite() {
        0.0
    } else if x.len() == 2 {
        r.round()
    } else {
        r
    }
}

/// 1-based ranks, ties sharing the mean of their ranks (`scipy.stats.rankdata`, method
/// "average").
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mean_rank() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]), vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(average_ranks(&[5.0, 5.0]), vec![1.5, 1.5]);
    }

    #[test]
    fn spearman_with_ties_uses_average_ranks() {
        // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505139
        let m = RegressionMetrics::compute(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((m.spearman - 0.9486832980505139).abs() < 1e-12, "{}", m.spearman);
        // Monotone but not linear: rho is 1, r is not.
        let m = RegressionMetrics::compute(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0, 9.0, 100.0]);
        assert!((m.spearman - 1.0).abs() < 1e-15);
        assert!(m.pearson < 0.95);
    }

    #[test]
    fn constant_input_gives_zero_correlation_not_nan() {
        let m = RegressionMetrics::compute(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]);
        assert_eq!((m.pearson, m.spearman), (0.0, 0.0));
        assert!((m.mse - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(m.r2, 0.0); // 1 - 2 / 2
        let m = RegressionMetrics::compute(&[4.0, 4.0, 4.0], &[4.0, 4.0, 5.0]);
        assert_eq!((m.pearson, m.spearman, m.r2), (0.0, 0.0, 0.0));
        let m = RegressionMetrics::compute(&[4.0, 4.0], &[4.0, 4.0]);
        assert_eq!((m.pearson, m.r2), (0.0, 1.0));
    }

    #[test]
    fn too_few_examples_give_zeros() {
        let m = RegressionMetrics::compute(&[1.0], &[3.0]);
        assert_eq!((m.examples, m.mae, m.mse, m.rmse), (1, 2.0, 4.0, 2.0));
        assert_eq!((m.r2, m.pearson, m.spearman), (0.0, 0.0, 0.0));
        let m = RegressionMetrics::compute(&[], &[]);
        assert_eq!((m.examples, m.mae, m.r2, m.pearson), (0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn two_examples_correlate_exactly() {
        let m = RegressionMetrics::compute(&[0.1, 0.7], &[3.0, -2.0]);
        assert_eq!((m.pearson, m.spearman), (-1.0, -1.0));
    }

    #[test]
    fn perfect_predictions() {
        let m = RegressionMetrics::compute(&[1.5, -2.0, 3.25], &[1.5, -2.0, 3.25]);
        assert_eq!((m.mae, m.mse, m.rmse, m.r2), (0.0, 0.0, 0.0, 1.0));
        assert!((m.pearson - 1.0).abs() < 1e-15 && (m.spearman - 1.0).abs() < 1e-15);
    }
}
