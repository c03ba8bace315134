//! Reading a classifier (of texts or of words) back from a GGUF file that Attune exported: the config, tokenizer and
//! labels from the metadata, embedding tables and vectors as f32, and every quantized linear
//! layer as an [`Int8Matrix`] for the int8 kernels (exactly, for q8_0 files written with one scale
//! per row; other block formats are dequantized and requantized per row).
//!
//! Files that are not GGUF, are cut short, come from another tool or hold another architecture
//! are refused with a message that says which and what to do.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;
use half::f16;

use super::gguf_write::{KEY_CONFIG, KEY_LABELS, KEY_TASK, KEY_TOKENIZER};
use super::int8::Int8Matrix;
use crate::model::{
    Checkpoint, Freeze, LoadOptions, ModelConfig, ModelError, SequenceClassifier, TextTokenizer, TokenClassifier,
    TOKEN_CLASSIFICATION,
};

const ARCHITECTURES: [&str; 5] = ["bert", "roberta", "xlm-roberta", "distilbert", "electra"];

/// Whether the file starts with the GGUF magic bytes.
pub fn is_gguf_file(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"GGUF"
}

/// What an exported GGUF file holds: the config, labels, tokenizer and weights.
struct GgufParts {
    config: ModelConfig,
    labels: Vec<String>,
    tokenizer: TextTokenizer,
    checkpoint: Checkpoint,
}

/// Whether a GGUF file exported by Attune holds a token classifier (tags words).
pub fn is_gguf_token_classifier(path: &Path) -> bool {
    let Ok(file) = File::open(path) else { return false };
    let Ok(content) = Content::read(&mut BufReader::new(file)) else { return false };
    content.metadata.get(KEY_TASK).and_then(|v| v.to_string().ok()).is_some_and(|t| t == TOKEN_CLASSIFICATION)
}

/// Loads an exported GGUF text classifier for inference on the CPU.
pub fn load_gguf_classifier(path: &Path, opts: &LoadOptions) -> Result<SequenceClassifier, ModelError> {
    let parts = read_parts(path, opts)?;
    if parts.config.token_classifier {
        return Err(ModelError::TagsWords { dir: path.to_path_buf() });
    }
    let opts = inference_options(&parts.config, opts);
    let model = SequenceClassifier::build(parts.config, parts.tokenizer, parts.checkpoint, parts.labels, true, &opts)?;
    require_complete(&model.initialised, path)?;
    Ok(model)
}

/// Loads an exported GGUF token classifier for inference on the CPU.
pub fn load_gguf_token_classifier(path: &Path, opts: &LoadOptions) -> Result<TokenClassifier, ModelError> {
    let parts = read_parts(path, opts)?;
    if !parts.config.token_classifier {
        return Err(ModelError::NotATokenClassifier { dir: path.to_path_buf() });
    }
    let opts = inference_options(&parts.config, opts);
    let model = TokenClassifier::build(parts.config, parts.tokenizer, parts.checkpoint, parts.labels, true, &opts)?;
    require_complete(&model.initialised, path)?;
    Ok(model)
}

/// Every weight a constant (inference only).
fn inference_options(config: &ModelConfig, opts: &LoadOptions) -> LoadOptions {
    LoadOptions { freeze: Freeze { embeddings: true, lowest_layers: config.num_layers }, ..opts.clone() }
}

fn require_complete(initialised: &[String], path: &Path) -> Result<(), ModelError> {
    match initialised.first() {
        Some(missing) => Err(ModelError::MissingWeight { name: missing.clone(), path: path.to_path_buf() }),
        None => Ok(()),
    }
}

fn read_parts(path: &Path, opts: &LoadOptions) -> Result<GgufParts, ModelError> {
    let bad = |reason: String| ModelError::BadWeights { path: path.to_path_buf(), reason };
    if !opts.device.is_cpu() {
        return Err(ModelError::Device {
            spec: "GGUF".into(),
            reason: "quantized GGUF models run on the CPU; choose the CPU device".into(),
        });
    }
    if !is_gguf_file(path) {
        return Err(bad(
            "it is not a GGUF file (it does not start with \"GGUF\"); give a run folder or a .gguf file exported by Attune"
                .into(),
        ));
    }
    let file = File::open(path).map_err(|e| bad(e.to_string()))?;
    let file_len = file.metadata().map_err(|e| bad(e.to_string()))?.len();
    let mut reader = BufReader::new(file);
    let content =
        Content::read(&mut reader).map_err(|e| bad(format!("its header cannot be read ({e}); the file is damaged")))?;
    check_complete(&content, file_len).map_err(bad)?;
    let text = |key: &str| -> Option<String> { content.metadata.get(key).and_then(|v| v.to_string().ok()).cloned() };
    let arch = text("general.architecture").unwrap_or_else(|| "unknown".into());
    let Some(config_json) = text(KEY_CONFIG) else {
        return Err(bad(if ARCHITECTURES.contains(&arch.as_str()) {
            format!(
                "this {arch} GGUF file was not exported by Attune (it has no classifier config); \
                 Attune reads the GGUF classifiers it exports — export the run from Attune"
            )
        } else {
            format!(
                "this GGUF file holds a \"{arch}\" model; Attune reads BERT-family classifiers it \
                 exported itself — export a run from Attune"
            )
        }));
    };
    let config = ModelConfig::from_json_str(&config_json).map_err(|e| bad(format!("its embedded config: {e}")))?;
    let labels = config.labels.clone().ok_or_else(|| bad("its embedded config has no labels".into()))?;
    check_labels(&content, &labels).map_err(bad)?;
    let tokenizer_json = text(KEY_TOKENIZER).ok_or_else(|| bad("it has no tokenizer".into()))?;
    let inner = tokenizers::Tokenizer::from_str(&tokenizer_json)
        .map_err(|e| ModelError::Tokenizer { path: path.to_path_buf(), reason: e.to_string() })?;
    let tokenizer = TextTokenizer::new(inner, config.family, config.pad_token_id, opts.max_len)?;
    let checkpoint = read_tensors(&content, &mut reader, path)?;
    Ok(GgufParts { config, labels, tokenizer, checkpoint })
}

/// Every tensor's bytes must lie inside the file: a cut-short download or copy is caught here.
fn check_complete(content: &Content, file_len: u64) -> Result<(), String> {
    let mut needed = content.tensor_data_offset;
    for info in content.tensor_infos.values() {
        let elements: usize = info.shape.elem_count();
        let bytes = elements / info.ggml_dtype.block_size() * info.ggml_dtype.type_size();
        needed = needed.max(content.tensor_data_offset + info.offset + bytes as u64);
    }
    if needed > file_len {
        return Err(format!(
            "the file is incomplete: it needs {needed} bytes but has {file_len}; copy or export it again"
        ));
    }
    Ok(())
}

fn check_labels(content: &Content, labels: &[String]) -> Result<(), String> {
    let Some(Value::Array(values)) = content.metadata.get(KEY_LABELS) else {
        return Ok(());
    };
    let listed: Vec<String> = values.iter().filter_map(|v| v.to_string().ok().cloned()).collect();
    if listed != labels {
        return Err("its label list and its config disagree; export the run again".into());
    }
    Ok(())
}

/// Embedding tables are looked up, not multiplied: they are dequantized to f32.
fn is_linear_weight(name: &str, dims: &[usize]) -> bool {
    dims.len() == 2 && !name.ends_with("_embeddings.weight")
}

fn read_tensors(content: &Content, reader: &mut BufReader<File>, path: &Path) -> Result<Checkpoint, ModelError> {
    let bad = |reason: String| ModelError::BadWeights { path: path.to_path_buf(), reason };
    let mut tensors = HashMap::new();
    let mut int8 = HashMap::new();
    for (name, info) in &content.tensor_infos {
        let q = content.tensor(reader, name, &Device::Cpu).map_err(|e| bad(format!("tensor {name}: {e}")))?;
        let dims = q.shape().dims().to_vec();
        let quantized = !matches!(info.ggml_dtype, GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16);
        if quantized && is_linear_weight(name, &dims) {
            int8.insert(name.clone(), Arc::new(int8_matrix(&q, dims[0], dims[1]).map_err(bad)?));
        } else {
            let t = q.dequantize(&Device::Cpu).map_err(|e| bad(format!("tensor {name}: {e}")))?;
            tensors.insert(name.clone(), t);
        }
    }
    Ok(Checkpoint { tensors, int8, path: path.to_path_buf() })
}

/// The int8 matrix of a quantized tensor: exact for q8_0 with one scale per row.
fn int8_matrix(q: &QTensor, rows: usize, cols: usize) -> Result<Int8Matrix, String> {
    if q.dtype() == GgmlDType::Q8_0 {
        let data = q.data().map_err(|e| e.to_string())?;
        if let Some((values, scales)) = q8_0_rows(&data, rows, cols) {
            return Ok(Int8Matrix::from_rows(values, scales, rows, cols));
        }
    }
    let dense =
        q.dequantize(&Device::Cpu).and_then(|t| t.flatten_all()?.to_vec1::<f32>()).map_err(|e| e.to_string())?;
    Ok(Int8Matrix::quantize(&dense, rows, cols))
}

/// The values and row scales of q8_0 data whose blocks share one scale per row; None otherwise.
fn q8_0_rows(data: &[u8], rows: usize, cols: usize) -> Option<(Vec<i8>, Vec<f32>)> {
    const BLOCK: usize = 34;
    let blocks_per_row = cols / 32;
    if !cols.is_multiple_of(32) || data.len() != rows * blocks_per_row * BLOCK {
        return None;
    }
    let mut values = Vec::with_capacity(rows * cols);
    let mut scales = Vec::with_capacity(rows);
    for row in data.chunks_exact(blocks_per_row * BLOCK) {
        let scale_bytes = [row[0], row[1]];
        for block in row.chunks_exact(BLOCK) {
            if block[..2] != scale_bytes {
                return None;
            }
            values.extend(block[2..].iter().map(|&b| b as i8));
        }
        scales.push(f16::from_le_bytes(scale_bytes).to_f32());
    }
    Some((values, scales))
}
