//! Softmax over the last dimension, optionally of `scale · x + bias` where the bias is the
//! attention padding bias of shape (batch, 1, 1, keys): the attention scores' scale, mask and
//! softmax in one pass. The backward uses the output: dx = scale · p ⊙ (dp − Σ dp ⊙ p).

use std::mem::MaybeUninit;

use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use super::avx512_rows;
use super::math::{exp, lane_max, lane_sum, lane_sum2};
use super::rows::{cpu_slice, cpu_tensor, fill, par_rows, with_f32_2, Filled};

struct Softmax {
    scale: f32,
}

#[inline(always)]
fn softmax_row(x: &[f32], bias: Option<&[f32]>, scale: f32, out: &mut [MaybeUninit<f32>]) -> Filled {
    let (out, filled) = match bias {
        Some(b) => fill(out, x.iter().zip(b).map(|(&x, &b)| x * scale + b)),
        None => fill(out, x.iter().map(|&x| x * scale)),
    };
    normalize(out);
    filled
}

/// softmax(scale · row + bias) in place, for the fused attention (see [`softmax_row`]).
#[inline(always)]
pub fn softmax_in_place(row: &mut [f32], bias: &[f32], scale: f32) {
    row.iter_mut().zip(bias).for_each(|(x, &b)| *x = *x * scale + b);
    normalize(row);
}

/// exp(x − max) / Σ exp(x − max) in place.
#[inline(always)]
fn normalize(out: &mut [f32]) {
    let max = lane_max(out);
    if avx512_rows::chosen() {
        // SAFETY: `chosen` is true only where the CPU has AVX-512F.
        unsafe { avx512_rows::exp_minus_max_row(out, max) };
    } else {
        out.iter_mut().for_each(|o| *o = exp(*o - max));
    }
    let inv = 1.0 / lane_sum(out, |v| v);
    out.iter_mut().for_each(|o| *o *= inv);
}

fn forward(x: &[f32], bias: Option<&[f32]>, width: usize, scale: f32) -> Vec<f32> {
    let rows = x.len() / width.max(1);
    // The bias has one row of `width` per batch element; the rows of one batch element are adjacent.
    let batches = bias.map(|b| b.len() / width.max(1)).unwrap_or(1).max(1);
    let rows_per_batch = (rows / batches).max(1);
    par_rows(x.len(), width, |r, o| {
        let b = bias.map(|b| &b[(r / rows_per_batch) * width..(r / rows_per_batch + 1) * width]);
        softmax_row(&x[r * width..(r + 1) * width], b, scale, o)
    })
}

fn backward(probs: &Tensor, grad: &Tensor, scale: f32) -> Result<Tensor> {
    let width = probs.dims().last().copied().unwrap_or(1);
    let dx = with_f32_2(probs, grad, |p, g| {
        par_rows(p.len(), width, |r, d| {
            let (p, g) = (&p[r * width..(r + 1) * width], &g[r * width..(r + 1) * width]);
            let dot = lane_sum2(p, g, |p, g| p * g);
            fill(d, p.iter().zip(g).map(|(&p, &g)| scale * p * (g - dot))).1
        })
    })?;
    cpu_tensor(dx, probs.shape())
}

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "attune-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let width = l.dims().last().copied().unwrap_or(1);
        Ok((CpuStorage::F32(forward(cpu_slice(s, l)?, None, width, self.scale)), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(backward(res, grad, self.scale)?))
    }
}

impl CustomOp2 for Softmax {
    fn name(&self) -> &'static str {
        "attune-masked-softmax"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let width = l1.dims().last().copied().unwrap_or(1);
        let (x, bias) = (cpu_slice(s1, l1)?, cpu_slice(s2, l2)?);
        let batch = l1.dims().first().copied().unwrap_or(1);
        if bias.len() != batch * width {
            bail!("masked softmax: bias has {} values, expected batch {batch} x keys {width}", bias.len());
        }
        Ok((CpuStorage::F32(forward(x, Some(bias), width, self.scale)), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(backward(res, grad, self.scale)?), None))
    }
}

/// Softmax over the last dimension.
pub fn softmax(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Softmax { scale: 1.0 })
}

/// softmax(scale · scores + bias) over the last dimension, for scores (batch, heads, queries,
/// keys) and a padding bias (batch, 1, 1, keys). The bias gets no gradient.
pub fn masked_softmax(scores: &Tensor, bias: &Tensor, scale: f64) -> Result<Tensor> {
    scores.contiguous()?.apply_op2(&bias.contiguous()?, Softmax { scale: scale as f32 })
}
