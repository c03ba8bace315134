//! Regression projects: the number of each example as it stands (the analyst's, else the
//! imported one), and setting it as a journaled, undoable change with who and when.

use super::state::Op;
use super::types::{now_ms, Annotation, LabelSource};
use super::{Project, ProjectError, Task};

/// A typed number, or a message that says what to type.
pub fn parse_score(text: &str) -> Result<f64, ProjectError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ProjectError::Invalid("Type a number first, such as 3 or 0.75".into()));
    }
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(ProjectError::Invalid(format!("“{text}” is not a number; type a number such as 3 or 0.75"))),
    }
}

impl Project {
    /// The number of an example: the one set in Attune, else the imported one.
    pub fn score_of(&self, row: usize) -> Option<f64> {
        match self.state.score_edits.get(&row) {
            Some(a) => a.labels.first().and_then(|s| s.parse().ok()),
            None => self.example(row)?.score,
        }
    }

    /// Who set the number of an example in Attune, if anyone did.
    pub fn score_edit(&self, row: usize) -> Option<&Annotation> {
        self.state.score_edits.get(&row)
    }

    /// Sets the number of an example (regression projects); None puts back the imported number.
    pub fn set_score(&mut self, row: usize, score: Option<f64>) -> Result<(), ProjectError> {
        if self.meta.task != Task::Regression {
            return Err(ProjectError::Invalid(format!(
                "this project's task is {}; numbers are set in regression projects",
                self.meta.task.describe()
            )));
        }
        if score.is_some_and(|s| !s.is_finite()) {
            return Err(ProjectError::Invalid("the number must be finite".into()));
        }
        let annotation = score.map(|s| Annotation {
            labels: vec![s.to_string()],
            source: LabelSource::Human,
            by: self.user.clone(),
            at_ms: now_ms(),
        });
        self.apply(Op::SetScore { row, annotation })
    }
}
