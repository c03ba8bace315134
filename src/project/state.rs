//! The mutable part of a project — label set, annotations, notes, splits, added examples — and
//! the operations that change it. Every change is an `Op`; applying one returns its inverse, which
//! is what undo applies. Ops are also what the journal stores, so replaying them rebuilds the state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::types::{default_colour, default_hotkey, Annotation, Example, LabelDef, Split};
use super::ProjectError;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub label_defs: Vec<LabelDef>,
    /// Annotations by example index (absent: unlabeled).
    pub annotations: BTreeMap<usize, Annotation>,
    pub notes: BTreeMap<usize, String>,
    pub splits: Vec<Split>,
    /// Examples added in Attune (counterfactual probes), after the imported ones.
    pub added: Vec<Example>,
    /// Token classification: sentences whose tags were edited, with the whole tag sequence (one
    /// IOB2 tag per word) as the annotation's labels. They replace the imported tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tag_edits: BTreeMap<usize, Annotation>,
    /// Regression: examples whose number was set in Attune, the number (as text) as the
    /// annotation's one label. They replace the imported scores.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub score_edits: BTreeMap<usize, Annotation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Sets the same annotation on many examples.
    Annotate {
        rows: Vec<usize>,
        annotation: Annotation,
    },
    ClearLabels {
        rows: Vec<usize>,
    },
    /// Puts back the given annotations exactly (None: unlabeled). The inverse of label changes.
    RestoreAnnotations {
        entries: Vec<(usize, Option<Annotation>)>,
    },
    SetNote {
        row: usize,
        note: Option<String>,
    },
    AddLabel {
        name: String,
    },
    RenameLabel {
        from: String,
        to: String,
    },
    /// Moves every example labeled with one of `from` to `into`, and removes `from` from the set.
    MergeLabels {
        from: Vec<String>,
        into: String,
    },
    DeleteLabel {
        name: String,
    },
    SetLabelStyle {
        name: String,
        colour: [u8; 3],
        hotkey: Option<char>,
    },
    /// Replaces the label set exactly (the inverse of label-set changes).
    RestoreLabelDefs {
        defs: Vec<LabelDef>,
    },
    SetSplit {
        rows: Vec<usize>,
        split: Split,
    },
    RestoreSplits {
        entries: Vec<(usize, Split)>,
    },
    AddExample {
        example: Example,
        split: Split,
    },
    /// Removes the last added example (the inverse of AddExample).
    RemoveLastAdded,
    /// Sets the tags of one sentence (one IOB2 tag per word), or with None puts back its
    /// imported tags.
    SetTags {
        row: usize,
        annotation: Option<Annotation>,
    },
    /// Sets the number of one example (regression), or with None puts back its imported one.
    SetScore {
        row: usize,
        annotation: Option<Annotation>,
    },
    /// Several ops as one step (one undo).
    Batch {
        ops: Vec<Op>,
    },
}

impl State {
    pub fn label_index(&self, name: &str) -> Option<usize> {
        self.label_defs.iter().position(|d| d.name == name)
    }

    fn require_label(&self, name: &str) -> Result<(), ProjectError> {
        self.label_index(name).map(|_| ()).ok_or_else(|| ProjectError::UnknownLabel(name.into()))
    }

    fn new_label(&self, name: &str) -> LabelDef {
        let n = self.label_defs.len();
        let used: Vec<char> = self.label_defs.iter().filter_map(|d| d.hotkey).collect();
        let hotkey = default_hotkey(n).filter(|k| !used.contains(k));
        LabelDef { name: name.to_string(), colour: default_colour(n), hotkey }
    }

    fn check_rows(&self, rows: &[usize], count: usize) -> Result<(), ProjectError> {
        match rows.iter().find(|&&r| r >= count) {
            Some(&row) => Err(ProjectError::NoSuchRow { row, count }),
            None => Ok(()),
        }
    }

    fn snapshot_annotations(&self, rows: impl Iterator<Item = usize>) -> Op {
        Op::RestoreAnnotations { entries: rows.map(|r| (r, self.annotations.get(&r).cloned())).collect() }
    }

    /// Checks an op against the state and returns its inverse, without changing anything.
    pub fn inverse(&self, op: &Op, example_count: usize) -> Result<Op, ProjectError> {
        let labels_and_defs = |s: &State, rows: Vec<usize>| Op::Batch {
            ops: vec![s.snapshot_annotations(rows.into_iter()), Op::RestoreLabelDefs { defs: s.label_defs.clone() }],
        };
        Ok(match op {
            Op::Annotate { rows, annotation } => {
                self.check_rows(rows, example_count)?;
                for l in &annotation.labels {
                    self.require_label(l)?;
                }
                self.snapshot_annotations(rows.iter().copied())
            }
            Op::ClearLabels { rows } => {
                self.check_rows(rows, example_count)?;
                self.snapshot_annotations(rows.iter().copied())
            }
            Op::RestoreAnnotations { entries } => {
                self.check_rows(&entries.iter().map(|e| e.0).collect::<Vec<_>>(), example_count)?;
                self.snapshot_annotations(entries.iter().map(|e| e.0))
            }
            Op::SetNote { row, .. } => {
                self.check_rows(&[*row], example_count)?;
                Op::SetNote { row: *row, note: self.notes.get(row).cloned() }
            }
            Op::AddLabel { name } => {
                if name.trim().is_empty() {
                    return Err(ProjectError::Invalid("a label needs a name".into()));
                }
                if self.label_index(name).is_some() {
                    return Err(ProjectError::LabelExists(name.clone()));
                }
                Op::RestoreLabelDefs { defs: self.label_defs.clone() }
            }
            Op::RenameLabel { from, to } => {
                self.require_label(from)?;
                if from != to && self.label_index(to).is_some() {
                    return Err(ProjectError::LabelExists(to.clone()));
                }
                labels_and_defs(self, self.rows_with_any(std::slice::from_ref(from)))
            }
            Op::MergeLabels { from, into } => {
                for l in from.iter().chain(std::iter::once(into)) {
                    self.require_label(l)?;
                }
                labels_and_defs(self, self.rows_with_any(from))
            }
            Op::DeleteLabel { name } => {
                self.require_label(name)?;
                labels_and_defs(self, self.rows_with_any(std::slice::from_ref(name)))
            }
            Op::SetLabelStyle { name, .. } => {
                self.require_label(name)?;
                Op::RestoreLabelDefs { defs: self.label_defs.clone() }
            }
            Op::RestoreLabelDefs { .. } => Op::RestoreLabelDefs { defs: self.label_defs.clone() },
            Op::SetSplit { rows, .. } => {
                self.check_rows(rows, example_count)?;
                Op::RestoreSplits { entries: rows.iter().map(|&r| (r, self.splits[r])).collect() }
            }
            Op::RestoreSplits { entries } => {
                self.check_rows(&entries.iter().map(|e| e.0).collect::<Vec<_>>(), example_count)?;
                Op::RestoreSplits { entries: entries.iter().map(|&(r, _)| (r, self.splits[r])).collect() }
            }
            Op::AddExample { example, .. } => {
                if example.text.trim().is_empty() {
                    return Err(ProjectError::Invalid("the new example has no text".into()));
                }
                Op::RemoveLastAdded
            }
            Op::RemoveLastAdded => {
                let row = example_count
                    .checked_sub(1)
                    .filter(|_| !self.added.is_empty())
                    .ok_or(ProjectError::NothingTo("remove"))?;
                Op::Batch {
                    ops: vec![
                        Op::AddExample { example: self.added[self.added.len() - 1].clone(), split: self.splits[row] },
                        self.snapshot_annotations(std::iter::once(row)),
                        Op::SetNote { row, note: self.notes.get(&row).cloned() },
                    ],
                }
            }
            Op::SetTags { row, annotation } => {
                self.check_rows(&[*row], example_count)?;
                for tag in annotation.iter().flat_map(|a| &a.labels) {
                    match tag.split_once('-') {
                        Some(("B" | "I", kind)) => self.require_label(kind)?,
                        _ if tag == "O" => {}
                        _ => {
                            return Err(ProjectError::Invalid(format!(
                                "\"{tag}\" is not an IOB2 tag (O, B-TYPE, I-TYPE)"
                            )))
                        }
                    }
                }
                Op::SetTags { row: *row, annotation: self.tag_edits.get(row).cloned() }
            }
            Op::SetScore { row, annotation } => {
                self.check_rows(&[*row], example_count)?;
                if let Some(a) = annotation {
                    super::scores::parse_score(&a.labels.join(" "))?;
                }
                Op::SetScore { row: *row, annotation: self.score_edits.get(row).cloned() }
            }
            Op::Batch { ops } => {
                // Inverses are computed against the state as it will be when each op runs.
                let mut scratch = self.clone();
                let mut count = example_count;
                let mut inverses = Vec::with_capacity(ops.len());
                for op in ops {
                    inverses.push(scratch.inverse(op, count)?);
                    count = scratch.apply(op, count);
                }
                inverses.reverse();
                Op::Batch { ops: inverses }
            }
        })
    }

    /// Applies a checked op. Returns the new number of examples.
    pub fn apply(&mut self, op: &Op, example_count: usize) -> usize {
        match op {
            Op::Annotate { rows, annotation } => {
                for &r in rows {
                    self.annotations.insert(r, annotation.clone());
                }
            }
            Op::ClearLabels { rows } => {
                for r in rows {
                    self.annotations.remove(r);
                }
            }
            Op::RestoreAnnotations { entries } => {
                for (r, a) in entries {
                    match a {
                        Some(a) => self.annotations.insert(*r, a.clone()),
                        None => self.annotations.remove(r),
                    };
                }
            }
            Op::SetNote { row, note } => match note {
                Some(n) if !n.is_empty() => {
                    self.notes.insert(*row, n.clone());
                }
                _ => {
                    self.notes.remove(row);
                }
            },
            Op::AddLabel { name } => {
                let def = self.new_label(name);
                self.label_defs.push(def);
            }
            Op::RenameLabel { from, to } => {
                if let Some(i) = self.label_index(from) {
                    self.label_defs[i].name = to.clone();
                }
                self.relabel(|l| if l == from { Some(to.clone()) } else { Some(l.to_string()) });
            }
            Op::MergeLabels { from, into } => {
                self.relabel(|l| if from.iter().any(|f| f == l) { Some(into.clone()) } else { Some(l.to_string()) });
                self.label_defs.retain(|d| &d.name == into || !from.contains(&d.name));
            }
            Op::DeleteLabel { name } => {
                self.relabel(|l| if l == name { None } else { Some(l.to_string()) });
                self.label_defs.retain(|d| &d.name != name);
            }
            Op::SetLabelStyle { name, colour, hotkey } => {
                if hotkey.is_some() {
                    for d in &mut self.label_defs {
                        if d.hotkey == *hotkey {
                            d.hotkey = None;
                        }
                    }
                }
                if let Some(i) = self.label_index(name) {
                    self.label_defs[i].colour = *colour;
                    self.label_defs[i].hotkey = *hotkey;
                }
            }
            Op::RestoreLabelDefs { defs } => self.label_defs = defs.clone(),
            Op::SetSplit { rows, split } => {
                for &r in rows {
                    self.splits[r] = *split;
                }
            }
            Op::RestoreSplits { entries } => {
                for &(r, s) in entries {
                    self.splits[r] = s;
                }
            }
            Op::AddExample { example, split } => {
                self.added.push(example.clone());
                self.splits.push(*split);
                return example_count + 1;
            }
            Op::RemoveLastAdded => {
                self.added.pop();
                self.splits.pop();
                let row = example_count - 1;
                self.annotations.remove(&row);
                self.notes.remove(&row);
                return row;
            }
            Op::SetTags { row, annotation } => {
                match annotation {
                    Some(a) => self.tag_edits.insert(*row, a.clone()),
                    None => self.tag_edits.remove(row),
                };
            }
            Op::SetScore { row, annotation } => {
                match annotation {
                    Some(a) => self.score_edits.insert(*row, a.clone()),
                    None => self.score_edits.remove(row),
                };
            }
            Op::Batch { ops } => {
                let mut count = example_count;
                for op in ops {
                    count = self.apply(op, count);
                }
                return count;
            }
        }
        example_count
    }

    fn rows_with_any(&self, labels: &[String]) -> Vec<usize> {
        self.annotations.iter().filter(|(_, a)| a.labels.iter().any(|l| labels.contains(l))).map(|(&r, _)| r).collect()
    }

    /// Maps every annotation's labels (None drops a label); annotations left empty are removed.
    fn relabel(&mut self, map: impl Fn(&str) -> Option<String>) {
        let mut emptied = Vec::new();
        for (row, a) in self.annotations.iter_mut() {
            let mut labels: Vec<String> = Vec::with_capacity(a.labels.len());
            for l in a.labels.iter().filter_map(|l| map(l)) {
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            if labels.is_empty() {
                emptied.push(*row);
            }
            a.labels = labels;
        }
        for r in emptied {
            self.annotations.remove(&r);
        }
    }
}
