//! The fused CPU kernels against the primitive candle ops they replace: same values and same
//! gradients (through a random weighted sum), plus a finite-difference check of each backward.

use attune::model::kernels;
use candle_core::{DType, Device, Tensor, Var, D};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    // A small deterministic generator, so the test needs no extra crates.
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
        })
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

/// Gradients of Σ w ⊙ f(vars) with respect to each var.
fn grads(vars: &[Var], w: &Tensor, f: &dyn Fn(&[Tensor]) -> Tensor) -> (Tensor, Vec<Tensor>) {
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let y = f(&ts);
    let loss = (y.clone() * w).unwrap().sum_all().unwrap();
    let g = loss.backward().unwrap();
    // Inputs that get no gradient (a padding bias) read as zeros.
    (y, ts.iter().map(|t| g.get(t).cloned().unwrap_or_else(|| t.zeros_like().unwrap())).collect())
}

/// Compares a fused op and its reference in values and gradients.
fn check(inputs: &[Tensor], fused: &dyn Fn(&[Tensor]) -> Tensor, reference: &dyn Fn(&[Tensor]) -> Tensor, tol: f32) {
    let vars: Vec<Var> = inputs.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
    let probe = fused(inputs);
    let w = rand(probe.dims(), 99);
    let (y1, g1) = grads(&vars, &w, fused);
    let (y2, g2) = grads(&vars, &w, reference);
    assert!(max_diff(&y1, &y2) < tol, "values differ by {}", max_diff(&y1, &y2));
    for (i, (a, b)) in g1.iter().zip(&g2).enumerate() {
        assert!(max_diff(a, b) < tol, "gradient {i} differs by {}", max_diff(a, b));
    }
}

/// Central differences of Σ w ⊙ f(x) against the op's gradient, at a few coordinates of input 0.
fn finite_differences(inputs: &[Tensor], f: &dyn Fn(&[Tensor]) -> Tensor) {
    let vars: Vec<Var> = inputs.iter().map(|t| Var::from_tensor(&t.to_dtype(DType::F32).unwrap()).unwrap()).collect();
    let w = rand(f(inputs).dims(), 5);
    let (_, g) = grads(&vars, &w, f);
    let analytic = g[0].flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let base = inputs[0].flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let n = base.len();
    for k in [0, n / 3, n / 2, n - 1] {
        let eval = |d: f32| {
            let mut v = base.clone();
            v[k] += d;
            let mut args = inputs.to_vec();
            args[0] = Tensor::from_vec(v, inputs[0].shape(), &Device::Cpu).unwrap();
            (f(&args) * &w).unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() as f64
        };
        let eps = 1e-2f32;
        let numeric = ((eval(eps) - eval(-eps)) / (2.0 * eps as f64)) as f32;
        let err = (numeric - analytic[k]).abs() / analytic[k].abs().max(1e-2);
        assert!(err < 2e-2, "coordinate {k}: numeric {numeric} vs analytic {}", analytic[k]);
    }
}

fn ln_reference(x: &Tensor, g: &Tensor, b: &Tensor) -> Tensor {
    let mean = x.mean_keepdim(D::Minus1).unwrap();
    let c = x.broadcast_sub(&mean).unwrap();
    let var = c.sqr().unwrap().mean_keepdim(D::Minus1).unwrap();
    let n = c.broadcast_div(&(var + 1e-12).unwrap().sqrt().unwrap()).unwrap();
    n.broadcast_mul(g).unwrap().broadcast_add(b).unwrap()
}

#[test]
fn layer_norm_matches_primitive_ops() {
    let inputs = [rand(&[3, 5, 48], 1), rand(&[48], 2), rand(&[48], 3)];
    let fused = |t: &[Tensor]| kernels::layer_norm(&t[0], &t[1], &t[2], 1e-12).unwrap();
    check(&inputs, &fused, &|t| ln_reference(&t[0], &t[1], &t[2]), 1e-4);
    finite_differences(&inputs, &fused);
    finite_differences(&[inputs[1].clone(), inputs[0].clone(), inputs[2].clone()], &|t| {
        kernels::layer_norm(&t[1], &t[0], &t[2], 1e-12).unwrap()
    });
}

#[test]
fn masked_softmax_matches_primitive_ops() {
    let mask =
        Tensor::from_vec(vec![1f32, 1., 1., 0., 1., 1., 1., 1., 1., 1., 0., 0.], (2, 1, 1, 6), &Device::Cpu).unwrap();
    let bias = ((mask.ones_like().unwrap() - &mask).unwrap() * f32::MIN as f64).unwrap();
    let inputs = [rand(&[2, 3, 4, 6], 4), bias];
    let fused = |t: &[Tensor]| kernels::masked_softmax(&t[0], &t[1], 0.35).unwrap();
    let reference = |t: &[Tensor]| {
        let s = (&t[0] * 0.35).unwrap().broadcast_add(&t[1]).unwrap();
        let e = s.broadcast_sub(&s.max_keepdim(D::Minus1).unwrap().detach()).unwrap().exp().unwrap();
        e.broadcast_div(&e.sum_keepdim(D::Minus1).unwrap()).unwrap()
    };
    let vars = [Var::from_tensor(&inputs[0]).unwrap()];
    let w = rand(&[2, 3, 4, 6], 8);
    let (y1, g1) = grads(&vars, &w, &|t| fused(&[t[0].clone(), inputs[1].clone()]));
    let (y2, g2) = grads(&vars, &w, &|t| reference(&[t[0].clone(), inputs[1].clone()]));
    assert!(max_diff(&y1, &y2) < 1e-5 && max_diff(&g1[0], &g2[0]) < 1e-5);
    let masked = y1.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(masked[3], 0.0, "a padded key gets no attention");
    finite_differences(&inputs, &fused);
    check(
        &[inputs[0].clone()],
        &|t| kernels::softmax(&t[0]).unwrap(),
        &|t| reference(&[(&t[0] / 0.35).unwrap(), inputs[1].zeros_like().unwrap()]),
        1e-5,
    );
}

#[test]
fn batched_products_match_matmul() {
    // (batch, heads, queries, head dim) against (batch, heads, keys, head dim), as attention has.
    let (q, k) = (rand(&[2, 3, 5, 4], 11), rand(&[2, 3, 7, 4], 12));
    let scores = |t: &[Tensor]| kernels::batched_product_transposed(&t[0], &t[1]).unwrap();
    check(&[q.clone(), k.clone()], &scores, &|t| t[0].matmul(&t[1].t().unwrap()).unwrap(), 1e-5);
    finite_differences(&[q.clone(), k.clone()], &scores);
    finite_differences(&[k.clone(), q.clone()], &|t| scores(&[t[1].clone(), t[0].clone()]));
    let (p, v) = (rand(&[2, 3, 5, 7], 13), rand(&[2, 3, 7, 4], 14));
    let context = |t: &[Tensor]| kernels::batched_product(&t[0], &t[1]).unwrap();
    check(&[p.clone(), v.clone()], &context, &|t| t[0].matmul(&t[1]).unwrap(), 1e-5);
    finite_differences(&[p.clone(), v.clone()], &context);
    finite_differences(&[v.clone(), p.clone()], &|t| context(&[t[1].clone(), t[0].clone()]));
    assert!(kernels::batched_product(&p, &q).is_err(), "7 columns do not meet 5 rows");
}

#[test]
fn bias_gelu_matches_primitive_ops() {
    let inputs = [rand(&[7, 40], 5), rand(&[40], 6)];
    let fused = |t: &[Tensor]| kernels::bias_gelu(&t[0], &t[1]).unwrap();
    check(&inputs, &fused, &|t| t[0].broadcast_add(&t[1]).unwrap().gelu_erf().unwrap(), 1e-5);
    finite_differences(&inputs, &fused);
}

#[test]
fn bias_and_residual_match_primitive_ops() {
    let inputs = [rand(&[6, 24], 7), rand(&[24], 8), rand(&[6, 24], 9)];
    let mask: Vec<f32> = (0..6 * 24).map(|i| if i % 3 == 0 { 0.0 } else { 1.25 }).collect();
    let mask_t = Tensor::from_vec(mask.clone(), (6, 24), &Device::Cpu).unwrap();
    let fused = |t: &[Tensor]| kernels::bias_residual(&t[0], &t[1], &t[2], Some(mask.clone())).unwrap();
    let reference = |t: &[Tensor]| (t[0].broadcast_add(&t[1]).unwrap() * &mask_t).unwrap().add(&t[2]).unwrap();
    check(&inputs, &fused, &reference, 1e-5);
    finite_differences(&inputs, &fused);
    let plain = |t: &[Tensor]| kernels::bias_residual(&t[0], &t[1], &t[2], None).unwrap();
    check(&inputs, &plain, &|t| t[0].broadcast_add(&t[1]).unwrap().add(&t[2]).unwrap(), 1e-5);
    let add = |t: &[Tensor]| kernels::bias_add(&t[0], &t[1]).unwrap();
    check(&inputs[..2], &add, &|t| t[0].broadcast_add(&t[1]).unwrap(), 1e-5);
    let masked = |t: &[Tensor]| kernels::apply_mask(&t[0], mask.clone()).unwrap();
    check(&inputs[..1], &masked, &|t| (&t[0] * &mask_t).unwrap(), 1e-6);
}

#[test]
fn embedding_matches_index_select() {
    let table = rand(&[50, 16], 10);
    let ids = Tensor::new(&[3u32, 7, 3, 49, 0, 12], &Device::Cpu).unwrap();
    let fused = |t: &[Tensor]| kernels::embedding(&t[0], &ids).unwrap();
    check(&[table], &fused, &|t| t[0].index_select(&ids, 0).unwrap(), 1e-6);
    let bad = Tensor::new(&[50u32], &Device::Cpu).unwrap();
    assert!(kernels::embedding(&rand(&[50, 16], 1), &bad).is_err());
}

#[test]
fn fast_exp_and_erf_are_accurate() {
    for i in -2000..2000 {
        let x = i as f32 * 0.04;
        let (e, want) = (kernels::exp(x), x.exp());
        assert!(((e - want) / want).abs() < 1e-6, "exp({x}) = {e}, want {want}");
        let want_erf = if x.abs() <= 3.0 { taylor_erf(x as f64) } else { x.signum() as f64 };
        let tol = if x.abs() <= 3.0 { 3e-7 } else { 2.3e-5 }; // erfc(3) = 2.2e-5
        assert!((kernels::erf(x) as f64 - want_erf).abs() < tol, "erf({x})");
    }
    assert_eq!(kernels::exp(-100.0), 0.0);
}

/// erf by its Taylor series in f64 (accurate to about 1e-12 for |x| ≤ 3), as the reference.
fn taylor_erf(x: f64) -> f64 {
    let (mut term, mut sum, mut n) = (x, x, 0.0f64);
    while term.abs() > 1e-17 * sum.abs().max(1e-300) && n < 400.0 {
        n += 1.0;
        term *= -x * x / n;
        sum += term / (2.0 * n + 1.0);
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

#[test]
fn linear_product_matches_matmul_in_values_and_both_gradients() {
    // Odd sizes: edge tiles in every direction (the register tile is 6 × 16).
    let (x, w) = (rand(&[13, 37], 11), rand(&[21, 37], 12));
    let product = |t: &[Tensor]| kernels::linear_product(&t[0], &t[1]).unwrap();
    check(&[x.clone(), w.clone()], &product, &|t| t[0].matmul(&t[1].t().unwrap()).unwrap(), 1e-4);
    finite_differences(&[x.clone(), w.clone()], &product);
    finite_differences(&[w.clone(), x.clone()], &|t| product(&[t[1].clone(), t[0].clone()]));
    assert!(kernels::linear_product(&x, &rand(&[21, 36], 13)).is_err(), "37 features do not meet 36");
}

#[test]
fn a_constant_weight_gets_no_gradient_and_the_input_still_does() {
    let x = Var::from_tensor(&rand(&[9, 24], 11)).unwrap();
    let w = rand(&[17, 24], 12);
    let loss = kernels::linear_product(x.as_tensor(), &w).unwrap().sqr().unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    assert!(grads.get(&w).is_none(), "a frozen weight must not get a gradient");
    let expected = (x.as_tensor().matmul(&w.t().unwrap()).unwrap() * 2.0).unwrap().matmul(&w).unwrap();
    let dx = grads.get(x.as_tensor()).expect("the input's gradient");
    assert!(max_diff(dx, &expected) < 1e-4, "dx differs by {}", max_diff(dx, &expected));
}

#[test]
fn blocked_product_matches_the_definition_for_every_layout_and_edge() {
    use attune::model::kernels::sgemm::{self, MicroKernel, View};
    let values = |n: usize, seed: u64| rand(&[n], seed).to_vec1::<f32>().unwrap();
    // Every micro-kernel this CPU runs, and the gemm crate (None) that other CPUs get.
    let kernels: Vec<Option<MicroKernel>> =
        MicroKernel::FASTEST_FIRST.into_iter().filter(|k| k.runs_here()).map(Some).chain([None]).collect();
    if std::env::var("CI").is_ok_and(|ci| ci == "true") && cfg!(target_arch = "x86_64") {
        // CI runs on x86-64 machines with AVX2 at least: the fast path must be tested there.
        assert!(kernels.contains(&Some(MicroKernel::Avx2)), "CI's CPU should run the AVX2 micro-kernel");
    }
    if std::env::var_os("ATTUNE_SGEMM_KERNEL").is_none() {
        assert_eq!(MicroKernel::chosen(), kernels[0], "the product should use the fastest kernel here");
    }
    // Sizes across the tile edges (6 and 12 rows; 16 and 32 columns), the depth blocks (192, 256
    // and 384), the row group (120) and the column blocks (384 and 1536); big enough ones run on
    // several threads, split by rows or by columns.
    let sizes = [
        (1, 1, 1),
        (5, 3, 15),
        (7, 257, 17),
        (121, 300, 33),
        (130, 520, 40),
        (40, 64, 400),
        (6, 16, 16),
        (6, 9, 32),
        (12, 193, 32),
        (25, 384, 65),
        (13, 400, 800),
        (250, 770, 70),
        (2, 385, 1600),
        // A's rows 4 KB apart (1024 values): its panels are copied before L1 holds them.
        (30, 1024, 40),
    ];
    for kernel in kernels {
        for (m, k, n) in sizes {
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                // The same logical A (m × k) and B (k × n), stored transposed when asked.
                let stored_a = if ta { View::row_major(&a, k, m).t() } else { View::row_major(&a, m, k) };
                let stored_b = if tb { View::row_major(&b, n, k).t() } else { View::row_major(&b, k, n) };
                let expected = sgemm::reference(stored_a, stored_b);
                let mut got = vec![f32::NAN; m * n];
                sgemm::product_with(kernel, stored_a, stored_b, &mut got, false);
                // Every value written (and C not read: NaN would spread).
                assert!(got.iter().all(|v| v.is_finite()), "{kernel:?} {m}x{k}x{n}: a value was not written");
                let tol = 1e-5 * k as f32;
                let worst = expected.iter().zip(&got).map(|(e, g)| (e - g).abs()).fold(0f32, f32::max);
                assert!(worst < tol, "{kernel:?} {m}x{k}x{n} (transposed {ta}, {tb}): off by {worst}");
                // Accumulating adds to what is there.
                let mut acc = vec![1.5f32; m * n];
                sgemm::product_with(kernel, stored_a, stored_b, &mut acc, true);
                let worst = expected.iter().zip(&acc).map(|(e, g)| (e + 1.5 - g).abs()).fold(0f32, f32::max);
                assert!(worst < tol, "{kernel:?} {m}x{k}x{n} accumulating: off by {worst}");
            }
        }
    }
    // The vector-returning product gives the chosen kernel's result.
    let (a, b) = (values(130 * 520, 1), values(520 * 40, 2));
    let (va, vb) = (View::row_major(&a, 130, 520), View::row_major(&b, 520, 40));
    let mut expected = vec![0.0; 130 * 40];
    sgemm::product_with(MicroKernel::chosen(), va, vb, &mut expected, false);
    assert_eq!(sgemm::product_new(va, vb), expected);
}

#[test]
fn blocked_product_gives_the_same_bits_on_any_number_of_threads() {
    use attune::model::kernels::sgemm::{self, MicroKernel, View};
    let values = |n: usize, seed: u64| rand(&[n], seed).to_vec1::<f32>().unwrap();
    let kernels: Vec<MicroKernel> = MicroKernel::FASTEST_FIRST.into_iter().filter(|k| k.runs_here()).collect();
    // Many rows (columns shared out on 2 and 3 threads, rows on 5), few rows (column groups),
    // several depth and column blocks; rows 4 KB apart (A's panels copied before use).
    for (m, k, n) in [(700, 800, 450), (20, 400, 1700), (200, 1024, 300)] {
        let (a, b) = (values(m * k, 3), values(k * n, 4));
        let (va, vb) = (View::row_major(&a, m, k), View::row_major(&b, n, k).t());
        for kernel in &kernels {
            let on = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
                let mut c = vec![0f32; m * n];
                pool.install(|| sgemm::product_with(Some(*kernel), va, vb, &mut c, false));
                c
            };
            let one = on(1);
            let expected = sgemm::reference(va, vb);
            let worst = expected.iter().zip(&one).map(|(e, g)| (e - g).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-5 * k as f32, "{kernel:?} {m}x{k}x{n}: off by {worst}");
            for threads in [2, 3, 5] {
                assert!(on(threads) == one, "{kernel:?} {m}x{k}x{n}: {threads} threads gave other bits than one");
            }
        }
    }
}

#[test]
fn a_finished_product_gives_the_bits_of_the_product_and_the_separate_ops() {
    use attune::model::kernels::sgemm::{self, Finish, MicroKernel, View};
    let values = |n: usize, seed: u64| rand(&[n], seed).to_vec1::<f32>().unwrap();
    let kernels: Vec<Option<MicroKernel>> =
        MicroKernel::FASTEST_FIRST.into_iter().filter(|k| k.runs_here()).map(Some).chain([None]).collect();
    // Edge tiles, several depth blocks (the finish comes after the last), C's columns shared out
    // between threads (the bias and residual then start mid-row) and its rows shared out.
    for (m, k, n) in [(7, 5, 9), (25, 800, 65), (300, 384, 384), (700, 96, 40)] {
        let (a, w) = (values(m * k, 5), values(n * k, 6));
        let (bias, residual) = (values(n, 7), values(m * n, 8));
        // A linear layer's product: x·Wᵀ.
        let (va, vb) = (View::row_major(&a, m, k), View::row_major(&w, n, k).t());
        let tensor = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &Device::Cpu).unwrap();
        for kernel in &kernels {
            let mut plain = vec![0f32; m * n];
            sgemm::product_with(*kernel, va, vb, &mut plain, false);
            let (plain, b) = (tensor(&plain, &[m, n]), tensor(&bias, &[n]));
            let separate = [
                kernels::bias_add(&plain, &b).unwrap(),
                kernels::bias_gelu(&plain, &b).unwrap(),
                kernels::bias_residual(&plain, &b, &tensor(&residual, &[m, n]), None).unwrap(),
            ];
            let finishes = [
                Finish::Bias(&bias),
                Finish::BiasGelu(&bias),
                Finish::BiasResidual { bias: &bias, residual: &residual },
            ];
            for (finish, expected) in finishes.into_iter().zip(separate) {
                let mut got = vec![f32::NAN; m * n];
                sgemm::product_with_finish(*kernel, va, vb, &mut got, finish);
                let expected = expected.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let differ = got.iter().zip(&expected).filter(|(g, e)| g.to_bits() != e.to_bits()).count();
                assert_eq!(
                    differ, 0,
                    "{kernel:?} {m}x{k}x{n} {finish:?}: {differ} values differ from the separate ops"
                );
            }
        }
    }
}

#[test]
fn a_linear_layer_finished_in_its_product_matches_the_ops_with_backward_passes() {
    use kernels::Then;
    let (x, w, b, r) = (rand(&[37, 48], 11), rand(&[70, 48], 12), rand(&[70], 13), rand(&[37, 70], 14));
    let y = kernels::linear_product(&x, &w).unwrap();
    let cases = [
        (kernels::linear_then(&x, &w, Then::Bias(&b)).unwrap(), kernels::bias_add(&y, &b).unwrap()),
        (kernels::linear_then(&x, &w, Then::BiasGelu(&b)).unwrap(), kernels::bias_gelu(&y, &b).unwrap()),
        (
            kernels::linear_then(&x, &w, Then::BiasResidual(&b, &r)).unwrap(),
            kernels::bias_residual(&y, &b, &r, None).unwrap(),
        ),
    ];
    for (i, (finished, separate)) in cases.iter().enumerate() {
        assert_eq!(finished.dims(), &[37, 70]);
        assert_eq!(max_diff(finished, separate), 0.0, "case {i}: the finished product differs from the separate ops");
    }
    // Operands that do not fit are refused with a message, not a panic.
    let short_bias = rand(&[69], 15);
    let err = kernels::linear_then(&x, &w, Then::Bias(&short_bias)).unwrap_err().to_string();
    assert!(err.contains("do not fit"), "{err}");
    let short_residual = rand(&[36, 70], 16);
    assert!(kernels::linear_then(&x, &w, Then::BiasResidual(&b, &short_residual)).is_err());
    assert!(kernels::linear_then(&x, &rand(&[70, 47], 17), Then::Bias(&b)).is_err());
}
