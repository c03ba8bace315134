//! From token scores to word scores: pieces of one word are summed, the word's text is taken
//! from the original string by the tokens' offsets, special tokens are set apart.

use serde::{Deserialize, Serialize};

use crate::model::WordEncoding;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WordAttribution {
    pub word: String,
    pub attribution: f64,
    /// Token positions of this word in the model's input.
    pub tokens: Vec<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TokenAttribution {
    pub token: String,
    pub attribution: f64,
}

/// Merges token scores into words. Returns (words, special tokens, all tokens).
pub fn merge_words(
    text: &str,
    encoding: &WordEncoding,
    scores: &[f64],
) -> (Vec<WordAttribution>, Vec<TokenAttribution>, Vec<TokenAttribution>) {
    let mut words: Vec<WordAttribution> = Vec::new();
    let mut special = Vec::new();
    let mut last_word: Option<u32> = None;
    let mut span: Option<(usize, usize)> = None;
    let flush = |words: &mut Vec<WordAttribution>, span: Option<(usize, usize)>| {
        if let (Some(w), Some((a, b))) = (words.last_mut(), span) {
            w.word = text.get(a..b).unwrap_or("").to_string();
        }
    };
    for (i, &score) in scores.iter().enumerate() {
        let is_special = encoding.special.get(i).copied().unwrap_or(false);
        let word_id = encoding.word_ids.get(i).copied().flatten();
        if is_special || word_id.is_none() {
            special.push(TokenAttribution { token: encoding.tokens[i].clone(), attribution: score });
            continue;
        }
        let (start, end) = encoding.offsets[i];
        if word_id != last_word || words.is_empty() {
            flush(&mut words, span);
            words.push(WordAttribution { word: String::new(), attribution: 0.0, tokens: Vec::new() });
            span = Some((start, end));
            last_word = word_id;
        }
        if let Some(w) = words.last_mut() {
            w.attribution += score;
            w.tokens.push(i);
        }
        span = span.map(|(a, b)| (a.min(start), b.max(end)));
    }
    flush(&mut words, span);
    let tokens = encoding
        .tokens
        .iter()
        .zip(scores)
        .map(|(t, &s)| TokenAttribution { token: t.clone(), attribution: s })
        .collect();
    (words, special, tokens)
}
