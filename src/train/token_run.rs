//! Training a token classifier (named entities): every word's tag is learned on its first token
//! (the word's other tokens are left out of the loss), validation measures entity-level F1 as
//! seqeval does, and the best checkpoint by that F1 is kept. The loop is the shared one.

use std::path::{Path, PathBuf};

use candle_core::Tensor;

use super::run::{new_run_info, RunSource, RunSummary, TrainEvent};
use super::run_info::{DatasetInfo, EvalRecord};
use super::run_loop::{check_out_dir, run_loop, Trainee};
use super::token_eval::evaluate_tagged_tokenized;
use super::{TrainConfig, TrainError};
use crate::data::TaggedSentences;
use crate::jobs::CancelToken;
use crate::model::{cross_entropy, parse_device, DropoutRng, LoadOptions, ParamStore, TokenClassifier, TokenizedWords};

/// The task name run.json records for token classifiers.
pub const TOKEN_CLASSIFICATION: &str = "token-classification";

/// One token-classification run.
#[derive(Clone, Debug)]
pub struct TokenTrainJob {
    /// The model as the user named it (hub id or folder), recorded in run.json.
    pub base_model: String,
    /// The model folder it resolved to.
    pub model_dir: PathBuf,
    pub train: TaggedSentences,
    pub valid: Option<TaggedSentences>,
    pub out_dir: PathBuf,
    pub config: TrainConfig,
}

/// Fine-tunes `job.model_dir` as a token classifier on `job.train`, keeping the checkpoint of the
/// best validation entity F1 in `job.out_dir`. Always ends with exactly one `Finished` event.
pub fn train_token_classifier(
    job: &TokenTrainJob,
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &CancelToken,
) -> Result<RunSummary, TrainError> {
    let result = run(job, on_event, cancel);
    on_event(TrainEvent::Finished(result.as_ref().map(Clone::clone).map_err(|e| e.to_string())));
    result
}

/// A sentence ready for training: its tokens, and the tag index of each word's first token.
struct TaggedTokens {
    tokens: TokenizedWords,
    /// (token position, tag index) of every word that has a token and a known tag.
    targets: Vec<(usize, u32)>,
}

struct PreparedTokens {
    model: TokenClassifier,
    train: Vec<TaggedTokens>,
    valid: Option<(Vec<TokenizedWords>, Vec<Vec<String>>)>,
}

fn tagged_tokens(model: &TokenClassifier, data: &TaggedSentences) -> Result<Vec<TaggedTokens>, TrainError> {
    let tokenized = model.tokenizer.tokenize_words(&data.words)?;
    Ok(tokenized
        .into_iter()
        .zip(&data.tags)
        .map(|(tokens, tags)| {
            let targets = tokens
                .first_tokens(tags.len())
                .into_iter()
                .zip(tags)
                .filter_map(|(first, tag)| Some((first?, model.labels.iter().position(|l| l == tag)? as u32)))
                .collect();
            TaggedTokens { tokens, targets }
        })
        .collect())
}

fn prepare(job: &TokenTrainJob) -> Result<PreparedTokens, TrainError> {
    let cfg = &job.config;
    let problems = cfg.problems();
    if !problems.is_empty() {
        return Err(TrainError::Settings(problems.join("; ")));
    }
    job.train.require_entities()?;
    let opts = LoadOptions {
        labels: Some(job.train.tag_set()),
        device: parse_device(&cfg.device)?,
        seed: cfg.seed,
        freeze: cfg.freeze,
        max_len: cfg.max_len,
        problem: None,
        precision: cfg.precision,
    };
    let model = TokenClassifier::load(&job.model_dir, &opts)?;
    let train = tagged_tokens(&model, &job.train)?;
    let valid = match &job.valid {
        Some(v) => Some((model.tokenizer.tokenize_words(&v.words)?, v.tags.clone())),
        None => None,
    };
    Ok(PreparedTokens { model, train, valid })
}

impl Trainee for PreparedTokens {
    fn params(&self) -> &ParamStore {
        &self.model.params
    }

    fn labels(&self) -> &[String] {
        &self.model.labels
    }

    fn initialised(&self) -> &[String] {
        &self.model.initialised
    }

    fn train_lengths(&self) -> Vec<usize> {
        self.train.iter().map(|t| t.tokens.tokenized.ids.len()).collect()
    }

    fn valid_examples(&self) -> usize {
        self.valid.as_ref().map_or(0, |v| v.1.len())
    }

    fn batch_loss(&self, indices: &[usize], rng: &mut DropoutRng) -> Result<Tensor, TrainError> {
        let rows: Vec<&TokenizedWords> = indices.iter().map(|&i| &self.train[i].tokens).collect();
        let seq = rows.iter().map(|r| r.tokenized.ids.len()).max().unwrap_or(0).max(1);
        let (mut positions, mut targets) = (Vec::new(), Vec::new());
        for (r, &i) in indices.iter().enumerate() {
            for &(position, tag) in &self.train[i].targets {
                positions.push((r * seq + position) as u32);
                targets.push(tag);
            }
        }
        // A batch without a single usable word (rare: words that make no token) has nothing to
        // learn: its loss is computed on the first token and counted as zero.
        let weight = if positions.is_empty() { 0.0 } else { 1.0 };
        if positions.is_empty() {
            positions.push(0);
            targets.push(0);
        }
        let logits = self.model.logits_at(&rows, &positions, Some(rng))?;
        let targets = Tensor::new(targets, &self.model.device)?;
        Ok((cross_entropy(&logits, &targets, None)? * weight)?)
    }

    fn validate(&self, record: &mut EvalRecord, batch_size: usize) -> Result<(), TrainError> {
        if let Some((tokens, truth)) = &self.valid {
            let eval = evaluate_tagged_tokenized(&self.model, tokens, truth, batch_size)?;
            record.valid_loss = Some(eval.loss);
            record.accuracy = Some(eval.metrics.token_accuracy);
            record.macro_f1 = Some(eval.metrics.macro_avg.f1);
            record.entity_micro_f1 = Some(eval.metrics.micro.f1);
        }
        Ok(())
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(self.model.save(dir)?)
    }
}

fn dataset_info(d: &TaggedSentences) -> DatasetInfo {
    DatasetInfo {
        path: d.path.clone(),
        sha256: d.sha256.clone(),
        rows: d.len(),
        text_column: "tokens".into(),
        label_column: "tags".into(),
        text_pair_column: None,
        label_separator: None,
    }
}

fn run(
    job: &TokenTrainJob,
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &CancelToken,
) -> Result<RunSummary, TrainError> {
    check_out_dir(&job.out_dir)?;
    let p = prepare(job)?;
    let mut info = new_run_info(
        RunSource { base_model: &job.base_model, model_dir: &job.model_dir, config: &job.config },
        p.model.labels.clone(),
        dataset_info(&job.train),
        job.valid.as_ref().map(dataset_info),
        &p.model.params,
    );
    info.task = Some(TOKEN_CLASSIFICATION.to_string());
    run_loop(&p, info, &job.out_dir, on_event, cancel)
}
