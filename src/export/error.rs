//! What can go wrong in an export, in words an analyst can act on.

use std::path::PathBuf;

use crate::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Model(#[from] ModelError),
    #[error(
        "the run folder has no trained classifier head ({missing} is missing), so there is nothing \
         to export; train the model again — {dir}"
    )]
    MissingHead { missing: String, dir: PathBuf },
    #[error(
        "could not write the export ({reason}); free some disk space or pick another place — {path}. \
         An earlier export at that place, if any, is unchanged"
    )]
    Write { path: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the export was cancelled; a file it had already written is kept, but it was not verified")]
    Cancelled,
}
