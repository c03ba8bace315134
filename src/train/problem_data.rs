//! A dataset's label column read for a problem: one label per text, sets of labels split on a
//! separator, or numbers; and, when the user does not say, the problem guessed from the cells
//! (any cell with the separator: several labels; numbers that are not all whole: regression).

use crate::data::{DataError, LabeledTexts};
use crate::model::Problem;

/// The separator of multi-label cells unless the user names another.
pub const DEFAULT_LABEL_SEPARATOR: &str = ";";

/// Reads the label cells of `data` as the targets of `problem`.
pub fn targets_for(data: LabeledTexts, problem: Problem, separator: &str) -> Result<LabeledTexts, DataError> {
    match problem {
        Problem::SingleLabel => Ok(data),
        Problem::MultiLabel => data.into_label_sets(separator),
        Problem::Regression => data.into_scores(),
    }
}

/// The problem the label cells look like.
pub fn guess_problem(data: &LabeledTexts, separator: &str) -> Problem {
    let cells = &data.labels;
    if !separator.is_empty() && cells.iter().any(|c| c.contains(separator)) {
        return Problem::MultiLabel;
    }
    let numbers: Option<Vec<f64>> = cells.iter().map(|c| c.trim().parse::<f64>().ok()).collect();
    match numbers {
        Some(values) if values.iter().any(|v| v.fract() != 0.0) => Problem::Regression,
        _ => Problem::SingleLabel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(labels: &[&str]) -> LabeledTexts {
        LabeledTexts {
            texts: labels.iter().map(|_| "t".to_string()).collect(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            path: "x.csv".into(),
            sha256: String::new(),
            text_column: "text".into(),
            label_column: "label".into(),
            pairs: None,
            pair_column: None,
            targets: Default::default(),
            label_separator: None,
        }
    }

    #[test]
    fn problems_are_guessed_from_the_cells() {
        assert_eq!(guess_problem(&cells(&["a", "b;c"]), ";"), Problem::MultiLabel);
        assert_eq!(guess_problem(&cells(&["0", "1"]), ";"), Problem::SingleLabel);
        assert_eq!(guess_problem(&cells(&["0.5", "1"]), ";"), Problem::Regression);
        assert_eq!(guess_problem(&cells(&["pos", "neg"]), ";"), Problem::SingleLabel);
    }
}
