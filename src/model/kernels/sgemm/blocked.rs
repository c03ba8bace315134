//! The blocked product's loops and how they share out among threads. Threads split C's rows
//! or its columns ([`split_rows`]) into one contiguous part each and run the whole loop nest on
//! it with their own packed panels: no synchronisation between blocks. Inside, the tile's
//! [`Blocking`] for the product decides the block sizes and which panel stays in L1. Each C tile
//! is computed the same way whatever the split, so the result does not depend on the number of
//! threads.
//!
//! Tried and not kept (docs/performance.md): B packed once per block into a buffer all threads
//! share, and the block's rows dealt out as small tasks, so that a slower core takes fewer. It
//! helped only while another process ran on one of the cores (1.09–1.21× on four products of
//! six); with both cores free it was no faster (0.91–1.00, a wait at the end of every block).

use rayon::prelude::*;

use super::finish::Finish;
use super::pack;
use super::tile::{APanel, Blocking, CTile, InL1, Tile};
use super::View;

/// Products smaller than this many multiply-adds run on one thread.
const SERIAL_WORK: usize = 1 << 18;

/// C = A·B (C's row stride b.cols), or += when `accumulate`, then `finish`, with tile `T`,
/// split across rayon's threads when it is big enough.
///
/// # Safety
/// A and B are non-empty with fitting shapes, and `finish` fits C; `c` must be valid for writes
/// (and reads when accumulating) of a.rows × b.cols values; this CPU must run `T`'s kernel.
pub unsafe fn product<T: Tile>(a: View, b: View, c: *mut f32, accumulate: bool, finish: Finish) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    let threads = rayon::current_num_threads();
    if threads == 1 || m * n * k < SERIAL_WORK {
        // SAFETY: the caller's contract.
        return unsafe { serial::<T>(a, b, c, n, accumulate, finish) };
    }
    let out = SharedOut(c);
    if split_rows::<T>(a, n, threads) {
        // Blocks of whole rows of C per task.
        let rows_per_task = m.div_ceil(threads).next_multiple_of(T::MR);
        (0..m.div_ceil(rows_per_task)).into_par_iter().for_each(|t| {
            let start = t * rows_per_task;
            let a_rows = View { data: &a.data[start * a.row_stride..], rows: rows_per_task.min(m - start), ..a };
            // SAFETY: task t writes only rows start.. of C, which no other task writes.
            unsafe { serial::<T>(a_rows, b, out.at(start * n), n, accumulate, finish.part(start, 0, n)) };
        });
    } else {
        // Column blocks of C per task; each writes its own columns of the shared rows.
        let cols_per_task = n.div_ceil(threads).next_multiple_of(T::NR);
        (0..n.div_ceil(cols_per_task)).into_par_iter().for_each(|t| {
            let start = t * cols_per_task;
            let b_cols = View { data: &b.data[start * b.col_stride..], cols: cols_per_task.min(n - start), ..b };
            // SAFETY: task t writes only columns start.. of each of C's m rows (row stride n),
            // which no other task writes.
            unsafe { serial::<T>(a, b_cols, out.at(start), n, accumulate, finish.part(0, start, n)) };
        });
    }
}

/// Whether the threads share out C's rows (each packs all of B and reads its own rows of A)
/// rather than its columns (each packs its own columns of B and reads all of A).
///
/// When A's panels are read in place and kept in L1, columns are shared out as long as each
/// thread gets at least [`MIN_TILES_PER_THREAD`] tiles' worth: every thread then packs a part of
/// B instead of all of it, and A is read from the cache the cores share. In alternating runs
/// on MiniLM's and BERT-base's forward and input-gradient products this was 0.96–1.14× as fast
/// as sharing out the rows, mostly 1.02–1.07× (docs/performance.md). Otherwise the larger
/// dimension is shared.
fn split_rows<T: Tile>(a: View, n: usize, threads: usize) -> bool {
    let a_panels_in_l1 = a.col_stride == 1 && T::IN_PLACE.in_l1 == InL1::APanel;
    if a_panels_in_l1 && n >= threads * MIN_TILES_PER_THREAD * T::NR {
        return false;
    }
    a.rows >= n
}

/// The fewest tiles' worth of columns per thread (128 on AVX-512) for which C's columns are
/// shared out even when it has more rows than columns (see [`split_rows`]); on two threads
/// MiniLM's 384 columns and BERT-base's 768 qualify.
const MIN_TILES_PER_THREAD: usize = 4;

/// The blocked product with tile `T` on the calling thread, into C at `c` with row stride `ldc`.
///
/// For each block of KC depths × NC columns of B (packed, in L2) and each group of MC rows of A:
/// A's full panels of MR rows are read in place when A is row-major; the others (all of them for
/// other layouts, or a last panel of fewer than MR rows) are packed for the group. Then the
/// group's tiles run in the blocking's order ([`InL1`]). When A's panel stays in L1 but its rows,
/// read in place, would crowd a few of L1's sets ([`crowds_l1`]), each panel is first copied
/// to a contiguous buffer. Each tile gets `finish` right after its last depth block.
///
/// # Safety
/// `c` must be valid for writes (and reads when accumulating) of a.rows rows of stride `ldc`
/// holding b.cols values each, and `finish` must fit them (a residual with rows `ldc` apart);
/// this CPU must run `T`'s kernel.
pub unsafe fn serial<T: Tile>(a: View, b: View, c: *mut f32, ldc: usize, accumulate: bool, finish: Finish) {
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
        // A's packed group, then room for one copied panel.
        let a_space = cache_aligned(a_buffer, (mc_max.next_multiple_of(mr) + mr) * kc_max);
        let (a_group, row_copy) = a_space.split_at_mut(mc_max.next_multiple_of(mr) * kc_max);
        let b_block = cache_aligned(b_buffer, nc_max.next_multiple_of(nr) * kc_max);
        // Small products (the attention's per-head ones) visit each panel too few times for a
        // copy to pay.
        let copy_panels = in_l1 == InL1::APanel
            && row_major
            && m * n * k >= SERIAL_WORK
            && crowds_l1(a.row_stride, mr, kc_max.min(k));
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            for pc in (0..k).step_by(kc_max) {
                let kc = kc_max.min(k - pc);
                // The first depth block overwrites C unless accumulating; later ones add; the
                // last one finishes each tile it writes.
                let add = accumulate || pc > 0;
                let last = pc + kc == k;
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
                    let tile = |a_panel: APanel, ir: usize, jr: usize| {
                        let (rows, cols) = (mr.min(mc - ir), nr.min(nc - jr));
                        let b_panel = &b_block[jr * kc..(jr + nr) * kc];
                        // SAFETY: the tile (ic + ir.., jc + jr..) of rows × cols lies inside C
                        // (caller's contract); `a_panel` addresses A's MR rows at depths
                        // pc..pc + kc in its data (in place only for full panels), in the copy of
                        // one panel (written before its tiles, not again until they are done) or
                        // in the packed group; B's panel holds kc × NR values; this CPU runs T
                        // (caller's); no other task writes the tile, and `finish`, moved to the
                        // tile, fits it (caller's).
                        unsafe {
                            let at = c.add((ic + ir) * ldc + jc + jr);
                            let finish = if last { finish.part(ic + ir, jc + jr, ldc) } else { Finish::Nothing };
                            T::kernel(kc, a_panel, b_panel, CTile { at, ldc, rows, cols, add, finish });
                        }
                    };
                    match in_l1 {
                        InL1::APanel => {
                            for ir in (0..mc).step_by(mr) {
                                let panel = if copy_panels && ir < in_place {
                                    copy_rows(a, ic + ir, mr, pc, kc, row_copy)
                                } else {
                                    a_panel(ir)
                                };
                                // While a copied panel's tiles run, the next panel's rows are
                                // asked into L2, one row per tile, so that its copy waits less
                                // (its share of a BERT-base inference profile went from 3.6–3.8 %
                                // to 1.8–2.1 %).
                                let next = ic + ir + mr;
                                let prefetch = copy_panels && next + mr <= m;
                                for (t, jr) in (0..nc).step_by(nr).enumerate() {
                                    if prefetch && t < mr {
                                        let start = (next + t) * a.row_stride + pc;
                                        prefetch_to_l2(&a.data[start..start + kc]);
                                    }
                                    tile(panel, ir, jr);
                                }
                            }
                        }
                        InL1::BPanel => {
                            for jr in (0..nc).step_by(nr) {
                                for ir in (0..mc).step_by(mr) {
                                    tile(a_panel(ir), ir, jr);
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

/// L1 data cache's geometry on the CPUs the kernels target (Intel since Haswell, AMD since Zen):
/// 64 sets of 8 ways of 64-byte lines. An address's set is its line number modulo 64.
const L1_SETS: usize = 64;
const L1_WAYS: usize = 8;
const LINE_BYTES: usize = 64;

/// Whether `rows` rows of `depth` values, `row_stride` values apart, would put more lines into
/// one of L1's sets than it can hold next to B's and C's lines (two ways left for them). With a
/// row stride that is a multiple of 4 KB (BERT-base's 3072 values, 12 KB) all twelve rows of
/// the AVX-512 panel land in the same sets and evict each other: BERT-base's products of depth
/// 3072 (the feed-forward output, and the input gradient of its 3072-wide layer) ran at 0.80–0.84
/// of the others' speed, and 1.18× faster with the panels copied (docs/performance.md). Other
/// strides lost 1–6 % to the copy, so it is only made when needed. The rows are taken to start
/// on a line boundary.
fn crowds_l1(row_stride: usize, rows: usize, depth: usize) -> bool {
    let (row_bytes, stride_bytes) = (depth * std::mem::size_of::<f32>(), row_stride * std::mem::size_of::<f32>());
    let mut lines_per_set = [0usize; L1_SETS];
    for row in 0..rows {
        let first_line = row * stride_bytes / LINE_BYTES;
        for line in first_line..first_line + row_bytes.div_ceil(LINE_BYTES) {
            lines_per_set[line % L1_SETS] += 1;
        }
    }
    lines_per_set.into_iter().max().unwrap_or(0) > L1_WAYS - 2
}

/// Copies A's rows `first..first + rows` at depths `p0..p0 + depth` into `out`, one after the
/// other (row stride `depth`, so they spread evenly over L1's sets), and returns the panel.
fn copy_rows(a: View, first: usize, rows: usize, p0: usize, depth: usize, out: &mut [f32]) -> APanel {
    for (r, dst) in out.chunks_exact_mut(depth).take(rows).enumerate() {
        let start = (first + r) * a.row_stride + p0;
        dst.copy_from_slice(&a.data[start..start + depth]);
    }
    APanel { start: out.as_ptr(), row: depth, step: 1 }
}

/// Asks for every cache line of `values` into L2 (a hint: nothing waits for it).
fn prefetch_to_l2(values: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in values.chunks(LINE_BYTES / std::mem::size_of::<f32>()) {
        // SAFETY: a prefetch of an address inside the slice; it never faults or writes.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
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
    /// Each thread's packing buffers (a group of A and a copied panel, a block of B), kept
    /// between products (about 1.7 MB: allocating them fresh each time costs page faults).
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

#[cfg(test)]
mod tests {
    use super::crowds_l1;

    #[test]
    fn rows_four_kilobytes_apart_crowd_l1_and_the_models_other_strides_do_not() {
        // BERT-base's feed-forward input (3072 values, 12 KB): all twelve rows in the same sets.
        assert!(crowds_l1(3072, 12, 384));
        assert!(crowds_l1(1024, 12, 384));
        // Hidden 384 and 768, MiniLM's 1536 (6 KB: two groups of six rows), a query/key/value row.
        for stride in [384, 768, 1536, 2304, 385] {
            assert!(!crowds_l1(stride, 12, 384), "row stride {stride}");
        }
        // Short rows far apart still share sets; few rows never exceed the ways.
        assert!(crowds_l1(4096, 12, 16));
        assert!(!crowds_l1(4096, 6, 384));
    }
}
