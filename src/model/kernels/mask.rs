//! Multiplying by a constant mask (dropout): x ⊙ m forward, g ⊙ m backward, and no gradient
//! for the mask, which candle's `mul` would compute (and then throw away).

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use super::rows::{cpu_slice, cpu_tensor, fill, par_chunks_filled, with_f32};

struct Mask {
    mask: Vec<f32>,
}

fn multiply(x: &[f32], mask: &[f32]) -> Vec<f32> {
    const CHUNK: usize = 16_384;
    par_chunks_filled(x.len(), CHUNK, |i, out| {
        let span = i * CHUNK..i * CHUNK + out.len();
        fill(out, x[span.clone()].iter().zip(&mask[span]).map(|(x, m)| x * m)).1
    })
}

impl CustomOp1 for Mask {
    fn name(&self) -> &'static str {
        "attune-mask"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = cpu_slice(s, l)?;
        if x.len() != self.mask.len() {
            bail!("mask has {} values for {} elements", self.mask.len(), x.len());
        }
        Ok((CpuStorage::F32(multiply(x, &self.mask)), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let d = with_f32(grad, |g| multiply(g, &self.mask))?;
        Ok(Some(cpu_tensor(d, res.shape())?))
    }
}

/// x ⊙ mask, where `mask` has one value per element of `x`.
pub fn apply_mask(x: &Tensor, mask: Vec<f32>) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Mask { mask })
}
