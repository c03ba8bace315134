//! Occlusion: drop each word (all its pieces) from the input and measure how much the target
//! score (its log-odds) falls. A word whose removal lowers the score pushed towards the target.

use super::ExplainError;
use crate::jobs::CancelToken;
use crate::model::{Problem, SequenceClassifier, TokenizedText, WordEncoding};

/// Per-token scores: each word's score change, given to its first piece (the others get 0),
/// so that merging into words gives the word's score.
pub fn occlusion(
    model: &SequenceClassifier,
    encoding: &WordEncoding,
    target: usize,
    batch_size: usize,
    progress: &mut dyn FnMut(f32),
    cancel: &CancelToken,
) -> Result<Vec<f64>, ExplainError> {
    let n = encoding.tokenized.ids.len();
    // Groups of token positions, one per word.
    let mut words: Vec<Vec<usize>> = Vec::new();
    let mut last = None;
    for i in 0..n {
        let Some(w) = encoding.word_ids[i].filter(|_| !encoding.special[i]) else { continue };
        if Some(w) != last {
            words.push(Vec::new());
            last = Some(w);
        }
        if let Some(g) = words.last_mut() {
            g.push(i);
        }
    }
    let mut variants = vec![encoding.tokenized.clone()];
    for group in &words {
        let keep = |i: &usize| !group.contains(i);
        variants.push(TokenizedText {
            ids: (0..n).filter(keep).map(|i| encoding.tokenized.ids[i]).collect(),
            type_ids: (0..n).filter(keep).map(|i| encoding.tokenized.type_ids[i]).collect(),
        });
    }
    let mut logits = Vec::with_capacity(variants.len());
    // Forward passes only: no graph, so each intermediate result is freed as soon as it is read.
    let _no_graph = candle_core::no_grad();
    for (k, chunk) in variants.chunks(batch_size.max(1)).enumerate() {
        if cancel.is_cancelled() {
            return Err(ExplainError::Cancelled);
        }
        let rows: Vec<&TokenizedText> = chunk.iter().collect();
        let batch = model.tokenizer.batch(&rows, &model.device)?;
        let out = model.forward(&batch, None, false)?.logits;
        logits.extend(
            super::gradients::target_score(&out, target, model.problem != Problem::SingleLabel)?.to_vec1::<f32>()?,
        );
        progress(((k + 1) * batch_size) as f32 / variants.len() as f32);
    }
    let mut scores = vec![0.0f64; n];
    for (group, &without) in words.iter().zip(&logits[1..]) {
        scores[group[0]] = (logits[0] - without) as f64;
    }
    Ok(scores)
}
