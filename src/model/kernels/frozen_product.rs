//! x Wᵀ for a weight that is not trained (frozen layers in training, every layer when explaining).
//! candle's matmul backward computes the gradient of both operands even when one of them is a
//! constant, which for a frozen linear layer is a wasted matrix product the size of the forward.
//! Here the product is computed without a graph and re-attached to x by a small op whose backward
//! is only dx = dy W.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::rows::cpu_slice;

struct GradientOfX {
    weight: Tensor,
}

impl CustomOp2 for GradientOfX {
    fn name(&self) -> &'static str {
        "attune-frozen-product"
    }

    /// The value is the product already computed (the second input), copied.
    fn cpu_fwd(&self, _s1: &CpuStorage, _l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        Ok((CpuStorage::F32(cpu_slice(s2, l2)?.to_vec()), l2.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(grad.matmul(&self.weight)?), None))
    }
}

/// x (rows, in) times the transpose of a constant weight (out, in), with a gradient for x only.
pub fn frozen_product(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let y = x.detach().matmul(&weight.t()?)?;
    x.apply_op2(&y, GradientOfX { weight: weight.clone() })
}
