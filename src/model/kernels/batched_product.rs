//! The attention's batched matrix products (q·kᵀ and p·v, one small product per batch row and
//! head) split across threads by product. candle runs a batch of products one after the other,
//! each on both threads; at attention sizes (64 × 64 × 32) that leaves one core idle most of the
//! time. Here each product runs on one thread (our blocked product, `sgemm`) and rayon spreads
//! the products. The backward pass is two more batched products of the same kind.

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::rows::{cpu_slice, par_chunks_filled};
use super::sgemm::{self, View};

/// C = op(A) · op(B) for each of `batch` pairs, op transposing when asked. A is stored as
/// (batch, rows, cols) row-major; so is B.
#[derive(Clone, Copy)]
struct BatchedProduct {
    transpose_a: bool,
    transpose_b: bool,
}

/// A stored (batch, r, c) matrix as an operand: its logical rows and columns and the strides to
/// walk them.
struct Operand {
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
    batch_stride: usize,
}

impl Operand {
    /// The `index`-th matrix of the batch stored in `data`.
    fn matrix<'a>(&self, data: &'a [f32], index: usize) -> View<'a> {
        let start = index * self.batch_stride;
        View {
            data: &data[start..start + self.batch_stride],
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }
}

fn operand(dims: &[usize], transpose: bool) -> Result<Operand> {
    let &[_, r, c] = dims else { bail!("batched product needs (batch, rows, cols) operands, got {dims:?}") };
    Ok(if transpose {
        Operand { rows: c, cols: r, row_stride: 1, col_stride: c, batch_stride: r * c }
    } else {
        Operand { rows: r, cols: c, row_stride: c, col_stride: 1, batch_stride: r * c }
    })
}

impl BatchedProduct {
    fn shapes(&self, a: &[usize], b: &[usize]) -> Result<(Operand, Operand, usize)> {
        let (oa, ob) = (operand(a, self.transpose_a)?, operand(b, self.transpose_b)?);
        if a[0] != b[0] || oa.cols != ob.rows {
            bail!("batched product: shapes {a:?} and {b:?} do not fit");
        }
        Ok((oa, ob, a[0]))
    }
}

impl CustomOp2 for BatchedProduct {
    fn name(&self) -> &'static str {
        "attune-batched-product"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (a, b) = (cpu_slice(s1, l1)?, cpu_slice(s2, l2)?);
        let (oa, ob, batch) = self.shapes(l1.dims(), l2.dims())?;
        let (m, n) = (oa.rows, ob.cols);
        let out = par_chunks_filled(batch * m * n, m * n, |i, c| {
            let (pa, pb) = (oa.matrix(a, i), ob.matrix(b, i));
            sgemm::product_on_this_thread(pa, pb, c).1
        });
        Ok((CpuStorage::F32(out), Shape::from((batch, m, n))))
    }

    fn bwd(&self, a: &Tensor, b: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let product = |x: &Tensor, y: &Tensor, transpose_a, transpose_b| {
            x.apply_op2_no_bwd(y, &BatchedProduct { transpose_a, transpose_b })
        };
        // C = op(A)·op(B): d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, stored back untransposed.
        let da = match self.transpose_a {
            false => product(&grad, b, false, !self.transpose_b)?,
            true => product(b, &grad, self.transpose_b, true)?,
        };
        let db = match self.transpose_b {
            false => product(a, &grad, !self.transpose_a, false)?,
            true => product(&grad, a, true, self.transpose_a)?,
        };
        Ok((Some(da), Some(db)))
    }
}

/// Σ products a[i] · b[i]ᵀ for a (…, m, k) and b (…, n, k) with the same leading dimensions:
/// the attention scores q·kᵀ. Result (…, m, n).
pub fn batched_product_transposed(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    batched(a, b, BatchedProduct { transpose_a: false, transpose_b: true })
}

/// Products a[i] · b[i] for a (…, m, k) and b (…, k, n): the attention's p·v. Result (…, m, n).
pub fn batched_product(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    batched(a, b, BatchedProduct { transpose_a: false, transpose_b: false })
}

fn batched(a: &Tensor, b: &Tensor, op: BatchedProduct) -> Result<Tensor> {
    let dims = a.dims();
    if dims.len() < 3 || b.rank() != dims.len() {
        bail!("batched product needs operands of the same rank, at least 3: {dims:?} and {:?}", b.dims());
    }
    let lead = &dims[..dims.len() - 2];
    let batch: usize = lead.iter().product();
    let flat = |t: &Tensor| -> Result<Tensor> {
        let d = t.dims();
        t.contiguous()?.reshape((batch, d[d.len() - 2], d[d.len() - 1]))
    };
    let out = flat(a)?.apply_op2(&flat(b)?, op)?;
    let mut shape = lead.to_vec();
    shape.extend_from_slice(&out.dims()[1..]);
    out.reshape(shape)
}
