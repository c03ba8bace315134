//! The project's token classifier as co-worker in the Label pane: it tags every sentence on a
//! worker thread (saved beside the run), the current sentence shows the suggested entities, and
//! Enter (or the button) accepts them, recorded as accepted from that run.

use super::super::shared::Shared;
use super::super::worker::{Job, DRAIN_BUDGET};
use super::LabelPane;
use crate::assist::{project_sentences, save_tag_suggestions, suggest_tags, suggesting_run};
use crate::project::TagSuggestions;
use crate::train::entities;

pub(super) enum TagEvent {
    Progress(usize, usize),
    Done(Result<TagSuggestions, String>),
}

/// A running tagging job and its progress.
#[derive(Default)]
pub(super) struct TagSuggesting {
    job: Option<Job<TagEvent>>,
    progress: Option<(usize, usize)>,
    /// The project the running job tags (its result is dropped if another one is open by then).
    project_dir: Option<std::path::PathBuf>,
}

impl LabelPane {
    pub(super) fn poll_tag_suggestions(&mut self, shared: &mut Shared) {
        let Some(job) = &mut self.tagging.job else { return };
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                TagEvent::Progress(done, total) => self.tagging.progress = Some((done, total)),
                TagEvent::Done(Ok(s)) => {
                    let same = |p: &crate::project::Project| {
                        Some(p.dir()) == self.tagging.project_dir.as_deref() && s.tags.len() == p.len()
                    };
                    if let Some(project) = shared.project.as_mut().filter(|p| same(p)) {
                        shared.notes.info(format!("Tags suggested by {} for every sentence", s.run));
                        project.tag_suggestions = Some(s);
                        shared.revision += 1;
                    }
                }
                TagEvent::Done(Err(e)) => shared.notes.error(e),
            }
        }
        if job.is_finished() {
            self.tagging = TagSuggesting::default();
        }
    }

    /// The bar above the table of a project of tagged sentences.
    pub(super) fn tag_suggestions_bar(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        let stale = match (&project.meta.run, &project.tag_suggestions) {
            (Some(run), Some(s)) => &s.run != run,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let (has_run, sentences) = (project.meta.run.is_some(), project.len());
        ui.horizontal(|ui| {
            if let Some(job) = &self.tagging.job {
                ui.spinner();
                let (done, total) = self.tagging.progress.unwrap_or((0, sentences));
                ui.label(format!("Tagging sentences with the project's model… {done}/{total}"));
                if ui.button("Stop").clicked() {
                    job.control.cancel();
                }
            } else if stale && ui.button("Suggest tags with the project's model").clicked() {
                self.start_tag_suggestions(ui.ctx(), shared);
            } else if !has_run {
                ui.weak("Train a model (Train pane) to get suggested tags.");
            }
        });
    }

    fn start_tag_suggestions(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        let run_dir = match suggesting_run(project, None) {
            Ok(dir) => dir,
            Err(e) => return shared.notes.info(e.to_string()),
        };
        let sentences = project_sentences(project);
        let spawned = Job::spawn("suggest-tags", ctx, move |tx, cancel| {
            let result = suggest_tags(&sentences, &run_dir, cancel, &mut |done, total| {
                tx.send(TagEvent::Progress(done, total));
            })
            .and_then(|s| save_tag_suggestions(&run_dir, &s).map(|()| s))
            .map_err(|e| e.to_string());
            tx.send(TagEvent::Done(result));
        });
        match spawned {
            Ok(job) => {
                self.tagging.job = Some(job);
                self.tagging.project_dir = Some(project.dir().to_path_buf());
            }
            Err(e) => shared.notes.error(e),
        }
    }

    /// The suggested entities of the current sentence, with the button that accepts them.
    pub(super) fn suggested_tags_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared, row: usize) {
        let Some(project) = &shared.project else { return };
        let (Some(s), Some(words)) = (&project.tag_suggestions, project.example(row).and_then(|e| e.tokens.as_ref()))
        else {
            return;
        };
        let Some(Some(tags)) = s.tags.get(row) else { return };
        if tags.len() != words.len() || project.tags_of(row) == Some(tags.as_slice()) {
            return;
        }
        let found: Vec<String> = entities(tags)
            .into_iter()
            .map(|(kind, start, end)| format!("{} [{kind}]", words[start..end].join(" ")))
            .collect();
        let found = if found.is_empty() { "no entities".to_string() } else { found.join(", ") };
        let confidence = s.confidence.get(row).copied().unwrap_or(0.0);
        let mut accept = false;
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Model suggests ({:.0}% sure): {found}", confidence * 100.0)).on_hover_text(&s.run);
            accept = ui.button("Accept suggested tags [Enter]").clicked();
        });
        if accept {
            self.accept_suggested_tags(shared, row);
        }
    }

    /// Accepts the suggested tags of a sentence; true when they were accepted.
    pub(super) fn accept_suggested_tags(&mut self, shared: &mut Shared, row: usize) -> bool {
        let Some(project) = shared.project.as_mut() else { return false };
        let Some(suggestions) = project.tag_suggestions.take() else {
            shared.notes.info("There are no suggested tags yet: click \"Suggest tags with the project's model\".");
            return false;
        };
        let result = project.accept_tag_suggestions(&[row], &suggestions);
        project.tag_suggestions = Some(suggestions);
        match result {
            Ok(_) => {
                shared.revision += 1;
                true
            }
            Err(e) => {
                shared.notes.error(e.to_string());
                false
            }
        }
    }
}
