//! A project is a folder: the imported examples (`examples.jsonl`, never rewritten), the project
//! settings (`project.json`), and the analyst's work — label set, labels with who/when, notes,
//! splits, added examples — kept durable by a journal with snapshots (see `journal.rs`), plus the
//! training runs under `runs/`. The CLI and the app open the same folder through this type.
//!
//! Every change goes through [`Project::apply`]: checked, appended to the journal and synced, and
//! only then applied in memory. A failed write leaves the in-memory state as it was.

mod create;
mod error;
mod export;
mod filter;
mod journal;
mod runs;
mod sample;
mod scores;
mod splits;
mod state;
mod suggestions;
mod tagging;
mod training;
mod types;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use create::{create_from_import, CreateOptions, SplitPlan};
pub use error::ProjectError;
pub use export::{export, ExportFormat};
pub use filter::{Filter, Predictions, SortOrder, TextQuery};
pub use sample::create_sample_project;
pub use scores::parse_score;
pub use splits::stratified_splits;
pub use state::{Op, State};
pub use suggestions::LabelSourceCounts;
pub use tagging::{entity_type, sentences_hash, TagSuggestions};
pub use training::{
    project_split_data, project_split_rows, project_tagged_data, project_training_data, tagged_sentences,
};
pub use types::{now_ms, Annotation, Example, LabelDef, LabelSource, Split};

use journal::{read_snapshot, write_file_atomic, write_snapshot, Journal, Snapshot};

pub const PROJECT_FILE: &str = "project.json";
pub const EXAMPLES_FILE: &str = "examples.jsonl";
/// After this many journal entries the state is written as a snapshot and the journal restarts.
const COMPACT_AFTER: usize = 2_000;

/// What kind of prediction the project is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    SingleLabel,
    MultiLabel,
    TokenClassification,
    Regression,
}

impl Task {
    /// The task in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Task::SingleLabel => "one label per text",
            Task::MultiLabel => "several labels per text",
            Task::TokenClassification => "a tag per word (named entities)",
            Task::Regression => "a number per text (regression)",
        }
    }
}

/// Settings of the project, written once at creation and on rare changes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProjectMeta {
    pub format_version: u32,
    pub name: String,
    pub created_ms: u64,
    pub task: Task,
    /// Where the examples came from (file, SHA-256, format, columns), one entry per imported file.
    pub sources: Vec<serde_json::Value>,
    pub split_seed: u64,
    /// The base model chosen for this project's runs (hub id or folder).
    #[serde(default)]
    pub model: Option<String>,
    /// The run (folder name under runs/) picked as the project's model.
    #[serde(default)]
    pub run: Option<String>,
}

pub struct Project {
    dir: PathBuf,
    pub meta: ProjectMeta,
    imported: Vec<Example>,
    state: State,
    journal: Journal,
    seq: u64,
    undo: Vec<Op>,
    redo: Vec<Op>,
    /// Who is labeling (recorded with each label).
    pub user: String,
    search: filter::SearchIndex,
    pub predictions: Option<Predictions>,
    /// A token classifier's tags for the sentences (projects of tagged sentences).
    pub tag_suggestions: Option<TagSuggestions>,
}

impl Project {
    /// Opens an existing project folder.
    pub fn open(dir: &Path) -> Result<Self, ProjectError> {
        let meta_path = dir.join(PROJECT_FILE);
        let text = std::fs::read_to_string(&meta_path).map_err(|_| ProjectError::NotAProject(dir.to_path_buf()))?;
        let meta: ProjectMeta = serde_json::from_str(&text).map_err(|e| ProjectError::Damaged {
            file: PROJECT_FILE,
            reason: e.to_string(),
            path: meta_path,
        })?;
        let imported = read_examples(&dir.join(EXAMPLES_FILE))?;
        let snapshot = read_snapshot(dir)?;
        let (state, snap_seq) = match snapshot {
            Some(s) => (s.state, s.seq),
            None => {
                return Err(ProjectError::Damaged {
                    file: journal::SNAPSHOT_FILE,
                    reason: "it is missing".into(),
                    path: dir.join(journal::SNAPSHOT_FILE),
                })
            }
        };
        let (journal, entries) = Journal::open(dir, snap_seq)?;
        let mut project = Self {
            dir: dir.to_path_buf(),
            meta,
            imported,
            state,
            journal,
            seq: snap_seq,
            undo: Vec::new(),
            redo: Vec::new(),
            user: default_user(),
            search: filter::SearchIndex::default(),
            predictions: None,
            tag_suggestions: None,
        };
        for (seq, op) in entries {
            let count = project.len();
            project.state.inverse(&op, count).map_err(|e| ProjectError::Damaged {
                file: journal::JOURNAL_FILE,
                reason: format!("change {seq} does not fit the project: {e}"),
                path: dir.join(journal::JOURNAL_FILE),
            })?;
            project.state.apply(&op, count);
            project.seq = seq;
        }
        if project.state.splits.len() != project.len() {
            return Err(ProjectError::Damaged {
                file: journal::SNAPSHOT_FILE,
                reason: "its splits do not match the examples".into(),
                path: dir.join(journal::SNAPSHOT_FILE),
            });
        }
        Ok(project)
    }

    /// Creates a project folder from examples, their initial labels and splits.
    pub fn create(dir: &Path, meta: ProjectMeta, examples: Vec<Example>, state: State) -> Result<Self, ProjectError> {
        if dir.join(PROJECT_FILE).exists() {
            return Err(ProjectError::AlreadyExists(dir.to_path_buf()));
        }
        std::fs::create_dir_all(dir).map_err(|e| ProjectError::write(dir, e))?;
        let mut lines = Vec::with_capacity(examples.len() * 64);
        for ex in &examples {
            serde_json::to_writer(&mut lines, ex).map_err(|e| ProjectError::write(dir, e))?;
            lines.push(b'\n');
        }
        write_file_atomic(&dir.join(EXAMPLES_FILE), &lines)?;
        write_snapshot(dir, &Snapshot { seq: 0, state })?;
        let _ = std::fs::remove_file(dir.join(journal::JOURNAL_FILE));
        // project.json last: a folder without it is not a project, so a crash mid-creation is harmless.
        let meta_bytes = serde_json::to_vec_pretty(&meta).map_err(|e| ProjectError::write(dir, e))?;
        write_file_atomic(&dir.join(PROJECT_FILE), &meta_bytes)?;
        Self::open(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.dir.join("runs")
    }

    /// Number of examples (imported and added).
    pub fn len(&self) -> usize {
        self.imported.len() + self.state.added.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn example(&self, row: usize) -> Option<&Example> {
        if row < self.imported.len() {
            self.imported.get(row)
        } else {
            self.state.added.get(row - self.imported.len())
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn labels(&self) -> &[LabelDef] {
        &self.state.label_defs
    }

    pub fn annotation(&self, row: usize) -> Option<&Annotation> {
        self.state.annotations.get(&row)
    }

    pub fn split(&self, row: usize) -> Split {
        self.state.splits[row]
    }

    pub fn note(&self, row: usize) -> Option<&str> {
        self.state.notes.get(&row).map(String::as_str)
    }

    /// Applies a change durably: checked, journaled and synced, then applied in memory.
    /// On error nothing changes, in memory or on disk.
    pub fn apply(&mut self, op: Op) -> Result<(), ProjectError> {
        if self.meta.task == Task::TokenClassification
            && matches!(op, Op::RenameLabel { .. } | Op::MergeLabels { .. } | Op::DeleteLabel { .. })
        {
            return Err(ProjectError::Invalid(
                "renaming, merging or deleting entity types is not supported yet: the tags of the sentences \
                 would keep the old names; add a new type and tag its words instead"
                    .into(),
            ));
        }
        let inverse = self.commit(&op)?;
        self.undo.push(inverse);
        self.redo.clear();
        Ok(())
    }

    fn commit(&mut self, op: &Op) -> Result<Op, ProjectError> {
        let count = self.len();
        let inverse = self.state.inverse(op, count)?;
        self.journal.append(self.seq + 1, op)?;
        self.seq += 1;
        self.state.apply(op, count);
        if matches!(op, Op::AddExample { .. } | Op::RemoveLastAdded) || self.contains_added(op) {
            self.search = filter::SearchIndex::default();
        }
        if self.journal.pending >= COMPACT_AFTER {
            // A failed compaction loses nothing: the journal still holds every change.
            let _ = self.compact();
        }
        Ok(inverse)
    }

    fn contains_added(&self, op: &Op) -> bool {
        match op {
            Op::Batch { ops } => ops.iter().any(|o| matches!(o, Op::AddExample { .. } | Op::RemoveLastAdded)),
            _ => false,
        }
    }

    /// Undoes the last change (itself a durable change). Returns what was undone.
    pub fn undo(&mut self) -> Result<(), ProjectError> {
        let op = self.undo.pop().ok_or(ProjectError::NothingTo("undo"))?;
        match self.commit(&op) {
            Ok(inverse) => {
                self.redo.push(inverse);
                Ok(())
            }
            Err(e) => {
                self.undo.push(op);
                Err(e)
            }
        }
    }

    pub fn redo(&mut self) -> Result<(), ProjectError> {
        let op = self.redo.pop().ok_or(ProjectError::NothingTo("redo"))?;
        match self.commit(&op) {
            Ok(inverse) => {
                self.undo.push(inverse);
                Ok(())
            }
            Err(e) => {
                self.redo.push(op);
                Err(e)
            }
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Writes the whole state as a snapshot and restarts the journal.
    pub fn compact(&mut self) -> Result<(), ProjectError> {
        write_snapshot(&self.dir, &Snapshot { seq: self.seq, state: self.state.clone() })?;
        self.journal.reset()
    }

    /// A human label on one or more examples (the common case of `apply`).
    pub fn set_labels(&mut self, rows: Vec<usize>, labels: Vec<String>) -> Result<(), ProjectError> {
        let annotation = Annotation { labels, source: LabelSource::Human, by: self.user.clone(), at_ms: now_ms() };
        self.apply(Op::Annotate { rows, annotation })
    }

    /// Writes project.json again (after a settings change such as the chosen model).
    pub fn save_meta(&self) -> Result<(), ProjectError> {
        let bytes = serde_json::to_vec_pretty(&self.meta).map_err(|e| ProjectError::write(&self.dir, e))?;
        write_file_atomic(&self.dir.join(PROJECT_FILE), &bytes)
    }

    /// Rows in a split whose annotation has exactly one label, with that label.
    pub fn single_labeled(&self, split: Split) -> Vec<(usize, &str)> {
        self.state
            .annotations
            .iter()
            .filter(|(&r, a)| self.state.splits[r] == split && a.labels.len() == 1)
            .map(|(&r, a)| (r, a.labels[0].as_str()))
            .collect()
    }
}

fn default_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "analyst".into())
}

fn read_examples(path: &Path) -> Result<Vec<Example>, ProjectError> {
    let damaged = |reason: String| ProjectError::Damaged { file: EXAMPLES_FILE, reason, path: path.to_path_buf() };
    let file = std::fs::File::open(path).map_err(|e| damaged(e.to_string()))?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| damaged(e.to_string()))?;
        if line.is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| damaged(format!("line {} cannot be read: {e}", i + 1)))?);
    }
    Ok(out)
}
