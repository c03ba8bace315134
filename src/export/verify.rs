//! Comparing an exported model with the model it came from on the same examples: predicted
//! labels (or label sets), probabilities (or numbers), accuracy and macro-F1 (multi-label: subset
//! accuracy; regression: RMSE) when the truth is known, and speed.

use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::report::FlippedExample;
use super::ExportError;
use crate::data::{LabeledTexts, TaggedSentences, TextTargets};
use crate::model::{
    argmax_rows, labels_above, predicted_number, Problem, SequenceClassifier, TextTokenizer, DEFAULT_THRESHOLD,
};
use crate::train::{
    apply_thresholds, label_indices, label_set_indicators, ClassificationMetrics, MultiLabelMetrics, RegressionMetrics,
};

/// The examples an export is verified on.
#[derive(Clone, Debug, Default)]
pub struct VerifyData {
    pub texts: Vec<String>,
    /// True labels, when known.
    pub labels: Option<Vec<String>>,
    /// Project rows of the examples, when they came from a project.
    pub rows: Option<Vec<usize>>,
    /// For multi-label and regression models: the true label sets or numbers, when known.
    pub targets: TextTargets,
    /// For token classifiers: the sentences as words, and their true tags when known.
    pub words: Option<Vec<Vec<String>>>,
    pub tags: Option<Vec<Vec<String>>>,
    /// For the report: what these examples are.
    pub description: String,
}

impl VerifyData {
    pub fn labeled(data: &LabeledTexts, description: String) -> Self {
        let labels = (data.targets == TextTargets::OneLabel).then(|| data.labels.clone());
        Self { texts: data.texts.clone(), labels, targets: data.targets.clone(), description, ..Self::default() }
    }

    /// Tagged sentences, for verifying a token classifier.
    pub fn tagged(data: &TaggedSentences, description: String) -> Self {
        Self {
            texts: data.words.iter().map(|w| w.join(" ")).collect(),
            words: Some(data.words.clone()),
            tags: Some(data.tags.clone()),
            description,
            ..Self::default()
        }
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
        Self { texts, description: format!("{count} probe texts of random words (no labels)"), ..Self::default() }
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
pub(super) const TIMED_EXAMPLES: usize = 256;

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
    let (base_examples_per_s, exported_examples_per_s) = alternate_timing(
        timed.len(),
        || Ok(base.predict(timed, batch_size).map(drop)?),
        || Ok(exported.predict(timed, batch_size).map(drop)?),
    )?;
    Ok(Predictions { base: base_probs, exported: exported_probs, base_examples_per_s, exported_examples_per_s })
}

/// Times `base` and `exported` (each a pass over the same `examples`) in alternating rounds, so
/// both see the same machine load; the median examples/s of each.
pub(super) fn alternate_timing(
    examples: usize,
    mut base: impl FnMut() -> Result<(), ExportError>,
    mut exported: impl FnMut() -> Result<(), ExportError>,
) -> Result<(f64, f64), ExportError> {
    let (mut base_speed, mut exported_speed) = (Vec::new(), Vec::new());
    for _ in 0..TIMING_ROUNDS {
        let start = Instant::now();
        base()?;
        base_speed.push(examples as f64 / start.elapsed().as_secs_f64().max(1e-9));
        let start = Instant::now();
        exported()?;
        exported_speed.push(examples as f64 / start.elapsed().as_secs_f64().max(1e-9));
    }
    Ok((median(base_speed), median(exported_speed)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// What changed between the original and the exported model.
pub struct Comparison {
    /// Accuracy (multi-label: subset accuracy) and macro F1 against the true labels, when known.
    pub accuracy: Option<f64>,
    pub base_accuracy: Option<f64>,
    pub macro_f1: Option<f64>,
    pub base_macro_f1: Option<f64>,
    /// Regression: the RMSE against the true numbers, when known.
    pub rmse: Option<f64>,
    pub base_rmse: Option<f64>,
    pub flipped: Vec<FlippedExample>,
    pub agreement: f64,
    pub max_probability_change: f32,
}

/// How to read the models' output rows: the labels, the problem and (multi-label) thresholds.
pub struct Outputs<'a> {
    pub labels: &'a [String],
    pub problem: Problem,
    pub thresholds: &'a [f32],
}

impl Outputs<'_> {
    /// The decision of each row as shown to a user: the label, the labels given, or nothing for
    /// a number (numbers do not flip; their change is `max_probability_change`).
    fn decisions(&self, rows: &[Vec<f32>]) -> Vec<String> {
        match self.problem {
            Problem::SingleLabel => argmax_rows(rows).into_iter().map(|i| self.labels[i].clone()).collect(),
            Problem::MultiLabel => {
                rows.iter().map(|r| labels_above(self.labels, r, self.thresholds).join("; ")).collect()
            }
            Problem::Regression => vec![String::new(); rows.len()],
        }
    }

    /// How sure a row is of its decision: the top class's probability, or (multi-label) the
    /// probability of the first label whose decision differs from `other`'s.
    fn confidence(&self, row: &[f32], other: &[f32]) -> f32 {
        match self.problem {
            Problem::MultiLabel => (0..row.len())
                .find(|&i| {
                    let t = self.thresholds.get(i).copied().unwrap_or(DEFAULT_THRESHOLD);
                    (row[i] >= t) != (other.get(i).copied().unwrap_or(0.0) >= t)
                })
                .map_or(0.0, |i| row[i]),
            _ => row.iter().copied().fold(0.0, f32::max),
        }
    }
}

/// How many predicted numbers the export kept: within 1 % of the spread (standard deviation) of
/// the original's predictions (numbers do not flip, but they can drift).
fn numbers_kept(base: &[Vec<f32>], exported: &[Vec<f32>]) -> usize {
    let first = |rows: &[Vec<f32>]| -> Vec<f64> { rows.iter().map(|r| predicted_number(r) as f64).collect() };
    let (b, e) = (first(base), first(exported));
    let mean = b.iter().sum::<f64>() / b.len().max(1) as f64;
    let spread = (b.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / b.len().max(1) as f64).sqrt();
    let tolerance = (0.01 * spread).max(1e-6);
    b.iter().zip(&e).filter(|(x, y)| (*x - *y).abs() <= tolerance).count()
}

/// Metrics of the exported and the base model against the data's truth: (accuracy, macro F1)
/// pairs for classifiers, RMSE pairs for regression.
struct Measured {
    accuracy: Option<(f64, f64)>,
    macro_f1: Option<(f64, f64)>,
    rmse: Option<(f64, f64)>,
}

fn measure(
    outputs: &Outputs,
    data: &VerifyData,
    base: &[Vec<f32>],
    exported: &[Vec<f32>],
) -> Result<Measured, ExportError> {
    let invalid = |e: crate::train::TrainError| ExportError::Invalid(e.to_string());
    let none = Measured { accuracy: None, macro_f1: None, rmse: None };
    Ok(match (outputs.problem, &data.labels, &data.targets) {
        (Problem::SingleLabel, Some(truth), _) => {
            let truth = label_indices(outputs.labels, truth).map_err(invalid)?;
            let m = ClassificationMetrics::compute(outputs.labels, &truth, &argmax_rows(exported));
            let b = ClassificationMetrics::compute(outputs.labels, &truth, &argmax_rows(base));
            Measured { accuracy: Some((m.accuracy, b.accuracy)), macro_f1: Some((m.macro_f1, b.macro_f1)), rmse: None }
        }
        (Problem::MultiLabel, _, TextTargets::LabelSets(sets)) => {
            let truth = label_set_indicators(outputs.labels, sets).map_err(invalid)?;
            let of = |rows: &[Vec<f32>]| {
                MultiLabelMetrics::compute(outputs.labels, &truth, &apply_thresholds(rows, outputs.thresholds))
            };
            let (m, b) = (of(exported), of(base));
            Measured {
                accuracy: Some((m.subset_accuracy, b.subset_accuracy)),
                macro_f1: Some((m.macro_f1, b.macro_f1)),
                rmse: None,
            }
        }
        (Problem::Regression, _, TextTargets::Scores(truth)) => {
            let of = |rows: &[Vec<f32>]| {
                let predicted: Vec<f64> = rows.iter().map(|r| predicted_number(r) as f64).collect();
                RegressionMetrics::compute(truth, &predicted).rmse
            };
            Measured { rmse: Some((of(exported), of(base))), ..none }
        }
        _ => none,
    })
}

pub fn compare(
    outputs: &Outputs,
    data: &VerifyData,
    base: &[Vec<f32>],
    exported: &[Vec<f32>],
) -> Result<Comparison, ExportError> {
    let measured = measure(outputs, data, base, exported)?;
    let (base_decisions, decisions) = (outputs.decisions(base), outputs.decisions(exported));
    let true_label = |i: usize| match (&data.labels, &data.targets) {
        (Some(l), _) => Some(l[i].clone()),
        (None, TextTargets::LabelSets(sets)) => Some(sets[i].join("; ")),
        _ => None,
    };
    let flipped: Vec<FlippedExample> = (0..decisions.len())
        .filter(|&i| decisions[i] != base_decisions[i])
        .map(|i| FlippedExample {
            index: i,
            row: data.rows.as_ref().and_then(|r| r.get(i).copied()),
            text: data.texts[i].clone(),
            true_label: true_label(i),
            base_label: base_decisions[i].clone(),
            base_confidence: outputs.confidence(&base[i], &exported[i]),
            label: decisions[i].clone(),
            confidence: outputs.confidence(&exported[i], &base[i]),
        })
        .collect();
    let max_probability_change =
        base.iter().zip(exported).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs())).fold(0.0f32, f32::max);
    let n = decisions.len().max(1) as f64;
    let agreeing = match outputs.problem {
        Problem::Regression => numbers_kept(base, exported),
        _ => decisions.len() - flipped.len(),
    };
    Ok(Comparison {
        accuracy: measured.accuracy.map(|a| a.0),
        base_accuracy: measured.accuracy.map(|a| a.1),
        macro_f1: measured.macro_f1.map(|a| a.0),
        base_macro_f1: measured.macro_f1.map(|a| a.1),
        rmse: measured.rmse.map(|a| a.0),
        base_rmse: measured.rmse.map(|a| a.1),
        agreement: agreeing as f64 / n,
        flipped,
        max_probability_change,
    })
}
