//! Times our blocked f32 product (`kernels::sgemm`) against candle's matmul (the gemm crate) on
//! the linear layers' products of all-MiniLM-L6-v2 and BERT-base: the forward x·Wᵀ at batch
//! 32 × length 64 (2048 rows), and the two backward products of training at 16 × 64 (1024
//! rows): dx = dy·W and dW = dyᵀ·x. Prints ms per call (median of the reps after a warm-up;
//! the two sides alternate so load changes hit both), GFLOP/s and the ratio, and checks that
//! both give the same numbers (largest difference relative to the largest value).
//!
//! `cargo run --release --example sgemm_bench -- [--reps N]`; both use rayon's threads.

use std::time::Instant;

use attune::model::kernels::sgemm::{self, View};
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
    println!(
        "{} threads, our micro-kernel: {}, median of {reps} reps",
        rayon::current_num_threads(),
        sgemm::available()
    );
    println!(
        "{:>22} | {:>8} {:>8} | {:>8} {:>8} | {:>6} | {:>8}",
        "product", "gemm ms", "GFLOP/s", "ours ms", "GFLOP/s", "ratio", "rel diff"
    );
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
            let mut out = vec![0f32; m * cols];
            let (mut theirs, mut ours) = (Vec::new(), Vec::new());
            let mut reference = Vec::new();
            for rep in 0..reps + 2 {
                let start = Instant::now();
                let y = ta.matmul(&tb)?;
                let t1 = start.elapsed().as_secs_f64();
                let start = Instant::now();
                sgemm::product(va, vb, &mut out, false);
                let t2 = start.elapsed().as_secs_f64();
                if rep >= 2 {
                    theirs.push(t1);
                    ours.push(t2);
                }
                reference = y.flatten_all()?.to_vec1::<f32>()?;
            }
            let scale = reference.iter().fold(0f32, |s, v| s.max(v.abs()));
            let diff = reference.iter().zip(&out).fold(0f32, |d, (r, o)| d.max((r - o).abs())) / scale;
            let gflop = 2.0 * (m * va.cols * cols) as f64 / 1e9;
            let (t1, t2) = (median(theirs), median(ours));
            println!(
                "{:>5}x{:<5}{:>12} | {:>8.3} {:>8.1} | {:>8.3} {:>8.1} | {:>5.2}x | {:>8.1e}",
                k,
                n,
                name.split(' ').next().unwrap_or(""),
                t1 * 1e3,
                gflop / t1,
                t2 * 1e3,
                gflop / t2,
                t1 / t2,
                diff
            );
        }
    }
    Ok(())
}
