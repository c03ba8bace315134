//! Dynamic loss scaling for f16 mixed precision (as PyTorch's `GradScaler`): the loss is
//! multiplied by a large factor before the backward pass so that small gradients survive f16's
//! narrow range, and the optimizer divides it out again. When a gradient overflows (inf or NaN)
//! the step is skipped and the factor halves; after a run of good steps it doubles.

/// The factor a run starts with (2¹⁶, PyTorch's default).
pub const INITIAL_SCALE: f64 = 65_536.0;
/// Good steps in a row after which the factor doubles.
pub const GROWTH_INTERVAL: u32 = 2_000;

#[derive(Clone, Debug, PartialEq)]
pub struct LossScale {
    scale: f64,
    good_steps: u32,
}

impl Default for LossScale {
    fn default() -> Self {
        Self { scale: INITIAL_SCALE, good_steps: 0 }
    }
}

impl LossScale {
    /// The factor the loss is multiplied by now.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// After a step: `finite` says whether its gradients were all finite (the step was applied).
    pub fn update(&mut self, finite: bool) {
        if finite {
            self.good_steps += 1;
            if self.good_steps >= GROWTH_INTERVAL {
                self.scale *= 2.0;
                self.good_steps = 0;
            }
        } else {
            self.scale = (self.scale / 2.0).max(1.0);
            self.good_steps = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_halves_and_a_run_of_good_steps_doubles() {
        let mut s = LossScale::default();
        s.update(false);
        assert_eq!(s.scale(), INITIAL_SCALE / 2.0);
        for _ in 0..GROWTH_INTERVAL - 1 {
            s.update(true);
        }
        assert_eq!(s.scale(), INITIAL_SCALE / 2.0, "not before the interval");
        s.update(true);
        assert_eq!(s.scale(), INITIAL_SCALE);
        for _ in 0..40 {
            s.update(false);
        }
        assert_eq!(s.scale(), 1.0, "never below 1");
    }
}
