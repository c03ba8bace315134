//! Times the int8 matrix product against candle's f32 matmul on the linear-layer shapes of
//! all-MiniLM-L6-v2 and BERT-base at batch 32 × length 64 (2048 rows), and prints a table: ms per
//! call (median and best of the reps after a warm-up; the two products alternate so load changes
//! hit both) and GFLOP/s as 2·M·K·N / median time; the ratios are f32 time / int8 time. The int8 time includes quantizing x and adding the bias;
//! the f32 time is `x.matmul(&w.t())` alone (candle's linear layers call the same).
//!
//! `cargo run --release --example int8_bench -- [--rows M] [--reps N]`; both use rayon's threads
//! (`RAYON_NUM_THREADS` sets them).

use std::time::Instant;

use attune::quant::int8::{kernel_name, Int8Matrix};
use candle_core::{Device, Tensor};

/// (in_dim, out_dim) of the linear layers: MiniLM-L6 (hidden 384) then BERT-base (hidden 768).
const SHAPES: [(usize, usize); 6] = [(384, 384), (384, 1536), (1536, 384), (768, 768), (768, 3072), (3072, 768)];

/// Uniform values in [-scale, scale) from a fixed seed.
fn values(len: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// The median and the best of the timings.
fn median_and_best(mut secs: Vec<f64>) -> (f64, f64) {
    secs.sort_by(f64::total_cmp);
    (secs[secs.len() / 2], secs[0])
}

fn option(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or_else(|| anyhow::anyhow!("{name} needs a value"))?.parse()?),
        None => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows = option(&args, "--rows", 2048)?;
    let reps = option(&args, "--reps", 11)?.max(1);
    println!(
        "rows {rows}, {} threads (rayon), candle {} threads, int8 kernel {}, median of {reps} reps",
        rayon::current_num_threads(),
        candle_core::utils::get_num_threads(),
        kernel_name()
    );
    println!(
        "{:>11} | {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} | {:>6} {:>6}",
        "K x N", "f32 ms", "GFLOP/s", "best ms", "int8 ms", "GFLOP/s", "best ms", "ratio", "best"
    );
    for (k, n) in SHAPES {
        let (x, w, bias) = (values(rows * k, 1, 2.0), values(n * k, 2, 0.1), values(n, 3, 0.1));
        let xt = Tensor::from_vec(x.clone(), (rows, k), &Device::Cpu)?;
        let wt = Tensor::from_vec(w.clone(), (n, k), &Device::Cpu)?;
        let q = Int8Matrix::quantize(&w, n, k);
        let mut out = vec![0f32; rows * n];
        let (mut f32_secs, mut int8_secs) = (Vec::new(), Vec::new());
        for rep in 0..reps + 2 {
            let start = Instant::now();
            let y = xt.matmul(&wt.t()?)?;
            let f32_time = start.elapsed().as_secs_f64();
            drop(y);
            let start = Instant::now();
            q.matmul(&x, rows, Some(&bias), &mut out).map_err(anyhow::Error::msg)?;
            let int8_time = start.elapsed().as_secs_f64();
            if rep >= 2 {
                f32_secs.push(f32_time);
                int8_secs.push(int8_time);
            }
        }
        let ((f32_time, f32_best), (int8_time, int8_best)) = (median_and_best(f32_secs), median_and_best(int8_secs));
        let gflop = 2.0 * (rows * k * n) as f64 / 1e9;
        println!(
            "{:>5}x{:<5} | {:>8.3} {:>8.1} {:>8.3} | {:>8.3} {:>8.1} {:>8.3} | {:>5.2}x {:>5.2}x",
            k,
            n,
            f32_time * 1e3,
            gflop / f32_time,
            f32_best * 1e3,
            int8_time * 1e3,
            gflop / int8_time,
            int8_best * 1e3,
            f32_time / int8_time,
            f32_best / int8_best
        );
    }
    Ok(())
}
