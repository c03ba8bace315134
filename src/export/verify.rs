//! Comparing an exported model with the model it came from on the same examples: predicted
//! labels, probabilities, accuracy and macro-F1 when the examples are labeled, and speed.

use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::report::FlippedExample;
use super::ExportError;
use crate::data::LabeledTexts;
use crate::model::{argmax_rows, SequenceClassifier, TextTokenizer};
use crate::train::{label_indices, ClassificationMetrics};

/// The examples an export is verified on.
#[derive(Clone, Debug)]
pub struct VerifyData {
    pub texts: Vec<String>,
    /// True labels, when known.
    pub labels: Option<Vec<String>>,
    /// Project rows of the examples, when they came from a project.
    pub rows: Option<Vec<usize>>,
    /// For the report: what these examples are.
    pub description: String,
}

impl VerifyData {
    pub fn labeled(data: &LabeledTexts, description: String) -> Self {
        Self { texts: data.texts.clone(), labels: Some(data.labels.clone()), rows: None, description }
    }

    /// Unlabeled texts of random whole words from the model's vocabulary (seeded): without
    /// labeled data, the export is still checked for agreement with the original and for speed.
    pub fn probe_texts(tokenizer: &TextTokenizer, count: usize, seed: u64) -> Self {
        let mut words: Vec<String> = tokenizer
            .inner()
            .get_vocab(false)
            .into_keys()
            .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()))
            .collect();
        words.sort();
        if words.is_empty() {
            // A vocabulary without plain lowercase words (e.g. Chinese): any text will do.
            words = ["the", "model", "reads", "this", "text", "about", "many", "things"].map(String::from).to_vec();
        }
        let mut rng = SmallRng::seed_from_u64(seed);
        let texts = (0..count)
            .map(|_| {
                let n = rng.random_range(4..24);
                (0..n).map(|_| words[rng.random_range(0..words.len())].as_str()).collect::<Vec<_>>().join(" ")
            })
            .collect();
        Self {
            texts,
            labels: None,
            rows: None,
            description: format!("{count} probe texts of random words (no labels)"),
        }
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// Both models' predictions on the data, and how fast each made them.
pub struct Predictions {
    pub base: Vec<Vec<f32>>,
    pub exported: Vec<Vec<f32>>,
    pub base_examples_per_s: f64,
    pub exported_examples_per_s: f64,
}

/// Timed passes per model; the two models alternate so both see the same machine load.
const TIMING_ROUNDS: usize = 3;
/// Examples per timed pass (the first ones of the data).
const TIMED_EXAMPLES: usize = 256;

/// Predicts every text with both models (the first full pass also warms them up), then times
/// both on the same texts in alternating rounds, tokenizing included; speeds are medians.
pub fn predict_both(
    base: &SequenceClassifier,
    exported: &SequenceClassifier,
    texts: &[String],
    batch_size: usize,
) -> Result<Predictions, ExportError> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let base_probs = base.predict(&refs, batch_size)?;
    let exported_probs = exported.predict(&refs, batch_size)?;
    let timed = &refs[..refs.len().min(TIMED_EXAMPLES)];
    let (mut base_speed, mut exported_speed) = (Vec::new(), Vec::new());
    for _ in 0..TIMING_ROUNDS {
        for (model, speeds) in [(base, &mut base_speed), (exported, &mut exported_speed)] {
            let start = Instant::now();
            model.predict(timed, batch_size)?;
            speeds.push(timed.len() as f64 / start.elapsed().as_secs_f64().max(1e-9));
        }
    }
    Ok(Predictions {
        base: base_probs,
        exported: exported_probs,
        base_examples_per_s: median(base_speed),
        exported_examples_per_s: median(exported_speed),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// What changed between the original and the exported model.
pub struct Comparison {
    pub accuracy: Option<f64>,
    pub base_accuracy: Option<f64>,
    pub macro_f1: Option<f64>,
    pub base_macro_f1: Option<f64>,
    pub flipped: Vec<FlippedExample>,
    pub agreement: f64,
    pub max_probability_change: f32,
}

pub fn compare(
    labels: &[String],
    data: &VerifyData,
    base: &[Vec<f32>],
    exported: &[Vec<f32>],
) -> Result<Comparison, ExportError> {
    let (base_pred, pred) = (argmax_rows(base), argmax_rows(exported));
    let metrics = match &data.labels {
        Some(truth) => {
            let truth = label_indices(labels, truth).map_err(|e| ExportError::Invalid(e.to_string()))?;
            Some((
                ClassificationMetrics::compute(labels, &truth, &pred),
                ClassificationMetrics::compute(labels, &truth, &base_pred),
            ))
        }
        None => None,
    };
    let confidence = |p: &[f32], i: usize| p.get(i).copied().unwrap_or(0.0);
    let flipped: Vec<FlippedExample> = (0..pred.len())
        .filter(|&i| pred[i] != base_pred[i])
        .map(|i| FlippedExample {
            index: i,
            row: data.rows.as_ref().and_then(|r| r.get(i).copied()),
            text: data.texts[i].clone(),
            true_label: data.labels.as_ref().map(|l| l[i].clone()),
            base_label: labels[base_pred[i]].clone(),
            base_confidence: confidence(&base[i], base_pred[i]),
            label: labels[pred[i]].clone(),
            confidence: confidence(&exported[i], pred[i]),
        })
        .collect();
    let max_probability_change =
        base.iter().zip(exported).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs())).fold(0.0f32, f32::max);
    let n = pred.len().max(1) as f64;
    Ok(Comparison {
        accuracy: metrics.as_ref().map(|(m, _)| m.accuracy),
        base_accuracy: metrics.as_ref().map(|(_, b)| b.accuracy),
        macro_f1: metrics.as_ref().map(|(m, _)| m.macro_f1),
        base_macro_f1: metrics.as_ref().map(|(_, b)| b.macro_f1),
        agreement: (pred.len() - flipped.len()) as f64 / n,
        flipped,
        max_probability_change,
    })
}
