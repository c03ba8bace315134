//! Likely label errors. Every labeled example gets out-of-fold probabilities: the labeled
//! examples are split into k stratified folds, and each fold is judged by a linear probe trained
//! on the other folds, over sentence features of the project's *base* model (a fine-tuned run
//! has seen the very labels being judged). Confident learning (Northcutt et al., 2021) then
//! flags an example when the label the model is confident about — the most likely among the
//! labels whose probability reaches that label's own average — is not the given one. Suspects
//! are ranked by how little probability the given label got (cleanlab's self-confidence).

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::jobs::CancelToken;
use crate::model::resolve_model;
use crate::project::Project;

use super::features::sentence_features;
use super::probe::LinearProbe;
use super::AssistError;

/// File of the last suspects search inside the project folder.
pub const SUSPECTS_FILE: &str = "suspects.json";

impl SuspectReport {
    /// Keeps the report in the project folder, where the app finds it again.
    pub fn save(&self, project_dir: &std::path::Path) -> Result<(), AssistError> {
        let path = project_dir.join(SUSPECTS_FILE);
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| AssistError::Write { path: path.clone(), reason: e.to_string() })?;
        crate::model::write_atomic(&path, &bytes).map_err(|e| AssistError::Write { path, reason: e.to_string() })
    }

    /// The last report of a project, when there is one.
    pub fn load(project_dir: &std::path::Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(project_dir.join(SUSPECTS_FILE)).ok()?).ok()
    }
}

/// How to look for suspects.
#[derive(Clone, Debug)]
pub struct SuspectOptions {
    pub folds: usize,
    pub seed: u64,
    /// Longest input in tokens for the features.
    pub max_len: usize,
}

impl Default for SuspectOptions {
    fn default() -> Self {
        Self { folds: 5, seed: 42, max_len: 128 }
    }
}

/// Where the work is.
#[derive(Clone, Debug, PartialEq)]
pub enum SuspectProgress {
    /// Reading the texts with the base model: (done, total).
    Features(usize, usize),
    /// Judging fold (done, total).
    Folds(usize, usize),
}

/// An example whose label is probably wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suspect {
    /// The 0-based data row of the imported file (the project row for examples added in Attune).
    pub row: usize,
    /// The example's row in the project (what the app shows).
    pub example: usize,
    pub given: String,
    pub predicted: String,
    /// Suspicion from 0 to 1: one minus the out-of-fold probability of the given label.
    pub score: f32,
    pub given_probability: f32,
    pub predicted_probability: f32,
    /// Confident learning counts it among the likely errors (otherwise the model merely prefers
    /// another label).
    pub flagged: bool,
}

/// The outcome: the examples confident learning flags and those whose given label is not the
/// model's first choice, most suspicious first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SuspectReport {
    pub base_model: String,
    pub folds: usize,
    pub labeled: usize,
    /// How many labels confident learning estimates to be wrong.
    pub estimated_errors: usize,
    pub suspects: Vec<Suspect>,
}

/// What the suspects search reads from a project: its base model and a copy of its
/// single-label examples (every split), so the search can run on a worker thread while the
/// analyst goes on labeling.
#[derive(Clone, Debug)]
pub struct SuspectInput {
    pub base_model: Option<String>,
    pub task: crate::project::Task,
    /// (project row, data row of the imported file, text, given label).
    pub labeled: Vec<(usize, usize, String, String)>,
}

impl SuspectInput {
    pub fn of(project: &Project) -> Self {
        let labeled = project
            .state()
            .annotations
            .iter()
            .filter(|(_, a)| a.labels.len() == 1)
            .filter_map(|(&r, a)| {
                let e = project.example(r)?;
                Some((r, e.source_row.unwrap_or(r), e.text.clone(), a.labels[0].clone()))
            })
            .collect();
        Self { base_model: project.meta.model.clone(), task: project.meta.task, labeled }
    }
}

/// Finds likely label errors among the given labeled examples.
pub fn find_suspects(
    input: &SuspectInput,
    options: &SuspectOptions,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(SuspectProgress),
) -> Result<SuspectReport, AssistError> {
    AssistError::require_one_label_per_text(input.task)?;
    let Some(base_model) = input.base_model.clone() else {
        return Err(AssistError::no_base_model());
    };
    let labeled = &input.labeled;
    let classes: Vec<String> =
        labeled.iter().map(|l| l.3.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if classes.len() < 2 {
        return Err(AssistError::NotReady("label examples of at least two labels first".into()));
    }
    let folds = options.folds;
    if folds < 2 {
        return Err(AssistError::NotReady(format!("use at least 2 folds (you asked for {folds})")));
    }
    if labeled.len() < folds * 2 {
        return Err(AssistError::NotReady(format!(
            "there are {} labeled examples; {folds} folds need at least {}",
            labeled.len(),
            folds * 2
        )));
    }
    let model_dir = resolve_model(&base_model)?;
    let texts: Vec<String> = labeled.iter().map(|l| l.2.clone()).collect();
    let features = sentence_features(&model_dir, &texts, options.max_len, cancel, &mut |d, t| {
        on_progress(SuspectProgress::Features(d, t))
    })?;
    let targets: Vec<usize> = labeled.iter().map(|l| classes.iter().position(|c| *c == l.3).unwrap_or(0)).collect();
    let probs =
        out_of_fold_probabilities(&features, &targets, classes.len(), folds, options.seed, cancel, &mut |d, t| {
            on_progress(SuspectProgress::Folds(d, t))
        })?;
    let flagged = confident_learning(&probs, &targets, classes.len());
    let estimated_errors = flagged.len();
    let suspects = rank_suspects(&probs, &targets, &flagged)
        .into_iter()
        .map(|(i, predicted, flagged)| {
            let (example, row, _, given) = &labeled[i];
            Suspect {
                row: *row,
                example: *example,
                given: given.clone(),
                predicted: classes[predicted].clone(),
                score: 1.0 - probs[i][targets[i]],
                given_probability: probs[i][targets[i]],
                predicted_probability: probs[i][predicted],
                flagged,
            }
        })
        .collect();
    Ok(SuspectReport { base_model, folds, labeled: labeled.len(), estimated_errors, suspects })
}

/// The suspects as (index, the model's label, flagged): every flagged example and every example
/// whose given label is not the most likely one, least probable given label first.
fn rank_suspects(probs: &[Vec<f32>], targets: &[usize], flagged: &[(usize, usize)]) -> Vec<(usize, usize, bool)> {
    let mut is_flagged = vec![None; targets.len()];
    for &(i, confident) in flagged {
        is_flagged[i] = Some(confident);
    }
    let mut out: Vec<(usize, usize, bool)> = probs
        .iter()
        .zip(targets)
        .enumerate()
        .filter_map(|(i, (p, &t))| {
            let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))?;
            match is_flagged[i] {
                Some(confident) => Some((i, confident, true)),
                None => (best != t).then_some((i, best, false)),
            }
        })
        .collect();
    out.sort_by(|a, b| probs[a.0][targets[a.0]].total_cmp(&probs[b.0][targets[b.0]]).then(a.0.cmp(&b.0)));
    out
}

/// Probabilities for every example from a probe that never saw it: stratified k folds.
pub fn out_of_fold_probabilities(
    features: &[Vec<f32>],
    targets: &[usize],
    classes: usize,
    folds: usize,
    seed: u64,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Vec<f32>>, AssistError> {
    let fold_of = stratified_folds(targets, folds, seed);
    let mut probs = vec![Vec::new(); targets.len()];
    for fold in 0..folds {
        if cancel.is_cancelled() {
            return Err(AssistError::Cancelled);
        }
        let train: Vec<usize> = (0..targets.len()).filter(|&i| fold_of[i] != fold).collect();
        let x: Vec<&[f32]> = train.iter().map(|&i| features[i].as_slice()).collect();
        let y: Vec<usize> = train.iter().map(|&i| targets[i]).collect();
        let probe = LinearProbe::fit(&x, &y, classes);
        for i in (0..targets.len()).filter(|&i| fold_of[i] == fold) {
            probs[i] = probe.probabilities(&features[i]);
        }
        on_progress(fold + 1, folds);
    }
    Ok(probs)
}

/// The fold of each example: each class shuffled (seeded) and dealt round-robin.
fn stratified_folds(targets: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let mut by_class: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &t) in targets.iter().enumerate() {
        by_class.entry(t).or_default().push(i);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut fold_of = vec![0; targets.len()];
    let mut next = 0;
    for rows in by_class.values_mut() {
        rows.shuffle(&mut rng);
        for &i in rows.iter() {
            fold_of[i] = next % folds;
            next += 1;
        }
    }
    fold_of
}

/// The examples confident learning flags, as (index, confident label), most suspicious first.
pub fn confident_learning(probs: &[Vec<f32>], targets: &[usize], classes: usize) -> Vec<(usize, usize)> {
    let mut sums = vec![0.0f64; classes];
    let mut counts = vec![0usize; classes];
    for (p, &t) in probs.iter().zip(targets) {
        sums[t] += f64::from(p[t]);
        counts[t] += 1;
    }
    let thresholds: Vec<f32> =
        sums.iter().zip(&counts).map(|(s, &c)| if c == 0 { f32::INFINITY } else { (s / c as f64) as f32 }).collect();
    let mut flagged: Vec<(usize, usize)> = probs
        .iter()
        .zip(targets)
        .enumerate()
        .filter_map(|(i, (p, &t))| {
            let confident = (0..classes).filter(|&j| p[j] >= thresholds[j]).max_by(|&a, &b| p[a].total_cmp(&p[b]))?;
            (confident != t).then_some((i, confident))
        })
        .collect();
    flagged.sort_by(|a, b| probs[a.0][targets[a.0]].total_cmp(&probs[b.0][targets[b.0]]).then(a.0.cmp(&b.0)));
    flagged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_cover_every_example() {
        let targets: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect();
        let folds = stratified_folds(&targets, 5, 1);
        for f in 0..5 {
            let members: Vec<usize> = (0..100).filter(|&i| folds[i] == f).collect();
            assert_eq!(members.len(), 20);
            assert_eq!(members.iter().filter(|&&i| targets[i] == 1).count(), 5);
        }
    }

    #[test]
    fn confident_learning_flags_what_the_model_contradicts() {
        let probs = vec![vec![0.9, 0.1], vec![0.8, 0.2], vec![0.1, 0.9], vec![0.05, 0.95], vec![0.6, 0.4]];
        let targets = vec![0, 0, 1, 0, 1];
        let flagged = confident_learning(&probs, &targets, 2);
        // Example 3 is labeled 0 but the model is sure of 1; example 4 is labeled 1 at 0.4.
        assert_eq!(flagged, vec![(3, 1), (4, 0)]);
        // Example 1 is not flagged (0.8 reaches class 0's average), and the model agrees with it.
        let ranked = rank_suspects(&probs, &targets, &flagged);
        assert_eq!(ranked, vec![(3, 1, true), (4, 0, true)]);
        let unsure = vec![vec![0.9, 0.1], vec![0.55, 0.45], vec![0.1, 0.9], vec![0.45, 0.55]];
        let targets = vec![0, 1, 1, 0];
        let ranked = rank_suspects(&unsure, &targets, &confident_learning(&unsure, &targets, 2));
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 3]);
    }
}
