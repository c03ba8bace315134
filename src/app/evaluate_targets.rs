//! The Evaluate pane for models that give several labels per text (multi-label) or a number per
//! text (regression), measured on the project's validation split (else its test split). Label
//! sets: micro/macro F1 and subset accuracy cards, the per-label scores with their tuned
//! thresholds, and each label's 2×2 confusion whose cells list their examples. Numbers: error and
//! correlation cards, predicted against true as a scatter plot, and the largest errors. Every
//! listed example is one click from relabeling or explaining it.

use egui::{Role, Sense, Stroke, Vec2, WidgetInfo};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::shared::Pane;
use super::widgets::{metric_cards_ui, scores_table_ui, value_cards_ui};
use crate::data::LabeledTexts;
use crate::model::{LoadOptions, SequenceClassifier};
use crate::project::{project_split_data, project_split_rows, Project, Split};
use crate::train::{evaluate_texts, LabelCounts, LabelSetEvaluation, ScoreEvaluation, TextEvaluation};

/// Examples listed at most under a clicked cell, and the largest errors listed.
const LISTED: usize = 500;
const LARGEST_ERRORS: usize = 20;

/// A cell of one label's confusion: whether the example has the label, and whether it was predicted.
#[derive(Clone, Copy, PartialEq)]
struct Cell {
    labeled: bool,
    predicted: bool,
}

impl Cell {
    fn name(self) -> &'static str {
        match (self.labeled, self.predicted) {
            (true, true) => "true positives",
            (true, false) => "false negatives",
            (false, true) => "false positives",
            (false, false) => "true negatives",
        }
    }

    fn count(self, c: &LabelCounts) -> u64 {
        match (self.labeled, self.predicted) {
            (true, true) => c.true_positives,
            (true, false) => c.false_negatives,
            (false, true) => c.false_positives,
            (false, false) => c.true_negatives,
        }
    }

    fn describe(self, label: &str) -> String {
        match (self.labeled, self.predicted) {
            (true, true) => format!("labeled {label} and predicted {label}"),
            (true, false) => format!("labeled {label} but not predicted {label}"),
            (false, true) => format!("predicted {label} but not labeled {label}"),
            (false, false) => format!("neither labeled nor predicted {label}"),
        }
    }
}

enum Measured {
    LabelSets(LabelSetEvaluation),
    /// With the example indices of the largest errors, largest first.
    Scores(ScoreEvaluation, Vec<usize>),
}

/// A multi-label or regression model measured on the project's validation (or test) examples.
pub struct TargetResult {
    pub run: String,
    split: &'static str,
    /// The project rows measured, in the order of the evaluation's examples.
    rows: Vec<usize>,
    measured: Measured,
    /// The clicked cell (label index and cell), and the example indices in it.
    selected: Option<(usize, Cell)>,
    selected_items: Vec<usize>,
    selected_rows: Vec<usize>,
}

/// The examples to measure on: the validation split, else the test split, with their rows and
/// the split's name.
pub fn data_to_measure(project: &Project) -> (Vec<usize>, LabeledTexts, &'static str) {
    let data = project_split_data(project, Split::Valid);
    if !data.is_empty() {
        return (project_split_rows(project, Split::Valid), data, "validation");
    }
    (project_split_rows(project, Split::Test), project_split_data(project, Split::Test), "test")
}

/// Loads the run and measures it (on a worker thread).
pub fn measure(
    run: String,
    run_dir: &std::path::Path,
    rows: Vec<usize>,
    data: LabeledTexts,
    split: &'static str,
) -> Result<TargetResult, String> {
    let model = SequenceClassifier::load(run_dir, &LoadOptions { max_len: 256, ..LoadOptions::default() })
        .map_err(|e| format!("Could not load the model of run {run}: {e}"))?;
    let measured = match evaluate_texts(&model, &data, 32) {
        Ok(TextEvaluation::LabelSets(eval)) => Measured::LabelSets(eval),
        Ok(TextEvaluation::Scores(eval)) => {
            let error = |i: usize| (eval.predictions[i] - eval.truth[i]).abs();
            let mut worst: Vec<usize> = (0..eval.truth.len()).collect();
            worst.sort_by(|&a, &b| error(b).total_cmp(&error(a)));
            worst.truncate(LARGEST_ERRORS);
            Measured::Scores(eval, worst)
        }
        Ok(TextEvaluation::Classes(_)) => {
            return Err(format!("Run {run} gives one label per text; train a model for this project's task."))
        }
        Err(e) => return Err(format!("Could not evaluate run {run}: {e}")),
    };
    let (selected, selected_items, selected_rows) = (None, Vec::new(), Vec::new());
    Ok(TargetResult { run, split, rows, measured, selected, selected_items, selected_rows })
}

impl TargetResult {
    /// The project rows listed for the clicked confusion cell (for tests).
    pub fn selected_rows(&self) -> &[usize] {
        &self.selected_rows
    }

    /// Draws the result; returns the row and pane of a clicked "Relabel" or "Explain" button.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project) -> Option<(usize, Pane)> {
        match &self.measured {
            Measured::LabelSets(_) => self.label_sets_ui(ui, project),
            Measured::Scores(eval, worst) => scores_ui(ui, project, eval, worst, &self.rows, self.split),
        }
    }

    fn label_sets_ui(&mut self, ui: &mut egui::Ui, project: &Project) -> Option<(usize, Pane)> {
        let Measured::LabelSets(eval) = &self.measured else { return None };
        let m = &eval.metrics;
        let cards = [("Micro F1", m.micro_f1), ("Macro F1", m.macro_f1), ("Subset accuracy", m.subset_accuracy)];
        let mut note = format!("Hamming loss {:.3}, on {} {} examples", m.hamming_loss, m.examples, self.split);
        if self.split == "validation" {
            note.push_str(" (the thresholds were tuned on them, so these scores lean high)");
        }
        metric_cards_ui(ui, &cards, &note);
        let rows: Vec<_> = m
            .labels
            .iter()
            .filter_map(|l| m.per_label.get(l).map(|s| (l.as_str(), s.precision, s.recall, s.f1, s.support as usize)))
            .collect();
        scores_table_ui(ui, "label", &rows);
        ui.separator();
        ui.weak(
            "Each label is predicted when its probability reaches its threshold (tuned on validation at \
             training). Click a cell for its examples.",
        );
        let mut clicked = None;
        ui.horizontal_wrapped(|ui| {
            for (i, label) in m.labels.iter().enumerate() {
                let (Some(counts), threshold) = (m.counts.get(label), eval.thresholds.get(i).copied()) else {
                    continue;
                };
                let selected = self.selected.filter(|s| s.0 == i).map(|s| s.1);
                if let Some(cell) = label_confusion_ui(ui, label, threshold, counts, selected) {
                    clicked = Some((i, cell));
                }
            }
        });
        if let Some((i, cell)) = clicked {
            self.selected = Some((i, cell));
            self.selected_items = (0..self.rows.len())
                .filter(|&k| {
                    let flag = |v: &[Vec<bool>]| v.get(k).and_then(|r| r.get(i)).copied().unwrap_or(false);
                    flag(&eval.truth) == cell.labeled && flag(&eval.predicted) == cell.predicted
                })
                .collect();
            self.selected_rows = self.selected_items.iter().map(|&k| self.rows[k]).collect();
        }
        let (i, cell) = self.selected?;
        let label = m.labels.get(i)?;
        ui.strong(format!("{} examples {}", self.selected_items.len(), cell.describe(label)));
        let names = |flags: &[Vec<bool>], k: usize| {
            let row = flags.get(k).map(Vec::as_slice).unwrap_or_default();
            let on: Vec<&str> = m.labels.iter().zip(row).filter(|(_, &f)| f).map(|(l, _)| l.as_str()).collect();
            if on.is_empty() {
                "none".to_string()
            } else {
                on.join("; ")
            }
        };
        let items: Vec<(usize, String)> = self
            .selected_items
            .iter()
            .take(LISTED)
            .map(|&k| {
                (self.rows[k], format!("labels {} · predicted {}", names(&eval.truth, k), names(&eval.predicted, k)))
            })
            .collect();
        examples_ui(ui, project, "label-cell-examples", &items)
    }
}

/// One label's 2×2 confusion (rows: labeled or not; columns: predicted or not), shaded by the
/// share of the row. Returns the clicked cell.
fn label_confusion_ui(
    ui: &mut egui::Ui,
    label: &str,
    threshold: Option<f32>,
    counts: &LabelCounts,
    selected: Option<Cell>,
) -> Option<Cell> {
    let mut clicked = None;
    let (accent, base) = (ui.visuals().selection.bg_fill, ui.visuals().extreme_bg_color);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.strong(label);
                if let Some(t) = threshold {
                    ui.weak(format!("threshold {t:.2}"));
                }
            });
            egui::Grid::new(("label-confusion", label)).spacing([2.0, 2.0]).show(ui, |ui| {
                ui.label("");
                ui.weak("predicted");
                ui.weak("not predicted");
                ui.end_row();
                for labeled in [true, false] {
                    ui.weak(if labeled { "labeled" } else { "not labeled" });
                    let cells = [true, false].map(|predicted| Cell { labeled, predicted });
                    let total = cells.iter().map(|c| c.count(counts)).sum::<u64>().max(1);
                    for cell in cells {
                        let count = cell.count(counts);
                        let share = count as f32 / total as f32;
                        let (rect, response) = ui.allocate_exact_size(Vec2::new(64.0, 28.0), Sense::click());
                        let name = format!("{label}: {} {count}", cell.name());
                        response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &name));
                        ui.painter().rect_filled(rect, 3.0, base.lerp_to_gamma(accent, share));
                        if selected == Some(cell) {
                            let stroke = Stroke::new(2.0, ui.visuals().strong_text_color());
                            ui.painter().rect_stroke(rect, 3.0, stroke, egui::StrokeKind::Inside);
                        }
                        let colour = if share > 0.5 { egui::Color32::WHITE } else { ui.visuals().text_color() };
                        let font = egui::FontId::proportional(14.0);
                        ui.painter().text(rect.center(), egui::Align2::CENTER_CENTER, count, font, colour);
                        if response.clicked() {
                            clicked = Some(cell);
                        }
                        response.on_hover_text(format!("{name}: {}", cell.describe(label)));
                    }
                    ui.end_row();
                }
            });
        });
    });
    clicked
}

/// Regression: error and correlation cards, predicted against true, and the largest errors.
fn scores_ui(
    ui: &mut egui::Ui,
    project: &Project,
    eval: &ScoreEvaluation,
    worst: &[usize],
    rows: &[usize],
    split: &str,
) -> Option<(usize, Pane)> {
    let m = &eval.metrics;
    let value = |v: f64| format!("{v:.3}");
    let cards = [
        ("RMSE", value(m.rmse)),
        ("MAE", value(m.mae)),
        ("Pearson", value(m.pearson)),
        ("Spearman", value(m.spearman)),
    ];
    value_cards_ui(ui, &cards, &format!("R² {:.3}, on {} {split} examples", m.r2, m.examples));
    ui.separator();
    let points: Vec<[f64; 2]> = eval.truth.iter().zip(&eval.predictions).map(|(&t, &p)| [t, p]).collect();
    let all = eval.truth.iter().chain(&eval.predictions).copied();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    Plot::new("predicted-vs-true")
        .width(360.0)
        .height(320.0)
        .data_aspect(1.0)
        .allow_scroll(false)
        .x_axis_label("true")
        .y_axis_label("predicted")
        .legend(Legend::default())
        .show(ui, |plot| {
            if lo.is_finite() && hi.is_finite() {
                plot.line(Line::new("predicted = true", PlotPoints::from(vec![[lo, lo], [hi, hi]])));
            }
            plot.points(Points::new("examples", PlotPoints::from(points)).radius(3.0));
        });
    ui.separator();
    ui.strong(format!("The {} largest errors", worst.len()));
    let items: Vec<(usize, String)> = worst
        .iter()
        .map(|&i| (rows[i], format!("true {:.3} · predicted {:.3}", eval.truth[i], eval.predictions[i])))
        .collect();
    examples_ui(ui, project, "largest-errors", &items)
}

/// Lists examples (row and a note on it), each with "Relabel" and "Explain" buttons; returns the
/// clicked button's row and pane.
fn examples_ui(ui: &mut egui::Ui, project: &Project, id: &str, items: &[(usize, String)]) -> Option<(usize, Pane)> {
    let mut go = None;
    egui::ScrollArea::vertical().id_salt(id).max_height(ui.available_height().max(220.0)).show(ui, |ui| {
        for (row, note) in items {
            let Some(ex) = project.example(*row) else { continue };
            ui.horizontal(|ui| {
                if ui.small_button(format!("Relabel {row}")).clicked() {
                    go = Some((*row, Pane::Label));
                }
                if ui.small_button(format!("Explain {row}")).clicked() {
                    go = Some((*row, Pane::Explain));
                }
                ui.weak(note);
                let text: String = ex.text.chars().take(140).collect();
                ui.label(text);
            });
        }
    });
    go
}
