//! A sequence classifier: our encoder, a head, its tokenizer and label names, loaded from a model
//! folder (a base model or a run folder) and saved as a Hugging Face-compatible folder.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, D};

use super::encoder::{Encoder, Needs};
use super::heads::Head;
use super::layers::DropoutRng;
use super::params::{Freeze, ParamBuilder, ParamStore};
use super::precision::Precision;
use super::problem::{Problem, DEFAULT_THRESHOLD};
use super::tokenizer::{EncodedBatch, TextTokenizer, TokenizedText};
use super::weights::Checkpoint;
use super::{ModelConfig, ModelError};

/// How to load a model.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The labels to classify into. None: use the checkpoint's own (it must be a classifier).
    pub labels: Option<Vec<String>>,
    pub device: Device,
    /// Seeds the initialisation of new head weights.
    pub seed: u64,
    pub freeze: Freeze,
    /// Longest input in tokens; longer texts are truncated.
    pub max_len: usize,
    /// What the outputs are to mean. None: what the checkpoint says (one label per text when it
    /// says nothing).
    pub problem: Option<Problem>,
    /// The type the linear layers' products run in (mixed precision); the weights stay f32.
    pub precision: Precision,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            labels: None,
            device: Device::Cpu,
            seed: 42,
            freeze: Freeze::default(),
            max_len: 128,
            problem: None,
            precision: Precision::F32,
        }
    }
}

/// Logits (batch, classes) and, when asked for, attention per layer (batch, heads, seq, seq).
pub struct ClassifierOutput {
    pub logits: Tensor,
    pub attentions: Vec<Tensor>,
}

pub struct SequenceClassifier {
    pub config: ModelConfig,
    /// The labels (for regression, one name: the predicted number's).
    pub labels: Vec<String>,
    pub problem: Problem,
    /// Multi-label models: the probability from which each label is given (tuned on validation).
    pub thresholds: Vec<f32>,
    pub tokenizer: TextTokenizer,
    pub params: ParamStore,
    pub device: Device,
    /// The parameters that were not in the checkpoint and were initialised.
    pub initialised: Vec<String>,
    encoder: Encoder,
    head: Head,
    source_dir: Option<PathBuf>,
}

impl SequenceClassifier {
    /// Loads a model folder: `config.json`, weights and tokenizer.
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Self, ModelError> {
        let config = ModelConfig::load(dir)?;
        let tokenizer = TextTokenizer::load(dir, config.family, config.pad_token_id, opts.max_len)?;
        if opts.labels.is_none() && config.token_classifier {
            return Err(ModelError::TagsWords { dir: dir.to_path_buf() });
        }
        let checkpoint = Checkpoint::load(dir, config.family, &opts.device)?;
        let problem = opts.problem.unwrap_or(config.problem);
        let same_head = !config.token_classifier && problem == config.problem;
        let (labels, reuse_head) = head_labels(opts, &config, same_head)
            .ok_or_else(|| ModelError::NotAClassifier { dir: dir.to_path_buf() })?;
        let opts = &LoadOptions { problem: Some(problem), ..opts.clone() };
        let mut model = Self::build(config, tokenizer, checkpoint, labels, reuse_head, opts)?;
        model.source_dir = Some(dir.to_path_buf());
        Ok(model)
    }

    /// Loads a model folder, or a GGUF file exported by Attune (quantized, CPU inference only).
    pub fn load_path(path: &Path, opts: &LoadOptions) -> Result<Self, ModelError> {
        if path.is_file() {
            return crate::quant::load_gguf_classifier(path, opts);
        }
        Self::load(path, opts)
    }

    /// Builds a model from parts; with an empty checkpoint every weight is random. The problem is
    /// `opts.problem`, else the config's; a reused multi-label head keeps its saved thresholds.
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
        let head = Head::build(&config, labels.len(), reuse_head, &mut builder)?;
        let (params, initialised) = builder.finish();
        let problem = opts.problem.unwrap_or(config.problem);
        let thresholds =
            if reuse_head { config.label_thresholds(&labels) } else { vec![DEFAULT_THRESHOLD; labels.len()] };
        Ok(Self {
            config,
            labels,
            problem,
            thresholds,
            tokenizer,
            params,
            device: opts.device.clone(),
            initialised,
            encoder,
            head,
            source_dir: None,
        })
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Logits for a batch. Dropout is on when `rng` is given (training), off otherwise.
    pub fn forward(
        &self,
        batch: &EncodedBatch,
        mut rng: Option<&mut DropoutRng>,
        capture_attention: bool,
    ) -> candle_core::Result<ClassifierOutput> {
        let needs = if capture_attention { Needs::AllTokensAndAttention } else { Needs::FirstToken };
        let out = self.encoder.forward(batch, rng.as_deref_mut(), needs)?;
        let logits = self.head.forward(&out.hidden, rng)?;
        Ok(ClassifierOutput { logits, attentions: out.attentions })
    }

    /// Logits from given word embeddings (batch, seq, embedding) instead of token ids.
    pub fn forward_from_word_embeddings(&self, words: &Tensor, batch: &EncodedBatch) -> candle_core::Result<Tensor> {
        let out = self.encoder.forward_from_word_embeddings(words, batch, None, Needs::FirstToken)?;
        self.head.forward(&out.hidden, None)
    }

    /// The outputs for tokenized texts, in their order, computed in length-sorted batches: class
    /// probabilities (one label per text), a probability per label (multi-label), or the
    /// predicted number (regression, one value per text).
    pub fn predict_tokenized(&self, texts: &[TokenizedText], batch_size: usize) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].ids.len());
        let mut out = vec![Vec::new(); texts.len()];
        // Inference: no graph, so each intermediate result is freed as soon as it is read.
        let _no_graph = candle_core::no_grad();
        for chunk in order.chunks(batch_size.max(1)) {
            let rows: Vec<&TokenizedText> = chunk.iter().map(|&i| &texts[i]).collect();
            let batch = self.tokenizer.batch(&rows, &self.device)?;
            let logits = self.forward(&batch, None, false)?.logits;
            let probs = self.problem.outputs(&logits)?.to_dtype(DType::F32)?.to_vec2::<f32>()?;
            for (&i, p) in chunk.iter().zip(probs) {
                out[i] = p;
            }
        }
        Ok(out)
    }

    /// Class probabilities for texts, or text pairs when `pairs` is given.
    pub fn predict_inputs(
        &self,
        texts: &[String],
        pairs: Option<&[String]>,
        batch_size: usize,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let tokenized = self.tokenizer.tokenize_inputs(texts, pairs)?;
        self.predict_tokenized(&tokenized, batch_size)
    }

    /// Class probabilities for raw texts.
    pub fn predict(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>, ModelError> {
        let tokenized = self.tokenizer.tokenize(texts)?;
        self.predict_tokenized(&tokenized, batch_size)
    }

    /// Starts a new output layer's biases at these values (e.g. a regression at the mean of its
    /// targets). Does nothing when the head came from the checkpoint.
    pub fn start_output_bias_at(&self, values: &[f32]) -> Result<(), ModelError> {
        let name = format!("{}.bias", Head::output_layer(self.config.family));
        if !self.initialised.contains(&name) {
            return Ok(());
        }
        if let Some(var) = self.params.entries.get(&name).and_then(|p| p.var.as_ref()) {
            var.set(&Tensor::new(values, &self.device)?.to_dtype(var.dtype())?)?;
        }
        Ok(())
    }

    /// Writes a Hugging Face-compatible folder: config.json (with architectures, id2label,
    /// label2id), model.safetensors under transformers' names, and the tokenizer files.
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        self.save_with_thresholds(dir, &self.thresholds)
    }

    /// Saves with other decision thresholds than the model's (multi-label: tuned during training).
    pub fn save_with_thresholds(&self, dir: &Path, thresholds: &[f32]) -> Result<(), ModelError> {
        let folder = ModelFolder {
            config: &self.config.classifier_json(&self.labels, self.problem, thresholds),
            params: &self.params,
            tokenizer: &self.tokenizer,
            source_dir: self.source_dir.as_deref(),
        };
        folder.save(dir)
    }
}

/// The labels of the head to build, and whether the checkpoint's head weights can be kept: the
/// asked-for labels (kept when the checkpoint has the same labels on a head of the same kind), else
/// the checkpoint's own. None when neither names any.
pub(crate) fn head_labels(opts: &LoadOptions, config: &ModelConfig, same_head: bool) -> Option<(Vec<String>, bool)> {
    match (&opts.labels, &config.labels) {
        (Some(wanted), Some(had)) => Some((wanted.clone(), wanted == had && same_head)),
        (Some(wanted), None) => Some((wanted.clone(), false)),
        (None, Some(had)) => Some((had.clone(), true)),
        (None, None) => None,
    }
}

/// What a fine-tuned model folder is written from.
pub(crate) struct ModelFolder<'a> {
    pub config: &'a serde_json::Value,
    pub params: &'a ParamStore,
    pub tokenizer: &'a TextTokenizer,
    /// The folder the model was loaded from, whose tokenizer files are copied.
    pub source_dir: Option<&'a Path>,
}

impl ModelFolder<'_> {
    /// Writes config.json, model.safetensors and the tokenizer files.
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        let write_err =
            |path: &Path, e: std::io::Error| ModelError::Write { path: path.to_path_buf(), reason: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
        let config = serde_json::to_string_pretty(self.config)
            .map_err(|e| ModelError::Write { path: dir.join("config.json"), reason: e.to_string() })?;
        write_atomic(&dir.join("config.json"), config.as_bytes())
            .map_err(|e| write_err(&dir.join("config.json"), e))?;
        self.params.save(&dir.join("model.safetensors"))?;
        self.save_tokenizer(dir)
    }

    fn save_tokenizer(&self, dir: &Path) -> Result<(), ModelError> {
        const FILES: [&str; 4] = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"];
        let mut wrote_json = false;
        if let Some(src) = self.source_dir {
            for file in FILES {
                let from = src.join(file);
                if from.is_file() && src != dir {
                    std::fs::copy(&from, dir.join(file))
                        .map_err(|e| ModelError::Write { path: dir.join(file), reason: e.to_string() })?;
                }
                wrote_json |= file == "tokenizer.json" && from.is_file();
            }
        }
        if !wrote_json {
            let mut plain = self.tokenizer.inner().clone();
            let _ = plain.with_truncation(None);
            let path = dir.join("tokenizer.json");
            plain.save(&path, false).map_err(|e| ModelError::Write { path: path.clone(), reason: e.to_string() })?;
        }
        Ok(())
    }
}

/// Index of the largest value of each row of probabilities.
pub fn argmax_rows(probs: &[Vec<f32>]) -> Vec<usize> {
    probs.iter().map(|p| p.iter().enumerate().fold(0, |best, (i, &v)| if v > p[best] { i } else { best })).collect()
}

/// Cross-entropy of logits (batch, classes) against class indices, optionally weighted per class
/// (weights are normalised as PyTorch does: by the sum of the weights of the batch's targets).
pub fn cross_entropy(logits: &Tensor, targets: &Tensor, class_weights: Option<&Tensor>) -> candle_core::Result<Tensor> {
    let log_probs = log_softmax(logits)?;
    let picked = log_probs.gather(&targets.unsqueeze(1)?, 1)?.squeeze(1)?;
    match class_weights {
        None => picked.mean_all()?.neg(),
        Some(w) => {
            let wt = w.index_select(targets, 0)?;
            let total = wt.sum_all()?;
            (picked * &wt)?.sum_all()?.neg()?.div(&total)
        }
    }
}

fn log_softmax(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let shifted = x.broadcast_sub(&max)?;
    let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    shifted.broadcast_sub(&lse)
}

/// Writes a file by writing a temporary sibling, syncing it, and renaming it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
