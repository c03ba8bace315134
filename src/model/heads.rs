//! Sequence-classification heads, each as its architecture defines it in transformers, so that a
//! saved run loads there with `AutoModelForSequenceClassification` and gives the same logits.

use candle_core::{IndexOp, Tensor};

use super::layers::{activate, dropout, DropoutRng, Linear};
use super::params::ParamBuilder;
use super::{Activation, Family, ModelConfig, ModelError};

pub enum Head {
    /// BERT/MiniLM: pooler (dense + tanh on [CLS]), dropout, classifier.
    Pooled { pooler: Linear, classifier: Linear, dropout: f64 },
    /// RoBERTa and ELECTRA: dropout, dense, activation, dropout, out_proj on the first token.
    /// RoBERTa uses tanh between the two layers (`activation` None); ELECTRA its hidden activation.
    Projected { dense: Linear, out_proj: Linear, activation: Option<Activation>, dropout: f64 },
    /// DistilBERT: pre_classifier, ReLU, dropout, classifier.
    PreClassifier { pre: Linear, classifier: Linear, dropout: f64 },
}

impl Head {
    /// Builds the head. `reuse` keeps head weights from the checkpoint (same labels); otherwise a
    /// new classifier is initialised. The BERT pooler is kept from the base model when it has one.
    pub fn build(cfg: &ModelConfig, classes: usize, reuse: bool, b: &mut ParamBuilder) -> Result<Self, ModelError> {
        let (h, std, p) = (cfg.hidden_size, cfg.initializer_range, cfg.classifier_dropout);
        Ok(match cfg.family {
            Family::Bert => Head::Pooled {
                pooler: b.head_linear(&format!("{}.pooler.dense", cfg.family.prefix()), h, h, std, true)?,
                classifier: b.head_linear("classifier", h, classes, std, reuse)?,
                dropout: p,
            },
            Family::Roberta | Family::Electra => Head::Projected {
                dense: b.head_linear("classifier.dense", h, h, std, reuse)?,
                out_proj: b.head_linear("classifier.out_proj", h, classes, std, reuse)?,
                activation: (cfg.family == Family::Electra).then_some(cfg.activation),
                dropout: p,
            },
            Family::DistilBert => Head::PreClassifier {
                pre: b.head_linear("pre_classifier", h, h, std, reuse)?,
                classifier: b.head_linear("classifier", h, classes, std, reuse)?,
                dropout: p,
            },
        })
    }

    /// The name of the layer that gives the logits (its weight and bias are `NAME.weight`, `NAME.bias`).
    pub fn output_layer(family: Family) -> &'static str {
        match family {
            Family::Roberta | Family::Electra => "classifier.out_proj",
            Family::Bert | Family::DistilBert => "classifier",
        }
    }

    /// Logits (batch, classes) from the encoder's hidden states (batch, seq, hidden).
    pub fn forward(&self, hidden: &Tensor, mut rng: Option<&mut DropoutRng>) -> candle_core::Result<Tensor> {
        let first = hidden.i((.., 0))?;
        match self {
            Head::Pooled { pooler, classifier, dropout: p } => {
                let pooled = pooler.forward(&first)?.tanh()?;
                classifier.forward(&dropout(&pooled, *p, &mut rng)?)
            }
            Head::Projected { dense, out_proj, activation, dropout: p } => {
                let x = dropout(&first, *p, &mut rng)?;
                let x = dense.forward(&x)?;
                let x = match activation {
                    Some(a) => activate(&x, *a)?,
                    None => x.tanh()?,
                };
                out_proj.forward(&dropout(&x, *p, &mut rng)?)
            }
            Head::PreClassifier { pre, classifier, dropout: p } => {
                let x = pre.forward(&first)?.relu()?;
                classifier.forward(&dropout(&x, *p, &mut rng)?)
            }
        }
    }
}
