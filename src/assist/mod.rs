//! The model as the analyst's co-worker: suggestions for unlabeled examples (with how unsure the
//! model is; for tagged sentences, the tags of every word), the "Label next" queue that serves the least certain examples first, retraining in
//! the loop, likely label errors found with out-of-fold probabilities, and the learning curve.
//! Plain functions with progress callbacks and cancel tokens; the app runs them on worker
//! threads and the CLI in the foreground.

mod curve;
mod error;
mod features;
mod predictions;
mod probe;
mod queue;
mod retrain;
mod suspects;
mod tag_suggestions;

pub use curve::{learning_curve, CurveEvent, CurvePoint, LearningCurve, CURVE_FILE, DEFAULT_FRACTIONS};
pub use error::AssistError;
pub use features::sentence_features;
pub use predictions::{
    load_predictions, predict_inputs, predict_project, predict_texts, predictions_from_probabilities, project_inputs,
    save_predictions, suggesting_run, PREDICTIONS_FILE,
};
pub use probe::LinearProbe;
pub use queue::{rank_queue, QueueSession, Strategy, QUEUE_FILE};
pub use retrain::{curve_train_job, loop_train_job};
pub use suspects::{
    confident_learning, find_suspects, out_of_fold_probabilities, Suspect, SuspectInput, SuspectOptions,
    SuspectProgress, SuspectReport, SUSPECTS_FILE,
};
pub use tag_suggestions::{
    load_tag_suggestions, project_sentences, save_tag_suggestions, suggest_tags, TAG_SUGGESTIONS_FILE,
};
