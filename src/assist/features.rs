//! Sentence features from a pretrained encoder: the mean of the last hidden states over the
//! real (unpadded) tokens, scaled to unit length — how sentence-transformers embeds with
//! all-MiniLM-L6-v2. Used where a model must not have seen the labels it is asked to judge.

use std::path::Path;

use candle_core::DType;

use crate::jobs::CancelToken;
use crate::model::{LoadOptions, Needs, SequenceClassifier};

use super::AssistError;

const CHUNK: usize = 256;

/// One unit-length feature vector per text, in the texts' order; reports (done, total).
pub fn sentence_features(
    model_dir: &Path,
    texts: &[String],
    max_len: usize,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Vec<f32>>, AssistError> {
    // The head is never used; two placeholder labels let a base model (with no head) load.
    let opts = LoadOptions { labels: Some(vec!["a".into(), "b".into()]), max_len, ..LoadOptions::default() };
    let model = SequenceClassifier::load(model_dir, &opts)?;
    let mut out = vec![Vec::new(); texts.len()];
    let mut done = 0;
    for (chunk_index, chunk) in texts.chunks(CHUNK).enumerate() {
        if cancel.is_cancelled() {
            return Err(AssistError::Cancelled);
        }
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let tokens = model.tokenizer.tokenize(&refs)?;
        let mut order: Vec<usize> = (0..tokens.len()).collect();
        order.sort_by_key(|&i| tokens[i].ids.len());
        for batch_rows in order.chunks(32) {
            let rows: Vec<_> = batch_rows.iter().map(|&i| &tokens[i]).collect();
            let batch = model.tokenizer.batch(&rows, &model.device)?;
            // A forward pass only: no graph, so intermediate results are freed as soon as they are read.
            let _no_graph = candle_core::no_grad();
            let hidden = model.encoder().forward(&batch, None, Needs::AllTokens)?.hidden.to_dtype(DType::F32)?;
            let hidden = hidden.to_vec3::<f32>()?;
            for ((&i, states), &len) in batch_rows.iter().zip(hidden).zip(&batch.lengths) {
                out[chunk_index * CHUNK + i] = mean_unit(&states[..len.max(1)]);
            }
        }
        done += chunk.len();
        on_progress(done, texts.len());
    }
    Ok(out)
}

/// The mean of the rows, scaled to unit length.
fn mean_unit(states: &[Vec<f32>]) -> Vec<f32> {
    let dim = states.first().map_or(0, Vec::len);
    let mut mean = vec![0.0f32; dim];
    for s in states {
        mean.iter_mut().zip(s).for_each(|(m, v)| *m += v);
    }
    let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    mean.iter_mut().for_each(|m| *m /= norm);
    mean
}
