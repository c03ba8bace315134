//! Writing a fine-tuned classifier (of texts or of words) as one self-contained GGUF file: every
//! weight (quantized as asked, falling back per tensor where a block does not fit), the
//! classification head, the tokenizer, the labels, the task and the model's config.json in the
//! metadata.
//!
//! Tensors keep transformers' names. q8_0 matrices are written with one scale per row, repeated in
//! each block of 32: a standard q8_0 tensor for any GGUF reader, and exactly the int8 matrix our
//! kernels run, so what the verification measures is what the file holds.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use candle_core::quantized::gguf_file::Value;
use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{DType, Device, Tensor};
use half::f16;

use super::int8::Int8Matrix;
use super::kind::{matrix_type, type_name, Quant};
use crate::model::{ModelConfig, SavedModel};

/// Metadata keys of Attune's own (the general.* and <architecture>.* keys follow GGUF's).
pub const KEY_CONFIG: &str = "attune.config_json";
pub const KEY_TOKENIZER: &str = "attune.tokenizer_json";
pub const KEY_LABELS: &str = "attune.labels";
pub const KEY_MAX_LENGTH: &str = "attune.max_length";
pub const KEY_TASK: &str = "attune.task";
pub const KEY_QUANT: &str = "attune.quantization";

/// What was written: how many tensors of each type, and where a tensor differs from the request.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct GgufSummary {
    pub tensors_by_type: BTreeMap<String, usize>,
    /// One line per reason a tensor did not get the requested format, with the tensors it
    /// concerns: "the output layer is kept in f32: classifier.weight".
    pub fallbacks: Vec<String>,
}

/// The output layer stays in f32: it is tiny (labels × hidden) and decides every prediction.
fn is_output_layer(name: &str) -> bool {
    matches!(name, "classifier.weight" | "classifier.out_proj.weight")
}

/// Writes `model` to `path` (through a temporary sibling that is renamed into place, so a failed
/// write leaves any earlier file untouched).
pub fn write_gguf(model: &dyn SavedModel, quant: Quant, path: &Path) -> Result<GgufSummary, String> {
    let mut summary = GgufSummary::default();
    let mut fallbacks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(model.params().entries.len());
    for (name, param) in &model.params().entries {
        let tensor = param.tensor.detach().to_device(&Device::Cpu).map_err(|e| e.to_string())?;
        let tensor = tensor.to_dtype(DType::F32).map_err(|e| e.to_string())?;
        let (dtype, why) = match tensor.dims() {
            [_, _] if is_output_layer(name) && quant != Quant::F32 => {
                (GgmlDType::F32, Some("the output layer is kept in f32".to_string()))
            }
            [_, cols] => matrix_type(quant, *cols),
            _ => (GgmlDType::F32, None),
        };
        if let Some(why) = why {
            fallbacks.entry(why).or_default().push(name.clone());
        }
        *summary.tensors_by_type.entry(type_name(dtype).to_string()).or_default() += 1;
        let qtensor = if dtype == GgmlDType::Q8_0 {
            q8_0_per_row(&tensor)?
        } else {
            QTensor::quantize(&tensor, dtype).map_err(|e| format!("{name}: {e}"))?
        };
        tensors.push((name.clone(), qtensor));
    }
    summary.fallbacks = fallbacks.into_iter().map(|(why, names)| describe_fallback(&why, &names)).collect();
    let metadata = metadata(model, quant)?;
    let meta_refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    write_through_temporary(path, |file| {
        candle_core::quantized::gguf_file::write(file, &meta_refs, &tensor_refs).map_err(|e| e.to_string())
    })?;
    Ok(summary)
}

/// "why: a" or "why: 34 tensors: a, b, …" (every name, so the report is complete).
fn describe_fallback(why: &str, names: &[String]) -> String {
    match names {
        [one] => format!("{why}: {one}"),
        _ => format!("{why}: {} tensors: {}", names.len(), names.join(", ")),
    }
}

/// A q8_0 tensor whose blocks all carry their row's scale: the rows of an [`Int8Matrix`].
fn q8_0_per_row(tensor: &Tensor) -> Result<QTensor, String> {
    let (rows, cols) = tensor.dims2().map_err(|e| e.to_string())?;
    let values: Vec<f32> = tensor.flatten_all().and_then(|t| t.to_vec1()).map_err(|e| e.to_string())?;
    let matrix = Int8Matrix::quantize(&values, rows, cols);
    let mut bytes = Vec::with_capacity(rows * cols / 32 * 34);
    for (row, &scale) in matrix.scales().iter().enumerate() {
        let scale = f16::from_f32(scale).to_le_bytes();
        for block in matrix.row_values(row).chunks(32) {
            bytes.extend_from_slice(&scale);
            bytes.extend(block.iter().map(|&q| q as u8));
        }
    }
    let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, GgmlDType::Q8_0).map_err(|e| e.to_string())?;
    QTensor::new(storage, (rows, cols)).map_err(|e| e.to_string())
}

fn metadata(model: &dyn SavedModel, quant: Quant) -> Result<Vec<(String, Value)>, String> {
    let config = model.config_json();
    let cfg = ModelConfig::from_json_str(&config.to_string())?;
    let arch = if cfg.model_type.is_empty() { cfg.family.prefix().to_string() } else { cfg.model_type.clone() };
    let config_json = serde_json::to_string(&config).map_err(|e| e.to_string())?;
    let mut tokenizer = model.tokenizer().inner().clone();
    tokenizer.with_truncation(None).map_err(|e| e.to_string())?;
    tokenizer.with_padding(None);
    let tokenizer_json = tokenizer.to_string(false).map_err(|e| e.to_string())?;
    let u32_of = |n: usize| Value::U32(n as u32);
    let labels = Value::Array(model.labels().iter().map(|l| Value::String(l.clone())).collect());
    let task = model.task();
    Ok(vec![
        ("general.architecture".into(), Value::String(arch.clone())),
        ("general.name".into(), Value::String(format!("{arch} {} (Attune)", task.replace('-', " ")))),
        ("general.quantization_version".into(), Value::U32(2)),
        (format!("{arch}.block_count"), u32_of(cfg.num_layers)),
        (format!("{arch}.context_length"), u32_of(cfg.max_positions)),
        (format!("{arch}.embedding_length"), u32_of(cfg.hidden_size)),
        (format!("{arch}.feed_forward_length"), u32_of(cfg.intermediate_size)),
        (format!("{arch}.attention.head_count"), u32_of(cfg.num_heads)),
        (format!("{arch}.attention.layer_norm_epsilon"), Value::F32(cfg.layer_norm_eps as f32)),
        (KEY_TASK.into(), Value::String(task.into())),
        (KEY_LABELS.into(), labels),
        (KEY_MAX_LENGTH.into(), u32_of(model.tokenizer().max_len())),
        (KEY_QUANT.into(), Value::String(quant.name().into())),
        (KEY_CONFIG.into(), Value::String(config_json)),
        (KEY_TOKENIZER.into(), Value::String(tokenizer_json)),
    ])
}

/// Writes a file through `<name>.partial`, synced and renamed into place; on failure the partial
/// file is removed and an existing file at `path` is left as it was.
pub fn write_through_temporary(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), String>,
) -> Result<(), String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let result = (|| {
        let file = std::fs::File::create(&partial).map_err(|e| e.to_string())?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        out.flush().map_err(|e| e.to_string())?;
        let file = out.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&partial, path).map_err(|e| e.to_string())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
