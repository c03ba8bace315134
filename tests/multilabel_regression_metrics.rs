//! Our multi-label and regression metrics against scikit-learn's and scipy's on the same data.
//! Reference values: tests/fixtures/multilabel_regression_metrics.json, made by
//! scripts/reference/multilabel_regression_metrics.py.

use std::collections::BTreeMap;

use attune::train::{ClassScores, LabelCounts, MultiLabelMetrics, RegressionMetrics};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    multi_label: Vec<MultiLabelCase>,
    regression: Vec<RegressionCase>,
}

#[derive(Deserialize)]
struct Averaged {
    precision: f64,
    recall: f64,
    f1: f64,
}

#[derive(Deserialize)]
struct Confusion {
    tn: u64,
    fp: u64,
    #[serde(rename = "fn")]
    fn_: u64,
    tp: u64,
}

#[derive(Deserialize)]
struct MultiLabelCase {
    name: String,
    labels: Vec<String>,
    y_true: Vec<Vec<u8>>,
    y_pred: Vec<Vec<u8>>,
    subset_accuracy: f64,
    hamming_loss: f64,
    micro: ClassScores,
    #[serde(rename = "macro")]
    macro_: Averaged,
    per_label: BTreeMap<String, ClassScores>,
    confusion: BTreeMap<String, Confusion>,
}

#[derive(Deserialize)]
struct RegressionCase {
    name: String,
    y_true: Vec<f64>,
    y_pred: Vec<f64>,
    mae: f64,
    mse: f64,
    rmse: f64,
    r2: f64,
    pearson: f64,
    spearman: f64,
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/multilabel_regression_metrics.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn indicator(rows: &[Vec<u8>]) -> Vec<Vec<bool>> {
    rows.iter().map(|row| row.iter().map(|&v| v == 1).collect()).collect()
}

fn close(case: &str, what: &str, ours: f64, reference: f64, tolerance: f64) {
    assert!((ours - reference).abs() < tolerance, "{case} {what}: ours {ours}, reference {reference}");
}

fn close_scores(case: &str, what: &str, ours: &ClassScores, reference: &ClassScores) {
    close(case, &format!("{what} precision"), ours.precision, reference.precision, 1e-12);
    close(case, &format!("{what} recall"), ours.recall, reference.recall, 1e-12);
    close(case, &format!("{what} f1"), ours.f1, reference.f1, 1e-12);
    assert_eq!(ours.support, reference.support, "{case} {what} support");
}

#[test]
fn multi_label_metrics_equal_scikit_learn() {
    let cases = fixture().multi_label;
    assert!(cases.len() >= 3);
    for case in cases {
        let name = case.name.as_str();
        let m = MultiLabelMetrics::compute(&case.labels, &indicator(&case.y_true), &indicator(&case.y_pred));
        assert_eq!(m.examples, case.y_true.len() as u64, "{name} examples");
        assert_eq!(m.labels, case.labels, "{name} labels");
        close(name, "subset accuracy", m.subset_accuracy, case.subset_accuracy, 1e-12);
        close(name, "hamming loss", m.hamming_loss, case.hamming_loss, 1e-12);
        close_scores(name, "micro", &m.micro, &case.micro);
        close(name, "micro_f1", m.micro_f1, case.micro.f1, 1e-12);
        close(name, "macro precision", m.macro_precision, case.macro_.precision, 1e-12);
        close(name, "macro recall", m.macro_recall, case.macro_.recall, 1e-12);
        close(name, "macro f1", m.macro_f1, case.macro_.f1, 1e-12);
        assert_eq!(m.per_label.len(), case.per_label.len(), "{name} labels scored");
        for (label, reference) in &case.per_label {
            close_scores(name, label, &m.per_label[label], reference);
        }
        assert_eq!(m.counts.len(), case.confusion.len(), "{name} labels counted");
        for (label, c) in &case.confusion {
            let expected = LabelCounts {
                true_positives: c.tp,
                false_positives: c.fp,
                false_negatives: c.fn_,
                true_negatives: c.tn,
            };
            assert_eq!(m.counts[label], expected, "{name} {label} confusion");
        }
    }
}

#[test]
fn regression_metrics_equal_scikit_learn_and_scipy() {
    let cases = fixture().regression;
    assert!(cases.len() >= 3);
    for case in cases {
        let name = case.name.as_str();
        let m = RegressionMetrics::compute(&case.y_true, &case.y_pred);
        assert_eq!(m.examples, case.y_true.len() as u64, "{name} examples");
        close(name, "mae", m.mae, case.mae, 1e-12);
        close(name, "mse", m.mse, case.mse, 1e-12);
        close(name, "rmse", m.rmse, case.rmse, 1e-12);
        close(name, "r2", m.r2, case.r2, 1e-12);
        close(name, "pearson", m.pearson, case.pearson, 1e-10);
        close(name, "spearman", m.spearman, case.spearman, 1e-10);
    }
}
