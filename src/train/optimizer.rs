//! AdamW with decoupled weight decay (none on biases and LayerNorm), global-norm gradient
//! clipping, and the linear warm-up then linear decay learning-rate schedule.
//!
//! On the CPU the update runs as one loop over each parameter's values, with the moments kept as
//! plain vectors: one pass instead of a dozen temporary tensors per parameter.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

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
    m: Vec<f32>,
    v: Vec<f32>,
}

pub struct AdamW {
    slots: Vec<Slot>,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    step: i32,
}

/// What one optimizer step saw.
pub struct StepReport {
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
}

impl AdamW {
    pub fn new(params: &ParamStore, weight_decay: f64) -> Self {
        let slots = params
            .trainable()
            .map(|(name, var)| Slot {
                var: var.clone(),
                decays: crate::model::params_decay(name),
                m: vec![0.0; var.elem_count()],
                v: vec![0.0; var.elem_count()],
            })
            .collect();
        Self { slots, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, step: 0 }
    }

    /// Applies one update with learning rate `lr`, clipping the global gradient norm to `max_norm`.
    pub fn step(&mut self, grads: &GradStore, lr: f64, max_norm: Option<f64>) -> candle_core::Result<StepReport> {
        let mut flat_grads: Vec<Option<Vec<f32>>> = Vec::with_capacity(self.slots.len());
        let mut sum_sq = 0.0f64;
        for slot in &self.slots {
            let g = match grads.get(slot.var.as_tensor()) {
                Some(g) => g.flatten_all()?.to_vec1::<f32>()?,
                None => {
                    flat_grads.push(None);
                    continue;
                }
            };
            sum_sq += g.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>();
            flat_grads.push(Some(g));
        }
        let grad_norm = sum_sq.sqrt();
        let clip = match max_norm {
            Some(max) if grad_norm > max => (max / (grad_norm + 1e-6)) as f32,
            _ => 1.0,
        };
        self.step += 1;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let bias1 = 1.0 - self.beta1.powi(self.step);
        let bias2 = 1.0 - self.beta2.powi(self.step);
        let step_size = (lr / bias1) as f32;
        let bias2_sqrt = bias2.sqrt() as f32;
        let eps = self.eps as f32;
        for (slot, grad) in self.slots.iter_mut().zip(flat_grads) {
            let Some(grad) = grad else { continue };
            let tensor = slot.var.as_tensor();
            let mut values = tensor.flatten_all()?.to_vec1::<f32>()?;
            let decay = if slot.decays { (lr * self.weight_decay) as f32 } else { 0.0 };
            for i in 0..values.len() {
                let g = grad[i] * clip;
                let m = b1 * slot.m[i] + (1.0 - b1) * g;
                let v = b2 * slot.v[i] + (1.0 - b2) * g * g;
                slot.m[i] = m;
                slot.v[i] = v;
                let p = values[i] * (1.0 - decay);
                values[i] = p - step_size * m / (v.sqrt() / bias2_sqrt + eps);
            }
            let updated = Tensor::from_vec(values, tensor.shape(), tensor.device())?;
            slot.var.set(&updated)?;
        }
        Ok(StepReport { grad_norm })
    }
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
}
