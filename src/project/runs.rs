//! The training runs of a project: the folders under `runs/`, oldest first, each with its
//! `run.json` when it can be read (a run that was cancelled before its first evaluation has none).

use super::Project;
use crate::train::RunInfo;

impl Project {
    /// A new run folder under runs/, named by the start time (not created yet).
    pub fn new_run_dir(&self) -> std::path::PathBuf {
        self.new_run_dir_marked("")
    }

    /// A new run folder whose name ends with `mark` (e.g. "-loop" for the labeling loop's runs,
    /// so they can never take the name of a run started by hand in the same second).
    pub fn new_run_dir_marked(&self, mark: &str) -> std::path::PathBuf {
        let base = format!("run-{}{mark}", super::now_ms() / 1000);
        let mut dir = self.runs_dir().join(&base);
        let mut n = 2;
        while dir.exists() {
            dir = self.runs_dir().join(format!("{base}-{n}"));
            n += 1;
        }
        dir
    }

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
