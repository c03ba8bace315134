//! Models: finding checkpoints in the local cache, reading `config.json`, tokenizing, and our own
//! trainable BERT-family encoder with its classification heads (one label per text, or a tag
//! per word).
//!
//! The encoder is written from differentiable candle ops (not `candle_transformers`), so that
//! training reaches every weight, dropout is real, attention probabilities can be captured per
//! layer and head, and the forward pass can start from input embeddings.

mod cache;
mod classifier;
mod config;
mod device;
#[cfg(feature = "download")]
mod download;
mod encoder;
mod error;
mod heads;
pub mod kernels;
mod layers;
mod params;
mod precision;
mod problem;
mod saved;
pub mod synthetic;
mod token_classifier;
mod tokenizer;
mod weights;

pub use cache::{cached_snapshot, describe, hub_cache_dir, list_models, resolve_model, CachedModel};
pub use classifier::{argmax_rows, cross_entropy, write_atomic, ClassifierOutput, LoadOptions, SequenceClassifier};
pub use config::{Activation, Family, ModelConfig};
pub use device::{available_devices, parse_device};
pub use encoder::{Encoder, EncoderOutput, Needs};
pub use error::ModelError;
pub use layers::DropoutRng;
pub use params::{Freeze, ParamStore};
pub use precision::Precision;
pub use problem::{
    binary_cross_entropy_with_logits, labels_above, mean_squared_error, predicted_number, sigmoid, Problem,
    DEFAULT_THRESHOLD,
};
pub use saved::{SavedModel, SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION};
pub use token_classifier::{TokenClassifier, WordProbabilities};
pub use tokenizer::{EncodedBatch, TextTokenizer, TokenizedText, TokenizedWords, WordEncoding};
pub use weights::Checkpoint;

/// Whether weight decay applies to the parameter of this name (not to biases and LayerNorm).
pub fn params_decay(name: &str) -> bool {
    params::Param::decays(name)
}
