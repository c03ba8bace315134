//! Times a classifier's inference batches with and without a recorded graph, in blocks of
//! batches alternating in one process (the machine's load changes hit both sides alike; the
//! first batch of each block is not timed, so each side runs in its own steady state). A model
//! whose parameters are variables records the graph of every op unless the pass runs under
//! `candle_core::no_grad()`; the predictions (`predict_tokenized`) run under it. Prints each
//! side's median ms per batch and the median of the per-round ratios.
//!
//! `cargo run --release --example no_graph_bench -- [minilm|bert-base] [ROUNDS]` (batch 32 ×
//! length 64, random weights of that shape, random token ids).

use std::time::Instant;

use attune::model::synthetic::{random_classifier, shape_config};
use attune::model::{LoadOptions, TokenizedText};
use candle_core::Device;

// The app's allocator, so that memory behaves as in the app.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Batches per side in a round (the first one untimed).
const BLOCK: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = args.first().map_or("minilm", String::as_str);
    let rounds: usize = args.get(1).map_or(Ok(20), |r| r.parse())?;
    let config =
        shape_config(shape).ok_or_else(|| anyhow::anyhow!("unknown shape {shape}; use minilm or bert-base"))?;
    let labels = vec!["0".to_string(), "1".to_string()];
    let load = LoadOptions { labels: Some(labels.clone()), max_len: 64, ..LoadOptions::default() };
    let model = random_classifier(&config, &[], labels, &load)?;
    let mut state = 12345u64;
    let mut next_id = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        1000 + ((state >> 33) % 20_000) as u32
    };
    let rows: Vec<TokenizedText> =
        (0..32).map(|_| TokenizedText { ids: (0..64).map(|_| next_id()).collect(), type_ids: vec![0; 64] }).collect();
    let batch = model.tokenizer.batch(&rows.iter().collect::<Vec<_>>(), &Device::Cpu)?;
    // Each round runs a block of batches per side; the first batch of a block is not timed, so
    // that each side is measured in its own steady state (what the allocator holds after the
    // other side's batches differs). Two warm-up rounds first.
    let (mut recorded, mut free) = (Vec::new(), Vec::new());
    for round in 0..rounds + 2 {
        for graph in [true, false] {
            let mut times = Vec::new();
            for _ in 0..BLOCK {
                let t = Instant::now();
                let _no_graph = (!graph).then(candle_core::no_grad);
                model.forward(&batch, None, false)?.logits.to_vec2::<f32>()?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            if round >= 2 {
                let block_ms = times[1..].iter().sum::<f64>() / (BLOCK - 1) as f64;
                if graph {
                    recorded.push(block_ms)
                } else {
                    free.push(block_ms)
                }
            }
        }
    }
    let ratios: Vec<f64> = free.iter().zip(&recorded).map(|(f, r)| f / r).collect();
    println!("{shape}, batch 32 x 64, {rounds} alternating rounds");
    println!("graph recorded: median {:.1} ms/batch", median(recorded.clone()));
    println!("no graph:       median {:.1} ms/batch", median(free));
    println!("no graph / graph recorded: median ratio {:.3}", median(ratios));
    Ok(())
}
