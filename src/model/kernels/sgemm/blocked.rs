//! The blocked product's loops and how they share out among threads. Threads split the larger
//! of C's two dimensions into one contiguous part each and run the whole loop nest on it with
//! their own packed panels: no synchronisation between blocks. Inside, the tile's [`Blocking`]
//! for the product decides the block sizes and which panel stays in L1. Each C tile is computed
//! the same way whatever the split, so the result does not depend on the number of threads.
//!
//! Tried and not kept (docs/performance.md): B packed once per block into a buffer all threads
//! share, and the block's rows dealt out as small tasks, so that a slower core takes fewer. It
//! helped only while another process ran on one of the cores (1.09–1.21× on four products of
//! six); with both cores free it was no faster (0.91–1.00, a wait at the end of every block).

use rayon::prelude::*;

use super::pack;
use super::tile::{APanel, Blocking, InL1, Tile};
use super::View;

/// Products smaller than this many multiply-adds run on one thread.
const SERIAL_WORK: usize = 1 << 18;

/// C = A·B (C's row stride b.cols), or += when `accumulate`, with tile `T`, split across
/// rayon's threads when it is big enough.
///
/// # Safety
/// A and B are non-empty with fitting shapes; `c` must be valid for writes (and reads when
/// accumulating) of a.rows × b.cols values; this CPU must run `T`'s kernel.
pub unsafe fn product<T: Tile>(a: View, b: View, c: *mut f32, accumulate: bool) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    let threads = rayon::current_num_threads();
    if threads == 1 || m * n * k < SERIAL_WORK {
        // SAFETY: the caller's contract.
        return unsafe { serial::<T>(a, b, c, n, accumulate) };
    }
    let out = SharedOut(c);
    if m >= n {
        // Blocks of whole rows of C per task.
        let rows_per_task = m.div_ceil(threads).next_multiple_of(T::MR);
        (0..m.div_ceil(rows_per_task)).into_par_iter().for_each(|t| {
            let start = t * rows_per_task;
            let a_rows = View { data: &a.data[start * a.row_stride..], rows: rows_per_task.min(m - start), ..a };
            // SAFETY: task t writes only rows start.. of C, which no other task writes.
            unsafe { serial::<T>(a_rows, b, out.at(start * n), n, accumulate) };
        });
    } else {
        // Column blocks of C per task; each writes its own columns of the shared rows.
        let cols_per_task = n.div_ceil(threads).next_multiple_of(T::NR);
        (0..n.div_ceil(cols_per_task)).into_par_iter().for_each(|t| {
            let start = t * cols_per_task;
            let b_cols = View { data: &b.data[start * b.col_stride..], cols: cols_per_task.min(n - start), ..b };
            // SAFETY: task t writes only columns start.. of each of C's m rows (row stride n),
            // which no other task writes.
            unsafe { serial::<T>(a, b_cols, out.at(start), n, accumulate) };
        });
    }
}

/// The blocked product with tile `T` on the calling thread, into C at `c` with row stride `ldc`.
///
/// For each block of KC depths × NC columns of B (packed, in L2) and each group of MC rows of A:
/// A's full panels of MR rows are read in place when A is row-major; the others (all of them for
/// other layouts, or a last panel of fewer than MR rows) are packed for the group. Then the
/// group's tiles run in the blocking's order ([`InL1`]).
///
/// # Safety
/// `c` must be valid for writes (and reads when accumulating) of a.rows rows of stride `ldc`
/// holding b.cols values each; this CPU must run `T`'s kernel.
pub unsafe fn serial<T: Tile>(a: View, b: View, c: *mut f32, ldc: usize, accumulate: bool) {
    let (mr, nr) = (T::MR, T::NR);
    let (m, n, k) = (a.rows, b.cols, a.cols);
    let row_major = a.col_stride == 1;
    let Blocking { kc: kc_max, mc: mc_max, nc: nc_max, in_l1 } = if row_major { T::IN_PLACE } else { T::PACKED };
    PANELS.with(|panels| {
        // The thread's buffers, or fresh ones if they are somehow in use already.
        let mut fresh = (Vec::new(), Vec::new());
        let mut own = panels.try_borrow_mut().ok();
        let (a_buffer, b_buffer) = match own.as_deref_mut() {
            Some(buffers) => buffers,
            None => &mut fresh,
        };
        let a_group = cache_aligned(a_buffer, mc_max.next_multiple_of(mr) * kc_max);
        let b_block = cache_aligned(b_buffer, nc_max.next_multiple_of(nr) * kc_max);
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            for pc in (0..k).step_by(kc_max) {
                let kc = kc_max.min(k - pc);
                // The first depth block overwrites C unless accumulating; later ones add.
                let add = accumulate || pc > 0;
                pack::pack_b(b, pc, kc, jc, nc, nr, b_block);
                for ic in (0..m).step_by(mc_max) {
                    let mc = mc_max.min(m - ic);
                    let in_place = if row_major { mc / mr * mr } else { 0 };
                    if in_place < mc {
                        pack::pack_a(a, ic + in_place, mc - in_place, pc, kc, mr, a_group);
                    }
                    let a_panel = |ir: usize| {
                        if ir < in_place {
                            // A pointer into the rest of the data (not to one element), so that
                            // reading the following rows through it is allowed.
                            let start = a.data[(ic + ir) * a.row_stride + pc..].as_ptr();
                            APanel { start, row: a.row_stride, step: 1 }
                        } else {
                            let panel = &a_group[(ir - in_place) * kc..(ir - in_place + mr) * kc];
                            APanel { start: panel.as_ptr(), row: 1, step: mr }
                        }
                    };
                    let tile = |ir: usize, jr: usize| {
                        let (rows, cols) = (mr.min(mc - ir), nr.min(nc - jr));
                        let b_panel = &b_block[jr * kc..(jr + nr) * kc];
                        // SAFETY: the tile (ic + ir.., jc + jr..) of rows × cols lies inside C
                        // (caller's contract); A's MR rows at depths pc..pc + kc lie inside its
                        // data (in place only for full panels) or the packed group; B's panel
                        // holds kc × NR values; this CPU runs T (caller's).
                        unsafe {
                            let c = c.add((ic + ir) * ldc + jc + jr);
                            T::kernel(kc, a_panel(ir), b_panel, c, ldc, rows, cols, add);
                        }
                    };
                    match in_l1 {
                        InL1::APanel => {
                            for ir in (0..mc).step_by(mr) {
                                for jr in (0..nc).step_by(nr) {
                                    tile(ir, jr);
                                }
                            }
                        }
                        InL1::BPanel => {
                            for jr in (0..nc).step_by(nr) {
                                for ir in (0..mc).step_by(mr) {
                                    tile(ir, jr);
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

/// C's storage shared by tasks that write disjoint parts of it.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: the tasks that share it write disjoint elements (see `product`).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// The address `offset` values past the start (a method, so closures capture the whole
    /// wrapper and not the bare pointer).
    ///
    /// # Safety
    /// `offset` must lie inside C.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        unsafe { self.0.add(offset) }
    }
}

thread_local! {
    /// Each thread's packing buffers (a group of A, a block of B), kept between products (about
    /// 1.7 MB: allocating them fresh each time costs page faults).
    static PANELS: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// `len` values of `buffer` starting on a 64-byte boundary (grown as needed), so that a panel's
/// rows of 16 or 32 values never straddle two cache lines: a 64-byte load that does costs two.
fn cache_aligned(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    const LINE_VALUES: usize = 64 / std::mem::size_of::<f32>();
    buffer.resize(len + LINE_VALUES, 0.0);
    let skip = buffer.as_ptr().align_offset(64).min(LINE_VALUES);
    &mut buffer[skip..skip + len]
}
