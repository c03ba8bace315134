//! `attune eval` and `attune predict` for token classifiers (a tag per word): entity-level
//! measures of a CoNLL file, and the entities found in typed texts.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::EvalArgs;
use crate::data::read_tagged;
use crate::model::{parse_device, resolve_model, LoadOptions, ModelConfig, TokenClassifier};
use crate::train::{evaluate_tagged, tag_texts, EntityScores};

/// The folder (or exported GGUF file) of a token classifier, when `spec` names one.
pub(super) fn token_model_dir(spec: &str) -> Option<PathBuf> {
    if Path::new(spec).is_file() {
        return crate::quant::is_gguf_token_classifier(Path::new(spec)).then(|| PathBuf::from(spec));
    }
    let dir = resolve_model(spec).ok()?;
    ModelConfig::load(&dir).ok()?.token_classifier.then_some(dir)
}

pub(super) fn load(dir: &Path, device: &str, max_len: usize) -> anyhow::Result<TokenClassifier> {
    let opts = LoadOptions { device: parse_device(device)?, max_len, ..LoadOptions::default() };
    Ok(TokenClassifier::load_path(dir, &opts)?)
}

fn scores_json(s: &EntityScores) -> serde_json::Value {
    json!({ "precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support })
}

pub(super) fn eval(dir: &Path, args: &EvalArgs) -> anyhow::Result<()> {
    let model = load(dir, &args.device, args.max_len)?;
    let data = read_tagged(&args.data, args.max_rows)?;
    if let Some(first) = data.left_out.first() {
        eprintln!("{} sentence(s) could not be read and are left out; the first: {first}", data.left_out.len());
    }
    let eval = evaluate_tagged(&model, &data, args.batch_size)?;
    let m = &eval.metrics;
    if args.json {
        let per_type: serde_json::Map<String, serde_json::Value> =
            m.per_type.iter().map(|(k, s)| (k.clone(), scores_json(s))).collect();
        let out = json!({
            "sentences": data.len(),
            "entity_micro_f1": m.micro.f1,
            "entity_macro_f1": m.macro_avg.f1,
            "entity_micro": scores_json(&m.micro),
            "entity_macro": scores_json(&m.macro_avg),
            "per_type": per_type,
            "token_accuracy": m.token_accuracy,
            "loss": eval.loss,
            "tags": m.tags,
            "token_confusion": m.token_confusion,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{} sentences from {}", data.len(), args.data.display());
    println!(
        "entity F1 {:.4} (micro)  {:.4} (macro)   precision {:.4}   recall {:.4}   token accuracy {:.4}",
        m.micro.f1, m.macro_avg.f1, m.micro.precision, m.micro.recall, m.token_accuracy
    );
    println!("\n{:<24} {:>9} {:>7} {:>7} {:>8}", "entity type", "precision", "recall", "f1", "support");
    for (kind, s) in &m.per_type {
        println!("{:<24} {:>9.4} {:>7.4} {:>7.4} {:>8}", kind, s.precision, s.recall, s.f1, s.support);
    }
    println!("\ntoken confusion (rows: true tag, columns: predicted, in this order: {})", m.tags.join(" "));
    for (tag, row) in m.tags.iter().zip(&m.token_confusion) {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>7}")).collect();
        println!("{:<12} {}", tag, cells.join(""));
    }
    Ok(())
}

pub(super) fn predict(dir: &Path, texts: &[String], device: &str, max_len: usize, as_json: bool) -> anyhow::Result<()> {
    let model = load(dir, device, max_len)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    for (text, tagged) in texts.iter().zip(tag_texts(&model, &refs, 32)?) {
        if as_json {
            let mut line = serde_json::to_value(&tagged)?;
            line["text"] = json!(text);
            println!("{line}");
            continue;
        }
        let listed: Vec<String> =
            tagged.entities.iter().map(|e| format!("{} [{} {:.2}]", e.text, e.kind, e.confidence)).collect();
        let listed = if listed.is_empty() { "no entities".to_string() } else { listed.join(", ") };
        println!("{text}\n    {listed}");
    }
    Ok(())
}
