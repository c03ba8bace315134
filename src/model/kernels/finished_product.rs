//! A linear layer's product and what follows it in one pass, for inference: x·Wᵀ + b, then
//! erf-GELU or a residual, each tile of the output finished while the kernel holds it
//! (`sgemm::Finish`) instead of in separate passes over the whole output. It records no graph,
//! so `layers.rs` calls it only where nothing asks for a gradient (predictions, evaluation,
//! occlusion, `attune bench`'s inference), on CPUs with the AVX-512 micro-kernel ([`chosen`]);
//! training keeps the ops with backward passes. The values are the same bit for bit.
//! `ATTUNE_FINISHED_PRODUCTS=off` keeps the separate passes, to compare the two.

use candle_core::{bail, Result, Shape, Tensor};

use super::rows::{cpu_tensor, with_f32, with_f32_2};
use super::sgemm::{self, Finish, MicroKernel, View};

/// What follows the product in [`linear_then`].
#[derive(Clone, Copy)]
pub enum Then<'t> {
    /// + bias (one value per output feature).
    Bias(&'t Tensor),
    /// gelu(· + bias).
    BiasGelu(&'t Tensor),
    /// · + bias + residual, where the residual has as many values as the output.
    BiasResidual(&'t Tensor, &'t Tensor),
}

impl<'t> Then<'t> {
    /// The tensors it reads besides the product's operands.
    pub fn operands(self) -> Vec<&'t Tensor> {
        match self {
            Then::Bias(bias) | Then::BiasGelu(bias) => vec![bias],
            Then::BiasResidual(bias, residual) => vec![bias, residual],
        }
    }
}

/// Whether inference uses [`linear_then`]: where the products run the AVX-512 micro-kernel,
/// which finishes its tiles in registers (measured to pay), unless the environment variable
/// `ATTUNE_FINISHED_PRODUCTS` is `off`. The AVX2 tile and the gemm crate finish in a loop of
/// their own, correct but not measured to be faster, so other CPUs keep the separate passes.
/// Decided once per process.
pub fn chosen() -> bool {
    static CHOSEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| {
        MicroKernel::chosen() == Some(MicroKernel::Avx512) && !super::switched_off("ATTUNE_FINISHED_PRODUCTS")
    })
}

/// x (rows, in) times the transpose of a weight (out, in), then `then`: (rows, out). No graph
/// is recorded (no gradient flows through it). CPU f32 only (see [`super::fused`]).
pub fn linear_then(x: &Tensor, weight: &Tensor, then: Then) -> Result<Tensor> {
    let (rows, in_dim) = x.dims2()?;
    let (out_dim, weight_in) = weight.dims2()?;
    let (bias, residual) = match then {
        Then::Bias(bias) | Then::BiasGelu(bias) => (bias, None),
        Then::BiasResidual(bias, residual) => (bias, Some(residual)),
    };
    if weight_in != in_dim || bias.elem_count() != out_dim || residual.is_some_and(|r| r.elem_count() != rows * out_dim)
    {
        bail!(
            "linear layer: input {:?}, weight {:?}, bias {:?} and residual {:?} do not fit",
            x.dims(),
            weight.dims(),
            bias.dims(),
            residual.map(|r| r.dims())
        );
    }
    let values = with_f32_2(x, weight, |x, w| {
        let (a, b) = (View::row_major(x, rows, in_dim), View::row_major(w, out_dim, in_dim).t());
        with_f32(bias, |bias| match (then, residual) {
            (Then::BiasGelu(_), _) => Ok(sgemm::product_new_finished(a, b, Finish::BiasGelu(bias))),
            (_, Some(residual)) => with_f32(residual, |residual| {
                sgemm::product_new_finished(a, b, Finish::BiasResidual { bias, residual })
            }),
            _ => Ok(sgemm::product_new_finished(a, b, Finish::Bias(bias))),
        })
    })???;
    cpu_tensor(values, &Shape::from((rows, out_dim)))
}
