//! Tokenizing text for the encoder: the model's `tokenizer.json` through the `tokenizers` crate,
//! with a BERT WordPiece tokenizer built from `vocab.txt` as the fallback. Padding and truncation
//! baked into the file are replaced by ours: truncation to the run's maximum length, and dynamic
//! padding to the longest text of each batch.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::{Tokenizer, TruncationParams};

use super::{Family, ModelError};

/// A text turned into token ids (not yet padded).
#[derive(Clone, Debug, Default)]
pub struct TokenizedText {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
}

/// A text's tokens with their words and character offsets.
#[derive(Clone, Debug)]
pub struct WordEncoding {
    pub tokenized: TokenizedText,
    pub tokens: Vec<String>,
    pub word_ids: Vec<Option<u32>>,
    /// Byte offsets of each token in the text.
    pub offsets: Vec<(usize, usize)>,
    /// True for special tokens ([CLS], [SEP], <s>, …).
    pub special: Vec<bool>,
}

/// A sentence given as words, tokenized: the tokens and the word each token belongs to.
#[derive(Clone, Debug, Default)]
pub struct TokenizedWords {
    pub tokenized: TokenizedText,
    /// Per token, the index of its word (None for special tokens).
    pub word_ids: Vec<Option<u32>>,
}

impl TokenizedWords {
    /// Per word, the position of its first token (None when truncation cut it off, or the word
    /// made no token at all).
    pub fn first_tokens(&self, words: usize) -> Vec<Option<usize>> {
        let mut first = vec![None; words];
        for (position, word) in self.word_ids.iter().enumerate() {
            if let Some(slot) = word.and_then(|w| first.get_mut(w as usize)) {
                slot.get_or_insert(position);
            }
        }
        first
    }
}

/// A padded batch, ready for the encoder. All tensors are (batch, seq) u32.
pub struct EncodedBatch {
    pub input_ids: Tensor,
    pub attention_mask: Tensor,
    pub token_type_ids: Tensor,
    pub position_ids: Tensor,
    /// Real (unpadded) length of each row.
    pub lengths: Vec<usize>,
}

pub struct TextTokenizer {
    inner: Tokenizer,
    pad_id: u32,
    /// RoBERTa counts positions from the padding index; others from zero.
    position_offset: Option<u32>,
    max_len: usize,
}

impl TextTokenizer {
    /// Loads the tokenizer of a model folder. `pad_token_id` comes from config.json.
    pub fn load(dir: &Path, family: Family, pad_token_id: u32, max_len: usize) -> Result<Self, ModelError> {
        let json = dir.join("tokenizer.json");
        let vocab = dir.join("vocab.txt");
        let inner = if json.is_file() {
            Tokenizer::from_file(&json)
                .map_err(|e| ModelError::Tokenizer { path: json.clone(), reason: e.to_string() })?
        } else if vocab.is_file() {
            bert_wordpiece_from_file(&vocab, lowercase_from_config(dir))?
        } else {
            return Err(ModelError::MissingFile { file: "tokenizer.json", dir: dir.to_path_buf() });
        };
        Self::new(inner, family, pad_token_id, max_len)
    }

    pub fn new(mut inner: Tokenizer, family: Family, pad_token_id: u32, max_len: usize) -> Result<Self, ModelError> {
        let pad_id = ["[PAD]", "<pad>"].iter().find_map(|t| inner.token_to_id(t)).unwrap_or(pad_token_id);
        inner.with_padding(None);
        let truncation = TruncationParams { max_length: max_len.max(2), ..Default::default() };
        inner.with_truncation(Some(truncation)).map_err(tokenizer_error)?;
        let position_offset = (family == Family::Roberta).then_some(pad_token_id);
        Ok(Self { inner, pad_id, position_offset, max_len })
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// Tokenizes texts (in parallel), truncated to the maximum length, with special tokens.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<TokenizedText>, ModelError> {
        let inputs: Vec<tokenizers::EncodeInput> = texts.iter().map(|&t| t.into()).collect();
        self.encode_all(inputs)
    }

    /// Tokenizes text pairs (e.g. premise and hypothesis) as the model's pair input: both
    /// segments with their separators, token type ids 0 then 1 where the architecture has them,
    /// truncated longest-first to the maximum length.
    pub fn tokenize_pairs(&self, texts: &[&str], pairs: &[&str]) -> Result<Vec<TokenizedText>, ModelError> {
        let inputs: Vec<tokenizers::EncodeInput> =
            texts.iter().zip(pairs).map(|(&a, &b)| tokenizers::EncodeInput::Dual(a.into(), b.into())).collect();
        self.encode_all(inputs)
    }

    /// Encodes inputs in parallel, with special tokens and our truncation.
    fn encode_batch(&self, inputs: Vec<tokenizers::EncodeInput>) -> Result<Vec<tokenizers::Encoding>, ModelError> {
        self.inner.encode_batch(inputs, true).map_err(tokenizer_error)
    }

    /// Encodes one input, with special tokens and our truncation.
    fn encode_one<'s>(
        &self,
        input: impl Into<tokenizers::EncodeInput<'s>>,
    ) -> Result<tokenizers::Encoding, ModelError> {
        self.inner.encode(input, true).map_err(tokenizer_error)
    }

    fn encode_all(&self, inputs: Vec<tokenizers::EncodeInput>) -> Result<Vec<TokenizedText>, ModelError> {
        Ok(self
            .encode_batch(inputs)?
            .into_iter()
            .map(|e| TokenizedText { ids: e.get_ids().to_vec(), type_ids: e.get_type_ids().to_vec() })
            .collect())
    }

    /// Tokenizes sentences already split into words (CoNLL tokens), keeping which word each
    /// token belongs to; truncated to the maximum length.
    pub fn tokenize_words(&self, sentences: &[Vec<String>]) -> Result<Vec<TokenizedWords>, ModelError> {
        let inputs: Vec<tokenizers::EncodeInput> =
            sentences.iter().map(|words| tokenizers::EncodeInput::Single(words.as_slice().into())).collect();
        Ok(self
            .encode_batch(inputs)?
            .into_iter()
            .map(|e| TokenizedWords {
                tokenized: TokenizedText { ids: e.get_ids().to_vec(), type_ids: e.get_type_ids().to_vec() },
                word_ids: e.get_word_ids().to_vec(),
            })
            .collect())
    }

    /// Tokenizes texts, or text pairs when `pairs` is given (one per text).
    pub fn tokenize_inputs(
        &self,
        texts: &[String],
        pairs: Option<&[String]>,
    ) -> Result<Vec<TokenizedText>, ModelError> {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        match pairs {
            Some(pairs) => {
                let pairs: Vec<&str> = pairs.iter().map(String::as_str).collect();
                self.tokenize_pairs(&texts, &pairs)
            }
            None => self.tokenize(&texts),
        }
    }

    /// One text with, per token, its string, the word it belongs to (None for special tokens)
    /// and its character offsets in the text — what explanations need to merge pieces into words.
    pub fn encode_words(&self, text: &str) -> Result<WordEncoding, ModelError> {
        let e = self.encode_one(text)?;
        Ok(WordEncoding {
            tokenized: TokenizedText { ids: e.get_ids().to_vec(), type_ids: e.get_type_ids().to_vec() },
            tokens: e.get_tokens().to_vec(),
            word_ids: e.get_word_ids().to_vec(),
            offsets: e.get_offsets().to_vec(),
            special: e.get_special_tokens_mask().iter().map(|&m| m == 1).collect(),
        })
    }

    /// A sentence given as words, encoded as `encode_words` encodes a text: the text is the words
    /// joined by spaces, and token offsets point into it.
    pub fn encode_word_list(&self, words: &[String]) -> Result<(String, WordEncoding), ModelError> {
        let e = self.encode_one(tokenizers::EncodeInput::Single(words.into()))?;
        let mut starts = Vec::with_capacity(words.len());
        let mut text = String::new();
        for w in words {
            if !text.is_empty() {
                text.push(' ');
            }
            starts.push(text.len());
            text.push_str(w);
        }
        let word_ids = e.get_word_ids().to_vec();
        let offsets = e
            .get_offsets()
            .iter()
            .zip(&word_ids)
            .map(|(&(a, b), w)| match w.and_then(|w| starts.get(w as usize)) {
                Some(&start) => (start + a, start + b),
                None => (0, 0),
            })
            .collect();
        let encoding = WordEncoding {
            tokenized: TokenizedText { ids: e.get_ids().to_vec(), type_ids: e.get_type_ids().to_vec() },
            tokens: e.get_tokens().to_vec(),
            word_ids,
            offsets,
            special: e.get_special_tokens_mask().iter().map(|&m| m == 1).collect(),
        };
        Ok((text, encoding))
    }

    /// The token strings of one text, as the model sees them (for explanations and tests).
    pub fn tokens(&self, text: &str) -> Result<Vec<String>, ModelError> {
        let e = self.encode_one(text)?;
        Ok(e.get_tokens().to_vec())
    }

    /// Pads tokenized texts to the longest among them and builds the encoder's input tensors.
    pub fn batch(&self, texts: &[&TokenizedText], device: &Device) -> Result<EncodedBatch, ModelError> {
        let rows = texts.len();
        let seq = texts.iter().map(|t| t.ids.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![self.pad_id; rows * seq];
        let mut mask = vec![0u32; rows * seq];
        let mut types = vec![0u32; rows * seq];
        let mut positions = vec![0u32; rows * seq];
        for (r, t) in texts.iter().enumerate() {
            for (c, (&id, &ty)) in t.ids.iter().zip(t.type_ids.iter()).enumerate() {
                ids[r * seq + c] = id;
                mask[r * seq + c] = 1;
                types[r * seq + c] = ty;
            }
            for c in 0..seq {
                positions[r * seq + c] = match self.position_offset {
                    Some(pad) if c < t.ids.len() => pad + 1 + c as u32,
                    Some(pad) => pad,
                    None => c as u32,
                };
            }
        }
        let tensor = |v: Vec<u32>| Tensor::from_vec(v, (rows, seq), device);
        Ok(EncodedBatch {
            input_ids: tensor(ids)?,
            attention_mask: tensor(mask)?,
            token_type_ids: tensor(types)?,
            position_ids: tensor(positions)?,
            lengths: texts.iter().map(|t| t.ids.len()).collect(),
        })
    }
}

fn tokenizer_error(e: tokenizers::Error) -> ModelError {
    ModelError::Tokenizer { path: "tokenizer.json".into(), reason: e.to_string() }
}

fn lowercase_from_config(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("tokenizer_config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("do_lower_case").and_then(|b| b.as_bool()))
        .unwrap_or(true)
}

fn bert_wordpiece_from_file(vocab_path: &Path, lowercase: bool) -> Result<Tokenizer, ModelError> {
    let err = |reason: String| ModelError::Tokenizer { path: vocab_path.to_path_buf(), reason };
    let text = std::fs::read_to_string(vocab_path).map_err(|e| err(e.to_string()))?;
    let vocab: HashMap<String, u32> = text.lines().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect();
    bert_wordpiece(vocab, lowercase).map_err(err)
}

/// A BERT WordPiece tokenizer (normaliser, pre-tokenizer, [CLS] … [SEP]) over a vocabulary.
pub fn bert_wordpiece(vocab: HashMap<String, u32>, lowercase: bool) -> Result<Tokenizer, String> {
    let cls = *vocab.get("[CLS]").ok_or("the vocabulary has no [CLS] token")?;
    let sep = *vocab.get("[SEP]").ok_or("the vocabulary has no [SEP] token")?;
    if !vocab.contains_key("[UNK]") {
        return Err("the vocabulary has no [UNK] token".into());
    }
    let model = WordPiece::builder()
        .vocab(vocab.into_iter().collect::<ahash::AHashMap<String, u32>>())
        .unk_token("[UNK]".into())
        .build()
        .map_err(|e| e.to_string())?;
    let mut tokenizer = Tokenizer::new(model);
    tokenizer.with_normalizer(Some(BertNormalizer::new(true, true, None, lowercase))).map_err(|e| e.to_string())?;
    tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
    tokenizer.with_post_processor(Some(BertProcessing::new(("[SEP]".into(), sep), ("[CLS]".into(), cls))));
    Ok(tokenizer)
}
