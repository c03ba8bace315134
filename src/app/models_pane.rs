//! The Models pane: the models on this machine as cards (architecture, size, parameters, layers,
//! tokenizer, path), adding a folder to look in, and choosing the project's base model.

use super::shared::Shared;
use crate::model::{list_models, CachedModel};
use crate::settings::Settings;

#[derive(Default)]
pub struct ModelsPane {
    models: Option<Vec<CachedModel>>,
    add_path: String,
}

impl ModelsPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        ui.heading("Models");
        ui.label(
            "Models in the local Hugging Face cache and in folders you add. Pick the base model for this project.",
        );
        ui.horizontal(|ui| {
            let label = ui.label("Model folder");
            ui.add(egui::TextEdit::singleline(&mut self.add_path).hint_text("/path/to/models").desired_width(380.0))
                .labelled_by(label.id);
            if ui.button("Add folder").clicked() {
                let mut settings = Settings::load();
                match settings.add_model_folder(self.add_path.trim().into()).and_then(|_| settings.save()) {
                    Ok(()) => {
                        self.models = None;
                        self.add_path.clear();
                    }
                    Err(e) => shared.notes.error(e),
                }
            }
            if ui.button("Refresh").clicked() {
                self.models = None;
            }
        });
        ui.separator();
        let models = self.models.get_or_insert_with(|| list_models(&Settings::load().model_folders));
        if models.is_empty() {
            ui.label("No models found. Add a folder that holds a Hugging Face model (config.json, model.safetensors, tokenizer.json).");
        }
        let chosen = shared.project.as_ref().and_then(|p| p.meta.model.clone());
        let mut pick = None;
        egui::ScrollArea::vertical().id_salt("model-cards").show(ui, |ui| {
            for m in models.iter() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.strong(&m.id);
                        let is_chosen = chosen.as_deref() == Some(m.id.as_str())
                            || chosen.as_deref() == Some(&m.path.display().to_string());
                        if is_chosen {
                            ui.label(
                                egui::RichText::new("chosen for this project").color(ui.visuals().selection.bg_fill),
                            );
                        } else if shared.project.is_some()
                            && m.problem.is_none()
                            && ui.button(format!("Use {}", m.id)).clicked()
                        {
                            pick = Some(m.clone());
                        }
                    });
                    ui.label(format!(
                        "{} · {} layers · hidden {} · {} heads · {:.1}M parameters · {:.0} MB · tokenizer: {}",
                        if m.architecture.is_empty() { &m.model_type } else { &m.architecture },
                        m.layers,
                        m.hidden_size,
                        m.heads,
                        m.parameters as f64 / 1e6,
                        m.size_bytes as f64 / 1e6,
                        if m.has_tokenizer { "yes" } else { "no" }
                    ));
                    if let Some(labels) = &m.labels {
                        ui.label(format!("fine-tuned classifier: {}", labels.join(", ")));
                    }
                    ui.weak(m.path.display().to_string());
                    if let Some(problem) = &m.problem {
                        ui.colored_label(ui.visuals().warn_fg_color, format!("Cannot be used: {problem}"));
                    }
                });
            }
        });
        if let (Some(m), Some(project)) = (pick, shared.project.as_mut()) {
            // Cache entries are stored by hub id; added folders by path.
            let from_cache = m.path.starts_with(crate::model::hub_cache_dir());
            project.meta.model = Some(if from_cache { m.id.clone() } else { m.path.display().to_string() });
            match project.save_meta() {
                Ok(()) => shared.notes.info(format!("{} is this project's base model", m.id)),
                Err(e) => shared.notes.error(e.to_string()),
            }
        }
    }
}
