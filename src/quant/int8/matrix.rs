//! [`Int8Matrix`], the public face of the int8 kernels: building one from f32 weights or from
//! already-quantized rows, reading it back for files, and the product `x · Wᵀ + b`.

use super::dispatch::Kernel;
use super::pack::Packed;
use super::{parallel, weights};

/// The largest `in_dim` [`Int8Matrix::matmul`] accepts. The activation codes get fewer bits as
/// `in_dim` grows so that the exact i32 sums Σ |x_q·w_q| ≤ L · 128 · in_dim stay below 2³¹; up to
/// here that leaves at least L = 255 (9 bits with the sign, still finer than the weights).
pub const MAX_IN_DIM: usize = 65_536;

/// The weights of a linear layer (`out_dim × in_dim`) as symmetric int8 per output row with one
/// f32 scale per row (f16-exact when made by [`Int8Matrix::quantize`]), packed for the kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Matrix {
    packed: Packed,
}

impl Int8Matrix {
    /// Quantizes row-major f32 weights (`out_dim` rows of `in_dim`) per output row: the scale is
    /// max|w|/127 rounded to the nearest f16, moved up to the next f16 where needed so that no
    /// |value| = round(|w| / scale) exceeds 127. An all-zero row has scale 0.
    ///
    /// # Panics
    /// When `weights.len() != out_dim · in_dim` (a precondition: the caller knows the shape).
    pub fn quantize(weights: &[f32], out_dim: usize, in_dim: usize) -> Self {
        assert_eq!(weights.len(), out_dim * in_dim, "Int8Matrix::quantize: the weights do not fill {out_dim}×{in_dim}");
        let mut values = vec![0i8; out_dim * in_dim];
        let mut scales = vec![0f32; out_dim];
        for (n, scale) in scales.iter_mut().enumerate() {
            let span = n * in_dim..(n + 1) * in_dim;
            *scale = weights::quantize_row(&weights[span.clone()], &mut values[span]);
        }
        Self::from_checked(&values, &scales, out_dim, in_dim)
    }

    /// Takes already-quantized row-major values and one scale per row, as read from a file; the
    /// matrix holds them exactly (any i8, including −128, and any scale).
    ///
    /// # Panics
    /// When `values.len() != out_dim · in_dim` or `scales.len() != out_dim` (a precondition).
    pub fn from_rows(values: Vec<i8>, scales: Vec<f32>, out_dim: usize, in_dim: usize) -> Self {
        assert_eq!(values.len(), out_dim * in_dim, "Int8Matrix::from_rows: the values do not fill {out_dim}×{in_dim}");
        assert_eq!(scales.len(), out_dim, "Int8Matrix::from_rows: need one scale for each of {out_dim} rows");
        Self::from_checked(&values, &scales, out_dim, in_dim)
    }

    fn from_checked(values: &[i8], scales: &[f32], out_dim: usize, in_dim: usize) -> Self {
        Int8Matrix { packed: Packed::new(values, scales, out_dim, in_dim) }
    }

    /// Output rows (channels).
    pub fn out_dim(&self) -> usize {
        self.packed.out_dim
    }

    /// Inputs per row.
    pub fn in_dim(&self) -> usize {
        self.packed.in_dim
    }

    /// The int8 values of output row `row`, in input order (empty when `row ≥ out_dim`).
    pub fn row_values(&self, row: usize) -> Vec<i8> {
        if row < self.out_dim() {
            self.packed.row(row)
        } else {
            Vec::new()
        }
    }

    /// One scale per output row.
    pub fn scales(&self) -> &[f32] {
        &self.packed.scales[..self.out_dim()]
    }

    /// The dequantized weights, row-major `out_dim × in_dim`: value · row scale.
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.out_dim() * self.in_dim());
        for (n, &scale) in self.scales().iter().enumerate() {
            out.extend(self.packed.row(n).into_iter().map(|v| f32::from(v) * scale));
        }
        out
    }

    /// Bytes the matrix occupies in memory (packed values, widened to i16 for the kernels, with
    /// their padding, and the scales): about 2 bytes per weight, half of f32.
    pub fn size_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.packed.data.len() * std::mem::size_of::<i16>()
            + self.packed.scales.len() * std::mem::size_of::<f32>()
    }

    /// `out[rows × out_dim] = x[rows × in_dim] · Wᵀ (+ bias on every row)`, all row-major f32.
    ///
    /// Each row of `x` is quantized on the fly to symmetric 16-bit codes q ∈ [−L, L] with its own
    /// scale max|x| / L, where L = min(16 383, (2³¹ − 1) / (128 · in_dim)) (5461 at in_dim 3072),
    /// so a value moves by at most half a step, max|x| / (2L); the dot products with the int8
    /// weights are exact in i32, and the result does not depend on the kernel or the number of
    /// threads. Any `rows` (including 0) and any shape work. Non-finite inputs give
    /// unspecified (but memory-safe) outputs.
    ///
    /// Fails with a message, writing nothing, when `x`, `bias` or `out` do not have
    /// `rows · in_dim`, `out_dim` and `rows · out_dim` values, or when `in_dim > MAX_IN_DIM`.
    pub fn matmul(&self, x: &[f32], rows: usize, bias: Option<&[f32]>, out: &mut [f32]) -> Result<(), String> {
        self.matmul_with(Kernel::detect(), x, rows, bias, out)
    }

    /// [`Self::matmul`] with a chosen kernel (tests compare them).
    pub(super) fn matmul_with(
        &self,
        kernel: Kernel,
        x: &[f32],
        rows: usize,
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) -> Result<(), String> {
        let (k, n) = (self.in_dim(), self.out_dim());
        if k > MAX_IN_DIM {
            return Err(format!(
                "int8 matmul: in_dim {k} is above the kernel's limit of {MAX_IN_DIM}; split the layer"
            ));
        }
        check_len("the input x", rows, k, x.len())?;
        check_len("the output", rows, n, out.len())?;
        if let Some(bias) = bias {
            check_len("the bias", 1, n, bias.len())?;
        }
        parallel::matmul(kernel, &self.packed, x, rows, bias, out);
        Ok(())
    }
}

/// Checks that a buffer holds `rows × cols` values.
fn check_len(what: &str, rows: usize, cols: usize, len: usize) -> Result<(), String> {
    if rows.checked_mul(cols) == Some(len) {
        Ok(())
    } else {
        Err(format!("int8 matmul: {what} has {len} values but {rows}×{cols} are needed"))
    }
}
