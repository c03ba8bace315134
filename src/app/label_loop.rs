//! The "Label next" session of the Label pane: the queue (least sure first, with a random
//! share), its settings kept in the project folder so a session resumes after a restart, and
//! retraining in the background every N new labels — warm-started from the project's model,
//! never blocking the UI, cancelled when the analyst starts a run by hand. Labels made while it
//! trains go to the project as always; the new model's suggestions land and the queue re-ranks.

use std::path::{Path, PathBuf};

use super::shared::Shared;
use super::worker::{Job, DRAIN_BUDGET};
use crate::assist::{
    loop_train_job, predict_inputs, project_inputs, rank_queue, save_predictions, suggesting_run, QueueSession,
    Strategy,
};
use crate::project::{Predictions, Task};
use crate::train::{train, TrainEvent};

/// Longest queue shown at once (it is recomputed after every label).
const QUEUE_LENGTH: usize = 1000;

enum LoopEvent {
    Started { total_steps: u64 },
    Step { step: u64 },
    Predicting { done: usize, total: usize },
    Done(Result<(String, Option<f64>, Predictions), String>),
}

#[derive(Default)]
pub struct LabelLoop {
    pub on: bool,
    session: QueueSession,
    session_for: Option<PathBuf>,
    job: Option<Job<LoopEvent>>,
    run_dir: Option<PathBuf>,
    status: Option<String>,
    total_steps: u64,
    /// Whether the job trains a new model (otherwise it only makes suggestions).
    retraining: bool,
}

impl LabelLoop {
    /// Loads the project's saved session when the project changed.
    fn sync_session(&mut self, dir: &Path) {
        if self.session_for.as_deref() != Some(dir) {
            self.session = QueueSession::load(dir);
            self.session_for = Some(dir.to_path_buf());
        }
    }

    /// The queue for the current labels and predictions.
    pub fn rows(&mut self, shared: &Shared) -> Vec<usize> {
        let Some(project) = &shared.project else { return Vec::new() };
        self.sync_session(project.dir());
        rank_queue(project, project.predictions.as_ref(), &self.session, QUEUE_LENGTH)
    }

    /// A key for caching the queue: changes whenever its settings do.
    pub fn settings_key(&self) -> (Strategy, u32, u64) {
        (self.session.strategy, (self.session.random_share * 1000.0) as u32, self.session.seed)
    }

    pub fn is_retraining(&self) -> bool {
        self.job.is_some() && self.retraining
    }

    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Counts a label made in the session; starts retraining when it is due.
    pub fn labeled(&mut self, ctx: &egui::Context, shared: &mut Shared, count: usize) {
        let Some(project) = shared.project.as_ref().filter(|p| p.meta.task == Task::SingleLabel) else { return };
        self.sync_session(project.dir());
        let mut due = false;
        for _ in 0..count {
            due |= self.session.count_label();
        }
        if due && !self.is_retraining() && !shared.manual_training {
            // Retraining replaces a suggestion job: its model is about to be replaced.
            self.cancel();
            self.job = None;
            self.start_retraining(ctx, shared);
        }
        self.save(shared);
    }

    fn save(&self, shared: &mut Shared) {
        if let Some(project) = &shared.project {
            if let Err(e) = self.session.save(project.dir()) {
                shared.notes.error(e.to_string());
            }
        }
    }

    /// Makes suggestions with the project's model on a worker thread (when there are none yet, or
    /// they came from another run).
    pub fn start_suggesting(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(project) = shared.project.as_ref().filter(|p| p.meta.task == Task::SingleLabel) else { return };
        if self.job.is_some() {
            return;
        }
        let run_dir = match suggesting_run(project, None) {
            Ok(dir) => dir,
            Err(e) => return shared.notes.info(e.to_string()),
        };
        let (texts, pairs) = project_inputs(project);
        let dir = run_dir.clone();
        let spawned = Job::spawn("suggest", ctx, move |tx, cancel| {
            let result = predict_inputs(&texts, pairs.as_deref(), &dir, cancel, &mut |done, total| {
                tx.send(LoopEvent::Predicting { done, total });
            })
            .and_then(|p| save_predictions(&dir, &p).map(|()| p))
            .map(|p| (p.run.clone(), None, p))
            .map_err(|e| e.to_string());
            tx.send(LoopEvent::Done(result));
        });
        match spawned {
            Ok(j) => {
                self.job = Some(j);
                self.run_dir = Some(run_dir);
                self.retraining = false;
                self.status = Some("Suggesting labels…".into());
            }
            Err(e) => shared.notes.error(e),
        }
    }

    /// Whether the shown suggestions are missing or come from another run than the project's.
    pub fn suggestions_stale(shared: &Shared) -> bool {
        let Some(project) = &shared.project else { return false };
        match (&project.meta.run, &project.predictions) {
            (Some(run), Some(p)) => &p.run != run,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Trains the next model of the loop on a worker thread, then makes its suggestions.
    pub fn start_retraining(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        let job = match loop_train_job(project) {
            Ok(job) => job,
            Err(e) => return shared.notes.error(format!("Could not retrain: {e}")),
        };
        let (texts, pairs) = project_inputs(project);
        let run_dir = job.out_dir.clone();
        let labels = job.train.len();
        self.session.labels_since_retrain = 0;
        let spawned = Job::spawn("loop-train", ctx, move |tx, cancel| {
            let result = (|| -> Result<(String, Option<f64>, Predictions), String> {
                let summary = train(
                    &job,
                    &mut |e| match e {
                        TrainEvent::Started { total_steps, .. } => _ = tx.send(LoopEvent::Started { total_steps }),
                        TrainEvent::Step { step, .. } => _ = tx.send(LoopEvent::Step { step }),
                        _ => {}
                    },
                    cancel,
                )
                .map_err(|e| e.to_string())?;
                let predictions = predict_inputs(&texts, pairs.as_deref(), &job.out_dir, cancel, &mut |done, total| {
                    tx.send(LoopEvent::Predicting { done, total });
                })
                .map_err(|e| e.to_string())?;
                save_predictions(&job.out_dir, &predictions).map_err(|e| e.to_string())?;
                Ok((predictions.run.clone(), summary.best.and_then(|b| b.accuracy), predictions))
            })();
            if result.is_err() && cancel.is_cancelled() {
                // A cancelled loop run is not a run the analyst asked for: leave nothing behind.
                let _ = std::fs::remove_dir_all(&job.out_dir);
            }
            tx.send(LoopEvent::Done(result));
        });
        match spawned {
            Ok(j) => {
                shared.loop_training = Some(j.control.clone());
                self.job = Some(j);
                self.run_dir = Some(run_dir);
                self.retraining = true;
                self.status = Some(format!("Retraining on {labels} labels in the background…"));
            }
            Err(e) => shared.notes.error(e),
        }
    }

    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.control.cancel();
        }
    }

    /// Takes the worker's events; a finished model becomes the project's and the queue re-ranks.
    pub fn poll(&mut self, shared: &mut Shared) {
        let Some(job) = &mut self.job else { return };
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                LoopEvent::Started { total_steps } => self.total_steps = total_steps,
                LoopEvent::Step { step } => {
                    self.status = Some(format!("Retraining in the background: step {step} of {}", self.total_steps));
                }
                LoopEvent::Predicting { done, total } => {
                    self.status = Some(format!("New model: suggesting labels ({done} of {total})…"));
                }
                LoopEvent::Done(result) => self.finish(result, shared),
            }
        }
        if self.job.as_ref().is_some_and(Job::is_finished) {
            self.job = None;
            self.status = None;
            shared.loop_training = None;
        }
    }

    fn finish(&mut self, result: Result<(String, Option<f64>, Predictions), String>, shared: &mut Shared) {
        let Some(project) = &mut shared.project else { return };
        let same_project = self.run_dir.as_ref().is_some_and(|d| d.parent() == Some(project.runs_dir().as_path()));
        match result {
            Ok((run, accuracy, predictions)) if same_project => {
                project.meta.run = Some(run.clone());
                if let Err(e) = project.save_meta() {
                    shared.notes.error(e.to_string());
                }
                if predictions.labels.len() == project.len() {
                    project.predictions = Some(predictions);
                }
                if self.retraining {
                    let acc = accuracy.map(|a| format!(" (validation accuracy {a:.3})")).unwrap_or_default();
                    shared.notes.info(format!("New model {run}{acc}: suggestions updated, the queue re-ranked."));
                } else {
                    shared.notes.info(format!("Suggestions from {run} for every example."));
                }
                shared.revision += 1;
            }
            Ok(_) => {}
            Err(e) if e.contains("cancelled") => shared.notes.info("Background work stopped."),
            Err(e) if self.retraining => shared.notes.error(format!("Background retraining failed: {e}")),
            Err(e) => shared.notes.error(format!("Suggestions failed: {e}")),
        }
    }

    /// What the background work is doing, with a button to stop it (nothing when idle).
    pub fn status_ui(&mut self, ui: &mut egui::Ui) {
        let Some(status) = &self.status else { return };
        let mut stop = false;
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(status);
            stop = ui.button("Stop").clicked();
        });
        if stop {
            self.cancel();
        }
    }

    /// The session's settings and the retraining status.
    pub fn settings_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let before = self.session.clone();
        ui.horizontal_wrapped(|ui| {
            let combo_label = ui.label("Uncertainty measure");
            egui::ComboBox::from_id_salt("Uncertainty measure")
                .selected_text(self.session.strategy.name())
                .show_ui(ui, |ui| {
                    for s in Strategy::ALL {
                        ui.selectable_value(&mut self.session.strategy, s, s.name());
                    }
                })
                .response
                .labelled_by(combo_label.id);
            let share_label = ui.label("Random share");
            let mut percent = self.session.random_share * 100.0;
            ui.add(egui::DragValue::new(&mut percent).range(0.0..=100.0).suffix(" %")).labelled_by(share_label.id);
            self.session.random_share = percent / 100.0;
            let mut retrain = self.session.retrain_every.is_some();
            ui.checkbox(&mut retrain, "Retrain every");
            let mut every = self.session.retrain_every.unwrap_or(50);
            ui.add_enabled(retrain, egui::DragValue::new(&mut every).range(5..=10_000)).on_hover_text("new labels");
            ui.label("new labels");
            self.session.retrain_every = retrain.then_some(every);
            if let Some(n) = self.session.retrain_every {
                let next = n.saturating_sub(self.session.labels_since_retrain);
                ui.weak(format!("({next} to go)"));
            }
        });
        self.status_ui(ui);
        ui.horizontal(|ui| {
            if self.status.is_none() {
                let can = !shared.manual_training;
                if ui.add_enabled(can, egui::Button::new("Retrain now")).clicked() {
                    let ctx = ui.ctx().clone();
                    self.start_retraining(&ctx, shared);
                }
            }
            ui.weak(format!("{} labeled in this session", self.session.labeled));
        });
        if self.session != before {
            self.save(shared);
        }
    }
}
