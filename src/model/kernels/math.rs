//! Elementwise math that the compiler can vectorize: `exp` by range reduction and a degree-6
//! polynomial (relative error about 2e-7), and `erf` by Abramowitz–Stegun 7.1.26 (absolute
//! error below 1.5e-7). libm's scalar calls were a tenth of the training step.

const LOG2_E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// The bits of 1.5·2^23, the rounding constant of [`exp`].
const MAGIC_BITS: u32 = 0x4B40_0000;

/// e^x; 0 below -87 (where f32 would go subnormal), +inf above 88.7.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let xc = x.clamp(-87.0, 88.5);
    // Round to nearest with the 1.5·2^23 trick (no libm call, vectorizes on plain SSE2).
    let magic = 12_582_912.0f32;
    let shifted = xc * LOG2_E + magic;
    let n = shifted - magic;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n from the bits of `shifted`, whose low mantissa bits hold n (1.5·2^23 + n): integer
    // arithmetic that vectorizes, where `n as i32` (a saturating conversion) kept every loop
    // calling exp scalar.
    let scale = f32::from_bits(shifted.to_bits().wrapping_sub(MAGIC_BITS - 127) << 23);
    let y = p * scale;
    if x < -87.0 {
        0.0
    } else if x > 88.5 {
        f32::INFINITY
    } else {
        y
    }
}

/// The error function.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    erf_given_exp(x, exp(-x * x))
}

/// The error function of `x`, given e^(−x²) (callers that need that exponential anyway pass
/// it in, and the erf costs no second one).
#[inline(always)]
pub fn erf_given_exp(x: f32, exp_neg_x2: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp_neg_x2;
    y.copysign(x)
}

/// Lanes of the sums below: independent partial sums the compiler keeps in one vector register
/// (a float sum in one accumulator cannot be vectorized, its order is fixed).
const LANES: usize = 8;

/// Σ f(a[i], b[i]) over two slices of equal length, added in [`LANES`] interleaved partial sums
/// (a fixed order, so the result repeats exactly).
#[inline(always)]
pub fn lane_sum2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (mut ca, mut cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for lane in 0..LANES {
            acc[lane] += f(xa[lane], xb[lane]);
        }
    }
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(&x, &y)| f(x, y)).sum();
    acc.iter().sum::<f32>() + tail
}

/// Σ f(a[i]) over a slice, in [`LANES`] interleaved partial sums.
#[inline(always)]
pub fn lane_sum(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    lane_sum2(a, a, |x, _| f(x))
}

/// The largest value of a slice (−∞ for an empty one), in [`LANES`] interleaved maxima.
#[inline(always)]
pub fn lane_max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a = a.max(x);
        }
    }
    chunks.remainder().iter().fold(acc.iter().fold(f32::NEG_INFINITY, |m, &a| m.max(a)), |m, &x| m.max(x))
}
