//! What the blocked product needs from a register micro-kernel: its tile's shape, the block
//! sizes that keep its panels in cache, and the kernel itself. Two implement it: AVX2's 6 × 16
//! tile (`micro`) and AVX-512's 12 × 32 tile (`micro_avx512`); the loops in `blocked.rs` are
//! written once for both.

use super::finish::Finish;

/// Where the micro-kernel reads A's rows: A's value (r, p) is at `start + r * row + p * step`.
/// A packed panel has row 1 and step MR; a row-major A read in place has row = its row stride
/// and step 1 (no copy: the rows are sequential streams).
#[derive(Clone, Copy)]
pub struct APanel {
    pub start: *const f32,
    pub row: usize,
    pub step: usize,
}

/// Which panel stays in L1 while the other streams past it from L2, that is, the order of the
/// two loops around the micro-kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InL1 {
    /// A's panel of MR rows: for each, every NR-wide panel of B's block in turn (BLIS's order).
    /// A's panel is small (the tile's broadcast side), so the depth block can be long.
    APanel,
    /// B's panel of NR columns: for each, every MR-row panel of A's block in turn.
    BPanel,
}

/// The block sizes and loop order of one product.
#[derive(Clone, Copy, Debug)]
pub struct Blocking {
    /// Depth of one block.
    pub kc: usize,
    /// Rows of A per group (a packed group is MC × KC values, in L2).
    pub mc: usize,
    /// Columns of B per packed block (KC × NC values, in L2 or L3 by the blocking).
    pub nc: usize,
    /// The panel that stays in L1.
    pub in_l1: InL1,
}

/// A register tile of MR rows × NR columns of C and the kernel that computes it.
pub trait Tile {
    /// Rows of A per micro-kernel call.
    const MR: usize;
    /// Columns of B per micro-kernel call.
    const NR: usize;
    /// The blocking when A's rows are read in place (a row-major A).
    const IN_PLACE: Blocking;
    /// The blocking when A is packed (other layouts, such as the dyᵀ of a weight gradient).
    const PACKED: Blocking;

    /// C's tile (= or +=) A · Bpanel over `depth` steps, then the tile's finish; only the
    /// top-left `rows` × `cols` of the tile is written (C is never read unless `add`).
    ///
    /// # Safety
    /// The CPU must have the kernel's instructions (see `MicroKernel::runs_here`); `c` must
    /// hold what [`CTile`] says; `a` must address MR rows of `depth` values and `b` hold at
    /// least depth × NR values.
    unsafe fn kernel(depth: usize, a: APanel, b: &[f32], c: CTile);
}

/// Where a micro-kernel writes its tile of C, and how.
#[derive(Clone, Copy)]
pub struct CTile<'f> {
    /// The tile's first value: valid for writes (and reads when `add`) of `rows` rows, `ldc`
    /// values apart, of `cols` values each.
    pub at: *mut f32,
    pub ldc: usize,
    /// The live rows and columns: MR × NR, or fewer at C's edges.
    pub rows: usize,
    pub cols: usize,
    /// Whether the sums are added to C's values rather than written over them.
    pub add: bool,
    /// What follows the store (the last depth block's call gets the product's finish, earlier
    /// ones [`Finish::Nothing`]); it starts at the tile and fits it (a bias of at least `cols`
    /// values, a residual with rows `ldc` apart).
    pub finish: Finish<'f>,
}

/// Asks for C's `rows` × `cols` tile (row stride `ldc`) before the depth loop, so that its cache
/// misses overlap the products instead of stalling the stores at the end (about 10 % of the
/// whole product in a C prototype of the AVX2 kernel).
///
/// # Safety
/// The tile must lie inside C (prefetches do not fault, but the addresses are computed with
/// `add`, which must stay inside the allocation).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn prefetch_tile(c: *mut f32, ldc: usize, rows: usize, cols: usize) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    for r in 0..rows {
        // SAFETY: the first and last values of each of the tile's rows lie inside C (caller).
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(c.add(r * ldc) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(c.add(r * ldc + cols - 1) as *const i8);
        }
    }
}
