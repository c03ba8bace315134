//! The Start pane: what Attune does in three lines, the bundled sample, a new project from a
//! file, opening a project folder, and the recent projects.

use std::path::PathBuf;

use super::shared::{Pane, Shared};
use super::worker::{Job, DRAIN_BUDGET};
use crate::project::create_sample_project;

#[derive(Default)]
pub struct StartPane {
    open_path: String,
    browse: Option<Job<Option<PathBuf>>>,
}

/// Asks for a folder or a file with the system dialog on a worker thread (the dialog blocks).
pub fn browse_job(ctx: &egui::Context, folder: bool) -> Option<Job<Option<PathBuf>>> {
    Job::spawn("file-dialog", ctx, move |tx, _| {
        let dialog = rfd::FileDialog::new();
        tx.send(if folder { dialog.pick_folder() } else { dialog.pick_file() });
    })
    .ok()
}

impl StartPane {
    pub fn poll(&mut self, _shared: &mut Shared) {
        if let Some(job) = &mut self.browse {
            for picked in job.drain(DRAIN_BUDGET).into_iter().flatten() {
                self.open_path = picked.display().to_string();
            }
            if job.is_finished() {
                self.browse = None;
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        ui.heading("Welcome to Attune");
        ui.label("1. Bring texts — a CSV, JSON Lines, Parquet or text file — and label a few hundred of them.");
        ui.label("2. Train a model on them with live plots, and see how well it does and why.");
        ui.label("3. Export it. Everything stays on this machine.");
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            if ui.button("Open the sample project").on_hover_text("500 SMS messages labeled ham or spam").clicked() {
                self.open_sample(shared);
            }
            if ui.button("New project from a file…").clicked() {
                shared.go_to = Some(Pane::Data);
            }
        });
        ui.add_space(12.0);
        ui.strong("Open a project folder");
        ui.horizontal(|ui| {
            let label = ui.label("Project folder");
            ui.add(egui::TextEdit::singleline(&mut self.open_path).hint_text("/path/to/project").desired_width(420.0))
                .labelled_by(label.id);
            if ui.add_enabled(self.browse.is_none(), egui::Button::new("Browse…")).clicked() {
                self.browse = browse_job(ui.ctx(), true);
            }
            if ui.button("Open").clicked() {
                let path = PathBuf::from(self.open_path.trim());
                shared.open_project(&path);
                if shared.project.is_some() {
                    shared.go_to = Some(Pane::Label);
                }
            }
        });
        ui.add_space(12.0);
        if !shared.settings.recent_projects.is_empty() {
            ui.strong("Recent projects");
            let recent = shared.settings.recent_projects.clone();
            for dir in recent {
                if ui.link(dir.display().to_string()).clicked() {
                    shared.open_project(&dir);
                }
            }
        }
        ui.add_space(12.0);
        ui.weak("Tip: drop a data file or a project folder anywhere on this window.");
    }

    fn open_sample(&mut self, shared: &mut Shared) {
        let Some(dir) = crate::settings::data_dir().map(|d| d.join("projects").join("sample-sms-spam")) else {
            shared.notes.error("This system has no data folder for Attune, so the sample cannot be created.");
            return;
        };
        match create_sample_project(&dir) {
            Ok(p) => {
                shared.set_project(p);
                shared.go_to = Some(Pane::Label);
            }
            Err(e) => shared.notes.error(e.to_string()),
        }
    }
}
