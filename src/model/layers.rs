//! The building blocks of the encoder, written from differentiable candle ops: linear layers,
//! LayerNorm, softmax, activations and dropout. (candle_nn's fused LayerNorm and softmax have no
//! backward pass, and its dropout uses an unseeded generator; these do not have those problems.)
//! On the CPU in f32 the hot chains run as fused kernels with their own backward pass
//! (`kernels`); the primitive-op versions remain for other devices and as the tests' reference.

use std::sync::Arc;

use candle_core::{DType, Device, Tensor, D};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::kernels::{self, fused, Then};
use super::Activation;
use crate::quant::int8::Int8Matrix;

/// A linear layer's weight matrix (out, in): f32 (trainable), or int8 in a quantized model.
#[derive(Clone)]
enum LinearWeight {
    Dense(Tensor),
    Int8(Arc<Int8Matrix>),
}

impl std::fmt::Debug for LinearWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinearWeight::Dense(w) => write!(f, "Dense{:?}", w.dims()),
            LinearWeight::Int8(m) => write!(f, "Int8[{}, {}]", m.out_dim(), m.in_dim()),
        }
    }
}

/// y = x Wᵀ + b, for inputs of any rank (the last dimension is the feature dimension).
#[derive(Clone, Debug)]
pub struct Linear {
    weight: LinearWeight,
    bias: Option<Tensor>,
    /// Mixed precision: the type the product runs in (the weight stays f32); None: the weight's.
    matmul: Option<DType>,
}

impl Linear {
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Self {
        Self { weight: LinearWeight::Dense(weight), bias, matmul: None }
    }

    /// The same layer with its product run in `dtype` (see `Precision`); None: in f32.
    pub fn with_matmul_dtype(mut self, dtype: Option<DType>) -> Self {
        self.matmul = dtype;
        self
    }

    /// A layer of a quantized model: int8 weights, f32 bias. Inference only, on the CPU.
    pub fn int8(matrix: Arc<Int8Matrix>, bias: Option<Tensor>) -> Self {
        Self { weight: LinearWeight::Int8(matrix), bias, matmul: None }
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        if let Some(b) = &self.bias {
            if let Some(y) = self.product_then(x, Then::Bias(b))? {
                return Ok(y);
            }
        }
        let (y, dims) = self.product(x)?;
        let y = match &self.bias {
            Some(b) if fused(&y) => kernels::bias_add(&y, b)?,
            Some(b) => y.broadcast_add(b)?,
            None => y,
        };
        y.reshape(dims)
    }

    /// activation(x Wᵀ + b); erf-GELU with a bias runs as one fused op on the CPU.
    pub fn forward_activated(&self, x: &Tensor, activation: Activation) -> candle_core::Result<Tensor> {
        match (&self.bias, activation) {
            (Some(b), Activation::Gelu) => {
                if let Some(y) = self.product_then(x, Then::BiasGelu(b))? {
                    return Ok(y);
                }
                let (y, dims) = self.product(x)?;
                if fused(&y) {
                    return kernels::bias_gelu(&y, b)?.reshape(dims);
                }
                activate(&y.broadcast_add(b)?.reshape(dims)?, activation)
            }
            _ => activate(&self.forward(x)?, activation),
        }
    }

    /// dropout(x Wᵀ + b) + residual: the end of an attention or feed-forward block.
    pub fn forward_residual(
        &self,
        x: &Tensor,
        residual: &Tensor,
        p: f64,
        rng: &mut Option<&mut DropoutRng>,
    ) -> candle_core::Result<Tensor> {
        if let (Some(b), None) = (&self.bias, &rng) {
            if let Some(y) = self.product_then(x, Then::BiasResidual(b, residual))? {
                return Ok(y);
            }
        }
        let (y, dims) = self.product(x)?;
        match &self.bias {
            Some(b) if fused(&y) => {
                let mask = match rng {
                    Some(r) => r.mask(y.elem_count(), p),
                    None => None,
                };
                kernels::bias_residual(&y, b, &residual.reshape(y.shape())?, mask)?.reshape(dims)
            }
            _ => {
                let y = match &self.bias {
                    Some(b) => y.broadcast_add(b)?,
                    None => y,
                };
                dropout(&y.reshape(dims)?, p, rng)?.add(residual)
            }
        }
    }

    /// x Wᵀ and `then` in one pass (`kernels::linear_then`) where that can run: a dense weight,
    /// no mixed precision, CPU f32 operands, and no graph to record (inference). None: the
    /// caller takes the ops with backward passes.
    fn product_then(&self, x: &Tensor, then: Then) -> candle_core::Result<Option<Tensor>> {
        let LinearWeight::Dense(w) = &self.weight else {
            return Ok(None);
        };
        let mut operands = then.operands();
        operands.extend([x, w]);
        let records_graph = candle_core::recording() && operands.iter().any(|t| t.track_op());
        if self.matmul.is_some() || records_graph || !kernels::finished_products() || !operands.iter().all(|t| fused(t))
        {
            return Ok(None);
        }
        let y = kernels::linear_then(&rows_of(x)?, w, then)?;
        Ok(Some(y.reshape(output_dims(x, w.dim(0)?))?))
    }

    /// x Wᵀ as a matrix (rows, out), and the output's full shape.
    fn product(&self, x: &Tensor) -> candle_core::Result<(Tensor, Vec<usize>)> {
        let input = x;
        let x = rows_of(x)?;
        if let (LinearWeight::Dense(w), Some(low)) = (&self.weight, self.matmul) {
            // Mixed precision: cast down, multiply, cast the result back to the input's type.
            let y = x.to_dtype(low)?.matmul(&w.to_dtype(low)?.t()?)?.to_dtype(x.dtype())?;
            return Ok((y, output_dims(input, w.dim(0)?)));
        }
        let (y, out_dim) = match &self.weight {
            // Our blocked product; its backward skips the gradient of a constant weight (frozen
            // layers, explanations).
            LinearWeight::Dense(w) if fused(&x) && fused(w) => (kernels::linear_product(&x, w)?, w.dim(0)?),
            LinearWeight::Dense(w) => (x.matmul(&w.t()?)?, w.dim(0)?),
            LinearWeight::Int8(m) => (kernels::int8_product(&x, m)?, m.out_dim()),
        };
        Ok((y, output_dims(input, out_dim)))
    }
}

/// A linear layer's input of any rank as a matrix: one row per feature vector (the last
/// dimension).
fn rows_of(x: &Tensor) -> candle_core::Result<Tensor> {
    let in_dim = x.dim(D::Minus1)?;
    let rows: usize = x.dims()[..x.rank() - 1].iter().product();
    x.reshape((rows, in_dim))
}

/// The shape of a linear layer's output for input `x`: x's, with `out_dim` features.
fn output_dims(x: &Tensor, out_dim: usize) -> Vec<usize> {
    let mut dims = x.dims().to_vec();
    if let Some(last) = dims.last_mut() {
        *last = out_dim;
    }
    dims
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
        if fused(x) {
            return kernels::layer_norm(x, &self.weight, &self.bias, self.eps);
        }
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
    if fused(x) {
        return kernels::softmax(x);
    }
    let max = x.max_keepdim(D::Minus1)?.detach();
    let exp = x.broadcast_sub(&max)?.exp()?;
    let sum = exp.sum_keepdim(D::Minus1)?;
    exp.broadcast_div(&sum)
}

/// softmax(scale · scores + bias) for attention scores (batch, heads, queries, keys) and the
/// padding bias (batch, 1, 1, keys).
pub fn masked_softmax(scores: &Tensor, bias: &Tensor, scale: f64) -> candle_core::Result<Tensor> {
    if fused(scores) {
        return kernels::masked_softmax(scores, bias, scale);
    }
    softmax_last_dim(&(scores * scale)?.broadcast_add(bias)?)
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
/// On the CPU the masks come from this generator. On a GPU they are drawn on the device, from
/// its own generator seeded once from this one: copying host-drawn masks to the device made a
/// training step 4.6 times slower on an H200.
pub struct DropoutRng {
    rng: SmallRng,
    device_seeded: bool,
}

impl DropoutRng {
    pub fn new(seed: u64) -> Self {
        Self { rng: SmallRng::seed_from_u64(seed), device_seeded: false }
    }

    /// A dropout mask of `count` values: 0 with probability `p`, 1/(1-p) otherwise; None when
    /// `p` is 0 (nothing is dropped and no random numbers are drawn).
    ///
    /// Drawn in parallel blocks, each from its own generator seeded from this one and the
    /// block's index (so the mask does not depend on the number of threads), four 16-bit draws
    /// per 64-bit number: drawn one value at a time on one thread, the masks took 25–38 ms of a
    /// 700 ms MiniLM training step with the other core idle (now 14–31 ms, with the machine's
    /// noise). Each block is zeroed by its own task before it is drawn, not all of them by the
    /// calling thread first. A 16-bit draw resolves the keep probability to 1/65536.
    pub fn mask(&mut self, count: usize, p: f64) -> Option<Vec<f32>> {
        if p <= 0.0 {
            return None;
        }
        const BLOCK: usize = 1 << 16;
        const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
        let keep = 1.0 - p;
        let scale = (1.0 / keep) as f32;
        let threshold = (keep * 65536.0).round() as u64;
        let seed = self.rng.random::<u64>();
        Some(kernels::par_chunks_new(count, BLOCK, |block, values| {
            let mut rng = SmallRng::seed_from_u64(seed ^ (block as u64 + 1).wrapping_mul(GOLDEN));
            for four in values.chunks_mut(4) {
                let bits = rng.random::<u64>();
                for (j, value) in four.iter_mut().enumerate() {
                    // Without a branch: which values are kept is random, so a branch mispredicts.
                    *value = scale * u8::from((bits >> (16 * j)) & 0xFFFF < threshold) as f32;
                }
            }
        }))
    }

    /// Zeroes each element with probability `p` and scales the rest by 1/(1-p).
    pub fn apply(&mut self, x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
        if p <= 0.0 {
            return Ok(x.clone());
        }
        if !x.device().is_cpu() {
            return self.apply_on_device(x, p);
        }
        let Some(mask) = self.mask(x.elem_count(), p) else {
            return Ok(x.clone());
        };
        if fused(x) {
            return kernels::apply_mask(x, mask);
        }
        let mask = Tensor::from_vec(mask, x.shape(), &Device::Cpu)?;
        x.mul(&mask.to_dtype(x.dtype())?)
    }

    /// Dropout with the mask drawn by the device itself: uniform numbers, kept where ≥ `p`.
    fn apply_on_device(&mut self, x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
        if !self.device_seeded {
            x.device().set_seed(self.rng.random::<u64>())?;
            self.device_seeded = true;
        }
        x.mul(&device_mask(x, p)?)
    }
}

/// A dropout mask for `x` drawn by `x`'s own device: 0 with probability `p`, 1/(1-p) otherwise.
fn device_mask(x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
    let uniform = Tensor::rand(0f32, 1f32, x.shape(), x.device())?;
    uniform.ge(p)?.to_dtype(x.dtype())? * (1.0 / (1.0 - p))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU mask, drawn in parallel blocks: the right share of zeros in every block (a block
    /// drawing all-kept or all-dropped values would show), the rest 1/(1-p), and the same mask
    /// again from the same seed.
    #[test]
    fn cpu_mask_drops_the_right_share_in_every_block_and_repeats_with_its_seed() {
        let p = 0.25;
        let count = 5 * (1 << 16) + 123;
        let mask = DropoutRng::new(7).mask(count, p).unwrap();
        assert_eq!(mask.len(), count);
        let scale = (1.0 / (1.0 - p)) as f32;
        assert!(mask.iter().all(|&m| m == 0.0 || (m - scale).abs() < 1e-6));
        for block in mask.chunks_exact(1 << 16) {
            let dropped = block.iter().filter(|&&m| m == 0.0).count() as f64 / block.len() as f64;
            assert!((dropped - p).abs() < 0.02, "dropped share {dropped} in a block, expected {p}");
        }
        assert_eq!(mask, DropoutRng::new(7).mask(count, p).unwrap());
        assert_ne!(mask, DropoutRng::new(8).mask(count, p).unwrap());
        let mut rng = DropoutRng::new(7);
        let first = rng.mask(1000, p).unwrap();
        assert_ne!(first, rng.mask(1000, p).unwrap(), "each call draws a new mask");
        assert!(rng.mask(1000, 0.0).is_none());
    }

    /// The mask a GPU draws for itself (here drawn by the CPU device, the same tensor ops): the
    /// right share of zeros, every other value 1/(1-p), so the expected value is unchanged.
    #[test]
    fn device_mask_drops_the_right_share_and_rescales_the_rest() {
        let p = 0.1;
        let x = Tensor::ones((200, 500), DType::F32, &Device::Cpu).unwrap();
        let mask: Vec<f32> = device_mask(&x, p).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let dropped = mask.iter().filter(|&&m| m == 0.0).count() as f64 / mask.len() as f64;
        assert!((dropped - p).abs() < 0.005, "dropped share {dropped}, expected {p}");
        let scale = (1.0 / (1.0 - p)) as f32;
        assert!(mask.iter().all(|&m| m == 0.0 || (m - scale).abs() < 1e-6));
        let mean = mask.iter().map(|&m| m as f64).sum::<f64>() / mask.len() as f64;
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    }
}
