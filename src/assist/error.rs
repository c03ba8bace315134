//! What can stop suggestions, the labeling queue, the suspects search or a learning curve, in
//! words an analyst can act on.

use crate::model::ModelError;
use crate::project::ProjectError;
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

impl From<candle_core::Error> for AssistError {
    fn from(e: candle_core::Error) -> Self {
        AssistError::Model(ModelError::Compute(e))
    }
}
