//! Our own f32 matrix product C = A·B for the linear layers and the attention, in the classic
//! blocked form (pack a block of A and a block of B into cache-sized panels, then run a register
//! micro-kernel over them, with C's tile prefetched). The micro-kernel is chosen once per
//! process for the CPU ([`MicroKernel::chosen`]): a 12 × 32 tile on AVX-512 CPUs, a 6 × 16 tile
//! on AVX2 + FMA ones; elsewhere (older CPUs, ARM Macs) the product calls the gemm crate, so
//! every machine gets a correct product and the fast one where it exists. On an AVX2 machine the
//! AVX2 tile was 0.98–1.25× as fast as the gemm crate that candle calls (median 1.05×); on an
//! AVX-512 one (Skylake-SP), where the gemm crate uses AVX-512 and our AVX2 tile was only
//! 0.48–0.92× as fast, the AVX-512 tile (its depth loop in assembly) is 0.97–1.73× as fast
//! (median 1.20×) on two threads, and took 13 % off a training step's time and 19 % off an
//! inference batch's against the AVX2 tile (`examples/sgemm_bench.rs`, docs/performance.md).
//!
//! Operands are [`View`]s: any row and column strides, so transposes are free. The loops and
//! their threads are in `blocked`: each thread takes a contiguous part of C's larger dimension
//! and packs its own panels (no synchronisation), so the result does not depend on the number
//! of threads. It can differ in the last bits from kernel to kernel, and between A read in place
//! and A packed (their depth blocks, where partial sums are rounded, differ).
//!
//! A product can end with a [`Finish`] (a bias, then GELU or a residual), which each tile gets
//! right after its last depth block: in the AVX-512 kernel's registers before the store, and
//! in L1 after it for the AVX2 tile (a pass of its own after the gemm crate's product).

use std::mem::MaybeUninit;

use super::rows::{assume_filled, Filled};
pub use finish::Finish;

mod blocked;
mod finish;
mod micro;
mod micro_avx512;
mod pack;
mod tile;

/// The register micro-kernels, fastest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicroKernel {
    /// A 12 × 32 tile in ZMM registers (AVX-512F).
    Avx512,
    /// A 6 × 16 tile in YMM registers (AVX2 and FMA).
    Avx2,
}

impl MicroKernel {
    /// Every micro-kernel, fastest first.
    pub const FASTEST_FIRST: [MicroKernel; 2] = [MicroKernel::Avx512, MicroKernel::Avx2];

    /// Whether this CPU has the kernel's instructions (checked at run time, cached by std).
    pub fn runs_here(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
            match self {
                MicroKernel::Avx2 => avx2,
                MicroKernel::Avx512 => avx2 && std::is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// The kernel every product uses: the fastest this CPU runs, or the one the environment
    /// variable `ATTUNE_SGEMM_KERNEL` names (`avx512`, `avx2`, or `none` for the gemm crate),
    /// when this CPU runs it; `None` means the gemm crate. Decided once per process.
    pub fn chosen() -> Option<MicroKernel> {
        static CHOSEN: std::sync::OnceLock<Option<MicroKernel>> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let fastest = MicroKernel::FASTEST_FIRST.into_iter().find(|k| k.runs_here());
            match std::env::var("ATTUNE_SGEMM_KERNEL").ok().as_deref() {
                Some("none") => None,
                Some(name) => MicroKernel::from_name(name).filter(|k| k.runs_here()).or(fastest),
                None => fastest,
            }
        })
    }

    /// The kernel's name as `ATTUNE_SGEMM_KERNEL` spells it.
    pub fn name(self) -> &'static str {
        match self {
            MicroKernel::Avx512 => "avx512",
            MicroKernel::Avx2 => "avx2",
        }
    }

    fn from_name(name: &str) -> Option<MicroKernel> {
        MicroKernel::FASTEST_FIRST.into_iter().find(|k| k.name() == name)
    }
}

/// A read-only matrix: element (i, j) is `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major (rows, cols) matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// The transpose of the same storage (no copy).
    pub fn t(self) -> Self {
        Self { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }

    /// Whether every element lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride < self.data.len()
    }

    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

/// C = A·B, or C += A·B when `accumulate`; C is row-major (a.rows, b.cols) in `c`.
///
/// Panics when the shapes do not fit (a programming error, not a user's).
pub fn product(a: View, b: View, c: &mut [f32], accumulate: bool) {
    product_with(MicroKernel::chosen(), a, b, c, accumulate)
}

/// [`product`] with a given micro-kernel (`None`: the gemm crate), for tests and benchmarks
/// that compare them. Panics when this CPU cannot run the kernel.
pub fn product_with(kernel: Option<MicroKernel>, a: View, b: View, c: &mut [f32], accumulate: bool) {
    assert!(c.len() == a.rows * b.cols, "sgemm: the output does not fit the operands");
    assert!(kernel.is_none_or(MicroKernel::runs_here), "sgemm: this CPU cannot run {kernel:?}");
    // SAFETY: `c` holds exactly the a.rows × b.cols values the product writes; the kernel runs
    // on this CPU (checked above).
    unsafe { product_raw(kernel, a, b, c.as_mut_ptr(), accumulate, Finish::Nothing) }
}

/// C = A·B then `finish` with a given micro-kernel (`None`: the gemm crate, with the finish as
/// a pass of its own), for tests that compare the finish with the separate ops. Panics when the
/// shapes do not fit or this CPU cannot run the kernel.
pub fn product_with_finish(kernel: Option<MicroKernel>, a: View, b: View, c: &mut [f32], finish: Finish) {
    assert!(c.len() == a.rows * b.cols, "sgemm: the output does not fit the operands");
    assert!(finish.fits(a.rows, b.cols), "sgemm: the bias or residual does not fit the output");
    assert!(kernel.is_none_or(MicroKernel::runs_here), "sgemm: this CPU cannot run {kernel:?}");
    // SAFETY: `c` holds exactly the a.rows × b.cols values the product writes, and the finish
    // fits them; the kernel runs on this CPU (checked above).
    unsafe { product_raw(kernel, a, b, c.as_mut_ptr(), false, finish) }
}

/// A·B in a new row-major vector, written without being zeroed first.
pub fn product_new(a: View, b: View) -> Vec<f32> {
    product_new_finished(a, b, Finish::Nothing)
}

/// A·B then `finish` (a bias, then GELU or a residual), in a new row-major vector written
/// without being zeroed first. Panics when the finish's operands do not fit C.
pub fn product_new_finished(a: View, b: View, finish: Finish) -> Vec<f32> {
    assert!(finish.fits(a.rows, b.cols), "sgemm: the bias or residual does not fit the output");
    let len = a.rows * b.cols;
    let mut c: Vec<f32> = Vec::with_capacity(len);
    // SAFETY: the product writes every one of the len values of C (it never reads them when
    // not accumulating), so after it returns the first len values are initialized; the chosen
    // kernel runs on this CPU; the finish fits C (checked above).
    unsafe {
        product_raw(MicroKernel::chosen(), a, b, c.as_mut_ptr(), false, finish);
        c.set_len(len);
    }
    c
}

/// C = A·B on the calling thread only, for callers that already run many products in parallel
/// (the attention's per-head products): every value of `c` (a.rows × b.cols, row-major) is
/// written; returns them, with the proof.
pub fn product_on_this_thread<'c>(a: View, b: View, c: &'c mut [MaybeUninit<f32>]) -> (&'c mut [f32], Filled) {
    assert!(c.len() == a.rows * b.cols, "sgemm: the output does not fit the operands");
    product_on_this_thread_into(a, b, c, b.cols);
    // SAFETY: the product wrote all a.rows rows of b.cols values, rows b.cols apart: all of `c`.
    unsafe { assume_filled(c) }
}

/// [`product_on_this_thread`] into rows `row_stride` apart: row i of C is
/// `c[i * row_stride..i * row_stride + b.cols]`, and the values between rows are left as they
/// are (one head's columns of an attention output that interleaves the heads).
pub fn product_on_this_thread_into(a: View, b: View, c: &mut [MaybeUninit<f32>], row_stride: usize) {
    assert!(b.cols <= row_stride, "sgemm: C's rows overlap");
    let needed = if a.rows == 0 { 0 } else { (a.rows - 1) * row_stride + b.cols };
    assert!(c.len() >= needed, "sgemm: the output does not fit the operands");
    assert!(b.rows == a.cols && a.fits() && b.fits(), "sgemm: operand shapes do not fit");
    if a.rows == 0 || b.cols == 0 {
        return;
    }
    if a.cols == 0 {
        c.chunks_mut(row_stride).take(a.rows).for_each(|row| row[..b.cols].fill(MaybeUninit::new(0.0)));
        return;
    }
    let c = c.as_mut_ptr().cast::<f32>();
    // SAFETY (all arms): `c` holds a.rows rows of b.cols values `row_stride` apart (checked
    // above), which the product only writes; the chosen kernel runs on this CPU.
    match MicroKernel::chosen() {
        None => unsafe { fallback(a, b, c, row_stride, false, gemm::Parallelism::None) },
        Some(MicroKernel::Avx512) => unsafe {
            blocked::serial::<micro_avx512::Avx512>(a, b, c, row_stride, false, Finish::Nothing)
        },
        Some(MicroKernel::Avx2) => unsafe {
            blocked::serial::<micro::Avx2>(a, b, c, row_stride, false, Finish::Nothing)
        },
    }
}

/// The product into C at `c` (row-major, a.rows × b.cols) with `kernel`, then `finish`. With
/// `accumulate` false C is only written, never read, so it may be uninitialized.
///
/// # Safety
/// `c` must be valid for writes (and reads when accumulating) of a.rows × b.cols values, and
/// `finish` must fit them; this CPU must run `kernel`.
unsafe fn product_raw(kernel: Option<MicroKernel>, a: View, b: View, c: *mut f32, accumulate: bool, finish: Finish) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    assert!(b.rows == k && a.fits() && b.fits(), "sgemm: operand shapes do not fit");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY (all arms): the caller's contract.
    match kernel {
        _ if k == 0 => unsafe {
            if !accumulate {
                std::ptr::write_bytes(c, 0, m * n);
            }
            finish.all(std::slice::from_raw_parts_mut(c, m * n), n);
        },
        None => unsafe {
            fallback(a, b, c, n, accumulate, gemm::Parallelism::Rayon(rayon::current_num_threads()));
            finish.all(std::slice::from_raw_parts_mut(c, m * n), n);
        },
        Some(MicroKernel::Avx512) => unsafe { blocked::product::<micro_avx512::Avx512>(a, b, c, accumulate, finish) },
        Some(MicroKernel::Avx2) => unsafe { blocked::product::<micro::Avx2>(a, b, c, accumulate, finish) },
    }
}

/// The gemm crate's product, for CPUs without AVX2 and FMA (or when asked for), on the threads
/// `parallelism` allows, into C's rows `ldc` apart.
///
/// # Safety
/// As for [`product_raw`], with C's rows `ldc` apart.
unsafe fn fallback(a: View, b: View, c: *mut f32, ldc: usize, accumulate: bool, parallelism: gemm::Parallelism) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    // SAFETY: the views were checked to lie inside their slices and `c` holds m rows of n values
    // `ldc` apart (the caller's contract); gemm reads C only when accumulating.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            1,
            ldc as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

/// The product by the definition, for tests: C = A·B in f64 sums.
pub fn reference(a: View, b: View) -> Vec<f32> {
    let mut c = vec![0.0f32; a.rows * b.cols];
    for i in 0..a.rows {
        for j in 0..b.cols {
            c[i * b.cols + j] = (0..a.cols).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum::<f64>() as f32;
        }
    }
    c
}
