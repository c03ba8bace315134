//! Settings that outlive one run and belong to the user, not a project: the extra model folders
//! added to the model list. Stored as JSON in the platform's config directory (or
//! `$ATTUNE_CONFIG_DIR` when set, which tests use).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::write_atomic;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub model_folders: Vec<PathBuf>,
}

/// Where settings live.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ATTUNE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "Attune", "attune").map(|d| d.config_dir().to_path_buf())
}

/// Where Attune keeps data of its own (the sample project): `$ATTUNE_DATA_DIR` when set, else the
/// platform's data directory.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ATTUNE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "Attune", "attune").map(|d| d.data_dir().to_path_buf())
}

impl Settings {
    /// Loads the settings; a missing or unreadable file gives the defaults.
    pub fn load() -> Self {
        config_dir()
            .and_then(|d| std::fs::read_to_string(d.join("settings.json")).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    pub fn save(&self) -> Result<(), String> {
        let dir = config_dir().ok_or("this system has no configuration folder for Attune")?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {} ({e})", dir.display()))?;
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        write_atomic(&dir.join("settings.json"), text.as_bytes()).map_err(|e| format!("cannot save settings ({e})"))
    }

    /// Adds a model folder (kept once, as an absolute path).
    pub fn add_model_folder(&mut self, dir: PathBuf) -> Result<(), String> {
        if !dir.is_dir() {
            return Err(format!("there is no folder {}", dir.display()));
        }
        let dir = dir.canonicalize().map_err(|e| e.to_string())?;
        if !self.model_folders.contains(&dir) {
            self.model_folders.push(dir);
        }
        Ok(())
    }
}
