//! Shared plumbing of the kernels: borrowing contiguous f32 slices from candle storage, building
//! output tensors, and building new outputs in parallel chunks or rows, with deterministic column
//! sums where asked. A kernel that writes every value of its output gets it unwritten and proves
//! each part written with a [`Filled`] (made by [`fill`]); zeroing those outputs first cost a
//! second pass over them, about 3–4 % of a MiniLM inference batch and of a training step
//! (docs/performance.md). Outputs that are added into start as zeros ([`par_chunks_new`]).

use std::mem::MaybeUninit;

use candle_core::{bail, CpuStorage, Device, Layout, Result, Shape, Storage, Tensor};
use rayon::prelude::*;

use super::wide::wide;

/// Rows per parallel task: enough work per task that the 2-core split pays for itself.
pub fn rows_per_task(width: usize) -> usize {
    (16_384 / width.max(1)).max(1)
}

/// The f32 values of a contiguous CPU storage.
pub fn cpu_slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("fused kernel needs a contiguous input"),
    }
}

/// Runs `f` on the values of a CPU f32 tensor (made contiguous first when it is not).
pub fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(s) => Ok(f(cpu_slice(s, layout)?)),
        _ => bail!("fused kernel runs on the CPU only"),
    }
}

/// Runs `f` on the values of two CPU f32 tensors.
pub fn with_f32_2<R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&[f32], &[f32]) -> R) -> Result<R> {
    with_f32(a, |a| with_f32(b, |b| f(a, b)))?
}

pub fn cpu_tensor(values: Vec<f32>, shape: &Shape) -> Result<Tensor> {
    Tensor::from_vec(values, shape, &Device::Cpu)
}

/// A new vector of `len` values built in parallel chunks of `chunk` values: `f(index, chunk)`
/// gets each chunk as zeros and fills it. Each task zeroes its own chunk just before `f`
/// writes it, so the zeros cost a pass over cached memory; `vec![0.0; len]` before a parallel
/// loop was one `memset` on the calling thread while the other core waited (1.4 % of a MiniLM
/// training profile's samples, on the main thread, for hundreds of MB a step).
pub fn par_chunks_new(len: usize, chunk: usize, f: impl Fn(usize, &mut [f32]) + Sync) -> Vec<f32> {
    par_chunks_filled(len, chunk, |index, part| {
        part.fill(MaybeUninit::new(0.0));
        // SAFETY: every value was just written (zero).
        let (zeros, filled) = unsafe { assume_filled(part) };
        f(index, zeros);
        filled
    })
}

/// Proof that every value of one part of a new output was written: only [`fill`] (and, for
/// kernels that store through pointers, [`assume_filled`]) make one, for the part they wrote.
#[must_use = "the proof goes back to the loop that hands out the parts"]
pub struct Filled {
    start: usize,
    len: usize,
}

impl Filled {
    /// Whether this proves `part` written: the same place and length.
    fn covers(&self, part: &[MaybeUninit<f32>]) -> bool {
        self.start == part.as_ptr() as usize && self.len == part.len()
    }
}

/// Writes one value of `values` into each place of `out` (panics if there are too few: a
/// programming error) and returns `out` as written values, with the proof.
#[inline(always)]
pub fn fill(out: &mut [MaybeUninit<f32>], values: impl Iterator<Item = f32>) -> (&mut [f32], Filled) {
    let mut written = 0;
    for (place, value) in out.iter_mut().zip(values) {
        place.write(value);
        written += 1;
    }
    assert!(written == out.len(), "a kernel wrote {written} of its {} values", out.len());
    // SAFETY: every value of `out` was just written.
    unsafe { assume_filled(out) }
}

/// `out` as written values, with the proof, after a kernel stored every one of them itself.
///
/// # Safety
/// Every value of `out` must have been written.
#[inline(always)]
pub unsafe fn assume_filled(out: &mut [MaybeUninit<f32>]) -> (&mut [f32], Filled) {
    let filled = Filled { start: out.as_ptr() as usize, len: out.len() };
    // SAFETY: every value is initialized (the caller's contract), and MaybeUninit<f32> has the
    // layout of f32.
    (unsafe { &mut *(out as *mut [MaybeUninit<f32>] as *mut [f32]) }, filled)
}

/// A new vector of `len` values built in parallel chunks of `chunk` values that `f(index,
/// chunk)` writes, every value (it returns the proof, and anything else it makes of the chunk,
/// collected in chunk order).
fn par_chunks_written<R: Send>(
    len: usize,
    chunk: usize,
    f: impl Fn(usize, &mut [MaybeUninit<f32>]) -> (Filled, R) + Sync,
) -> (Vec<f32>, Vec<R>) {
    let mut values: Vec<f32> = Vec::with_capacity(len);
    let results = values.spare_capacity_mut()[..len]
        .par_chunks_mut(chunk.max(1))
        .enumerate()
        .map(|(index, part)| {
            let (filled, result) = f(index, part);
            assert!(filled.covers(part), "a kernel's proof does not cover chunk {index}");
            result
        })
        .collect();
    // SAFETY: every chunk of the first `len` values was written (each proof covers its chunk).
    unsafe { values.set_len(len) };
    (values, results)
}

/// A new vector of `len` values built in parallel chunks of `chunk` values: `f(index, chunk)`
/// writes every value of its chunk and returns the proof.
pub fn par_chunks_filled(
    len: usize,
    chunk: usize,
    f: impl Fn(usize, &mut [MaybeUninit<f32>]) -> Filled + Sync,
) -> Vec<f32> {
    par_chunks_written(len, chunk, |index, part| (f(index, part), ())).0
}

/// A new vector of `len` values (rows of `width`) written row by row in parallel: `f(row_index,
/// row)` writes every value of the row and returns the proof. Each task's rows run in [`wide`]
/// code.
pub fn par_rows(len: usize, width: usize, f: impl Fn(usize, &mut [MaybeUninit<f32>]) -> Filled + Sync) -> Vec<f32> {
    par_rows_with_sums(len, width, 0, |r, row, _| f(r, row)).0
}

/// Like [`par_rows`], and also sums per-row contributions into `sums` vectors of `width` values
/// (`f(row_index, row, sums)`); blocks are added in a fixed order, so the result repeats.
pub fn par_rows_with_sums(
    len: usize,
    width: usize,
    sums: usize,
    f: impl Fn(usize, &mut [MaybeUninit<f32>], &mut [Vec<f32>]) -> Filled + Sync,
) -> (Vec<f32>, Vec<Vec<f32>>) {
    let per_task = rows_per_task(width);
    let (values, partials) = par_chunks_written(len, width * per_task, |task, chunk| {
        let mut acc = vec![vec![0.0f32; width]; sums];
        let all_rows = wide(|| {
            let mut rows_written = 0;
            for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
                let filled = f(task * per_task + i, row, &mut acc);
                assert!(filled.covers(row), "a kernel's proof does not cover row {}", task * per_task + i);
                rows_written += row.len();
            }
            rows_written
        });
        assert!(all_rows == chunk.len(), "rows of {width} do not tile a chunk of {}", chunk.len());
        // SAFETY: every row of the chunk was written (each proof covers its row, and the rows
        // tile the chunk).
        (unsafe { assume_filled(chunk) }.1, acc)
    });
    let mut total = vec![vec![0.0f32; width]; sums];
    for part in partials {
        for (t, p) in total.iter_mut().zip(part) {
            t.iter_mut().zip(p).for_each(|(t, p)| *t += p);
        }
    }
    (values, total)
}

/// The column sums of `values` (rows of `width`), added in fixed blocks of rows in a fixed order
/// (the result repeats exactly), without writing anything else.
pub fn par_column_sums(values: &[f32], width: usize) -> Vec<f32> {
    let per_task = rows_per_task(width);
    let partials: Vec<Vec<f32>> = values
        .par_chunks(width * per_task)
        .map(|chunk| {
            let mut acc = vec![0.0f32; width];
            wide(|| {
                for row in chunk.chunks_exact(width) {
                    acc.iter_mut().zip(row).for_each(|(a, v)| *a += v);
                }
            });
            acc
        })
        .collect();
    let mut total = vec![0.0f32; width];
    for part in partials {
        total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every chunk, the short last one included, is handed over once, as zeros, under its own
    /// index; nothing is left unwritten.
    #[test]
    fn new_vectors_are_built_chunk_by_chunk_from_zeros() {
        let values = par_chunks_new(10, 4, |i, chunk| {
            assert!(chunk.iter().all(|&v| v == 0.0), "chunk {i} did not start as zeros");
            chunk.iter_mut().for_each(|v| *v += i as f32 + 1.0);
        });
        assert_eq!(values, [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0]);
        assert!(par_chunks_new(0, 4, |_, _| panic!("no chunk to fill")).is_empty());
    }

    /// Rows get their own index across task boundaries, and the column sums add every row once.
    #[test]
    fn rows_and_their_sums_cover_every_row_once() {
        let (width, rows) = (3, 2 * rows_per_task(3) + 5);
        let (values, sums) = par_rows_with_sums(rows * width, width, 1, |r, row, acc| {
            let (row, filled) = fill(row, std::iter::repeat((r % 7) as f32));
            acc[0].iter_mut().zip(row.iter()).for_each(|(a, v)| *a += v);
            filled
        });
        // Small whole numbers, so every sum is exact in f32 whatever the order.
        let expected: Vec<f32> = (0..rows).flat_map(|r| [(r % 7) as f32; 3]).collect();
        assert_eq!(values, expected);
        let total = (0..rows).map(|r| r % 7).sum::<usize>() as f32;
        assert_eq!(sums, vec![vec![total; width]]);
        assert_eq!(par_rows(rows * width, width, |r, row| fill(row, std::iter::repeat((r % 7) as f32)).1), expected);
    }

    /// A kernel that writes too few values, or proves another part written, stops the loop
    /// before the unwritten values can be read.
    #[test]
    fn parts_left_unwritten_are_caught() {
        let short = std::panic::catch_unwind(|| par_rows(12, 3, |_, row| fill(row, [1.0, 2.0].into_iter()).1));
        assert!(short.is_err(), "two values for a row of three should panic");
        let elsewhere = std::panic::catch_unwind(|| {
            par_rows(12, 3, |_, _| {
                let mut other = [MaybeUninit::new(0.0f32); 3];
                fill(&mut other, std::iter::repeat(1.0)).1
            })
        });
        assert!(elsewhere.is_err(), "a proof for another buffer should panic");
        let chunks = par_chunks_filled(10, 4, |i, chunk| fill(chunk, std::iter::repeat(i as f32)).1);
        assert_eq!(chunks, [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0]);
    }
}
