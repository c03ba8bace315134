//! A linear probe: multinomial logistic regression on fixed features, trained by full-batch
//! gradient descent (Adam) with L2 regularisation on standardised features. Fast (seconds for
//! thousands of examples), deterministic and reasonably calibrated, which is what out-of-fold
//! probabilities for finding label errors need.

use rayon::prelude::*;

const STEPS: usize = 300;
const LEARNING_RATE: f32 = 0.05;
/// Strong enough that a probe fitted to noisy labels does not learn the noise (chosen on SMS
/// spam with 10 % of labels flipped: precision of the suspects 0.89 at 1e-3, 0.94 at 0.02).
const L2: f32 = 0.02;

/// A trained probe: per-feature standardisation, then weights (classes × dim) and biases.
pub struct LinearProbe {
    mean: Vec<f32>,
    scale: Vec<f32>,
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

impl LinearProbe {
    /// Fits the probe to features and class indices (each below `classes`).
    pub fn fit(features: &[&[f32]], targets: &[usize], classes: usize) -> Self {
        let dim = features.first().map_or(0, |f| f.len());
        let n = features.len().max(1) as f32;
        let mut mean = vec![0.0f32; dim];
        for f in features {
            mean.iter_mut().zip(f.iter()).for_each(|(m, v)| *m += v / n);
        }
        let mut scale = vec![0.0f32; dim];
        for f in features {
            scale.iter_mut().zip(f.iter().zip(&mean)).for_each(|(s, (v, m))| *s += (v - m) * (v - m) / n);
        }
        scale.iter_mut().for_each(|s| *s = 1.0 / s.sqrt().max(1e-6));
        let x: Vec<Vec<f32>> =
            features.iter().map(|f| f.iter().zip(&mean).zip(&scale).map(|((v, m), s)| (v - m) * s).collect()).collect();
        let mut probe = Self { mean, scale, weights: vec![vec![0.0; dim]; classes], bias: vec![0.0; classes] };
        let mut adam = Adam::new(classes * (dim + 1));
        for step in 1..=STEPS {
            let (grad_w, grad_b) = probe.gradient(&x, targets, classes);
            let mut grad: Vec<f32> = Vec::with_capacity(classes * (dim + 1));
            for (gw, w) in grad_w.iter().zip(&probe.weights) {
                grad.extend(gw.iter().zip(w).map(|(g, w)| g / n + L2 * w));
            }
            grad.extend(grad_b.iter().map(|g| g / n));
            let update = adam.step(&grad, step);
            let mut it = update.into_iter();
            for w in probe.weights.iter_mut().flatten() {
                *w -= it.next().unwrap_or(0.0);
            }
            for b in probe.bias.iter_mut() {
                *b -= it.next().unwrap_or(0.0);
            }
        }
        probe
    }

    /// Summed gradients of the cross-entropy over all examples (weights, biases).
    fn gradient(&self, x: &[Vec<f32>], targets: &[usize], classes: usize) -> (Vec<Vec<f32>>, Vec<f32>) {
        let dim = self.mean.len();
        x.par_iter()
            .zip(targets.par_iter())
            .fold(
                || (vec![vec![0.0f32; dim]; classes], vec![0.0f32; classes]),
                |(mut gw, mut gb), (row, &t)| {
                    let p = self.probabilities_standardised(row);
                    for c in 0..classes {
                        let d = p[c] - if c == t { 1.0 } else { 0.0 };
                        gb[c] += d;
                        gw[c].iter_mut().zip(row).for_each(|(g, v)| *g += d * v);
                    }
                    (gw, gb)
                },
            )
            .reduce(
                || (vec![vec![0.0f32; dim]; classes], vec![0.0f32; classes]),
                |(mut aw, mut ab), (bw, bb)| {
                    aw.iter_mut().flatten().zip(bw.iter().flatten()).for_each(|(a, b)| *a += b);
                    ab.iter_mut().zip(&bb).for_each(|(a, b)| *a += b);
                    (aw, ab)
                },
            )
    }

    fn probabilities_standardised(&self, x: &[f32]) -> Vec<f32> {
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| b + w.iter().zip(x).map(|(w, v)| w * v).sum::<f32>())
            .collect();
        softmax(&logits)
    }

    /// Class probabilities of one feature vector.
    pub fn probabilities(&self, features: &[f32]) -> Vec<f32> {
        let x: Vec<f32> = features.iter().zip(&self.mean).zip(&self.scale).map(|((v, m), s)| (v - m) * s).collect();
        self.probabilities_standardised(&x)
    }
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    fn new(n: usize) -> Self {
        Self { m: vec![0.0; n], v: vec![0.0; n] }
    }

    fn step(&mut self, grad: &[f32], t: usize) -> Vec<f32> {
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let c1 = 1.0 - b1.powi(t as i32);
        let c2 = 1.0 - b2.powi(t as i32);
        grad.iter()
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
            .map(|(&g, (m, v))| {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                LEARNING_RATE * (*m / c1) / ((*v / c2).sqrt() + eps)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::LinearProbe;

    #[test]
    fn a_probe_learns_a_linear_rule() {
        let xs: Vec<Vec<f32>> = (0..200).map(|i| vec![(i % 20) as f32 / 20.0, ((i * 7) % 13) as f32]).collect();
        let ys: Vec<usize> = xs.iter().map(|x| usize::from(x[0] > 0.5)).collect();
        let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        let probe = LinearProbe::fit(&refs, &ys, 2);
        let correct = xs.iter().zip(&ys).filter(|(x, &y)| (probe.probabilities(x)[1] > 0.5) == (y == 1)).count();
        assert!(correct >= 190, "{correct} of 200 right");
    }
}
