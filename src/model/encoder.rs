//! The BERT-family encoder: embeddings, then N layers of self-attention and feed-forward blocks.
//! It returns the last hidden states and, on request, every layer's attention probabilities; it
//! can start from word embeddings the caller supplies (integrated gradients needs that).

use candle_core::Tensor;

use super::kernels::{self, fused};
use super::layers::{attention_bias, dropout, masked_softmax, DropoutRng, LayerNorm, Linear};
use super::params::{Init, ParamBuilder};
use super::tokenizer::EncodedBatch;
use super::weights::LayerNames;
use super::{Activation, Family, ModelConfig, ModelError};

struct Embeddings {
    word: Tensor,
    position: Tensor,
    token_type: Option<Tensor>,
    norm: LayerNorm,
    /// ELECTRA projects small embeddings up to the hidden size.
    project: Option<Linear>,
    dropout: f64,
}

struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    norm: LayerNorm,
    heads: usize,
    head_dim: usize,
    dropout: f64,
    hidden_dropout: f64,
}

struct FeedForward {
    intermediate: Linear,
    output: Linear,
    norm: LayerNorm,
    activation: Activation,
    dropout: f64,
}

struct EncoderLayer {
    attention: Attention,
    feed_forward: FeedForward,
}

pub struct Encoder {
    embeddings: Embeddings,
    layers: Vec<EncoderLayer>,
}

/// What the caller reads of a forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Every position's last hidden state.
    AllTokens,
    /// Every position's last hidden state and every layer's attention probabilities.
    AllTokensAndAttention,
    /// Only the first position's last hidden state (a sequence classifier's [CLS] token): the
    /// last layer computes its query, attention output and feed-forward block for that position
    /// alone (keys and values still come from every position), about 14 % of MiniLM-L6's
    /// linear-layer products (10 of the last layer's 12 h²-sized parts). `hidden` then has one
    /// position.
    FirstToken,
}

/// What a forward pass produced.
pub struct EncoderOutput {
    /// (batch, seq, hidden); (batch, 1, hidden) for [`Needs::FirstToken`].
    pub hidden: Tensor,
    /// Per layer, (batch, heads, seq, seq) attention probabilities, when asked for.
    pub attentions: Vec<Tensor>,
}

impl Encoder {
    pub fn build(cfg: &ModelConfig, b: &mut ParamBuilder) -> Result<Self, ModelError> {
        let p = cfg.family.prefix();
        let std = cfg.initializer_range;
        let (e, h) = (cfg.embedding_size, cfg.hidden_size);
        let token_type = if cfg.type_vocab_size > 0 {
            Some(b.take(
                &format!("{p}.embeddings.token_type_embeddings.weight"),
                &[cfg.type_vocab_size, e],
                Init::Normal(std),
            )?)
        } else {
            None
        };
        let project = if cfg.family == Family::Electra && e != h {
            Some(b.linear(&format!("{p}.embeddings_project"), e, h, std)?)
        } else {
            None
        };
        let embeddings = Embeddings {
            word: b.take(&format!("{p}.embeddings.word_embeddings.weight"), &[cfg.vocab_size, e], Init::Normal(std))?,
            position: b.take(
                &format!("{p}.embeddings.position_embeddings.weight"),
                &[cfg.max_positions, e],
                Init::Normal(std),
            )?,
            token_type,
            norm: b.layer_norm(&format!("{p}.embeddings.LayerNorm"), e, cfg.layer_norm_eps)?,
            project,
            dropout: cfg.hidden_dropout,
        };
        let mut layers = Vec::with_capacity(cfg.num_layers);
        for i in 0..cfg.num_layers {
            let n = LayerNames::new(cfg.family, i);
            let attention = Attention {
                query: b.linear(&n.query, h, h, std)?,
                key: b.linear(&n.key, h, h, std)?,
                value: b.linear(&n.value, h, h, std)?,
                output: b.linear(&n.attention_out, h, h, std)?,
                norm: b.layer_norm(&n.attention_norm, h, cfg.layer_norm_eps)?,
                heads: cfg.num_heads,
                head_dim: cfg.head_dim(),
                dropout: cfg.attention_dropout,
                hidden_dropout: cfg.hidden_dropout,
            };
            let feed_forward = FeedForward {
                intermediate: b.linear(&n.intermediate, h, cfg.intermediate_size, std)?,
                output: b.linear(&n.output, cfg.intermediate_size, h, std)?,
                norm: b.layer_norm(&n.output_norm, h, cfg.layer_norm_eps)?,
                activation: cfg.activation,
                dropout: cfg.hidden_dropout,
            };
            layers.push(EncoderLayer { attention, feed_forward });
        }
        Ok(Self { embeddings, layers })
    }

    /// The word-embedding rows of a batch's token ids: (batch, seq, embedding).
    pub fn word_embeddings(&self, batch: &EncodedBatch) -> candle_core::Result<Tensor> {
        lookup(&self.embeddings.word, &batch.input_ids)
    }

    /// Runs the encoder on token ids.
    pub fn forward(
        &self,
        batch: &EncodedBatch,
        rng: Option<&mut DropoutRng>,
        needs: Needs,
    ) -> candle_core::Result<EncoderOutput> {
        let words = self.word_embeddings(batch)?;
        self.forward_from_word_embeddings(&words, batch, rng, needs)
    }

    /// Runs the encoder on given word embeddings (position and token-type embeddings are added here).
    pub fn forward_from_word_embeddings(
        &self,
        words: &Tensor,
        batch: &EncodedBatch,
        mut rng: Option<&mut DropoutRng>,
        needs: Needs,
    ) -> candle_core::Result<EncoderOutput> {
        let emb = &self.embeddings;
        let positions = lookup(&emb.position, &batch.position_ids)?;
        let mut x = words.broadcast_add(&positions)?;
        if let Some(types) = &emb.token_type {
            x = x.add(&lookup(types, &batch.token_type_ids)?)?;
        }
        x = emb.norm.forward(&x)?;
        x = dropout(&x, emb.dropout, &mut rng)?;
        if let Some(project) = &emb.project {
            x = project.forward(&x)?;
        }
        let bias = attention_bias(&batch.attention_mask)?;
        let mut attentions = Vec::new();
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            let first_only = needs == Needs::FirstToken && i == last;
            let keep_probs = needs == Needs::AllTokensAndAttention;
            let (attended, probs) = layer.attention.forward(&x, &bias, first_only, keep_probs, &mut rng)?;
            attentions.extend(probs);
            x = layer.feed_forward.forward(&attended, &mut rng)?;
        }
        Ok(EncoderOutput { hidden: x, attentions })
    }
}

impl Attention {
    /// Returns the block's output and, with `keep_probs`, its attention probabilities (batch,
    /// heads, queries, seq). With `first_only` the queries (and the output) are the first
    /// position alone.
    fn forward(
        &self,
        x: &Tensor,
        bias: &Tensor,
        first_only: bool,
        keep_probs: bool,
        rng: &mut Option<&mut DropoutRng>,
    ) -> candle_core::Result<(Tensor, Option<Tensor>)> {
        let queries_from = if first_only { x.narrow(1, 0, 1)?.contiguous()? } else { x.clone() };
        let q = self.query.forward(&queries_from)?;
        let k = self.key.forward(x)?;
        let v = self.value.forward(x)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        // Inference: one pass per sequence, without the heads' copies or the scores in memory.
        let inference = rng.is_none() && !keep_probs && ![&q, &k, &v].iter().any(|t| t.track_op());
        let (context, probs) = if inference && fused(&q) && kernels::one_pass_attention() {
            (kernels::attention_context(&q, &k, &v, bias, self.heads, scale)?, None)
        } else {
            let (context, probs) = self.general(&q, &k, &v, bias, scale, rng)?;
            (context, Some(probs))
        };
        let out = self.output.forward_residual(&context, &queries_from, self.hidden_dropout, rng)?;
        Ok((self.norm.forward(&out)?, probs))
    }

    /// The attention's core from differentiable ops: heads split out, scores, masked softmax,
    /// dropout, context, heads merged back. Returns the context (batch, queries, hidden) and
    /// the probabilities (batch, heads, queries, seq).
    fn general(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        bias: &Tensor,
        scale: f64,
        rng: &mut Option<&mut DropoutRng>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (batch, queries, hidden) = q.dims3()?;
        let split = |t: &Tensor| -> candle_core::Result<Tensor> {
            let len = t.dim(1)?;
            t.reshape((batch, len, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
        };
        let (q, k, v) = (split(q)?, split(k)?, split(v)?);
        let scores = if fused(&q) { kernels::batched_product_transposed(&q, &k)? } else { q.matmul(&k.t()?)? };
        let probs = masked_softmax(&scores, bias, scale)?;
        let dropped = dropout(&probs, self.dropout, rng)?;
        let context = if fused(&dropped) { kernels::batched_product(&dropped, &v)? } else { dropped.matmul(&v)? };
        Ok((context.transpose(1, 2)?.reshape((batch, queries, hidden))?, probs))
    }
}

impl FeedForward {
    fn forward(&self, x: &Tensor, rng: &mut Option<&mut DropoutRng>) -> candle_core::Result<Tensor> {
        let h = self.intermediate.forward_activated(x, self.activation)?;
        let out = self.output.forward_residual(&h, x, self.dropout, rng)?;
        self.norm.forward(&out)
    }
}

/// Rows of an embedding table for (batch, seq) ids: (batch, seq, width).
fn lookup(table: &Tensor, ids: &Tensor) -> candle_core::Result<Tensor> {
    let (rows, seq) = ids.dims2()?;
    let width = table.dim(1)?;
    let flat = ids.flatten_all()?;
    let out = if fused(table) { kernels::embedding(table, &flat)? } else { table.index_select(&flat, 0)? };
    out.reshape((rows, seq, width))
}
