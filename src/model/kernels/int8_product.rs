//! x Wᵀ with W held as an int8 matrix (quantized inference): a candle op around
//! [`Int8Matrix::matmul`], which quantizes x per row and multiplies in integers. Forward only:
//! quantized models predict and are verified; they are not trained or differentiated.

use std::sync::Arc;

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use super::rows::cpu_slice;
use crate::quant::int8::Int8Matrix;

struct Int8Product {
    matrix: Arc<Int8Matrix>,
}

impl CustomOp1 for Int8Product {
    fn name(&self) -> &'static str {
        "attune-int8-product"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (rows, in_dim) = l.shape().dims2()?;
        if in_dim != self.matrix.in_dim() {
            bail!("int8 product: input has {in_dim} features, the matrix expects {}", self.matrix.in_dim());
        }
        let x = cpu_slice(s, l)?;
        let mut out = vec![0.0f32; rows * self.matrix.out_dim()];
        self.matrix.matmul(x, rows, None, &mut out).map_err(candle_core::Error::Msg)?;
        Ok((CpuStorage::F32(out), Shape::from((rows, self.matrix.out_dim()))))
    }
}

/// x (rows, in_dim) times the matrix's transpose: (rows, out_dim). CPU f32 only.
pub fn int8_product(x: &Tensor, matrix: &Arc<Int8Matrix>) -> Result<Tensor> {
    if !super::fused(x) {
        bail!("quantized models run on the CPU; choose the CPU device for a GGUF model");
    }
    x.contiguous()?.apply_op1_no_bwd(&Int8Product { matrix: matrix.clone() })
}
