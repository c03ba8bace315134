//! The training loop shared by every task: epochs of length-bucketed batches, AdamW with warm-up
//! and decay, evaluation points, keeping the best checkpoint, early stopping, cancel and pause,
//! and the events. What differs by task (the loss of a batch, the validation measures, the
//! saved folder) comes from a [`Trainee`].

use std::path::Path;
use std::time::Instant;

use candle_core::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::batches::epoch_batches;
use super::loss_scale::LossScale;
use super::optimizer::{learning_rate, AdamW};
use super::run::{RunSummary, TrainEvent};
use super::run_info::{EvalRecord, RunInfo};
use super::{TrainConfig, TrainError};
use crate::jobs::CancelToken;
use crate::model::{DropoutRng, ParamStore};

/// A model being trained on prepared data: what the loop needs to know of a task.
pub(super) trait Trainee {
    fn params(&self) -> &ParamStore;
    fn labels(&self) -> &[String];
    /// The parameters that were initialised rather than loaded.
    fn initialised(&self) -> &[String];
    /// The length in tokens of each training example (for bucketing).
    fn train_lengths(&self) -> Vec<usize>;
    fn valid_examples(&self) -> usize;
    /// The mean loss of a batch of training examples, with dropout on.
    fn batch_loss(&self, indices: &[usize], rng: &mut DropoutRng) -> Result<Tensor, TrainError>;
    /// Fills the validation measures of a record (when there is validation data).
    fn validate(&self, record: &mut EvalRecord, batch_size: usize) -> Result<(), TrainError>;
    fn save(&self, dir: &Path) -> Result<(), TrainError>;
}

/// Refuses to write over a finished run.
pub(super) fn check_out_dir(out_dir: &Path) -> Result<(), TrainError> {
    if out_dir.join("model.safetensors").exists() && out_dir.join("run.json").exists() {
        return Err(TrainError::Settings(format!(
            "the output folder already holds a trained model; choose another output folder or remove it — {}",
            out_dir.display()
        )));
    }
    Ok(())
}

/// The score that picks the best checkpoint (higher is better): entity F1 for token
/// classification, minus the RMSE for regression, else the configured metric (multi-label: micro
/// F1 unless macro F1 is asked for).
fn score(record: &EvalRecord, cfg: &TrainConfig) -> Option<f64> {
    if record.entity_micro_f1.is_some() {
        return record.entity_micro_f1;
    }
    if let Some(r) = &record.regression {
        return Some(-r.rmse);
    }
    match (cfg.metric.as_str(), record.micro_f1) {
        ("macro_f1", _) => record.macro_f1,
        (_, Some(micro)) => Some(micro),
        _ => record.accuracy,
    }
}

/// Whether an evaluation beats the best so far: a higher score (on a tie the earlier checkpoint
/// stays, as transformers' Trainer keeps it), or, while the score is still 0, a lower validation
/// loss (a multi-label validation split without any positive label scores 0 every time, which
/// would otherwise keep the first checkpoint for good).
fn better(now: &EvalRecord, best: &EvalRecord, cfg: &TrainConfig) -> bool {
    match (score(now, cfg), score(best, cfg)) {
        (Some(n), Some(b)) if n != b || n != 0.0 => n > b,
        (Some(_), Some(_)) => matches!((now.valid_loss, best.valid_loss), (Some(n), Some(b)) if n < b),
        _ => true,
    }
}

/// Trains until the epochs are done (or early stopping), keeping the best checkpoint in
/// `out_dir` and `info` up to date in its run.json.
pub(super) fn run_loop(
    trainee: &dyn Trainee,
    mut info: RunInfo,
    out_dir: &Path,
    on_event: &mut dyn FnMut(TrainEvent),
    cancel: &CancelToken,
) -> Result<RunSummary, TrainError> {
    let cfg = info.config.clone();
    std::fs::create_dir_all(out_dir).map_err(|e| TrainError::Write(format!("{e} — {}", out_dir.display())))?;
    let lengths = trainee.train_lengths();
    let steps_per_epoch = lengths.len().div_ceil(cfg.batch_size) as u64;
    let epochs = cfg.effective_epochs(lengths.len());
    let total_steps = steps_per_epoch * epochs as u64;
    let warmup_steps = (cfg.warmup_ratio * total_steps as f64).ceil() as u64;
    on_event(TrainEvent::Started {
        total_steps,
        train_examples: lengths.len(),
        valid_examples: trainee.valid_examples(),
        labels: trainee.labels().to_vec(),
        new_weights: trainee.initialised().to_vec(),
    });
    let mut optimizer = AdamW::new(trainee.params(), cfg.weight_decay);
    let mut loss_scale = cfg.precision.needs_loss_scaling().then(LossScale::default);
    let mut batch_rng = StdRng::seed_from_u64(cfg.seed);
    let mut dropout_rng = DropoutRng::new(cfg.seed.wrapping_add(1));
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
            let loss = trainee.batch_loss(indices, &mut dropout_rng)?;
            let loss_value = loss.to_scalar::<f32>()?;
            if !loss_value.is_finite() {
                return Err(TrainError::Diverged(loss_value));
            }
            let lr = learning_rate(step, total_steps, warmup_steps, cfg.learning_rate);
            match &mut loss_scale {
                Some(scale) => {
                    let grads = (&loss * scale.scale())?.backward()?;
                    let report = optimizer.step_scaled(&grads, lr, cfg.grad_clip, scale.scale())?;
                    scale.update(!report.skipped);
                }
                None => {
                    optimizer.step(&loss.backward()?, lr, cfg.grad_clip)?;
                }
            }
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
            if !eval_points.contains(&b) {
                continue;
            }
            let train_loss = since_eval_loss / since_eval_steps.max(1) as f64;
            (since_eval_loss, since_eval_steps) = (0.0, 0);
            let mut record = EvalRecord::new(epoch, step, train_loss);
            trainee.validate(&mut record, cfg.batch_size.max(32))?;
            record.elapsed_secs = started.elapsed().as_secs_f64();
            let improved = match &info.best {
                None => true,
                Some(best) => better(&record, best, &cfg),
            };
            info.evaluations.push(record.clone());
            on_event(TrainEvent::Eval { record: record.clone(), improved });
            if improved {
                evals_without_gain = 0;
                info.best = Some(record);
                trainee.save(out_dir)?;
                on_event(TrainEvent::Checkpoint { path: out_dir.to_path_buf() });
            } else {
                evals_without_gain += 1;
            }
            info.steps = step;
            info.wall_secs = started.elapsed().as_secs_f64();
            info.train_examples_per_s = seen as f64 / info.wall_secs.max(1e-9);
            info.write(out_dir)?;
            if cfg.early_stopping_patience.is_some_and(|p| evals_without_gain >= p) {
                info.stopped_early = true;
                break 'epochs;
            }
        }
    }
    info.steps = step;
    info.wall_secs = started.elapsed().as_secs_f64();
    info.train_examples_per_s = seen as f64 / info.wall_secs.max(1e-9);
    info.write(out_dir)?;
    Ok(RunSummary {
        out_dir: out_dir.to_path_buf(),
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

#[cfg(test)]
mod tests {
    use super::{better, eval_points, EvalRecord, TrainConfig};

    #[test]
    fn ties_keep_the_earlier_checkpoint_unless_nothing_was_found_yet() {
        let record = |f1: f64, loss: f64| {
            let mut r = EvalRecord::new(1, 1, 0.0);
            (r.micro_f1, r.macro_f1, r.accuracy, r.valid_loss) = (Some(f1), Some(f1), Some(f1), Some(loss));
            r
        };
        let cfg = TrainConfig::default();
        assert!(better(&record(0.5, 0.9), &record(0.4, 0.1), &cfg), "a higher score wins");
        assert!(!better(&record(0.5, 0.1), &record(0.5, 0.9), &cfg), "a tie keeps the earlier checkpoint");
        assert!(better(&record(0.0, 0.3), &record(0.0, 0.6), &cfg), "nothing found yet: the lower loss");
        assert!(!better(&record(0.0, 0.6), &record(0.0, 0.3), &cfg));
    }

    #[test]
    fn eval_points_are_spread_and_end_the_epoch() {
        assert_eq!(eval_points(10, 1), vec![9]);
        assert_eq!(eval_points(10, 2), vec![4, 9]);
        assert_eq!(eval_points(3, 5), vec![0, 1, 2]);
    }
}
