//! Labeling projects whose target is not one label per text, in the Label pane: for several labels
//! per text, a label's hotkey (1–9) or button toggles it on the current example (adds it if
//! missing, removes it if present; none left makes the example unlabeled), 0 or "None of these"
//! records that no label applies (an empty set, which training learns from), and Enter moves on;
//! for a number per text, the current example's number with a field to type a new one (Enter or
//! "Set" applies it, "Reset to imported" takes the edit back), Enter focusing that field, and
//! no label hotkeys. Also what the table shows for such an example: all its labels, or its number.

use super::super::shared::Shared;
use super::detail::source_text;
use super::LabelPane;
use crate::project::{parse_score, Op, Project, Task};

/// The typed number of a regression example, and what it was filled in for.
#[derive(Default)]
pub(super) struct ScoreDraft {
    text: String,
    /// The row and its number (as bits) when `text` was filled in.
    filled_for: Option<(usize, Option<u64>)>,
    /// Give the field the keyboard on the next frame (Enter was pressed).
    focus: bool,
}

/// The id of the number field.
fn score_field_id() -> egui::Id {
    egui::Id::unique("label-pane-score")
}

fn task_of(shared: &Shared) -> Option<Task> {
    shared.project.as_ref().map(|p| p.meta.task)
}

/// What the table shows for an example: its labels (several are joined with "; "), or its number.
pub(super) fn target_text(project: &Project, row: usize) -> String {
    match project.meta.task {
        Task::Regression => project.score_of(row).map(|s| s.to_string()).unwrap_or_default(),
        Task::MultiLabel => project.annotation(row).map(|a| multi_label_text(&a.labels)).unwrap_or_default(),
        _ => project.annotation(row).map(|a| a.labels.join(", ")).unwrap_or_default(),
    }
}

/// Several labels in words; an empty set says that none applies.
fn multi_label_text(labels: &[String]) -> String {
    if labels.is_empty() {
        NONE_OF_THESE.to_lowercase()
    } else {
        labels.join("; ")
    }
}

/// The answer of a multi-label example to which no label applies (an empty label set, which
/// training learns from, unlike an unlabeled example).
const NONE_OF_THESE: &str = "None of these";

/// What Enter does, in words, for the key help.
pub(super) fn enter_help(project: Option<&Project>) -> &'static str {
    match project.map(|p| p.meta.task) {
        Some(Task::MultiLabel) => "Enter: next example · 1–9: add or remove a label · 0: none of these",
        Some(Task::Regression) => "Enter: type the number, Enter again sets it",
        _ => "Enter: accept the suggestion",
    }
}

impl LabelPane {
    /// Enter: accepts the suggestion (one label per text, tagged words), moves on (several labels
    /// per text: the analyst is done with this example), or goes to the number field.
    pub(super) fn enter_key(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        match task_of(shared) {
            Some(Task::MultiLabel) => self.move_current(shared, 1),
            Some(Task::Regression) => self.score.focus = shared.current_row.is_some(),
            _ => self.accept_current(ctx, shared),
        }
    }

    /// The label hotkeys of multi-label and regression projects; true when the task is one of them.
    pub(super) fn target_keys(&mut self, shared: &mut Shared, digit: Option<u8>) -> bool {
        match task_of(shared) {
            Some(Task::MultiLabel) => {
                if let (Some(0), Some(row)) = (digit, shared.current_row) {
                    set_none_of_these(shared, row);
                    return true;
                }
                let key = digit.map(|d| char::from(b'0' + d));
                let label = key.and_then(|k| {
                    shared.project.as_ref()?.labels().iter().find(|l| l.hotkey == Some(k)).map(|l| l.name.clone())
                });
                if let (Some(label), Some(row)) = (label, shared.current_row) {
                    toggle_label(shared, row, &label);
                }
                true
            }
            Some(Task::Regression) => true,
            _ => false,
        }
    }

    /// The current example's labels or number in the detail view; false for the other tasks.
    pub(super) fn targets_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared, row: usize) -> bool {
        match task_of(shared) {
            Some(Task::MultiLabel) => labels_ui(ui, shared, row),
            Some(Task::Regression) => self.score_ui(ui, shared, row),
            _ => return false,
        }
        true
    }

    fn score_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared, row: usize) {
        let Some(project) = &shared.project else { return };
        let score = project.score_of(row);
        let imported = project.example(row).and_then(|e| e.score);
        let edited_by = project.score_edit(row).map(|a| a.by.clone());
        match score {
            Some(s) => ui.strong(format!("Number: {s}")),
            None => ui.label("No number yet."),
        };
        match (&edited_by, imported) {
            (Some(by), Some(i)) => ui.weak(format!("Set by {by} (imported: {i})")),
            (Some(by), None) => ui.weak(format!("Set by {by} (none was imported)")),
            (None, _) => ui.weak("As imported"),
        };
        let id = score_field_id();
        let key = (row, score.map(f64::to_bits));
        let editing = ui.memory(|m| m.has_focus(id));
        if self.score.filled_for != Some(key) && !editing {
            self.score.text = score.map(|s| s.to_string()).unwrap_or_default();
            self.score.filled_for = Some(key);
        }
        let (mut apply, mut reset) = (false, false);
        ui.horizontal(|ui| {
            let label = ui.label("New number");
            let field = egui::TextEdit::singleline(&mut self.score.text).id(id).hint_text("e.g. 0.75");
            let mut output = field.desired_width(120.0).show(ui);
            let response = output.response.response.labelled_by(label.id);
            if self.score.focus {
                // Typing replaces the whole number.
                let all = egui::text::CCursorRange::select_all_str(&self.score.text);
                output.state.cursor.set_char_range(Some(all));
                output.state.store(ui.ctx(), id);
                response.request_focus();
                self.score.focus = false;
            }
            apply = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            apply |= ui.button("Set").on_hover_text("Sets this example's number (U undoes)").clicked();
            if edited_by.is_some() {
                let hover = match imported {
                    Some(i) => format!("Puts back the imported number, {i}"),
                    None => "Removes the number: none was imported".into(),
                };
                reset = ui.button("Reset to imported").on_hover_text(hover).clicked();
            }
        });
        if apply {
            match parse_score(&self.score.text) {
                Ok(n) => set_score(shared, row, Some(n)),
                Err(e) => shared.notes.error(e.to_string()),
            }
        } else if reset {
            set_score(shared, row, None);
        }
    }
}

fn set_score(shared: &mut Shared, row: usize, score: Option<f64>) {
    let Some(project) = shared.project.as_mut() else { return };
    match project.set_score(row, score) {
        Ok(()) => shared.revision += 1,
        Err(e) => shared.notes.error(e.to_string()),
    }
}

/// Records that none of the labels applies to the example.
fn set_none_of_these(shared: &mut Shared, row: usize) {
    let Some(project) = shared.project.as_mut() else { return };
    match project.set_labels(vec![row], Vec::new()) {
        Ok(()) => shared.revision += 1,
        Err(e) => shared.notes.error(e.to_string()),
    }
}

/// Adds the label to the example's labels, or removes it if it is there (kept in the label set's
/// order); an example left with none becomes unlabeled.
fn toggle_label(shared: &mut Shared, row: usize, label: &str) {
    let Some(project) = shared.project.as_mut() else { return };
    let mut labels: Vec<String> = project.annotation(row).map(|a| a.labels.clone()).unwrap_or_default();
    if labels.iter().any(|l| l == label) {
        labels.retain(|l| l != label);
    } else {
        labels.push(label.to_string());
    }
    labels.sort_by_key(|l| project.state().label_index(l).unwrap_or(usize::MAX));
    let result = if labels.is_empty() {
        project.apply(Op::ClearLabels { rows: vec![row] })
    } else {
        project.set_labels(vec![row], labels)
    };
    match result {
        Ok(()) => shared.revision += 1,
        Err(e) => shared.notes.error(e.to_string()),
    }
}

/// The example's labels, and a button per label that shows whether it is on and toggles it.
fn labels_ui(ui: &mut egui::Ui, shared: &mut Shared, row: usize) {
    let Some(project) = &shared.project else { return };
    let on: Vec<String> = project.annotation(row).map(|a| a.labels.clone()).unwrap_or_default();
    match project.annotation(row) {
        Some(a) => ui.label(format!("Labels: {} ({})", multi_label_text(&a.labels), source_text(a))),
        None => ui.label("No labels yet."),
    };
    ui.weak(
        "A label's key or button adds it, or removes it if the example has it; 0 says none applies; Enter moves on.",
    );
    let none = project.annotation(row).is_some_and(|a| a.labels.is_empty());
    let mut toggled = None;
    let mut none_clicked = false;
    ui.horizontal_wrapped(|ui| {
        for d in project.labels() {
            let text = match d.hotkey {
                Some(k) => format!("{} [{k}]", d.name),
                None => d.name.clone(),
            };
            let colour = egui::Color32::from_rgb(d.colour[0], d.colour[1], d.colour[2]);
            let button = egui::Button::selectable(on.contains(&d.name), egui::RichText::new(text).color(colour));
            if ui.add(button).clicked() {
                toggled = Some(d.name.clone());
            }
        }
        let button = egui::Button::selectable(none, format!("{NONE_OF_THESE} [0]"));
        none_clicked =
            ui.add(button).on_hover_text("No label applies to this example (training learns from it)").clicked();
    });
    if let Some(label) = toggled {
        toggle_label(shared, row, &label);
    }
    if none_clicked {
        set_none_of_these(shared, row);
    }
}
