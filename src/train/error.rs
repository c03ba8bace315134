//! What can stop a training run or an evaluation, in words an analyst can act on.

use crate::data::DataError;
use crate::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("the training settings are not usable: {0}")]
    Settings(String),
    #[error(
        "the data has labels the model was not trained on: {unknown}; the model knows: {known}. \
         Evaluate with data of the same labels"
    )]
    UnknownLabels { unknown: String, known: String },
    #[error("training was cancelled; the best checkpoint so far (if any) is in the output folder")]
    Cancelled,
    #[error("training diverged (the loss became {0}); try a smaller learning rate")]
    Diverged(f32),
    #[error("could not write the run folder: {0}")]
    Write(String),
}

impl From<candle_core::Error> for TrainError {
    fn from(e: candle_core::Error) -> Self {
        TrainError::Model(ModelError::Compute(e))
    }
}
