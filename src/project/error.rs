//! What can go wrong with a project folder, said so that an analyst knows what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("there is no Attune project here (no project.json); create one with `attune project new` — {0}")]
    NotAProject(PathBuf),
    #[error("a project already exists here; open it, or choose an empty folder — {0}")]
    AlreadyExists(PathBuf),
    #[error("the project file {file} is damaged ({reason}); restore it from a backup — {path}")]
    Damaged { file: &'static str, reason: String, path: PathBuf },
    #[error(
        "the change could not be saved ({reason}); nothing was lost, but this change is not kept — \
         free some disk space or check that the folder is writable — {path}"
    )]
    Write { reason: String, path: PathBuf },
    #[error("there is no label \"{0}\" in this project; add it first or check the spelling")]
    UnknownLabel(String),
    #[error("the label \"{0}\" already exists")]
    LabelExists(String),
    #[error("example {row} does not exist (the project has {count} examples)")]
    NoSuchRow { row: usize, count: usize },
    #[error("the filter's pattern is not a valid regular expression: {0}")]
    BadPattern(String),
    #[error("{0}")]
    Invalid(String),
    #[error("there is nothing to {0}")]
    NothingTo(&'static str),
}

impl ProjectError {
    pub fn write(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        ProjectError::Write { reason: e.to_string(), path: path.to_path_buf() }
    }
}
