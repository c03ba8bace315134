//! Unit tests of the int8 kernels: the AVX2 kernel against the portable one (same integers, so
//! the same f32 results, also at the overflow bound of the i32 sums), the activation and weight
//! quantizers' contracts, and the packed layout round trip.

use half::f16;

use super::dispatch::Kernel;
use super::{kernel_name, Int8Matrix, MAX_IN_DIM};

/// A small deterministic generator of roughly normal values (sum of uniforms).
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
    fn normal(&mut self, std: f32) -> f32 {
        let s: f32 = (0..12).map(|_| self.uniform()).sum();
        (s - 6.0) * std
    }
    fn vec(&mut self, len: usize, std: f32) -> Vec<f32> {
        (0..len).map(|_| self.normal(std)).collect()
    }
}

fn product(m: &Int8Matrix, kernel: Kernel, x: &[f32], rows: usize, bias: Option<&[f32]>) -> Vec<f32> {
    let mut out = vec![f32::NAN; rows * m.out_dim()];
    m.matmul_with(kernel, x, rows, bias, &mut out).unwrap();
    out
}

#[test]
fn avx2_kernel_equals_portable_kernel() {
    let kernel = Kernel::detect();
    if kernel == Kernel::Portable {
        eprintln!("no AVX2 on this CPU: only the portable kernel runs here");
    }
    let mut rng = Rng(7);
    // Remainders in every dimension, both parallel splits, skewed activations (after GELU).
    for &(rows, k, n) in &[
        (1, 5, 3),
        (3, 37, 17),
        (6, 2, 16),
        (7, 64, 40),
        (33, 384, 100),
        (130, 70, 33),
        (5, 1536, 384),
        (13, 3073, 20),
    ] {
        let w = rng.vec(n * k, 0.05);
        let m = Int8Matrix::quantize(&w, n, k);
        let mut x = rng.vec(rows * k, 1.0);
        for v in x.iter_mut().step_by(3) {
            *v = v.max(-0.17);
        }
        let bias = rng.vec(n, 0.1);
        for b in [None, Some(bias.as_slice())] {
            let fast = product(&m, kernel, &x, rows, b);
            let slow = product(&m, Kernel::Portable, &x, rows, b);
            assert!(fast.iter().all(|v| v.is_finite()), "{rows}×{k}×{n}: unwritten outputs");
            assert_eq!(fast, slow, "{} differs from portable at {rows}×{k}×{n}", kernel.name());
        }
    }
    assert_eq!(kernel_name(), kernel.name());
}

#[test]
fn kernels_agree_and_stay_exact_at_the_overflow_bound() {
    // All codes at ±L and all weights at −128 or 127: the largest sums the kernels can see,
    // L · 128 · in_dim, just below 2³¹ at every width up to MAX_IN_DIM.
    for k in [1, 1024, 1025, 3072, 3073, MAX_IN_DIM] {
        let limit = i64::from(super::activations::code_limit(k));
        assert!(limit * 128 * k as i64 <= i64::from(i32::MAX), "in_dim {k}: limit {limit}");
        assert!((255..=16_383).contains(&limit), "in_dim {k}: limit {limit}");
        let (rows, n) = (2, 3);
        let mut values = vec![-128i8; k];
        values.extend(std::iter::repeat_n(127i8, k));
        values.extend((0..k).map(|i| if i % 2 == 0 { -128 } else { 127 }));
        let m = Int8Matrix::from_rows(values, vec![0.5, 0.25, 1.0], n, k);
        let mut x = vec![3.0f32; k];
        x.extend(std::iter::repeat_n(-3.0f32, k));
        let fast = product(&m, Kernel::detect(), &x, rows, None);
        assert_eq!(fast, product(&m, Kernel::Portable, &x, rows, None), "in_dim {k}");
        let odd = (k / 2) as f64;
        let sums = [-128.0 * k as f64, 127.0 * k as f64, -128.0 * (k as f64 - odd) + 127.0 * odd];
        for r in 0..rows {
            for c in 0..n {
                let sign = if r == 0 { 1.0 } else { -1.0 };
                let exact = sign * 3.0 * sums[c] * f64::from(m.scales()[c]);
                let y = f64::from(fast[r * n + c]);
                assert!((y - exact).abs() <= 1e-6 * exact.abs(), "in_dim {k}, row {r}, col {c}: {y} vs {exact}");
            }
        }
    }
    assert_eq!(super::activations::code_limit(1024), 16_383);
    assert_eq!(super::activations::code_limit(3072), 5461);
    assert_eq!(super::activations::code_limit(MAX_IN_DIM), 255);
}

#[test]
fn avx2_activation_codes_equal_portable_codes() {
    #[cfg(target_arch = "x86_64")]
    if Kernel::detect() == Kernel::Avx2 {
        let mut rng = Rng(3);
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 100, 384, 3072] {
            let limit = super::activations::code_limit(len);
            let x: Vec<f32> = rng.vec(len, 2.0);
            let (mut fast, mut slow) = (vec![0i16; len], vec![0i16; len]);
            // SAFETY: detect saw AVX2.
            let pf = unsafe { super::avx2_rows::quantize_row(&x, &mut fast, limit) };
            let ps = super::activations::quantize_row(&x, &mut slow, limit);
            assert_eq!((pf, &fast), (ps, &slow), "len {len}");
            assert!(slow.iter().all(|&q| i32::from(q).abs() <= limit));
            // The largest |x| gets the largest code.
            if len > 0 {
                assert_eq!(slow.iter().map(|q| i32::from(*q).abs()).max(), Some(limit), "len {len}");
            }
        }
    }
}

#[test]
fn quantize_gives_f16_exact_scales_and_small_values() {
    let mut rng = Rng(11);
    let (n, k) = (50, 33);
    let mut w = rng.vec(n * k, 0.05);
    w[3 * k..4 * k].fill(0.0); // an all-zero row
                               // A tiny row whose nearest f16 scale (one subnormal step) would give |q| = 168 > 127.
    w[5 * k..6 * k].iter_mut().enumerate().for_each(|(i, v)| *v = if i == 2 { 1e-5 } else { 0.0 });
    w[7 * k + 1] = 1e5; // a row beyond f16 · 127
    let m = Int8Matrix::quantize(&w, n, k);
    for (row, &scale) in m.scales().iter().enumerate() {
        assert_eq!(f16::from_f32(scale).to_f32(), scale, "row {row}: scale {scale} is not an f16");
        let values = m.row_values(row);
        assert!(values.iter().all(|&q| q != i8::MIN), "row {row}: |q| > 127");
        let amax = w[row * k..(row + 1) * k].iter().fold(0f32, |a, v| a.max(v.abs()));
        if row != 7 {
            // Within half a step everywhere: the scale is as fine as the f16 grid allows.
            for (q, v) in values.iter().zip(&w[row * k..(row + 1) * k]) {
                assert!((f32::from(*q) * scale - v).abs() <= 0.5 * scale * 1.0001, "row {row}");
            }
            // And no coarser than needed: the nearest f16, or the next smaller one overflows 127.
            if scale > 0.0 {
                let smaller = f16::from_bits(f16::from_f32(scale).to_bits() - 1).to_f32();
                let nearest = f16::from_f32(amax / 127.0).to_f32();
                assert!(scale == nearest || (amax / smaller).round() > 127.0, "row {row}: {scale}");
            }
        }
    }
    assert_eq!(m.scales()[3], 0.0);
    assert!(m.row_values(3).iter().all(|&q| q == 0));
    assert_eq!(m.scales()[5], f16::from_bits(2).to_f32());
    assert_eq!(m.row_values(5)[2], 84);
    assert!(m.row_values(7).contains(&127));
}

#[test]
fn from_rows_round_trips_and_matmul_checks_lengths() {
    let mut rng = Rng(5);
    let (n, k) = (19, 45);
    let values: Vec<i8> = (0..n * k).map(|_| (rng.uniform() * 256.0 - 128.0) as i8).collect();
    let scales: Vec<f32> = (0..n).map(|_| rng.uniform() * 0.01).collect();
    let m = Int8Matrix::from_rows(values.clone(), scales.clone(), n, k);
    let back: Vec<i8> = (0..n).flat_map(|r| m.row_values(r)).collect();
    assert_eq!(back, values);
    assert_eq!(m.scales(), scales.as_slice());
    assert_eq!((m.out_dim(), m.in_dim()), (n, k));
    let deq = m.dequantize();
    assert_eq!(deq[k + 4], f32::from(values[k + 4]) * scales[1]);
    assert!(m.row_values(n).is_empty());
    assert!(m.size_bytes() >= n * k + 4 * n);
    let again = Int8Matrix::from_rows(back, m.scales().to_vec(), n, k);
    assert_eq!(again, m);

    let wide = Int8Matrix::from_rows(vec![], vec![], 0, MAX_IN_DIM + 1);
    assert!(wide.matmul(&[], 0, None, &mut []).unwrap_err().contains("limit"));
    let mut out = vec![0.0; 2 * n];
    let err = m.matmul(&vec![0.0; 2 * k - 1], 2, None, &mut out).unwrap_err();
    assert!(err.contains("the input x has 89 values but 2×45"), "{err}");
    assert!(m.matmul(&vec![0.0; 2 * k], 2, Some(&[0.0; 3]), &mut out).is_err());
    assert!(m.matmul(&vec![0.0; 2 * k], 2, None, &mut out[1..]).is_err());
}

#[test]
#[should_panic(expected = "one scale for each of 2 rows")]
fn from_rows_states_its_precondition() {
    Int8Matrix::from_rows(vec![0; 6], vec![1.0; 3], 2, 3);
}
