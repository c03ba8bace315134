//! The Review pane: the model as a second pair of eyes. "Find likely label errors" runs the
//! cross-validated suspects search on a worker thread with progress and lists the suspects,
//! most suspicious first — given label, the model's label, both probabilities — each one click
//! from fixing, opening in the Label pane or explaining. "Draw learning curve" trains on 25, 50,
//! 75 and 100 % of the labels in the background and plots validation accuracy against labeled
//! examples, with a sentence on whether labeling more will help. The last results of both are
//! read back from the project folder.

use std::path::PathBuf;

use egui_plot::{Line, Plot, PlotPoints, Points};

use super::shared::{no_project_ui, Pane, Shared};
use super::worker::{Job, DRAIN_BUDGET};
use crate::assist::{
    curve_train_job, find_suspects, learning_curve, CurveEvent, LearningCurve, SuspectInput, SuspectOptions,
    SuspectProgress, SuspectReport,
};
use crate::train::TrainEvent;

const ROW_HEIGHT: f32 = 24.0;

enum SuspectEvent {
    Progress(SuspectProgress),
    Done(Result<SuspectReport, String>),
}

enum CurveJobEvent {
    Progress(String),
    Point(crate::assist::CurvePoint),
    Done(Result<LearningCurve, String>),
}

#[derive(Default)]
pub struct ReviewPane {
    loaded_for: Option<PathBuf>,
    report: Option<SuspectReport>,
    suspects_job: Option<Job<SuspectEvent>>,
    suspects_progress: Option<SuspectProgress>,
    folds: usize,
    curve: Option<LearningCurve>,
    curve_job: Option<Job<CurveJobEvent>>,
    curve_status: Option<String>,
}

impl ReviewPane {
    /// The last suspects report shown (for tests).
    pub fn report(&self) -> Option<&SuspectReport> {
        self.report.as_ref()
    }

    pub fn is_running(&self) -> bool {
        self.suspects_job.is_some() || self.curve_job.is_some()
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        if let Some(job) = &mut self.suspects_job {
            for event in job.drain(DRAIN_BUDGET) {
                match event {
                    SuspectEvent::Progress(p) => self.suspects_progress = Some(p),
                    SuspectEvent::Done(Ok(report)) => {
                        shared.notes.info(format!(
                            "{} suspects among {} labeled examples",
                            report.suspects.len(),
                            report.labeled
                        ));
                        self.report = Some(report);
                    }
                    SuspectEvent::Done(Err(e)) => shared.notes.error(e),
                }
            }
            if job.is_finished() {
                self.suspects_job = None;
                self.suspects_progress = None;
            }
        }
        if let Some(job) = &mut self.curve_job {
            for event in job.drain(DRAIN_BUDGET) {
                match event {
                    CurveJobEvent::Progress(s) => self.curve_status = Some(s),
                    CurveJobEvent::Point(p) => {
                        if let Some(c) = &mut self.curve {
                            c.points.push(p);
                        }
                    }
                    CurveJobEvent::Done(Ok(curve)) => self.curve = Some(curve),
                    CurveJobEvent::Done(Err(e)) => shared.notes.error(e),
                }
            }
            if job.is_finished() {
                self.curve_job = None;
                self.curve_status = None;
            }
        }
    }

    fn load_saved(&mut self, shared: &Shared) {
        let Some(project) = &shared.project else { return };
        if self.loaded_for.as_deref() == Some(project.dir()) {
            return;
        }
        self.loaded_for = Some(project.dir().to_path_buf());
        self.report = SuspectReport::load(project.dir());
        self.curve = LearningCurve::latest(project.dir());
        if self.folds == 0 {
            self.folds = SuspectOptions::default().folds;
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if shared.project.is_none() {
            return no_project_ui(ui, shared);
        }
        self.load_saved(shared);
        ui.heading("Likely label errors");
        self.suspects_controls_ui(ui, shared);
        self.suspects_list_ui(ui, shared);
        ui.separator();
        ui.heading("Learning curve");
        self.curve_ui(ui, shared);
    }

    fn start_suspects(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        // The search reads a copy of the labels; labeling goes on meanwhile.
        let input = SuspectInput::of(project);
        let dir = project.dir().to_path_buf();
        let options = SuspectOptions { folds: self.folds, ..SuspectOptions::default() };
        let spawned = Job::spawn("suspects", ctx, move |tx, cancel| {
            let result = find_suspects(&input, &options, cancel, &mut |p| _ = tx.send(SuspectEvent::Progress(p)))
                .and_then(|report| report.save(&dir).map(|()| report))
                .map_err(|e| e.to_string());
            tx.send(SuspectEvent::Done(result));
        });
        match spawned {
            Ok(j) => self.suspects_job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    fn suspects_controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.suspects_job {
                let (text, share) = match self.suspects_progress {
                    Some(SuspectProgress::Features(d, t)) => {
                        (format!("reading {d} of {t}"), d as f32 / t.max(1) as f32)
                    }
                    Some(SuspectProgress::Folds(d, t)) => (format!("fold {d} of {t}"), d as f32 / t.max(1) as f32),
                    None => ("starting…".to_string(), 0.0),
                };
                ui.add(egui::ProgressBar::new(share).text(text).desired_width(260.0));
                if ui.button("Cancel search").clicked() {
                    job.control.cancel();
                }
            } else if ui.button("Find likely label errors").clicked() {
                let ctx = ui.ctx().clone();
                self.start_suspects(&ctx, shared);
            }
            let folds_label = ui.label("Folds");
            ui.add(egui::DragValue::new(&mut self.folds).range(2..=20)).labelled_by(folds_label.id);
        });
        if let Some(r) = &self.report {
            ui.label(format!(
                "{} suspects among {} labeled examples; confident learning estimates {} wrong labels \
                 ({} folds over features of {}).",
                r.suspects.len(),
                r.labeled,
                r.estimated_errors,
                r.folds,
                r.base_model
            ));
        } else {
            ui.weak(
                "Each labeled example is judged by a model that never saw it (cross-validation over the base \
                 model's sentence features); examples whose label the model contradicts are listed here.",
            );
        }
    }

    fn suspects_list_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let (Some(report), Some(project)) = (&self.report, &mut shared.project) else { return };
        let mut fix: Option<(usize, String)> = None;
        let mut go: Option<(usize, Pane)> = None;
        egui::ScrollArea::vertical().id_salt("suspects").max_height(ui.available_height() * 0.5).show_rows(
            ui,
            ROW_HEIGHT,
            report.suspects.len(),
            |ui, range| {
                for s in &report.suspects[range] {
                    let current = project.annotation(s.example).map(|a| a.labels.join(", ")).unwrap_or_default();
                    let fixed = current != s.given;
                    ui.horizontal(|ui| {
                        ui.set_height(ROW_HEIGHT);
                        ui.add_sized(
                            [56.0, ROW_HEIGHT],
                            egui::Label::new(egui::RichText::new(s.example.to_string()).weak()),
                        );
                        let given = format!("{} {:.0}%", s.given, s.given_probability * 100.0);
                        let given =
                            if fixed { egui::RichText::new(given).strikethrough() } else { egui::RichText::new(given) };
                        ui.add_sized([130.0, ROW_HEIGHT], egui::Label::new(given).truncate());
                        ui.add_sized(
                            [130.0, ROW_HEIGHT],
                            egui::Label::new(
                                egui::RichText::new(format!(
                                    "model: {} {:.0}%",
                                    s.predicted,
                                    s.predicted_probability * 100.0
                                ))
                                .strong(),
                            )
                            .truncate(),
                        );
                        let verdict = if s.flagged {
                            egui::RichText::new("likely wrong").color(ui.visuals().warn_fg_color)
                        } else {
                            egui::RichText::new("model disagrees").weak()
                        };
                        ui.add_sized([100.0, ROW_HEIGHT], egui::Label::new(verdict));
                        if fixed {
                            ui.weak(format!("now {current}"));
                        } else if ui.small_button(format!("Use {} for {}", s.predicted, s.example)).clicked() {
                            fix = Some((s.example, s.predicted.clone()));
                        }
                        if ui.small_button(format!("Open {}", s.example)).clicked() {
                            go = Some((s.example, Pane::Label));
                        }
                        if ui.small_button(format!("Explain {}", s.example)).clicked() {
                            go = Some((s.example, Pane::Explain));
                        }
                        let text: String =
                            project.example(s.example).map(|e| e.text.chars().take(140).collect()).unwrap_or_default();
                        ui.add(egui::Label::new(text.replace('\n', " ")).truncate());
                    });
                }
            },
        );
        if let Some((row, label)) = fix {
            match project.set_labels(vec![row], vec![label.clone()]) {
                Ok(()) => {
                    shared.notes.info(format!("Example {row} is now \"{label}\" (U in the Label pane undoes)"));
                    shared.revision += 1;
                }
                Err(e) => shared.notes.error(e.to_string()),
            }
        }
        if let Some((row, pane)) = go {
            shared.current_row = Some(row);
            shared.go_to = Some(pane);
        }
    }

    fn start_curve(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        if shared.manual_training {
            return shared.notes.info("A training run is going on; draw the curve when it has finished.");
        }
        let template = match curve_train_job(project) {
            Ok(t) => t,
            Err(e) => return shared.notes.error(e.to_string()),
        };
        self.curve = Some(LearningCurve {
            base_model: template.base_model.clone(),
            valid_examples: template.valid.as_ref().map_or(0, |v| v.len()),
            points: Vec::new(),
        });
        let spawned = Job::spawn("curve", ctx, move |tx, cancel| {
            let fractions = crate::assist::DEFAULT_FRACTIONS;
            let mut point = 0;
            let result = learning_curve(
                &template,
                &fractions,
                &mut |e| match e {
                    CurveEvent::PointStarted { index, train_examples, .. } => {
                        point = index + 1;
                        tx.send(CurveJobEvent::Progress(format!(
                            "point {point} of {}: training on {train_examples} examples",
                            fractions.len()
                        )));
                    }
                    CurveEvent::Train(TrainEvent::Step { step, .. }) if step % 10 == 0 => {
                        tx.send(CurveJobEvent::Progress(format!("point {point} of {}: step {step}", fractions.len())));
                    }
                    CurveEvent::PointFinished(p) => _ = tx.send(CurveJobEvent::Point(p)),
                    CurveEvent::Train(_) => {}
                },
                cancel,
            )
            .map_err(|e| e.to_string());
            tx.send(CurveJobEvent::Done(result));
        });
        match spawned {
            Ok(j) => self.curve_job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    fn curve_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.curve_job {
                ui.spinner();
                ui.label(self.curve_status.as_deref().unwrap_or("starting…"));
                if ui.button("Cancel curve").clicked() {
                    job.control.cancel();
                }
            } else if ui.button("Draw learning curve").clicked() {
                let ctx = ui.ctx().clone();
                self.start_curve(&ctx, shared);
            }
            ui.weak("trains on 25, 50, 75 and 100 % of the labeled training examples");
        });
        let Some(curve) = &self.curve else { return };
        if let Some(v) = curve.verdict() {
            ui.label(v);
        }
        let points: Vec<[f64; 2]> =
            curve.points.iter().filter_map(|p| p.accuracy.map(|a| [p.train_examples as f64, a])).collect();
        ui.label(format!("Validation accuracy ({} examples) by labeled training examples", curve.valid_examples));
        Plot::new("learning-curve").height(180.0).include_y(0.5).include_y(1.0).include_x(0.0).show(ui, |plot| {
            plot.line(Line::new("accuracy", PlotPoints::from(points.clone())).width(2.0));
            plot.points(Points::new("points", PlotPoints::from(points)).radius(4.0));
        });
    }
}
