//! `attune train`: reads the data, resolves the model, runs the core training loop (for a text
//! classifier, or a token classifier on CoNLL data), and shows its events as a live progress bar
//! (step, loss, examples/s, ETA) and evaluation lines.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::DataColumns;
use crate::data::{is_tagged_file, read_labeled, read_tagged, LabeledTexts, ReadOptions, TaggedSentences};
use crate::jobs::CancelToken;
use crate::model::{resolve_model, Freeze, ModelConfig, Precision, Problem};
use crate::project::{project_tagged_data, project_training_data, Project, Task};
use crate::train::{
    default_learning_rate, guess_problem, targets_for, train as run_training, train_token_classifier, TokenTrainJob,
    TrainConfig, TrainEvent, TrainJob,
};

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Base model: a hub id in the local cache (e.g. sentence-transformers/all-MiniLM-L6-v2) or a
    /// folder. With --project, defaults to the project's chosen model.
    #[arg(long)]
    pub model: Option<String>,
    /// Labeled training data: CSV/TSV with a header, or a CoNLL/BIO file (a word and its tag per
    /// line) to train a token classifier.
    #[arg(long, required_unless_present = "project", conflicts_with = "project")]
    pub train: Option<PathBuf>,
    /// Train on a project's labeled examples (train split; the validation split validates).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Labeled validation data; picks the best checkpoint.
    #[arg(long)]
    pub valid: Option<PathBuf>,
    #[command(flatten)]
    pub columns: DataColumns,
    /// Use only the first N training rows.
    #[arg(long, value_name = "N")]
    pub max_train_rows: Option<usize>,
    /// Output run folder (Hugging Face-compatible model + run.json). With --project, defaults to
    /// a new folder under the project's runs/.
    #[arg(long, required_unless_present = "project")]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 3)]
    pub epochs: u32,
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Peak learning rate (default: by model size — 1e-4 up to hidden size 384, 5e-5 up to 768, else 2e-5).
    #[arg(long = "lr")]
    pub learning_rate: Option<f64>,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Share of steps for learning-rate warm-up.
    #[arg(long, default_value_t = 0.06)]
    pub warmup_ratio: f64,
    /// Longest input in tokens.
    #[arg(long, default_value_t = 128)]
    pub max_len: usize,
    /// Clip the global gradient norm to this value (0: off).
    #[arg(long, default_value_t = 1.0)]
    pub grad_clip: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    pub class_weights: bool,
    /// Keep the embeddings fixed.
    #[arg(long)]
    pub freeze_embeddings: bool,
    /// Keep the lowest N encoder layers fixed.
    #[arg(long, default_value_t = 0)]
    pub freeze_layers: usize,
    /// Stop after N evaluations without improvement.
    #[arg(long, value_name = "N")]
    pub early_stopping: Option<u32>,
    /// Evaluations on the validation data per epoch.
    #[arg(long, default_value_t = 1)]
    pub evals_per_epoch: u32,
    /// Validation metric for the best checkpoint: accuracy or macro_f1 (multi-label: micro F1 unless
    /// macro_f1; regression: always the lowest RMSE; token classifiers: always entity micro F1).
    #[arg(long, default_value = "accuracy")]
    pub metric: String,
    /// cpu, cuda:N or metal.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// The type of the linear layers' matrix products: f32, or bf16/f16 mixed precision (weights
    /// stay f32; f16 scales the loss). Mixed precision pays on GPUs; on the CPU it is slower.
    #[arg(long, default_value = "f32", value_parser = ["f32", "bf16", "f16"])]
    pub precision: String,
    /// With little data, run more epochs (up to 30) so training takes at least N steps (0: off).
    #[arg(long, default_value_t = 100)]
    pub min_steps: u64,
    /// text-classification (one label per text), multi-label (several labels per text, cells
    /// split on --label-separator), regression (a number per text) or token-classification (a tag
    /// per word, e.g. named entities). Detected when omitted: from a project's task; CoNLL/BIO
    /// files train token classifiers, label cells with the separator multi-label, numbers that
    /// are not all whole regression.
    #[arg(long, value_parser = ["text-classification", "multi-label", "regression", "token-classification"])]
    pub task: Option<String>,
}

/// What a training command runs.
enum Job {
    Texts(Box<TrainJob>),
    Tokens(Box<TokenTrainJob>),
}

impl TrainArgs {
    fn config(&self, model_dir: &std::path::Path) -> anyhow::Result<TrainConfig> {
        let learning_rate = match self.learning_rate {
            Some(lr) => lr,
            None => default_learning_rate(ModelConfig::load(model_dir)?.hidden_size),
        };
        Ok(TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate,
            weight_decay: self.weight_decay,
            warmup_ratio: self.warmup_ratio,
            max_len: self.max_len,
            grad_clip: (self.grad_clip > 0.0).then_some(self.grad_clip),
            seed: self.seed,
            class_weights: self.class_weights,
            freeze: Freeze { embeddings: self.freeze_embeddings, lowest_layers: self.freeze_layers },
            early_stopping_patience: self.early_stopping,
            evals_per_epoch: self.evals_per_epoch,
            metric: self.metric.clone(),
            device: self.device.clone(),
            precision: Precision::parse(&self.precision).unwrap_or_default(),
            min_steps: self.min_steps,
        })
    }
}

pub fn train(args: TrainArgs) -> anyhow::Result<()> {
    let job = match &args.project {
        Some(dir) => project_job(&args, dir)?,
        None => file_job(&args)?,
    };
    if args.precision != "f32" && args.device == "cpu" {
        eprintln!(
            "note: {} mixed precision on the CPU is slower than f32; it pays on a GPU (--device cuda:0)",
            args.precision
        );
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let interactive = !bar.is_hidden();
    // Without a terminal the bar draws nothing: lines go to standard error instead.
    let say = |line: String| if interactive { bar.println(line) } else { eprintln!("{line}") };
    let mut total = 0u64;
    let mut on_event = |event: TrainEvent| match event {
        TrainEvent::Started { total_steps, train_examples, valid_examples, labels, new_weights } => {
            total = total_steps;
            bar.set_length(total_steps);
            say(format!(
                "training on {train_examples} examples ({valid_examples} for validation), labels: {}; {total_steps} steps",
                labels.join(", ")
            ));
            if !new_weights.is_empty() {
                say(format!("new classifier weights: {}", new_weights.join(", ")));
            }
        }
        TrainEvent::Step { step, epoch, loss, examples_per_s, elapsed_secs, .. } => {
            bar.set_position(step);
            bar.set_message(format!("epoch {epoch}  loss {loss:.4}  {examples_per_s:.1} examples/s"));
            if !interactive && (step % 50 == 0 || step == total) {
                let eta = (total - step) as f64 * elapsed_secs / step.max(1) as f64;
                eprintln!(
                    "step {step}/{total}  epoch {epoch}  loss {loss:.4}  {examples_per_s:.1} examples/s  ETA {eta:.0}s"
                );
            }
        }
        TrainEvent::Eval { record, improved } => {
            let metrics = record.summary();
            let mark = if improved { "  (best so far, saved)" } else { "" };
            say(format!(
                "epoch {} step {}: train loss {:.4}  {metrics}{mark}",
                record.epoch, record.step, record.train_loss
            ));
        }
        TrainEvent::Checkpoint { .. } => {}
        TrainEvent::Finished(_) => bar.finish_and_clear(),
    };
    let summary = match &job {
        Job::Texts(job) => run_training(job, &mut on_event, &CancelToken::new())?,
        Job::Tokens(job) => train_token_classifier(job, &mut on_event, &CancelToken::new())?,
    };
    println!(
        "done: {} steps in {:.0}s ({:.1} examples/s); the best model is in {}",
        summary.steps,
        summary.wall_secs,
        summary.train_examples_per_s,
        summary.out_dir.display()
    );
    if let Some(best) = summary.best.as_ref().filter(|b| b.valid_loss.is_some()) {
        println!("best {} (epoch {})", best.summary(), best.epoch);
    }
    if let Some(dir) = &args.project {
        choose_run(dir, &summary.out_dir)?;
    }
    Ok(())
}

/// Makes a run under the project's runs/ the project's model (as the app does after training).
fn choose_run(project_dir: &std::path::Path, run_dir: &std::path::Path) -> anyhow::Result<()> {
    let mut project = Project::open(project_dir)?;
    if run_dir.parent() == Some(project.runs_dir().as_path()) {
        project.meta.run = run_dir.file_name().map(|n| n.to_string_lossy().into_owned());
        project.save_meta()?;
        println!("this run is now the project's model");
    }
    Ok(())
}

impl TrainArgs {
    /// Whether to train a token classifier: as asked, or because the data is tagged word by word.
    fn tags_words(&self, data_is_tagged: bool) -> bool {
        match self.task.as_deref() {
            Some(task) => task == "token-classification",
            None => data_is_tagged,
        }
    }
}

fn file_job(args: &TrainArgs) -> anyhow::Result<Job> {
    let (Some(train_path), Some(out), Some(model)) = (&args.train, &args.out, &args.model) else {
        anyhow::bail!("give --model, --train and --out (or --project DIR)");
    };
    if args.tags_words(is_tagged_file(train_path)) {
        let train = read_tagged(train_path, args.max_train_rows)?;
        let valid = args.valid.as_deref().map(|p| read_tagged(p, None)).transpose()?;
        for data in std::iter::once(&train).chain(valid.as_ref()) {
            report_left_out(data);
        }
        return token_job(args, model, train, valid, out.clone());
    }
    let columns = ReadOptions {
        text_column: args.columns.text_column.clone(),
        label_column: args.columns.label_column.clone(),
        max_rows: args.max_train_rows,
        pair_column: args.columns.text_pair_column.clone(),
        allow_empty_labels: args.task.as_deref() == Some("multi-label"),
    };
    let separator = &args.columns.label_separator;
    let train_data = read_labeled(train_path, &columns)?;
    let problem = match args.task.as_deref() {
        Some("multi-label") => Problem::MultiLabel,
        Some("regression") => Problem::Regression,
        Some(_) => Problem::SingleLabel,
        None => {
            let guessed = guess_problem(&train_data, separator);
            if guessed != Problem::SingleLabel {
                eprintln!(
                    "the label column looks like {}: training for that (say --task text-classification if not)",
                    guessed.describe()
                );
            }
            guessed
        }
    };
    let train_data = targets_for(train_data, problem, separator)?;
    let valid = match &args.valid {
        Some(path) => Some(targets_for(
            read_labeled(path, &ReadOptions { max_rows: None, ..columns.clone() })?,
            problem,
            separator,
        )?),
        None => None,
    };
    Ok(Job::Texts(Box::new(job(args, model, train_data, valid, out.clone())?)))
}

/// Says which sentences of a CoNLL file could not be read (they are left out of the run).
fn report_left_out(data: &TaggedSentences) {
    if let Some(first) = data.left_out.first() {
        eprintln!(
            "{} sentence(s) of {} could not be read and are left out; the first: {first}",
            data.left_out.len(),
            data.path.display()
        );
    }
}

fn project_job(args: &TrainArgs, dir: &std::path::Path) -> anyhow::Result<Job> {
    let project = Project::open(dir)?;
    let Some(model) = args.model.clone().or_else(|| project.meta.model.clone()) else {
        anyhow::bail!(
            "this project has no model chosen yet: pass --model (e.g. sentence-transformers/all-MiniLM-L6-v2)"
        );
    };
    let task = project.meta.task;
    let named = match task {
        Task::SingleLabel => "text-classification",
        Task::MultiLabel => "multi-label",
        Task::TokenClassification => "token-classification",
        Task::Regression => "regression",
    };
    if let Some(asked) = args.task.as_deref().filter(|&asked| asked != named) {
        anyhow::bail!(
            "this project's task is {} ({named}); --task {asked} does not fit it. Leave --task out, or train on \
             a file with --train",
            task.describe()
        );
    }
    let out = args.out.clone().unwrap_or_else(|| project.new_run_dir());
    if task == Task::TokenClassification {
        let (mut train, valid) = project_tagged_data(&project)?;
        if let Some(max) = args.max_train_rows {
            train.truncate(max);
        }
        return token_job(args, &model, train, valid, out);
    }
    let (mut train_data, valid) = project_training_data(&project)?;
    if let Some(max) = args.max_train_rows {
        train_data.truncate(max);
    }
    Ok(Job::Texts(Box::new(job(args, &model, train_data, valid, out)?)))
}

fn token_job(
    args: &TrainArgs,
    model: &str,
    train: TaggedSentences,
    valid: Option<TaggedSentences>,
    out_dir: PathBuf,
) -> anyhow::Result<Job> {
    let model_dir = resolve_model(model)?;
    let config = args.config(&model_dir)?;
    Ok(Job::Tokens(Box::new(TokenTrainJob { base_model: model.to_string(), config, model_dir, train, valid, out_dir })))
}

fn job(
    args: &TrainArgs,
    model: &str,
    train: LabeledTexts,
    valid: Option<LabeledTexts>,
    out_dir: PathBuf,
) -> anyhow::Result<TrainJob> {
    let model_dir = resolve_model(model)?;
    Ok(TrainJob { base_model: model.to_string(), config: args.config(&model_dir)?, model_dir, train, valid, out_dir })
}
