//! `attune explain`: word attributions (integrated gradients, gradient × input, occlusion) or
//! attention matrices for one text, printed for people, as JSON, or as a shareable HTML page.

use std::path::PathBuf;

use clap::Args;

use crate::explain::{
    attention_maps, explain, load_for_explanation, target_index, to_html, Baseline, ExplainOptions, Method,
};
use crate::jobs::CancelToken;
use crate::model::{parse_device, resolve_model};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A run folder (fine-tuned classifier).
    #[arg(long)]
    pub model: String,
    /// ig, grad-input, occlusion or attention.
    #[arg(long, default_value = "ig")]
    pub method: String,
    /// Integrated-gradients steps.
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// The label to explain (default: the predicted one).
    #[arg(long)]
    pub target: Option<String>,
    /// Integrated-gradients baseline: pad, mask or zero.
    #[arg(long, default_value = "pad")]
    pub baseline: String,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML view to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// The text to explain.
    pub text: String,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<()> {
    let dir = resolve_model(&args.model)?;
    let model = load_for_explanation(&dir, &parse_device(&args.device)?)?;
    if args.method == "attention" {
        let maps = attention_maps(&model, &args.text)?;
        if args.json {
            println!("{}", serde_json::to_string(&serde_json::json!({ "attention": maps }))?);
        } else {
            println!(
                "{} layers × {} heads over {} tokens: {}",
                maps.layers,
                maps.heads,
                maps.tokens.len(),
                maps.tokens.join(" ")
            );
            println!("[CLS] row of the attention rollout:");
            for (t, a) in maps.tokens.iter().zip(&maps.rollout[0]) {
                println!("  {t:<16} {a:.3}");
            }
        }
        return Ok(());
    }
    let method = Method::parse(&args.method).ok_or_else(|| {
        anyhow::anyhow!("unknown method \"{}\": use ig, grad-input, occlusion or attention", args.method)
    })?;
    let baseline = Baseline::parse(&args.baseline)
        .ok_or_else(|| anyhow::anyhow!("unknown baseline \"{}\": use pad, mask or zero", args.baseline))?;
    let target = args.target.as_deref().map(|t| target_index(&model, t)).transpose()?;
    let opts = ExplainOptions { method, target, steps: args.steps, baseline, ..ExplainOptions::default() };
    let e = explain(&model, &args.text, &opts, &mut |_| {}, &CancelToken::new())?;
    if let Some(path) = &args.html {
        std::fs::write(path, to_html(&args.text, &e))
            .map_err(|err| anyhow::anyhow!("could not write {}: {err}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    println!("predicted {} ; explaining \"{}\" with {}", e.predicted, e.target, method.title());
    for (label, p) in &e.probabilities {
        println!("  p({label}) = {p:.3}");
    }
    for w in &e.words {
        println!("  {:>+9.4}  {}", w.attribution, w.word);
    }
    if let Some(c) = e.completeness {
        println!(
            "attributions sum to {:.4}; score change from the baseline {:.4} (gap {:.2}%)",
            c.sum_attributions,
            c.score_delta,
            c.relative_gap() * 100.0
        );
    }
    Ok(())
}
