//! The Export pane: the project's labeled data as CSV or JSON Lines, and a run as a model file —
//! GGUF (f32, f16, q8_0, q4_0, q4_k) or a Hugging Face folder — written on a worker thread,
//! loaded back and verified on the project's validation (or test) split. The report shows size,
//! accuracy and macro-F1 before and after, the examples whose prediction flipped (one click
//! opens them), and the speed on this machine.

use std::path::PathBuf;

use super::shared::{no_project_ui, Pane, Shared};
use super::worker::{Job, DRAIN_BUDGET};
use crate::export::{export_model, ExportEvent, ExportReport, ExportRequest, ModelFormat, VerifyData};
use crate::project::{
    export, project_split_data, project_split_rows, tagged_sentences, ExportFormat, Project, Split, Task,
};
use crate::quant::Quant;

enum Event {
    Stage(String),
    Done(Box<Result<ExportReport, String>>),
}

pub struct ExportPane {
    data_path: String,
    run: Option<String>,
    format: ModelFormat,
    quant: Quant,
    out: String,
    /// The (run, format, quant) the output path was made for; a change makes a new default.
    out_for: Option<(String, ModelFormat, Quant)>,
    job: Option<Job<Event>>,
    stage: String,
    report: Option<ExportReport>,
    /// The project's finished runs, read from disk once per (project, chosen run, revision)
    /// rather than every frame.
    runs: Option<(RunsKey, Vec<String>)>,
}

type RunsKey = (PathBuf, Option<String>, u64);

impl Default for ExportPane {
    fn default() -> Self {
        Self {
            data_path: String::new(),
            run: None,
            format: ModelFormat::Gguf,
            quant: Quant::Q8_0,
            out: String::new(),
            out_for: None,
            job: None,
            stage: String::new(),
            report: None,
            runs: None,
        }
    }
}

impl ExportPane {
    /// The last verification report shown (for tests).
    pub fn report(&self) -> Option<&ExportReport> {
        self.report.as_ref()
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        let Some(job) = &mut self.job else { return };
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                Event::Stage(text) => self.stage = text,
                Event::Done(result) => match *result {
                    Ok(report) => {
                        shared.notes.info(format!("Exported and verified {}", report.path.display()));
                        self.report = Some(report);
                        self.stage.clear();
                    }
                    Err(e) => {
                        self.stage = format!("Export failed: {e}");
                        shared.notes.error(e);
                    }
                },
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
        ui.heading("Export");
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            self.data_ui(ui, shared);
            ui.separator();
            self.model_ui(ui, shared);
        });
    }

    fn data_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        if self.data_path.is_empty() {
            self.data_path = project.dir().join("labeled.csv").display().to_string();
        }
        ui.strong("Labeled data");
        ui.horizontal(|ui| {
            let label = ui.label("Export file");
            ui.add(egui::TextEdit::singleline(&mut self.data_path).desired_width(420.0)).labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            for (name, format) in [("Export CSV", ExportFormat::Csv), ("Export JSON Lines", ExportFormat::Jsonl)] {
                if ui.button(name).clicked() {
                    let path = PathBuf::from(self.data_path.trim());
                    match export(project, format, &path) {
                        Ok(n) => shared.notes.info(format!("Wrote {n} examples to {}", path.display())),
                        Err(e) => shared.notes.error(e.to_string()),
                    }
                }
            }
        });
    }

    fn model_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        ui.strong("Model");
        let key = (project.dir().to_path_buf(), project.meta.run.clone(), shared.revision);
        if self.runs.as_ref().is_none_or(|(k, _)| k != &key) {
            let finished = project.runs().into_iter().filter(|(_, info)| info.is_some()).map(|(n, _)| n).collect();
            self.runs = Some((key, finished));
        }
        let runs = self.runs.as_ref().map(|(_, r)| r.clone()).unwrap_or_default();
        if runs.is_empty() {
            ui.label("Train a model first (Train pane); its runs can be exported here.");
            return;
        }
        if self.run.as_ref().is_none_or(|r| !runs.contains(r)) {
            self.run = project.meta.run.clone().filter(|r| runs.contains(r)).or_else(|| runs.last().cloned());
        }
        let idle = self.job.is_none();
        ui.add_enabled_ui(idle, |ui| self.choices_ui(ui, &runs));
        let (Some(run), true) = (self.run.clone(), idle) else {
            self.progress_ui(ui);
            self.report_ui(ui, shared);
            return;
        };
        let key = (run.clone(), self.format, self.quant);
        if self.out_for.as_ref() != Some(&key) {
            let name = self.format.default_file_name(&run, self.quant);
            let out = project.dir().join("exports").join(name);
            // An earlier export at this place: show its saved report until a new one is made.
            self.report = ExportReport::load(&ExportReport::path_for(&out)).ok();
            self.out = out.display().to_string();
            self.out_for = Some(key);
        }
        ui.horizontal(|ui| {
            let label = ui.label("Write to");
            ui.add(egui::TextEdit::singleline(&mut self.out).desired_width(460.0)).labelled_by(label.id);
        });
        ui.weak(
            "After writing, the export is loaded back and compared with the run on the validation split \
             (else the test split; without labeled examples, on probe texts).",
        );
        if ui.button("Export and verify").clicked() {
            let verify = verify_data(project);
            self.start(ui.ctx(), shared, project_run_dir(project, &run), verify);
        }
        self.report_ui(ui, shared);
    }

    fn choices_ui(&mut self, ui: &mut egui::Ui, runs: &[String]) {
        egui::Grid::new("export-choices").num_columns(2).show(ui, |ui| {
            let label = ui.label("Run");
            let current = self.run.clone().unwrap_or_default();
            egui::ComboBox::from_id_salt("export-run")
                .selected_text(&current)
                .show_ui(ui, |ui| {
                    for r in runs {
                        ui.selectable_value(&mut self.run, Some(r.clone()), r);
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            ui.label("Format");
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.format, ModelFormat::Gguf, "GGUF (one file)");
                ui.radio_value(&mut self.format, ModelFormat::Safetensors, "Hugging Face folder (safetensors)");
            });
            ui.end_row();
            if !self.format.quants().contains(&self.quant) {
                self.quant = Quant::F32;
            }
            let label = ui.label("Weights");
            egui::ComboBox::from_id_salt("export-quant")
                .selected_text(format!("{} — {}", self.quant.name(), self.quant.describe()))
                .show_ui(ui, |ui| {
                    for &q in self.format.quants() {
                        ui.selectable_value(&mut self.quant, q, format!("{} — {}", q.name(), q.describe()));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
        });
    }

    fn start(&mut self, ctx: &egui::Context, shared: &mut Shared, run_dir: PathBuf, verify: Option<VerifyData>) {
        let out = PathBuf::from(self.out.trim());
        let req = ExportRequest {
            run_dir,
            format: self.format,
            quant: self.quant,
            out,
            verify,
            batch_size: 32,
            max_len: 256,
        };
        self.stage = "Starting".into();
        self.report = None;
        let spawned = Job::spawn("export", ctx, move |tx, cancel| {
            let result = export_model(&req, cancel, |ExportEvent::Stage(text)| _ = tx.send(Event::Stage(text)));
            tx.send(Event::Done(Box::new(result.map_err(|e| e.to_string()))));
        });
        match spawned {
            Ok(job) => self.job = Some(job),
            Err(e) => shared.notes.error(e),
        }
    }

    fn progress_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(job) = &self.job {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(&self.stage);
                if ui.button("Cancel export").clicked() {
                    job.control.cancel();
                }
            });
        }
    }

    fn report_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if self.job.is_none() && self.stage.starts_with("Export failed") {
            ui.colored_label(ui.visuals().error_fg_color, &self.stage);
        }
        let Some(report) = &self.report else { return };
        ui.separator();
        ui.strong(format!("Verification of {}", report.path.display()));
        ui.weak(format!("On {} ({} examples).", report.data, report.examples));
        ui.horizontal_wrapped(|ui| {
            let card = |ui: &mut egui::Ui, title: &str, value: String, detail: String| {
                ui.group(|ui| {
                    ui.vertical(|ui| {
                        ui.weak(title);
                        ui.heading(value);
                        ui.label(detail);
                    });
                });
            };
            let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
            card(
                ui,
                "Size",
                mb(report.size_bytes),
                format!("{:.0} % of {}", 100.0 * report.size_ratio(), mb(report.base_size_bytes)),
            );
            if let (Some(a), Some(b)) = (report.accuracy, report.base_accuracy) {
                card(ui, "Accuracy", format!("{:.2} %", 100.0 * a), format!("was {:.2} %", 100.0 * b));
            }
            if let (Some(f), Some(b)) = (report.macro_f1, report.base_macro_f1) {
                card(ui, "Macro-F1", format!("{f:.4}"), format!("was {b:.4}"));
            }
            if let (Some(r), Some(b)) = (report.rmse, report.base_rmse) {
                card(ui, "RMSE", format!("{r:.4}"), format!("was {b:.4}"));
            }
            if let (Some(f), Some(b)) = (report.entity_f1, report.base_entity_f1) {
                card(ui, "Entity F1", format!("{f:.4}"), format!("was {b:.4}"));
            }
            card(
                ui,
                "Predictions changed",
                report.flipped.to_string(),
                format!("{:.2} % agree", 100.0 * report.agreement),
            );
            card(
                ui,
                "Speed",
                format!("{:.0} examples/s", report.examples_per_s),
                format!("was {:.0} ({:.2}x, {})", report.base_examples_per_s, report.speedup(), report.kernel),
            );
        });
        if report.needs_attention() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "This export changed more predictions than expected: review the flipped examples, or choose q8_0 or f16.",
            );
        }
        if let Some(t) = report.tensors.as_ref().filter(|t| !t.fallbacks.is_empty()) {
            egui::CollapsingHeader::new("Tensors stored in another format than asked")
                .show(ui, |ui| t.fallbacks.iter().for_each(|f| _ = ui.label(f)));
        }
        if report.flipped_examples.is_empty() {
            return;
        }
        ui.label("Examples whose prediction changed:");
        let mut open = None;
        egui::Grid::new("flipped").striped(true).num_columns(4).show(ui, |ui| {
            for f in report.flipped_examples.iter().take(200) {
                ui.label(format!("{} to {}", f.base_label, f.label));
                ui.label(f.true_label.as_deref().map(|t| format!("true: {t}")).unwrap_or_default());
                ui.label(truncate(&f.text, 90));
                match f.row {
                    Some(row) => {
                        ui.horizontal(|ui| {
                            if ui.button(format!("Open example {row}")).clicked() {
                                open = Some((row, Pane::Label));
                            }
                            if ui.button(format!("Explain example {row}")).clicked() {
                                open = Some((row, Pane::Explain));
                            }
                        });
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });
        if let Some((row, pane)) = open {
            shared.current_row = Some(row);
            shared.go_to = Some(pane);
        }
    }
}

fn project_run_dir(project: &Project, run: &str) -> PathBuf {
    project.runs_dir().join(run)
}

/// The project's labeled (or, for regression, scored; for token classification, tagged)
/// validation examples, else its test examples.
fn verify_data(project: &Project) -> Option<VerifyData> {
    if project.meta.task == Task::TokenClassification {
        return [Split::Valid, Split::Test].into_iter().find_map(|split| {
            let (rows, data) = tagged_sentences(project, split);
            if rows.is_empty() {
                return None;
            }
            let mut verify =
                VerifyData::tagged(&data, format!("the {} split ({} tagged sentences)", split.name(), rows.len()));
            verify.rows = Some(rows);
            Some(verify)
        });
    }
    [Split::Valid, Split::Test].into_iter().find_map(|split| {
        let data = project_split_data(project, split);
        if data.is_empty() {
            return None;
        }
        let mut verify =
            VerifyData::labeled(&data, format!("the {} split ({} labeled examples)", split.name(), data.len()));
        verify.rows = Some(project_split_rows(project, split));
        Some(verify)
    })
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}
