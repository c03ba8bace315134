//! The probe of the Explain pane: the edited text added to the project as a new training example,
//! with the label the analyst picks (regression projects: without one, to be given its number in
//! the Label pane) — the loop from an explanation back into the training data.

use super::super::shared::Shared;
use super::super::widgets::choice_ui;
use super::ExplainPane;
use crate::project::{now_ms, Annotation, Example, LabelSource, Op, Split, Task};

impl ExplainPane {
    pub(super) fn probe_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        ui.separator();
        let has_text = !self.text.trim().is_empty();
        if project.meta.task == Task::Regression {
            // Numbers are typed in the Label pane, where the new example opens.
            if ui.add_enabled(has_text, egui::Button::new("Add this text as a new example")).clicked() {
                self.add_probe(shared, None);
            }
            return;
        }
        let labels: Vec<String> = project.labels().iter().map(|d| d.name.clone()).collect();
        let mut add = false;
        ui.horizontal(|ui| {
            ui.label("Add this text to the project as a new example labeled");
            let shown = self.probe_label.clone().unwrap_or_else(|| "choose".into());
            let options = labels.iter().map(|l| (Some(l.clone()), l.clone()));
            choice_ui(ui, "Probe label", shown, &mut self.probe_label, options);
            let can = self.probe_label.is_some() && has_text;
            add = ui.add_enabled(can, egui::Button::new("Add example")).clicked();
        });
        if add {
            self.add_probe(shared, self.probe_label.clone());
        }
    }

    /// Adds the text to the train split, labeled when a label is given, in one undoable step.
    fn add_probe(&self, shared: &mut Shared, label: Option<String>) {
        let Some(project) = &mut shared.project else { return };
        let row = project.len();
        let mut ops = vec![Op::AddExample {
            example: Example { text: self.text.clone(), ..Example::default() },
            split: Split::Train,
        }];
        if let Some(label) = &label {
            let annotation = Annotation {
                labels: vec![label.clone()],
                source: LabelSource::Human,
                by: project.user.clone(),
                at_ms: now_ms(),
            };
            ops.push(Op::Annotate { rows: vec![row], annotation });
        }
        match project.apply(Op::Batch { ops }) {
            Ok(()) => {
                if label.is_some() {
                    shared.notes.info(format!("Added example {row} to the training split"));
                } else {
                    shared.notes.info(format!("Added example {row}: give it its number in the Label pane"));
                    shared.current_row = Some(row);
                }
                shared.revision += 1;
            }
            Err(e) => shared.notes.error(e.to_string()),
        }
    }
}
