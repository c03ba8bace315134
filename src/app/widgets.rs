//! Shared widgets: the confusion-matrix heat map (clickable cells, legend), probability bars,
//! metric cards, the per-class scores table, and a named drop-down.

use egui::{Color32, Role, Sense, Vec2, WidgetInfo};

/// Draws a confusion matrix (rows: true label, columns: predicted), shaded by the share of each
/// true label's examples. Returns the clicked cell (true, predicted).
pub fn confusion_ui(ui: &mut egui::Ui, labels: &[String], confusion: &[Vec<u64>]) -> Option<(usize, usize)> {
    let mut clicked = None;
    let cell = Vec2::new(64.0, 30.0);
    let accent = ui.visuals().selection.bg_fill;
    let base = ui.visuals().extreme_bg_color;
    egui::Grid::new("confusion").spacing([2.0, 2.0]).show(ui, |ui| {
        ui.label("true \\ predicted");
        for l in labels {
            ui.add_sized([cell.x, 20.0], egui::Label::new(egui::RichText::new(l).strong()).truncate());
        }
        ui.end_row();
        for (t, row) in confusion.iter().enumerate() {
            ui.add(egui::Label::new(egui::RichText::new(&labels[t]).strong()).truncate());
            let total: u64 = row.iter().sum::<u64>().max(1);
            for (p, &count) in row.iter().enumerate() {
                let share = count as f32 / total as f32;
                let fill = lerp(base, accent, share);
                let (rect, response) = ui.allocate_exact_size(cell, Sense::click());
                let name = format!("true {}, predicted {}: {count}", labels[t], labels[p]);
                response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &name));
                ui.painter().rect_filled(rect, 3.0, fill);
                let text_colour = if share > 0.5 { Color32::WHITE } else { ui.visuals().text_color() };
                ui.painter().text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    count.to_string(),
                    egui::FontId::proportional(14.0),
                    text_colour,
                );
                if response.clicked() {
                    clicked = Some((t, p));
                }
                response.on_hover_text(format!("{name} ({:.0}% of true {})", share * 100.0, labels[t]));
            }
            ui.end_row();
        }
    });
    ui.horizontal(|ui| {
        ui.weak("Shade: share of the true label's examples — ");
        for s in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let (rect, _) = ui.allocate_exact_size(Vec2::new(22.0, 12.0), Sense::hover());
            ui.painter().rect_filled(rect, 2.0, lerp(base, accent, s));
        }
        ui.weak("0% to 100%. Click a cell to list its examples.");
    });
    clicked
}

fn lerp(a: Color32, b: Color32, t: f32) -> Color32 {
    let mix = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t.clamp(0.0, 1.0)) as u8;
    Color32::from_rgb(mix(a.r(), b.r()), mix(a.g(), b.g()), mix(a.b(), b.b()))
}

/// A horizontal bar per class with its probability.
pub fn probability_bars_ui(ui: &mut egui::Ui, labels: &[String], probabilities: &[f32]) {
    egui::Grid::new("probabilities").show(ui, |ui| {
        for (l, &p) in labels.iter().zip(probabilities) {
            ui.label(l);
            ui.add(egui::ProgressBar::new(p).text(format!("{:.1}%", p * 100.0)).desired_width(260.0));
            ui.end_row();
        }
    });
}

/// A row of cards, each a measure's name and its value as a percentage, then a note.
pub fn metric_cards_ui(ui: &mut egui::Ui, cards: &[(&str, f64)], note: &str) {
    ui.horizontal(|ui| {
        for (name, value) in cards {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.weak(*name);
                    ui.heading(format!("{:.1}%", value * 100.0));
                });
            });
        }
        ui.label(note);
    });
}

/// A table of precision, recall, F1 and support, one row per class (or entity type).
pub fn scores_table_ui(ui: &mut egui::Ui, first_column: &str, rows: &[(&str, f64, f64, f64, usize)]) {
    egui::Grid::new(first_column).striped(true).show(ui, |ui| {
        for h in [first_column, "precision", "recall", "F1", "support"] {
            ui.strong(h);
        }
        ui.end_row();
        for (name, precision, recall, f1, support) in rows {
            ui.label(*name);
            ui.label(format!("{precision:.3}"));
            ui.label(format!("{recall:.3}"));
            ui.label(format!("{f1:.3}"));
            ui.label(support.to_string());
            ui.end_row();
        }
    });
}

/// A row of cards like `metric_cards_ui`, for values that are not shares (errors, correlations):
/// each a measure's name and its value as already written, then a note.
pub fn value_cards_ui(ui: &mut egui::Ui, cards: &[(&str, String)], note: &str) {
    ui.horizontal(|ui| {
        for (name, value) in cards {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.weak(*name);
                    ui.heading(value.as_str());
                });
            });
        }
        ui.label(note);
    });
}

/// A drop-down named `name` (its visible label, its id, and the name tests and screen readers
/// find it by) that sets `value` to one of `options`, each shown with its text; `shown` is the
/// closed drop-down's text. Returns the drop-down's response (for a hover text).
pub fn choice_ui<T: Clone + PartialEq>(
    ui: &mut egui::Ui,
    name: &str,
    shown: impl Into<egui::WidgetText>,
    value: &mut T,
    options: impl IntoIterator<Item = (T, String)>,
) -> egui::Response {
    let label = ui.label(name);
    egui::ComboBox::from_id_salt(name)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for (option, text) in options {
                ui.selectable_value(value, option, text);
            }
        })
        .response
        .labelled_by(label.id)
}
