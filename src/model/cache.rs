//! Finding models on this machine: the Hugging Face hub cache (`$HF_HUB_CACHE`, else
//! `$HF_HOME/hub`, else `~/.cache/huggingface/hub`, layout `models--ORG--NAME/snapshots/REV/`)
//! and folders the user added. Describes each model without loading its weights.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ModelConfig, ModelError};

/// The hub cache directory, following the same variables as the `huggingface_hub` library.
pub fn hub_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HF_HUB_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(home) = std::env::var_os("HF_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join("hub");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache").join("huggingface").join("hub")
}

/// One model found on disk, described from its config.json and file headers.
#[derive(Clone, Debug, Serialize)]
pub struct CachedModel {
    /// The hub id (ORG/NAME) for cache entries, or the folder name for added folders.
    pub id: String,
    pub path: PathBuf,
    pub architecture: String,
    pub model_type: String,
    pub layers: usize,
    pub hidden_size: usize,
    pub heads: usize,
    pub parameters: u64,
    pub size_bytes: u64,
    pub has_tokenizer: bool,
    /// Label names when the model is already a fine-tuned classifier.
    pub labels: Option<Vec<String>>,
    /// Why Attune cannot use this model, when it cannot.
    pub problem: Option<String>,
}

/// The snapshot folder of a hub id in the cache, if it is there.
pub fn cached_snapshot(cache: &Path, id: &str) -> Option<PathBuf> {
    let repo = cache.join(format!("models--{}", id.replace('/', "--")));
    let snapshots = repo.join("snapshots");
    if let Ok(rev) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let dir = snapshots.join(rev.trim());
        if dir.is_dir() {
            return Some(dir);
        }
    }
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(&snapshots).ok()?.flatten() {
        let modified = entry.metadata().and_then(|m| m.modified()).ok()?;
        if entry.path().is_dir() && newest.as_ref().is_none_or(|(t, _)| modified > *t) {
            newest = Some((modified, entry.path()));
        }
    }
    newest.map(|(_, p)| p)
}

/// Turns what the user typed after `--model` into a model folder: a folder path, a hub id found
/// in the cache, or (where built with downloads and online) a hub id fetched now.
pub fn resolve_model(spec: &str) -> Result<PathBuf, ModelError> {
    let as_path = Path::new(spec);
    if as_path.is_dir() {
        return Ok(as_path.to_path_buf());
    }
    let cache = hub_cache_dir();
    if let Some(dir) = cached_snapshot(&cache, spec) {
        return Ok(dir);
    }
    let looks_like_id = spec.split('/').count() == 2 && !spec.starts_with('.') && !as_path.is_absolute();
    #[cfg(feature = "download")]
    if looks_like_id {
        return super::download::download_model(spec);
    }
    let _ = looks_like_id;
    Err(ModelError::NotFound { spec: spec.to_string(), cache })
}

/// Every model in the hub cache and in the given extra folders (each either a model folder or a
/// folder of model folders).
pub fn list_models(extra_folders: &[PathBuf]) -> Vec<CachedModel> {
    let mut found = Vec::new();
    let cache = hub_cache_dir();
    if let Ok(entries) = std::fs::read_dir(&cache) {
        let mut names: Vec<String> = entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
        names.sort();
        for name in names {
            let Some(rest) = name.strip_prefix("models--") else { continue };
            let id = rest.replacen("--", "/", 1);
            if let Some(dir) = cached_snapshot(&cache, &id) {
                if dir.join("config.json").is_file() {
                    found.push(describe(&id, &dir));
                }
            }
        }
    }
    for folder in extra_folders {
        if folder.join("config.json").is_file() {
            found.push(describe(&folder_name(folder), folder));
        } else if let Ok(entries) = std::fs::read_dir(folder) {
            let mut dirs: Vec<PathBuf> =
                entries.flatten().map(|e| e.path()).filter(|p| p.join("config.json").is_file()).collect();
            dirs.sort();
            found.extend(dirs.iter().map(|d| describe(&folder_name(d), d)));
        }
    }
    found
}

fn folder_name(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string())
}

/// Describes a model folder from its config and file headers, without loading the weights.
pub fn describe(id: &str, dir: &Path) -> CachedModel {
    let mut model = CachedModel {
        id: id.to_string(),
        path: dir.to_path_buf(),
        architecture: String::new(),
        model_type: String::new(),
        layers: 0,
        hidden_size: 0,
        heads: 0,
        parameters: 0,
        size_bytes: folder_size(dir),
        has_tokenizer: dir.join("tokenizer.json").is_file() || dir.join("vocab.txt").is_file(),
        labels: None,
        problem: None,
    };
    if let Ok(text) = std::fs::read_to_string(dir.join("config.json")) {
        if let Some(arch) = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("architectures")?.get(0)?.as_str().map(String::from))
        {
            model.architecture = arch;
        }
    }
    match ModelConfig::load(dir) {
        Ok(cfg) => {
            model.model_type = cfg.model_type.clone();
            model.layers = cfg.num_layers;
            model.hidden_size = cfg.hidden_size;
            model.heads = cfg.num_heads;
            model.labels = cfg.labels.clone();
        }
        Err(e) => model.problem = Some(e.to_string()),
    }
    let weights = dir.join("model.safetensors");
    if weights.is_file() {
        match safetensors_parameter_count(&weights) {
            Ok(n) => model.parameters = n,
            Err(reason) => model.problem = Some(format!("the weights file is damaged: {reason}")),
        }
    } else if let Ok(meta) = std::fs::metadata(dir.join("pytorch_model.bin")) {
        model.parameters = meta.len() / 4;
    } else if model.problem.is_none() {
        model.problem = Some("it has no model.safetensors or pytorch_model.bin".into());
    }
    if !model.has_tokenizer && model.problem.is_none() {
        model.problem = Some("it has no tokenizer.json or vocab.txt".into());
    }
    model
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        folder_size(&p)
                    } else {
                        std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Counts the parameters in a safetensors file by reading only its header.
pub fn safetensors_parameter_count(path: &Path) -> Result<u64, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(|_| "it is shorter than a header".to_string())?;
    let len = u64::from_le_bytes(len);
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    if len > 100_000_000 || len + 8 > file_len {
        return Err("its header size is impossible".into());
    }
    let mut header = vec![0u8; len as usize];
    file.read_exact(&mut header).map_err(|e| e.to_string())?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|_| "its header is not JSON".to_string())?;
    let map = header.as_object().ok_or("its header is not a JSON object")?;
    Ok(map
        .iter()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .filter_map(|(_, v)| v.get("shape")?.as_array().map(|s| s.iter().filter_map(|d| d.as_u64()).product::<u64>()))
        .sum())
}
