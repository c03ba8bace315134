//! The project's token classifier tagging every sentence: the tags it would give each word and
//! how sure it is of the sentence (its least sure word), computed on a worker thread in chunks
//! that can be cancelled, and kept next to the run (`runs/<run>/tag_suggestions.json`).

use std::path::Path;

use crate::jobs::CancelToken;
use crate::model::{write_atomic, LoadOptions, TokenClassifier};
use crate::project::{sentences_hash, Project, TagSuggestions};
use crate::train::RunInfo;

use super::AssistError;

/// File name of saved tag suggestions inside a run folder.
pub const TAG_SUGGESTIONS_FILE: &str = "tag_suggestions.json";
const CHUNK: usize = 256;

/// The words of every example of the project, in row order (None for rows that are not sentences).
pub fn project_sentences(project: &Project) -> Vec<Option<Vec<String>>> {
    (0..project.len()).map(|r| project.example(r).and_then(|e| e.tokens.clone())).collect()
}

/// Tags every sentence with the token classifier of `run_dir`, reporting (done, total).
pub fn suggest_tags(
    sentences: &[Option<Vec<String>>],
    run_dir: &Path,
    cancel: &CancelToken,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<TagSuggestions, AssistError> {
    let run = run_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let max_len = RunInfo::read(run_dir).map_or(256, |info| info.config.max_len);
    let model = TokenClassifier::load(run_dir, &LoadOptions { max_len, ..LoadOptions::default() })?;
    let mut out = TagSuggestions {
        run,
        tags: Vec::with_capacity(sentences.len()),
        confidence: Vec::with_capacity(sentences.len()),
        sentences_hash: sentences_hash(sentences),
    };
    for chunk in sentences.chunks(CHUNK) {
        if cancel.is_cancelled() {
            return Err(AssistError::Cancelled);
        }
        let words: Vec<Vec<String>> = chunk.iter().map(|s| s.clone().unwrap_or_default()).collect();
        let probabilities = model.predict_words(&words, 32)?;
        for (sentence, probs) in chunk.iter().zip(&probabilities) {
            let saw_all = !probs.is_empty() && probs.iter().all(Option::is_some);
            let sure = probs.iter().flatten().map(|p| p.iter().copied().fold(0.0f32, f32::max)).fold(1.0f32, f32::min);
            // A word the model did not see gets no tag (accepting keeps the word's own).
            let tags =
                model.tags_of(probs).into_iter().zip(probs).map(|(t, p)| if p.is_some() { t } else { String::new() });
            out.tags.push(sentence.as_ref().map(|_| tags.collect()));
            out.confidence.push(if sentence.is_some() && saw_all { sure } else { 0.0 });
        }
        on_progress(out.tags.len(), sentences.len());
    }
    Ok(out)
}

/// Saves tag suggestions into their run folder.
pub fn save_tag_suggestions(run_dir: &Path, suggestions: &TagSuggestions) -> Result<(), AssistError> {
    let path = run_dir.join(TAG_SUGGESTIONS_FILE);
    let bytes = serde_json::to_vec(suggestions)
        .map_err(|e| AssistError::Write { path: path.clone(), reason: e.to_string() })?;
    write_atomic(&path, &bytes).map_err(|e| AssistError::Write { path, reason: e.to_string() })
}

/// Saved tag suggestions of a run, when they were made for exactly these sentences.
pub fn load_tag_suggestions(run_dir: &Path, sentences: &[Option<Vec<String>>]) -> Option<TagSuggestions> {
    let bytes = std::fs::read(run_dir.join(TAG_SUGGESTIONS_FILE)).ok()?;
    let s: TagSuggestions = serde_json::from_slice(&bytes).ok()?;
    let fits = s.tags.len() == sentences.len() && s.confidence.len() == sentences.len();
    (fits && s.sentences_hash == sentences_hash(sentences)).then_some(s)
}
