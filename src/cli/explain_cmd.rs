//! `attune explain`: word attributions (integrated gradients, gradient × input, occlusion) or
//! attention matrices for one text, printed for people, as JSON, or as a shareable HTML page;
//! for a token classifier, why one word (`--word N`) got its tag.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::data::split_words;
use crate::explain::{
    attention_maps, explain, explain_word, load_for_explanation, load_token_classifier_for_explanation, target_index,
    to_html, Baseline, ExplainOptions, Explanation, Method,
};
use crate::jobs::CancelToken;
use crate::model::{parse_device, resolve_model, ModelConfig};

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
    /// For a token classifier (named entities): the word whose tag to explain, counted from 0
    /// over the words of the text (punctuation at a word's edges counts as a word).
    #[arg(long, value_name = "N")]
    pub word: Option<usize>,
    /// The text to explain.
    pub text: String,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<()> {
    let dir = resolve_model(&args.model)?;
    if ModelConfig::load(&dir).is_ok_and(|c| c.token_classifier) {
        return explain_tag(&args, &dir);
    }
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
    print_explanation(&args, &args.text, &e, &format!("predicted {}", e.predicted))
}

/// Why one word of the text got its tag (a token classifier).
fn explain_tag(args: &ExplainArgs, dir: &Path) -> anyhow::Result<()> {
    let words = split_words(&args.text);
    let Some(word) = args.word else {
        let numbered: Vec<String> = words.iter().enumerate().map(|(i, w)| format!("{i}:{w}")).collect();
        anyhow::bail!(
            "this model tags each word: say which word's tag to explain with --word N (the words are {})",
            numbered.join(" ")
        );
    };
    let model = load_token_classifier_for_explanation(dir, &parse_device(&args.device)?)?;
    let method = Method::parse(&args.method)
        .ok_or_else(|| anyhow::anyhow!("unknown method \"{}\": use ig or grad-input for a word's tag", args.method))?;
    let baseline = Baseline::parse(&args.baseline)
        .ok_or_else(|| anyhow::anyhow!("unknown baseline \"{}\": use pad, mask or zero", args.baseline))?;
    let target = match args.target.as_deref() {
        Some(t) => Some(model.labels.iter().position(|l| l == t).ok_or_else(|| {
            anyhow::anyhow!("there is no tag \"{t}\" in this model; its tags are: {}", model.labels.join(", "))
        })?),
        None => None,
    };
    let opts = ExplainOptions { method, target, steps: args.steps, baseline, ..ExplainOptions::default() };
    let e = explain_word(&model, &words, word, &opts, &mut |_| {}, &CancelToken::new())?;
    let what = format!("word {word} \"{}\" is tagged {}", words.get(word).map_or("", String::as_str), e.predicted);
    print_explanation(args, &words.join(" "), &e, &what)
}

fn print_explanation(args: &ExplainArgs, text: &str, e: &Explanation, what: &str) -> anyhow::Result<()> {
    if let Some(path) = &args.html {
        std::fs::write(path, to_html(text, e))
            .map_err(|err| anyhow::anyhow!("could not write {}: {err}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(e)?);
        return Ok(());
    }
    println!("{what} ; explaining \"{}\" with {}", e.target, e.method.title());
    if e.problem == crate::model::Problem::Regression {
        println!("  predicted number = {}", e.predicted);
    } else {
        for (label, p) in &e.probabilities {
            println!("  p({label}) = {p:.3}");
        }
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
