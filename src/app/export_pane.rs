//! The Export pane: the project's labeled data as CSV or JSON Lines (re-importable), and where the
//! chosen run's Hugging Face-compatible model folder is. Quantized exports are added here later.

use super::shared::{no_project_ui, Shared};
use crate::project::{export, ExportFormat};

#[derive(Default)]
pub struct ExportPane {
    path: String,
}

impl ExportPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else {
            return no_project_ui(ui, shared);
        };
        ui.heading("Export");
        if self.path.is_empty() {
            self.path = project.dir().join("labeled.csv").display().to_string();
        }
        ui.strong("Labeled data");
        ui.horizontal(|ui| {
            let label = ui.label("Export file");
            ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(420.0)).labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            for (name, format) in [("Export CSV", ExportFormat::Csv), ("Export JSON Lines", ExportFormat::Jsonl)] {
                if ui.button(name).clicked() {
                    let path = std::path::PathBuf::from(self.path.trim());
                    match export(project, format, &path) {
                        Ok(n) => shared.notes.info(format!("Wrote {n} examples to {}", path.display())),
                        Err(e) => shared.notes.error(e.to_string()),
                    }
                }
            }
        });
        ui.separator();
        ui.strong("Model");
        match shared.run_dir() {
            Some(dir) => {
                ui.label("The project's model is a Hugging Face model folder (transformers loads it as it is):");
                ui.monospace(dir.display().to_string());
            }
            None => {
                ui.label("Train a model first.");
            }
        }
        ui.weak("Quantized GGUF export with verification comes next.");
    }
}
