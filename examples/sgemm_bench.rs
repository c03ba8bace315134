//! Times our blocked f32 product (`kernels::sgemm`), with each micro-kernel this CPU runs,
//! against candle's matmul (the gemm crate) on the linear layers' products of all-MiniLM-L6-v2
//! and BERT-base: the forward x·Wᵀ at batch 32 × length 64 (2048 rows), and the two backward
//! products of training at 16 × 64 (1024 rows): dx = dy·W and dW = dyᵀ·x. Prints ms per call
//! (median of the reps after a warm-up; the sides alternate so load changes hit all), GFLOP/s,
//! each kernel's speed-up over the gemm crate, and checks that all give the same numbers
//! (largest difference relative to the largest value).
//!
//! `cargo run --release --example sgemm_bench -- [--reps N]`; both use rayon's threads.

use std::time::Instant;

use attune::model::kernels::sgemm::{self, MicroKernel, View};
use candle_core::{Device, Tensor};

// The app's allocator, so the products see the same page behaviour as in training.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (in_dim, out_dim) of the linear layers: MiniLM-L6 (hidden 384) then BERT-base (hidden 768).
const SHAPES: [(usize, usize); 6] = [(384, 384), (384, 1536), (1536, 384), (768, 768), (768, 3072), (3072, 768)];

fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

fn median(mut secs: Vec<f64>) -> f64 {
    secs.sort_by(f64::total_cmp);
    secs[secs.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps = match args.iter().position(|a| a == "--reps") {
        Some(i) => args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--reps needs a value"))?.parse()?,
        None => 11usize,
    };
    let kernels: Vec<MicroKernel> = MicroKernel::FASTEST_FIRST.into_iter().filter(|k| k.runs_here()).collect();
    println!(
        "{} threads, micro-kernels here: {:?} (chosen: {:?}), median of {reps} reps",
        rayon::current_num_threads(),
        kernels,
        MicroKernel::chosen()
    );
    print!("{:>22} | {:>8} {:>7}", "product", "gemm ms", "GFLOP/s");
    for kernel in &kernels {
        print!(" | {:>7} ms {:>7} {:>6}", kernel.name(), "GFLOP/s", "ratio");
    }
    println!(" | {:>8}", "rel diff");
    for (k, n) in SHAPES {
        // (name, m, inner, n, A, B) for C = A·B with A (m × inner), B (inner × n).
        let (x, w) = (values(2048 * k, 1), values(n * k, 2));
        let dy = values(1024 * n, 3);
        let cases: [(&str, usize, Tensor, Tensor, View, View); 3] = [
            (
                "y = x·Wᵀ (2048)",
                2048,
                Tensor::from_slice(&x, (2048, k), &Device::Cpu)?,
                Tensor::from_slice(&w, (n, k), &Device::Cpu)?.t()?,
                View::row_major(&x, 2048, k),
                View::row_major(&w, n, k).t(),
            ),
            (
                "dx = dy·W (1024)",
                1024,
                Tensor::from_slice(&dy, (1024, n), &Device::Cpu)?,
                Tensor::from_slice(&w, (n, k), &Device::Cpu)?,
                View::row_major(&dy, 1024, n),
                View::row_major(&w, n, k),
            ),
            (
                "dW = dyᵀ·x (1024)",
                n,
                Tensor::from_slice(&dy, (1024, n), &Device::Cpu)?.t()?,
                Tensor::from_slice(&x[..1024 * k], (1024, k), &Device::Cpu)?,
                View::row_major(&dy, 1024, n).t(),
                View::row_major(&x[..1024 * k], 1024, k),
            ),
        ];
        for (name, m, ta, tb, va, vb) in cases {
            let cols = vb.cols;
            let mut outs = vec![vec![0f32; m * cols]; kernels.len()];
            let mut theirs = Vec::new();
            let mut ours = vec![Vec::new(); kernels.len()];
            let mut reference = Vec::new();
            for rep in 0..reps + 2 {
                let start = Instant::now();
                let y = ta.matmul(&tb)?;
                if rep >= 2 {
                    theirs.push(start.elapsed().as_secs_f64());
                }
                for ((kernel, out), times) in kernels.iter().zip(&mut outs).zip(&mut ours) {
                    let start = Instant::now();
                    sgemm::product_with(Some(*kernel), va, vb, out, false);
                    if rep >= 2 {
                        times.push(start.elapsed().as_secs_f64());
                    }
                }
                reference = y.flatten_all()?.to_vec1::<f32>()?;
            }
            let scale = reference.iter().fold(0f32, |s, v| s.max(v.abs()));
            let diff =
                outs.iter().flat_map(|out| reference.iter().zip(out).map(|(r, o)| (r - o).abs())).fold(0f32, f32::max)
                    / scale;
            let gflop = 2.0 * (m * va.cols * cols) as f64 / 1e9;
            let gemm = median(theirs);
            print!(
                "{:>5}x{:<5}{:>12} | {:>8.3} {:>7.1}",
                k,
                n,
                name.split(' ').next().unwrap_or(""),
                gemm * 1e3,
                gflop / gemm
            );
            for times in ours {
                let t = median(times);
                print!(" | {:>10.3} {:>7.1} {:>5.2}x", t * 1e3, gflop / t, gemm / t);
            }
            println!(" | {diff:>8.1e}");
        }
    }
    Ok(())
}
