//! AVX2's 6 × 16 register tile: 12 AVX registers of sums, for each depth step two loads of B's
//! panel, six broadcasts of A's and twelve fused multiply-adds. Tiles at C's edges are computed
//! in full (the panels are zero-padded) and only their live part is written. Also the 8 × 8
//! register transpose the packing uses.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
use super::tile::prefetch_tile;
use super::tile::{APanel, Blocking, CTile, InL1, Tile};

/// The AVX2 + FMA micro-kernel (x86-64 CPUs since 2013).
pub struct Avx2;

const MR: usize = 6;
const NR: usize = 16;

impl Tile for Avx2 {
    const MR: usize = MR;
    const NR: usize = NR;
    // B's panel (256 × 16 values, 16 KB) stays in L1, the blocking this tile was tuned with; the
    // order with A's panel in L1 was 0.86–0.98× as fast on a Skylake-SP (docs/performance.md).
    const IN_PLACE: Blocking = Blocking { kc: 256, mc: 120, nc: 1536, in_l1: InL1::BPanel };
    const PACKED: Blocking = Self::IN_PLACE;

    unsafe fn kernel(depth: usize, a: APanel, b: &[f32], c: CTile) {
        // SAFETY: the caller's contract (`Tile::kernel`); the kernel has written the tile.
        unsafe {
            kernel(depth, a, b, c.at, c.ldc, c.rows, c.cols, c.add);
            c.finish.tile(c.at, c.ldc, c.rows, c.cols);
        }
    }
}

/// [`Tile::kernel`] for the 6 × 16 tile.
///
/// # Safety
/// As for [`Tile::kernel`]; the CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(depth: usize, a: APanel, b: &[f32], c: *mut f32, ldc: usize, rows: usize, cols: usize, add: bool) {
    debug_assert!(b.len() >= depth * NR);
    prefetch_tile(c, ldc, rows, cols);
    // SAFETY: `depth` steps of A's MR rows and of NR values of `b` lie inside the operands (the
    // caller's contract). A packed panel gets its own copy of the loop, with constant offsets.
    let acc = if a.row == 1 && a.step == MR {
        depth_loop(depth, a.start, 1, MR, b.as_ptr())
    } else {
        depth_loop(depth, a.start, a.row, a.step, b.as_ptr())
    };
    if rows == MR && cols == NR {
        for (r, pair) in acc.chunks_exact(2).enumerate() {
            let row = c.add(r * ldc);
            let (mut lo, mut hi) = (pair[0], pair[1]);
            if add {
                lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));
                hi = _mm256_add_ps(hi, _mm256_loadu_ps(row.add(8)));
            }
            _mm256_storeu_ps(row, lo);
            _mm256_storeu_ps(row.add(8), hi);
        }
        return;
    }
    let mut tile = [0.0f32; MR * NR];
    for (r, pair) in acc.chunks_exact(2).enumerate() {
        _mm256_storeu_ps(tile.as_mut_ptr().add(r * NR), pair[0]);
        _mm256_storeu_ps(tile.as_mut_ptr().add(r * NR + 8), pair[1]);
    }
    for r in 0..rows {
        let row = c.add(r * ldc);
        for j in 0..cols {
            let v = tile[r * NR + j];
            *row.add(j) = if add { *row.add(j) + v } else { v };
        }
    }
}

/// The tile's sums over `depth` steps. A's six rows are read at fixed offsets (0, row, 2·row)
/// from two pointers that each advance by `step`: the loop before walked from row to row with
/// six dependent additions per depth step, a chain as long as the step's twelve multiply-adds
/// take, and training steps were 3–10 % slower with it (docs/performance.md). Inlined, so
/// the packed panel's offsets become constants.
///
/// # Safety
/// As for [`kernel`]: A's MR rows of `depth` values at `row` apart and `step` per depth step,
/// and depth × NR values at `b`, must be readable; the CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn depth_loop(depth: usize, a: *const f32, row: usize, step: usize, b: *const f32) -> [__m256; 12] {
    let (mut top, mut bottom, mut bp) = (a, a.add(3 * row), b);
    let mut acc = [_mm256_setzero_ps(); 12];
    for _ in 0..depth {
        let (b0, b1) = (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(8)));
        for r in 0..3 {
            let x = _mm256_broadcast_ss(&*top.add(r * row));
            acc[2 * r] = _mm256_fmadd_ps(x, b0, acc[2 * r]);
            acc[2 * r + 1] = _mm256_fmadd_ps(x, b1, acc[2 * r + 1]);
            let y = _mm256_broadcast_ss(&*bottom.add(r * row));
            acc[6 + 2 * r] = _mm256_fmadd_ps(y, b0, acc[6 + 2 * r]);
            acc[7 + 2 * r] = _mm256_fmadd_ps(y, b1, acc[7 + 2 * r]);
        }
        top = top.add(step);
        bottom = bottom.add(step);
        bp = bp.add(NR);
    }
    acc
}

/// Packs 8 rows of a row-contiguous matrix into a panel: `dst[p * width + i] = src[i * row_stride + p]`
/// for i < 8 and p < depth, 8 depth steps at a time through an 8 × 8 transpose in registers
/// (the scalar loop it replaces wrote one value per store: 5 % of an inference pass).
///
/// # Safety
/// The CPU must have AVX2; `src` must address 8 rows of `depth` values at `row_stride`, and
/// `dst` `depth` steps of `width` ≥ 8 values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn pack_8_rows(src: *const f32, row_stride: usize, depth: usize, dst: *mut f32, width: usize) {
    let whole = depth / 8 * 8;
    for p in (0..whole).step_by(8) {
        let row = |i: usize| _mm256_loadu_ps(src.add(i * row_stride + p));
        let (r0, r1, r2, r3, r4, r5, r6, r7) = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7));
        let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
        let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
        let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
        let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
        let (u0, u1) = (_mm256_shuffle_ps::<0x44>(t0, t2), _mm256_shuffle_ps::<0xEE>(t0, t2));
        let (u2, u3) = (_mm256_shuffle_ps::<0x44>(t1, t3), _mm256_shuffle_ps::<0xEE>(t1, t3));
        let (u4, u5) = (_mm256_shuffle_ps::<0x44>(t4, t6), _mm256_shuffle_ps::<0xEE>(t4, t6));
        let (u6, u7) = (_mm256_shuffle_ps::<0x44>(t5, t7), _mm256_shuffle_ps::<0xEE>(t5, t7));
        let columns = [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ];
        for (j, column) in columns.into_iter().enumerate() {
            _mm256_storeu_ps(dst.add((p + j) * width), column);
        }
    }
    for p in whole..depth {
        for i in 0..8 {
            *dst.add(p * width + i) = *src.add(i * row_stride + p);
        }
    }
}

/// Never called: no micro-kernel is detected off x86-64, and `product` falls back first.
#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(_: usize, _: APanel, _: &[f32], _: *mut f32, _: usize, _: usize, _: usize, _: bool) {
    unreachable!("the sgemm micro-kernel needs x86-64 with AVX2 and FMA")
}

/// Never called (see [`kernel`]).
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn pack_8_rows(_: *const f32, _: usize, _: usize, _: *mut f32, _: usize) {
    unreachable!("the sgemm packing needs x86-64 with AVX2")
}
