//! Int8 matrix products for quantized inference: the weights of a linear layer are stored as
//! int8 per output row with one f16-exact scale per row ([`Int8Matrix`]), and each product
//! quantizes the activations per row (per token) symmetrically to 16-bit signed codes, multiplies
//! them with the int8 weights (widened to i16 in the packed panels) exactly in i32 and rescales to
//! f32 at the end. On x86-64 CPUs with AVX2 the sums run in an AVX2 kernel chosen at run time;
//! elsewhere a portable scalar kernel gives the same results, bit for bit. Both split the rows of
//! the activation over rayon's threads, and the results do not depend on the number of threads.
//!
//! Activation codes: q = round(x · L / max|x|) ∈ [−L, L] with L = min(16 383, (2³¹ − 1) /
//! (128 · in_dim)), the most the i32 sums allow without overflow (L = 16 383 up to in_dim 1024,
//! 10 922 at 1536, 5461 at 3072, 255 at [`MAX_IN_DIM`]). No zero point, so no weight-sum correction.
//!
//! Why this scheme: the first version used 7-bit unsigned codes with a zero point (PyTorch's
//! `reduce_range`) for `maddubs`, whose activation error (about 1.5% relative Frobenius error on
//! normal data, 2–3% with outliers) dominated: on the SST-2 MiniLM classifier exported as q8_0,
//! dev accuracy fell from 0.8739 (f32) to 0.8670, 10 of 872 predictions differed from f32 and the
//! mean |Δlogit| was 0.055. With 16-bit codes the activation error is about 0.01–0.04% (the
//! weights' own 0.7–0.8% is all that is left): 0.8727, 5 predictions differ, mean |Δlogit| 0.021.
//! Measured alternatives, on the same model: 7-bit codes only where in_dim is 384 (16-bit at
//! 1536) 0.8693 with mean |Δlogit| 0.049, the reverse 0.8681 / 0.034; 8-bit unsigned codes with
//! the weights rounded to 7 bits (so `maddubs` cannot saturate) 0.8693 / 0.054.
//!
//! The price is speed. `madd` (i16 pairs → i32) does 16 multiply-adds per multiplier
//! instruction plus one `add`, where `maddubs` + `madd` did 32 in two multiplier instructions plus
//! one `add`. On the AMD Zen 4 (AVX2 only, 2 threads) this was measured on, a register-tile loop
//! of `madd` + `add` peaks at about 1.3–1.5× the rate of f32 FMA (`maddubs` + `madd` + `add`:
//! 1.8×), and `examples/int8_bench.rs` gives 1.5–1.8× candle's f32 matmul (7-bit codes: 2.0–2.6×);
//! a whole MiniLM-L6 forward pass (batch 32 × 64 tokens) ran 1.26× faster than f32 (7-bit codes:
//! 1.71×). Memory is still half of f32 (i16 panels); GGUF files keep int8.
//!
//! The files: `weights` quantizes f32 weight rows, `pack` lays them out in panels for the
//! kernels, `matrix` is the public type, `activations` quantizes activation rows, `parallel`
//! splits a product over threads, `portable` and `avx2` (with `avx2_rows`) are the kernels and
//! `dispatch` picks one. See docs in `matrix` for the precise contract.

mod activations;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx2_rows;
mod dispatch;
mod matrix;
mod pack;
mod parallel;
mod portable;
mod weights;

#[cfg(test)]
mod tests;

pub use matrix::{Int8Matrix, MAX_IN_DIM};

/// Which kernel [`Int8Matrix::matmul`] uses on this CPU: `"avx2"` or `"portable"`.
pub fn kernel_name() -> &'static str {
    dispatch::Kernel::detect().name()
}
