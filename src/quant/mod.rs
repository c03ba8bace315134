//! Quantized models: the weight formats an export can use (`kind`), the int8 matrix kernels of
//! quantized inference (`int8`), and writing and reading GGUF files that hold a whole classifier
//! — weights, head, tokenizer and labels — so one file is enough to predict.

mod gguf_read;
mod gguf_write;
pub mod int8;
mod kind;

pub use gguf_read::{is_gguf_file, is_gguf_token_classifier, load_gguf_classifier, load_gguf_token_classifier};
pub use gguf_write::{write_gguf, write_through_temporary, GgufSummary};
pub use kind::{matrix_type, type_name, Quant};
