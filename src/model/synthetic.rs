//! Small random models made on the spot: tiny model folders for fast tests, and random-weight
//! models of a real shape (MiniLM, BERT-base) for speed benchmarks. Nothing here is downloaded.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::classifier::{write_atomic, LoadOptions, SequenceClassifier};
use super::tokenizer::{bert_wordpiece, TextTokenizer};
use super::weights::Checkpoint;
use super::{Family, ModelConfig, ModelError};

/// The special tokens every synthetic vocabulary starts with, in id order.
pub const SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// A config.json for a tiny model of the given family (2 layers, hidden 32, 4 heads).
pub fn tiny_config(family: Family, vocab_size: usize) -> serde_json::Value {
    match family {
        Family::DistilBert => json!({
            "model_type": "distilbert", "architectures": ["DistilBertModel"], "vocab_size": vocab_size,
            "dim": 32, "n_layers": 2, "n_heads": 4, "hidden_dim": 64, "activation": "gelu",
            "dropout": 0.1, "attention_dropout": 0.1, "max_position_embeddings": 64, "pad_token_id": 0,
            "initializer_range": 0.02
        }),
        _ => {
            let (model_type, arch) = match family {
                Family::Roberta => ("roberta", "RobertaModel"),
                Family::Electra => ("electra", "ElectraModel"),
                _ => ("bert", "BertModel"),
            };
            let mut cfg = json!({
                "model_type": model_type, "architectures": [arch], "vocab_size": vocab_size,
                "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                "intermediate_size": 64, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 66,
                "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
                "initializer_range": 0.02
            });
            if family == Family::Electra {
                cfg["embedding_size"] = json!(16);
            }
            cfg
        }
    }
}

/// The config of all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads) or BERT-base (12, 768, 12).
pub fn shape_config(shape: &str) -> Option<serde_json::Value> {
    let (layers, hidden, heads, inter) = match shape {
        "minilm" | "minilm-l6" => (6, 384, 12, 1536),
        "bert-base" => (12, 768, 12, 3072),
        _ => return None,
    };
    Some(json!({
        "model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522,
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "intermediate_size": inter, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "pad_token_id": 0, "initializer_range": 0.02
    }))
}

fn vocab_of(words: &[&str]) -> HashMap<String, u32> {
    SPECIAL_TOKENS.iter().chain(words.iter()).enumerate().map(|(i, w)| (w.to_string(), i as u32)).collect()
}

/// A classifier with random weights for a config, and a tokenizer over `words` (the vocabulary
/// size in the config may be larger than the word list; benchmarks feed random ids).
pub fn random_classifier(
    config: &serde_json::Value,
    words: &[&str],
    labels: Vec<String>,
    opts: &LoadOptions,
) -> Result<SequenceClassifier, ModelError> {
    let bad = |reason: String| ModelError::BadConfig { path: "(generated)".into(), reason };
    let cfg = ModelConfig::from_json_str(&config.to_string()).map_err(bad)?;
    let tokenizer = bert_wordpiece(vocab_of(words), true).map_err(bad)?;
    let tokenizer = TextTokenizer::new(tokenizer, cfg.family, cfg.pad_token_id, opts.max_len)?;
    let opts = LoadOptions { labels: Some(labels.clone()), ..opts.clone() };
    SequenceClassifier::build(cfg, tokenizer, Checkpoint::empty(), labels, false, &opts)
}

/// Writes a tiny random base model (config.json, model.safetensors, tokenizer.json) to `dir`.
pub fn write_tiny_model(dir: &Path, family: Family, words: &[&str], seed: u64) -> Result<(), ModelError> {
    let vocab = vocab_of(words);
    let config = tiny_config(family, vocab.len());
    let opts = LoadOptions { seed, ..LoadOptions::default() };
    let model = random_classifier(&config, words, vec!["0".into(), "1".into()], &opts)?;
    let write_err = |e: String| ModelError::Write { path: dir.to_path_buf(), reason: e };
    std::fs::create_dir_all(dir).map_err(|e| write_err(e.to_string()))?;
    let text = serde_json::to_string_pretty(&config).map_err(|e| write_err(e.to_string()))?;
    write_atomic(&dir.join("config.json"), text.as_bytes()).map_err(|e| write_err(e.to_string()))?;
    model.params.save(&dir.join("model.safetensors"))?;
    let tokenizer = bert_wordpiece(vocab, true).map_err(write_err)?;
    tokenizer.save(dir.join("tokenizer.json"), false).map_err(|e| write_err(e.to_string()))?;
    Ok(())
}
