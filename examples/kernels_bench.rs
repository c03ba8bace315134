//! Times the encoder's elementwise kernels at MiniLM-L6's training shapes (batch 16 × length 64
//! = 1024 rows): bias + erf-GELU over the 1536-wide intermediate layer, LayerNorm over the
//! 384-wide hidden states and the attention's masked softmax, forward alone and forward +
//! backward (the backward of a weighted sum of the output, whose own ops are the same in every
//! build, so differences between builds are the kernels'). Prints medians in ms; the kernels'
//! share of a training step is in docs/performance.md.
//!
//! `cargo run --release --example kernels_bench -- [--reps N]`; `ATTUNE_AVX512_ROWS=off` in front
//! times the portable GELU and softmax loops on an AVX-512 CPU.

use std::time::Instant;

use attune::model::kernels;
use candle_core::{Device, Tensor, Var};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median_ms(mut secs: Vec<f64>) -> f64 {
    secs.sort_by(f64::total_cmp);
    secs[secs.len() / 2] * 1e3
}

/// Median ms of `forward` alone and of `forward` then the backward of Σ output ⊙ weights.
fn time(
    reps: usize,
    weights: &Tensor,
    forward: impl Fn() -> candle_core::Result<Tensor>,
) -> anyhow::Result<(f64, f64)> {
    let (mut fwd, mut both) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        let output = forward()?;
        fwd.push(t.elapsed().as_secs_f64());
        drop(output);
        let t = Instant::now();
        let y = forward()?;
        let grads = (y * weights)?.sum_all()?.backward()?;
        both.push(t.elapsed().as_secs_f64());
        drop(grads);
    }
    Ok((median_ms(fwd), median_ms(both)))
}

fn main() -> anyhow::Result<()> {
    attune::allocator::keep_freed_memory();
    attune::thread_pools::stop_candle_workers_spinning_long();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps = match args.iter().position(|a| a == "--reps") {
        Some(i) => args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--reps needs a value"))?.parse()?,
        None => 25usize,
    };
    let cpu = Device::Cpu;
    let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (1024, 1536), &cpu)?)?;
    let b = Var::from_tensor(&Tensor::randn(0f32, 0.1, 1536, &cpu)?)?;
    let wide_weights = Tensor::randn(0f32, 1.0, (1024, 1536), &cpu)?;
    let h = Var::from_tensor(&Tensor::randn(0f32, 1.0, (1024, 384), &cpu)?)?;
    let gamma = Var::from_tensor(&Tensor::randn(1f32, 0.1, 384, &cpu)?)?;
    let beta = Var::from_tensor(&Tensor::randn(0f32, 0.1, 384, &cpu)?)?;
    let weights = Tensor::randn(0f32, 1.0, (1024, 384), &cpu)?;
    println!("{} threads, median of {reps} reps (ms)", rayon::current_num_threads());
    let (f, fb) = time(reps, &wide_weights, || kernels::bias_gelu(x.as_tensor(), b.as_tensor()))?;
    println!("bias + GELU (1024 × 1536)   forward {f:7.3}   forward + backward {fb:7.3}");
    let (f, fb) =
        time(reps, &weights, || kernels::layer_norm(h.as_tensor(), gamma.as_tensor(), beta.as_tensor(), 1e-12))?;
    println!("LayerNorm   (1024 × 384)    forward {f:7.3}   forward + backward {fb:7.3}");
    // The attention's scores at MiniLM's shape: batch 16 × 12 heads × 64 queries × 64 keys,
    // with the last 14 keys of every other row padding.
    let scores = Var::from_tensor(&Tensor::randn(0f32, 3.0, (16, 12, 64, 64), &cpu)?)?;
    let padding: Vec<f32> =
        (0..16 * 64).map(|i| if i / 64 % 2 == 1 && i % 64 >= 50 { f32::MIN } else { 0.0 }).collect();
    let padding = Tensor::from_vec(padding, (16, 1, 1, 64), &cpu)?;
    let score_weights = Tensor::randn(0f32, 1.0, (16, 12, 64, 64), &cpu)?;
    let (f, fb) = time(reps, &score_weights, || kernels::masked_softmax(scores.as_tensor(), &padding, 0.125))?;
    println!("softmax     (16·12·64 × 64) forward {f:7.3}   forward + backward {fb:7.3}");
    Ok(())
}
