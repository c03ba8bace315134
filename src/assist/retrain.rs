//! Training jobs built from a project. In the labeling loop, the next model is warm-started from
//! the project's model (its run folder) when there is one, with that run's settings, so it lands
//! quickly and the queue can re-rank. The learning curve starts every point from the base model
//! (a warm start would leak labels the smaller subsets must not see). The labels are copied when
//! a job is built: labels made while it trains stay in the project and count for the next one.

use std::path::PathBuf;

use crate::model::{resolve_model, ModelConfig};
use crate::project::{project_training_data, Project};
use crate::train::{default_learning_rate, RunInfo, TrainConfig, TrainJob};

use super::AssistError;

/// The project's chosen run folder, when it holds a model.
fn chosen_run(project: &Project) -> Option<PathBuf> {
    project
        .meta
        .run
        .as_ref()
        .map(|r| project.runs_dir().join(r))
        .filter(|dir| dir.join("model.safetensors").is_file() && dir.join("config.json").is_file())
}

/// The base model of the project, resolved to a folder.
fn base_model(project: &Project) -> Result<(String, PathBuf), AssistError> {
    let Some(model) = project.meta.model.clone() else {
        return Err(AssistError::no_base_model());
    };
    let dir = resolve_model(&model)?;
    Ok((model, dir))
}

/// The settings of the project's chosen run, or the defaults for the model in `model_dir`.
fn project_config(project: &Project, model_dir: &std::path::Path) -> Result<TrainConfig, AssistError> {
    if let Some(info) = chosen_run(project).and_then(|dir| RunInfo::read(&dir)) {
        return Ok(info.config);
    }
    let hidden = ModelConfig::load(model_dir)?.hidden_size;
    Ok(TrainConfig { learning_rate: default_learning_rate(hidden), ..TrainConfig::default() })
}

/// A training job for the next model of the labeling loop.
pub fn loop_train_job(project: &Project) -> Result<TrainJob, AssistError> {
    AssistError::require_one_label_per_text(project.meta.task)?;
    let (train, valid) = project_training_data(project)?;
    let (base_model, model_dir) = match chosen_run(project) {
        Some(dir) => (dir.display().to_string(), dir),
        None => base_model(project)?,
    };
    let config = project_config(project, &model_dir)?;
    Ok(TrainJob { base_model, model_dir, train, valid, out_dir: project.new_run_dir_marked("-loop"), config })
}

/// The template job of a learning curve: the base model, the project's labels and settings.
pub fn curve_train_job(project: &Project) -> Result<TrainJob, AssistError> {
    AssistError::require_one_label_per_text(project.meta.task)?;
    let (train, valid) = project_training_data(project)?;
    let (base_model, model_dir) = base_model(project)?;
    let config = project_config(project, &model_dir)?;
    let out_dir = project.dir().join("curves").join(format!("curve-{}", crate::project::now_ms() / 1000));
    Ok(TrainJob { base_model, model_dir, train, valid, out_dir, config })
}
