//! AVX-512's 12 × 32 register tile: 24 of the 32 ZMM registers hold sums; each depth step makes
//! two 16-wide loads of B's panel, twelve broadcasts of A's and 24 fused multiply-adds, twice
//! the work per instruction of the AVX2 tile. The depth loop is written in assembly. Edge tiles
//! are computed in full (the panels are zero-padded) and written through lane masks.
//!
//! Blocking (docs/performance.md): with A read in place, A's 12-row panel stays in L1 for depth
//! blocks of 384 while B's panels stream from L2 (BLIS's order), 1.02–1.13× the speed of the
//! earlier blocking (B's 192 × 32 panel in L1, A streaming) on the forward and input-gradient
//! products of MiniLM and BERT-base in alternating runs (one outlier at 1.39×). With A packed (a weight gradient's
//! dyᵀ) the earlier blocking stays: A's group is packed just before its tiles read it from L2.

#[cfg(target_arch = "x86_64")]
use std::arch::{asm, x86_64::*};

#[cfg(target_arch = "x86_64")]
use super::super::avx512_rows;
#[cfg(target_arch = "x86_64")]
use super::finish::Finish;
#[cfg(target_arch = "x86_64")]
use super::tile::prefetch_tile;
use super::tile::{APanel, Blocking, CTile, InL1, Tile};

/// The AVX-512F micro-kernel (Intel server CPUs since Skylake-SP, AMD since Zen 4).
pub struct Avx512;

const MR: usize = 12;
const NR: usize = 32;

impl Tile for Avx512 {
    const MR: usize = MR;
    const NR: usize = NR;
    // A read in place stays in L1 (12 × 384 values, 18 KB) while B's panels stream from L2:
    // C's tiles are visited half as often as with depth blocks of 192.
    const IN_PLACE: Blocking = Blocking { kc: 384, mc: 120, nc: 384, in_l1: InL1::APanel };
    // A packed: B's panel (192 × 32 values, 24 KB) stays in L1 while the group's packed panels,
    // just written, come from L2.
    const PACKED: Blocking = Blocking { kc: 192, mc: 120, nc: 1536, in_l1: InL1::BPanel };

    unsafe fn kernel(depth: usize, a: APanel, b: &[f32], c: CTile) {
        // SAFETY: the caller's contract (`Tile::kernel`).
        unsafe { kernel(depth, a, b, c) }
    }
}

/// [`Tile::kernel`] for the 12 × 32 tile.
///
/// # Safety
/// As for [`Tile::kernel`]; the CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn kernel(depth: usize, a: APanel, b: &[f32], tile: CTile) {
    let CTile { at: c, ldc, rows, cols, add, finish } = tile;
    debug_assert!(b.len() >= depth * NR && rows <= MR && cols <= NR);
    prefetch_tile(c, ldc, rows, cols);
    if let Finish::BiasResidual { residual, .. } = finish {
        // The residual's tile too, read after the depth loop (a BERT-base batch lost time to
        // its misses without this).
        prefetch_tile(residual.as_ptr().cast_mut(), ldc, rows, cols);
    }
    // SAFETY: `depth` steps of A's MR rows and of NR values of `b` lie inside the operands (the
    // caller's contract). The sums stay where the loop stored them and are read from there: an
    // array returned by value was a 1.5 KB `memcpy` call per tile once the finish below made
    // the function too big for the compiler to keep it in place (4 % of an inference profile).
    let mut sums = std::mem::MaybeUninit::<[[__m512; 2]; MR]>::uninit();
    let acc = depth_loop(depth, a.start, a.row, a.step, b.as_ptr(), &mut sums);
    // Lane masks of the live columns in each 16-wide half (all ones for a full tile).
    let live = |from: usize| -> __mmask16 {
        let n = cols.saturating_sub(from).min(16);
        ((1u32 << n) - 1) as __mmask16
    };
    let (mask_lo, mask_hi) = (live(0), live(16));
    // The finish in registers: the bias's two vectors, loaded once. GELU here is `avx512_rows`'s;
    // where those loops are switched off, the portable GELU runs on the stored tile instead, so
    // that the values stay those of the separate pass.
    let in_registers = !matches!(finish, Finish::BiasGelu(_)) || avx512_rows::chosen();
    let bias = finish.bias().filter(|_| in_registers).map(|bias| {
        debug_assert!(bias.len() >= cols);
        // SAFETY: the bias holds at least `cols` values from the tile's first column (the
        // caller's contract); the masks load only those.
        (_mm512_maskz_loadu_ps(mask_lo, bias.as_ptr()), _mm512_maskz_loadu_ps(mask_hi, bias.as_ptr().add(16)))
    });
    for (r, &[lo, hi]) in acc.iter().enumerate().take(rows) {
        let row = c.add(r * ldc);
        let (mut lo, mut hi) = (lo, hi);
        if add {
            lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(mask_lo, row));
            hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(mask_hi, row.add(16)));
        }
        if let Some((bias_lo, bias_hi)) = bias {
            (lo, hi) = (_mm512_add_ps(lo, bias_lo), _mm512_add_ps(hi, bias_hi));
            match finish {
                Finish::BiasGelu(_) => (lo, hi) = (avx512_rows::gelu(lo), avx512_rows::gelu(hi)),
                Finish::BiasResidual { residual, .. } => {
                    debug_assert!(residual.len() >= r * ldc + cols);
                    // SAFETY: the residual has C's layout from the tile's first value (the
                    // caller's contract), so row r's `cols` values lie inside it.
                    let at = residual.as_ptr().add(r * ldc);
                    lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(mask_lo, at));
                    hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(mask_hi, at.add(16)));
                }
                Finish::Nothing | Finish::Bias(_) => {}
            }
        }
        _mm512_mask_storeu_ps(row, mask_lo, lo);
        _mm512_mask_storeu_ps(row.add(16), mask_hi, hi);
    }
    if !in_registers {
        // SAFETY: the loop above has written the tile, which only this call uses.
        finish.tile(c, ldc, rows, cols);
    }
}

/// One row's depth step: A's value broadcast into register `$t` from the address `$addr`, then
/// its two multiply-adds into accumulators `$lo` and `$hi` with B's two
/// vectors in zmm24 and zmm25.
macro_rules! row_step {
    ($t:literal, $lo:literal, $hi:literal, $addr:expr) => {
        concat!(
            "vbroadcastss zmm",
            $t,
            ", dword ptr [",
            $addr,
            "]\n",
            "vfmadd231ps zmm",
            $lo,
            ", zmm",
            $t,
            ", zmm24\n",
            "vfmadd231ps zmm",
            $hi,
            ", zmm",
            $t,
            ", zmm25\n",
        )
    };
}

/// B's two vectors of depth step `$u` (counted from `{b}`) into zmm24 and zmm25.
macro_rules! load_b {
    ($u:literal) => {
        concat!("vmovups zmm24, [{b} + 128*", $u, "]\n", "vmovups zmm25, [{b} + 128*", $u, " + 64]\n")
    };
}

/// One depth step: B's two vectors of step `$u`, then rows 0–11 broadcast from the twelve
/// addresses given (each already concatenated), into accumulators zmm0–zmm23. The broadcasts
/// rotate through zmm26–zmm31.
macro_rules! depth_step {
    ($u:literal; $r0:expr, $r1:expr, $r2:expr, $r3:expr, $r4:expr, $r5:expr,
     $r6:expr, $r7:expr, $r8:expr, $r9:expr, $r10:expr, $r11:expr) => {
        concat!(
            load_b!($u),
            row_step!(26, 0, 1, $r0),
            row_step!(27, 2, 3, $r1),
            row_step!(28, 4, 5, $r2),
            row_step!(29, 6, 7, $r3),
            row_step!(30, 8, 9, $r4),
            row_step!(31, 10, 11, $r5),
            row_step!(26, 12, 13, $r6),
            row_step!(27, 14, 15, $r7),
            row_step!(28, 16, 17, $r8),
            row_step!(29, 18, 19, $r9),
            row_step!(30, 20, 21, $r10),
            row_step!(31, 22, 23, $r11),
        )
    };
}

/// Depth step `$u` with A read in place: row r at `{a<r/3>} + (r%3)·{ld}` bytes (four base
/// pointers, three rows apart, so every address is one addressing mode), value u of the row.
macro_rules! in_place_step {
    ($u:literal) => {
        depth_step!($u;
            concat!("{a0} + 4*", $u), concat!("{a0} + {ld} + 4*", $u), concat!("{a0} + {ld}*2 + 4*", $u),
            concat!("{a1} + 4*", $u), concat!("{a1} + {ld} + 4*", $u), concat!("{a1} + {ld}*2 + 4*", $u),
            concat!("{a2} + 4*", $u), concat!("{a2} + {ld} + 4*", $u), concat!("{a2} + {ld}*2 + 4*", $u),
            concat!("{a3} + 4*", $u), concat!("{a3} + {ld} + 4*", $u), concat!("{a3} + {ld}*2 + 4*", $u)
        )
    };
}

/// Depth step `$u` of a packed panel: row r's value at `{a} + 4·(12u + r)` bytes.
macro_rules! packed_step {
    ($u:literal) => {
        depth_step!($u;
            concat!("{a} + 48*", $u, " + 0"), concat!("{a} + 48*", $u, " + 4"),
            concat!("{a} + 48*", $u, " + 8"), concat!("{a} + 48*", $u, " + 12"),
            concat!("{a} + 48*", $u, " + 16"), concat!("{a} + 48*", $u, " + 20"),
            concat!("{a} + 48*", $u, " + 24"), concat!("{a} + 48*", $u, " + 28"),
            concat!("{a} + 48*", $u, " + 32"), concat!("{a} + 48*", $u, " + 36"),
            concat!("{a} + 48*", $u, " + 40"), concat!("{a} + 48*", $u, " + 44")
        )
    };
}

/// Zeroes the 24 accumulators zmm0–zmm23.
macro_rules! zero_sums {
    () => {
        concat!(
            "vpxord zmm0, zmm0, zmm0\n",
            "vpxord zmm1, zmm1, zmm1\n",
            "vpxord zmm2, zmm2, zmm2\n",
            "vpxord zmm3, zmm3, zmm3\n",
            "vpxord zmm4, zmm4, zmm4\n",
            "vpxord zmm5, zmm5, zmm5\n",
            "vpxord zmm6, zmm6, zmm6\n",
            "vpxord zmm7, zmm7, zmm7\n",
            "vpxord zmm8, zmm8, zmm8\n",
            "vpxord zmm9, zmm9, zmm9\n",
            "vpxord zmm10, zmm10, zmm10\n",
            "vpxord zmm11, zmm11, zmm11\n",
            "vpxord zmm12, zmm12, zmm12\n",
            "vpxord zmm13, zmm13, zmm13\n",
            "vpxord zmm14, zmm14, zmm14\n",
            "vpxord zmm15, zmm15, zmm15\n",
            "vpxord zmm16, zmm16, zmm16\n",
            "vpxord zmm17, zmm17, zmm17\n",
            "vpxord zmm18, zmm18, zmm18\n",
            "vpxord zmm19, zmm19, zmm19\n",
            "vpxord zmm20, zmm20, zmm20\n",
            "vpxord zmm21, zmm21, zmm21\n",
            "vpxord zmm22, zmm22, zmm22\n",
            "vpxord zmm23, zmm23, zmm23\n",
        )
    };
}

/// Stores the 24 accumulators, row by row (low then high half), at `{out}`.
macro_rules! store_sums {
    () => {
        concat!(
            "vmovups [{out}], zmm0\n",
            "vmovups [{out} + 64], zmm1\n",
            "vmovups [{out} + 128], zmm2\n",
            "vmovups [{out} + 192], zmm3\n",
            "vmovups [{out} + 256], zmm4\n",
            "vmovups [{out} + 320], zmm5\n",
            "vmovups [{out} + 384], zmm6\n",
            "vmovups [{out} + 448], zmm7\n",
            "vmovups [{out} + 512], zmm8\n",
            "vmovups [{out} + 576], zmm9\n",
            "vmovups [{out} + 640], zmm10\n",
            "vmovups [{out} + 704], zmm11\n",
            "vmovups [{out} + 768], zmm12\n",
            "vmovups [{out} + 832], zmm13\n",
            "vmovups [{out} + 896], zmm14\n",
            "vmovups [{out} + 960], zmm15\n",
            "vmovups [{out} + 1024], zmm16\n",
            "vmovups [{out} + 1088], zmm17\n",
            "vmovups [{out} + 1152], zmm18\n",
            "vmovups [{out} + 1216], zmm19\n",
            "vmovups [{out} + 1280], zmm20\n",
            "vmovups [{out} + 1344], zmm21\n",
            "vmovups [{out} + 1408], zmm22\n",
            "vmovups [{out} + 1472], zmm23\n",
        )
    };
}

/// The depth loop around `$step` (a macro of one depth step's instructions): zero the sums,
/// run `quads` passes of four steps (`advance_4` moves A's pointers on by four, B's by 512
/// bytes), then `rest` single steps (`advance`: one step), and store the sums at `{out}`. The
/// operands (A's pointers, `{b}`, `{quads}`, `{rest}`, `{out}`) come after; all 32 ZMM registers
/// are declared clobbered.
macro_rules! depth_asm {
    (
        setup: [$($setup:expr),*],
        step: $step:ident,
        advance: [$($advance:expr),+],
        advance_4: [$($advance_4:expr),+],
        $($operands:tt)*
    ) => {
        asm!(
            $($setup,)*
            zero_sums!(),
            "test {quads}, {quads}",
            "jz 3f",
            "2:",
            $step!(0), $step!(1), $step!(2), $step!(3),
            $($advance_4,)+
            "add {b}, 512",
            "dec {quads}",
            "jnz 2b",
            "3:",
            "test {rest}, {rest}",
            "jz 5f",
            "4:",
            $step!(0),
            $($advance,)+
            "add {b}, 128",
            "dec {rest}",
            "jnz 4b",
            "5:",
            store_sums!(),
            $($operands)*
            out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _, out("zmm4") _, out("zmm5") _,
            out("zmm6") _, out("zmm7") _, out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
            out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _, out("zmm16") _, out("zmm17") _,
            out("zmm18") _, out("zmm19") _, out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
            out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _, out("zmm28") _, out("zmm29") _,
            out("zmm30") _, out("zmm31") _,
            options(nostack),
        )
    };
}

/// The tile's sums over `depth` steps, written in assembly: each step is B's two loads, twelve
/// broadcasts and 24 fused multiply-adds, four steps per pass of the loop, with nothing else
/// but the pointers' increments (A's twelve rows in place are four base pointers three rows
/// apart plus 0, 1 or 2 row strides, each one addressing mode). The compiled intrinsics ran 51
/// instructions a step in place, 13 of them address arithmetic; on operands in L1 both reach the
/// FMA peak, but in the product the assembly was 1.03–1.15× as fast (docs/performance.md).
///
/// # Safety
/// As for [`kernel`]: A's MR rows of `depth` values at `row` apart and `step` per depth step
/// (row-major in place: step 1; packed: row 1, step MR), and depth × NR values at `b`, must be
/// readable; the CPU must have AVX-512F. Returns the sums, written into `sums`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn depth_loop(
    depth: usize,
    a: *const f32,
    row: usize,
    step: usize,
    b: *const f32,
    sums: &mut std::mem::MaybeUninit<[[__m512; 2]; MR]>,
) -> &[[__m512; 2]; MR] {
    // Not zeroed first (that was a `memset` call per tile): the loops write all of it.
    let out = sums.as_mut_ptr().cast::<f32>();
    let (quads, rest) = (depth / 4, depth % 4);
    // SAFETY: the loops read `depth` steps of A's rows and of B (the caller's contract) and
    // write all 24 vectors of `sums` (zeros when depth is 0); every zmm register they use is
    // declared clobbered.
    unsafe {
        if row == 1 && step == MR {
            depth_asm!(
                setup: [],
                step: packed_step,
                advance: ["add {a}, 48"],
                advance_4: ["add {a}, 192"],
                a = inout(reg) a => _,
                b = inout(reg) b => _,
                quads = inout(reg) quads => _,
                rest = inout(reg) rest => _,
                out = in(reg) out,
            );
        } else {
            debug_assert_eq!(step, 1, "A is read in place along its rows");
            depth_asm!(
                // Three rows apart: a1 = a0 + 3·ld, a2 = a1 + 3·ld, a3 = a2 + 3·ld.
                setup: [
                    "lea {a1}, [{a0} + {ld}*2]", "add {a1}, {ld}",
                    "lea {a2}, [{a1} + {ld}*2]", "add {a2}, {ld}",
                    "lea {a3}, [{a2} + {ld}*2]", "add {a3}, {ld}"
                ],
                step: in_place_step,
                advance: ["add {a0}, 4", "add {a1}, 4", "add {a2}, 4", "add {a3}, 4"],
                advance_4: ["add {a0}, 16", "add {a1}, 16", "add {a2}, 16", "add {a3}, 16"],
                a0 = inout(reg) a => _,
                a1 = out(reg) _,
                a2 = out(reg) _,
                a3 = out(reg) _,
                ld = in(reg) row * std::mem::size_of::<f32>(),
                b = inout(reg) b => _,
                quads = inout(reg) quads => _,
                rest = inout(reg) rest => _,
                out = in(reg) out,
            );
        }
    }
    // SAFETY: the assembly above wrote every vector of `sums`.
    unsafe { sums.assume_init_ref() }
}

/// Never called: no micro-kernel is detected off x86-64, and `product` falls back first.
#[cfg(not(target_arch = "x86_64"))]
unsafe fn kernel(_: usize, _: APanel, _: &[f32], _: CTile) {
    unreachable!("the AVX-512 micro-kernel needs x86-64")
}
