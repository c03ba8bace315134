//! Shared plumbing of the kernels: borrowing contiguous f32 slices from candle storage, building
//! output tensors, and splitting rows across threads (with deterministic column sums).

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

/// Fills `out` row by row in parallel: `f(row_index, out_row)`. Each task's rows run in
/// [`wide`] code.
pub fn par_rows(out: &mut [f32], width: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let per_task = rows_per_task(width);
    out.par_chunks_mut(width * per_task).enumerate().for_each(|(task, chunk)| {
        wide(|| {
            for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
                f(task * per_task + i, row);
            }
        })
    });
}

/// Like [`par_rows`], and also sums per-row contributions into `sums` vectors of `width` values
/// (`f(row_index, out_row, sums)`); blocks are added in a fixed order, so the result repeats.
pub fn par_rows_with_sums(
    out: &mut [f32],
    width: usize,
    sums: usize,
    f: impl Fn(usize, &mut [f32], &mut [Vec<f32>]) + Sync,
) -> Vec<Vec<f32>> {
    let per_task = rows_per_task(width);
    let partials: Vec<Vec<Vec<f32>>> = out
        .par_chunks_mut(width * per_task)
        .enumerate()
        .map(|(task, chunk)| {
            let mut acc = vec![vec![0.0f32; width]; sums];
            wide(|| {
                for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
                    f(task * per_task + i, row, &mut acc);
                }
            });
            acc
        })
        .collect();
    let mut total = vec![vec![0.0f32; width]; sums];
    for part in partials {
        for (t, p) in total.iter_mut().zip(part) {
            t.iter_mut().zip(p).for_each(|(t, p)| *t += p);
        }
    }
    total
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
