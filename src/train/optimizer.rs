//! AdamW with decoupled weight decay (none on biases and LayerNorm), global-norm gradient
//! clipping, and the linear warm-up then linear decay learning-rate schedule.
//!
//! On the CPU the update runs as one loop over each parameter's values, with the moments kept as
//! plain vectors: one pass instead of a dozen temporary tensors per parameter. The loop reads the
//! gradient where candle keeps it and writes the parameter in place (a candle in-place op), split
//! across threads in fixed chunks, so no parameter or gradient is copied. That loop and the sum of
//! squares that clipping needs are compiled for AVX2 where the CPU has it (`kernels::wide`), the
//! sum in 16 partial sums so that its additions do not wait for each other. On a GPU the same update
//! runs as tensor ops on the device, with the moments kept there: nothing goes to the host but
//! the gradient norm (one number per step).
//!
//! With f16 mixed precision the gradients arrive multiplied by the loss scale: [`AdamW::step_scaled`]
//! divides it out and skips the step when a gradient overflowed.

use std::sync::Mutex;

use candle_core::backprop::GradStore;
use candle_core::{bail, CpuStorage, DType, InplaceOp2, Layout, Storage, Tensor, Var};
use rayon::prelude::*;

use crate::model::kernels::wide;
use crate::model::ParamStore;

/// Learning rate at a step: linear warm-up from 0 to `peak`, then linear decay to 0.
pub fn learning_rate(step: u64, total_steps: u64, warmup_steps: u64, peak: f64) -> f64 {
    if step < warmup_steps {
        return peak * (step + 1) as f64 / warmup_steps as f64;
    }
    let remaining = total_steps.saturating_sub(step) as f64;
    let decay_span = total_steps.saturating_sub(warmup_steps).max(1) as f64;
    peak * (remaining / decay_span).max(0.0)
}

struct Slot {
    var: Var,
    decays: bool,
    /// The moments on the host, for the in-place CPU update.
    m: Vec<f32>,
    v: Vec<f32>,
    /// The moments on the device, for the tensor-op update (created at the first step).
    device_moments: Option<(Tensor, Tensor)>,
}

pub struct AdamW {
    slots: Vec<Slot>,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    step: i32,
    /// Update with tensor ops even on the CPU (tests compare the two ways).
    tensor_ops: bool,
}

/// What one optimizer step saw.
pub struct StepReport {
    /// Global gradient norm before clipping (of the unscaled gradients).
    pub grad_norm: f64,
    /// The gradients were not all finite (an f16 overflow) and nothing was updated.
    pub skipped: bool,
}

impl AdamW {
    pub fn new(params: &ParamStore, weight_decay: f64) -> Self {
        let slots = params
            .trainable()
            .map(|(name, var)| {
                let host = if var.device().is_cpu() { var.elem_count() } else { 0 };
                Slot {
                    var: var.clone(),
                    decays: crate::model::params_decay(name),
                    m: vec![0.0; host],
                    v: vec![0.0; host],
                    device_moments: None,
                }
            })
            .collect();
        Self { slots, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, step: 0, tensor_ops: false }
    }

    /// The same optimizer updating with tensor ops on every device, as it does on a GPU.
    pub fn with_tensor_ops(mut self) -> Self {
        self.tensor_ops = true;
        self
    }

    /// Applies one update with learning rate `lr`, clipping the global gradient norm to `max_norm`.
    pub fn step(&mut self, grads: &GradStore, lr: f64, max_norm: Option<f64>) -> candle_core::Result<StepReport> {
        self.step_scaled(grads, lr, max_norm, 1.0)
    }

    /// Like [`AdamW::step`] for gradients multiplied by `loss_scale`: they are divided by it
    /// first, and when any is not finite nothing is updated (the report says `skipped`).
    pub fn step_scaled(
        &mut self,
        grads: &GradStore,
        lr: f64,
        max_norm: Option<f64>,
        loss_scale: f64,
    ) -> candle_core::Result<StepReport> {
        let mut flat_grads: Vec<Option<Tensor>> = Vec::with_capacity(self.slots.len());
        let mut host_sum = 0.0f64;
        let mut device_sum: Option<Tensor> = None;
        for slot in &self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                flat_grads.push(None);
                continue;
            };
            let g = g.contiguous()?;
            if g.device().is_cpu() {
                host_sum += squared_sum(&g)?;
            } else {
                let s = g.sqr()?.sum_all()?;
                device_sum = Some(match device_sum {
                    Some(total) => (total + s)?,
                    None => s,
                });
            }
            flat_grads.push(Some(g));
        }
        if let Some(total) = device_sum {
            host_sum += total.to_dtype(DType::F32)?.to_scalar::<f32>()? as f64;
        }
        let grad_norm = host_sum.sqrt() / loss_scale;
        if !grad_norm.is_finite() {
            return Ok(StepReport { grad_norm, skipped: true });
        }
        let clip = match max_norm {
            Some(max) if grad_norm > max => (max / (grad_norm + 1e-6)) as f32,
            _ => 1.0,
        } / loss_scale as f32;
        self.step += 1;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let bias1 = 1.0 - self.beta1.powi(self.step);
        let bias2 = 1.0 - self.beta2.powi(self.step);
        let step_size = (lr / bias1) as f32;
        let bias2_sqrt = bias2.sqrt() as f32;
        let eps = self.eps as f32;
        for (slot, grad) in self.slots.iter_mut().zip(flat_grads) {
            let Some(grad) = grad else { continue };
            let decay = if slot.decays { (lr * self.weight_decay) as f32 } else { 0.0 };
            let rule = Rule { clip, b1, b2, step_size, bias2_sqrt, eps, decay };
            let tensor = slot.var.as_tensor();
            if tensor.device().is_cpu() && tensor.is_contiguous() && !self.tensor_ops {
                let op = InPlace { rule, m: Mutex::new(&mut slot.m), v: Mutex::new(&mut slot.v) };
                tensor.inplace_op2(&grad, &op)?;
            } else {
                update_with_tensor_ops(slot, &grad, rule)?;
            }
        }
        Ok(StepReport { grad_norm, skipped: false })
    }
}

/// The update of [`Rule::apply`] as tensor ops on the parameter's device, with the moments kept
/// there.
fn update_with_tensor_ops(slot: &mut Slot, grad: &Tensor, r: Rule) -> candle_core::Result<()> {
    let param = slot.var.as_tensor();
    let (m, v) = match slot.device_moments.take() {
        Some(moments) => moments,
        None => (param.zeros_like()?, param.zeros_like()?),
    };
    let g = (grad.to_dtype(param.dtype())? * r.clip as f64)?;
    let m = ((m * r.b1 as f64)? + (&g * (1.0 - r.b1) as f64)?)?;
    let v = ((v * r.b2 as f64)? + (g.sqr()? * (1.0 - r.b2) as f64)?)?;
    let denominator = ((v.sqrt()? / r.bias2_sqrt as f64)? + r.eps as f64)?;
    let step = ((&m / denominator)? * r.step_size as f64)?;
    let updated = ((param * (1.0 - r.decay) as f64)? - step)?;
    slot.var.set(&updated)?;
    slot.device_moments = Some((m, v));
    Ok(())
}

/// Σ g² of a gradient, in f64, read in place on the CPU.
fn squared_sum(g: &Tensor) -> candle_core::Result<f64> {
    let (storage, layout) = g.storage_and_layout();
    if let (Storage::Cpu(CpuStorage::F32(data)), Some((start, end))) = (&*storage, layout.contiguous_offsets()) {
        // Fixed chunks summed in order: the same value on every run.
        let parts: Vec<f64> = data[start..end].par_chunks(CHUNK).map(|c| wide(|| squares(c))).collect();
        return Ok(parts.iter().sum());
    }
    drop(storage);
    let values = g.flatten_all()?.to_vec1::<f32>()?;
    Ok(wide(|| squares(&values)))
}

/// Σ x² in f64, added in [`SQUARE_LANES`] interleaved partial sums: a fixed order, so the same
/// value on every run, and independent additions that vectorize (one running sum waited for
/// each addition in turn: 94 ms of a BERT-base training step's 236 ms of optimizer).
#[inline(always)]
fn squares(values: &[f32]) -> f64 {
    let mut lanes = [0.0f64; SQUARE_LANES];
    let mut chunks = values.chunks_exact(SQUARE_LANES);
    for chunk in &mut chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += f64::from(x) * f64::from(x);
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    lanes.iter().sum::<f64>() + tail
}

/// The partial sums of [`squares`]: four AVX2 vectors of f64.
const SQUARE_LANES: usize = 16;

/// Values per parallel task of the update.
const CHUNK: usize = 1 << 16;

/// The constants of one parameter's update.
#[derive(Clone, Copy)]
struct Rule {
    clip: f32,
    b1: f32,
    b2: f32,
    step_size: f32,
    bias2_sqrt: f32,
    eps: f32,
    decay: f32,
}

impl Rule {
    fn apply(&self, values: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        let r = *self;
        values
            .par_chunks_mut(CHUNK)
            .zip(grad.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .for_each(|(((p, g), m), v)| {
                // Compiled for AVX2 where the CPU has it: the square roots and divisions 8 wide
                // instead of SSE2's 4 (0.63 and 0.79 of SSE2's time in alternating BERT-base
                // steps on an AVX-512 machine; docs/performance.md).
                wide(|| {
                    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                        let g = g * r.clip;
                        *m = r.b1 * *m + (1.0 - r.b1) * g;
                        *v = r.b2 * *v + (1.0 - r.b2) * g * g;
                        *p = *p * (1.0 - r.decay) - r.step_size * *m / (v.sqrt() / r.bias2_sqrt + r.eps);
                    }
                })
            });
    }
}

/// The update as a candle in-place op on the parameter's storage, reading the gradient's.
struct InPlace<'a> {
    rule: Rule,
    m: Mutex<&'a mut Vec<f32>>,
    v: Mutex<&'a mut Vec<f32>>,
}

impl InplaceOp2 for InPlace<'_> {
    fn name(&self) -> &'static str {
        "attune-adamw"
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<()> {
        let (CpuStorage::F32(values), CpuStorage::F32(grad)) = (s1, s2) else {
            bail!("AdamW updates f32 parameters only");
        };
        let (Some((p0, p1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets()) else {
            bail!("AdamW needs contiguous parameters and gradients");
        };
        if p1 - p0 != g1 - g0 {
            bail!("AdamW: gradient has {} values for {} parameters", g1 - g0, p1 - p0);
        }
        let (mut m, mut v) = (self.m.lock().map_err(poisoned)?, self.v.lock().map_err(poisoned)?);
        self.rule.apply(&mut values[p0..p1], &grad[g0..g1], m.as_mut_slice(), v.as_mut_slice());
        Ok(())
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> candle_core::Error {
    candle_core::Error::Msg("AdamW moments lock poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        assert!((learning_rate(0, 100, 10, 1.0) - 0.1).abs() < 1e-12);
        assert!((learning_rate(9, 100, 10, 1.0) - 1.0).abs() < 1e-12);
        assert!((learning_rate(10, 100, 10, 1.0) - 1.0).abs() < 1e-12);
        assert!((learning_rate(55, 100, 10, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(learning_rate(100, 100, 10, 1.0), 0.0);
    }

    #[test]
    fn the_sum_of_squares_counts_every_value_of_a_gradient() {
        // Lengths around the partial sums' width and the parallel chunks', so a value left out
        // of a remainder or a chunk shows.
        for len in [0, 1, 15, 16, 17, 1000, CHUNK - 1, 2 * CHUNK + 33] {
            let values: Vec<f32> = (0..len).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect();
            let expected: f64 = values.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
            let got = squared_sum(&Tensor::from_slice(&values, len, &candle_core::Device::Cpu).unwrap()).unwrap();
            assert!((got - expected).abs() <= 1e-12 * expected.max(1.0), "{len} values: {got} vs {expected}");
        }
    }
}
