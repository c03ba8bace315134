//! LayerNorm over the last dimension (biased variance, as transformers computes it), forward and
//! backward in one pass each. The backward recomputes the row statistics from the input rather
//! than keeping them, which costs one extra read of a row that is already in cache.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::math::{lane_sum, lane_sum2};
use super::rows::{cpu_slice, cpu_tensor, fill, par_rows, par_rows_with_sums, with_f32};

struct LayerNormOp {
    eps: f32,
}

/// Mean and 1/std of a row.
#[inline(always)]
fn stats(row: &[f32], eps: f32) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = lane_sum(row, |v| v) / n;
    let var = lane_sum(row, |v| (v - mean) * (v - mean)) / n;
    (mean, 1.0 / (var + eps).sqrt())
}

impl CustomOp3 for LayerNormOp {
    fn name(&self) -> &'static str {
        "attune-layer-norm"
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
        let (x, gamma, beta) = (cpu_slice(s1, l1)?, cpu_slice(s2, l2)?, cpu_slice(s3, l3)?);
        let width = gamma.len();
        let out = par_rows(x.len(), width, |r, o| {
            let row = &x[r * width..(r + 1) * width];
            let (mean, rstd) = stats(row, self.eps);
            fill(o, row.iter().zip(gamma.iter().zip(beta)).map(|(&x, (&g, &b))| (x - mean) * rstd * g + b)).1
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let width = gamma.elem_count();
        let (dx, sums) = with_f32(x, |x| {
            with_f32(gamma, |gamma| {
                with_f32(grad, |g| {
                    let (dx, sums) = par_rows_with_sums(x.len(), width, 2, |r, d, acc| {
                        let (row, gr) = (&x[r * width..(r + 1) * width], &g[r * width..(r + 1) * width]);
                        let (mean, rstd) = stats(row, self.eps);
                        // The two sums asked for: γ's and β's gradients.
                        let (dgamma, dbeta) = acc.split_at_mut(1);
                        // Iterators, not indices: indexed loops over six slices kept their
                        // bounds checks and did not vectorize.
                        let sums = dgamma[0].iter_mut().zip(dbeta[0].iter_mut());
                        let dxhat =
                            row.iter().zip(gr.iter().zip(gamma)).zip(sums).map(|((&x, (&g, &gm)), (dg, db))| {
                                let xhat = (x - mean) * rstd;
                                *dg += g * xhat;
                                *db += g;
                                g * gm
                            });
                        // d holds dx̂ until the last loop.
                        let (d, filled) = fill(d, dxhat);
                        let n = width as f32;
                        let m1 = lane_sum(d, |v| v) / n;
                        let m2 = lane_sum2(d, row, |dxhat, x| dxhat * (x - mean) * rstd) / n;
                        for (d, &x) in d.iter_mut().zip(row) {
                            let xhat = (x - mean) * rstd;
                            *d = rstd * (*d - m1 - xhat * m2);
                        }
                        filled
                    });
                    (dx, sums)
                })
            })
        })???;
        let mut sums = sums.into_iter();
        let dgamma = sums.next().unwrap_or_default();
        let dbeta = sums.next().unwrap_or_default();
        Ok((
            Some(cpu_tensor(dx, x.shape())?),
            Some(cpu_tensor(dgamma, gamma.shape())?),
            Some(cpu_tensor(dbeta, gamma.shape())?),
        ))
    }
}

/// LayerNorm of `x` over its last dimension with weight `gamma` and bias `beta`.
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?.apply_op3(&gamma.contiguous()?, &beta.contiguous()?, LayerNormOp { eps: eps as f32 })
}
