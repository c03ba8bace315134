//! The pane skeleton: what each step of the loop is for, and the models pane's list of cards.

use serde::{Deserialize, Serialize};

use crate::model::{list_models, CachedModel};
use crate::settings::Settings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pane {
    Start,
    Data,
    Label,
    Models,
    Train,
    Evaluate,
    Explain,
    Export,
}

impl Pane {
    pub const ALL: [Pane; 8] =
        [Pane::Start, Pane::Data, Pane::Label, Pane::Models, Pane::Train, Pane::Evaluate, Pane::Explain, Pane::Export];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Start => "Start",
            Pane::Data => "Data",
            Pane::Label => "Label",
            Pane::Models => "Models",
            Pane::Train => "Train",
            Pane::Evaluate => "Evaluate",
            Pane::Explain => "Explain",
            Pane::Export => "Export",
        }
    }

    fn purpose(self) -> &'static str {
        match self {
            Pane::Start => "Import a dataset, label it, train a model on it, see why it predicts what it does, and export it. Everything stays on this machine.",
            Pane::Data => "Import a CSV, TSV, JSON Lines, Parquet or CoNLL file and map its columns.",
            Pane::Label => "Label and correct examples with the keyboard.",
            Pane::Models => "The models found in the local Hugging Face cache and in added folders.",
            Pane::Train => "Fine-tune the selected model with live plots.",
            Pane::Evaluate => "Accuracy, F1, per-class scores and the confusion matrix of a run.",
            Pane::Explain => "Why the model predicted a label: word attributions and attention.",
            Pane::Export => "Export a quantized model and verify it.",
        }
    }
}

pub fn pane_ui(ui: &mut egui::Ui, pane: Pane, models: &mut Option<Vec<CachedModel>>) {
    ui.heading(pane.title());
    ui.label(pane.purpose());
    ui.separator();
    match pane {
        Pane::Models => models_ui(ui, models),
        Pane::Start => {
            ui.label(
                "1. Import your texts (Data).  2. Label a few hundred (Label).  3. Train, evaluate, explain, export.",
            );
        }
        _ => {
            ui.weak("Coming in the next release. The command line already does this: run `attune --help`.");
        }
    }
}

fn models_ui(ui: &mut egui::Ui, models: &mut Option<Vec<CachedModel>>) {
    if ui.button("Refresh").clicked() {
        *models = None;
    }
    let list = models.get_or_insert_with(|| list_models(&Settings::load().model_folders));
    if list.is_empty() {
        ui.label(
            "No models found. Install one into the Hugging Face cache, or add a folder with `attune models --add DIR`.",
        );
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for m in list.iter() {
            ui.group(|ui| {
                ui.strong(&m.id);
                ui.label(format!(
                    "{} · {} layers · hidden {} · {} heads · {:.1}M parameters · {:.0} MB · tokenizer: {}",
                    m.architecture,
                    m.layers,
                    m.hidden_size,
                    m.heads,
                    m.parameters as f64 / 1e6,
                    m.size_bytes as f64 / 1e6,
                    if m.has_tokenizer { "yes" } else { "no" }
                ));
                ui.weak(m.path.display().to_string());
                if let Some(problem) = &m.problem {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("Cannot be used: {problem}"));
                }
            });
        }
    });
}
