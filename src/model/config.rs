//! The model's `config.json`: which BERT-family architecture it is, its dimensions, and the
//! label names of a fine-tuned classifier. The raw JSON is kept so that a saved run keeps every
//! field the base model had, with ours (architectures, id2label, label2id) added.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::problem::{thresholds_from_json, thresholds_json, Problem};
use super::ModelError;

/// Where config.json keeps a multi-label model's decision thresholds.
const THRESHOLDS_KEY: &str = "attune_label_thresholds";

/// The encoder families we implement. Each has its own weight names and classification head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// BERT and MiniLM (`model_type` "bert").
    Bert,
    /// RoBERTa, XLM-RoBERTa and CamemBERT: BERT layers, offset positions, no pooler.
    Roberta,
    /// DistilBERT: six BERT-like layers with their own names, no token types.
    DistilBert,
    /// ELECTRA discriminators: BERT layers, embeddings may be smaller than the hidden size.
    Electra,
}

impl Family {
    /// The prefix transformers puts before the encoder's weights in a `…ForSequenceClassification`.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Bert => "bert",
            Family::Roberta => "roberta",
            Family::DistilBert => "distilbert",
            Family::Electra => "electra",
        }
    }

    pub fn classification_architecture(self, model_type: &str) -> String {
        let base = match (self, model_type) {
            (Family::Roberta, "xlm-roberta") => "XLMRoberta",
            (Family::Roberta, "camembert") => "Camembert",
            (Family::Roberta, _) => "Roberta",
            (Family::Bert, _) => "Bert",
            (Family::DistilBert, _) => "DistilBert",
            (Family::Electra, _) => "Electra",
        };
        format!("{base}ForSequenceClassification")
    }

    /// The transformers class of a token classifier (one label per token) of this family.
    pub fn token_classification_architecture(self, model_type: &str) -> String {
        self.classification_architecture(model_type).replace("ForSequenceClassification", "ForTokenClassification")
    }
}

/// The activation a config names in `hidden_act` / `activation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// The exact GELU with erf, as transformers' "gelu".
    Gelu,
    /// The tanh approximation ("gelu_new", "gelu_pytorch_tanh", "gelu_fast").
    GeluTanh,
    Relu,
    Silu,
}

#[derive(Deserialize, Default)]
struct RawConfig {
    model_type: Option<String>,
    architectures: Option<Vec<String>>,
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    intermediate_size: Option<usize>,
    hidden_act: Option<String>,
    hidden_dropout_prob: Option<f64>,
    attention_probs_dropout_prob: Option<f64>,
    max_position_embeddings: Option<usize>,
    type_vocab_size: Option<usize>,
    layer_norm_eps: Option<f64>,
    pad_token_id: Option<u32>,
    embedding_size: Option<usize>,
    initializer_range: Option<f64>,
    classifier_dropout: Option<f64>,
    position_embedding_type: Option<String>,
    id2label: Option<BTreeMap<String, String>>,
    problem_type: Option<String>,
    // DistilBERT spells these its own way.
    dim: Option<usize>,
    n_layers: Option<usize>,
    n_heads: Option<usize>,
    hidden_dim: Option<usize>,
    activation: Option<String>,
    dropout: Option<f64>,
    attention_dropout: Option<f64>,
    seq_classif_dropout: Option<f64>,
    sinusoidal_pos_embds: Option<bool>,
}

/// Everything the encoder and heads need from `config.json`, normalised across families.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub family: Family,
    pub model_type: String,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub embedding_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub intermediate_size: usize,
    pub activation: Activation,
    pub hidden_dropout: f64,
    pub attention_dropout: f64,
    pub classifier_dropout: f64,
    pub max_positions: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub pad_token_id: u32,
    pub initializer_range: f64,
    /// Label names by class index, when the checkpoint is already a classifier.
    pub labels: Option<Vec<String>>,
    /// Whether the checkpoint is a token classifier (`…ForTokenClassification`: a tag per token).
    pub token_classifier: bool,
    /// What a sequence classifier's outputs mean (`problem_type`; one label per text when absent).
    pub problem: Problem,
    /// The file as read, to write back with our fields added.
    pub raw: Value,
}

impl ModelConfig {
    /// Reads and checks `config.json` in a model folder.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|_| ModelError::MissingFile { file: "config.json", dir: dir.to_path_buf() })?;
        Self::from_json_str(&text).map_err(|reason| ModelError::BadConfig { path, reason })
    }

    pub fn from_json_str(text: &str) -> Result<Self, String> {
        let raw: Value = serde_json::from_str(text).map_err(|e| format!("it is not valid JSON ({e})"))?;
        let cfg: RawConfig =
            serde_json::from_value(raw.clone()).map_err(|e| format!("a field has the wrong type ({e})"))?;
        let model_type = cfg.model_type.clone().unwrap_or_default();
        let family = match model_type.as_str() {
            "bert" => Family::Bert,
            "roberta" | "xlm-roberta" | "camembert" => Family::Roberta,
            "distilbert" => Family::DistilBert,
            "electra" => Family::Electra,
            "" => return Err("it has no \"model_type\", so the architecture is unknown".into()),
            other => {
                return Err(format!(
                    "its architecture \"{other}\" is not supported; Attune reads BERT, MiniLM, RoBERTa, \
                     XLM-RoBERTa, DistilBERT and ELECTRA models"
                ))
            }
        };
        if cfg.position_embedding_type.as_deref().is_some_and(|p| p != "absolute") {
            return Err("only absolute position embeddings are supported".into());
        }
        if cfg.sinusoidal_pos_embds == Some(true) {
            return Err("sinusoidal position embeddings are not supported".into());
        }
        let need = |v: Option<usize>, name: &str| v.ok_or_else(|| format!("it has no \"{name}\""));
        let distil = family == Family::DistilBert;
        let hidden_size = if distil { need(cfg.dim, "dim")? } else { need(cfg.hidden_size, "hidden_size")? };
        let num_layers =
            if distil { need(cfg.n_layers, "n_layers")? } else { need(cfg.num_hidden_layers, "num_hidden_layers")? };
        let num_heads =
            if distil { need(cfg.n_heads, "n_heads")? } else { need(cfg.num_attention_heads, "num_attention_heads")? };
        let intermediate_size = if distil {
            need(cfg.hidden_dim, "hidden_dim")?
        } else {
            need(cfg.intermediate_size, "intermediate_size")?
        };
        if num_heads == 0 || hidden_size % num_heads != 0 {
            return Err(format!("hidden size {hidden_size} does not split into {num_heads} attention heads"));
        }
        let act_name = if distil { cfg.activation.clone() } else { cfg.hidden_act.clone() };
        let activation = match act_name.as_deref().unwrap_or("gelu") {
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            "silu" | "swish" => Activation::Silu,
            other => return Err(format!("the activation \"{other}\" is not supported")),
        };
        let hidden_dropout = if distil { cfg.dropout } else { cfg.hidden_dropout_prob }.unwrap_or(0.1);
        let attention_dropout =
            if distil { cfg.attention_dropout } else { cfg.attention_probs_dropout_prob }.unwrap_or(0.1);
        let classifier_dropout =
            if distil { cfg.seq_classif_dropout } else { cfg.classifier_dropout }.unwrap_or(hidden_dropout);
        let labels = cfg.id2label.as_ref().map(labels_from_id2label).transpose()?;
        let problem = match cfg.problem_type.as_deref() {
            None => Problem::SingleLabel,
            Some(name) => Problem::from_problem_type(name).ok_or_else(|| {
                format!(
                    "its problem_type \"{name}\" is unknown (regression, single_label_classification or \
                     multi_label_classification)"
                )
            })?,
        };
        Ok(Self {
            family,
            vocab_size: need(cfg.vocab_size, "vocab_size")?,
            embedding_size: cfg.embedding_size.unwrap_or(hidden_size),
            hidden_size,
            num_layers,
            num_heads,
            intermediate_size,
            activation,
            hidden_dropout,
            attention_dropout,
            classifier_dropout,
            max_positions: cfg.max_position_embeddings.unwrap_or(512),
            type_vocab_size: if distil { 0 } else { cfg.type_vocab_size.unwrap_or(2) },
            layer_norm_eps: if distil { 1e-12 } else { cfg.layer_norm_eps.unwrap_or(1e-12) },
            pad_token_id: cfg.pad_token_id.unwrap_or(if family == Family::Roberta { 1 } else { 0 }),
            initializer_range: cfg.initializer_range.unwrap_or(0.02),
            labels: labels.filter(|_| is_classifier(&cfg) || is_token_classifier(&cfg)),
            token_classifier: is_token_classifier(&cfg),
            problem,
            model_type,
            raw,
        })
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_heads
    }

    /// The config.json of a fine-tuned classifier with these labels, as transformers writes it.
    /// Multi-label models keep their tuned decision thresholds (label → threshold) in
    /// `attune_label_thresholds`, which transformers keeps as a plain attribute.
    pub fn classifier_json(&self, labels: &[String], problem: Problem, thresholds: &[f32]) -> Value {
        let mut raw = self.with_labels(labels, self.family.classification_architecture(&self.model_type));
        if let Value::Object(map) = &mut raw {
            map.insert("problem_type".into(), Value::from(problem.problem_type()));
            if problem == Problem::MultiLabel {
                map.insert(THRESHOLDS_KEY.into(), thresholds_json(labels, thresholds));
            }
        }
        raw
    }

    /// The decision thresholds saved with a multi-label model (the default for labels without one).
    pub fn label_thresholds(&self, labels: &[String]) -> Vec<f32> {
        thresholds_from_json(labels, self.raw.get(THRESHOLDS_KEY))
    }

    /// The config.json of a fine-tuned token classifier with these tags.
    pub fn token_classifier_json(&self, tags: &[String]) -> Value {
        self.with_labels(tags, self.family.token_classification_architecture(&self.model_type))
    }

    fn with_labels(&self, labels: &[String], architecture: String) -> Value {
        let mut raw = self.raw.clone();
        if let Value::Object(map) = &mut raw {
            let id2label: serde_json::Map<String, Value> =
                labels.iter().enumerate().map(|(i, l)| (i.to_string(), Value::from(l.clone()))).collect();
            let label2id: serde_json::Map<String, Value> =
                labels.iter().enumerate().map(|(i, l)| (l.clone(), Value::from(i))).collect();
            map.insert("architectures".into(), Value::from(vec![architecture]));
            map.insert("id2label".into(), Value::Object(id2label));
            map.insert("label2id".into(), Value::Object(label2id));
            map.remove("problem_type");
            map.remove(THRESHOLDS_KEY);
            map.remove("_name_or_path");
        }
        raw
    }
}

fn is_classifier(cfg: &RawConfig) -> bool {
    cfg.architectures.as_ref().is_some_and(|a| a.iter().any(|name| name.ends_with("ForSequenceClassification")))
}

fn is_token_classifier(cfg: &RawConfig) -> bool {
    cfg.architectures.as_ref().is_some_and(|a| a.iter().any(|name| name.ends_with("ForTokenClassification")))
}

fn labels_from_id2label(map: &BTreeMap<String, String>) -> Result<Vec<String>, String> {
    let mut pairs = Vec::with_capacity(map.len());
    for (id, label) in map {
        let id: usize = id.parse().map_err(|_| format!("id2label has a key \"{id}\" that is not a number"))?;
        pairs.push((id, label.clone()));
    }
    pairs.sort();
    if pairs.iter().enumerate().any(|(i, (id, _))| *id != i) {
        return Err("id2label must number its labels 0, 1, 2, … without gaps".into());
    }
    Ok(pairs.into_iter().map(|(_, l)| l).collect())
}
