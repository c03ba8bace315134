//! Bias add and erf-GELU in one op, as the feed-forward block's intermediate layer uses them:
//! y = gelu(x + b). The backward recomputes x + b and returns the gradients of x and b.

use std::mem::MaybeUninit;

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::avx512_rows;
use super::math::{erf, erf_given_exp, exp};
use super::rows::{cpu_slice, cpu_tensor, fill, par_rows, par_rows_with_sums, with_f32, Filled};

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1/√(2π)
const INV_SQRT_2PI: f32 = 0.398_942_3;

struct BiasGelu;

#[inline(always)]
fn gelu(u: f32) -> f32 {
    0.5 * u * (1.0 + erf(u * FRAC_1_SQRT_2))
}

/// gelu'(u) = Φ(u) + u·φ(u); Φ's erf and φ share one exponential, exp(−u²/2).
#[inline(always)]
fn gelu_grad(u: f32) -> f32 {
    let gaussian = exp(-0.5 * u * u);
    0.5 * (1.0 + erf_given_exp(u * FRAC_1_SQRT_2, gaussian)) + u * INV_SQRT_2PI * gaussian
}

/// values = gelu(values + b) in place, one row: the GELU a product applies to each tile of its
/// output (`sgemm::Finish`), bit for bit what [`bias_gelu`] computes from the product's output.
pub(super) fn bias_gelu_in_place(values: &mut [f32], b: &[f32]) {
    if avx512_rows::chosen() {
        // SAFETY: `chosen` is true only where the CPU has AVX-512F.
        return unsafe { avx512_rows::bias_gelu_in_place(values, b) };
    }
    values.iter_mut().zip(b).for_each(|(v, &b)| *v = gelu(*v + b));
}

/// d = g ⊙ gelu'(x + b) for one row.
#[inline(always)]
fn gelu_backward_row<'d>(x: &[f32], b: &[f32], g: &[f32], d: &'d mut [MaybeUninit<f32>]) -> (&'d mut [f32], Filled) {
    if avx512_rows::chosen() {
        // SAFETY: `chosen` is true only where the CPU has AVX-512F.
        return unsafe { avx512_rows::gelu_backward_row(x, b, g, d) };
    }
    fill(d, x.iter().zip(b).zip(g).map(|((&x, &b), &g)| g * gelu_grad(x + b)))
}

impl CustomOp2 for BiasGelu {
    fn name(&self) -> &'static str {
        "attune-bias-gelu"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (cpu_slice(s1, l1)?, cpu_slice(s2, l2)?);
        let width = b.len();
        let avx512 = avx512_rows::chosen();
        let out = par_rows(x.len(), width, |r, o| {
            let row = &x[r * width..(r + 1) * width];
            if avx512 {
                // SAFETY: `chosen` is true only where the CPU has AVX-512F.
                return unsafe { avx512_rows::bias_gelu_row(row, b, o) }.1;
            }
            fill(o, row.iter().zip(b).map(|(&x, &b)| gelu(x + b))).1
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, b: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let width = b.elem_count();
        let bias_gradient = b.track_op();
        let (dx, sums) = with_f32(x, |x| {
            with_f32(b, |b| {
                with_f32(grad, |g| {
                    let span = |r: usize| r * width..(r + 1) * width;
                    if bias_gradient {
                        par_rows_with_sums(x.len(), width, 1, |r, d, acc| {
                            let (d, filled) = gelu_backward_row(&x[span(r)], b, &g[span(r)], d);
                            acc[0].iter_mut().zip(d.iter()).for_each(|(a, d)| *a += d);
                            filled
                        })
                    } else {
                        (
                            par_rows(x.len(), width, |r, d| gelu_backward_row(&x[span(r)], b, &g[span(r)], d).1),
                            Vec::new(),
                        )
                    }
                })
            })
        })???;
        let db = match sums.into_iter().next() {
            Some(db) => Some(cpu_tensor(db, b.shape())?),
            None => None,
        };
        Ok((Some(cpu_tensor(dx, x.shape())?), db))
    }
}

/// gelu_erf(x + b), with `b` broadcast over the rows of `x` (last dimension).
pub fn bias_gelu(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, BiasGelu)
}
