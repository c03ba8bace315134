//! The AVX2 kernel: a register tile of [`MR`] = 6 activation rows × 16 channels (one packed
//! panel) accumulates over the whole input in twelve i32 vectors (with the two weight vectors and
//! one broadcast that fills the 16 registers). Per group of 2 inputs it broadcasts each row's 2
//! i16 codes, multiplies them with the panel's two 32-byte weight vectors by `madd` (i16 pairs →
//! i32, exact) and adds. The epilogue mirrors `portable::finish` lane by lane.
//!
//! Splitting the input into L1-sized chunks (with the partial sums kept between chunks) measured
//! no faster here, even at in_dim 3072: the loop is bound by the vector pipes, not by memory.

use std::arch::x86_64::*;
use std::ops::Range;

use super::activations::QuantRows;
use super::pack::{Packed, GROUP_LEN, KG, NR};
use super::portable::Output;

/// Activation rows per register tile; `QuantRows` pads its rows to a multiple of this.
pub(super) const MR: usize = 6;

/// The twelve accumulators of a tile: `[row][half of the panel]`.
type Tile = [[__m256i; 2]; MR];

/// The AVX2 version of `portable::panels`, with the same arguments and results.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and `a` must be padded to a multiple of [`MR`] rows with
/// `stride = 2 · w.groups` (as `Scratch::fill` makes it).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn panels(w: &Packed, a: &QuantRows, panels: Range<usize>, bias: Option<&[f32]>, out: &mut Output) {
    assert!(a.stride == w.groups * KG && a.codes.len() >= a.rows.next_multiple_of(MR) * a.stride);
    for p in panels {
        let panel = w.panel(p);
        for r0 in (0..a.rows).step_by(MR) {
            // SAFETY: the assert above keeps the MR rows of codes in bounds, and `panel` holds
            // `groups` groups of GROUP_LEN values.
            let tile = tile(a.codes.as_ptr().add(r0 * a.stride), a.stride, panel.as_ptr(), w.groups);
            for (r, halves) in tile.iter().enumerate().take(a.rows - r0) {
                let row = r0 + r;
                let row_out = &mut out.data[row * out.stride..(row + 1) * out.stride];
                for (h, &sums) in halves.iter().enumerate() {
                    let n0 = p * NR + h * 8;
                    if n0 < w.out_dim {
                        let y = finish(sums, a.scale[row], &w.scales[n0..n0 + 8]);
                        store(y, n0, w.out_dim, bias, &mut row_out[n0 - out.first_col..]);
                    }
                }
            }
        }
    }
}

/// Σ over all groups of codes × weights for MR rows (row stride `stride`) and one panel.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn tile(codes: *const i16, stride: usize, panel: *const i16, groups: usize) -> Tile {
    let mut acc: Tile = [[_mm256_setzero_si256(); 2]; MR];
    for g in 0..groups {
        let w = panel.add(g * GROUP_LEN);
        let w0 = _mm256_loadu_si256(w as *const __m256i);
        let w1 = _mm256_loadu_si256(w.add(16) as *const __m256i);
        for (r, acc) in acc.iter_mut().enumerate() {
            let q = _mm256_set1_epi32((codes.add(r * stride + g * KG) as *const i32).read_unaligned());
            acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(q, w0));
            acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(q, w1));
        }
    }
    acc
}

/// `portable::finish` on 8 channels at once (without the bias).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn finish(sums: __m256i, row_scale: f32, channel_scales: &[f32]) -> __m256 {
    // SAFETY: the callers pass slices of 8 values.
    let scales = _mm256_mul_ps(_mm256_set1_ps(row_scale), _mm256_loadu_ps(channel_scales.as_ptr()));
    _mm256_mul_ps(_mm256_cvtepi32_ps(sums), scales)
}

/// Adds the bias and writes the channels `n0..` that exist (up to 8) to the front of `out`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn store(y: __m256, n0: usize, out_dim: usize, bias: Option<&[f32]>, out: &mut [f32]) {
    if n0 + 8 <= out_dim && out.len() >= 8 {
        // SAFETY: 8 channels exist, so the bias has 8 values from n0 and `out` has at least 8.
        let y = match bias {
            Some(b) => _mm256_add_ps(y, _mm256_loadu_ps(b.as_ptr().add(n0))),
            None => y,
        };
        _mm256_storeu_ps(out.as_mut_ptr(), y);
    } else {
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), y);
        for (c, (o, &v)) in out.iter_mut().zip(&lanes).take(out_dim - n0).enumerate() {
            *o = bias.map_or(v, |b| v + b[n0 + c]);
        }
    }
}
