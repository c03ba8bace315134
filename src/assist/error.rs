//! What can stop suggestions, the labeling queue, the suspects search or a learning curve, in
//! words an analyst can act on.

use crate::model::ModelError;
use crate::project::{ProjectError, Task};
use crate::train::TrainError;

#[derive(Debug, thiserror::Error)]
pub enum AssistError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("{0}")]
    NotReady(String),
    #[error("the work was cancelled; nothing in the project was changed")]
    Cancelled,
    #[error("could not write {path}: {reason}; check that the folder is writable and has free space")]
    Write { path: std::path::PathBuf, reason: String },
}

impl AssistError {
    /// Stops the assistants built on one label per text (suggestions, the labeling queue, the
    /// suspects search, the learning curve) on projects of another task.
    pub fn require_one_label_per_text(task: Task) -> Result<(), Self> {
        if task == Task::SingleLabel {
            return Ok(());
        }
        Err(AssistError::NotReady(format!(
            "suggestions, the label-next queue, the suspects search and the learning curve work on projects of \
             one label per text; this project's task is {}. Train and evaluate it in the Train and Evaluate panes \
             (or `attune train --project`, `attune eval`)",
            task.describe()
        )))
    }

    /// The project has no base model to start from.
    pub fn no_base_model() -> Self {
        AssistError::NotReady(
            "choose a base model for this project first: in the app's Models pane, or with --model when \
             creating it (`attune project new DIR --data FILE --model ID`)"
                .into(),
        )
    }
}

impl From<candle_core::Error> for AssistError {
    fn from(e: candle_core::Error) -> Self {
        AssistError::Model(ModelError::Compute(e))
    }
}
