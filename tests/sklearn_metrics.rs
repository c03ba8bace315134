//! Our metrics against scikit-learn's on the same predictions.
//! Reference values: tests/fixtures/sklearn_metrics.json, made by scripts/reference/metrics.py.

use attune::train::ClassificationMetrics;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    labels: Vec<String>,
    y_true: Vec<String>,
    y_pred: Vec<String>,
    accuracy: f64,
    macro_f1: f64,
    micro_f1: f64,
    weighted_f1: f64,
    per_class: std::collections::BTreeMap<String, attune::train::ClassScores>,
    confusion: Vec<Vec<u64>>,
}

#[test]
fn metrics_equal_scikit_learn() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sklearn_metrics.json");
    let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 3);
    let index = |labels: &[String], v: &[String]| -> Vec<usize> {
        v.iter().map(|l| labels.iter().position(|x| x == l).unwrap()).collect()
    };
    for case in cases {
        let m = ClassificationMetrics::compute(
            &case.labels,
            &index(&case.labels, &case.y_true),
            &index(&case.labels, &case.y_pred),
        );
        let close =
            |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-12, "{} {what}: ours {a}, sklearn {b}", case.name);
        close(m.accuracy, case.accuracy, "accuracy");
        close(m.macro_f1, case.macro_f1, "macro F1");
        close(m.micro_f1, case.micro_f1, "micro F1");
        close(m.weighted_f1, case.weighted_f1, "weighted F1");
        assert_eq!(m.confusion, case.confusion, "{} confusion", case.name);
        for (label, s) in &case.per_class {
            let ours = &m.per_class[label];
            close(ours.precision, s.precision, "precision");
            close(ours.recall, s.recall, "recall");
            close(ours.f1, s.f1, "f1");
            assert_eq!(ours.support, s.support);
        }
    }
}
