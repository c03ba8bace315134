//! What a training run takes from a project: the labeled examples of the train split (one label,
//! a set of labels, or a number each, by the project's task), and those of the validation split
//! to pick the best checkpoint; both texts of text pairs; the tagged sentences of a
//! token-classification project.

use crate::data::{LabeledTexts, TaggedSentences, TextTargets};

use super::{Project, ProjectError, Split, Task};

fn source_sha256(project: &Project) -> String {
    project.meta.sources.first().and_then(|s| s.get("sha256")).and_then(|s| s.as_str()).unwrap_or_default().to_string()
}

/// The project rows of `project_split_data`, in its order.
pub fn project_split_rows(project: &Project, split: Split) -> Vec<usize> {
    split_targets(project, split).0
}

/// The examples of a split that have what the task learns, with it.
fn split_targets(project: &Project, split: Split) -> (Vec<usize>, Vec<String>, TextTargets) {
    let in_split = |r: usize| project.split(r) == split;
    match project.meta.task {
        Task::MultiLabel => {
            let rows: Vec<(usize, Vec<String>)> = (0..project.len())
                .filter(|&r| in_split(r))
                // An empty set is an answer too: none of the labels applies.
                .filter_map(|r| project.annotation(r).map(|a| (r, a.labels.clone())))
                .collect();
            let shown = rows.iter().map(|(_, l)| l.join("; ")).collect();
            (rows.iter().map(|r| r.0).collect(), shown, TextTargets::LabelSets(rows.into_iter().map(|r| r.1).collect()))
        }
        Task::Regression => {
            let rows: Vec<(usize, f64)> = (0..project.len())
                .filter(|&r| in_split(r))
                .filter_map(|r| project.score_of(r).map(|s| (r, s)))
                .collect();
            let shown = rows.iter().map(|(_, s)| s.to_string()).collect();
            (rows.iter().map(|r| r.0).collect(), shown, TextTargets::Scores(rows.into_iter().map(|r| r.1).collect()))
        }
        _ => {
            let rows = project.single_labeled(split);
            (rows.iter().map(|r| r.0).collect(), rows.iter().map(|r| r.1.to_string()).collect(), TextTargets::OneLabel)
        }
    }
}

/// The examples of a split that have what the project's task learns (one label, a set of labels
/// or a number), with their texts; `project_split_rows` gives their project rows.
pub fn project_split_data(project: &Project, split: Split) -> LabeledTexts {
    let (rows, labels, targets) = split_targets(project, split);
    let sha256 = source_sha256(project);
    // A project of text pairs trains on both texts (a missing second text is empty).
    let has_pairs = rows.iter().any(|&r| project.example(r).is_some_and(|e| e.text_pair.is_some()));
    let pairs = has_pairs.then(|| {
        rows.iter().map(|&r| project.example(r).and_then(|e| e.text_pair.clone()).unwrap_or_default()).collect()
    });
    let what = if project.meta.task == Task::Regression { "number" } else { "label" };
    LabeledTexts {
        pairs,
        pair_column: has_pairs.then(|| "text_pair".to_string()),
        texts: rows.iter().filter_map(|&r| project.example(r).map(|e| e.text.clone())).collect(),
        labels,
        path: project.dir().to_path_buf(),
        sha256,
        text_column: "text".into(),
        label_column: format!("{what} ({} split)", split.name()),
        targets,
        label_separator: None,
    }
}

/// The training and validation data of a project that labels (or scores) whole texts.
pub fn project_training_data(project: &Project) -> Result<(LabeledTexts, Option<LabeledTexts>), ProjectError> {
    if project.meta.task == Task::TokenClassification {
        return Err(ProjectError::Invalid(format!(
            "this project's task is {}; this works on projects that label or score whole texts",
            project.meta.task.describe()
        )));
    }
    let train = project_split_data(project, Split::Train);
    if train.is_empty() {
        let what = if project.meta.task == Task::Regression { "a number" } else { "a label" };
        return Err(ProjectError::Invalid(format!(
            "no example of the train split has {what} yet: label some examples first"
        )));
    }
    let valid = project_split_data(project, Split::Valid);
    Ok((train, (!valid.is_empty()).then_some(valid)))
}

/// The tagged sentences of a split (with the analyst's tag edits), and their project rows.
pub fn tagged_sentences(project: &Project, split: Split) -> (Vec<usize>, TaggedSentences) {
    let mut rows = Vec::new();
    let mut out =
        TaggedSentences { path: project.dir().to_path_buf(), sha256: source_sha256(project), ..Default::default() };
    for row in (0..project.len()).filter(|&r| project.split(r) == split) {
        let words = project.example(row).and_then(|e| e.tokens.as_ref());
        if let (Some(words), Some(tags)) = (words, project.tags_of(row)) {
            if words.len() == tags.len() {
                rows.push(row);
                out.words.push(words.clone());
                out.tags.push(tags.to_vec());
            }
        }
    }
    (rows, out)
}

/// The training and validation sentences of a token-classification project.
pub fn project_tagged_data(project: &Project) -> Result<(TaggedSentences, Option<TaggedSentences>), ProjectError> {
    if project.meta.task != Task::TokenClassification {
        return Err(ProjectError::Invalid(format!(
            "this project's task is {}, not tagging words",
            project.meta.task.describe()
        )));
    }
    let (_, train) = tagged_sentences(project, Split::Train);
    if train.is_empty() {
        return Err(ProjectError::Invalid("the train split has no tagged sentence".into()));
    }
    let (_, valid) = tagged_sentences(project, Split::Valid);
    Ok((train, (!valid.is_empty()).then_some(valid)))
}
