//! The Explain pane: takes an example (from Label, from a confusion-matrix cell, or typed in) and
//! shows the project model's prediction with the probability of every class. Word attributions
//! and attention views are added here by the explainability work.

use super::shared::{no_project_ui, Shared};
use super::widgets::probability_bars_ui;
use super::worker::{Job, DRAIN_BUDGET};
use crate::model::{LoadOptions, SequenceClassifier};

type Prediction = Result<(Vec<String>, Vec<f32>), String>;

#[derive(Default)]
pub struct ExplainPane {
    text: String,
    loaded_row: Option<usize>,
    job: Option<Job<Prediction>>,
    result: Option<(String, Vec<String>, Vec<f32>)>,
}

impl ExplainPane {
    pub fn poll(&mut self, shared: &mut Shared) {
        let Some(job) = &mut self.job else { return };
        for r in job.drain(DRAIN_BUDGET) {
            match r {
                Ok((labels, probs)) => self.result = Some((self.text.clone(), labels, probs)),
                Err(e) => shared.notes.error(e),
            }
        }
        if job.is_finished() {
            self.job = None;
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if shared.project.is_none() {
            return no_project_ui(ui, shared);
        }
        if shared.current_row != self.loaded_row {
            self.loaded_row = shared.current_row;
            if let Some(ex) = shared.current_row.and_then(|r| shared.project.as_ref()?.example(r)) {
                self.text = ex.text.clone();
                self.result = None;
            }
        }
        ui.heading("Explain a prediction");
        let label = ui.label("Text to explain");
        ui.add(egui::TextEdit::multiline(&mut self.text).desired_rows(4).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        let Some(run_dir) = shared.run_dir() else {
            ui.label("Train a model first (Train pane); its predictions are explained here.");
            return;
        };
        if ui.add_enabled(self.job.is_none() && !self.text.trim().is_empty(), egui::Button::new("Predict")).clicked() {
            let text = self.text.clone();
            let spawned = Job::spawn("explain", ui.ctx(), move |tx, _| {
                let result =
                    SequenceClassifier::load(&run_dir, &LoadOptions { max_len: 512, ..LoadOptions::default() })
                        .and_then(|m| Ok((m.labels.clone(), m.predict(&[text.as_str()], 1)?.remove(0))))
                        .map_err(|e| e.to_string());
                tx.send(result);
            });
            match spawned {
                Ok(j) => self.job = Some(j),
                Err(e) => shared.notes.error(e),
            }
        }
        if let Some((text, labels, probs)) = &self.result {
            if text == &self.text {
                probability_bars_ui(ui, labels, probs);
            }
        }
        ui.add_space(8.0);
        ui.weak("Word attributions (integrated gradients, gradient × input, occlusion) and attention maps come next.");
    }
}
