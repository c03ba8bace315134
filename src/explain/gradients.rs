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
    let chunk = opts.batch_size.max(1);
    let mut done = 0;
    for group in alphas.chunks(chunk) {
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
    let (scores, _) = scores_and_gradients(model, &repeated_batch(model, &encoding.tokenized, 2)?, &ends, target)?;
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
