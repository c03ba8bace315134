//! Dynamic quantization of activation rows: each row x gets a symmetric scale s = max|x| / L and
//! codes q = round(x / s) ∈ [−L, L] in i16, so x ≈ s · q with no zero point. The limit L depends
//! only on the layer's input width K ([`code_limit`]): the largest value (at most 16 383) for
//! which no exact i32 sum Σ q·w can overflow, L · 128 · K < 2³¹ (int8 weights reach −128). For
//! the widths of BERT-family models that is L = 16 383 (15 bits with the sign) up to K = 1024,
//! 10 922 at K = 1536 and 5461 at K = 3072, far finer than the weights' 8 bits. Codes are rounded half to even (as `cvtps2dq` does), so
//! the portable and AVX2 quantizers agree bit for bit.
//! [`QuantRows`] is the result for a block of rows, laid out as the kernels read it.

use super::pack::KG;

/// The largest code magnitude for any width (15 bits with the sign; more would not change the
/// result measurably: the weights' own error is about 1/250 of a row's range).
const MAX_LIMIT: i32 = 16_383;

/// The largest code magnitude L for rows of `in_dim` values: the biggest exact sum,
/// L · 128 · in_dim, stays below 2³¹. At least 255 for every `in_dim ≤ MAX_IN_DIM` (65 536).
pub(super) fn code_limit(in_dim: usize) -> i32 {
    let bound = i32::MAX as usize / (128 * in_dim.max(1));
    bound.min(MAX_LIMIT as usize) as i32
}

/// The quantization of one row: x ≈ scale · q with |q| ≤ limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RowParams {
    pub scale: f32,
    /// limit / max|x| as the quantizer multiplies by it (0 for an all-zero row).
    pub inv: f32,
    pub limit: i32,
}

impl RowParams {
    /// The parameters for a row whose largest magnitude is `amax`, with codes up to `limit`.
    pub fn new(amax: f32, limit: i32) -> Self {
        if !(amax > 0.0 && amax.is_finite()) {
            return RowParams { scale: 0.0, inv: 0.0, limit };
        }
        let l = limit as f32;
        RowParams { scale: amax / l, inv: l / amax, limit }
    }
}

/// A block of quantized rows: `codes` holds `padded_rows × stride` codes, a row's codes followed
/// by zeros up to `stride` (a multiple of [`KG`]), and rows past `rows` up to a multiple of the
/// kernel's row tile are zero rows with zero scale.
pub(super) struct QuantRows<'a> {
    pub codes: &'a [i16],
    pub stride: usize,
    pub scale: &'a [f32],
    pub rows: usize,
}

/// Owned buffers behind a [`QuantRows`], kept per thread and reused between calls.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    codes: Vec<i16>,
    scale: Vec<f32>,
}

impl Scratch {
    /// Quantizes `rows` rows of `in_dim` values with `quantize_row` into these buffers, padding
    /// the row count up to a multiple of `row_tile`.
    pub fn fill(
        &mut self,
        x: &[f32],
        rows: usize,
        in_dim: usize,
        row_tile: usize,
        quantize_row: impl Fn(&[f32], &mut [i16], i32) -> RowParams,
    ) -> QuantRows<'_> {
        let stride = in_dim.div_ceil(KG) * KG;
        let padded = rows.next_multiple_of(row_tile);
        let limit = code_limit(in_dim);
        self.codes.clear();
        self.codes.resize(padded * stride, 0);
        self.scale.clear();
        self.scale.resize(padded, 0.0);
        for r in 0..rows {
            let codes = &mut self.codes[r * stride..r * stride + in_dim];
            let params = quantize_row(&x[r * in_dim..(r + 1) * in_dim], codes, limit);
            self.scale[r] = params.scale;
        }
        QuantRows { codes: &self.codes, stride, scale: &self.scale, rows }
    }
}

/// The portable quantizer: writes the codes of `x` into `out` (same length), |code| ≤ `limit`.
pub(super) fn quantize_row(x: &[f32], out: &mut [i16], limit: i32) -> RowParams {
    let amax = x.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
    let params = RowParams::new(amax, limit);
    for (q, &v) in out.iter_mut().zip(x) {
        *q = code(v, params);
    }
    params
}

/// The code of one value: clamp(round_half_even(v · inv), −limit, limit).
pub(super) fn code(v: f32, params: RowParams) -> i16 {
    let q = (v * params.inv).round_ties_even() as i32;
    q.clamp(-params.limit, params.limit) as i16
}
