//! Training and measuring models of texts (one label, several labels or a number each) and of
//! words (token classification): the settings, the loop (a plain function reporting events),
//! AdamW with its schedule, length-bucketed batches, evaluation and metrics (per class, per label,
//! of numbers, and per entity), the run folder's `run.json`, and the speed benchmark.

mod batches;
pub mod bench;
mod config;
mod entity_metrics;
mod error;
mod evaluate;
mod evaluate_targets;
mod loss_scale;
mod metrics;
mod multi_label_metrics;
mod optimizer;
mod problem_data;
mod regression_metrics;
mod run;
mod run_info;
mod run_loop;
mod tagged_text;
mod token_eval;
mod token_run;

pub use config::{default_learning_rate, TrainConfig};
pub use entity_metrics::{entities, EntityMetrics, EntityScores};
pub use error::TrainError;
pub use evaluate::{evaluate, evaluate_tokenized, label_indices, Evaluation};
pub use evaluate_targets::{
    evaluate_label_sets_tokenized, evaluate_scores_tokenized, evaluate_texts, label_set_indicators, LabelSetEvaluation,
    ScoreEvaluation, TextEvaluation,
};
pub use loss_scale::{LossScale, GROWTH_INTERVAL, INITIAL_SCALE};
pub use metrics::{ClassScores, ClassificationMetrics};
pub use multi_label_metrics::{apply_thresholds, tune_thresholds, LabelCounts, MultiLabelMetrics};
pub use optimizer::{learning_rate, AdamW, StepReport};
pub use problem_data::{guess_problem, targets_for, DEFAULT_LABEL_SEPARATOR};
pub use regression_metrics::RegressionMetrics;
pub use run::{train, RunSummary, TrainEvent, TrainJob, MULTI_LABEL_CLASSIFICATION, REGRESSION};
pub use run_info::{DatasetInfo, EvalRecord, RegressionScores, RunInfo};
pub use tagged_text::{tag_texts, FoundEntity, TaggedText};
pub use token_eval::{evaluate_tagged, evaluate_tagged_tokenized, TokenEvaluation};
pub use token_run::{train_token_classifier, TokenTrainJob, TOKEN_CLASSIFICATION};
