//! A Hugging Face model folder as an export: config.json, tokenizer files and model.safetensors
//! in f32 or f16, which `transformers` loads with `AutoModelForSequenceClassification` (or
//! `…ForTokenClassification` for a token classifier). It is
//! written to `<folder>.partial` and swapped into place, so a failed export keeps the old one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::model::SavedModel;
use crate::quant::Quant;

pub fn write_hf_folder(model: &dyn SavedModel, quant: Quant, out: &Path) -> Result<(), String> {
    let partial = sibling(out, "partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| format!("{e} — {}", partial.display()))?;
    }
    let result = write_into(model, quant, &partial).and_then(|()| swap_into_place(&partial, out));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    result
}

fn write_into(model: &dyn SavedModel, quant: Quant, dir: &Path) -> Result<(), String> {
    model.save(dir).map_err(|e| e.to_string())?;
    if quant == Quant::F16 {
        let mut map: HashMap<String, Tensor> = HashMap::with_capacity(model.params().entries.len());
        for (name, p) in &model.params().entries {
            let t = p.tensor.detach().to_device(&Device::Cpu).and_then(|t| t.to_dtype(DType::F16));
            map.insert(name.clone(), t.map_err(|e| e.to_string())?);
        }
        let path = dir.join("model.safetensors");
        candle_core::safetensors::save(&map, &path).map_err(|e| format!("{e} — {}", path.display()))?;
    }
    Ok(())
}

/// Replaces `out` with `partial`: the old folder is moved aside first and removed last.
fn swap_into_place(partial: &Path, out: &Path) -> Result<(), String> {
    let old = sibling(out, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| format!("{e} — {}", old.display()))?;
    }
    let had_old = out.exists();
    if had_old {
        std::fs::rename(out, &old).map_err(|e| format!("{e} — {}", out.display()))?;
    }
    if let Err(e) = std::fs::rename(partial, out) {
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        return Err(format!("{e} — {}", out.display()));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}
