//! Copying blocks of the operands into the order the micro-kernel reads them: A in panels of
//! MR rows (for each depth step, MR consecutive values), B in panels of NR columns (for each
//! depth step, NR consecutive values), with the tile's MR and NR. Rows or columns past the
//! matrix's edge are zeros, so the micro-kernel always computes a full tile. Runs that are
//! contiguous in memory are copied as runs; rows that are contiguous are transposed 8 × 8 in
//! registers.

use super::{MicroKernel, View};

/// Packs A's rows `i0..i0 + rows` at depths `p0..p0 + depth` into `out`, in panels of `mr` rows.
pub fn pack_a(a: View, i0: usize, rows: usize, p0: usize, depth: usize, mr: usize, out: &mut [f32]) {
    for (panel, dst) in out.chunks_exact_mut(mr * depth).take(rows.div_ceil(mr)).enumerate() {
        let first = i0 + panel * mr;
        let live = mr.min(i0 + rows - first);
        pack_panel(a, first, live, p0, depth, mr, dst);
    }
}

/// Packs B's columns `j0..j0 + cols` at depths `p0..p0 + depth` into `out`, in panels of `nr`
/// columns.
pub fn pack_b(b: View, p0: usize, depth: usize, j0: usize, cols: usize, nr: usize, out: &mut [f32]) {
    // B's columns are the rows of Bᵀ: the same packing.
    let bt = b.t();
    for (panel, dst) in out.chunks_exact_mut(nr * depth).take(cols.div_ceil(nr)).enumerate() {
        let first = j0 + panel * nr;
        let live = nr.min(j0 + cols - first);
        pack_panel(bt, first, live, p0, depth, nr, dst);
    }
}

/// One panel: `dst[p * width + r] = m(first + r, p0 + p)` for r < live, zero for live ≤ r < width.
fn pack_panel(m: View, first: usize, live: usize, p0: usize, depth: usize, width: usize, dst: &mut [f32]) {
    let base = first * m.row_stride + p0 * m.col_stride;
    if m.row_stride == 1 && live == width {
        // The panel's values for one depth step are contiguous in memory: copy them as a run.
        // The panel widths the product uses, as constants (see `copy_runs`).
        match width {
            6 => copy_runs(m, base, 6, dst),
            12 => copy_runs(m, base, 12, dst),
            16 => copy_runs(m, base, 16, dst),
            32 => copy_runs(m, base, 32, dst),
            _ => copy_runs(m, base, width, dst),
        }
        return;
    }
    if m.col_stride == 1 && live == width && width.is_multiple_of(8) && MicroKernel::Avx2.runs_here() {
        // Rows contiguous in memory: transpose them into the panel 8 × 8 at a time.
        let last = base + (width - 1) * m.row_stride + depth;
        assert!(last <= m.data.len() && dst.len() >= depth * width, "sgemm: a packed panel out of bounds");
        for group in (0..width).step_by(8) {
            // SAFETY: the assert keeps the 8 rows × depth values read and the depth × width
            // values written in bounds; the CPU has AVX2 (checked above).
            unsafe {
                let src = m.data.as_ptr().add(base + group * m.row_stride);
                super::micro::pack_8_rows(src, m.row_stride, depth, dst.as_mut_ptr().add(group), width);
            }
        }
        return;
    }
    for r in 0..width {
        if r < live {
            let row = base + r * m.row_stride;
            for p in 0..depth {
                dst[p * width + r] = m.data[row + p * m.col_stride];
            }
        } else {
            for p in 0..depth {
                dst[p * width + r] = 0.0;
            }
        }
    }
}

/// Runs of `width` contiguous values, one per depth step. Inlined where `width` is a constant,
/// the copy compiles to a few vector moves; a run of runtime length was a `memmove` call per run
/// (2.9 % of a training profile's samples, most of it call overhead on 24- and 64-byte runs).
#[inline(always)]
fn copy_runs(m: View, base: usize, width: usize, dst: &mut [f32]) {
    for (p, d) in dst.chunks_exact_mut(width).enumerate() {
        let start = base + p * m.col_stride;
        d.copy_from_slice(&m.data[start..start + width]);
    }
}
