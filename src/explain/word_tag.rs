//! Explaining a token classifier: why one word got its tag. Integrated gradients or gradient ×
//! input of that word's tag score (its log-odds) with respect to every word of the sentence.
//! Occlusion is left out: dropping a word moves the explained word itself.

use std::path::Path;

use super::attributable::TagAt;
use super::{explanation_options, gradient_attributions, ExplainError, ExplainOptions, Explained, Explanation, Method};
use crate::jobs::CancelToken;
use crate::model::{argmax_rows, TokenClassifier, TokenizedWords};

/// Loads a token classifier for explanations (every weight a constant).
pub fn load_token_classifier_for_explanation(
    dir: &Path,
    device: &candle_core::Device,
) -> Result<TokenClassifier, ExplainError> {
    Ok(TokenClassifier::load(dir, &explanation_options(dir, device)?)?)
}

/// Explains the tag of word `word` of a sentence given as words. `opts.target` is a tag index.
pub fn explain_word(
    model: &TokenClassifier,
    words: &[String],
    word: usize,
    opts: &ExplainOptions,
    progress: &mut dyn FnMut(f32),
    cancel: &CancelToken,
) -> Result<Explanation, ExplainError> {
    if words.is_empty() {
        return Err(ExplainError::EmptyText);
    }
    if word >= words.len() {
        return Err(ExplainError::NoSuchWord { word, words: words.len() });
    }
    let started = std::time::Instant::now();
    let (text, encoding) = model.tokenizer.encode_word_list(words)?;
    let tokenized = TokenizedWords { tokenized: encoding.tokenized.clone(), word_ids: encoding.word_ids.clone() };
    let Some(position) = tokenized.first_tokens(words.len())[word] else {
        return Err(ExplainError::WordNotSeen(words[word].clone()));
    };
    let probs = model
        .predict_tokenized(std::slice::from_ref(&tokenized), &[words.len()], 1)?
        .remove(0)
        .remove(word)
        .ok_or_else(|| ExplainError::WordNotSeen(words[word].clone()))?;
    let predicted = argmax_rows(std::slice::from_ref(&probs))[0];
    let target = opts.target.unwrap_or(predicted);
    if opts.method == Method::Occlusion {
        return Err(ExplainError::OcclusionOfWord);
    }
    let scores = gradient_attributions(&TagAt { model, position }, &encoding, target, opts, progress, cancel)?;
    let explained = Explained { labels: &model.labels, probabilities: &probs, predicted, target, started };
    Ok(explained.explanation(opts.method, &text, &encoding, scores))
}
