//! The AVX2 activation quantizer: the same codes as the portable `activations::quantize_row`
//! (max|x| is exact, `v · inv` is one IEEE multiply, `cvtps2dq` rounds half to even), 16 values
//! at a time.

use std::arch::x86_64::*;

use super::activations::{code, RowParams};

/// Quantizes one row like `activations::quantize_row`, writing its codes into `out` (same length).
///
/// # Safety
/// The CPU must support AVX2 (see `dispatch::Kernel::detect`).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn quantize_row(x: &[f32], out: &mut [i16], limit: i32) -> RowParams {
    let params = RowParams::new(abs_max(x), limit);
    let len = x.len().min(out.len());
    let inv = _mm256_set1_ps(params.inv);
    let (lo, hi) = (_mm256_set1_epi32(-limit), _mm256_set1_epi32(limit));
    let mut i = 0;
    while i + 16 <= len {
        // SAFETY: i + 16 ≤ len, so all loads and the store stay inside `x` and `out`.
        let p = x.as_ptr().add(i);
        let q = |j: usize| {
            let q = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(p.add(j)), inv));
            _mm256_min_epi32(_mm256_max_epi32(q, lo), hi)
        };
        // The pack interleaves 128-bit halves (a0 b0 a1 b1); the permute restores input order.
        let codes = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(q(0), q(8)));
        _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, codes);
        i += 16;
    }
    for (q, &v) in out[i..len].iter_mut().zip(&x[i..len]) {
        *q = code(v, params);
    }
    params
}

/// The largest |value| of `x` (0 for an empty row).
#[target_feature(enable = "avx2,fma")]
unsafe fn abs_max(x: &[f32]) -> f32 {
    let sign = _mm256_set1_ps(-0.0);
    let mut hi = _mm256_setzero_ps();
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        // SAFETY: the chunk holds exactly 8 values.
        hi = _mm256_max_ps(hi, _mm256_andnot_ps(sign, _mm256_loadu_ps(chunk.as_ptr())));
    }
    let mut highs = [0f32; 8];
    _mm256_storeu_ps(highs.as_mut_ptr(), hi);
    highs.iter().copied().chain(tail.iter().map(|v| v.abs())).fold(0.0f32, f32::max)
}
