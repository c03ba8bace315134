//! Attention maps of one text: the probabilities of every layer and head, their mean over heads,
//! and attention rollout (Abnar & Zuidema 2020): per layer, average the heads, add the residual
//! (0.5·A + 0.5·I), renormalise the rows, and multiply the layers together.

use candle_core::{Tensor, D};
use serde::{Deserialize, Serialize};

use super::ExplainError;
use crate::model::SequenceClassifier;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttentionMaps {
    pub tokens: Vec<String>,
    pub layers: usize,
    pub heads: usize,
    /// [layer][head][from token][to token]
    pub matrices: Vec<Vec<Vec<Vec<f32>>>>,
    /// [layer][from][to], the mean over heads.
    pub mean_over_heads: Vec<Vec<Vec<f32>>>,
    /// [from][to], attention rollout through all layers.
    pub rollout: Vec<Vec<f32>>,
}

pub fn attention_maps(model: &SequenceClassifier, text: &str) -> Result<AttentionMaps, ExplainError> {
    let encoding = model.tokenizer.encode_words(text)?;
    let batch = model.tokenizer.batch(&[&encoding.tokenized], &model.device)?;
    let out = {
        // A forward pass only: no graph, so intermediate results are freed as soon as they are read.
        let _no_graph = candle_core::no_grad();
        model.forward(&batch, None, true)?
    };
    let n = encoding.tokens.len();
    let eye = Tensor::eye(n, candle_core::DType::F32, &model.device)?;
    let mut rollout = eye.clone();
    let mut matrices = Vec::with_capacity(out.attentions.len());
    let mut means = Vec::with_capacity(out.attentions.len());
    for att in &out.attentions {
        let att = att.squeeze(0)?; // (heads, n, n)
        let mean = att.mean(0)?;
        let mixed = ((&mean * 0.5)? + (&eye * 0.5)?)?;
        let mixed = mixed.broadcast_div(&mixed.sum_keepdim(D::Minus1)?)?;
        rollout = mixed.matmul(&rollout)?;
        matrices.push(att.to_vec3::<f32>()?);
        means.push(mean.to_vec2::<f32>()?);
    }
    let heads = matrices.first().map_or(0, |m| m.len());
    Ok(AttentionMaps {
        tokens: encoding.tokens,
        layers: matrices.len(),
        heads,
        matrices,
        mean_over_heads: means,
        rollout: rollout.to_vec2::<f32>()?,
    })
}
