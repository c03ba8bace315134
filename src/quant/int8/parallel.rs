//! How one product is split over rayon's threads. With enough rows, blocks of activation rows
//! are independent tasks: each quantizes its rows into a per-thread scratch buffer and runs all
//! weight panels over them (the panel stays in cache across the block's row tiles). With only a
//! few rows (one short sentence), the rows are quantized once and the panels are split instead.
//! Every output value is computed the same way in both cases, so results never depend on it.

use std::cell::RefCell;
use std::ops::Range;

use rayon::prelude::*;

use super::activations::{self, QuantRows, RowParams, Scratch};
use super::dispatch::Kernel;
use super::pack::{Packed, NR};
use super::portable::Output;

/// Activation rows per register tile of every kernel (the AVX2 tile height).
const ROW_TILE: usize = 6;
/// The most rows one task takes.
const MAX_BLOCK_ROWS: usize = 11 * ROW_TILE;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// `out = x · Wᵀ (+ bias)`; the caller has checked every length.
pub(super) fn matmul(kernel: Kernel, w: &Packed, x: &[f32], rows: usize, bias: Option<&[f32]>, out: &mut [f32]) {
    let (k, n) = (w.in_dim, w.out_dim);
    if rows == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for row in out.chunks_exact_mut(n) {
            match bias {
                Some(b) => row.copy_from_slice(b),
                None => row.fill(0.0),
            }
        }
        return;
    }
    let threads = rayon::current_num_threads().max(1);
    if rows >= 2 * ROW_TILE * threads || threads == 1 || w.panels == 1 {
        let block = rows.div_ceil(4 * threads).next_multiple_of(ROW_TILE).clamp(ROW_TILE, MAX_BLOCK_ROWS);
        out.par_chunks_mut(block * n).zip(x.par_chunks(block * k)).for_each(|(out, x)| {
            with_scratch(|scratch| {
                let a = quantize(kernel, scratch, x, x.len() / k, k);
                run_panels(kernel, w, &a, 0..w.panels, bias, &mut Output { data: out, stride: n, first_col: 0 });
            })
        });
    } else {
        let mut scratch = Scratch::default();
        let a = quantize(kernel, &mut scratch, x, rows, k);
        let parts = panel_ranges(w.panels, 2 * threads);
        let results: Vec<Vec<f32>> = parts
            .par_iter()
            .map(|panels| {
                let cols = (panels.end * NR).min(n) - panels.start * NR;
                let mut part = vec![0f32; rows * cols];
                let mut output = Output { data: &mut part, stride: cols, first_col: panels.start * NR };
                run_panels(kernel, w, &a, panels.clone(), bias, &mut output);
                part
            })
            .collect();
        for (panels, part) in parts.iter().zip(&results) {
            let (first, cols) = (panels.start * NR, part.len() / rows);
            for (row_out, row_part) in out.chunks_exact_mut(n).zip(part.chunks_exact(cols)) {
                row_out[first..first + cols].copy_from_slice(row_part);
            }
        }
    }
}

/// Runs `f` on this thread's scratch buffers (fresh ones if they are already in use).
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Quantizes `rows` rows of `x` with the kernel's quantizer.
fn quantize<'s>(kernel: Kernel, scratch: &'s mut Scratch, x: &[f32], rows: usize, k: usize) -> QuantRows<'s> {
    scratch.fill(x, rows, k, ROW_TILE, |x, out, limit| quantize_row(kernel, x, out, limit))
}

/// Quantizes one row with the kernel's quantizer.
fn quantize_row(kernel: Kernel, x: &[f32], out: &mut [i16], limit: i32) -> RowParams {
    match kernel {
        Kernel::Portable => activations::quantize_row(x, out, limit),
        // SAFETY: `Kernel::Avx2` only exists after `detect` saw AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 => unsafe { super::avx2_rows::quantize_row(x, out, limit) },
    }
}

/// Runs the kernel's panel product.
fn run_panels(kernel: Kernel, w: &Packed, a: &QuantRows, panels: Range<usize>, bias: Option<&[f32]>, out: &mut Output) {
    match kernel {
        Kernel::Portable => super::portable::panels(w, a, panels, bias, out),
        // SAFETY: `Kernel::Avx2` only exists after `detect` saw AVX2 and FMA, and `quantize`
        // pads the rows to ROW_TILE = avx2::MR with stride 2 · groups.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 => unsafe { super::avx2::panels(w, a, panels, bias, out) },
    }
}

/// Splits `0..panels` into at most `parts` contiguous, nonempty ranges of near-equal size.
fn panel_ranges(panels: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, panels.max(1));
    (0..parts).map(|i| panels * i / parts..panels * (i + 1) / parts).filter(|r| !r.is_empty()).collect()
}

#[cfg(target_arch = "x86_64")]
const _: () = assert!(ROW_TILE == super::avx2::MR);
