//! Creating a project from imported files: examples, the label set found in them, imported labels
//! recorded as such, and splits (fixed per file, or seeded and stratified by label).

use std::collections::BTreeMap;
use std::path::Path;

use crate::data::import::Imported;
use crate::data::label_set;

use super::types::{default_colour, default_hotkey};
use super::{
    entity_type, now_ms, stratified_splits, Annotation, Example, LabelDef, LabelSource, Project, ProjectError,
    ProjectMeta, Split, State, Task,
};

/// How examples without a fixed split are divided.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitPlan {
    pub train: f64,
    pub valid: f64,
}

impl Default for SplitPlan {
    fn default() -> Self {
        Self { train: 0.8, valid: 0.1 }
    }
}

#[derive(Clone, Debug)]
pub struct CreateOptions {
    pub name: String,
    pub seed: u64,
    pub split: SplitPlan,
}

/// Creates a project in `dir` from imported files, each with a fixed split or None (split by plan).
pub fn create_from_import(
    dir: &Path,
    files: Vec<(Imported, Option<Split>)>,
    opts: &CreateOptions,
) -> Result<Project, ProjectError> {
    let total: usize = files.iter().map(|(i, _)| i.rows.len()).sum();
    if total == 0 {
        return Err(ProjectError::Invalid("the imported files have no examples".into()));
    }
    let mut examples = Vec::with_capacity(total);
    let mut labels: Vec<Vec<String>> = Vec::with_capacity(total);
    let mut fixed: Vec<Option<Split>> = Vec::with_capacity(total);
    let mut sources = Vec::new();
    for (imported, split) in files {
        let mut source = serde_json::to_value(&imported.source).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut source {
            map.insert("rows".into(), imported.rows.len().into());
            map.insert("problems".into(), imported.report.problems.len().into());
            map.insert("split".into(), serde_json::to_value(split).unwrap_or_default());
        }
        sources.push(source);
        for row in imported.rows {
            labels.push(row.labels.clone());
            fixed.push(split);
            examples.push(Example {
                source_row: Some(row.source_row),
                text: row.text,
                text_pair: row.text_pair,
                score: row.score,
                tokens: row.tokens,
                tags: row.tags,
            });
        }
    }
    let task = detect_task(&examples, &labels);
    let mut all: Vec<String> = labels.iter().flatten().cloned().collect();
    if task == Task::TokenClassification {
        // The label set of tagged sentences is their entity types (PER, LOC, …).
        all = examples
            .iter()
            .flat_map(|e| e.tags.iter().flatten())
            .filter_map(|t| entity_type(t).map(String::from))
            .collect();
    }
    let names = label_set(&all);
    let label_defs: Vec<LabelDef> = names
        .iter()
        .enumerate()
        .map(|(i, n)| LabelDef { name: n.clone(), colour: default_colour(i), hotkey: default_hotkey(i) })
        .collect();
    let strata: Vec<Option<String>> = labels.iter().map(|l| l.first().cloned()).collect();
    let planned = stratified_splits(&strata, (opts.split.train, opts.split.valid), opts.seed);
    let splits: Vec<Split> = fixed.iter().zip(planned).map(|(f, p)| f.unwrap_or(p)).collect();
    let at_ms = now_ms();
    let annotations: BTreeMap<usize, Annotation> = labels
        .into_iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, labels)| (i, Annotation { labels, source: LabelSource::Imported, by: "import".into(), at_ms }))
        .collect();
    let meta = ProjectMeta {
        format_version: 1,
        name: opts.name.clone(),
        created_ms: at_ms,
        task,
        sources,
        split_seed: opts.seed,
        model: None,
        run: None,
    };
    let state = State { label_defs, annotations, splits, ..State::default() };
    Project::create(dir, meta, examples, state)
}

fn detect_task(examples: &[Example], labels: &[Vec<String>]) -> Task {
    if examples.iter().any(|e| e.tags.is_some()) {
        Task::TokenClassification
    } else if labels.iter().any(|l| l.len() > 1) {
        Task::MultiLabel
    } else if labels.iter().all(|l| l.is_empty()) && examples.iter().any(|e| e.score.is_some()) {
        Task::Regression
    } else {
        Task::SingleLabel
    }
}
