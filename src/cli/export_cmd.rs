//! `attune export`: writes a run as GGUF or a Hugging Face folder, reloads it and prints the
//! verification report (one JSON object with `--json`).

use std::path::PathBuf;

use clap::Args;

use super::DataColumns;
use crate::data::{read_labeled, read_tagged, ReadOptions};
use crate::export::{export_model, ExportEvent, ExportRequest, ModelFormat, VerifyData};
use crate::jobs::CancelToken;
use crate::model::{ModelConfig, Problem};
use crate::quant::Quant;
use crate::train::{targets_for, RunInfo};

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The run folder to export.
    #[arg(long, value_name = "RUN_DIR")]
    pub model: PathBuf,
    /// gguf (one file with tokenizer and labels) or safetensors (a Hugging Face folder).
    #[arg(long, default_value = "gguf")]
    pub format: String,
    /// Weight format: q8_0, q4_0, q4_k, f16 or f32 (safetensors: f16 or f32).
    #[arg(long, default_value = "q8_0")]
    pub quant: String,
    /// Where to write: a .gguf file, or a folder for safetensors. Default: beside the run folder.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Labeled CSV/TSV to verify on. Default: the run's validation file, else probe texts.
    #[arg(long, value_name = "FILE")]
    pub verify_data: Option<PathBuf>,
    #[command(flatten)]
    pub columns: DataColumns,
    /// Verify on the first N rows only.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 256)]
    pub max_len: usize,
    /// Print the verification report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let format = ModelFormat::parse(&args.format).map_err(anyhow::Error::msg)?;
    let quant = Quant::parse(&args.quant).map_err(anyhow::Error::msg)?;
    if !args.model.is_dir() {
        anyhow::bail!("{} is not a run folder: give the folder a training run wrote", args.model.display());
    }
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.model, format, quant));
    let verify = verify_data(&args)?;
    let req = ExportRequest {
        run_dir: args.model.clone(),
        format,
        quant,
        out,
        verify,
        batch_size: args.batch_size.max(1),
        max_len: args.max_len,
    };
    let report = export_model(&req, &CancelToken::new(), |event| match event {
        ExportEvent::Stage(text) => eprintln!("{text}"),
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("Wrote {}", report.path.display());
    for line in report.summary_lines() {
        println!("  {line}");
    }
    if let Some(t) = &report.tensors {
        let types: Vec<String> = t.tensors_by_type.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!("  tensors: {}", types.join(", "));
        for f in &t.fallbacks {
            println!("  note: {f}");
        }
    }
    for f in report.flipped_examples.iter().take(10) {
        println!("  flipped: {} -> {} ({:.2}): {}", f.base_label, f.label, f.confidence, f.text);
    }
    if report.needs_attention() {
        println!("  Check this export: it changed more predictions than expected. Try a larger format (q8_0 or f16).");
    }
    println!("  report: {}", crate::export::ExportReport::path_for(&report.path).display());
    Ok(())
}

fn default_out(run_dir: &std::path::Path, format: ModelFormat, quant: Quant) -> PathBuf {
    let name = run_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    let parent = run_dir.parent().unwrap_or(std::path::Path::new("."));
    parent.join(format.default_file_name(&name, quant))
}

/// The labeled examples to verify on: the given file, else the run's validation file, read for
/// the run's problem (one label, label sets or numbers).
fn verify_data(args: &ExportArgs) -> anyhow::Result<Option<VerifyData>> {
    let config = ModelConfig::load(&args.model).ok();
    if config.as_ref().is_some_and(|c| c.token_classifier) {
        return verify_sentences(args);
    }
    let problem = config.map_or(Problem::SingleLabel, |c| c.problem);
    let read = |file: &std::path::Path, columns: (Option<String>, Option<String>), separator: &str| {
        let (text, label) = columns;
        let opts = ReadOptions {
            text_column: text,
            label_column: label,
            max_rows: args.max_rows,
            allow_empty_labels: problem == Problem::MultiLabel,
            ..ReadOptions::default()
        };
        anyhow::Ok(targets_for(read_labeled(file, &opts)?, problem, separator)?)
    };
    if let Some(file) = &args.verify_data {
        let columns = (args.columns.text_column.clone(), args.columns.label_column.clone());
        let data = read(file, columns, &args.columns.label_separator)?;
        return Ok(Some(VerifyData::labeled(&data, format!("{} ({} rows)", file.display(), data.len()))));
    }
    let Some(valid) = RunInfo::read(&args.model).and_then(|info| info.valid_data) else {
        return Ok(None);
    };
    if !valid.path.is_file() {
        return Ok(None);
    }
    // The run's own file is split the way training split it.
    let separator = valid.label_separator.clone().unwrap_or_else(|| args.columns.label_separator.clone());
    let data = read(&valid.path, (Some(valid.text_column), Some(valid.label_column)), &separator)?;
    Ok(Some(VerifyData::labeled(
        &data,
        format!("the run's validation file {} ({} rows)", valid.path.display(), data.len()),
    )))
}

/// A token classifier is verified on tagged sentences: the given CoNLL file, else the run's
/// validation file.
fn verify_sentences(args: &ExportArgs) -> anyhow::Result<Option<VerifyData>> {
    let file = match &args.verify_data {
        Some(file) => file.clone(),
        None => match RunInfo::read(&args.model).and_then(|info| info.valid_data) {
            Some(valid) if valid.path.is_file() => valid.path,
            _ => return Ok(None),
        },
    };
    let data = read_tagged(&file, args.max_rows)?;
    Ok(Some(VerifyData::tagged(&data, format!("{} ({} sentences)", file.display(), data.len()))))
}
