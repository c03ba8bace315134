//! The linear layers' products as a candle op on our own blocked product (`sgemm`): y = x·Wᵀ
//! with its backward pass dx = dy·W and dW = dyᵀ·x, each computed only when that operand is
//! trained or needs a gradient (a frozen weight, as in explanations and frozen layers, gets no
//! weight gradient; inference builds no graph at all). Outputs are written without being zeroed
//! first. Transposes are strides, never copies.

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::rows::cpu_slice;
use super::sgemm::{self, View};

/// C = op(A)·op(B) for two matrices, op transposing when asked.
#[derive(Clone, Copy)]
struct MatrixProduct {
    transpose_a: bool,
    transpose_b: bool,
}

fn view<'a>(values: &'a [f32], layout: &Layout, transpose: bool) -> Result<View<'a>> {
    let (rows, cols) = layout.shape().dims2()?;
    let stored = View::row_major(values, rows, cols);
    Ok(if transpose { stored.t() } else { stored })
}

impl CustomOp2 for MatrixProduct {
    fn name(&self) -> &'static str {
        "attune-matrix-product"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let a = view(cpu_slice(s1, l1)?, l1, self.transpose_a)?;
        let b = view(cpu_slice(s2, l2)?, l2, self.transpose_b)?;
        if a.cols != b.rows {
            bail!("matrix product: shapes {:?} and {:?} do not fit", l1.dims(), l2.dims());
        }
        Ok((CpuStorage::F32(sgemm::product_new(a, b)), Shape::from((a.rows, b.cols))))
    }

    fn bwd(&self, a: &Tensor, b: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let product = |x: &Tensor, y: &Tensor, transpose_a, transpose_b| {
            x.apply_op2_no_bwd(y, &MatrixProduct { transpose_a, transpose_b })
        };
        // C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, stored back untransposed.
        let da = match (a.track_op(), self.transpose_a) {
            (false, _) => None,
            (true, false) => Some(product(&grad, b, false, !self.transpose_b)?),
            (true, true) => Some(product(b, &grad, self.transpose_b, true)?),
        };
        let db = match (b.track_op(), self.transpose_b) {
            (false, _) => None,
            (true, false) => Some(product(a, &grad, !self.transpose_a, false)?),
            (true, true) => Some(product(&grad, a, true, self.transpose_a)?),
        };
        Ok((da, db))
    }
}

/// x (rows, in) times the transpose of a weight (out, in): (rows, out), with gradients for
/// whichever of the two is trained. CPU f32 only (see [`super::fused`]).
pub fn linear_product(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&weight.contiguous()?, MatrixProduct { transpose_a: false, transpose_b: true })
}
