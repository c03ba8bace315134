//! How long an explanation takes: integrated gradients (50 steps), gradient × input and
//! occlusion on one input of exactly 64 tokens, with a fine-tuned run (or the starter model with
//! a fresh head). Medians of a few repetitions after a warm-up.
//!
//! `cargo run --release --example explain_bench -- RUN_DIR [--reps N] [--batch B] [--method ig|grad-input|occlusion]`
//! (the target: integrated gradients, 50 steps, 64 tokens, MiniLM-L6, under 2 s).

use std::path::PathBuf;
use std::time::Instant;

use attune::explain::{explain, load_for_explanation, Baseline, ExplainOptions, Method};
use attune::jobs::CancelToken;

const SENTENCE: &str = "the film is a gorgeous , witty and seductive piece of work that never once \
    loses its nerve , although its second half drags and some of the dialogue falls flat , \
    leaving the audience with more questions than answers about why anyone would make it , \
    and yet i would gladly watch it again on a rainy sunday afternoon with friends who love \
    strange , ambitious and flawed movies as much as i do";

// The same allocator and settings as the `attune` binary, so the times are the app's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    attune::allocator::keep_freed_memory();
    attune::thread_pools::stop_candle_workers_spinning_long();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let reps: usize = flag("--reps").map(|v| v.parse()).transpose()?.unwrap_or(3);
    let batch: usize = flag("--batch").map(|v| v.parse()).transpose()?.unwrap_or(ExplainOptions::default().batch_size);
    let run_dir = match args.first().filter(|a| !a.starts_with("--")) {
        Some(dir) => PathBuf::from(dir),
        None => anyhow::bail!("give a run folder (a fine-tuned classifier), e.g. runs/sst2"),
    };
    let model = load_for_explanation(&run_dir, &candle_core::Device::Cpu)?;
    // Cut the sentence to exactly 64 tokens with [CLS] and [SEP].
    let words: Vec<&str> = SENTENCE.split_whitespace().collect();
    let text = (1..=words.len())
        .map(|n| words[..n].join(" "))
        .take_while(|t| model.tokenizer.tokens(t).map(|tokens| tokens.len() <= 64).unwrap_or(false))
        .last()
        .unwrap_or_default();
    let tokens = model.tokenizer.tokens(&text)?.len();
    println!("{tokens} tokens, batch {batch}, {} threads", rayon::current_num_threads());
    let only = flag("--method");
    for (method, steps) in [(Method::IntegratedGradients, 50), (Method::GradientTimesInput, 0), (Method::Occlusion, 0)]
    {
        if only.as_deref().is_some_and(|name| Method::parse(name) != Some(method)) {
            continue;
        }
        let opts = ExplainOptions { method, target: None, steps, baseline: Baseline::Pad, batch_size: batch };
        let mut times = Vec::new();
        for rep in 0..=reps {
            let start = Instant::now();
            explain(&model, &text, &opts, &mut |_| {}, &CancelToken::new())?;
            if rep > 0 {
                times.push(start.elapsed().as_secs_f64());
            }
        }
        times.sort_by(f64::total_cmp);
        println!("{:<22} {:>7.3} s (median of {reps}; all: {times:.3?})", method.title(), times[times.len() / 2]);
    }
    Ok(())
}
