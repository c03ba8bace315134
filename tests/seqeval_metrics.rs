//! Entity-level metrics of token classification against seqeval's own numbers (strict mode,
//! IOB2) on the committed cases of tests/fixtures/seqeval_metrics.json, made by
//! scripts/reference/seqeval_metrics.py: noisy CoNLL-like predictions with broken spans, a
//! perfect one-type case, and a predicted type that never occurs in the truth.

use attune::train::{EntityMetrics, EntityScores};

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-9, "{what}: ours {a}, seqeval {b}");
}

fn check(ours: &EntityScores, theirs: &serde_json::Value, what: &str) {
    close(ours.precision, theirs["precision"].as_f64().unwrap(), &format!("{what} precision"));
    close(ours.recall, theirs["recall"].as_f64().unwrap(), &format!("{what} recall"));
    close(ours.f1, theirs["f1"].as_f64().unwrap(), &format!("{what} f1"));
    assert_eq!(ours.support as f64, theirs["support"].as_f64().unwrap(), "{what} support");
}

fn sentences(v: &serde_json::Value) -> Vec<Vec<String>> {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn entity_metrics_equal_seqeval_strict_iob2() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seqeval_metrics.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let m = EntityMetrics::compute(&sentences(&case["y_true"]), &sentences(&case["y_pred"]));
        check(&m.micro, &case["micro"], &format!("{name} micro"));
        check(&m.macro_avg, &case["macro"], &format!("{name} macro"));
        let types = case["per_type"].as_object().unwrap();
        assert_eq!(m.per_type.len(), types.len(), "{name}: types {:?}", m.per_type.keys().collect::<Vec<_>>());
        for (kind, theirs) in types {
            check(&m.per_type[kind], theirs, &format!("{name} {kind}"));
        }
        let tokens: usize = m.token_confusion.iter().flatten().sum();
        let expected: usize = sentences(&case["y_true"]).iter().map(Vec::len).sum();
        assert_eq!(tokens, expected, "{name}: every token is in the confusion matrix");
    }
}
