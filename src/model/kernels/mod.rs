//! Fused CPU kernels for the encoder's hot chains, as candle custom ops with their own backward
//! pass: the linear layers' products on our own blocked f32 product (`sgemm`; no weight gradient
//! for a frozen weight), the attention's batched products (one product per thread), LayerNorm,
//! softmax (with scale and padding bias), bias + erf-GELU, bias (+ dropout) + residual, dropout
//! masks, the embedding lookup, and the int8 matrix product of quantized models. Each is a plain
//! loop over contiguous f32 rows, split across threads by rows with rayon, each task's rows
//! compiled for AVX2 and FMA where the CPU has them (`wide`); the loops bound by arithmetic
//! (GELU forward and backward, the softmax's exponentials) run in AVX-512 where the CPU has it
//! (`avx512_rows`). Column sums (bias and LayerNorm parameter gradients) add fixed blocks of rows
//! in a fixed order, so results repeat exactly. Frozen biases get no gradient.
//!
//! In inference (no graph recorded) a linear layer's bias, bias + GELU or bias + residual is
//! applied by the product to each tile of its output as it writes it (`finished_product`,
//! `sgemm::Finish`), instead of by those ops in passes of their own.
//!
//! The ops run on the CPU in f32 only; `layers.rs` calls them when [`fused`] says so and keeps
//! the primitive-op versions for other devices. Decision and measurements: docs/performance.md.

mod attention;
mod avx512_rows;
mod batched_product;
mod bias;
mod embedding;
mod finished_product;
mod gelu;
mod int8_product;
mod layer_norm;
mod mask;
mod math;
mod matrix_product;
mod rows;
pub mod sgemm;
mod softmax;
mod wide;

use candle_core::{DType, Tensor};

pub use attention::{attention_context, chosen as one_pass_attention};
pub use batched_product::{batched_product, batched_product_transposed};
pub use bias::{bias_add, bias_residual};
pub use embedding::embedding;
pub use finished_product::{chosen as finished_products, linear_then, Then};
pub use gelu::bias_gelu;
pub use int8_product::int8_product;
pub use layer_norm::layer_norm;
pub use mask::apply_mask;
pub use math::{erf, exp};
pub use matrix_product::linear_product;
pub use rows::par_chunks_new;
pub use softmax::{masked_softmax, softmax};
pub use wide::wide;

/// Whether the environment variable `name` is `off`: how a kernel choice is stepped around, to
/// compare two paths in one build.
fn switched_off(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "off")
}

/// Whether the fused kernels can run on this tensor (a CPU f32 tensor).
pub fn fused(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}
