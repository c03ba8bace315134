//! `run.json`: what a training run was (base model, data, settings, seed) and what it measured,
//! written beside the Hugging Face-compatible model files of the run folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{RegressionMetrics, TrainConfig, TrainError};
use crate::model::write_atomic;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub path: PathBuf,
    pub sha256: String,
    pub rows: usize,
    pub text_column: String,
    pub label_column: String,
    /// The second text of pairs, for text-pair runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_pair_column: Option<String>,
    /// Multi-label runs: what separates the labels of a cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_separator: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvalRecord {
    pub epoch: u32,
    pub step: u64,
    pub train_loss: f64,
    pub valid_loss: Option<f64>,
    pub accuracy: Option<f64>,
    pub macro_f1: Option<f64>,
    /// Token classification: entity-level micro F1 (seqeval strict IOB2), which picks the best checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_micro_f1: Option<f64>,
    /// Multi-label: micro F1 over every label decision (with thresholds tuned on this data), which
    /// picks the best checkpoint; `accuracy` is then the subset accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub micro_f1: Option<f64>,
    /// Regression: the errors and correlations; the lowest RMSE picks the best checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression: Option<RegressionScores>,
    pub elapsed_secs: f64,
}

/// A regression's validation measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionScores {
    pub mae: f64,
    pub rmse: f64,
    pub pearson: f64,
    pub spearman: f64,
}

impl From<&RegressionMetrics> for RegressionScores {
    fn from(m: &RegressionMetrics) -> Self {
        Self { mae: m.mae, rmse: m.rmse, pearson: m.pearson, spearman: m.spearman }
    }
}

impl EvalRecord {
    /// A record with the training loss and no validation measures yet.
    pub fn new(epoch: u32, step: u64, train_loss: f64) -> Self {
        Self {
            epoch,
            step,
            train_loss,
            valid_loss: None,
            accuracy: None,
            macro_f1: None,
            entity_micro_f1: None,
            micro_f1: None,
            regression: None,
            elapsed_secs: 0.0,
        }
    }
}

impl EvalRecord {
    /// The measure that picks the best checkpoint, named for a plot's title: entity F1, micro F1
    /// (multi-label), RMSE (regression, lower is better) or accuracy. None without validation.
    pub fn headline(&self) -> Option<(&'static str, f64)> {
        if let Some(f1) = self.entity_micro_f1 {
            return Some(("Validation entity F1", f1));
        }
        if let Some(f1) = self.micro_f1 {
            return Some(("Validation micro F1", f1));
        }
        if let Some(r) = &self.regression {
            return Some(("Validation RMSE (lower is better)", r.rmse));
        }
        self.accuracy.map(|a| ("Validation accuracy", a))
    }

    /// The validation measures in a line, for the CLI and the app's run list.
    pub fn summary(&self) -> String {
        match (self.entity_micro_f1, self.micro_f1, &self.regression, self.accuracy, self.macro_f1) {
            (Some(e), _, _, Some(a), Some(f)) => {
                format!("validation entity F1 {e:.4} (micro), {f:.4} (macro)  token accuracy {a:.4}")
            }
            (_, Some(micro), _, Some(a), Some(f)) => {
                format!("validation micro F1 {micro:.4}  macro F1 {f:.4}  subset accuracy {a:.4}")
            }
            (_, _, Some(r), _, _) => format!(
                "validation RMSE {:.4}  MAE {:.4}  Pearson {:.4}  Spearman {:.4}",
                r.rmse, r.mae, r.pearson, r.spearman
            ),
            (_, _, _, Some(a), Some(f)) => format!("validation accuracy {a:.4}  macro F1 {f:.4}"),
            _ => "no validation data".to_string(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunInfo {
    pub attune_version: String,
    /// "token-classification", "multi-label-classification" or "regression"; absent for one label
    /// per text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    pub base_model: String,
    pub base_model_path: PathBuf,
    /// The hub snapshot (revision) of the base model, when it came from the cache.
    pub base_revision: Option<String>,
    pub labels: Vec<String>,
    pub config: TrainConfig,
    pub train_data: DatasetInfo,
    pub valid_data: Option<DatasetInfo>,
    pub evaluations: Vec<EvalRecord>,
    /// The evaluation whose weights are in the folder.
    pub best: Option<EvalRecord>,
    pub steps: u64,
    pub train_examples_per_s: f64,
    pub wall_secs: f64,
    pub stopped_early: bool,
    pub parameters: usize,
    pub trainable_parameters: usize,
}

impl RunInfo {
    pub fn write(&self, dir: &Path) -> Result<(), TrainError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| TrainError::Write(e.to_string()))?;
        write_atomic(&dir.join("run.json"), text.as_bytes())
            .map_err(|e| TrainError::Write(format!("{e} — {}", dir.join("run.json").display())))
    }

    /// Whether the run was trained on text pairs (two texts per example).
    pub fn is_text_pair(dir: &Path) -> bool {
        Self::read(dir).is_some_and(|i| i.train_data.text_pair_column.is_some())
    }

    pub fn read(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join("run.json")).ok()?;
        serde_json::from_str(&text).ok()
    }
}
