//! The headless front end: `attune <command>`. Each command parses its flags, calls the same
//! core functions as the app, and prints for people (or one JSON object with `--json`).
//! Errors reach `main` as values and are printed as one sentence.

mod assist_cmd;
mod commands;
mod explain_cmd;
mod export_cmd;
mod project_cmd;
mod project_new_cmd;
mod serve_cmd;
mod tag_suggest_cmd;
mod targets_cmd;
mod tokens_cmd;
mod train_cmd;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "attune", version, about = "Fine-tune, explain and export text classifiers on your own machine.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the models in the local model cache and in added folders.
    Models(ModelsArgs),
    /// Fine-tune a model on a labeled CSV/TSV file.
    Train(train_cmd::TrainArgs),
    /// Measure a fine-tuned model on labeled data.
    Eval(EvalArgs),
    /// Classify texts with a fine-tuned model.
    Predict(PredictArgs),
    /// Measure training and inference speed.
    Bench(BenchArgs),
    /// Why a model predicts what it does: word attributions or attention.
    Explain(explain_cmd::ExplainArgs),
    /// Serve predictions over HTTP on this machine (a local JSON API).
    Serve(serve_cmd::ServeArgs),
    /// Export a run as GGUF (f32/f16/q8_0/q4_0/q4_k) or a Hugging Face folder, reload it and verify it.
    Export(export_cmd::ExportArgs),
    /// The model's label for every unlabeled example of a project; accept the confident ones.
    Suggest(assist_cmd::SuggestArgs),
    /// The examples to label next: those the model is least sure of, with some random ones.
    Queue(assist_cmd::QueueArgs),
    /// Labeled examples whose label is probably wrong (cross-validated, confident learning).
    Suspects(assist_cmd::SuspectsArgs),
    /// Will labeling more help? Train on 25/50/75/100 % of the labels and measure each.
    Curve(assist_cmd::CurveArgs),
    /// Create, inspect, label and export projects.
    #[command(subcommand)]
    Project(project_cmd::ProjectCommand),
}

#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// Print one JSON list instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Add a folder to search for models (a model folder or a folder of them), then list.
    #[arg(long, value_name = "DIR")]
    pub add: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct DataColumns {
    /// Column holding the text (detected when omitted).
    #[arg(long, value_name = "NAME")]
    pub text_column: Option<String>,
    /// Column holding the label (detected when omitted).
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Column holding the second text of each pair (premise/hypothesis, question/answer):
    /// the model reads both texts as one pair input.
    #[arg(long, value_name = "NAME")]
    pub text_pair_column: Option<String>,
    /// What separates the labels of a multi-label cell (e.g. `billing;refund`).
    #[arg(long, value_name = "TEXT", default_value = ";")]
    pub label_separator: String,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A run folder, a GGUF file exported by Attune, or any fine-tuned classifier folder or hub id.
    #[arg(long)]
    pub model: String,
    /// Labeled CSV/TSV file with a header; for a token classifier, a CoNLL/BIO file.
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub columns: DataColumns,
    /// Evaluate only the first N rows.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 256)]
    pub max_len: usize,
    /// cpu, cuda:N or metal.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print one JSON object (accuracy, macro_f1, labels, per_class, confusion, …; for a token
    /// classifier entity_micro_f1, entity_macro_f1, per_type, token_accuracy, token_confusion).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A run folder, a GGUF file exported by Attune, or any fine-tuned classifier folder or hub id.
    #[arg(long)]
    pub model: String,
    /// Texts to classify; with none, one text per line is read from standard input.
    pub texts: Vec<String>,
    #[arg(long, default_value_t = 256)]
    pub max_len: usize,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print one JSON object per text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A model folder or hub id; without it, random weights of --shape.
    #[arg(long)]
    pub model: Option<String>,
    /// Shape of the random model when no --model is given: minilm or bert-base.
    #[arg(long, default_value = "minilm")]
    pub shape: String,
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 32)]
    pub infer_batch_size: usize,
    #[arg(long, default_value_t = 64)]
    pub max_len: usize,
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Measure inference of the model exported to GGUF in this format (q8_0, q4_0, q4_k, f16).
    #[arg(long, value_name = "FORMAT")]
    pub quant: Option<String>,
    /// Measure inference only.
    #[arg(long)]
    pub skip_train: bool,
    /// The type of the linear layers' matrix products: f32, or bf16/f16 mixed precision.
    #[arg(long, default_value = "f32", value_parser = ["f32", "bf16", "f16"])]
    pub precision: String,
    #[arg(long)]
    pub json: bool,
}

/// Runs one headless command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Models(a) => commands::models(a),
        Command::Train(a) => train_cmd::train(a),
        Command::Eval(a) => commands::eval(a),
        Command::Predict(a) => commands::predict(a),
        Command::Bench(a) => commands::bench(a),
        Command::Project(c) => project_cmd::run(c),
        Command::Explain(a) => explain_cmd::run(a),
        Command::Export(a) => export_cmd::run(a),
        Command::Serve(a) => serve_cmd::run(a),
        Command::Suggest(a) => assist_cmd::suggest(a),
        Command::Queue(a) => assist_cmd::queue(a),
        Command::Suspects(a) => assist_cmd::suspects(a),
        Command::Curve(a) => assist_cmd::curve(a),
    }
}
