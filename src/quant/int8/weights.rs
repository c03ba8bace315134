//! Quantization of f32 weight rows to symmetric int8 with one scale per row. The scale is
//! max|w|/127 rounded to the nearest f16 (so a GGUF q8_0 file can store it exactly), moved up to
//! the next f16 while that rounding would let some |value| exceed 127.

use half::f16;

/// The largest int8 magnitude a quantized weight takes.
const QMAX: f32 = 127.0;

/// Quantizes one row into `out` (same length) and returns its scale; an all-zero row has scale 0.
/// Non-finite weights give an unspecified (but finite-length, clamped) row.
pub(super) fn quantize_row(row: &[f32], out: &mut [i8]) -> f32 {
    let amax = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    let scale = f16_scale(amax);
    for (q, &w) in out.iter_mut().zip(row) {
        // Divide (as `f16_scale` does) so its bound holds exactly for every element.
        *q = if scale > 0.0 { (w / scale).round().clamp(-QMAX, QMAX) as i8 } else { 0 };
    }
    scale
}

/// The smallest f16-exact scale ≥ about `amax / 127` for which `round(amax / scale) ≤ 127`.
pub(super) fn f16_scale(amax: f32) -> f32 {
    if amax <= 0.0 || amax.is_nan() {
        return 0.0;
    }
    let mut h = f16::from_f32(amax / QMAX);
    if h.to_f32() == 0.0 {
        h = f16::from_bits(1); // the smallest subnormal: a tiny but nonzero row
    }
    while h.is_finite() && (amax / h.to_f32()).round() > QMAX {
        h = f16::from_bits(h.to_bits() + 1);
    }
    if h.is_finite() {
        h.to_f32()
    } else {
        f16::MAX.to_f32() // weights beyond f16 range saturate at ±127 · 65504
    }
}
