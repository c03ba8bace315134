//! What each text of a dataset is learned against beyond one label: a set of labels (multi-label,
//! cells like `billing;refund`) or a number (regression). The labels as read stay in
//! `LabeledTexts::labels`; these turn them into sets or numbers, with a message naming the row
//! that does not fit.

use super::table::{label_set, LabeledTexts};
use super::DataError;

/// What each text is learned against.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TextTargets {
    /// One label per text: `LabeledTexts::labels`.
    #[default]
    OneLabel,
    /// Any number of labels per text.
    LabelSets(Vec<Vec<String>>),
    /// A number per text.
    Scores(Vec<f64>),
}

impl LabeledTexts {
    /// Reads each label cell as a set of labels split on `separator` (trimmed, empty pieces and
    /// repeats dropped). Whether there is anything to learn is `require_targets`'s question (data
    /// to evaluate on may have no label at all).
    pub fn into_label_sets(mut self, separator: &str) -> Result<Self, DataError> {
        if separator.is_empty() {
            return Err(DataError::Import("the label separator is empty: give one, e.g. ';'".into()));
        }
        let sets = self.labels.iter().map(|cell| split_label_cell(cell, separator)).collect();
        self.targets = TextTargets::LabelSets(sets);
        self.label_separator = Some(separator.to_string());
        Ok(self)
    }

    /// Reads each label cell as a number.
    pub fn into_scores(mut self) -> Result<Self, DataError> {
        let mut scores = Vec::with_capacity(self.labels.len());
        for (row, cell) in self.labels.iter().enumerate() {
            match cell.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => scores.push(v),
                _ => {
                    return Err(DataError::Import(format!(
                        "example {} has \"{cell}\" in column \"{}\", which is not a number; a regression \
                         needs a number in every row — {}",
                        row + 1,
                        self.label_column,
                        self.path.display()
                    )))
                }
            }
        }
        self.targets = TextTargets::Scores(scores);
        Ok(self)
    }

    /// The distinct labels of label sets (or of single labels), sorted.
    pub fn label_names(&self) -> Vec<String> {
        match &self.targets {
            TextTargets::LabelSets(sets) => label_set(&sets.iter().flatten().cloned().collect::<Vec<_>>()),
            _ => label_set(&self.labels),
        }
    }

    /// Fails when there is nothing to learn: fewer than two classes, no label in any set, or
    /// scores that are all the same.
    pub fn require_targets(&self) -> Result<(), DataError> {
        let what = match &self.targets {
            TextTargets::OneLabel => return self.require_two_classes(),
            TextTargets::LabelSets(_) if self.label_names().is_empty() => {
                "no example has a label, so there is nothing to learn; check the label column and the separator"
            }
            TextTargets::Scores(s) if s.windows(2).all(|w| w[0] == w[1]) => {
                "every example has the same number, so there is nothing to learn; give examples with different numbers"
            }
            _ => return Ok(()),
        };
        Err(DataError::Import(format!("{what} ({}) — {}", self.label_column, self.path.display())))
    }

    /// The examples at these rows, in this order.
    pub fn select(&self, rows: &[usize]) -> Self {
        let pick = |v: &Vec<String>| rows.iter().filter_map(|&r| v.get(r).cloned()).collect();
        Self {
            texts: pick(&self.texts),
            labels: pick(&self.labels),
            pairs: self.pairs.as_ref().map(pick),
            targets: match &self.targets {
                TextTargets::OneLabel => TextTargets::OneLabel,
                TextTargets::LabelSets(s) => {
                    TextTargets::LabelSets(rows.iter().filter_map(|&r| s.get(r).cloned()).collect())
                }
                TextTargets::Scores(s) => TextTargets::Scores(rows.iter().filter_map(|&r| s.get(r).copied()).collect()),
            },
            ..self.clone()
        }
    }

    /// Keeps the first `n` examples.
    pub fn truncate(&mut self, n: usize) {
        let rows: Vec<usize> = (0..n.min(self.len())).collect();
        *self = self.select(&rows);
    }
}

/// The labels of one multi-label cell.
pub fn split_label_cell(cell: &str, separator: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in cell.split(separator).map(str::trim).filter(|p| !p.is_empty()) {
        if !out.iter().any(|l| l == piece) {
            out.push(piece.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn data(labels: &[&str]) -> LabeledTexts {
        LabeledTexts {
            texts: labels.iter().enumerate().map(|(i, _)| format!("t{i}")).collect(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            path: PathBuf::from("x.csv"),
            sha256: String::new(),
            text_column: "text".into(),
            label_column: "labels".into(),
            pairs: None,
            pair_column: None,
            targets: TextTargets::OneLabel,
            label_separator: None,
        }
    }

    #[test]
    fn label_cells_split_into_sets() {
        let d = data(&["billing; refund", "refund;;refund", ""]).into_label_sets(";").unwrap();
        assert_eq!(d.label_separator.as_deref(), Some(";"));
        assert_eq!(
            d.targets,
            TextTargets::LabelSets(vec![vec!["billing".into(), "refund".into()], vec!["refund".into()], vec![]])
        );
        assert_eq!(d.label_names(), vec!["billing", "refund"]);
        assert_eq!(d.select(&[1]).targets, TextTargets::LabelSets(vec![vec!["refund".into()]]));
        assert!(data(&["", ""]).into_label_sets(";").unwrap().require_targets().is_err(), "nothing to learn");
    }

    #[test]
    fn scores_must_be_numbers_and_vary() {
        let d = data(&["0.5", " 2", "-1e1"]).into_scores().unwrap();
        assert_eq!(d.targets, TextTargets::Scores(vec![0.5, 2.0, -10.0]));
        let err = data(&["0.5", "high"]).into_scores().unwrap_err().to_string();
        assert!(err.contains("example 2") && err.contains("high"), "{err}");
        let constant = data(&["1", "1.0"]).into_scores().unwrap();
        assert!(constant.require_targets().is_err(), "nothing to learn, but it can be evaluated on");
        let mut d = d;
        d.truncate(2);
        assert_eq!((d.len(), d.targets), (2, TextTargets::Scores(vec![0.5, 2.0])));
    }
}
