//! Self-attention's core for inference, one sequence per task: for each head, the scores q·kᵀ,
//! their scaled, masked softmax and the context p·v, read from and written to the (batch, seq,
//! hidden) layout the linear layers use. The general path (`Attention::forward` in the encoder)
//! splits q, k and v into heads (three copies), writes the scores and then the probabilities of
//! every head of the batch (2 × 6 MB a MiniLM layer at batch 32 × 64), and merges the heads
//! back (a fourth copy). Here a head's scores live in one small buffer that stays in L1 and
//! the heads are never moved. Keys that padding masks out at the end of a sequence (bias
//! f32::MIN) are skipped: their probabilities are exactly 0, so the result is the same.
//!
//! No gradient and no probabilities come out: the encoder uses it only when neither is needed
//! (predictions, evaluation, occlusion), and the general path otherwise. The environment
//! variable `ATTUNE_ONE_PASS_ATTENTION=off` keeps the general path everywhere, to compare them.

use std::cell::RefCell;
use std::mem::MaybeUninit;

use candle_core::{bail, Result, Shape, Tensor};

use super::rows::{assume_filled, cpu_tensor, par_chunks_filled, with_f32_2};
use super::sgemm::{self, View};
use super::softmax::softmax_in_place;
use super::wide::wide;

thread_local! {
    /// One head's scores, then probabilities (queries × keys), reused from sequence to sequence.
    static SCORES: RefCell<Vec<MaybeUninit<f32>>> = const { RefCell::new(Vec::new()) };
}

/// Whether inference uses this one-pass attention: unless `ATTUNE_ONE_PASS_ATTENTION` is `off`.
/// Decided once per process.
pub fn chosen() -> bool {
    static CHOSEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| !super::switched_off("ATTUNE_ONE_PASS_ATTENTION"))
}

/// The attention's shape for one call.
#[derive(Clone, Copy)]
struct Shapes {
    queries: usize,
    seq: usize,
    hidden: usize,
    heads: usize,
}

/// softmax(scale · q·kᵀ + bias)·v for every head, as (batch, queries, hidden) with the heads side
/// by side in each row, from q (batch, queries, hidden), k and v (batch, seq, hidden) and the
/// padding bias (batch, 1, 1, seq) of [`crate::model::layers::attention_bias`]. CPU f32 only;
/// builds no graph.
pub fn attention_context(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    heads: usize,
    scale: f64,
) -> Result<Tensor> {
    let (batch, queries, hidden) = q.dims3()?;
    let (_, seq, _) = k.dims3()?;
    if k.dims() != [batch, seq, hidden] || v.dims() != k.dims() {
        bail!("attention: keys {:?} and values {:?} do not fit queries {:?}", k.dims(), v.dims(), q.dims());
    }
    if bias.elem_count() != batch * seq {
        bail!("attention: the padding bias {:?} does not fit {batch} sequences of {seq}", bias.dims());
    }
    if heads == 0 || hidden % heads != 0 {
        bail!("attention: {hidden} features do not split into {heads} heads");
    }
    if seq == 0 {
        bail!("attention: the sequences have no tokens");
    }
    let shapes = Shapes { queries, seq, hidden, heads };
    let values = with_f32_2(q, k, |q, k| with_f32_2(v, bias, |v, bias| context(q, k, v, bias, shapes, scale as f32)))??;
    cpu_tensor(values, &Shape::from((batch, queries, hidden)))
}

fn context(q: &[f32], k: &[f32], v: &[f32], bias: &[f32], shapes: Shapes, scale: f32) -> Vec<f32> {
    let Shapes { queries, seq, hidden, heads } = shapes;
    let head_dim = hidden / heads;
    par_chunks_filled(q.len(), queries * hidden, |sequence, out| {
        let bias = &bias[sequence * seq..(sequence + 1) * seq];
        let keys = keys_used(bias);
        let (q, k, v) = (
            &q[sequence * queries * hidden..(sequence + 1) * queries * hidden],
            &k[sequence * seq * hidden..(sequence + 1) * seq * hidden],
            &v[sequence * seq * hidden..(sequence + 1) * seq * hidden],
        );
        SCORES.with(|scores| {
            let mut fresh = Vec::new();
            let mut own = scores.try_borrow_mut().ok();
            let scores = own.as_deref_mut().unwrap_or(&mut fresh);
            scores.resize(queries * keys, MaybeUninit::uninit());
            for head in 0..heads {
                let first = head * head_dim;
                let query =
                    View { data: &q[first..], rows: queries, cols: head_dim, row_stride: hidden, col_stride: 1 };
                let keys_t = View { data: &k[first..], rows: head_dim, cols: keys, row_stride: 1, col_stride: hidden };
                let (scores, _) = sgemm::product_on_this_thread(query, keys_t, scores);
                wide(|| scores.chunks_exact_mut(keys).for_each(|row| softmax_in_place(row, &bias[..keys], scale)));
                let probs = View::row_major(scores, queries, keys);
                let values = View { data: &v[first..], rows: keys, cols: head_dim, row_stride: hidden, col_stride: 1 };
                sgemm::product_on_this_thread_into(probs, values, &mut out[first..], hidden);
            }
        });
        // SAFETY: each head wrote its head_dim columns of every row, and the heads' columns
        // cover the rows (hidden = heads × head_dim).
        unsafe { assume_filled(out) }.1
    })
}

/// The keys up to the last one padding does not mask (all of them when every key is masked,
/// as the general path's softmax then spreads over all of them).
fn keys_used(bias: &[f32]) -> usize {
    bias.iter().rposition(|&b| b > f32::MIN / 2.0).map_or(bias.len(), |last| last + 1)
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::*;
    use crate::model::kernels::{batched_product, batched_product_transposed, masked_softmax};
    use crate::model::layers::attention_bias;

    /// The general path: heads split out, scores, masked softmax, context, heads merged back.
    fn general(q: &Tensor, k: &Tensor, v: &Tensor, bias: &Tensor, heads: usize, scale: f64) -> Tensor {
        let split = |t: &Tensor| {
            let (b, s, h) = t.dims3().unwrap();
            t.reshape((b, s, heads, h / heads)).unwrap().transpose(1, 2).unwrap().contiguous().unwrap()
        };
        let scores = batched_product_transposed(&split(q), &split(k)).unwrap();
        let probs = masked_softmax(&scores, bias, scale).unwrap();
        let context = batched_product(&probs, &split(v)).unwrap();
        let (b, queries, h) = q.dims3().unwrap();
        context.transpose(1, 2).unwrap().reshape((b, queries, h)).unwrap()
    }

    /// Same values as the general path, for full and padded sequences (padding at the end, and
    /// a sequence masked out entirely), several queries or one, and heads of odd widths.
    #[test]
    fn matches_the_general_path_with_padding_and_one_query() {
        let dev = Device::Cpu;
        for (batch, queries, seq, heads, head_dim) in [(3, 17, 17, 4, 8), (4, 1, 23, 3, 12), (2, 40, 40, 2, 33)] {
            let hidden = heads * head_dim;
            let q = Tensor::randn(0f32, 1.0, (batch, queries, hidden), &dev).unwrap();
            let k = Tensor::randn(0f32, 1.0, (batch, seq, hidden), &dev).unwrap();
            let v = Tensor::randn(0f32, 1.0, (batch, seq, hidden), &dev).unwrap();
            // Sequence i keeps seq − 5i tokens; the last keeps none.
            let mask: Vec<u32> =
                (0..batch).flat_map(|i| (0..seq).map(move |j| u32::from(i + 1 < batch && j + 5 * i < seq))).collect();
            let bias = attention_bias(&Tensor::from_vec(mask, (batch, seq), &dev).unwrap()).unwrap();
            let scale = 1.0 / (head_dim as f64).sqrt();
            let fused = attention_context(&q, &k, &v, &bias, heads, scale).unwrap();
            let expected = general(&q, &k, &v, &bias, heads, scale);
            assert_eq!(fused.dims(), expected.dims());
            let worst = (fused - expected).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap();
            let worst = worst.to_scalar::<f32>().unwrap();
            assert!(worst < 1e-5, "batch {batch} queries {queries} seq {seq}: differs by {worst}");
        }
    }

    #[test]
    fn keys_used_ends_at_the_last_unmasked_key() {
        let m = f32::MIN;
        assert_eq!(keys_used(&[0.0, 0.0, m, m]), 2);
        assert_eq!(keys_used(&[0.0, m, 0.0, m]), 3);
        assert_eq!(keys_used(&[0.0, 0.0]), 2);
        assert_eq!(keys_used(&[m, m, m]), 3);
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        let dev = Device::Cpu;
        let q = Tensor::zeros((2, 4, 6), candle_core::DType::F32, &dev).unwrap();
        let bias = Tensor::zeros((2, 1, 1, 4), candle_core::DType::F32, &dev).unwrap();
        let short = Tensor::zeros((2, 4, 5), candle_core::DType::F32, &dev).unwrap();
        assert!(attention_context(&q, &short, &short, &bias, 2, 1.0).is_err());
        assert!(attention_context(&q, &q, &q, &bias, 4, 1.0).is_err());
        assert!(attention_context(&q, &q, &q, &bias.narrow(3, 0, 3).unwrap(), 2, 1.0).is_err());
        let empty = Tensor::zeros((2, 0, 6), candle_core::DType::F32, &dev).unwrap();
        let no_bias = Tensor::zeros((2, 1, 1, 0), candle_core::DType::F32, &dev).unwrap();
        assert!(attention_context(&q, &empty, &empty, &no_bias, 2, 1.0).is_err());
    }
}
