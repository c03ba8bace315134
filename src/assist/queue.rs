//! The "Label next" queue (active learning): unlabeled examples the model is least sure of first
//! — by entropy, margin or least confidence, the analyst's choice — mixed with a share of
//! examples drawn at random.
//!
//! Uncertainty picks come from the train split only; random picks come from every split. So
//! the validation and test splits only ever gain labels from random draws, and stay a fair
//! sample of the data: the validation estimate stays honest however the queue is set.
//!
//! The queue is a pure function of the project's labels, the predictions and the settings, so a
//! session resumes after a restart exactly where it was: labeled rows drop out, the rest keep
//! their order. The settings and the retraining counter live in `label-queue.json`.

use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::model::write_atomic;
use crate::project::{Predictions, Project, Split};

use super::AssistError;

/// File of the labeling session inside the project folder.
pub const QUEUE_FILE: &str = "label-queue.json";

/// How the model's uncertainty about an example is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Highest entropy of the label probabilities first.
    #[default]
    Entropy,
    /// Smallest gap between the two most likely labels first.
    Margin,
    /// Lowest probability of the predicted label first.
    LeastConfidence,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::Entropy, Strategy::Margin, Strategy::LeastConfidence];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Entropy => "entropy",
            Strategy::Margin => "margin",
            Strategy::LeastConfidence => "least-confidence",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s.trim().to_ascii_lowercase())
    }

    /// The strategy usable with these predictions: predictions saved without margins or
    /// entropies (older ones) are ranked by confidence instead of all tying.
    fn usable_with(self, p: &Predictions) -> Self {
        let n = p.confidence.len();
        match self {
            Strategy::Entropy if p.entropy.len() != n => Strategy::LeastConfidence,
            Strategy::Margin if p.margin.len() != n => Strategy::LeastConfidence,
            s => s,
        }
    }

    /// Larger means less sure.
    fn uncertainty(self, p: &Predictions, row: usize) -> f32 {
        let get = |v: &[f32]| v.get(row).copied().unwrap_or(f32::NAN);
        match self {
            Strategy::Entropy => get(&p.entropy),
            Strategy::Margin => 1.0 - get(&p.margin),
            Strategy::LeastConfidence => 1.0 - get(&p.confidence),
        }
    }
}

/// The analyst's settings of the labeling session, and how far it has come.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueSession {
    pub strategy: Strategy,
    /// Share of the queue drawn at random (0 to 1).
    pub random_share: f32,
    /// Seeds the random draws.
    pub seed: u64,
    /// Retrain in the background after this many new labels (None: never).
    pub retrain_every: Option<usize>,
    /// Labels made in this session since the last retraining started.
    pub labels_since_retrain: usize,
    /// Labels made in this session in all.
    pub labeled: usize,
}

impl Default for QueueSession {
    fn default() -> Self {
        Self {
            strategy: Strategy::Entropy,
            random_share: 0.1,
            seed: 7,
            retrain_every: Some(50),
            labels_since_retrain: 0,
            labeled: 0,
        }
    }
}

impl QueueSession {
    /// The saved session of a project, or a new one.
    pub fn load(project_dir: &Path) -> Self {
        std::fs::read(project_dir.join(QUEUE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, project_dir: &Path) -> Result<(), AssistError> {
        let path = project_dir.join(QUEUE_FILE);
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| AssistError::Write { path: path.clone(), reason: e.to_string() })?;
        write_atomic(&path, &bytes).map_err(|e| AssistError::Write { path, reason: e.to_string() })
    }

    /// Counts one new label; true when it is time to retrain.
    pub fn count_label(&mut self) -> bool {
        self.labeled += 1;
        self.labels_since_retrain += 1;
        self.retrain_every.is_some_and(|n| n > 0 && self.labels_since_retrain >= n)
    }

    /// Whether the settings are usable, as a sentence when not.
    pub fn problem(&self) -> Option<String> {
        (!(0.0..=1.0).contains(&self.random_share))
            .then(|| format!("the random share must be between 0 and 1 (it is {})", self.random_share))
    }
}

/// Whether queue position `i` holds a random draw: spread evenly, `share` of all positions.
fn is_random_slot(i: usize, share: f32) -> bool {
    let share = share.clamp(0.0, 1.0) as f64;
    ((i + 1) as f64 * share).floor() > (i as f64 * share).floor()
}

/// The unlabeled rows of the project in the order to label them, at most `limit`.
pub fn rank_queue(
    project: &Project,
    predictions: Option<&Predictions>,
    session: &QueueSession,
    limit: usize,
) -> Vec<usize> {
    let unlabeled = |r: &usize| project.annotation(*r).is_none();
    let mut random: Vec<usize> = (0..project.len()).collect();
    random.shuffle(&mut rand::rngs::StdRng::seed_from_u64(session.seed));
    random.retain(unlabeled);
    let Some(p) = predictions.filter(|p| p.labels.len() == project.len() && p.confidence.len() == project.len()) else {
        // No model yet: a random order over every split.
        random.truncate(limit);
        return random;
    };
    let mut uncertain: Vec<usize> = (0..project.len()).filter(|r| project.split(*r) == Split::Train).collect();
    uncertain.retain(unlabeled);
    let strategy = session.strategy.usable_with(p);
    let score: Vec<f32> = uncertain.iter().map(|&r| strategy.uncertainty(p, r)).collect();
    let mut order: Vec<usize> = (0..uncertain.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(uncertain[a].cmp(&uncertain[b])));
    let mut uncertain = order.into_iter().map(|i| uncertain[i]).peekable();
    let mut random = random.into_iter().peekable();
    let mut taken = vec![false; project.len()];
    let mut out = Vec::with_capacity(limit.min(project.len()));
    while out.len() < limit {
        // Counting from the labels already made keeps the order when the first one is labeled.
        let slot_random = is_random_slot(session.labeled + out.len(), session.random_share);
        let next = if slot_random {
            random.by_ref().find(|&r| !taken[r]).or_else(|| uncertain.by_ref().find(|&r| !taken[r]))
        } else {
            uncertain.by_ref().find(|&r| !taken[r]).or_else(|| random.by_ref().find(|&r| !taken[r]))
        };
        let Some(row) = next else { break };
        taken[row] = true;
        out.push(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_random_slot;

    #[test]
    fn random_slots_take_their_share() {
        let n = (0..1000).filter(|&i| is_random_slot(i, 0.1)).count();
        assert_eq!(n, 100);
        assert!(!(0..50).any(|i| is_random_slot(i, 0.0)));
        assert!((0..50).all(|i| is_random_slot(i, 1.0)));
    }
}
