//! The Data pane: the import wizard — pick a file, see what was detected (format, encoding,
//! delimiter, header) with a preview, map the columns, import on a worker with progress, and
//! read the report of rows that could not be read. With a project open, its label distribution.

use std::path::{Path, PathBuf};

use egui_plot::{Bar, BarChart, Plot};

use super::shared::{Pane, Shared};
use super::start_pane::browse_job;
use super::worker::{Job, DRAIN_BUDGET};
use crate::data::import::{
    import, sniff, ColumnRef, Format, ImportProgress, ImportReport, ImportSpec, Sniffed, Target,
};
use crate::project::{create_from_import, CreateOptions, Project, SplitPlan};

enum ImportEvent {
    Progress(ImportProgress),
    Done(Result<Box<(Project, ImportReport)>, String>),
}

#[derive(Default)]
pub struct DataPane {
    path: String,
    sniffed: Option<Sniffed>,
    sniff_error: Option<String>,
    text_column: usize,
    pair_column: Option<usize>,
    label_column: Option<usize>,
    score_column: Option<usize>,
    /// JSON Lines: the column of entity spans by character offsets (named entities).
    spans_column: Option<usize>,
    separator: String,
    project_dir: String,
    job: Option<Job<ImportEvent>>,
    progress: Option<ImportProgress>,
    report: Option<ImportReport>,
    browse: Option<Job<Option<PathBuf>>>,
}

impl DataPane {
    /// Chooses a file and previews it.
    pub fn set_file(&mut self, path: &Path, shared: &mut Shared) {
        self.path = path.display().to_string();
        self.preview(shared);
    }

    fn preview(&mut self, _shared: &mut Shared) {
        self.report = None;
        let path = PathBuf::from(self.path.trim());
        match sniff(&path, 5) {
            Ok(s) => {
                let spec = s.suggest_spec();
                let index = |c: &ColumnRef| match c {
                    ColumnRef::Index(i) => Some(*i),
                    ColumnRef::Name(n) => s.columns.iter().position(|x| x == n),
                };
                self.text_column = index(&spec.text).unwrap_or(0);
                self.pair_column = spec.text_pair.as_ref().and_then(index);
                (self.label_column, self.score_column, self.separator) = match &spec.target {
                    Target::Labels { columns, separator } => {
                        (columns.first().and_then(index), None, separator.clone().unwrap_or_default())
                    }
                    Target::Score(c) => (None, index(c), String::new()),
                    Target::Unlabeled | Target::Spans(_) => (None, None, String::new()),
                };
                self.spans_column = match &spec.target {
                    Target::Spans(c) => index(c),
                    _ => None,
                };
                let stem =
                    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into());
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                self.project_dir = base.join(format!("{stem}-attune")).display().to_string();
                self.sniffed = Some(s);
                self.sniff_error = None;
            }
            Err(e) => {
                self.sniffed = None;
                self.sniff_error = Some(e.to_string());
            }
        }
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        if let Some(job) = &mut self.browse {
            let picked: Vec<PathBuf> = job.drain(DRAIN_BUDGET).into_iter().flatten().collect();
            if job.is_finished() {
                self.browse = None;
            }
            if let Some(p) = picked.into_iter().next() {
                self.set_file(&p, shared);
            }
        }
        let Some(job) = &mut self.job else { return };
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                ImportEvent::Progress(p) => self.progress = Some(p),
                ImportEvent::Done(Ok(done)) => {
                    let (project, report) = *done;
                    self.report = Some(report);
                    shared.set_project(project);
                }
                ImportEvent::Done(Err(e)) => shared.notes.error(e),
            }
        }
        if job.is_finished() {
            self.job = None;
            self.progress = None;
        }
    }

    fn spec(&self, s: &Sniffed) -> ImportSpec {
        let name = |i: usize| ColumnRef::Name(s.columns.get(i).cloned().unwrap_or_default());
        let target = match (self.score_column, self.label_column) {
            _ if self.spans_column.is_some() => Target::Spans(name(self.spans_column.unwrap_or_default())),
            (Some(c), _) => Target::Score(name(c)),
            (None, Some(c)) => Target::Labels {
                columns: vec![name(c)],
                separator: (!self.separator.trim().is_empty()).then(|| self.separator.trim().to_string()),
            },
            (None, None) => Target::Unlabeled,
        };
        ImportSpec { layout: s.layout, text: name(self.text_column), text_pair: self.pair_column.map(name), target }
    }

    fn start_import(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(s) = &self.sniffed else { return };
        let spec = self.spec(s);
        let path = PathBuf::from(self.path.trim());
        let dir = PathBuf::from(self.project_dir.trim());
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into());
        let job = Job::spawn("import", ctx, move |tx, cancel| {
            let result = import(&path, &spec, &mut |p| _ = tx.send(ImportEvent::Progress(p)), cancel)
                .map_err(|e| e.to_string())
                .and_then(|imported| {
                    let report = imported.report.clone();
                    let opts = CreateOptions { name, seed: 42, split: SplitPlan::default() };
                    create_from_import(&dir, vec![(imported, None)], &opts)
                        .map(|p| Box::new((p, report)))
                        .map_err(|e| e.to_string())
                });
            tx.send(ImportEvent::Done(result));
        });
        match job {
            Ok(j) => self.job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        ui.heading("Import data");
        ui.horizontal(|ui| {
            let label = ui.label("Data file");
            ui.add(egui::TextEdit::singleline(&mut self.path).hint_text("/path/to/data.csv").desired_width(460.0))
                .labelled_by(label.id);
            if ui.add_enabled(self.browse.is_none(), egui::Button::new("Browse…")).clicked() {
                self.browse = browse_job(ui.ctx(), false);
            }
            if ui.button("Preview").clicked() {
                self.preview(shared);
            }
        });
        if let Some(e) = &self.sniff_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if self.sniffed.is_some() {
            self.mapping_ui(ui, shared);
        }
        if let Some(report) = &self.report {
            report_ui(ui, report);
        }
        if let Some(project) = &shared.project {
            ui.separator();
            distribution_ui(ui, project);
            if ui.button("Label the examples").clicked() {
                shared.go_to = Some(Pane::Label);
            }
        }
    }

    fn mapping_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(s) = &self.sniffed else { return };
        let delimiter = match s.layout.format.delimiter() {
            Some(b'\t') => "tab".to_string(),
            Some(d) => format!("\"{}\"", d as char),
            None => "—".into(),
        };
        ui.label(format!(
            "Detected: {} · {} · delimiter {} · {}",
            s.layout.format.name(),
            s.layout.encoding.name(),
            delimiter,
            if s.layout.has_header { "first row is a header" } else { "no header row" }
        ));
        egui::ScrollArea::horizontal().id_salt("preview").show(ui, |ui| {
            egui::Grid::new("preview-grid").striped(true).show(ui, |ui| {
                for c in &s.columns {
                    ui.strong(c);
                }
                ui.end_row();
                for row in &s.preview {
                    for cell in row {
                        let short: String = cell.chars().take(60).collect();
                        ui.label(short);
                    }
                    ui.end_row();
                }
            });
        });
        let columns = s.columns.clone();
        egui::Grid::new("mapping").num_columns(2).show(ui, |ui| {
            let label = ui.label("Text column").id;
            if let Some(c) = column_combo(ui, label, &columns, &mut Some(self.text_column), false) {
                self.text_column = c;
            }
            ui.end_row();
            let label = ui.label("Second text (pairs)").id;
            column_combo(ui, label, &columns, &mut self.pair_column, true);
            ui.end_row();
            let label = ui.label("Label column").id;
            column_combo(ui, label, &columns, &mut self.label_column, true);
            ui.end_row();
            let label = ui.label("Score column (regression)").id;
            column_combo(ui, label, &columns, &mut self.score_column, true);
            ui.end_row();
            if s.layout.format == Format::JsonLines {
                let label = ui.label("Entity spans (character offsets)").id;
                column_combo(ui, label, &columns, &mut self.spans_column, true);
                ui.end_row();
            }
            let sep = ui.label("Several labels per cell, separated by");
            ui.add(egui::TextEdit::singleline(&mut self.separator).desired_width(40.0)).labelled_by(sep.id);
            ui.end_row();
            let dir = ui.label("Project folder");
            ui.add(egui::TextEdit::singleline(&mut self.project_dir).desired_width(460.0)).labelled_by(dir.id);
            ui.end_row();
        });
        match &self.job {
            Some(job) => {
                ui.horizontal(|ui| {
                    let rows = self.progress.map(|p| p.rows).unwrap_or(0);
                    let fraction =
                        self.progress.map(|p| p.bytes_read as f32 / p.total_bytes.max(1) as f32).unwrap_or(0.0);
                    ui.add(egui::ProgressBar::new(fraction).text(format!("{rows} rows")).desired_width(300.0));
                    if ui.button("Cancel import").clicked() {
                        job.control.cancel();
                    }
                });
            }
            None => {
                if ui.button("Import into a new project").clicked() {
                    let ctx = ui.ctx().clone();
                    self.start_import(&ctx, shared);
                }
            }
        }
    }
}

/// A column picker; returns the newly chosen index when the choice changed.
fn column_combo(
    ui: &mut egui::Ui,
    label: egui::Id,
    columns: &[String],
    choice: &mut Option<usize>,
    optional: bool,
) -> Option<usize> {
    let shown = choice.and_then(|i| columns.get(i).cloned()).unwrap_or_else(|| "(none)".into());
    let before = *choice;
    let combo = egui::ComboBox::from_id_salt(label).selected_text(shown).show_ui(ui, |ui| {
        if optional {
            ui.selectable_value(choice, None, "(none)");
        }
        for (i, c) in columns.iter().enumerate() {
            ui.selectable_value(choice, Some(i), c);
        }
    });
    combo.response.labelled_by(label);
    if *choice != before {
        *choice
    } else {
        None
    }
}

fn report_ui(ui: &mut egui::Ui, report: &ImportReport) {
    ui.separator();
    if report.converted_tags > 0 {
        ui.label(format!("{} entity tags were rewritten to IOB2 (from IOB1, BIOES or BILOU).", report.converted_tags));
    }
    if report.problems.is_empty() {
        ui.label(format!("Imported every one of {} rows.", report.rows_seen));
        return;
    }
    ui.colored_label(
        ui.visuals().warn_fg_color,
        format!("{} of {} rows could not be read; the rest was imported:", report.problems.len(), report.rows_seen),
    );
    egui::ScrollArea::vertical().id_salt("report").max_height(160.0).show(ui, |ui| {
        egui::Grid::new("report-grid").striped(true).show(ui, |ui| {
            ui.strong("row");
            ui.strong("line");
            ui.strong("what is wrong");
            ui.end_row();
            for p in report.problems.iter().take(1000) {
                ui.label(p.row.to_string());
                ui.label(p.line.map(|l| l.to_string()).unwrap_or_default());
                ui.label(&p.message);
                ui.end_row();
            }
        });
    });
}

/// Bars of how many examples carry each label.
pub fn distribution_ui(ui: &mut egui::Ui, project: &Project) {
    let state = project.state();
    ui.strong(format!("{} — {} of {} examples labeled", project.meta.name, state.annotations.len(), project.len()));
    let mut counts = vec![0usize; project.labels().len()];
    for a in state.annotations.values() {
        for l in &a.labels {
            if let Some(i) = state.label_index(l) {
                counts[i] += 1;
            }
        }
    }
    let bars: Vec<Bar> = project
        .labels()
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (d, &n))| {
            Bar::new(i as f64, n as f64).name(&d.name).fill(egui::Color32::from_rgb(
                d.colour[0],
                d.colour[1],
                d.colour[2],
            ))
        })
        .collect();
    let names: Vec<String> = project.labels().iter().map(|d| d.name.clone()).collect();
    Plot::new("label-distribution")
        .height(160.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| names.get(mark.value.round() as usize).cloned().unwrap_or_default())
        .show(ui, |plot| plot.bar_chart(BarChart::new("labels", bars)));
}
