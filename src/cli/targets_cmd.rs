//! What `attune eval` and `attune predict` print for models that give several labels per text or
//! a number per text: the multi-label and regression metrics as a table or one JSON object, and
//! each text's labels (with every label's probability) or number.

use crate::model::{labels_above, predicted_number, SequenceClassifier};
use crate::train::{LabelSetEvaluation, ScoreEvaluation};

/// Prints a multi-label evaluation: subset accuracy, micro/macro F1, and per label its scores,
/// threshold and confusion counts.
pub fn print_label_sets(eval: &LabelSetEvaluation, source: &str, json: bool) -> anyhow::Result<()> {
    let m = &eval.metrics;
    if json {
        let mut value = serde_json::to_value(m)?;
        if let serde_json::Value::Object(map) = &mut value {
            let thresholds: serde_json::Map<String, serde_json::Value> =
                m.labels.iter().zip(&eval.thresholds).map(|(l, t)| (l.clone(), serde_json::json!(t))).collect();
            map.insert("thresholds".into(), thresholds.into());
            map.insert("loss".into(), eval.loss.into());
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("{} examples from {source}", m.examples);
    println!(
        "subset accuracy {:.4}   micro F1 {:.4}   macro F1 {:.4}   hamming loss {:.4}",
        m.subset_accuracy, m.micro_f1, m.macro_f1, m.hamming_loss
    );
    println!(
        "\n{:<24} {:>9} {:>7} {:>7} {:>8} {:>9} {:>6} {:>6} {:>6} {:>6}",
        "label", "precision", "recall", "f1", "support", "threshold", "TP", "FP", "FN", "TN"
    );
    for (label, threshold) in m.labels.iter().zip(&eval.thresholds) {
        let (s, c) = (&m.per_label[label], &m.counts[label]);
        println!(
            "{:<24} {:>9.4} {:>7.4} {:>7.4} {:>8} {:>9.2} {:>6} {:>6} {:>6} {:>6}",
            label,
            s.precision,
            s.recall,
            s.f1,
            s.support,
            threshold,
            c.true_positives,
            c.false_positives,
            c.false_negatives,
            c.true_negatives
        );
    }
    Ok(())
}

/// Prints a regression evaluation: errors and correlations.
pub fn print_scores(eval: &ScoreEvaluation, source: &str, json: bool) -> anyhow::Result<()> {
    let m = &eval.metrics;
    if json {
        println!("{}", serde_json::to_string_pretty(m)?);
        return Ok(());
    }
    println!("{} examples from {source}", m.examples);
    println!("MAE {:.4}   RMSE {:.4}   R² {:.4}", m.mae, m.rmse, m.r2);
    println!("Pearson {:.4}   Spearman {:.4}", m.pearson, m.spearman);
    Ok(())
}

/// Prints each text's labels (multi-label) or number (regression); one JSON object per text with
/// `json`: `labels` and `probabilities`, or `score`.
pub fn print_outputs(model: &SequenceClassifier, texts: &[String], outputs: &[Vec<f32>], json: bool) {
    let regression = model.problem == crate::model::Problem::Regression;
    for (text, out) in texts.iter().zip(outputs) {
        if regression {
            let score = predicted_number(out);
            if json {
                println!("{}", serde_json::json!({ "text": text, "score": score }));
            } else {
                println!("{score:.4}\t{text}");
            }
            continue;
        }
        let given = labels_above(&model.labels, out, &model.thresholds);
        if json {
            let probabilities: serde_json::Map<String, serde_json::Value> =
                model.labels.iter().zip(out).map(|(l, v)| (l.clone(), serde_json::json!(v))).collect();
            println!("{}", serde_json::json!({ "text": text, "labels": given, "probabilities": probabilities }));
        } else {
            let shown = if given.is_empty() { "(no label)".to_string() } else { given.join("; ") };
            println!("{shown}\t{text}");
        }
    }
}
