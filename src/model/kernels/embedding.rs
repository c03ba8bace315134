//! The embedding lookup (rows of a table by token id). Its backward writes the rows present in the
//! batch into one zeroed table-sized gradient; candle's `index_select` backward allocates two
//! (a zero tensor, then `index_add` into a copy), 47 MB each for MiniLM's word embeddings.

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Storage, Tensor};

use super::rows::{cpu_slice, cpu_tensor, par_chunks_new, with_f32};

struct Embedding;

/// The ids as indices into the table's rows, checked against the number of rows.
fn indices(ids: &CpuStorage, layout: &Layout, rows: usize) -> Result<Vec<usize>> {
    let Some((start, end)) = layout.contiguous_offsets() else { bail!("embedding ids must be contiguous") };
    let out: Vec<usize> = match ids {
        CpuStorage::U32(v) => v[start..end].iter().map(|&i| i as usize).collect(),
        CpuStorage::I64(v) => v[start..end].iter().map(|&i| i.max(0) as usize).collect(),
        CpuStorage::U8(v) => v[start..end].iter().map(|&i| i as usize).collect(),
        _ => bail!("embedding ids must be integers"),
    };
    if let Some(bad) = out.iter().find(|&&i| i >= rows) {
        bail!("token id {bad} is outside the embedding table of {rows} rows");
    }
    Ok(out)
}

impl CustomOp2 for Embedding {
    fn name(&self) -> &'static str {
        "attune-embedding"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let table = cpu_slice(s1, l1)?;
        let (rows, width) = l1.shape().dims2()?;
        let ids = indices(s2, l2, rows)?;
        let mut out = Vec::with_capacity(ids.len() * width);
        for &i in &ids {
            out.extend_from_slice(&table[i * width..(i + 1) * width]);
        }
        Ok((CpuStorage::F32(out), Shape::from((ids.len(), width))))
    }

    fn bwd(
        &self,
        table: &Tensor,
        ids: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (rows, width) = table.dims2()?;
        let ids = ids.contiguous()?;
        let (storage, layout) = ids.storage_and_layout();
        let Storage::Cpu(ids) = &*storage else { bail!("embedding runs on the CPU only") };
        let ids = indices(ids, layout, rows)?;
        let dtable = with_f32(grad, |g| {
            // Zeroed by all threads (47 MB for MiniLM's word embeddings), then the batch's rows added.
            let mut d = par_chunks_new(rows * width, 1 << 16, |_, _| {});
            for (k, &i) in ids.iter().enumerate() {
                let row = &mut d[i * width..(i + 1) * width];
                row.iter_mut().zip(&g[k * width..(k + 1) * width]).for_each(|(d, g)| *d += g);
            }
            d
        })?;
        Ok((Some(cpu_tensor(dtable, table.shape())?), None))
    }
}

/// Rows of `table` (rows, width) for the flat `ids`: (ids, width).
pub fn embedding(table: &Tensor, ids: &Tensor) -> Result<Tensor> {
    table.contiguous()?.apply_op2(&ids.flatten_all()?.contiguous()?, Embedding)
}
