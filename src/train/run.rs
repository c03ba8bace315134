//! Training a text model (one label, several labels, or a number per text): a plain function that
//! fine-tunes it and reports events (the loop itself is in `run_loop.rs`, shared with token
//! classification). The CLI prints the events with a progress bar, the app receives them over a
//! channel from a worker thread, and tests collect them in a closure. It checks the cancel token
//! (and waits while paused) between steps.
//!
//! Event order: Started, then (Step | Eval | Checkpoint)*, then exactly one Finished.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::evaluate::{evaluate_tokenized, label_indices};
use super::evaluate_targets::{evaluate_label_sets_tokenized, evaluate_scores_tokenized, label_set_indicators};
use super::run_info::{DatasetInfo, EvalRecord, RegressionScores, RunInfo};
use super::run_loop::{check_out_dir, run_loop, Trainee};
use super::{TrainConfig, TrainError};
use crate::data::{label_set, LabeledTexts, TextTargets};
use crate::jobs::CancelToken;
use crate::model::{
    binary_cross_entropy_with_logits, cross_entropy, mean_squared_error, parse_device, DropoutRng, LoadOptions,
    ParamStore, Problem, SequenceClassifier, TokenizedText,
};

/// run.json's `task` of a multi-label run.
pub const MULTI_LABEL_CLASSIFICATION: &str = "multi-label-classification";
/// run.json's `task` of a regression run.
pub const REGRESSION: &str = "regression";

/// One training run: which model, which data, where to write, with which settings.
#[derive(Clone, Debug)]
pub struct TrainJob {
    /// The model as the user named it (hub id or folder), recorded in run.json.
    pub base_model: String,
    /// The model folder it resolved to.
    pub model_dir: PathBuf,
    pub train: LabeledTexts,
    pub valid: Option<LabeledTexts>,
    pub out_dir: PathBuf,
    pub config: TrainConfig,
}

#[derive(Clone, Debug)]
pub enum TrainEvent {
    Started {
        total_steps: u64,
        train_examples: usize,
        valid_examples: usize,
        labels: Vec<String>,
        new_weights: Vec<String>,
    },
    Step {
        step: u64,
        epoch: u32,
        loss: f32,
        learning_rate: f64,
        examples_per_s: f64,
        elapsed_secs: f64,
    },
    Eval {
        record: EvalRecord,
        improved: bool,
    },
    Checkpoint {
        path: PathBuf,
    },
    Finished(Result<RunSummary, String>),
}

#[derive(Clone, Debug)]
pub struct RunSummary {
    pub out_dir: PathBuf,
    pub best: Option<EvalRecord>,
    pub steps: u64,
    pub wall_secs: f64,
    pub train_examples_per_s: f64,
}

/// Fine-tunes `job.model_dir` on `job.train`, keeping the best checkpoint (by the validation
/// metric) in `job.out_dir`. Always ends with exactly one `Finished` event.
pub fn train(
    job: &TrainJob,
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &CancelToken,
) -> Result<RunSummary, TrainError> {
    let result = run(job, on_event, cancel);
    on_event(TrainEvent::Finished(result.as_ref().map(Clone::clone).map_err(|e| e.to_string())));
    result
}

/// What each training example is learned against, as the loss takes it.
enum Truth {
    Classes(Vec<u32>),
    /// A 0/1 per label.
    LabelSets(Vec<Vec<f32>>),
    Scores(Vec<f32>),
}

/// What the validation examples are measured against.
enum ValidTruth {
    Classes(Vec<usize>),
    LabelSets(Vec<Vec<bool>>),
    Scores(Vec<f64>),
}

struct Prepared {
    model: SequenceClassifier,
    train_tokens: Vec<TokenizedText>,
    train_truth: Truth,
    valid: Option<(Vec<TokenizedText>, ValidTruth)>,
    class_weights: Option<Tensor>,
    /// Multi-label: the thresholds tuned at the last validation, saved with its checkpoint.
    tuned_thresholds: RefCell<Vec<f32>>,
}

/// The problem a dataset was read for.
fn problem_of(data: &LabeledTexts) -> Problem {
    match data.targets {
        TextTargets::OneLabel => Problem::SingleLabel,
        TextTargets::LabelSets(_) => Problem::MultiLabel,
        TextTargets::Scores(_) => Problem::Regression,
    }
}

/// The model's labels: the training data's labels (multi-label: also those that only occur in
/// the validation data, which splits stratified by first label can leave there), or a
/// regression's one output named after its column.
fn model_labels(train: &LabeledTexts, valid: Option<&LabeledTexts>) -> Vec<String> {
    match (&train.targets, valid) {
        (TextTargets::Scores(_), _) => vec![train.label_column.split(" (").next().unwrap_or("score").to_string()],
        (TextTargets::LabelSets(_), Some(valid)) => {
            label_set(&train.label_names().into_iter().chain(valid.label_names()).collect::<Vec<_>>())
        }
        _ => train.label_names(),
    }
}

fn valid_truth(labels: &[String], data: &LabeledTexts) -> Result<ValidTruth, TrainError> {
    Ok(match &data.targets {
        TextTargets::OneLabel => ValidTruth::Classes(label_indices(labels, &data.labels)?),
        TextTargets::LabelSets(sets) => ValidTruth::LabelSets(label_set_indicators(labels, sets)?),
        TextTargets::Scores(scores) => ValidTruth::Scores(scores.clone()),
    })
}

fn prepare(job: &TrainJob) -> Result<Prepared, TrainError> {
    let cfg = &job.config;
    let problems = cfg.problems();
    if !problems.is_empty() {
        return Err(TrainError::Settings(problems.join("; ")));
    }
    job.train.require_targets()?;
    let problem = problem_of(&job.train);
    if let Some(valid) = &job.valid {
        if problem_of(valid) != problem {
            return Err(TrainError::Settings(
                "the validation data was read for another task than the training data".into(),
            ));
        }
    }
    let labels = model_labels(&job.train, job.valid.as_ref());
    if cfg.class_weights && problem != Problem::SingleLabel {
        return Err(TrainError::Settings(format!(
            "class weights apply to one label per text; this run learns {}: turn class weights off",
            problem.describe()
        )));
    }
    let device: Device = parse_device(&cfg.device)?;
    let opts = LoadOptions {
        labels: Some(labels.clone()),
        device: device.clone(),
        seed: cfg.seed,
        freeze: cfg.freeze,
        max_len: cfg.max_len,
        problem: Some(problem),
        precision: cfg.precision,
    };
    let model = SequenceClassifier::load(&job.model_dir, &opts)?;
    let train_tokens = model.tokenizer.tokenize_inputs(&job.train.texts, job.train.pairs.as_deref())?;
    let train_truth = match valid_truth(&labels, &job.train)? {
        ValidTruth::Classes(c) => Truth::Classes(c.into_iter().map(|i| i as u32).collect()),
        ValidTruth::LabelSets(s) => {
            Truth::LabelSets(s.iter().map(|row| row.iter().map(|&y| if y { 1.0 } else { 0.0 }).collect()).collect())
        }
        ValidTruth::Scores(s) => {
            let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
            model.start_output_bias_at(&[mean as f32])?;
            Truth::Scores(s.iter().map(|&v| v as f32).collect())
        }
    };
    let valid = match &job.valid {
        Some(v) => Some((model.tokenizer.tokenize_inputs(&v.texts, v.pairs.as_deref())?, valid_truth(&labels, v)?)),
        None => None,
    };
    let class_weights = match (&train_truth, cfg.class_weights) {
        (Truth::Classes(targets), true) => {
            let mut counts = vec![0usize; labels.len()];
            targets.iter().for_each(|&t| counts[t as usize] += 1);
            let n = targets.len() as f32;
            let k = labels.len() as f32;
            let w: Vec<f32> = counts.iter().map(|&c| if c == 0 { 0.0 } else { n / (k * c as f32) }).collect();
            Some(Tensor::new(w, &device)?)
        }
        _ => None,
    };
    let tuned_thresholds = RefCell::new(model.thresholds.clone());
    Ok(Prepared { model, train_tokens, train_truth, valid, class_weights, tuned_thresholds })
}

fn dataset_info(d: &LabeledTexts) -> DatasetInfo {
    DatasetInfo {
        text_pair_column: d.pair_column.clone(),
        path: d.path.clone(),
        sha256: d.sha256.clone(),
        rows: d.len(),
        text_column: d.text_column.clone(),
        label_column: d.label_column.clone(),
        label_separator: d.label_separator.clone(),
    }
}

impl Trainee for Prepared {
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
        self.train_tokens.iter().map(|t| t.ids.len()).collect()
    }

    fn valid_examples(&self) -> usize {
        self.valid.as_ref().map_or(0, |v| v.0.len())
    }

    fn batch_loss(&self, indices: &[usize], rng: &mut DropoutRng) -> Result<Tensor, TrainError> {
        let model = &self.model;
        let rows: Vec<&TokenizedText> = indices.iter().map(|&i| &self.train_tokens[i]).collect();
        let batch = model.tokenizer.batch(&rows, &model.device)?;
        let logits = model.forward(&batch, Some(rng), false)?.logits;
        let device = &model.device;
        Ok(match &self.train_truth {
            Truth::Classes(all) => {
                let targets = Tensor::new(indices.iter().map(|&i| all[i]).collect::<Vec<u32>>(), device)?;
                cross_entropy(&logits, &targets, self.class_weights.as_ref())?
            }
            Truth::LabelSets(all) => {
                let rows: Vec<Vec<f32>> = indices.iter().map(|&i| all[i].clone()).collect();
                let targets = Tensor::new(rows, device)?.to_dtype(logits.dtype())?;
                binary_cross_entropy_with_logits(&logits, &targets)?
            }
            Truth::Scores(all) => {
                let targets = Tensor::new(indices.iter().map(|&i| all[i]).collect::<Vec<f32>>(), device)?;
                mean_squared_error(&logits, &targets.to_dtype(logits.dtype())?)?
            }
        })
    }

    fn validate(&self, record: &mut EvalRecord, batch_size: usize) -> Result<(), TrainError> {
        let Some((tokens, truth)) = &self.valid else { return Ok(()) };
        match truth {
            ValidTruth::Classes(truth) => {
                let eval = evaluate_tokenized(&self.model, tokens, truth, batch_size)?;
                record.valid_loss = Some(eval.loss);
                record.accuracy = Some(eval.metrics.accuracy);
                record.macro_f1 = Some(eval.metrics.macro_f1);
            }
            ValidTruth::LabelSets(truth) => {
                let eval = evaluate_label_sets_tokenized(&self.model, tokens, truth, batch_size, true)?;
                record.valid_loss = Some(eval.loss);
                record.accuracy = Some(eval.metrics.subset_accuracy);
                record.macro_f1 = Some(eval.metrics.macro_f1);
                record.micro_f1 = Some(eval.metrics.micro_f1);
                *self.tuned_thresholds.borrow_mut() = eval.thresholds;
            }
            ValidTruth::Scores(truth) => {
                let eval = evaluate_scores_tokenized(&self.model, tokens, truth, batch_size)?;
                record.valid_loss = Some(eval.loss);
                record.regression = Some(RegressionScores::from(&eval.metrics));
            }
        }
        Ok(())
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(self.model.save_with_thresholds(dir, &self.tuned_thresholds.borrow())?)
    }
}

fn run(job: &TrainJob, on_event: &mut dyn FnMut(TrainEvent), cancel: &CancelToken) -> Result<RunSummary, TrainError> {
    check_out_dir(&job.out_dir)?;
    let p = prepare(job)?;
    let mut info = new_run_info(
        RunSource { base_model: &job.base_model, model_dir: &job.model_dir, config: &job.config },
        p.model.labels.clone(),
        dataset_info(&job.train),
        job.valid.as_ref().map(dataset_info),
        &p.model.params,
    );
    info.task = match p.model.problem {
        Problem::SingleLabel => None,
        Problem::MultiLabel => Some(MULTI_LABEL_CLASSIFICATION.into()),
        Problem::Regression => Some(REGRESSION.into()),
    };
    run_loop(&p, info, &job.out_dir, on_event, cancel)
}

/// The base model and settings of a run, as run.json records them.
pub(super) struct RunSource<'a> {
    pub base_model: &'a str,
    pub model_dir: &'a Path,
    pub config: &'a TrainConfig,
}

/// The run.json of a run about to start.
pub(super) fn new_run_info(
    source: RunSource,
    labels: Vec<String>,
    train_data: DatasetInfo,
    valid_data: Option<DatasetInfo>,
    params: &ParamStore,
) -> RunInfo {
    RunInfo {
        attune_version: env!("CARGO_PKG_VERSION").into(),
        task: None,
        base_model: source.base_model.to_string(),
        base_model_path: source.model_dir.to_path_buf(),
        base_revision: snapshot_revision(source.model_dir),
        labels,
        config: source.config.clone(),
        train_data,
        valid_data,
        evaluations: Vec::new(),
        best: None,
        steps: 0,
        train_examples_per_s: 0.0,
        wall_secs: 0.0,
        stopped_early: false,
        parameters: params.parameter_count(),
        trainable_parameters: params.trainable_count(),
    }
}

/// The revision folder name when a model lives in the hub cache (`…/snapshots/REV`).
fn snapshot_revision(dir: &Path) -> Option<String> {
    let parent = dir.parent()?;
    (parent.file_name()? == "snapshots").then(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))?
}
