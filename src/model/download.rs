//! Downloading a model from the Hugging Face hub into the standard cache (feature `download`).
//! Offline, it fails quickly with a message that says so.

use std::path::PathBuf;

use super::ModelError;

/// Fetches config.json, the weights and the tokenizer of a hub id; returns the snapshot folder.
pub fn download_model(id: &str) -> Result<PathBuf, ModelError> {
    let fail = |reason: String| ModelError::Download { id: id.to_string(), reason };
    let api = hf_hub::api::sync::ApiBuilder::new()
        .with_cache_dir(super::hub_cache_dir())
        .with_progress(false)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let repo = api.model(id.to_string());
    let config = repo.get("config.json").map_err(|e| {
        fail(format!(
            "the Hugging Face hub did not answer ({e}); check the model id and the internet connection, \
             or copy the model folder to this machine and pass its path"
        ))
    })?;
    if repo.get("model.safetensors").is_err() {
        repo.get("pytorch_model.bin").map_err(|e| fail(format!("it has no weights file Attune reads ({e})")))?;
    }
    if repo.get("tokenizer.json").is_err() {
        repo.get("vocab.txt").map_err(|e| fail(format!("it has no tokenizer.json or vocab.txt ({e})")))?;
    }
    for optional in ["tokenizer_config.json", "special_tokens_map.json"] {
        let _ = repo.get(optional);
    }
    config.parent().map(PathBuf::from).ok_or_else(|| fail("the download went to an unexpected place".into()))
}
