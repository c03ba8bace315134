//! The Train pane: presets (Fast / Balanced / Best) with the advanced settings one click away,
//! the device picker, Start / Pause / Resume / Cancel, live plots (loss raw and smoothed, the
//! validation metric per evaluation (entity F1 for tagged sentences), the learning rate),
//! progress with examples/s and ETA, and the past runs of the project with their metrics — one
//! of which is the project's model. Projects of tagged sentences train token classifiers.

use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::shared::{no_project_ui, Pane, Shared};
use super::train_form::{Draft, Preset};
use super::widgets::choice_ui;
use super::worker::{Job, DRAIN_BUDGET};
use crate::model::{available_devices, resolve_model, ModelConfig, Precision};
use crate::project::{project_tagged_data, project_training_data, Task};
use crate::train::{
    default_learning_rate, train, train_token_classifier, EvalRecord, RunInfo, TokenTrainJob, TrainConfig, TrainEvent,
    TrainJob,
};

/// A project's run: a text classifier, or a token classifier for projects of tagged sentences.
enum ProjectJob {
    Texts(Box<TrainJob>),
    Tokens(Box<TokenTrainJob>),
}

/// What the plots show, kept downsampled-free (a run has thousands of steps, not millions).
#[derive(Default)]
struct History {
    loss: Vec<[f64; 2]>,
    smoothed: Vec<[f64; 2]>,
    learning_rate: Vec<[f64; 2]>,
    /// The validation measure that picks the best checkpoint, per evaluation, and its name.
    accuracy: Vec<[f64; 2]>,
    metric_name: Option<&'static str>,
    total_steps: u64,
    step: u64,
    examples_per_s: f64,
    elapsed_secs: f64,
    finished: bool,
}

pub struct TrainPane {
    preset: Preset,
    draft: Draft,
    advanced: bool,
    device: String,
    devices: Option<Vec<String>>,
    job: Option<Job<TrainEvent>>,
    run_name: Option<String>,
    history: History,
    runs: Option<Vec<(String, Option<RunInfo>)>>,
}

impl Default for TrainPane {
    fn default() -> Self {
        Self {
            preset: Preset::Fast,
            draft: Draft::preset(Preset::Fast),
            advanced: false,
            device: "cpu".into(),
            devices: None,
            job: None,
            run_name: None,
            history: History::default(),
            runs: None,
        }
    }
}

impl TrainPane {
    pub fn history_sizes(&self) -> (usize, usize, bool) {
        (self.history.loss.len(), self.history.accuracy.len(), self.history.finished)
    }

    /// The precision the settings form holds (for tests).
    pub fn precision(&self) -> Precision {
        self.draft.precision
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        shared.manual_training = self.job.is_some();
        let Some(job) = &mut self.job else { return };
        let h = &mut self.history;
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                TrainEvent::Started { total_steps, .. } => h.total_steps = total_steps,
                TrainEvent::Step { step, loss, learning_rate, examples_per_s, elapsed_secs, .. } => {
                    let x = step as f64;
                    let previous = h.smoothed.last().map(|p| p[1]).unwrap_or(loss as f64);
                    h.loss.push([x, loss as f64]);
                    h.smoothed.push([x, 0.9 * previous + 0.1 * loss as f64]);
                    h.learning_rate.push([x, learning_rate]);
                    (h.step, h.examples_per_s, h.elapsed_secs) = (step, examples_per_s, elapsed_secs);
                }
                TrainEvent::Eval { record, .. } => {
                    if let Some((name, value)) = record.headline() {
                        h.metric_name = Some(name);
                        h.accuracy.push([record.step as f64, value]);
                    }
                }
                TrainEvent::Checkpoint { .. } => {}
                TrainEvent::Finished(result) => {
                    h.finished = true;
                    self.runs = None;
                    match result {
                        Ok(summary) => {
                            let acc = match summary.best.as_ref().and_then(EvalRecord::headline) {
                                Some((name, value)) => format!(", {} {value:.3}", name.to_lowercase()),
                                None => String::new(),
                            };
                            shared.notes.info(format!("Training finished in {:.0} s{acc}", summary.wall_secs));
                            if let (Some(project), Some(name)) = (shared.project.as_mut(), &self.run_name) {
                                if project.meta.run.is_none() {
                                    project.meta.run = Some(name.clone());
                                    if let Err(e) = project.save_meta() {
                                        shared.notes.error(e.to_string());
                                    }
                                }
                            }
                        }
                        Err(e) => shared.notes.error(e),
                    }
                }
            }
        }
        if job.is_finished() {
            self.job = None;
        }
    }

    fn start(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        let Some(model) = project.meta.model.clone() else {
            shared.notes.error("Choose a base model for this project first (Models pane).");
            shared.go_to = Some(Pane::Models);
            return;
        };
        let prepared = (|| -> Result<(ProjectJob, TrainConfig, usize), String> {
            let model_dir = resolve_model(&model).map_err(|e| e.to_string())?;
            let hidden = ModelConfig::load(&model_dir).map_err(|e| e.to_string())?.hidden_size;
            let config = self
                .draft
                .parse(&self.device, default_learning_rate(hidden))
                .map_err(|_| "fix the settings marked in red first".to_string())?;
            let out_dir = project.new_run_dir();
            self.run_name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned());
            let base_model = model;
            if project.meta.task == Task::TokenClassification {
                let (train, valid) = project_tagged_data(project).map_err(|e| e.to_string())?;
                let examples = train.len();
                let job = TokenTrainJob { base_model, model_dir, train, valid, out_dir, config: config.clone() };
                return Ok((ProjectJob::Tokens(Box::new(job)), config, examples));
            }
            let (train, valid) = project_training_data(project).map_err(|e| e.to_string())?;
            let examples = train.len();
            let job = TrainJob { base_model, model_dir, train, valid, out_dir, config: config.clone() };
            Ok((ProjectJob::Texts(Box::new(job)), config, examples))
        })();
        let (job, config, examples) = match prepared {
            Ok(j) => j,
            Err(e) => return shared.notes.error(e),
        };
        let epochs = config.effective_epochs(examples);
        if epochs > config.epochs {
            shared.notes.info(format!(
                "Little data ({examples} examples): training runs {epochs} epochs instead of {}, so that it takes \
                 at least {} steps.",
                config.epochs, config.min_steps
            ));
        }
        if let Some(token) = shared.loop_training.take() {
            token.cancel();
            shared.notes.info("The background retraining of the labeling loop stopped: this run replaces it.");
        }
        self.history = History::default();
        shared.manual_training = true;
        match Job::spawn("train", ctx, move |tx, cancel| {
            let _ = match &job {
                ProjectJob::Texts(job) => train(job, &mut |e| _ = tx.send(e), cancel),
                ProjectJob::Tokens(job) => train_token_classifier(job, &mut |e| _ = tx.send(e), cancel),
            };
        }) {
            Ok(j) => self.job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if shared.project.is_none() {
            return no_project_ui(ui, shared);
        }
        let model = shared.project.as_ref().and_then(|p| p.meta.model.clone());
        ui.horizontal(|ui| {
            ui.heading("Train");
            match &model {
                Some(m) => ui.label(format!("base model: {m}")),
                None => ui.colored_label(ui.visuals().warn_fg_color, "no base model chosen yet (Models pane)"),
            };
        });
        self.settings_ui(ui);
        let parsed_default = self.draft.parse(&self.device, 1e-4);
        ui.horizontal(|ui| {
            let running = self.job.is_some();
            let can_start = !running && parsed_default.is_ok() && model.is_some();
            if ui.add_enabled(can_start, egui::Button::new("Start training")).clicked() {
                let ctx = ui.ctx().clone();
                self.start(&ctx, shared);
            }
            if let Some(job) = &self.job {
                if job.control.is_paused() {
                    if ui.button("Resume").clicked() {
                        job.control.resume();
                    }
                } else if ui.button("Pause").clicked() {
                    job.control.pause();
                }
                if ui.button("Cancel").clicked() {
                    job.control.cancel();
                }
            }
        });
        if let Err(problems) = &parsed_default {
            for (field, p) in problems {
                ui.colored_label(ui.visuals().error_fg_color, format!("{field}: {p}"));
            }
        }
        self.progress_ui(ui);
        self.plots_ui(ui);
        self.runs_ui(ui, shared);
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for (p, name, hint) in [
                (Preset::Fast, "Fast", "1 epoch, texts up to 64 tokens"),
                (Preset::Balanced, "Balanced", "3 epochs, up to 128 tokens"),
                (Preset::Best, "Best", "up to 6 epochs with early stopping, up to 256 tokens"),
            ] {
                if ui.selectable_label(self.preset == p, name).on_hover_text(hint).clicked() {
                    self.preset = p;
                    self.draft = Draft::preset(p);
                }
            }
            let devices = self.devices.get_or_insert_with(available_devices);
            let shown = self.device.clone();
            choice_ui(ui, "Device", shown, &mut self.device, devices.iter().map(|d| (d.clone(), d.clone())));
            ui.toggle_value(&mut self.advanced, "Advanced settings");
        });
        if !self.advanced {
            return;
        }
        let d = &mut self.draft;
        egui::Grid::new("advanced").num_columns(4).show(ui, |ui| {
            let field = |ui: &mut egui::Ui, name: &str, value: &mut String, hint: &str| {
                let l = ui.label(name);
                ui.add(egui::TextEdit::singleline(value).hint_text(hint).desired_width(90.0)).labelled_by(l.id);
            };
            field(ui, "Epochs", &mut d.epochs, "3");
            field(ui, "Batch size", &mut d.batch_size, "16");
            ui.end_row();
            field(ui, "Learning rate", &mut d.learning_rate, "by model size");
            field(ui, "Warm-up share", &mut d.warmup, "0.06");
            ui.end_row();
            field(ui, "Max length (tokens)", &mut d.max_len, "128");
            field(ui, "Freeze lowest layers", &mut d.freeze_layers, "0");
            ui.end_row();
            field(ui, "Early-stopping patience", &mut d.patience, "off");
            field(ui, "Seed", &mut d.seed, "42");
            ui.end_row();
            ui.checkbox(&mut d.freeze_embeddings, "Freeze embeddings");
            ui.checkbox(&mut d.class_weights, "Class weights (imbalanced labels)");
            ui.end_row();
            let shown = d.precision.title();
            choice_ui(ui, "Precision", shown, &mut d.precision, Precision::ALL.map(|p| (p, p.title().to_string())))
                .on_hover_text(
                    "bf16 or f16 run the matrix products in half precision with f32 weights: faster \
                     on a GPU, slower on the CPU. f16 scales the loss so small gradients survive.",
                );
            ui.end_row();
        });
    }

    fn progress_ui(&self, ui: &mut egui::Ui) {
        let h = &self.history;
        if h.total_steps == 0 {
            return;
        }
        let fraction = h.step as f32 / h.total_steps as f32;
        let eta = if h.step > 0 { (h.total_steps - h.step) as f64 * h.elapsed_secs / h.step as f64 } else { 0.0 };
        let text = format!(
            "step {}/{} · {:.1} examples/s · {}",
            h.step,
            h.total_steps,
            h.examples_per_s,
            if h.finished { "done".to_string() } else { format!("about {:.0} s left", eta) }
        );
        ui.add(egui::ProgressBar::new(fraction).text(text));
    }

    fn plots_ui(&self, ui: &mut egui::Ui) {
        let h = &self.history;
        let height = 170.0;
        ui.columns(3, |cols| {
            cols[0].label("Training loss");
            Plot::new("loss").height(height).legend(Legend::default()).show(&mut cols[0], |plot| {
                plot.line(Line::new("raw", PlotPoints::from(h.loss.clone())).color(egui::Color32::from_gray(120)));
                plot.line(Line::new("smoothed", PlotPoints::from(h.smoothed.clone())).width(2.0));
            });
            let name = h.metric_name.unwrap_or("Validation accuracy");
            cols[1].label(name);
            // Shares (accuracy, F1) are shown on 0–1; an error (RMSE) on its own scale.
            let share = !name.contains("RMSE");
            let plot = Plot::new("accuracy").height(height).include_y(0.0);
            let plot = if share { plot.include_y(1.0) } else { plot };
            plot.show(&mut cols[1], |plot| {
                plot.line(Line::new(name, PlotPoints::from(h.accuracy.clone())));
                plot.points(Points::new("evaluations", PlotPoints::from(h.accuracy.clone())).radius(4.0));
            });
            cols[2].label("Learning rate");
            Plot::new("lr").height(height).show(&mut cols[2], |plot| {
                plot.line(Line::new("learning rate", PlotPoints::from(h.learning_rate.clone())));
            });
        });
    }

    fn runs_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &mut shared.project else { return };
        ui.separator();
        ui.horizontal(|ui| {
            ui.strong("Past runs");
            if ui.small_button("Refresh runs").clicked() {
                self.runs = None;
            }
        });
        let runs = self.runs.get_or_insert_with(|| project.runs());
        if runs.is_empty() {
            ui.weak("No runs yet.");
        }
        let mut pick = None;
        for (name, info) in runs.iter() {
            ui.horizontal(|ui| {
                let best = info.as_ref().and_then(|i| i.best.as_ref());
                let metrics = best.map_or_else(|| "no validation data".into(), EvalRecord::summary);
                let when =
                    info.as_ref().map(|i| format!("{} steps, {:.0} s", i.steps, i.wall_secs)).unwrap_or_default();
                ui.label(format!("{name}: {metrics} · {when}"));
                if project.meta.run.as_deref() == Some(name.as_str()) {
                    ui.strong("the project's model");
                } else if info.is_some() && ui.small_button(format!("Use {name}")).clicked() {
                    pick = Some(name.clone());
                }
            });
        }
        if let Some(name) = pick {
            project.meta.run = Some(name);
            if let Err(e) = project.save_meta() {
                shared.notes.error(e.to_string());
            }
            shared.revision += 1;
        }
    }
}
