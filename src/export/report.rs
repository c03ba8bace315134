//! The verification report of an export: the exported file reloaded and compared with the
//! model it came from on the same examples — size, accuracy and macro-F1, which predictions
//! flipped, and inference speed on this machine — saved as JSON beside the export.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::quant::{GgufSummary, Quant};

/// One example whose predicted label differs between the original and the exported model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FlippedExample {
    /// Position in the verification data (0-based).
    pub index: usize,
    /// The project row, when the data came from a project.
    pub row: Option<usize>,
    pub text: String,
    pub true_label: Option<String>,
    pub base_label: String,
    pub base_confidence: f32,
    pub label: String,
    pub confidence: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExportReport {
    pub format: String,
    pub quant: Quant,
    /// The exported file (GGUF) or folder (safetensors).
    pub path: PathBuf,
    pub run_dir: PathBuf,
    /// Bytes of the exported weights file.
    pub size_bytes: u64,
    /// Bytes of the run's f32 model.safetensors.
    pub base_size_bytes: u64,
    /// What the examples were ("validation split of …", a file, or probe texts without labels).
    pub data: String,
    pub examples: usize,
    /// None when the examples have no labels (then only agreement is measured).
    pub accuracy: Option<f64>,
    pub base_accuracy: Option<f64>,
    pub macro_f1: Option<f64>,
    pub base_macro_f1: Option<f64>,
    /// Regression models: the RMSE against the true numbers, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmse: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rmse: Option<f64>,
    /// Token classifiers: entity micro F1 (seqeval strict IOB2) against the true tags, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_f1: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_entity_f1: Option<f64>,
    /// Examples whose predicted label (multi-label: set of labels; token classifiers: any word's
    /// tag) differs from the original model's; numbers do not flip.
    pub flipped: usize,
    pub flipped_examples: Vec<FlippedExample>,
    /// Share of examples with the same predicted label (regression: a number within 1 % of the
    /// spread of the original's predictions).
    pub agreement: f64,
    /// Largest change of any class probability.
    pub max_probability_change: f32,
    /// Median examples/s over alternating timed passes (up to 256 examples, tokenizing included).
    pub examples_per_s: f64,
    pub base_examples_per_s: f64,
    /// Which matrix kernel ran the exported model ("f32", or the int8 kernel's name).
    pub kernel: String,
    pub batch_size: usize,
    /// For GGUF: tensors by type, and where a tensor got another format than asked, why.
    pub tensors: Option<GgufSummary>,
}

impl ExportReport {
    /// Where the report of an export at `path` is saved: beside a file, inside a folder.
    pub fn path_for(export: &Path) -> PathBuf {
        if export.is_dir() {
            return export.join("verification.json");
        }
        let mut name = export.as_os_str().to_owned();
        name.push(".verify.json");
        PathBuf::from(name)
    }

    pub fn save(&self) -> Result<PathBuf, String> {
        let path = Self::path_for(&self.path);
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        crate::model::write_atomic(&path, text.as_bytes()).map_err(|e| format!("{e} — {}", path.display()))?;
        Ok(path)
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{e} — {}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("not a verification report ({e}) — {}", path.display()))
    }

    /// Exported size as a share of the f32 weights.
    pub fn size_ratio(&self) -> f64 {
        self.size_bytes as f64 / self.base_size_bytes.max(1) as f64
    }

    pub fn speedup(&self) -> f64 {
        self.examples_per_s / self.base_examples_per_s.max(1e-9)
    }

    /// Whether a person should look closer: predictions flipped beyond half a point of accuracy
    /// (or of entity F1), a regression's RMSE grew by more than 2 %, or (without labels) more
    /// than 1 % of predictions changed.
    pub fn needs_attention(&self) -> bool {
        match (self.accuracy, self.base_accuracy, self.rmse, self.base_rmse) {
            (Some(a), Some(b), _, _) => b - a > 0.005,
            (_, _, Some(r), Some(b)) => r > b * 1.02,
            _ => match (self.entity_f1, self.base_entity_f1) {
                (Some(f), Some(b)) => b - f > 0.005,
                _ => self.agreement < 0.99,
            },
        }
    }

    /// A few lines for people.
    pub fn summary_lines(&self) -> Vec<String> {
        let mb = |b: u64| b as f64 / 1e6;
        let mut lines = vec![format!(
            "size {:.1} MB (f32 {:.1} MB, {:.0} %)",
            mb(self.size_bytes),
            mb(self.base_size_bytes),
            100.0 * self.size_ratio()
        )];
        if let (Some(a), Some(b), Some(f), Some(bf)) =
            (self.accuracy, self.base_accuracy, self.macro_f1, self.base_macro_f1)
        {
            lines.push(format!(
                "accuracy {:.2} % (was {:.2} %), macro-F1 {:.4} (was {:.4})",
                100.0 * a,
                100.0 * b,
                f,
                bf
            ));
        }
        if let (Some(r), Some(b)) = (self.rmse, self.base_rmse) {
            lines.push(format!("RMSE {r:.4} (was {b:.4})"));
        }
        if let (Some(f), Some(b)) = (self.entity_f1, self.base_entity_f1) {
            lines.push(format!("entity F1 {f:.4} (was {b:.4})"));
        }
        lines.push(format!(
            "{} of {} predictions changed ({:.2} % agree), largest change of an output {:.4}",
            self.flipped,
            self.examples,
            100.0 * self.agreement,
            self.max_probability_change
        ));
        lines.push(format!(
            "speed {:.1} examples/s (was {:.1}, {:.2}x) with the {} kernel",
            self.examples_per_s,
            self.base_examples_per_s,
            self.speedup(),
            self.kernel
        ));
        lines
    }
}
