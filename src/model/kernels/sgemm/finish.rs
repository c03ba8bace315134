//! What a product does to each tile of C right after its last depth block, while the kernel
//! still holds the tile (in registers in the AVX-512 kernel, in L1 after the AVX2 tile's
//! store): add a linear layer's bias, and then apply GELU or add a residual. In
//! inference this replaces the separate passes over C that the bias, bias + GELU and bias +
//! residual ops make (each reads and writes all of C from memory, and waits for both threads at
//! its end). The arithmetic is the same as those ops', so the results are the same bit for bit.

use rayon::prelude::*;

use super::super::gelu::bias_gelu_in_place;
use super::super::rows::rows_per_task;
use super::super::wide::wide;

/// What follows the product, for C's values (C has `n` columns).
#[derive(Clone, Copy, Debug)]
pub enum Finish<'a> {
    /// C as the product leaves it.
    Nothing,
    /// C + bias, one bias value per column.
    Bias(&'a [f32]),
    /// gelu(C + bias), erf-GELU.
    BiasGelu(&'a [f32]),
    /// C + bias + residual, where the residual has C's shape and row stride.
    BiasResidual { bias: &'a [f32], residual: &'a [f32] },
}

impl<'a> Finish<'a> {
    /// Whether the operands fit a C of `rows` × `cols`: a bias of `cols` values, a residual of
    /// rows × cols.
    pub fn fits(&self, rows: usize, cols: usize) -> bool {
        match self {
            Finish::Nothing => true,
            Finish::Bias(bias) | Finish::BiasGelu(bias) => bias.len() == cols,
            Finish::BiasResidual { bias, residual } => bias.len() == cols && residual.len() == rows * cols,
        }
    }

    /// The same finish for the part of C that starts at row `row`, column `col` (C's rows `ldc`
    /// apart): its bias from that column on, its residual from that value on.
    pub fn part(self, row: usize, col: usize, ldc: usize) -> Finish<'a> {
        match self {
            Finish::Nothing => Finish::Nothing,
            Finish::Bias(bias) => Finish::Bias(&bias[col..]),
            Finish::BiasGelu(bias) => Finish::BiasGelu(&bias[col..]),
            Finish::BiasResidual { bias, residual } => {
                Finish::BiasResidual { bias: &bias[col..], residual: &residual[row * ldc + col..] }
            }
        }
    }

    /// The bias, from where this finish's part starts.
    pub fn bias(self) -> Option<&'a [f32]> {
        match self {
            Finish::Nothing => None,
            Finish::Bias(bias) | Finish::BiasGelu(bias) | Finish::BiasResidual { bias, .. } => Some(bias),
        }
    }

    /// Applies the finish to the tile of `rows` × `cols` values at `tile` (rows `ldc` apart),
    /// which starts where this finish's part does: for micro-kernels that do not finish their
    /// tile in registers.
    ///
    /// # Safety
    /// The tile must lie inside C, be written, and be used by nothing else while this runs.
    pub unsafe fn tile(self, tile: *mut f32, ldc: usize, rows: usize, cols: usize) {
        if matches!(self, Finish::Nothing) {
            return;
        }
        wide(|| {
            for r in 0..rows {
                // SAFETY: row r of the tile holds `cols` written values that only this call uses
                // (the caller's contract).
                let values = unsafe { std::slice::from_raw_parts_mut(tile.add(r * ldc), cols) };
                self.row(values, r * ldc);
            }
        })
    }

    /// Applies the finish to all of C (`n` columns, row-major), rows split across threads: for
    /// products that are not tiled here (the gemm crate's).
    pub fn all(self, c: &mut [f32], n: usize) {
        if matches!(self, Finish::Nothing) || n == 0 {
            return;
        }
        let rows_per_task = rows_per_task(n);
        c.par_chunks_mut(n * rows_per_task).enumerate().for_each(|(task, chunk)| {
            wide(|| {
                for (r, values) in chunk.chunks_mut(n).enumerate() {
                    self.row(values, (task * rows_per_task + r) * n);
                }
            })
        });
    }

    /// One row of C, whose residual starts `residual_at` values into this part's.
    #[inline(always)]
    fn row(self, values: &mut [f32], residual_at: usize) {
        match self {
            Finish::Nothing => {}
            Finish::Bias(bias) => values.iter_mut().zip(bias).for_each(|(v, &b)| *v += b),
            Finish::BiasGelu(bias) => bias_gelu_in_place(values, bias),
            Finish::BiasResidual { bias, residual } => {
                let residual = &residual[residual_at..];
                values.iter_mut().zip(bias).zip(residual).for_each(|((v, &b), &r)| *v = *v + b + r)
            }
        }
    }
}
