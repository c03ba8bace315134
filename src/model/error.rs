//! What can go wrong when finding, reading or running a model, in words an analyst can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "the model folder has no {file}: pick a folder with a complete Hugging Face model \
         (config.json, model.safetensors or pytorch_model.bin, tokenizer.json or vocab.txt) — {dir}"
    )]
    MissingFile { file: &'static str, dir: PathBuf },
    #[error("the model's config.json cannot be used: {reason} — {path}")]
    BadConfig { path: PathBuf, reason: String },
    #[error(
        "the model's weights file is damaged or not in a format Attune reads ({reason}); \
         download or export the model again — {path}"
    )]
    BadWeights { path: PathBuf, reason: String },
    #[error(
        "the weights file has no tensor \"{name}\", so it does not match its config.json; \
         download or export the model again — {path}"
    )]
    MissingWeight { name: String, path: PathBuf },
    #[error(
        "the tensor \"{name}\" has shape {found:?} but config.json needs {expected:?}; \
         the weights and config.json do not belong together — {path}"
    )]
    WrongShape { name: String, expected: Vec<usize>, found: Vec<usize>, path: PathBuf },
    #[error("the model's tokenizer cannot be read ({reason}) — {path}")]
    Tokenizer { path: PathBuf, reason: String },
    #[error(
        "no model \"{spec}\" was found as a folder or in the local model cache ({cache}); \
         run `attune models` to see what is there, or download it while online"
    )]
    NotFound { spec: String, cache: PathBuf },
    #[error(
        "this is a base model, not a fine-tuned classifier: train it first with `attune train` \
         and use the run folder — {dir}"
    )]
    NotAClassifier { dir: PathBuf },
    #[error(
        "this model tags each word (a token classifier, for named entities), and this works with models \
         of whole texts. Use it with `attune eval`, `attune predict`, `attune explain --word N`, \
         `attune export` and `attune serve` — {dir}"
    )]
    TagsWords { dir: PathBuf },
    #[error(
        "this model classifies whole texts, not words; train a token classifier on a CoNLL/BIO file \
         (`attune train --task token-classification`) — {dir}"
    )]
    NotATokenClassifier { dir: PathBuf },
    #[error("could not download \"{id}\": {reason}")]
    Download { id: String, reason: String },
    #[error("the device \"{spec}\" cannot be used: {reason}")]
    Device { spec: String, reason: String },
    #[error("could not write the model: {reason} — {path}")]
    Write { path: PathBuf, reason: String },
    #[error("the model computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}
