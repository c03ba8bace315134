//! Bias adds with cheap backward passes: `x + b` for linear layers, and `(x + b) ⊙ mask + r`
//! for the end of an attention or feed-forward block (bias, dropout, residual). The bias
//! gradient is a column sum; the dropout mask is a constant that gets no gradient.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use super::rows::{cpu_slice, cpu_tensor, fill, par_column_sums, par_rows, par_rows_with_sums, with_f32};

struct BiasAdd;

/// Column sums of `g` (rows of `width`) and, with a mask, `g ⊙ mask` with its column sums.
fn masked_grad_and_sums(g: &[f32], mask: Option<&[f32]>, width: usize) -> (Option<Vec<f32>>, Vec<f32>) {
    match mask {
        Some(m) => {
            let (d, sums) = par_rows_with_sums(g.len(), width, 1, |r, d, acc| {
                let (gr, mr) = (&g[r * width..(r + 1) * width], &m[r * width..(r + 1) * width]);
                let (d, filled) = fill(d, gr.iter().zip(mr).map(|(&g, &m)| g * m));
                acc[0].iter_mut().zip(d.iter()).for_each(|(a, d)| *a += d);
                filled
            });
            (Some(d), sums.into_iter().next().unwrap_or_default())
        }
        None => (None, par_column_sums(g, width)),
    }
}

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "attune-bias-add"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (cpu_slice(s1, l1)?, cpu_slice(s2, l2)?);
        let width = b.len();
        let out = par_rows(x.len(), width, |r, o| {
            let row = &x[r * width..(r + 1) * width];
            fill(o, row.iter().zip(b).map(|(&x, &b)| x + b)).1
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, b: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        if !b.track_op() {
            // A frozen bias (explanations, frozen layers) needs no gradient.
            return Ok((Some(grad.clone()), None));
        }
        let (_, db) = with_f32(grad, |g| masked_grad_and_sums(g, None, b.elem_count()))?;
        Ok((Some(grad.clone()), Some(cpu_tensor(db, b.shape())?)))
    }
}

struct BiasResidual {
    mask: Option<Arc<Vec<f32>>>,
}

impl CustomOp3 for BiasResidual {
    fn name(&self) -> &'static str {
        "attune-bias-dropout-residual"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b, res) = (cpu_slice(s1, l1)?, cpu_slice(s2, l2)?, cpu_slice(s3, l3)?);
        let width = b.len();
        let mask = self.mask.as_deref().map(|m| m.as_slice());
        let out = par_rows(x.len(), width, |r, o| {
            let span = r * width..(r + 1) * width;
            let (row, rr) = (&x[span.clone()], &res[span.clone()]);
            match mask {
                Some(m) => {
                    let mr = &m[span];
                    let inputs = row.iter().zip(b).zip(mr.iter().zip(rr));
                    fill(o, inputs.map(|((&x, &b), (&m, &r))| (x + b) * m + r)).1
                }
                None => fill(o, row.iter().zip(b).zip(rr).map(|((&x, &b), &r)| x + b + r)).1,
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        _residual: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let mask = self.mask.as_deref().map(|m| m.as_slice());
        if mask.is_none() && !b.track_op() {
            return Ok((Some(grad.clone()), None, Some(grad.clone())));
        }
        let (dx, db) = with_f32(grad, |g| masked_grad_and_sums(g, mask, b.elem_count()))?;
        let dx = match dx {
            Some(d) => cpu_tensor(d, x.shape())?,
            None => grad.clone(),
        };
        Ok((Some(dx), Some(cpu_tensor(db, b.shape())?), Some(grad.clone())))
    }
}

/// x + b, with `b` broadcast over the rows of `x` (last dimension).
pub fn bias_add(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, BiasAdd)
}

/// (x + b) ⊙ mask + residual; without a mask, x + b + residual. `mask` has one value per element
/// of `x` (a dropout mask: 0 or 1/(1-p)).
pub fn bias_residual(x: &Tensor, b: &Tensor, residual: &Tensor, mask: Option<Vec<f32>>) -> Result<Tensor> {
    let op = BiasResidual { mask: mask.map(Arc::new) };
    x.contiguous()?.apply_op3(&b.contiguous()?, &residual.contiguous()?, op)
}
