//! The bundled sample: 500 SMS messages labeled ham or spam (SMS Spam Collection, CC BY 4.0; see
//! assets/sample/README.md), made into a project so a first-time user can try the whole loop.

use std::path::Path;

use crate::data::import::{import_bytes, sniff_bytes};
use crate::jobs::CancelToken;

use super::{create_from_import, CreateOptions, Project, ProjectError, SplitPlan};

const SAMPLE_NAME: &str = "sms_spam_sample.tsv";
const SAMPLE: &str = include_str!("../../assets/sample/sms_spam_sample.tsv");

/// Creates the sample project in `dir` (or opens it when it is already there).
pub fn create_sample_project(dir: &Path) -> Result<Project, ProjectError> {
    if dir.join(super::PROJECT_FILE).is_file() {
        return Project::open(dir);
    }
    let invalid = |e: String| ProjectError::Invalid(format!("the bundled sample cannot be read: {e}"));
    let sniffed = sniff_bytes(SAMPLE_NAME, SAMPLE.as_bytes(), 5).map_err(|e| invalid(e.to_string()))?;
    let spec = sniffed.suggest_spec();
    let imported = import_bytes(SAMPLE_NAME, SAMPLE.as_bytes(), &spec, &mut |_| {}, &CancelToken::new())
        .map_err(|e| invalid(e.to_string()))?;
    let opts = CreateOptions { name: "Sample: SMS spam".into(), seed: 42, split: SplitPlan::default() };
    let mut project = create_from_import(dir, vec![(imported, None)], &opts)?;
    project.meta.model = Some("sentence-transformers/all-MiniLM-L6-v2".into());
    project.save_meta()?;
    Ok(project)
}
