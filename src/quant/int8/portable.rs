//! The portable kernel: exact i32 dot products of quantized activation rows with packed weight
//! panels in plain Rust, and the epilogue every kernel shares, which turns an i32 sum into the
//! f32 output (the two scales, the bias) in one fixed order of operations.

use std::ops::Range;

use super::activations::QuantRows;
use super::pack::{Packed, KG, NR};

/// The f32 output of one (row, channel) pair from its exact sum Σ q·w:
/// `(sum as f32) · (row_scale · channel_scale)`, then `+ bias`. The AVX2 epilogue performs the
/// same IEEE operations lane by lane, so both kernels agree bit for bit.
pub(super) fn finish(sum: i32, row_scale: f32, channel_scale: f32) -> f32 {
    (sum as f32) * (row_scale * channel_scale)
}

/// Where a kernel writes its outputs: row `r`, channel `n` lands at
/// `data[r · stride + n − first_col]`.
pub(super) struct Output<'a> {
    pub data: &'a mut [f32],
    pub stride: usize,
    pub first_col: usize,
}

/// Writes the outputs of `panels` for every row of `a` into `out`.
pub(super) fn panels(w: &Packed, a: &QuantRows, panels: Range<usize>, bias: Option<&[f32]>, out: &mut Output) {
    for p in panels {
        let panel = w.panel(p);
        let cols = NR.min(w.out_dim - p * NR);
        for r in 0..a.rows {
            let codes = &a.codes[r * a.stride..(r + 1) * a.stride];
            let mut sums = [0i32; NR];
            for (group, weights) in codes.chunks_exact(KG).zip(panel.chunks_exact(NR * KG)) {
                for (sum, channel) in sums.iter_mut().zip(weights.chunks_exact(KG)) {
                    for (&q, &v) in group.iter().zip(channel) {
                        *sum += i32::from(q) * i32::from(v);
                    }
                }
            }
            let row_out = &mut out.data[r * out.stride..(r + 1) * out.stride];
            for (c, &sum) in sums.iter().enumerate().take(cols) {
                let n = p * NR + c;
                let y = finish(sum, a.scale[r], w.scales[n]);
                row_out[n - out.first_col] = bias.map_or(y, |b| y + b[n]);
            }
        }
    }
}
