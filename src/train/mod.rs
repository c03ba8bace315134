//! Training and measuring classifiers of texts and of words (token classification): the
//! settings, the loop (a plain function reporting events), AdamW with its schedule,
//! length-bucketed batches, evaluation and metrics (per class, and per entity for token
//! classification), the run folder's `run.json`, and the speed benchmark.

mod batches;
pub mod bench;
mod config;
mod entity_metrics;
mod error;
mod evaluate;
mod metrics;
mod optimizer;
mod run;
mod run_info;
mod run_loop;
mod token_eval;
mod token_run;

pub use config::{default_learning_rate, TrainConfig};
pub use entity_metrics::{entities, EntityMetrics, EntityScores};
pub use error::TrainError;
pub use evaluate::{evaluate, evaluate_tokenized, label_indices, Evaluation};
pub use metrics::{ClassScores, ClassificationMetrics};
pub use optimizer::{learning_rate, AdamW};
pub use run::{train, RunSummary, TrainEvent, TrainJob};
pub use run_info::{DatasetInfo, EvalRecord, RunInfo};
pub use token_eval::{evaluate_tagged, evaluate_tagged_tokenized, TokenEvaluation};
pub use token_run::{train_token_classifier, TokenTrainJob, TOKEN_CLASSIFICATION};
