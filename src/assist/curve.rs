//! The learning curve — "will labeling more help?": the same training run on 25, 50, 75 and 100 %
//! of the labeled training examples (nested, stratified, seeded subsets), each measured on the
//! validation split. A curve still rising at 100 % says more labels will pay. Each point trains
//! in `curves/<name>/<percent>/`; its weights are removed once measured, `run.json` and the
//! curve's `curve.json` are kept.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::data::LabeledTexts;
use crate::jobs::CancelToken;
use crate::model::write_atomic;
use crate::train::{train, TrainEvent, TrainJob};

use super::AssistError;

/// File name of a finished curve inside its folder.
pub const CURVE_FILE: &str = "curve.json";

/// One point of the curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub fraction: f64,
    pub train_examples: usize,
    pub accuracy: Option<f64>,
    pub macro_f1: Option<f64>,
    pub wall_secs: f64,
}

/// A learning curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearningCurve {
    pub base_model: String,
    pub valid_examples: usize,
    pub points: Vec<CurvePoint>,
}

impl LearningCurve {
    /// The newest curve of a project (under `curves/`), when there is one.
    pub fn latest(project_dir: &std::path::Path) -> Option<Self> {
        let mut dirs: Vec<_> =
            std::fs::read_dir(project_dir.join("curves")).ok()?.flatten().map(|e| e.path()).collect();
        dirs.sort();
        dirs.iter().rev().find_map(|d| serde_json::from_slice(&std::fs::read(d.join(CURVE_FILE)).ok()?).ok())
    }

    /// What the curve says about labeling more, in a sentence.
    pub fn verdict(&self) -> Option<String> {
        let [.., before, last] = self.points.as_slice() else { return None };
        let (a, b) = (before.accuracy?, last.accuracy?);
        let gain = (b - a) * 100.0;
        Some(if gain >= 1.0 {
            format!(
                "Accuracy still rises ({gain:+.1} points from {} to {} examples): labeling more is likely to help.",
                before.train_examples, last.train_examples
            )
        } else {
            format!(
                "Accuracy is flat at the end ({gain:+.1} points from {} to {} examples): more labels of the same kind \
                 will help little; review the suspects and the confusions instead.",
                before.train_examples, last.train_examples
            )
        })
    }
}

/// What the curve is doing.
#[derive(Clone, Debug)]
pub enum CurveEvent {
    PointStarted { index: usize, fraction: f64, train_examples: usize },
    Train(TrainEvent),
    PointFinished(CurvePoint),
}

/// The default fractions: a quarter, half, three quarters and all of the labels.
pub const DEFAULT_FRACTIONS: [f64; 4] = [0.25, 0.5, 0.75, 1.0];

/// Trains `template` on growing subsets of its training data; its `out_dir` holds the points.
pub fn learning_curve(
    template: &TrainJob,
    fractions: &[f64],
    on_event: &mut dyn FnMut(CurveEvent),
    cancel: &CancelToken,
) -> Result<LearningCurve, AssistError> {
    let Some(valid) = &template.valid else {
        return Err(AssistError::NotReady(
            "a learning curve is measured on the validation split: label some validation examples first".into(),
        ));
    };
    if let Some(bad) = fractions.iter().find(|f| !(**f > 0.0 && **f <= 1.0)) {
        return Err(AssistError::NotReady(format!(
            "each share of the labels must be above 0 and at most 1 (got {bad})"
        )));
    }
    let out_dir = &template.out_dir;
    let order = nested_order(&template.train.labels, template.config.seed);
    let mut curve =
        LearningCurve { base_model: template.base_model.clone(), valid_examples: valid.len(), points: Vec::new() };
    for (index, &fraction) in fractions.iter().enumerate() {
        let subset = subset(&template.train, &order, fraction);
        let train_examples = subset.len();
        on_event(CurveEvent::PointStarted { index, fraction, train_examples });
        let point_dir = out_dir.join(format!("{:03}", (fraction * 100.0).round() as u32));
        let job = TrainJob { train: subset, out_dir: point_dir.clone(), ..template.clone() };
        let summary = train(&job, &mut |e| on_event(CurveEvent::Train(e)), cancel).map_err(|e| {
            if cancel.is_cancelled() {
                AssistError::Cancelled
            } else {
                AssistError::Train(e)
            }
        })?;
        // The weights of a point are not needed once it is measured; run.json stays.
        let _ = std::fs::remove_file(point_dir.join("model.safetensors"));
        let point = CurvePoint {
            fraction,
            train_examples,
            accuracy: summary.best.as_ref().and_then(|b| b.accuracy),
            macro_f1: summary.best.as_ref().and_then(|b| b.macro_f1),
            wall_secs: summary.wall_secs,
        };
        on_event(CurveEvent::PointFinished(point.clone()));
        curve.points.push(point);
        let path = out_dir.join(CURVE_FILE);
        let bytes = serde_json::to_vec_pretty(&curve)
            .map_err(|e| AssistError::Write { path: path.clone(), reason: e.to_string() })?;
        write_atomic(&path, &bytes).map_err(|e| AssistError::Write { path, reason: e.to_string() })?;
    }
    Ok(curve)
}

/// A seeded order of the examples such that every prefix of each class is a random sample of
/// it; taking the first share of each class gives nested, stratified subsets.
fn nested_order(labels: &[String], seed: u64) -> BTreeMap<&str, Vec<usize>> {
    let mut by_class: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_class.entry(l.as_str()).or_default().push(i);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    by_class.values_mut().for_each(|rows| rows.shuffle(&mut rng));
    by_class
}

/// The first `fraction` of each class (at least one example each), in the data's order.
fn subset(data: &LabeledTexts, order: &BTreeMap<&str, Vec<usize>>, fraction: f64) -> LabeledTexts {
    let mut rows: Vec<usize> = order
        .values()
        .flat_map(|rows| {
            let take = ((rows.len() as f64 * fraction).round() as usize).clamp(1, rows.len());
            rows[..take].iter().copied()
        })
        .collect();
    rows.sort_unstable();
    LabeledTexts {
        texts: rows.iter().map(|&i| data.texts[i].clone()).collect(),
        labels: rows.iter().map(|&i| data.labels[i].clone()).collect(),
        pairs: data.pairs.as_ref().map(|p| rows.iter().map(|&i| p[i].clone()).collect()),
        ..data.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn subsets_are_nested_and_stratified() {
        let labels: Vec<String> = (0..100).map(|i| if i % 4 == 0 { "a".into() } else { "b".into() }).collect();
        let data = LabeledTexts {
            texts: (0..100).map(|i| format!("t{i}")).collect(),
            labels: labels.clone(),
            path: PathBuf::new(),
            sha256: String::new(),
            text_column: "text".into(),
            label_column: "label".into(),
            pairs: None,
            pair_column: None,
            targets: Default::default(),
            label_separator: None,
        };
        let order = nested_order(&labels, 3);
        let quarter = subset(&data, &order, 0.25);
        let half = subset(&data, &order, 0.5);
        assert_eq!(quarter.len(), 25);
        assert_eq!(quarter.labels.iter().filter(|l| *l == "a").count(), 6);
        assert!(quarter.texts.iter().all(|t| half.texts.contains(t)));
        assert_eq!(subset(&data, &order, 1.0).texts, data.texts);
    }
}
