//! The row loops that are bound by arithmetic, not memory, in AVX-512 instructions: bias +
//! erf-GELU (the feed-forward block) forward and backward, and the softmax's exponentials. 16
//! values per instruction with fused multiply-adds, where the portable loops (`gelu.rs`,
//! `softmax.rs`, through `wide`) are compiled 8 wide without them: the compiler keeps a·b + c as
//! two roundings, and prefers 256-bit vectors even where AVX-512 exists. The same approximations
//! as `math.rs` (erf by Abramowitz–Stegun 7.1.26, e^x by range reduction and a degree-6
//! polynomial); results differ from the portable loops in the last bits only (fused roundings).
//! On a 2-core Skylake-SP, bias + GELU's forward took 0.43 of the time and its forward +
//! backward 0.80 (medians over pairs of runs), and a MiniLM inference batch 0.95
//! (docs/performance.md).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

#[cfg(target_arch = "x86_64")]
use super::rows::assume_filled;
use super::rows::Filled;

/// Whether the kernels use this module's loops: this CPU has AVX-512F and the environment
/// variable `ATTUNE_AVX512_ROWS` is not `off` (which keeps the portable loops, for comparing the
/// two). Decided once per process.
pub fn chosen() -> bool {
    static CHOSEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| runs_here() && !super::switched_off("ATTUNE_AVX512_ROWS"))
}

/// Whether this CPU runs this module's loops (checked at run time, cached by std).
pub fn runs_here() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// out[i] = gelu(x[i] + b[i]) for every value of `out` (panics when `x` or `b` is shorter).
///
/// # Safety
/// The CPU must have AVX-512F ([`runs_here`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn bias_gelu_row<'o>(x: &[f32], b: &[f32], out: &'o mut [MaybeUninit<f32>]) -> (&'o mut [f32], Filled) {
    let n = out.len();
    assert!(x.len() >= n && b.len() >= n, "bias + GELU: the input rows are shorter than the output");
    // SAFETY: all three rows hold at least n values (checked above).
    unsafe { bias_gelu_values(x.as_ptr(), b.as_ptr(), out.as_mut_ptr().cast(), n) };
    // SAFETY: every one of out's n values was just stored.
    unsafe { assume_filled(out) }
}

/// values[i] = gelu(values[i] + b[i]) for every value (panics when `b` is shorter): the GELU a
/// product applies to its tile of C after storing it (`sgemm::Finish`), the same arithmetic as
/// [`bias_gelu_row`].
///
/// # Safety
/// The CPU must have AVX-512F ([`runs_here`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn bias_gelu_in_place(values: &mut [f32], b: &[f32]) {
    assert!(b.len() >= values.len(), "bias + GELU: the bias row is shorter than the values");
    let at = values.as_mut_ptr();
    // SAFETY: both rows hold at least values.len() values (checked above); each vector is
    // loaded before it is stored over.
    unsafe { bias_gelu_values(at, b.as_ptr(), at, values.len()) };
}

/// out[i] = gelu(x[i] + b[i]) for i < n, 16 at a time; `out` may be `x` itself.
///
/// # Safety
/// `x` and `b` must be readable and `out` writable for n values; the CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn bias_gelu_values(x: *const f32, b: *const f32, out: *mut f32, n: usize) {
    for_each_vector(n, |i, mask| {
        // SAFETY: the masked lanes of i.. lie inside the n values (the caller's contract).
        unsafe {
            let u = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, x.add(i)), _mm512_maskz_loadu_ps(mask, b.add(i)));
            _mm512_mask_storeu_ps(out.add(i), mask, gelu(u));
        }
    });
}

/// d[i] = g[i] · gelu'(x[i] + b[i]) for every value of `d` (panics when an input is shorter):
/// GELU's backward.
///
/// # Safety
/// The CPU must have AVX-512F ([`runs_here`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn gelu_backward_row<'d>(
    x: &[f32],
    b: &[f32],
    g: &[f32],
    d: &'d mut [MaybeUninit<f32>],
) -> (&'d mut [f32], Filled) {
    let n = d.len();
    assert!(x.len() >= n && b.len() >= n && g.len() >= n, "GELU backward: the input rows are shorter than the output");
    for_each_vector(n, |i, mask| {
        // SAFETY: the masked lanes of i.. lie inside all four rows.
        unsafe {
            let u = _mm512_add_ps(
                _mm512_maskz_loadu_ps(mask, x.as_ptr().add(i)),
                _mm512_maskz_loadu_ps(mask, b.as_ptr().add(i)),
            );
            let grad = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, g.as_ptr().add(i)), gelu_grad(u));
            _mm512_mask_storeu_ps(d.as_mut_ptr().add(i).cast(), mask, grad);
        }
    });
    // SAFETY: the vectors above stored every one of d's n values.
    unsafe { assume_filled(d) }
}

/// values[i] = e^(values[i] − max), for a `max` no smaller than any of the values (a softmax's
/// exponentials).
///
/// # Safety
/// The CPU must have AVX-512F ([`runs_here`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn exp_minus_max_row(values: &mut [f32], max: f32) {
    let max = _mm512_set1_ps(max);
    for_each_vector(values.len(), |i, mask| {
        // SAFETY: the masked lanes of i.. lie inside the row.
        unsafe {
            let at = values.as_mut_ptr().add(i);
            let x = _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, at), max);
            _mm512_mask_storeu_ps(at, mask, exp_non_positive(x));
        }
    });
}

/// Calls `f(start, lanes)` for each run of 16 values of a row of `n`: the lane mask is all ones,
/// except for a last, shorter run (masked loads and stores then stay inside the row).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn for_each_vector(n: usize, mut f: impl FnMut(usize, __mmask16)) {
    for start in (0..n).step_by(16) {
        let live = (n - start).min(16);
        f(start, ((1u32 << live) - 1) as __mmask16);
    }
}

/// Never called: AVX-512 is x86-64 only and [`runs_here`] is false elsewhere.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn bias_gelu_row<'o>(_: &[f32], _: &[f32], _: &'o mut [MaybeUninit<f32>]) -> (&'o mut [f32], Filled) {
    unreachable!("AVX-512 needs x86-64")
}

/// Never called: AVX-512 is x86-64 only and [`runs_here`] is false elsewhere.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn gelu_backward_row<'d>(
    _: &[f32],
    _: &[f32],
    _: &[f32],
    _: &'d mut [MaybeUninit<f32>],
) -> (&'d mut [f32], Filled) {
    unreachable!("AVX-512 needs x86-64")
}

/// Never called: AVX-512 is x86-64 only and [`runs_here`] is false elsewhere.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn bias_gelu_in_place(_: &mut [f32], _: &[f32]) {
    unreachable!("AVX-512 needs x86-64")
}

/// Never called: AVX-512 is x86-64 only and [`runs_here`] is false elsewhere.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn exp_minus_max_row(_: &mut [f32], _: f32) {
    unreachable!("AVX-512 needs x86-64")
}

/// 0.5·u·(1 + erf(u/√2)).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) fn gelu(u: __m512) -> __m512 {
    let (erf, _) = erf_and_gaussian(u);
    _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5), u), _mm512_add_ps(_mm512_set1_ps(1.0), erf))
}

/// GELU's derivative Φ(u) + u·φ(u) = 0.5·(1 + erf(u/√2)) + u·e^(−u²/2)/√(2π).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn gelu_grad(u: __m512) -> __m512 {
    let (erf, gaussian) = erf_and_gaussian(u);
    let cdf = _mm512_mul_ps(_mm512_set1_ps(0.5), _mm512_add_ps(_mm512_set1_ps(1.0), erf));
    _mm512_fmadd_ps(_mm512_mul_ps(u, _mm512_set1_ps(0.398_942_3)), gaussian, cdf)
}

/// erf(u/√2) and e^(−u²/2), which erf's approximation needs anyway.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn erf_and_gaussian(u: __m512) -> (__m512, __m512) {
    let set = _mm512_set1_ps;
    let one = set(1.0);
    let z = _mm512_mul_ps(u, set(std::f32::consts::FRAC_1_SQRT_2));
    let a = _mm512_abs_ps(z);
    let t = _mm512_div_ps(one, _mm512_fmadd_ps(set(0.327_591_1), a, one));
    let mut poly = set(1.061_405_4);
    for c in [-1.453_152_1, 1.421_413_7, -0.284_496_74, 0.254_829_6] {
        poly = _mm512_fmadd_ps(poly, t, set(c));
    }
    poly = _mm512_mul_ps(poly, t);
    let gaussian = exp_non_positive(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));
    // |erf(z)| = 1 − poly·e^(−z²), with z's sign.
    let magnitude = _mm512_fnmadd_ps(poly, gaussian, one);
    let sign = _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32(i32::MIN));
    (_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(magnitude), sign)), gaussian)
}

/// e^x for x ≤ 0; 0 below −87 (where f32 would go subnormal).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn exp_non_positive(x: __m512) -> __m512 {
    let set = _mm512_set1_ps;
    let xc = _mm512_max_ps(x, set(-87.0));
    // Round x·log2(e) to the nearest integer n with the 1.5·2^23 trick; 2^n from its bits.
    let magic = set(12_582_912.0);
    let shifted = _mm512_fmadd_ps(xc, set(std::f32::consts::LOG2_E), magic);
    let n = _mm512_sub_ps(shifted, magic);
    let r = _mm512_fnmadd_ps(n, set(0.693_145_75), xc);
    let r = _mm512_fnmadd_ps(n, set(1.428_606_8e-6), r);
    let mut p = set(1.0 / 720.0);
    for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = _mm512_fmadd_ps(p, r, set(c));
    }
    let bits =
        _mm512_slli_epi32::<23>(_mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B40_0000 - 127)));
    let y = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
    // Below −87 the result is 0, as in `math::exp`.
    _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_GE_OQ>(x, set(-87.0)), y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kernels::math::{erf, erf_given_exp, exp};

    /// Values across GELU's and exp's ranges, the saturated ends and the −87 cut-off included.
    fn sweep() -> Vec<f32> {
        let mut values: Vec<f32> = (-400..=400).map(|i| i as f32 * 0.025).collect();
        values.extend([-1e30, -300.0, -90.0, -87.5, -86.9, -30.0, 30.0, 300.0, 1e30, 0.0, -0.0]);
        values
    }

    /// Against the portable formulas, on every row length up to 40 (whole and partial vectors).
    #[test]
    fn loops_match_the_portable_formulas() {
        if !runs_here() {
            eprintln!("this CPU has no AVX-512F: nothing to compare");
            return;
        }
        let values = sweep();
        let bias: Vec<f32> = (0..values.len()).map(|i| (i % 7) as f32 * 0.1 - 0.3).collect();
        for len in (0..=40).chain([values.len()]) {
            let (x, b) = (&values[..len], &bias[..len]);
            let mut out = vec![MaybeUninit::uninit(); len];
            // SAFETY: this CPU has AVX-512F (checked above).
            let (out, _) = unsafe { bias_gelu_row(x, b, &mut out) };
            for ((&x, &b), &got) in x.iter().zip(b).zip(out.iter()) {
                let u = x + b;
                let expected = 0.5 * u * (1.0 + erf(u * std::f32::consts::FRAC_1_SQRT_2));
                assert!((got - expected).abs() <= 2e-6 * u.abs().max(1.0), "gelu({u}) = {got}, expected {expected}");
            }
            let g: Vec<f32> = (0..len).map(|i| 1.0 - (i % 5) as f32 * 0.4).collect();
            let mut d = vec![MaybeUninit::uninit(); len];
            // SAFETY: as above.
            let (d, _) = unsafe { gelu_backward_row(x, b, &g, &mut d) };
            for (((&x, &b), &g), &got) in x.iter().zip(b).zip(&g).zip(d.iter()) {
                let u = x + b;
                let gaussian = exp(-0.5 * u * u);
                let slope = 0.5 * (1.0 + erf_given_exp(u * std::f32::consts::FRAC_1_SQRT_2, gaussian))
                    + u * 0.398_942_3 * gaussian;
                let expected = g * slope;
                assert!(
                    (got - expected).abs() <= 2e-6 * g.abs().max(1.0),
                    "gelu'({u})·{g} = {got}, expected {expected}"
                );
            }
            let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut exps = x.to_vec();
            // SAFETY: as above.
            unsafe { exp_minus_max_row(&mut exps, max) };
            for (&x, &got) in x.iter().zip(&exps) {
                let expected = exp(x - max);
                assert!(
                    (got - expected).abs() <= 1e-6 * expected.max(1e-30),
                    "e^({x} − {max}) = {got}, expected {expected}"
                );
            }
        }
    }
}
