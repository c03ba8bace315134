//! Why a model predicted what it did: word attributions by integrated gradients (with a
//! completeness check), gradient × input and occlusion; attention probabilities per layer and head
//! with the mean over heads and attention rollout; and a self-contained HTML view for sharing.
//! For a token classifier, why one word got its tag (`word_tag.rs`).
//!
//! Attributions explain the target class's log-odds: its logit minus the log-sum-exp of the other
//! logits (for two classes, log p/(1−p)) — it moves exactly when the prediction moves. Sub-word pieces
//! are merged into words by summing; special tokens are reported apart.

mod attention;
mod attributable;
mod gradients;
mod html;
mod occlusion;
mod word_tag;
mod words;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use attention::{attention_maps, AttentionMaps};
pub use attributable::{Attributable, TagAt};
pub use html::to_html;
pub use word_tag::{explain_word, load_token_classifier_for_explanation};
pub use words::{merge_words, TokenAttribution, WordAttribution};

use crate::jobs::CancelToken;
use crate::model::{
    argmax_rows, labels_above, predicted_number, Freeze, LoadOptions, ModelConfig, ModelError, Problem,
    SequenceClassifier, WordEncoding,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    IntegratedGradients,
    GradientTimesInput,
    Occlusion,
}

impl Method {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ig" | "integrated-gradients" => Some(Self::IntegratedGradients),
            "grad-input" | "gradient-input" | "gxi" => Some(Self::GradientTimesInput),
            "occlusion" => Some(Self::Occlusion),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::IntegratedGradients => "integrated gradients",
            Self::GradientTimesInput => "gradient × input",
            Self::Occlusion => "occlusion",
        }
    }
}

/// What integrated gradients starts from: the [PAD] or [MASK] embedding at every word position
/// (special tokens kept), or all zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    Pad,
    Mask,
    Zero,
}

impl Baseline {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "pad" => Some(Self::Pad),
            "mask" => Some(Self::Mask),
            "zero" | "zeros" => Some(Self::Zero),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ExplainOptions {
    pub method: Method,
    /// The class to explain; None: the predicted class.
    pub target: Option<usize>,
    /// Integrated-gradients steps.
    pub steps: usize,
    pub baseline: Baseline,
    /// At most this many inputs go through the model at once (interpolations for integrated
    /// gradients, which also keeps a pass under 1,600 tokens; variants for occlusion).
    pub batch_size: usize,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        Self { method: Method::IntegratedGradients, target: None, steps: 50, baseline: Baseline::Pad, batch_size: 25 }
    }
}

/// Integrated gradients' completeness: the attributions should add up to f(x) − f(baseline).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Completeness {
    pub sum_attributions: f64,
    pub score_delta: f64,
}

impl Completeness {
    /// |Σ attributions − Δ| / |Δ|.
    pub fn relative_gap(&self) -> f64 {
        (self.sum_attributions - self.score_delta).abs() / self.score_delta.abs().max(1e-12)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Explanation {
    pub method: Method,
    /// The label explained.
    pub target: String,
    pub target_index: usize,
    /// What the model predicts: a label; for a multi-label model the labels at or above their
    /// thresholds ("; "-joined, "no label" when none); for a regression the number.
    pub predicted: String,
    /// What the outputs mean (probabilities that sum to one, a probability per label, a number).
    #[serde(default)]
    pub problem: Problem,
    pub labels: Vec<String>,
    /// Label → probability (a regression's one output → the number).
    pub probabilities: std::collections::BTreeMap<String, f32>,
    pub words: Vec<WordAttribution>,
    /// Special tokens ([CLS], [SEP], …) with their attributions, shown apart.
    pub special_tokens: Vec<TokenAttribution>,
    pub tokens: Vec<TokenAttribution>,
    pub completeness: Option<Completeness>,
    pub elapsed_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("there is no label \"{0}\" in this model; its labels are: {1}")]
    UnknownTarget(String, String),
    #[error("there is no text to explain")]
    EmptyText,
    #[error("the explanation was cancelled")]
    Cancelled,
    #[error(
        "this model reads text pairs; explaining pair models is not supported yet (an explanation of the \
         first text alone would not be what the model decides on)"
    )]
    TextPairModel,
    #[error("there is no word {word} in a sentence of {words} words (words count from 0)")]
    NoSuchWord { word: usize, words: usize },
    #[error("the word \"{0}\" is past the model's maximum length, so the model gives it no tag")]
    WordNotSeen(String),
    #[error("occlusion explains whole texts; to explain one word's tag use integrated gradients or gradient × input")]
    OcclusionOfWord,
}

impl From<candle_core::Error> for ExplainError {
    fn from(e: candle_core::Error) -> Self {
        ExplainError::Model(ModelError::Compute(e))
    }
}

/// Loads a classifier for explanations: every encoder weight is a constant, so gradients are
/// computed for the inputs only.
pub fn load_for_explanation(dir: &Path, device: &candle_core::Device) -> Result<SequenceClassifier, ExplainError> {
    if crate::train::RunInfo::is_text_pair(dir) {
        return Err(ExplainError::TextPairModel);
    }
    Ok(SequenceClassifier::load(dir, &explanation_options(dir, device)?)?)
}

/// How a model is loaded for explanations: every encoder weight a constant, so gradients are
/// computed for the inputs only; inputs up to 512 tokens.
pub(crate) fn explanation_options(dir: &Path, device: &candle_core::Device) -> Result<LoadOptions, ExplainError> {
    let layers = ModelConfig::load(dir)?.num_layers;
    Ok(LoadOptions {
        device: device.clone(),
        max_len: 512,
        problem: None,
        freeze: Freeze { embeddings: true, lowest_layers: layers },
        ..LoadOptions::default()
    })
}

/// The index of a label given by name.
pub fn target_index(model: &SequenceClassifier, label: &str) -> Result<usize, ExplainError> {
    model
        .labels
        .iter()
        .position(|l| l == label)
        .ok_or_else(|| ExplainError::UnknownTarget(label.into(), model.labels.join(", ")))
}

/// Explains the model's prediction for one text. `progress` gets a fraction done (0–1).
pub fn explain(
    model: &SequenceClassifier,
    text: &str,
    opts: &ExplainOptions,
    progress: &mut dyn FnMut(f32),
    cancel: &CancelToken,
) -> Result<Explanation, ExplainError> {
    if text.trim().is_empty() {
        return Err(ExplainError::EmptyText);
    }
    let started = std::time::Instant::now();
    let encoding = model.tokenizer.encode_words(text)?;
    let probs = model.predict_tokenized(std::slice::from_ref(&encoding.tokenized), 1)?.remove(0);
    let predicted = argmax_rows(std::slice::from_ref(&probs))[0];
    let target = opts.target.unwrap_or(predicted);
    let scores = match opts.method {
        Method::Occlusion => (occlusion::occlusion(model, &encoding, target, opts.batch_size, progress, cancel)?, None),
        _ => gradient_attributions(model, &encoding, target, opts, progress, cancel)?,
    };
    let explained = Explained { labels: &model.labels, probabilities: &probs, predicted, target, started };
    let mut explanation = explained.explanation(opts.method, text, &encoding, scores);
    explanation.problem = model.problem;
    explanation.predicted = match model.problem {
        Problem::SingleLabel => explanation.predicted,
        Problem::MultiLabel => {
            let given = labels_above(&model.labels, &probs, &model.thresholds);
            if given.is_empty() {
                "no label".into()
            } else {
                given.join("; ")
            }
        }
        Problem::Regression => format!("{:.4}", predicted_number(&probs)),
    };
    Ok(explanation)
}

/// Gradient attributions per token: integrated gradients with its completeness, or gradient ×
/// input (`opts.method` is one of the two).
fn gradient_attributions(
    model: &dyn Attributable,
    encoding: &WordEncoding,
    target: usize,
    opts: &ExplainOptions,
    progress: &mut dyn FnMut(f32),
    cancel: &CancelToken,
) -> Result<(Vec<f64>, Option<Completeness>), ExplainError> {
    if opts.method == Method::IntegratedGradients {
        let (scores, c) = gradients::integrated_gradients(model, encoding, target, opts, progress, cancel)?;
        return Ok((scores, Some(c)));
    }
    Ok((gradients::gradient_times_input(model, encoding, target)?, None))
}

/// What an explanation reports besides the attributions: the model's labels and probabilities,
/// what it predicted, what is explained, and when the work started.
struct Explained<'a> {
    labels: &'a [String],
    probabilities: &'a [f32],
    predicted: usize,
    target: usize,
    started: std::time::Instant,
}

impl Explained<'_> {
    /// The explanation, with token scores merged into the words of `text`.
    fn explanation(
        &self,
        method: Method,
        text: &str,
        encoding: &WordEncoding,
        (token_scores, completeness): (Vec<f64>, Option<Completeness>),
    ) -> Explanation {
        let (words, special_tokens, tokens) = merge_words(text, encoding, &token_scores);
        Explanation {
            method,
            target: self.labels[self.target].clone(),
            target_index: self.target,
            predicted: self.labels[self.predicted].clone(),
            problem: Problem::SingleLabel,
            labels: self.labels.to_vec(),
            probabilities: self.labels.iter().cloned().zip(self.probabilities.iter().copied()).collect(),
            words,
            special_tokens,
            tokens,
            completeness,
            elapsed_ms: self.started.elapsed().as_secs_f64() * 1e3,
        }
    }
}
