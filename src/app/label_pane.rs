//! The Label pane: a virtualized table of the examples (only visible rows are drawn, so 100,000
//! scroll smoothly), keyboard-first labeling (1–9 by hotkey, Enter accepts the model's
//! suggestion, J/K or arrows to move, U undo, R redo, / to search), filters, bulk relabel of the
//! filtered selection, the model's suggestion and confidence once there are predictions, the
//! "Label next" queue (see `label_loop.rs`), and a detail view of the current example
//! (`label_pane/detail.rs`), where the words of a tagged sentence are labeled as spans
//! (`label_pane/spans.rs`), and several labels per text or a number per text are set
//! (`label_pane/targets.rs`).

mod detail;
mod spans;
mod tag_suggestions;
mod targets;

use super::label_loop::LabelLoop;
use super::shared::{no_project_ui, Shared};
use super::widgets::choice_ui;
use crate::project::{Filter, Project, SortOrder, Split, Task, TextQuery};

const ROW_HEIGHT: f32 = 22.0;

/// What the shown rows depend on: the filter, the order, the queue and its settings, the labels.
type RowsKey = (Filter, bool, Option<(crate::assist::Strategy, u32, u64)>, u64);

#[derive(Default)]
pub struct LabelPane {
    search: String,
    label_filter: Option<String>,
    split_filter: Option<Split>,
    unlabeled_only: bool,
    disagrees_only: bool,
    by_confidence: bool,
    bulk_label: Option<String>,
    note_draft: String,
    /// The filtered rows (or the queue) and what they were computed for.
    rows: Vec<usize>,
    computed_for: Option<RowsKey>,
    queue: LabelLoop,
    focus_search: bool,
    scroll_to_current: bool,
    /// The selected words of the current sentence (projects of tagged sentences).
    words: Option<spans::WordSelection>,
    tagging: tag_suggestions::TagSuggesting,
    /// The number being typed for the current example (regression projects).
    score: targets::ScoreDraft,
}

impl LabelPane {
    fn filter(&self) -> Filter {
        Filter {
            text: (!self.search.trim().is_empty()).then(|| TextQuery::Substring(self.search.trim().to_string())),
            label: self.label_filter.clone(),
            split: self.split_filter,
            unlabeled: self.unlabeled_only,
            disagrees: self.disagrees_only,
        }
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        self.queue.poll(shared);
        self.poll_tag_suggestions(shared);
    }

    pub fn is_retraining(&self) -> bool {
        self.queue.is_retraining()
    }

    fn refresh(&mut self, shared: &mut Shared) {
        let queue_key = self.queue.on.then(|| self.queue.settings_key());
        let key = (self.filter(), self.by_confidence, queue_key, shared.revision);
        if self.computed_for.as_ref() == Some(&key) {
            return;
        }
        if self.queue.on {
            self.rows = self.queue.rows(shared);
            if shared.current_row.is_none_or(|r| !self.rows.contains(&r)) {
                shared.current_row = self.rows.first().copied();
            }
            self.computed_for = Some(key);
            return;
        }
        let Some(project) = &mut shared.project else { return };
        let sort = if self.by_confidence { SortOrder::ConfidenceAscending } else { SortOrder::Row };
        match project.query(&key.0, sort) {
            Ok(rows) => self.rows = rows,
            Err(e) => {
                shared.notes.error(e.to_string());
                self.disagrees_only = false;
            }
        }
        self.computed_for = Some(key);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if shared.project.is_none() {
            return no_project_ui(ui, shared);
        }
        self.refresh(shared);
        self.keyboard(ui, shared);
        self.filter_bar_ui(ui, shared);
        ui.separator();
        egui::Panel::right("example-detail").resizable(true).default_size(340.0).show(ui, |ui| {
            self.detail_ui(ui, shared);
        });
        self.table_ui(ui, shared);
    }

    fn filter_bar_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        let labels: Vec<String> = project.labels().iter().map(|d| d.name.clone()).collect();
        let has_predictions = project.predictions.is_some();
        let has_tag_suggestions = project.tag_suggestions.is_some();
        let task = project.meta.task;
        let tags_words = task == Task::TokenClassification;
        // Only one label per text has the label-next queue, the model's filters and bulk labels (yet);
        // tagged sentences filter by entity type; numbers have no label filter.
        let single = task == Task::SingleLabel;
        let has_labels = task != Task::Regression;
        if !single {
            (self.queue.on, self.disagrees_only) = (false, false);
            self.by_confidence &= tags_words && has_tag_suggestions;
        }
        if !has_labels {
            (self.label_filter, self.unlabeled_only) = (None, false);
        }
        if tags_words {
            self.tag_suggestions_bar(ui, shared);
        }
        ui.horizontal(|ui| {
            if !single {
                return;
            }
            let toggled = ui
                .checkbox(&mut self.queue.on, "Label next (least sure first)")
                .on_hover_text("Serves the examples the model is least sure of, mixed with some random ones")
                .changed();
            let stale = LabelLoop::suggestions_stale(shared);
            if toggled && self.queue.on && stale {
                self.queue.start_suggesting(ui.ctx(), shared);
            }
            if stale && !self.queue.is_busy() && ui.button("Suggest labels with the project's model").clicked() {
                self.queue.start_suggesting(ui.ctx(), shared);
            }
        });
        if !self.queue.on {
            self.queue.status_ui(ui);
        }
        if self.queue.on {
            self.queue.settings_ui(ui, shared);
            ui.label(format!(
                "{} examples in the queue · Enter accepts the suggestion · 1–9 set a label",
                self.rows.len()
            ));
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search");
            let search = ui
                .add(egui::TextEdit::singleline(&mut self.search).hint_text("press / to search").desired_width(220.0));
            let search = search.labelled_by(label.id);
            if self.focus_search {
                search.request_focus();
                self.focus_search = false;
            }
            if has_labels {
                let (name, any) = if tags_words { ("Entity type", "any") } else { ("Label filter", "any label") };
                let combo_label = ui.label(name);
                egui::ComboBox::from_id_salt("Label filter")
                    .selected_text(self.label_filter.clone().unwrap_or_else(|| any.into()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.label_filter, None, any);
                        for l in &labels {
                            ui.selectable_value(&mut self.label_filter, Some(l.clone()), l);
                        }
                    })
                    .response
                    .labelled_by(combo_label.id);
            }
            let combo_label = ui.label("Split");
            egui::ComboBox::from_id_salt("Split")
                .selected_text(self.split_filter.map(|s| s.name()).unwrap_or("all splits"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.split_filter, None, "all splits");
                    for s in [Split::Train, Split::Valid, Split::Test] {
                        ui.selectable_value(&mut self.split_filter, Some(s), s.name());
                    }
                })
                .response
                .labelled_by(combo_label.id);
            if !has_labels {
                return;
            }
            ui.checkbox(&mut self.unlabeled_only, if tags_words { "No entities only" } else { "Unlabeled only" });
            if tags_words {
                ui.add_enabled(has_tag_suggestions, egui::Checkbox::new(&mut self.by_confidence, "Least sure first"))
                    .on_hover_text("Sentences whose suggested tags the model is least sure of come first");
            }
            if !single {
                return;
            }
            ui.add_enabled(has_predictions, egui::Checkbox::new(&mut self.disagrees_only, "Model disagrees"));
            ui.add_enabled(has_predictions, egui::Checkbox::new(&mut self.by_confidence, "Least confident first"));
        });
        ui.horizontal(|ui| {
            ui.label(format!("{} examples shown", self.rows.len()));
            if !single {
                return;
            }
            let shown = self.bulk_label.clone().unwrap_or_else(|| "choose a label".into());
            let options = labels.iter().map(|l| (Some(l.clone()), l.clone()));
            choice_ui(ui, "Label to set", shown, &mut self.bulk_label, options);
            let can_bulk = self.bulk_label.is_some() && !self.rows.is_empty();
            if ui.add_enabled(can_bulk, egui::Button::new("Label all shown")).clicked() {
                if let (Some(label), Some(project)) = (self.bulk_label.clone(), shared.project.as_mut()) {
                    let n = self.rows.len();
                    match project.set_labels(self.rows.clone(), vec![label.clone()]) {
                        Ok(()) => {
                            shared.notes.info(format!("Labeled {n} examples \"{label}\" (U undoes)"));
                            shared.revision += 1;
                        }
                        Err(e) => shared.notes.error(e.to_string()),
                    }
                }
            }
        });
    }

    fn keyboard(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (slash, down, up, undo, redo, digit, enter) = ui.input(|i| {
            let digit =
                (0..=9u8).find(|d| i.key_pressed(egui::Key::from_name(&d.to_string()).unwrap_or(egui::Key::Num0)));
            (
                i.key_pressed(egui::Key::Slash),
                i.key_pressed(egui::Key::J) || i.key_pressed(egui::Key::ArrowDown),
                i.key_pressed(egui::Key::K) || i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::U),
                i.key_pressed(egui::Key::R),
                digit,
                i.key_pressed(egui::Key::Enter),
            )
        });
        if enter {
            self.enter_key(ui.ctx(), shared);
        }
        if slash {
            self.focus_search = true;
        }
        if down || up {
            self.move_current(shared, if down { 1 } else { -1 });
        }
        if undo || redo {
            if let Some(project) = &mut shared.project {
                let result = if undo { project.undo() } else { project.redo() };
                match result {
                    Ok(()) => shared.revision += 1,
                    Err(e) => shared.notes.info(e.to_string()),
                }
            }
        }
        if self.span_keys(ui, shared, digit) || self.target_keys(shared, digit) {
            return;
        }
        if let (Some(d), Some(row)) = (digit, shared.current_row) {
            let key = char::from(b'0' + d);
            let label = shared
                .project
                .as_ref()
                .and_then(|p| p.labels().iter().find(|l| l.hotkey == Some(key)).map(|l| l.name.clone()));
            if let (Some(label), Some(project)) = (label, shared.project.as_mut()) {
                match project.set_labels(vec![row], vec![label]) {
                    Ok(()) => self.labeled_current(ui.ctx(), shared),
                    Err(e) => shared.notes.error(e.to_string()),
                }
            }
        }
    }

    /// After the current example got a label: count it for the session and move on.
    fn labeled_current(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        shared.revision += 1;
        if self.queue.on {
            self.queue.labeled(ctx, shared, 1);
        }
        self.move_current(shared, 1);
    }

    /// Accepts the model's suggestion for the current example (recorded as accepted).
    fn accept_current(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let (Some(row), Some(project)) = (shared.current_row, shared.project.as_ref()) else { return };
        if project.example(row).is_some_and(|e| e.tokens.is_some()) {
            if self.accept_suggested_tags(shared, row) {
                self.move_current(shared, 1);
            }
            return;
        }
        let Some(project) = shared.project.as_mut() else { return };
        let Some(predictions) = project.predictions.take() else {
            return shared
                .notes
                .info("There are no suggestions yet: train a model (Train pane) or make suggestions (Evaluate pane).");
        };
        let result = project.accept_suggestions(&[row], &predictions);
        project.predictions = Some(predictions);
        match result {
            Ok(_) => self.labeled_current(ctx, shared),
            Err(e) => shared.notes.error(e.to_string()),
        }
    }

    fn move_current(&mut self, shared: &mut Shared, step: isize) {
        if self.rows.is_empty() {
            return;
        }
        let pos = shared.current_row.and_then(|r| self.rows.iter().position(|&x| x == r));
        let next = match pos {
            Some(p) => (p as isize + step).clamp(0, self.rows.len() as isize - 1) as usize,
            None => 0,
        };
        shared.current_row = Some(self.rows[next]);
        self.scroll_to_current = true;
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(project) = &shared.project else { return };
        let predictions = project.predictions.clone();
        let current = shared.current_row;
        let mut clicked = None;
        let mut area = egui::ScrollArea::vertical().id_salt("label-table").auto_shrink([false, false]);
        if self.scroll_to_current {
            if let Some(pos) = current.and_then(|r| self.rows.iter().position(|&x| x == r)) {
                let spacing = ui.spacing().item_spacing.y;
                area = area.vertical_scroll_offset((pos as f32 * (ROW_HEIGHT + spacing) - 120.0).max(0.0));
            }
            self.scroll_to_current = false;
        }
        area.show_rows(ui, ROW_HEIGHT, self.rows.len(), |ui, range| {
            for &row in &self.rows[range] {
                let Some(example) = project.example(row) else { continue };
                ui.horizontal(|ui| {
                    ui.set_height(ROW_HEIGHT);
                    ui.add_sized([56.0, ROW_HEIGHT], egui::Label::new(egui::RichText::new(row.to_string()).weak()));
                    label_chips_ui(ui, project, row);
                    if let Some(p) = &predictions {
                        if let (Some(l), Some(c)) = (p.labels.get(row), p.confidence.get(row)) {
                            ui.add_sized(
                                [150.0, ROW_HEIGHT],
                                egui::Label::new(egui::RichText::new(format!("{l} {:.0}%", c * 100.0)).italics()),
                            );
                        }
                    }
                    let text: String = example.text.chars().take(160).collect();
                    let button = egui::Button::selectable(current == Some(row), text.replace('\n', " ")).truncate();
                    let response = ui.add(button);
                    if response.clicked() {
                        clicked = Some(row);
                    }
                });
            }
        });
        if let Some(row) = clicked {
            shared.current_row = Some(row);
        }
    }
}

fn label_chips_ui(ui: &mut egui::Ui, project: &Project, row: usize) {
    let width = 140.0;
    let text = match project.tags_of(row) {
        // A tagged sentence shows its entity types.
        Some(tags) => {
            let mut kinds: Vec<&str> = tags.iter().filter_map(|t| t.strip_prefix("B-")).collect();
            kinds.dedup();
            kinds.join(", ")
        }
        None => targets::target_text(project, row),
    };
    let colour = project
        .annotation(row)
        .and_then(|a| a.labels.first())
        .and_then(|l| project.state().label_index(l))
        .map(|i| project.labels()[i].colour)
        .map(|c| egui::Color32::from_rgb(c[0], c[1], c[2]))
        .unwrap_or(ui.visuals().weak_text_color());
    ui.add_sized([width, ROW_HEIGHT], egui::Label::new(egui::RichText::new(text).color(colour).strong()).truncate());
}
