//! The building blocks of the encoder, written from differentiable candle ops: linear layers,
//! LayerNorm, softmax, activations and dropout. (candle_nn's fused LayerNorm and softmax have no
//! backward pass, and its dropout uses an unseeded generator; these do not have those problems.)

use candle_core::{DType, Device, Tensor, D};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::Activation;

/// y = x Wᵀ + b, for inputs of any rank (the last dimension is the feature dimension).
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Self {
        Self { weight, bias }
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims().to_vec();
        let in_dim = dims[dims.len() - 1];
        let rows: usize = dims[..dims.len() - 1].iter().product();
        let x2 = x.reshape((rows, in_dim))?;
        let mut y = x2.matmul(&self.weight.t()?)?;
        if let Some(b) = &self.bias {
            y = y.broadcast_add(b)?;
        }
        let mut out_dims = dims;
        let last = out_dims.len() - 1;
        out_dims[last] = self.weight.dim(0)?;
        y.reshape(out_dims)
    }
}

/// LayerNorm over the last dimension, as transformers computes it (biased variance).
#[derive(Clone, Debug)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    pub fn new(weight: Tensor, bias: Tensor, eps: f64) -> Self {
        Self { weight, bias, eps }
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let variance = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(variance + self.eps)?.sqrt()?)?;
        normed.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)
    }
}

/// Softmax over the last dimension. The row maximum is subtracted for stability; it is detached
/// because softmax does not change when a constant is subtracted, so its gradient is zero.
pub fn softmax_last_dim(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let exp = x.broadcast_sub(&max)?.exp()?;
    let sum = exp.sum_keepdim(D::Minus1)?;
    exp.broadcast_div(&sum)
}

pub fn activate(x: &Tensor, activation: Activation) -> candle_core::Result<Tensor> {
    match activation {
        Activation::Gelu => x.gelu_erf(),
        Activation::GeluTanh => x.gelu(),
        Activation::Relu => x.relu(),
        Activation::Silu => x.silu(),
    }
}

/// The seeded random source of dropout masks. Present only in training; absent means eval mode.
pub struct DropoutRng {
    rng: SmallRng,
}

impl DropoutRng {
    pub fn new(seed: u64) -> Self {
        Self { rng: SmallRng::seed_from_u64(seed) }
    }

    /// Zeroes each element with probability `p` and scales the rest by 1/(1-p).
    pub fn apply(&mut self, x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
        if p <= 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - p;
        let scale = (1.0 / keep) as f32;
        let threshold = (keep * u32::MAX as f64) as u32;
        let count = x.elem_count();
        let mask: Vec<f32> =
            (0..count).map(|_| if self.rng.random::<u32>() < threshold { scale } else { 0.0 }).collect();
        let mask = Tensor::from_vec(mask, x.shape(), &Device::Cpu)?.to_device(x.device())?;
        x.mul(&mask.to_dtype(x.dtype())?)
    }
}

/// Applies dropout when training (an rng is given), and passes `x` through otherwise.
pub fn dropout(x: &Tensor, p: f64, rng: &mut Option<&mut DropoutRng>) -> candle_core::Result<Tensor> {
    match rng {
        Some(r) => r.apply(x, p),
        None => Ok(x.clone()),
    }
}

/// The additive attention bias of a padding mask: 0 where a key may be attended, a very large
/// negative number where it is padding. Shape (batch, 1, 1, seq).
pub fn attention_bias(mask: &Tensor) -> candle_core::Result<Tensor> {
    let (batch, seq) = mask.dims2()?;
    let mask = mask.to_dtype(DType::F32)?;
    let bias = ((mask.ones_like()? - &mask)? * f32::MIN as f64)?;
    bias.reshape((batch, 1, 1, seq))
}
