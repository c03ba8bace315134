//! AVX-512's 12 × 32 register tile: 24 of the 32 ZMM registers hold sums; each depth step makes
//! two 16-wide loads of B's panel, twelve broadcasts of A's and 24 fused multiply-adds, twice
//! the work per instruction of the AVX2 tile. Edge tiles are computed in full (the panels are
//! zero-padded) and written through lane masks. Twelve rows and depth blocks of 192 (B's panel
//! 24 KB, inside a 32 KB L1) were 12–17 % faster than 6 rows and 256 on MiniLM's products in
//! three alternating runs on a 2-core Skylake-SP; 6 × 32 with depth 256 left B's second load the
//! hottest instruction (docs/performance.md).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
use super::tile::prefetch_tile;
use super::tile::{APanel, Tile};

/// The AVX-512F micro-kernel (Intel server CPUs since Skylake-SP, AMD since Zen 4).
pub struct Avx512;

const MR: usize = 12;
const NR: usize = 32;

impl Tile for Avx512 {
    const MR: usize = MR;
    const NR: usize = NR;
    const KC: usize = 192;
    const MC: usize = 120;

    unsafe fn kernel(depth: usize, a: APanel, b: &[f32], c: *mut f32, ldc: usize, rows: usize, cols: usize, add: bool) {
        // SAFETY: the caller's contract (`Tile::kernel`).
        unsafe { kernel(depth, a, b, c, ldc, rows, cols, add) }
    }
}

/// [`Tile::kernel`] for the 12 × 32 tile.
///
/// # Safety
/// As for [`Tile::kernel`]; the CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(depth: usize, a: APanel, b: &[f32], c: *mut f32, ldc: usize, rows: usize, cols: usize, add: bool) {
    debug_assert!(b.len() >= depth * NR && rows <= MR && cols <= NR);
    prefetch_tile(c, ldc, rows, cols);
    // SAFETY: `depth` steps of A's MR rows and of NR values of `b` lie inside the operands (the
    // caller's contract). A packed panel gets its own copy of the loop, with constant offsets.
    let acc = if a.row == 1 && a.step == MR {
        depth_loop(depth, a.start, 1, MR, b.as_ptr())
    } else {
        depth_loop(depth, a.start, a.row, a.step, b.as_ptr())
    };
    // Lane masks of the live columns in each 16-wide half (all ones for a full tile).
    let live = |from: usize| -> __mmask16 {
        let n = cols.saturating_sub(from).min(16);
        ((1u32 << n) - 1) as __mmask16
    };
    let (mask_lo, mask_hi) = (live(0), live(16));
    for (r, [lo, hi]) in acc.into_iter().enumerate().take(rows) {
        let row = c.add(r * ldc);
        let (mut lo, mut hi) = (lo, hi);
        if add {
            lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(mask_lo, row));
            hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(mask_hi, row.add(16)));
        }
        _mm512_mask_storeu_ps(row, mask_lo, lo);
        _mm512_mask_storeu_ps(row.add(16), mask_hi, hi);
    }
}

/// The tile's sums over `depth` steps. A's rows are read at fixed offsets (0, row, 2·row) from
/// one pointer per three rows, each advancing by `step` (no chain of dependent additions from
/// row to row; see the AVX2 kernel). Inlined, so a packed panel's offsets become constants.
///
/// # Safety
/// As for [`kernel`]: A's MR rows of `depth` values at `row` apart and `step` per depth step,
/// and depth × NR values at `b`, must be readable; the CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn depth_loop(depth: usize, a: *const f32, row: usize, step: usize, b: *const f32) -> [[__m512; 2]; MR] {
    const GROUPS: usize = MR.div_ceil(3);
    let mut groups: [*const f32; GROUPS] = [a; GROUPS];
    for (g, start) in groups.iter_mut().enumerate() {
        *start = a.add(3 * g * row);
    }
    let mut bp = b;
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    for _ in 0..depth {
        let (b0, b1) = (_mm512_loadu_ps(bp), _mm512_loadu_ps(bp.add(16)));
        for (r, sums) in acc.iter_mut().enumerate() {
            let x = _mm512_set1_ps(*groups[r / 3].add(r % 3 * row));
            sums[0] = _mm512_fmadd_ps(x, b0, sums[0]);
            sums[1] = _mm512_fmadd_ps(x, b1, sums[1]);
        }
        for start in groups.iter_mut() {
            *start = start.add(step);
        }
        bp = bp.add(NR);
    }
    acc
}

/// Never called: no micro-kernel is detected off x86-64, and `product` falls back first.
#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(_: usize, _: APanel, _: &[f32], _: *mut f32, _: usize, _: usize, _: usize, _: bool) {
    unreachable!("the AVX-512 micro-kernel needs x86-64")
}
