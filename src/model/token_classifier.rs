//! A token classifier (named entities and other word tags): our encoder with a tag for every
//! token, as transformers' `…ForTokenClassification` defines it (dropout, then one linear layer
//! named `classifier` on each token's hidden state), so a saved run loads there unchanged. A word
//! is tagged by its first token; the other tokens of a word are not trained on or read.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, IndexOp, Tensor};

use super::classifier::{head_labels, LoadOptions, ModelFolder};
use super::encoder::{Encoder, Needs};
use super::layers::{dropout, softmax_last_dim, DropoutRng, Linear};
use super::params::{ParamBuilder, ParamStore};
use super::tokenizer::{EncodedBatch, TextTokenizer, TokenizedWords};
use super::weights::Checkpoint;
use super::{ModelConfig, ModelError};

pub struct TokenClassifier {
    pub config: ModelConfig,
    /// The tags, by class index (IOB2: `O`, `B-PER`, `I-PER`, …).
    pub labels: Vec<String>,
    pub tokenizer: TextTokenizer,
    pub params: ParamStore,
    pub device: Device,
    /// The parameters that were not in the checkpoint and were initialised.
    pub initialised: Vec<String>,
    encoder: Encoder,
    classifier: Linear,
    dropout: f64,
    source_dir: Option<PathBuf>,
}

/// Per word of a sentence, the probability of each tag; None for a word the model did not see
/// (cut off by the maximum length, or a word that makes no token).
pub type WordProbabilities = Vec<Option<Vec<f32>>>;

impl TokenClassifier {
    /// Loads a model folder. With `opts.labels` None the folder must be a token classifier.
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Self, ModelError> {
        let config = ModelConfig::load(dir)?;
        if opts.labels.is_none() && !config.token_classifier {
            return Err(ModelError::NotATokenClassifier { dir: dir.to_path_buf() });
        }
        let tokenizer = TextTokenizer::load(dir, config.family, config.pad_token_id, opts.max_len)?;
        let checkpoint = Checkpoint::load(dir, config.family, &opts.device)?;
        let (labels, reuse_head) = head_labels(opts, &config, config.token_classifier)
            .ok_or_else(|| ModelError::NotATokenClassifier { dir: dir.to_path_buf() })?;
        let mut model = Self::build(config, tokenizer, checkpoint, labels, reuse_head, opts)?;
        model.source_dir = Some(dir.to_path_buf());
        Ok(model)
    }

    /// Loads a model folder, or a GGUF file exported by Attune (quantized, CPU inference only).
    pub fn load_path(path: &Path, opts: &LoadOptions) -> Result<Self, ModelError> {
        if path.is_file() {
            return crate::quant::load_gguf_token_classifier(path, opts);
        }
        Self::load(path, opts)
    }

    /// Builds a model from parts; with an empty checkpoint every weight is random.
    pub fn build(
        config: ModelConfig,
        tokenizer: TextTokenizer,
        checkpoint: Checkpoint,
        labels: Vec<String>,
        reuse_head: bool,
        opts: &LoadOptions,
    ) -> Result<Self, ModelError> {
        let mut builder =
            ParamBuilder::new(checkpoint, &opts.device, opts.seed, opts.freeze).with_precision(opts.precision);
        let encoder = Encoder::build(&config, &mut builder)?;
        let (h, std) = (config.hidden_size, config.initializer_range);
        let classifier = builder.head_linear("classifier", h, labels.len(), std, reuse_head)?;
        let (params, initialised) = builder.finish();
        Ok(Self {
            dropout: config.classifier_dropout,
            config,
            labels,
            tokenizer,
            params,
            device: opts.device.clone(),
            initialised,
            encoder,
            classifier,
            source_dir: None,
        })
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Tag logits (n, tags) of the tokens at `positions` (row * padded length + column) of a
    /// batch. Dropout is on when `rng` is given (training).
    pub fn logits_at(
        &self,
        rows: &[&TokenizedWords],
        positions: &[u32],
        mut rng: Option<&mut DropoutRng>,
    ) -> Result<Tensor, ModelError> {
        let texts: Vec<_> = rows.iter().map(|r| &r.tokenized).collect();
        let batch = self.tokenizer.batch(&texts, &self.device)?;
        let hidden = self.encoder.forward(&batch, rng.as_deref_mut(), Needs::AllTokens)?.hidden;
        let (b, seq, h) = hidden.dims3()?;
        let picked = hidden.reshape((b * seq, h))?.index_select(&Tensor::new(positions, &self.device)?, 0)?;
        Ok(self.classifier.forward(&dropout(&picked, self.dropout, &mut rng)?)?)
    }

    /// Tag logits (rows, tags) of the token at `position`, from given word embeddings (rows, seq,
    /// embedding) instead of token ids (for attributions).
    pub fn logits_from_word_embeddings_at(
        &self,
        words: &Tensor,
        batch: &EncodedBatch,
        position: usize,
    ) -> candle_core::Result<Tensor> {
        let hidden = self.encoder.forward_from_word_embeddings(words, batch, None, Needs::AllTokens)?.hidden;
        self.classifier.forward(&hidden.i((.., position))?.contiguous()?)
    }

    /// The tag probabilities of every word of tokenized sentences, computed in length-sorted
    /// batches; `words[i]` is the number of words of sentence i.
    pub fn predict_tokenized(
        &self,
        sentences: &[TokenizedWords],
        words: &[usize],
        batch_size: usize,
    ) -> Result<Vec<WordProbabilities>, ModelError> {
        let mut order: Vec<usize> = (0..sentences.len()).collect();
        order.sort_by_key(|&i| sentences[i].tokenized.ids.len());
        let mut out: Vec<WordProbabilities> = words.iter().map(|&n| vec![None; n]).collect();
        // Inference: no graph, so each intermediate result is freed as soon as it is read.
        let _no_graph = candle_core::no_grad();
        for chunk in order.chunks(batch_size.max(1)) {
            let rows: Vec<&TokenizedWords> = chunk.iter().map(|&i| &sentences[i]).collect();
            let seq = rows.iter().map(|r| r.tokenized.ids.len()).max().unwrap_or(0).max(1);
            let mut positions = Vec::new();
            let mut owners = Vec::new();
            for (r, &i) in chunk.iter().enumerate() {
                for (word, first) in sentences[i].first_tokens(words[i]).into_iter().enumerate() {
                    if let Some(p) = first {
                        positions.push((r * seq + p) as u32);
                        owners.push((i, word));
                    }
                }
            }
            if positions.is_empty() {
                continue;
            }
            let logits = self.logits_at(&rows, &positions, None)?;
            let probs = softmax_last_dim(&logits)?.to_dtype(DType::F32)?.to_vec2::<f32>()?;
            for ((i, word), p) in owners.into_iter().zip(probs) {
                out[i][word] = Some(p);
            }
        }
        Ok(out)
    }

    /// The tag probabilities of every word of sentences given as words.
    pub fn predict_words(
        &self,
        sentences: &[Vec<String>],
        batch_size: usize,
    ) -> Result<Vec<WordProbabilities>, ModelError> {
        let tokenized = self.tokenizer.tokenize_words(sentences)?;
        let words: Vec<usize> = sentences.iter().map(Vec::len).collect();
        self.predict_tokenized(&tokenized, &words, batch_size)
    }

    /// The most likely tag of each word; `O` for words the model did not see.
    pub fn tags_of(&self, words: &WordProbabilities) -> Vec<String> {
        words
            .iter()
            .map(|p| match p {
                Some(p) => {
                    let best = p.iter().enumerate().fold(0, |best, (i, &v)| if v > p[best] { i } else { best });
                    self.labels[best].clone()
                }
                None => "O".to_string(),
            })
            .collect()
    }

    /// Writes a Hugging Face-compatible folder (`…ForTokenClassification`).
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        let folder = ModelFolder {
            config: &self.config.token_classifier_json(&self.labels),
            params: &self.params,
            tokenizer: &self.tokenizer,
            source_dir: self.source_dir.as_deref(),
        };
        folder.save(dir)
    }
}
