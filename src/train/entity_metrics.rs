//! Entity-level metrics of token classification, as seqeval computes them in strict mode with
//! the IOB2 scheme: an entity is a `B-X` followed by any `I-X` of the same type; an `I-` that
//! does not continue an entity of its type starts nothing and is not counted. An entity is right
//! only when its type, start and end all match. Per type: precision, recall, F1 and support (true
//! entities); micro (pooled counts) and macro (unweighted mean over the types that occur in the
//! truth or the predictions) averages; a 0/0 is 0. Also the token-level confusion of tags.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

/// Precision, recall, F1 and support of one type or one average.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct EntityScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Entity-level and token-level measures of tagged sentences.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntityMetrics {
    pub micro: EntityScores,
    pub macro_avg: EntityScores,
    pub per_type: BTreeMap<String, EntityScores>,
    /// The tags of the token-level confusion matrix, in order.
    pub tags: Vec<String>,
    /// Rows: true tag; columns: predicted tag (tokens).
    pub token_confusion: Vec<Vec<usize>>,
    pub token_accuracy: f64,
}

/// The entities of one sentence as (type, start, end) with `end` exclusive.
pub fn entities(tags: &[String]) -> Vec<(String, usize, usize)> {
    let split = |t: &str| -> (char, String) {
        let mut chars = t.chars();
        let prefix = chars.next().unwrap_or('O');
        let kind = chars.as_str().trim_matches('-');
        (prefix, if kind.is_empty() { "_".to_string() } else { kind.to_string() })
    };
    let parsed: Vec<(char, String)> = tags.iter().map(|t| split(t)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < parsed.len() {
        let (prefix, kind) = &parsed[i];
        if *prefix != 'B' {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < parsed.len() && parsed[end].0 == 'I' && &parsed[end].1 == kind {
            end += 1;
        }
        out.push((kind.clone(), i, end));
        i = end;
    }
    out
}

fn scores(tp: usize, predicted: usize, support: usize) -> EntityScores {
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    EntityScores { precision, recall, f1, support }
}

impl EntityMetrics {
    /// Measures predicted tag sequences against the true ones (sentence by sentence, same lengths;
    /// a shorter prediction counts its missing tokens as `O`).
    pub fn compute(truth: &[Vec<String>], predicted: &[Vec<String>]) -> Self {
        let mut true_entities: HashSet<(usize, String, usize, usize)> = HashSet::new();
        let mut predicted_entities: HashSet<(usize, String, usize, usize)> = HashSet::new();
        let outside = "O".to_string();
        let mut tag_set: BTreeSet<String> = BTreeSet::new();
        for (s, (t, p)) in truth.iter().zip(predicted).enumerate() {
            true_entities.extend(entities(t).into_iter().map(|(k, a, b)| (s, k, a, b)));
            predicted_entities.extend(entities(p).into_iter().map(|(k, a, b)| (s, k, a, b)));
            tag_set.extend(t.iter().cloned());
            tag_set.extend(p.iter().cloned());
        }
        let types: BTreeSet<String> =
            true_entities.iter().chain(&predicted_entities).map(|(_, k, _, _)| k.clone()).collect();
        let mut per_type = BTreeMap::new();
        let (mut tp_all, mut pred_all, mut true_all) = (0, 0, 0);
        for kind in &types {
            let truth_of: HashSet<_> = true_entities.iter().filter(|e| &e.1 == kind).collect();
            let pred_of: Vec<_> = predicted_entities.iter().filter(|e| &e.1 == kind).collect();
            let tp = pred_of.iter().filter(|e| truth_of.contains(**e)).count();
            per_type.insert(kind.clone(), scores(tp, pred_of.len(), truth_of.len()));
            (tp_all, pred_all, true_all) = (tp_all + tp, pred_all + pred_of.len(), true_all + truth_of.len());
        }
        let n = types.len().max(1) as f64;
        let macro_avg = EntityScores {
            precision: per_type.values().map(|s| s.precision).sum::<f64>() / n,
            recall: per_type.values().map(|s| s.recall).sum::<f64>() / n,
            f1: per_type.values().map(|s| s.f1).sum::<f64>() / n,
            support: true_all,
        };
        // Token level: O first, then the other tags in order.
        let mut tags: Vec<String> = vec![outside.clone()];
        tags.extend(tag_set.into_iter().filter(|t| t != &outside));
        let index: BTreeMap<&str, usize> = tags.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
        let mut token_confusion = vec![vec![0usize; tags.len()]; tags.len()];
        let (mut right, mut total) = (0usize, 0usize);
        for (t, p) in truth.iter().zip(predicted) {
            for (i, tag) in t.iter().enumerate() {
                let guess = p.get(i).unwrap_or(&outside);
                token_confusion[index[tag.as_str()]][index[guess.as_str()]] += 1;
                right += usize::from(guess == tag);
                total += 1;
            }
        }
        Self {
            micro: scores(tp_all, pred_all, true_all),
            macro_avg,
            per_type,
            tags,
            token_confusion,
            token_accuracy: if total == 0 { 0.0 } else { right as f64 / total as f64 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn strict_iob2_entities_need_a_begin_and_one_type() {
        assert_eq!(entities(&tags("B-PER I-PER O B-LOC")), vec![("PER".into(), 0, 2), ("LOC".into(), 3, 4)]);
        // An I- after O, or after another type, starts nothing.
        assert_eq!(entities(&tags("O I-PER I-PER B-ORG I-LOC")), vec![("ORG".into(), 3, 4)]);
        assert_eq!(entities(&tags("B-PER B-PER")), vec![("PER".into(), 0, 1), ("PER".into(), 1, 2)]);
    }
}
