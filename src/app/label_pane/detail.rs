//! The detail view of the Label pane: the current example's text (and its pair), who labeled it
//! and how, the model's suggestion with its Accept button, a button per label, clearing, going to
//! Explain, and the note. Several labels per text and numbers are set in `targets.rs`.

use super::super::shared::{Pane, Shared};
use super::LabelPane;
use crate::project::{Op, Project, Task};

impl LabelPane {
    pub(super) fn detail_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(row) = shared.current_row else {
            ui.weak("Select an example (click, or press J).");
            ui.add_space(8.0);
            hotkey_help_ui(ui, shared.project.as_ref());
            return;
        };
        let Some(project) = &mut shared.project else { return };
        let Some(example) = project.example(row).cloned() else { return };
        ui.strong(format!("Example {row} · {} split", project.split(row).name()));
        if example.tokens.is_some() {
            match project.tag_edit(row) {
                Some(a) => ui.weak(format!("Tags edited by {}", a.by)),
                None => ui.weak("Tags as imported"),
            };
            return self.tags_ui(ui, shared, row);
        }
        egui::ScrollArea::vertical().id_salt("detail-text").max_height(220.0).show(ui, |ui| {
            ui.label(&example.text);
            if let Some(pair) = &example.text_pair {
                ui.separator();
                ui.label(pair);
            }
        });
        ui.separator();
        if !self.targets_ui(ui, shared, row) && self.single_label_ui(ui, shared, row) {
            return;
        }
        let Some(project) = &mut shared.project else { return };
        let numbers = project.meta.task == Task::Regression;
        ui.horizontal(|ui| {
            if !numbers && ui.button("Clear label").clicked() {
                if let Err(e) = project.apply(Op::ClearLabels { rows: vec![row] }) {
                    shared.notes.error(e.to_string());
                }
                shared.revision += 1;
            }
            if ui.button("Explain this example").clicked() {
                shared.go_to = Some(Pane::Explain);
            }
        });
        let current_note = project.note(row).unwrap_or("").to_string();
        if self.note_draft.is_empty() || !ui.memory(|m| m.has_focus(egui::Id::unique("note"))) {
            self.note_draft = current_note.clone();
        }
        let note_label = ui.label("Note");
        let response =
            ui.add(egui::TextEdit::multiline(&mut self.note_draft).id(egui::Id::unique("note")).desired_rows(2));
        let response = response.labelled_by(note_label.id);
        if response.lost_focus() && self.note_draft != current_note {
            let note = (!self.note_draft.trim().is_empty()).then(|| self.note_draft.clone());
            if let Err(e) = project.apply(Op::SetNote { row, note }) {
                shared.notes.error(e.to_string());
            }
        }
    }

    /// The label, the model's suggestion and a button per label (one label per text); true when
    /// the suggestion was accepted (the current example changed).
    fn single_label_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared, row: usize) -> bool {
        let Some(project) = &mut shared.project else { return false };
        match project.annotation(row) {
            Some(a) => ui.label(format!("Label: {} ({})", a.labels.join(", "), source_text(a))),
            None => ui.label("Not labeled yet."),
        };
        let suggestion = project
            .predictions
            .as_ref()
            .and_then(|p| Some((p.labels.get(row)?.clone(), *p.confidence.get(row)?, p.run.clone())));
        let mut accept = false;
        if let Some((label, confidence, run)) = suggestion {
            ui.horizontal(|ui| {
                ui.label(format!("Model suggests: {label} ({:.0}%)", confidence * 100.0)).on_hover_text(run);
                accept = ui.button("Accept suggestion [Enter]").clicked();
            });
        }
        if accept {
            self.accept_current(ui.ctx(), shared);
            return true;
        }
        let defs = project.labels().to_vec();
        let mut set = None;
        ui.horizontal_wrapped(|ui| {
            for d in &defs {
                let text = match d.hotkey {
                    Some(k) => format!("{} [{k}]", d.name),
                    None => d.name.clone(),
                };
                let colour = egui::Color32::from_rgb(d.colour[0], d.colour[1], d.colour[2]);
                if ui.add(egui::Button::new(egui::RichText::new(text).color(colour))).clicked() {
                    set = Some(d.name.clone());
                }
            }
        });
        if let Some(label) = set {
            match project.set_labels(vec![row], vec![label]) {
                Ok(()) => {
                    shared.revision += 1;
                    if self.queue.on {
                        self.queue.labeled(ui.ctx(), shared, 1);
                    }
                }
                Err(e) => shared.notes.error(e.to_string()),
            }
        }
        false
    }
}

/// Who set a label, in words.
pub(super) fn source_text(a: &crate::project::Annotation) -> String {
    match &a.source {
        crate::project::LabelSource::Imported => "imported".into(),
        crate::project::LabelSource::Human => format!("by {}", a.by),
        crate::project::LabelSource::AcceptedSuggestion { model, confidence } => {
            format!("suggested by {model} at {:.0}%, accepted by {}", confidence * 100.0, a.by)
        }
    }
}

fn hotkey_help_ui(ui: &mut egui::Ui, project: Option<&Project>) {
    let enter = super::targets::enter_help(project);
    ui.label(format!("Keys: J or Down: next · K or Up: previous · {enter} · U undo · R redo · / search"));
    if let Some(p) = project {
        for d in p.labels() {
            if let Some(k) = d.hotkey {
                ui.label(format!("{k}: {}", d.name));
            }
        }
    }
}
