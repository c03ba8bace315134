//! Exporting a trained run as a file other tools and `attune predict`/`serve` can use, and
//! proving it: GGUF (f32, f16, q8_0, q4_0, q4_k) with head, tokenizer and labels inside, or a
//! Hugging Face folder with f32/f16 safetensors. After writing, the export is loaded back from
//! disk and compared with the run on the verification examples; the report is saved beside it.
//!
//! The app's Export pane and `attune export` both call [`export_model`] on a worker thread.

mod error;
mod hf_folder;
mod report;
mod tokens;
mod verify;

use std::path::{Path, PathBuf};

pub use error::ExportError;
pub use report::{ExportReport, FlippedExample};
pub use verify::{compare, predict_both, Outputs, VerifyData};

use crate::data::TextTargets;
use crate::jobs::CancelToken;
use crate::model::{LoadOptions, ModelConfig, Problem, SavedModel, SequenceClassifier};
use crate::quant::{write_gguf, GgufSummary, Quant};

/// The kind of file an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelFormat {
    /// One .gguf file: weights, head, tokenizer, labels.
    Gguf,
    /// A Hugging Face model folder (config.json, model.safetensors, tokenizer) for transformers.
    Safetensors,
}

impl ModelFormat {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "gguf" => Ok(ModelFormat::Gguf),
            "safetensors" | "hf" | "huggingface" => Ok(ModelFormat::Safetensors),
            other => Err(format!("\"{other}\" is not an export format: use gguf or safetensors")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ModelFormat::Gguf => "gguf",
            ModelFormat::Safetensors => "safetensors",
        }
    }

    /// The weight formats this kind of file can hold.
    pub fn quants(self) -> &'static [Quant] {
        match self {
            ModelFormat::Gguf => &Quant::ALL,
            ModelFormat::Safetensors => &[Quant::F32, Quant::F16],
        }
    }

    /// A file name for an export of `run_name` in this format.
    pub fn default_file_name(self, run_name: &str, quant: Quant) -> String {
        match self {
            ModelFormat::Gguf => format!("{run_name}-{}.gguf", quant.name()),
            ModelFormat::Safetensors => format!("{run_name}-hf-{}", quant.name()),
        }
    }
}

/// What to export, where, and what to verify it on.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub run_dir: PathBuf,
    pub format: ModelFormat,
    pub quant: Quant,
    /// A .gguf file, or the folder of a safetensors export.
    pub out: PathBuf,
    /// None: probe texts (agreement and speed only).
    pub verify: Option<VerifyData>,
    pub batch_size: usize,
    pub max_len: usize,
}

/// Progress of an export, for the app and the CLI.
#[derive(Clone, Debug)]
pub enum ExportEvent {
    /// A sentence saying what is happening now.
    Stage(String),
}

/// Writes the export, reloads it from disk, verifies it against the run and saves the report.
/// A token classifier's run is exported and verified by `tokens.rs`.
pub fn export_model(
    req: &ExportRequest,
    cancel: &CancelToken,
    mut on_event: impl FnMut(ExportEvent),
) -> Result<ExportReport, ExportError> {
    if !req.format.quants().contains(&req.quant) {
        return Err(ExportError::Invalid(format!(
            "{} exports hold f32 or f16 weights; use --format gguf for {}",
            req.format.name(),
            req.quant.name()
        )));
    }
    if crate::train::RunInfo::is_text_pair(&req.run_dir) {
        return Err(ExportError::Invalid(
            "this run reads text pairs; exporting and verifying pair models is not supported yet — use the \
             run folder itself (`attune eval --text-pair-column …`)"
                .into(),
        ));
    }
    if ModelConfig::load(&req.run_dir).is_ok_and(|c| c.token_classifier) {
        return tokens::export_token_model(req, cancel, &mut on_event);
    }
    let mut stage = |text: String| on_event(ExportEvent::Stage(text));
    stage(format!("Loading the run {}", req.run_dir.display()));
    let opts = LoadOptions { max_len: req.max_len, ..LoadOptions::default() };
    let base = SequenceClassifier::load(&req.run_dir, &opts)?;
    if let Some(missing) = base.initialised.first() {
        return Err(ExportError::MissingHead { missing: missing.clone(), dir: req.run_dir.clone() });
    }
    if let Some(data) = &req.verify {
        // Labels the model does not know make the comparison impossible: say so before writing.
        let unknown = |e: crate::train::TrainError| ExportError::Invalid(e.to_string());
        if let (Problem::SingleLabel, Some(labels)) = (base.problem, &data.labels) {
            crate::train::label_indices(&base.labels, labels).map_err(unknown)?;
        }
        if let (Problem::MultiLabel, TextTargets::LabelSets(sets)) = (base.problem, &data.targets) {
            crate::train::label_set_indicators(&base.labels, sets).map_err(unknown)?;
        }
    }
    let tensors = write_export(req, &base, cancel, &mut stage)?;
    let exported = SequenceClassifier::load_path(&req.out, &opts)?;
    if exported.labels != base.labels || exported.problem != base.problem {
        return Err(ExportError::Invalid("the export's labels or task differ from the run's; export again".into()));
    }
    let data = match &req.verify {
        Some(d) if !d.is_empty() => d.clone(),
        _ => VerifyData::probe_texts(&base.tokenizer, 256, 7),
    };
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    stage(format!("Predicting {} examples with the run and with the export", data.len()));
    let p = predict_both(&base, &exported, &data.texts, req.batch_size)?;
    let outputs = Outputs { labels: &exported.labels, problem: exported.problem, thresholds: &exported.thresholds };
    let cmp = compare(&outputs, &data, &p.base, &p.exported)?;
    let mut report = new_report(req, &data, tensors, (p.base_examples_per_s, p.exported_examples_per_s));
    report.accuracy = cmp.accuracy;
    report.base_accuracy = cmp.base_accuracy;
    report.macro_f1 = cmp.macro_f1;
    report.base_macro_f1 = cmp.base_macro_f1;
    report.rmse = cmp.rmse;
    report.base_rmse = cmp.base_rmse;
    report.flipped = cmp.flipped.len();
    report.flipped_examples = cmp.flipped;
    report.agreement = cmp.agreement;
    report.max_probability_change = cmp.max_probability_change;
    save_report(&report, &mut stage)
}

/// Checks where the export goes, writes it, and says it is loading it back.
fn write_export(
    req: &ExportRequest,
    model: &dyn SavedModel,
    cancel: &CancelToken,
    stage: &mut dyn FnMut(String),
) -> Result<Option<GgufSummary>, ExportError> {
    check_out_path(req)?;
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    stage(format!("Writing {} ({})", req.out.display(), req.quant.name()));
    let write_err = |reason: String| ExportError::Write { path: req.out.clone(), reason };
    let tensors = match req.format {
        ModelFormat::Gguf => Some(write_gguf(model, req.quant, &req.out).map_err(write_err)?),
        ModelFormat::Safetensors => {
            hf_folder::write_hf_folder(model, req.quant, &req.out).map_err(write_err)?;
            None
        }
    };
    stage("Loading the export back from disk".into());
    Ok(tensors)
}

/// A report with what every export measures (sizes, speed, kernel); the comparison's numbers are
/// filled in by the caller. `speeds` are (base, exported) examples/s.
fn new_report(
    req: &ExportRequest,
    data: &VerifyData,
    tensors: Option<GgufSummary>,
    speeds: (f64, f64),
) -> ExportReport {
    ExportReport {
        format: req.format.name().into(),
        quant: req.quant,
        path: req.out.clone(),
        run_dir: req.run_dir.clone(),
        size_bytes: weights_size(&req.out),
        base_size_bytes: weights_size(&req.run_dir),
        data: data.description.clone(),
        examples: data.len(),
        accuracy: None,
        base_accuracy: None,
        macro_f1: None,
        base_macro_f1: None,
        rmse: None,
        base_rmse: None,
        entity_f1: None,
        base_entity_f1: None,
        flipped: 0,
        flipped_examples: Vec::new(),
        agreement: 1.0,
        max_probability_change: 0.0,
        examples_per_s: speeds.1,
        base_examples_per_s: speeds.0,
        kernel: if req.quant.is_quantized() && req.format == ModelFormat::Gguf {
            format!("int8 {}", crate::quant::int8::kernel_name())
        } else {
            "f32".into()
        },
        batch_size: req.batch_size,
        tensors,
    }
}

fn save_report(report: &ExportReport, stage: &mut dyn FnMut(String)) -> Result<ExportReport, ExportError> {
    report.save().map_err(|reason| ExportError::Write { path: ExportReport::path_for(&report.path), reason })?;
    stage("Done".into());
    Ok(report.clone())
}

fn check_out_path(req: &ExportRequest) -> Result<(), ExportError> {
    let out = &req.out;
    if out.as_os_str().is_empty() {
        return Err(ExportError::Invalid("choose where to write the export".into()));
    }
    if out == &req.run_dir {
        return Err(ExportError::Invalid("the export folder cannot be the run folder itself; pick another".into()));
    }
    match req.format {
        ModelFormat::Gguf if out.is_dir() => {
            Err(ExportError::Invalid(format!("{} is a folder; give a file name ending in .gguf", out.display())))
        }
        ModelFormat::Safetensors if out.is_file() => Err(ExportError::Invalid(format!(
            "{} is a file; a safetensors export is a folder, give a folder name",
            out.display()
        ))),
        _ => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| ExportError::Write { path: parent.to_path_buf(), reason: e.to_string() })?;
            }
            Ok(())
        }
    }
}

/// Bytes of a model's weights: a GGUF file itself, or a folder's model.safetensors.
pub fn weights_size(path: &Path) -> u64 {
    let file = if path.is_dir() { path.join("model.safetensors") } else { path.to_path_buf() };
    std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)
}
