//! The training loop: a plain function that fine-tunes a classifier and reports events.
//! The CLI prints the events with a progress bar, the app receives them over a channel from a
//! worker thread, and tests collect them in a closure. It checks the cancel token (and waits while paused) between steps.
//!
//! Event order: Started, then (Step | Eval | Checkpoint)*, then exactly one Finished.

use std::path::PathBuf;
use std::time::Instant;

use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::batches::epoch_batches;
use super::evaluate::{evaluate_tokenized, label_indices};
use super::optimizer::{learning_rate, AdamW};
use super::run_info::{DatasetInfo, EvalRecord, RunInfo};
use super::{TrainConfig, TrainError};
use crate::data::{label_set, LabeledTexts};
use crate::jobs::CancelToken;
use crate::model::{cross_entropy, parse_device, DropoutRng, LoadOptions, SequenceClassifier, TokenizedText};

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

struct Prepared {
    model: SequenceClassifier,
    train_tokens: Vec<TokenizedText>,
    train_targets: Vec<u32>,
    valid: Option<(Vec<TokenizedText>, Vec<usize>)>,
    class_weights: Option<Tensor>,
}

fn prepare(job: &TrainJob) -> Result<Prepared, TrainError> {
    let cfg = &job.config;
    let problems = cfg.problems();
    if !problems.is_empty() {
        return Err(TrainError::Settings(problems.join("; ")));
    }
    job.train.require_two_classes()?;
    let labels = label_set(&job.train.labels);
    let device: Device = parse_device(&cfg.device)?;
    let opts = LoadOptions {
        labels: Some(labels.clone()),
        device: device.clone(),
        seed: cfg.seed,
        freeze: cfg.freeze,
        max_len: cfg.max_len,
    };
    let model = SequenceClassifier::load(&job.model_dir, &opts)?;
    let train_tokens = model.tokenizer.tokenize_inputs(&job.train.texts, job.train.pairs.as_deref())?;
    let train_targets: Vec<u32> = label_indices(&labels, &job.train.labels)?.into_iter().map(|i| i as u32).collect();
    let valid = match &job.valid {
        Some(v) => {
            let truth = label_indices(&labels, &v.labels)?;
            Some((model.tokenizer.tokenize_inputs(&v.texts, v.pairs.as_deref())?, truth))
        }
        None => None,
    };
    let class_weights = if cfg.class_weights {
        let mut counts = vec![0usize; labels.len()];
        train_targets.iter().for_each(|&t| counts[t as usize] += 1);
        let n = train_targets.len() as f32;
        let k = labels.len() as f32;
        let w: Vec<f32> = counts.iter().map(|&c| if c == 0 { 0.0 } else { n / (k * c as f32) }).collect();
        Some(Tensor::new(w, &device)?)
    } else {
        None
    };
    Ok(Prepared { model, train_tokens, train_targets, valid, class_weights })
}

fn dataset_info(d: &LabeledTexts) -> DatasetInfo {
    DatasetInfo {
        text_pair_column: d.pair_column.clone(),
        path: d.path.clone(),
        sha256: d.sha256.clone(),
        rows: d.len(),
        text_column: d.text_column.clone(),
        label_column: d.label_column.clone(),
    }
}

fn run(job: &TrainJob, on_event: &mut dyn FnMut(TrainEvent), cancel: &CancelToken) -> Result<RunSummary, TrainError> {
    let cfg = &job.config;
    if job.out_dir.join("model.safetensors").exists() && job.out_dir.join("run.json").exists() {
        return Err(TrainError::Settings(format!(
            "the output folder already holds a trained model; choose another output folder or remove it — {}",
            job.out_dir.display()
        )));
    }
    let p = prepare(job)?;
    let model = &p.model;
    std::fs::create_dir_all(&job.out_dir).map_err(|e| TrainError::Write(format!("{e} — {}", job.out_dir.display())))?;
    let steps_per_epoch = p.train_tokens.len().div_ceil(cfg.batch_size) as u64;
    let epochs = cfg.effective_epochs(p.train_tokens.len());
    let total_steps = steps_per_epoch * epochs as u64;
    let warmup_steps = (cfg.warmup_ratio * total_steps as f64).ceil() as u64;
    on_event(TrainEvent::Started {
        total_steps,
        train_examples: p.train_tokens.len(),
        valid_examples: p.valid.as_ref().map_or(0, |v| v.1.len()),
        labels: model.labels.clone(),
        new_weights: model.initialised.clone(),
    });
    let mut info = RunInfo {
        attune_version: env!("CARGO_PKG_VERSION").into(),
        base_model: job.base_model.clone(),
        base_model_path: job.model_dir.clone(),
        base_revision: snapshot_revision(&job.model_dir),
        labels: model.labels.clone(),
        config: cfg.clone(),
        train_data: dataset_info(&job.train),
        valid_data: job.valid.as_ref().map(dataset_info),
        evaluations: Vec::new(),
        best: None,
        steps: 0,
        train_examples_per_s: 0.0,
        wall_secs: 0.0,
        stopped_early: false,
        parameters: model.params.parameter_count(),
        trainable_parameters: model.params.trainable_count(),
    };
    let mut optimizer = AdamW::new(&model.params, cfg.weight_decay);
    let mut batch_rng = StdRng::seed_from_u64(cfg.seed);
    let mut dropout_rng = DropoutRng::new(cfg.seed.wrapping_add(1));
    let lengths: Vec<usize> = p.train_tokens.iter().map(|t| t.ids.len()).collect();
    let started = Instant::now();
    let (mut step, mut seen, mut since_eval_loss, mut since_eval_steps) = (0u64, 0usize, 0.0f64, 0u64);
    let mut evals_without_gain = 0u32;
    'epochs: for epoch in 1..=epochs {
        let batches = epoch_batches(&lengths, cfg.batch_size, &mut batch_rng);
        let eval_points = eval_points(batches.len(), cfg.evals_per_epoch);
        for (b, indices) in batches.iter().enumerate() {
            cancel.wait_while_paused();
            if cancel.is_cancelled() {
                return Err(TrainError::Cancelled);
            }
            let rows: Vec<&TokenizedText> = indices.iter().map(|&i| &p.train_tokens[i]).collect();
            let batch = model.tokenizer.batch(&rows, &model.device)?;
            let targets: Vec<u32> = indices.iter().map(|&i| p.train_targets[i]).collect();
            let targets = Tensor::new(targets, &model.device)?;
            let logits = model.forward(&batch, Some(&mut dropout_rng), false)?.logits;
            let loss = cross_entropy(&logits, &targets, p.class_weights.as_ref())?;
            let loss_value = loss.to_scalar::<f32>()?;
            if !loss_value.is_finite() {
                return Err(TrainError::Diverged(loss_value));
            }
            let grads = loss.backward()?;
            let lr = learning_rate(step, total_steps, warmup_steps, cfg.learning_rate);
            optimizer.step(&grads, lr, cfg.grad_clip)?;
            step += 1;
            seen += indices.len();
            since_eval_loss += loss_value as f64;
            since_eval_steps += 1;
            let elapsed_secs = started.elapsed().as_secs_f64();
            on_event(TrainEvent::Step {
                step,
                epoch,
                loss: loss_value,
                learning_rate: lr,
                examples_per_s: seen as f64 / elapsed_secs.max(1e-9),
                elapsed_secs,
            });
            if eval_points.contains(&b) {
                let train_loss = since_eval_loss / since_eval_steps.max(1) as f64;
                (since_eval_loss, since_eval_steps) = (0.0, 0);
                let record =
                    evaluation_record(model, &p.valid, cfg, epoch, step, train_loss, started.elapsed().as_secs_f64())?;
                let score = |r: &EvalRecord| if cfg.metric == "macro_f1" { r.macro_f1 } else { r.accuracy };
                let improved = match (&info.best, score(&record)) {
                    (None, _) => true,
                    (Some(best), Some(now)) => score(best).is_none_or(|b| now > b),
                    (Some(_), None) => true,
                };
                info.evaluations.push(record.clone());
                on_event(TrainEvent::Eval { record: record.clone(), improved });
                if improved {
                    evals_without_gain = 0;
                    info.best = Some(record);
                    model.save(&job.out_dir)?;
                    on_event(TrainEvent::Checkpoint { path: job.out_dir.clone() });
                } else {
                    evals_without_gain += 1;
                }
                info.steps = step;
                info.wall_secs = started.elapsed().as_secs_f64();
                info.train_examples_per_s = seen as f64 / info.wall_secs.max(1e-9);
                info.write(&job.out_dir)?;
                if cfg.early_stopping_patience.is_some_and(|p| evals_without_gain >= p) {
                    info.stopped_early = true;
                    break 'epochs;
                }
            }
        }
    }
    info.steps = step;
    info.wall_secs = started.elapsed().as_secs_f64();
    info.train_examples_per_s = seen as f64 / info.wall_secs.max(1e-9);
    info.write(&job.out_dir)?;
    Ok(RunSummary {
        out_dir: job.out_dir.clone(),
        best: info.best.clone(),
        steps: step,
        wall_secs: info.wall_secs,
        train_examples_per_s: info.train_examples_per_s,
    })
}

/// Batch indices after which to evaluate: evenly spaced, the last batch always included.
fn eval_points(batches: usize, per_epoch: u32) -> Vec<usize> {
    let per_epoch = (per_epoch as usize).clamp(1, batches.max(1));
    (1..=per_epoch).map(|k| (k * batches).div_ceil(per_epoch).saturating_sub(1)).collect()
}

fn evaluation_record(
    model: &SequenceClassifier,
    valid: &Option<(Vec<TokenizedText>, Vec<usize>)>,
    cfg: &TrainConfig,
    epoch: u32,
    step: u64,
    train_loss: f64,
    elapsed_secs: f64,
) -> Result<EvalRecord, TrainError> {
    let mut record =
        EvalRecord { epoch, step, train_loss, valid_loss: None, accuracy: None, macro_f1: None, elapsed_secs };
    if let Some((tokens, truth)) = valid {
        let eval = evaluate_tokenized(model, tokens, truth, cfg.batch_size.max(32))?;
        record.valid_loss = Some(eval.loss);
        record.accuracy = Some(eval.metrics.accuracy);
        record.macro_f1 = Some(eval.metrics.macro_f1);
    }
    Ok(record)
}

/// The revision folder name when a model lives in the hub cache (`…/snapshots/REV`).
fn snapshot_revision(dir: &std::path::Path) -> Option<String> {
    let parent = dir.parent()?;
    (parent.file_name()? == "snapshots").then(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))?
}

#[cfg(test)]
mod tests {
    use super::eval_points;

    #[test]
    fn eval_points_are_spread_and_end_the_epoch() {
        assert_eq!(eval_points(10, 1), vec![9]);
        assert_eq!(eval_points(10, 2), vec![4, 9]);
        assert_eq!(eval_points(3, 5), vec![0, 1, 2]);
    }
}
