//! Gradient attributions with respect to the input word embeddings: integrated gradients
//! (Sundararajan et al. 2017; Riemann midpoint rule, interpolations in batches) and
//! gradient × input. The score is the target class's log-odds (see [`target_score`]).

use candle_core::{DType, Tensor, Var, D};

use super::{Attributable, Baseline, Completeness, ExplainError, ExplainOptions};
use crate::jobs::CancelToken;
use crate::model::{EncodedBatch, TokenizedText, WordEncoding};

fn repeated_batch(model: &dyn Attributable, text: &TokenizedText, n: usize) -> Result<EncodedBatch, ExplainError> {
    let rows: Vec<&TokenizedText> = vec![text; n];
    Ok(model.tokenizer().batch(&rows, model.device())?)
}

/// The log-odds of the target class for each row of logits (rows, classes): its logit minus the
/// log-sum-exp of the other logits (for two classes, log p/(1-p)). Smooth, unbounded, and it moves
/// exactly when the prediction moves. With `independent` outputs (a sigmoid per label, or a
/// regression's number) the target's own logit is already its log-odds (or the number).
pub fn target_score(logits: &Tensor, target: usize, independent: bool) -> candle_core::Result<Tensor> {
    let classes = logits.dim(1)?;
    let own = logits.narrow(1, target, 1)?.squeeze(1)?;
    if classes == 1 || independent {
        return Ok(own);
    }
    let mask: Vec<f32> = (0..classes).map(|j| if j == target { -1e30 } else { 0.0 }).collect();
    let others = logits.broadcast_add(&Tensor::from_vec(mask, (1, classes), logits.device())?)?;
    let max = others.max_keepdim(1)?.detach();
    let lse = (others.broadcast_sub(&max)?.exp()?.sum_keepdim(1)?.log()? + max)?.squeeze(1)?;
    own - lse
}

/// The target score of each row and its gradient with respect to `words` (rows, seq, emb).
fn scores_and_gradients(
    model: &dyn Attributable,
    batch: &EncodedBatch,
    words: &Tensor,
    target: usize,
) -> Result<(Vec<f32>, Tensor), ExplainError> {
    let var = Var::from_tensor(words)?;
    let logits = model.logits_from_word_embeddings(var.as_tensor(), batch)?;
    let score = target_score(&logits, target, model.independent_outputs())?;
    let grads = score.sum_all()?.backward()?;
    let grad = grads.get(var.as_tensor()).cloned().unwrap_or(var.as_tensor().zeros_like()?);
    Ok((score.to_vec1::<f32>()?, grad))
}

fn baseline_embeddings(
    model: &dyn Attributable,
    encoding: &WordEncoding,
    kind: Baseline,
) -> Result<Tensor, ExplainError> {
    let one = repeated_batch(model, &encoding.tokenized, 1)?;
    let inputs = model.encoder().word_embeddings(&one)?;
    let keep: Vec<f32> = encoding.special.iter().map(|&s| if s { 1.0 } else { 0.0 }).collect();
    let keep = Tensor::from_vec(keep, (1, encoding.special.len(), 1), model.device())?;
    let replacement = match kind {
        Baseline::Zero => inputs.zeros_like()?,
        Baseline::Pad | Baseline::Mask => {
            let names: &[&str] = if kind == Baseline::Pad { &["[PAD]", "<pad>"] } else { &["[MASK]", "<mask>"] };
            let id = names.iter().find_map(|n| model.tokenizer().inner().token_to_id(n)).unwrap_or(0);
            let ids = TokenizedText {
                ids: vec![id; encoding.tokenized.ids.len()],
                type_ids: encoding.tokenized.type_ids.clone(),
            };
            model.encoder().word_embeddings(&repeated_batch(model, &ids, 1)?)?
        }
    };
    // Special tokens stay as they are in the input; every word position gets the replacement.
    Ok((inputs.broadcast_mul(&keep)? + replacement.broadcast_mul(&(1.0 - keep)?)?)?)
}

/// Tokens that go through the model in one pass of integrated gradients: 25 interpolations of a
/// 64-token input, the fastest batch measured (`examples/explain_bench.rs`); longer inputs get
/// fewer per pass, so memory stays bounded (attention grows with the square of the length).
const TOKENS_PER_PASS: usize = 1600;

/// How many interpolated inputs go through the model at once: at most `batch_size`, and at most
/// [`TOKENS_PER_PASS`] tokens.
fn points_per_pass(batch_size: usize, tokens: usize) -> usize {
    batch_size.min(TOKENS_PER_PASS / tokens.max(1)).max(1)
}

/// `items` in the fewest chunks of at most `most` items, their sizes differing by at most one
/// (50 steps in passes of at most 16 are 13, 13, 12 and 12, not 16, 16, 16 and a wasteful 2).
fn balanced_chunks<T>(items: &[T], most: usize) -> Vec<&[T]> {
    let count = items.len().div_ceil(most.max(1)).max(1);
    let (base, extra) = (items.len() / count, items.len() % count);
    let mut chunks = Vec::with_capacity(count);
    let mut start = 0;
    for i in 0..count {
        let len = base + usize::from(i < extra);
        chunks.push(&items[start..start + len]);
        start += len;
    }
    chunks
}

/// Integrated gradients per token, and the completeness check.
pub fn integrated_gradients(
    model: &dyn Attributable,
    encoding: &WordEncoding,
    target: usize,
    opts: &ExplainOptions,
    progress: &mut dyn FnMut(f32),
    cancel: &CancelToken,
) -> Result<(Vec<f64>, Completeness), ExplainError> {
    let steps = opts.steps.max(1);
    let one = repeated_batch(model, &encoding.tokenized, 1)?;
    let inputs = model.encoder().word_embeddings(&one)?.detach();
    let baseline = baseline_embeddings(model, encoding, opts.baseline)?.detach();
    let diff = (&inputs - &baseline)?;
    let mut total = diff.zeros_like()?.squeeze(0)?;
    let alphas: Vec<f32> = (0..steps).map(|k| (k as f32 + 0.5) / steps as f32).collect();
    let mut done = 0;
    for group in balanced_chunks(&alphas, points_per_pass(opts.batch_size, encoding.tokenized.ids.len())) {
        if cancel.is_cancelled() {
            return Err(ExplainError::Cancelled);
        }
        let a = Tensor::from_vec(group.to_vec(), (group.len(), 1, 1), model.device())?;
        let points = baseline.broadcast_add(&diff.broadcast_mul(&a)?)?;
        let batch = repeated_batch(model, &encoding.tokenized, group.len())?;
        let (_, grad) = scores_and_gradients(model, &batch, &points, target)?;
        total = (total + grad.sum(0)?)?;
        done += group.len();
        progress(done as f32 / steps as f32);
    }
    let attributions = (total.unsqueeze(0)? * &diff)?.sum(D::Minus1)?.squeeze(0)? / steps as f64;
    let attributions: Vec<f64> = attributions?.to_dtype(DType::F64)?.to_vec1()?;
    let ends = Tensor::cat(&[&inputs, &baseline], 0)?;
    let ends_batch = repeated_batch(model, &encoding.tokenized, 2)?;
    let logits = model.logits_from_word_embeddings(&ends, &ends_batch)?;
    let scores = target_score(&logits, target, model.independent_outputs())?.to_vec1::<f32>()?;
    let completeness =
        Completeness { sum_attributions: attributions.iter().sum(), score_delta: (scores[0] - scores[1]) as f64 };
    Ok((attributions, completeness))
}

/// Gradient × input per token (summed over the embedding dimension).
pub fn gradient_times_input(
    model: &dyn Attributable,
    encoding: &WordEncoding,
    target: usize,
) -> Result<Vec<f64>, ExplainError> {
    let one = repeated_batch(model, &encoding.tokenized, 1)?;
    let inputs = model.encoder().word_embeddings(&one)?.detach();
    let (_, grad) = scores_and_gradients(model, &one, &inputs, target)?;
    let scores = (grad * &inputs)?.sum(D::Minus1)?.squeeze(0)?;
    Ok(scores.to_dtype(DType::F64)?.to_vec1()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_balanced_and_cover_every_item() {
        let items: Vec<usize> = (0..50).collect();
        let sizes: Vec<usize> = balanced_chunks(&items, 16).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![13, 13, 12, 12]);
        assert_eq!(balanced_chunks(&items, 25).iter().map(|c| c.len()).collect::<Vec<_>>(), vec![25, 25]);
        assert_eq!(balanced_chunks(&items, 100).len(), 1);
        let joined: Vec<usize> = balanced_chunks(&items, 7).concat();
        assert_eq!(joined, items);
        assert_eq!(balanced_chunks(&items[..1], 0).concat(), vec![0]);
    }

    #[test]
    fn long_inputs_get_fewer_points_per_pass() {
        assert_eq!(points_per_pass(25, 64), 25);
        assert_eq!(points_per_pass(50, 64), 25);
        assert_eq!(points_per_pass(25, 512), 3);
        assert_eq!(points_per_pass(25, 5000), 1);
        assert_eq!(points_per_pass(0, 64), 1);
    }
}
