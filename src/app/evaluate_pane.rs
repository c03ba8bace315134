//! The Evaluate pane: the chosen run measured on the project's validation split — accuracy and
//! F1 cards, the per-class table, the confusion-matrix heat map whose cells list their examples
//! (each one click from relabeling or explaining) — and model suggestions for every example.
//! A token classifier is measured by entity (see `evaluate_entities.rs`); a multi-label or
//! regression model by label set or number (see `evaluate_targets.rs`).

use super::evaluate_entities::{measure, sentences_to_measure, EntityResult};
use super::evaluate_targets::{self, data_to_measure, TargetResult};
use super::shared::{no_project_ui, Pane, Shared};
use super::widgets::{confusion_ui, metric_cards_ui, scores_table_ui};
use super::worker::{Job, DRAIN_BUDGET};
use crate::assist::{predict_inputs, project_inputs, save_predictions};
use crate::model::{argmax_rows, LoadOptions, SequenceClassifier};
use crate::project::{Predictions, Split, Task};
use crate::train::{label_indices, ClassificationMetrics};

struct EvalResult {
    run: String,
    metrics: ClassificationMetrics,
    rows: Vec<usize>,
    truth: Vec<usize>,
    predicted: Vec<usize>,
}

enum Event {
    Evaluated(Result<EvalResult, String>),
    Entities(Result<EntityResult, String>),
    Targets(Result<TargetResult, String>),
    Progress(usize, usize),
    Predicted(Result<Predictions, String>),
}

#[derive(Default)]
pub struct EvaluatePane {
    job: Option<Job<Event>>,
    result: Option<EvalResult>,
    entities: Option<EntityResult>,
    targets: Option<TargetResult>,
    selected: Option<(usize, usize)>,
    selected_rows: Vec<usize>,
    progress: Option<(usize, usize)>,
}

impl EvaluatePane {
    pub fn has_result(&self) -> bool {
        self.result.is_some() || self.entities.is_some() || self.targets.is_some()
    }

    /// The rows of the clicked confusion cell: a label's cell for label sets, else the matrix's.
    pub fn selected_rows(&self) -> &[usize] {
        match &self.targets {
            Some(t) if !t.selected_rows().is_empty() => t.selected_rows(),
            _ => &self.selected_rows,
        }
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        let Some(job) = &mut self.job else { return };
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                Event::Evaluated(Ok(r)) => {
                    self.result = Some(r);
                    self.selected = None;
                    self.selected_rows.clear();
                }
                Event::Entities(Ok(r)) => self.entities = Some(r),
                Event::Targets(Ok(r)) => self.targets = Some(r),
                Event::Progress(done, total) => self.progress = Some((done, total)),
                Event::Predicted(Ok(p)) => {
                    if let Some(project) = &mut shared.project {
                        shared.notes.info(format!("Suggestions from {} for {} examples", p.run, p.labels.len()));
                        project.predictions = Some(p);
                        shared.revision += 1;
                    }
                }
                Event::Evaluated(Err(e))
                | Event::Entities(Err(e))
                | Event::Targets(Err(e))
                | Event::Predicted(Err(e)) => shared.notes.error(e),
            }
        }
        if job.is_finished() {
            self.job = None;
            self.progress = None;
        }
    }

    fn evaluate(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let (Some(project), Some(run_dir)) = (&shared.project, shared.run_dir()) else { return };
        let run = project.meta.run.clone().unwrap_or_default();
        if project.meta.task == Task::TokenClassification {
            let (rows, data) = sentences_to_measure(project);
            if rows.is_empty() {
                return shared.notes.error("No tagged sentences in the validation or test split to evaluate on.");
            }
            match Job::spawn("evaluate", ctx, move |tx, _| {
                tx.send(Event::Entities(measure(run, &run_dir, rows, data)));
            }) {
                Ok(j) => self.job = Some(j),
                Err(e) => shared.notes.error(e),
            }
            return;
        }
        if matches!(project.meta.task, Task::MultiLabel | Task::Regression) {
            let (rows, data, split) = data_to_measure(project);
            if rows.is_empty() {
                let what = if project.meta.task == Task::Regression { "with a number" } else { "labeled" };
                return shared
                    .notes
                    .error(format!("No examples {what} in the validation or test split to evaluate on."));
            }
            match Job::spawn("evaluate", ctx, move |tx, _| {
                tx.send(Event::Targets(evaluate_targets::measure(run, &run_dir, rows, data, split)));
            }) {
                Ok(j) => self.job = Some(j),
                Err(e) => shared.notes.error(e),
            }
            return;
        }
        let mut labeled = project.single_labeled(Split::Valid);
        if labeled.is_empty() {
            labeled = project.single_labeled(Split::Test);
        }
        let rows: Vec<usize> = labeled.iter().map(|(r, _)| *r).collect();
        let labels: Vec<String> = labeled.iter().map(|(_, l)| l.to_string()).collect();
        let texts: Vec<String> = rows.iter().filter_map(|&r| project.example(r).map(|e| e.text.clone())).collect();
        let has_pairs = rows.iter().any(|&r| project.example(r).is_some_and(|e| e.text_pair.is_some()));
        let pairs: Option<Vec<String>> = has_pairs.then(|| {
            rows.iter().map(|&r| project.example(r).and_then(|e| e.text_pair.clone()).unwrap_or_default()).collect()
        });
        if rows.is_empty() {
            return shared.notes.error("No labeled examples in the validation or test split to evaluate on.");
        }
        let spawned = Job::spawn("evaluate", ctx, move |tx, _| {
            let result = (|| -> Result<EvalResult, String> {
                let model = SequenceClassifier::load(&run_dir, &LoadOptions { max_len: 256, ..LoadOptions::default() })
                    .map_err(|e| e.to_string())?;
                let truth = label_indices(&model.labels, &labels).map_err(|e| e.to_string())?;
                let probs = model.predict_inputs(&texts, pairs.as_deref(), 32).map_err(|e| e.to_string())?;
                let predicted = argmax_rows(&probs);
                let metrics = ClassificationMetrics::compute(&model.labels, &truth, &predicted);
                Ok(EvalResult { run, metrics, rows, truth, predicted })
            })();
            tx.send(Event::Evaluated(result));
        });
        match spawned {
            Ok(j) => self.job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    fn suggest_all(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let (Some(project), Some(run_dir)) = (&shared.project, shared.run_dir()) else { return };
        let (texts, pairs) = project_inputs(project);
        let spawned = Job::spawn("suggest", ctx, move |tx, cancel| {
            let result = predict_inputs(&texts, pairs.as_deref(), &run_dir, cancel, &mut |done, total| {
                tx.send(Event::Progress(done, total));
            })
            .and_then(|p| save_predictions(&run_dir, &p).map(|()| p))
            .map_err(|e| e.to_string());
            tx.send(Event::Predicted(result));
        });
        match spawned {
            Ok(j) => self.job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if shared.project.is_none() {
            return no_project_ui(ui, shared);
        }
        let Some(run) = shared.project.as_ref().and_then(|p| p.meta.run.clone()) else {
            ui.label("Train a model first; the project's model is evaluated here.");
            if ui.button("Go to Train").clicked() {
                shared.go_to = Some(Pane::Train);
            }
            return;
        };
        let task = shared.project.as_ref().map_or(Task::SingleLabel, |p| p.meta.task);
        let tags_words = task == Task::TokenClassification;
        let targets = matches!(task, Task::MultiLabel | Task::Regression);
        ui.horizontal(|ui| {
            ui.heading(format!("Evaluate {run}"));
            let busy = self.job.is_some();
            if ui.add_enabled(!busy, egui::Button::new("Evaluate on the validation split")).clicked() {
                let ctx = ui.ctx().clone();
                self.evaluate(&ctx, shared);
            }
            if task == Task::SingleLabel
                && ui.add_enabled(!busy, egui::Button::new("Suggest labels for every example")).clicked()
            {
                let ctx = ui.ctx().clone();
                self.suggest_all(&ctx, shared);
            }
            if let Some(job) = &self.job {
                ui.spinner();
                if let Some((done, total)) = self.progress {
                    ui.label(format!("{done}/{total}"));
                }
                if ui.button("Cancel").clicked() {
                    job.control.cancel();
                }
            }
        });
        let evaluated = match task {
            Task::TokenClassification => self.entities.as_ref().is_some_and(|r| r.run == run),
            Task::MultiLabel | Task::Regression => self.targets.as_ref().is_some_and(|r| r.run == run),
            Task::SingleLabel => self.result.as_ref().is_some_and(|r| r.run == run),
        };
        if !evaluated && self.job.is_none() {
            let ctx = ui.ctx().clone();
            self.evaluate(&ctx, shared);
        }
        if tags_words {
            if let (Some(result), Some(project)) = (&mut self.entities, &shared.project) {
                result.ui(ui, project);
            }
            return;
        }
        if targets {
            let go = match (&mut self.targets, &shared.project) {
                (Some(result), Some(project)) => result.ui(ui, project),
                _ => None,
            };
            if let Some((row, pane)) = go {
                shared.current_row = Some(row);
                shared.go_to = Some(pane);
            }
            return;
        }
        let Some(result) = &self.result else { return };
        let m = &result.metrics;
        let cards = [("Accuracy", m.accuracy), ("Macro F1", m.macro_f1), ("Weighted F1", m.weighted_f1)];
        metric_cards_ui(ui, &cards, &format!("on {} validation examples", m.examples));
        let rows: Vec<_> = m
            .labels
            .iter()
            .map(|l| {
                let c = &m.per_class[l];
                (l.as_str(), c.precision, c.recall, c.f1, c.support as usize)
            })
            .collect();
        scores_table_ui(ui, "label", &rows);
        ui.separator();
        if let Some(cell) = confusion_ui(ui, &m.labels, &m.confusion) {
            self.selected = Some(cell);
            self.selected_rows = (0..result.rows.len())
                .filter(|&i| result.truth[i] == cell.0 && result.predicted[i] == cell.1)
                .map(|i| result.rows[i])
                .collect();
        }
        self.cell_examples_ui(ui, shared);
    }

    fn cell_examples_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let (Some((t, p)), Some(result), Some(project)) = (self.selected, &self.result, &shared.project) else {
            return;
        };
        let labels = &result.metrics.labels;
        ui.strong(format!("{} examples labeled {} and predicted {}", self.selected_rows.len(), labels[t], labels[p]));
        let mut go = None;
        egui::ScrollArea::vertical().id_salt("cell-examples").max_height(220.0).show(ui, |ui| {
            for &row in self.selected_rows.iter().take(500) {
                let Some(ex) = project.example(row) else { continue };
                ui.horizontal(|ui| {
                    if ui.small_button(format!("Relabel {row}")).clicked() {
                        go = Some((row, Pane::Label));
                    }
                    if ui.small_button(format!("Explain {row}")).clicked() {
                        go = Some((row, Pane::Explain));
                    }
                    let text: String = ex.text.chars().take(140).collect();
                    ui.label(text);
                });
            }
        });
        if let Some((row, pane)) = go {
            shared.current_row = Some(row);
            shared.go_to = Some(pane);
        }
    }
}
