//! Reading checkpoint files and mapping their tensor names onto ours.
//!
//! Our names are transformers' names in a `…ForSequenceClassification` model: the encoder under
//! the family prefix (`bert.`, `roberta.`, `distilbert.`, `electra.`), the head at the top level.
//! Base checkpoints store the encoder with no prefix, and old ones call LayerNorm parameters
//! gamma/beta; this file is the one place that knows it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};

use super::{Family, ModelError};
use crate::quant::int8::Int8Matrix;

/// The tensors of a checkpoint, renamed to our names, waiting to be taken by the model builder.
pub struct Checkpoint {
    pub tensors: HashMap<String, Tensor>,
    /// Weight matrices of linear layers held as int8 (a quantized GGUF file), by our names.
    pub int8: HashMap<String, Arc<Int8Matrix>>,
    pub path: PathBuf,
}

impl Checkpoint {
    /// Loads `model.safetensors`, else `pytorch_model.bin`, from a model folder.
    pub fn load(dir: &Path, family: Family, device: &Device) -> Result<Self, ModelError> {
        let safetensors = dir.join("model.safetensors");
        let pickle = dir.join("pytorch_model.bin");
        let (path, raw) = if safetensors.is_file() {
            let raw = candle_core::safetensors::load(&safetensors, device).map_err(|e| bad_weights(&safetensors, e))?;
            (safetensors, raw.into_iter().collect::<Vec<_>>())
        } else if pickle.is_file() {
            let raw = candle_core::pickle::read_all(&pickle).map_err(|e| bad_weights(&pickle, e))?;
            (pickle, raw)
        } else {
            return Err(ModelError::MissingFile { file: "model.safetensors", dir: dir.to_path_buf() });
        };
        let mut tensors = HashMap::with_capacity(raw.len());
        for (name, tensor) in raw {
            if let Some(ours) = our_name(&name, family) {
                let tensor = tensor.to_dtype(DType::F32).map_err(|e| bad_weights(&path, e))?;
                let tensor = tensor.to_device(device).map_err(|e| bad_weights(&path, e))?;
                tensors.insert(ours, tensor);
            }
        }
        Ok(Self { tensors, int8: HashMap::new(), path })
    }

    /// An empty checkpoint: every parameter is freshly initialised (random-weight benchmarks, tests).
    pub fn empty() -> Self {
        Self { tensors: HashMap::new(), int8: HashMap::new(), path: PathBuf::from("(random initialisation)") }
    }
}

fn bad_weights(path: &Path, e: candle_core::Error) -> ModelError {
    let reason = e.to_string();
    let reason = reason.lines().next().unwrap_or("unknown error").to_string();
    ModelError::BadWeights { path: path.to_path_buf(), reason }
}

/// Maps a checkpoint's tensor name to ours, or None for tensors we do not use.
pub fn our_name(name: &str, family: Family) -> Option<String> {
    const UNUSED: [&str; 8] = [
        "position_ids",
        "cls.",
        "lm_head.",
        "vocab_transform",
        "vocab_layer_norm",
        "vocab_projector",
        "discriminator_predictions",
        "generator_",
    ];
    if UNUSED.iter().any(|u| name.contains(u)) {
        return None;
    }
    let prefix = family.prefix();
    let encoder_part = ["embeddings.", "encoder.", "pooler.", "transformer.", "embeddings_project."];
    let name = if name.starts_with(&format!("{prefix}.")) {
        name.to_string()
    } else if encoder_part.iter().any(|p| name.starts_with(p)) {
        format!("{prefix}.{name}")
    } else {
        name.to_string()
    };
    let name = if let Some(stem) = name.strip_suffix(".gamma") {
        format!("{stem}.weight")
    } else if let Some(stem) = name.strip_suffix(".beta") {
        format!("{stem}.bias")
    } else {
        name
    };
    Some(name)
}

/// The names of the encoder's parameters for one family, so the layers can be built generically.
pub struct LayerNames {
    pub query: String,
    pub key: String,
    pub value: String,
    pub attention_out: String,
    pub attention_norm: String,
    pub intermediate: String,
    pub output: String,
    pub output_norm: String,
}

impl LayerNames {
    pub fn new(family: Family, layer: usize) -> Self {
        let p = family.prefix();
        if family == Family::DistilBert {
            let l = format!("{p}.transformer.layer.{layer}");
            return Self {
                query: format!("{l}.attention.q_lin"),
                key: format!("{l}.attention.k_lin"),
                value: format!("{l}.attention.v_lin"),
                attention_out: format!("{l}.attention.out_lin"),
                attention_norm: format!("{l}.sa_layer_norm"),
                intermediate: format!("{l}.ffn.lin1"),
                output: format!("{l}.ffn.lin2"),
                output_norm: format!("{l}.output_layer_norm"),
            };
        }
        let l = format!("{p}.encoder.layer.{layer}");
        Self {
            query: format!("{l}.attention.self.query"),
            key: format!("{l}.attention.self.key"),
            value: format!("{l}.attention.self.value"),
            attention_out: format!("{l}.attention.output.dense"),
            attention_norm: format!("{l}.attention.output.LayerNorm"),
            intermediate: format!("{l}.intermediate.dense"),
            output: format!("{l}.output.dense"),
            output_norm: format!("{l}.output.LayerNorm"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_checkpoint_names_get_the_family_prefix() {
        assert_eq!(
            our_name("encoder.layer.0.attention.self.query.weight", Family::Bert).as_deref(),
            Some("bert.encoder.layer.0.attention.self.query.weight")
        );
        assert_eq!(
            our_name("roberta.embeddings.LayerNorm.gamma", Family::Roberta).as_deref(),
            Some("roberta.embeddings.LayerNorm.weight")
        );
        assert_eq!(our_name("classifier.out_proj.bias", Family::Roberta).as_deref(), Some("classifier.out_proj.bias"));
        assert_eq!(our_name("embeddings.position_ids", Family::Bert), None);
        assert_eq!(our_name("cls.predictions.bias", Family::Bert), None);
        assert_eq!(our_name("vocab_projector.weight", Family::DistilBert), None);
    }
}
