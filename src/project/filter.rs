//! Finding examples: by text (substring, case-insensitive, or regular expression), by label (for
//! tagged sentences, by entity type), by split, unlabeled ones (sentences without entities), ones
//! the model disagrees with; sorted by row or by model confidence (for tagged sentences, the
//! confidence of the suggested tags: their least sure word).
//! Substring search runs over a lowercased copy built on first use, on all cores.

use memchr::memmem::Finder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Project, ProjectError, Split};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TextQuery {
    /// Case-insensitive substring.
    Substring(String),
    /// Regular expression (case-insensitive unless it says otherwise).
    Regex(String),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub text: Option<TextQuery>,
    /// Examples carrying this label (tagged sentences: with an entity of this type).
    pub label: Option<String>,
    pub split: Option<Split>,
    /// Only examples without a label (tagged sentences: without any entity).
    pub unlabeled: bool,
    /// Only labeled examples whose model prediction differs from the label.
    pub disagrees: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortOrder {
    #[default]
    Row,
    /// Least confident predictions first (what to look at next).
    ConfidenceAscending,
    ConfidenceDescending,
}

/// A model's prediction for every example of the project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Predictions {
    /// The run that made them.
    pub run: String,
    pub labels: Vec<String>,
    pub confidence: Vec<f32>,
    /// Probability of the best label minus that of the second best (small: unsure).
    #[serde(default)]
    pub margin: Vec<f32>,
    /// Entropy of the label probabilities in nats (large: unsure).
    #[serde(default)]
    pub entropy: Vec<f32>,
}

#[derive(Default)]
pub(super) struct SearchIndex {
    lower: Option<Vec<String>>,
}

impl Project {
    fn lowercased(&mut self) -> &[String] {
        if self.search.lower.is_none() {
            let texts: Vec<String> = (0..self.len())
                .into_par_iter()
                .map(|r| {
                    let ex = self.example(r).map(|e| (e.text.as_str(), e.text_pair.as_deref()));
                    match ex {
                        Some((t, Some(p))) => format!("{}\n{}", t.to_lowercase(), p.to_lowercase()),
                        Some((t, None)) => t.to_lowercase(),
                        None => String::new(),
                    }
                })
                .collect();
            self.search.lower = Some(texts);
        }
        self.search.lower.as_deref().unwrap_or(&[])
    }

    /// The rows matching a filter, in the requested order.
    pub fn query(&mut self, filter: &Filter, sort: SortOrder) -> Result<Vec<usize>, ProjectError> {
        let text_hits: Option<Vec<bool>> = match &filter.text {
            None => None,
            Some(TextQuery::Substring(s)) if s.is_empty() => None,
            Some(TextQuery::Substring(s)) => {
                let needle = s.to_lowercase();
                let finder = Finder::new(needle.as_bytes());
                Some(self.lowercased().par_iter().map(|t| finder.find(t.as_bytes()).is_some()).collect())
            }
            Some(TextQuery::Regex(pattern)) => {
                let re = regex::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| ProjectError::BadPattern(e.to_string()))?;
                Some(
                    (0..self.len())
                        .into_par_iter()
                        .map(|r| {
                            self.example(r).is_some_and(|e| {
                                re.is_match(&e.text) || e.text_pair.as_deref().is_some_and(|p| re.is_match(p))
                            })
                        })
                        .collect(),
                )
            }
        };
        if let Some(label) = &filter.label {
            if self.state.label_index(label).is_none() {
                return Err(ProjectError::UnknownLabel(label.clone()));
            }
        }
        if filter.disagrees && self.predictions.is_none() {
            return Err(ProjectError::Invalid(
                "there are no model predictions yet: train a model or load a run's suggestions first".into(),
            ));
        }
        let state = &self.state;
        let predictions = self.predictions.as_ref();
        // One pass over the sorted annotations instead of a map lookup per row.
        let mut dense: Vec<Option<&super::Annotation>> = vec![None; self.len()];
        for (&r, a) in &state.annotations {
            if let Some(slot) = dense.get_mut(r) {
                *slot = Some(a);
            }
        }
        // Tagged sentences are filtered by the entity types of their tags as they stand.
        let tags_words = self.meta.task == super::Task::TokenClassification;
        let mut rows: Vec<usize> = (0..self.len())
            .into_par_iter()
            .filter(|&r| {
                if text_hits.as_ref().is_some_and(|h| !h[r]) {
                    return false;
                }
                if filter.split.is_some_and(|s| state.splits[r] != s) {
                    return false;
                }
                if tags_words {
                    let mut types = self.tags_of(r).unwrap_or_default().iter().filter_map(|t| super::entity_type(t));
                    return match (&filter.label, filter.unlabeled) {
                        (_, true) => types.next().is_none() && filter.label.is_none(),
                        (Some(label), false) => types.any(|t| t == label),
                        (None, false) => true,
                    };
                }
                let annotation = dense[r];
                if filter.unlabeled && annotation.is_some() {
                    return false;
                }
                if let Some(label) = &filter.label {
                    if !annotation.is_some_and(|a| a.labels.contains(label)) {
                        return false;
                    }
                }
                if filter.disagrees {
                    let predicted = predictions.and_then(|p| p.labels.get(r));
                    match (annotation, predicted) {
                        (Some(a), Some(p)) if !a.labels.contains(p) => {}
                        _ => return false,
                    }
                }
                true
            })
            .collect();
        // The model's confidence: in its label, or (tagged sentences) in its least sure word's tag.
        let confidence = match (predictions, &self.tag_suggestions) {
            (Some(p), _) => Some(&p.confidence),
            (None, Some(t)) if tags_words => Some(&t.confidence),
            _ => None,
        };
        if let Some(confidence) = confidence {
            let conf = |r: usize| confidence.get(r).copied().unwrap_or(f32::NAN);
            match sort {
                SortOrder::Row => {}
                SortOrder::ConfidenceAscending => rows.sort_by(|&a, &b| conf(a).total_cmp(&conf(b))),
                SortOrder::ConfidenceDescending => rows.sort_by(|&a, &b| conf(b).total_cmp(&conf(a))),
            }
        }
        Ok(rows)
    }
}
