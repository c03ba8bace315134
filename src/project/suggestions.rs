//! Accepting the model's suggestions: each accepted label is recorded as such — the run that
//! suggested it and its confidence, who accepted it and when — so reports can tell human labels
//! from accepted ones. One accept of many rows is one change (one undo).

use super::{now_ms, Annotation, LabelSource, Op, Predictions, Project, ProjectError};

impl Project {
    /// Accepts the model's suggestion for each row as its label.
    pub fn accept_suggestions(&mut self, rows: &[usize], predictions: &Predictions) -> Result<usize, ProjectError> {
        let at_ms = now_ms();
        let mut ops = Vec::with_capacity(rows.len());
        for &row in rows {
            let (Some(label), Some(&confidence)) = (predictions.labels.get(row), predictions.confidence.get(row))
            else {
                return Err(ProjectError::Invalid(format!(
                    "there is no suggestion for example {row}; make suggestions again with the current model"
                )));
            };
            if self.state().label_index(label).is_none() {
                return Err(ProjectError::UnknownLabel(label.clone()));
            }
            let annotation = Annotation {
                labels: vec![label.clone()],
                source: LabelSource::AcceptedSuggestion { model: predictions.run.clone(), confidence },
                by: self.user.clone(),
                at_ms,
            };
            ops.push(Op::Annotate { rows: vec![row], annotation });
        }
        let n = ops.len();
        match n {
            0 => {}
            1 => self.apply(ops.remove(0))?,
            _ => self.apply(Op::Batch { ops })?,
        }
        Ok(n)
    }

    /// How many labels were set by people, accepted from the model, or imported.
    pub fn label_sources(&self) -> LabelSourceCounts {
        let mut counts = LabelSourceCounts::default();
        for a in self.state().annotations.values() {
            match a.source {
                LabelSource::Human => counts.human += 1,
                LabelSource::AcceptedSuggestion { .. } => counts.accepted += 1,
                LabelSource::Imported => counts.imported += 1,
            }
        }
        counts
    }
}

/// Counts of labels by where they came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LabelSourceCounts {
    pub human: usize,
    pub accepted: usize,
    pub imported: usize,
}
