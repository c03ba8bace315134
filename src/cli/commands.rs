//! The short commands: models, eval, predict and bench.

use std::io::BufRead;

use anyhow::Context;

use super::{BenchArgs, EvalArgs, ModelsArgs, PredictArgs};
use crate::data::{read_labeled, ReadOptions};
use crate::model::{
    argmax_rows, list_models, parse_device, resolve_model, LoadOptions, Precision, Problem, SequenceClassifier,
};
use crate::quant::Quant;
use crate::settings::Settings;
use crate::train::bench::{run_bench, BenchOptions};
use crate::train::{evaluate_texts, targets_for, TextEvaluation};

pub fn models(args: ModelsArgs) -> anyhow::Result<()> {
    let mut settings = Settings::load();
    if let Some(dir) = args.add {
        settings.add_model_folder(dir).map_err(anyhow::Error::msg)?;
        settings.save().map_err(anyhow::Error::msg)?;
    }
    let models = list_models(&settings.model_folders);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    if models.is_empty() {
        println!(
            "No models found in {} or in added folders.\nAdd a folder with `attune models --add DIR`.",
            crate::model::hub_cache_dir().display()
        );
        return Ok(());
    }
    println!(
        "{:<45} {:<30} {:>6} {:>6} {:>5} {:>11} {:>9} {:<9} path",
        "id", "architecture", "layers", "hidden", "heads", "parameters", "size", "tokenizer"
    );
    for m in models {
        println!(
            "{:<45} {:<30} {:>6} {:>6} {:>5} {:>10.1}M {:>7.1}MB {:<9} {}",
            m.id,
            m.architecture,
            m.layers,
            m.hidden_size,
            m.heads,
            m.parameters as f64 / 1e6,
            m.size_bytes as f64 / 1e6,
            if m.has_tokenizer { "yes" } else { "no" },
            m.path.display()
        );
        if let Some(problem) = m.problem {
            println!("    cannot be used: {problem}");
        }
    }
    Ok(())
}

pub(super) fn load_classifier(spec: &str, device: &str, max_len: usize) -> anyhow::Result<SequenceClassifier> {
    let opts = LoadOptions { device: parse_device(device)?, max_len, ..LoadOptions::default() };
    let path = std::path::Path::new(spec);
    if path.is_file() {
        return Ok(SequenceClassifier::load_path(path, &opts)?);
    }
    let dir = resolve_model(spec)?;
    Ok(SequenceClassifier::load(&dir, &opts)?)
}

pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    if let Some(dir) = super::tokens_cmd::token_model_dir(&args.model) {
        return super::tokens_cmd::eval(&dir, &args);
    }
    let model = load_classifier(&args.model, &args.device, args.max_len)?;
    let opts = ReadOptions {
        text_column: args.columns.text_column,
        label_column: args.columns.label_column,
        max_rows: args.max_rows,
        pair_column: args.columns.text_pair_column,
        allow_empty_labels: model.problem == Problem::MultiLabel,
    };
    let data = targets_for(read_labeled(&args.data, &opts)?, model.problem, &args.columns.label_separator)?;
    let source = args.data.display().to_string();
    let eval = match evaluate_texts(&model, &data, args.batch_size)? {
        TextEvaluation::Classes(eval) => eval,
        TextEvaluation::LabelSets(eval) => return super::targets_cmd::print_label_sets(&eval, &source, args.json),
        TextEvaluation::Scores(eval) => return super::targets_cmd::print_scores(&eval, &source, args.json),
    };
    let m = &eval.metrics;
    if args.json {
        println!("{}", serde_json::to_string_pretty(m)?);
        return Ok(());
    }
    println!("{} examples from {}", m.examples, args.data.display());
    println!(
        "accuracy {:.4}   macro F1 {:.4}   micro F1 {:.4}   weighted F1 {:.4}",
        m.accuracy, m.macro_f1, m.micro_f1, m.weighted_f1
    );
    println!("\n{:<24} {:>9} {:>7} {:>7} {:>8}", "label", "precision", "recall", "f1", "support");
    for label in &m.labels {
        let s = &m.per_class[label];
        println!("{:<24} {:>9.4} {:>7.4} {:>7.4} {:>8}", label, s.precision, s.recall, s.f1, s.support);
    }
    println!("\nconfusion (rows: true label, columns: predicted, in the order above)");
    for (label, row) in m.labels.iter().zip(&m.confusion) {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>6}")).collect();
        println!("{:<24} {}", label, cells.join(""));
    }
    Ok(())
}

/// Stops commands that feed single texts to a model trained on text pairs.
pub(super) fn refuse_pair_model(spec: &str) -> anyhow::Result<()> {
    if crate::train::RunInfo::is_text_pair(std::path::Path::new(spec)) {
        anyhow::bail!(
            "this model reads text pairs, and this command gives it single texts; use `attune eval \
             --text-pair-column NAME` or a project's suggestions (`attune suggest`)"
        );
    }
    Ok(())
}

pub fn predict(args: PredictArgs) -> anyhow::Result<()> {
    refuse_pair_model(&args.model)?;
    let texts: Vec<String> = if args.texts.is_empty() {
        let stdin = std::io::stdin();
        let mut lines = Vec::new();
        for line in stdin.lock().lines() {
            let line = line.context("could not read the texts from standard input")?;
            if !line.trim().is_empty() {
                lines.push(line);
            }
        }
        lines
    } else {
        args.texts
    };
    if texts.is_empty() {
        anyhow::bail!("there is no text to classify: give texts as arguments or one per line on standard input");
    }
    if let Some(dir) = super::tokens_cmd::token_model_dir(&args.model) {
        return super::tokens_cmd::predict(&dir, &texts, &args.device, args.max_len, args.json);
    }
    let model = load_classifier(&args.model, &args.device, args.max_len)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let probs = model.predict(&refs, 32)?;
    if model.problem != Problem::SingleLabel {
        super::targets_cmd::print_outputs(&model, &texts, &probs, args.json);
        return Ok(());
    }
    let predicted = argmax_rows(&probs);
    for ((text, p), best) in texts.iter().zip(&probs).zip(predicted) {
        if args.json {
            let probabilities: serde_json::Map<String, serde_json::Value> =
                model.labels.iter().zip(p).map(|(l, v)| (l.clone(), serde_json::json!(v))).collect();
            let line = serde_json::json!({ "text": text, "label": model.labels[best], "probabilities": probabilities });
            println!("{line}");
        } else {
            println!("{}\t{:.3}\t{}", model.labels[best], p[best], text);
        }
    }
    Ok(())
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let model_dir = match &args.model {
        Some(spec) => Some(resolve_model(spec)?),
        None => None,
    };
    let opts = BenchOptions {
        model_dir,
        shape: args.shape,
        batch_size: args.batch_size,
        infer_batch_size: args.infer_batch_size,
        max_len: args.max_len,
        warmup: args.warmup,
        reps: args.reps,
        device: args.device,
        quant: args.quant.as_deref().map(Quant::parse).transpose().map_err(anyhow::Error::msg)?,
        skip_train: args.skip_train,
        precision: Precision::parse(&args.precision).unwrap_or_default(),
    };
    let quiet = args.json;
    let report = run_bench(&opts, &mut |phase| {
        if !quiet {
            eprintln!("measuring {phase}…");
        }
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "model {} ({:.1}M parameters) on {}, {} threads, matrix kernel {}",
        report.model,
        report.parameters as f64 / 1e6,
        report.device,
        report.threads,
        report.matrix_kernel
    );
    if report.train_step_ms > 0.0 {
        println!(
        "training  batch {} x {} tokens: {:.0} ms/step (forward {:.0}, backward {:.0}, optimizer {:.0}) = {:.1} examples/s, {:.0} GFLOP/s",
        report.batch_size, report.max_len, report.train_step_ms, report.forward_ms, report.backward_ms, report.optimizer_ms,
        report.train_examples_per_s, report.train_gflop_per_s
    );
    }
    println!(
        "inference ({}) batch {} x {} tokens: {:.0} ms/batch = {:.1} examples/s, {:.0} GFLOP/s",
        report.weights,
        report.infer_batch_size,
        report.max_len,
        report.infer_batch_ms,
        report.infer_examples_per_s,
        report.infer_gflop_per_s
    );
    Ok(())
}
