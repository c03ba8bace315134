//! The model's opinion of every example of a project: its label, its confidence and how unsure
//! it is (margin between the two best labels, entropy). Computed on a worker thread in chunks
//! that can be cancelled, and kept next to the run (`runs/<run>/predictions.json`) so that
//! suggestions and the labeling queue survive a restart.

use std::path::{Path, PathBuf};

use crate::jobs::CancelToken;
use crate::model::{write_atomic, LoadOptions, Problem, SequenceClassifier};
use crate::project::{Predictions, Project};
use crate::train::RunInfo;

use super::AssistError;

/// File name of saved predictions inside a run folder.
pub const PREDICTIONS_FILE: &str = "predictions.json";
const CHUNK: usize = 256;

/// Predictions from per-example class probabilities (each row sums to one).
pub fn predictions_from_probabilities(run: &str, labels: &[String], probs: &[Vec<f32>]) -> Predictions {
    let mut out = Predictions {
        run: run.to_string(),
        labels: Vec::with_capacity(probs.len()),
        confidence: Vec::with_capacity(probs.len()),
        margin: Vec::with_capacity(probs.len()),
        entropy: Vec::with_capacity(probs.len()),
    };
    for p in probs {
        let (best, second) = two_best(p);
        out.labels.push(labels.get(best).cloned().unwrap_or_default());
        out.confidence.push(p.get(best).copied().unwrap_or(0.0));
        out.margin.push(p.get(best).copied().unwrap_or(0.0) - second);
        out.entropy.push(p.iter().filter(|&&v| v > 0.0).map(|&v| -v * v.ln()).sum());
    }
    out
}

/// Index of the largest value and the second largest value.
fn two_best(p: &[f32]) -> (usize, f32) {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    let second = p.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, &v)| v).fold(0.0f32, f32::max);
    (best, second)
}

/// The project's examples as model inputs, in row order: the texts, and the second texts when
/// the project holds text pairs.
pub fn project_inputs(project: &Project) -> (Vec<String>, Option<Vec<String>>) {
    let examples: Vec<_> = (0..project.len()).filter_map(|r| project.example(r)).collect();
    let texts = examples.iter().map(|e| e.text.clone()).collect();
    let has_pairs = examples.iter().any(|e| e.text_pair.is_some());
    let pairs = has_pairs.then(|| examples.iter().map(|e| e.text_pair.clone().unwrap_or_default()).collect());
    (texts, pairs)
}

/// Runs the model of `run_dir` over every example of the project, reporting (done, total).
pub fn predict_project(
    project: &Project,
    run_dir: &Path,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Predictions, AssistError> {
    let (texts, pairs) = project_inputs(project);
    predict_inputs(&texts, pairs.as_deref(), run_dir, cancel, on_progress)
}

/// Runs the model of `run_dir` over `texts` (the project's examples in row order).
pub fn predict_texts(
    texts: &[String],
    run_dir: &Path,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Predictions, AssistError> {
    predict_inputs(texts, None, run_dir, cancel, on_progress)
}

/// Runs the model of `run_dir` over texts, or text pairs when `pairs` is given.
pub fn predict_inputs(
    texts: &[String],
    pairs: Option<&[String]>,
    run_dir: &Path,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Predictions, AssistError> {
    let run = run_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Texts are cut where the run's training cut them (256 tokens for a model of unknown origin).
    let max_len = RunInfo::read(run_dir).map_or(256, |info| info.config.max_len);
    let model = SequenceClassifier::load_path(run_dir, &LoadOptions { max_len, ..LoadOptions::default() })?;
    if model.problem != Problem::SingleLabel {
        return Err(AssistError::NotReady(format!(
            "label suggestions come from models of one label per text; this model predicts {}",
            model.problem.describe()
        )));
    }
    let mut probs = Vec::with_capacity(texts.len());
    for (i, chunk) in texts.chunks(CHUNK).enumerate() {
        if cancel.is_cancelled() {
            return Err(AssistError::Cancelled);
        }
        let pair_chunk = pairs.map(|p| &p[i * CHUNK..(i * CHUNK + chunk.len()).min(p.len())]);
        probs.extend(model.predict_inputs(chunk, pair_chunk, 32)?);
        on_progress(probs.len(), texts.len());
    }
    Ok(predictions_from_probabilities(&run, &model.labels, &probs))
}

/// The run folder whose model makes suggestions: the named one (a run name or a folder), else
/// the project's chosen run, else its newest run with a model.
pub fn suggesting_run(project: &Project, named: Option<&str>) -> Result<PathBuf, AssistError> {
    if let Some(name) = named {
        let as_path = Path::new(name);
        let dir = if as_path.is_dir() { as_path.to_path_buf() } else { project.runs_dir().join(name) };
        return match dir.join("model.safetensors").is_file() {
            true => Ok(dir),
            false => Err(AssistError::NotReady(format!(
                "there is no trained model in {}; name a run folder under {}",
                dir.display(),
                project.runs_dir().display()
            ))),
        };
    }
    let chosen = project.meta.run.as_ref().map(|r| project.runs_dir().join(r));
    let newest = project.runs().into_iter().rev().map(|(name, _)| project.runs_dir().join(name));
    chosen.into_iter().chain(newest).find(|dir| dir.join("model.safetensors").is_file()).ok_or_else(|| {
        AssistError::NotReady(
            "this project has no trained model yet: train one first (Train pane, or `attune train --project DIR`)"
                .into(),
        )
    })
}

/// Saves predictions into their run folder.
pub fn save_predictions(run_dir: &Path, predictions: &Predictions) -> Result<(), AssistError> {
    let path = run_dir.join(PREDICTIONS_FILE);
    let bytes = serde_json::to_vec(predictions)
        .map_err(|e| AssistError::Write { path: path.clone(), reason: e.to_string() })?;
    write_atomic(&path, &bytes).map_err(|e| AssistError::Write { path, reason: e.to_string() })
}

/// Saved predictions of a run, when there are some for exactly `examples` examples (a project
/// that gained examples since needs new ones).
pub fn load_predictions(run_dir: &Path, examples: usize) -> Option<Predictions> {
    let bytes = std::fs::read(run_dir.join(PREDICTIONS_FILE)).ok()?;
    let p: Predictions = serde_json::from_slice(&bytes).ok()?;
    (p.labels.len() == examples && p.margin.len() == examples && p.entropy.len() == examples).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncertainty_measures_follow_the_probabilities() {
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let probs = vec![vec![0.9, 0.05, 0.05], vec![0.4, 0.35, 0.25], vec![1.0, 0.0, 0.0]];
        let p = predictions_from_probabilities("run", &labels, &probs);
        assert_eq!(p.labels, vec!["a", "a", "a"]);
        assert!((p.margin[0] - 0.85).abs() < 1e-6);
        assert!((p.margin[1] - 0.05).abs() < 1e-6);
        assert!(p.entropy[1] > p.entropy[0]);
        assert_eq!(p.entropy[2], 0.0);
    }
}
