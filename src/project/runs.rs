//! The training runs of a project: the folders under `runs/`, oldest first, each with its
//! `run.json` when it can be read (a run that was cancelled before its first evaluation has none).

use super::Project;
use crate::train::RunInfo;

impl Project {
    /// (run folder name, its run.json) for every run of the project, sorted by name (= start time).
    pub fn runs(&self) -> Vec<(String, Option<RunInfo>)> {
        let mut runs: Vec<(String, Option<RunInfo>)> = std::fs::read_dir(self.runs_dir())
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), RunInfo::read(&e.path())))
                    .collect()
            })
            .unwrap_or_default();
        runs.sort_by(|a, b| a.0.cmp(&b.0));
        runs
    }
}
