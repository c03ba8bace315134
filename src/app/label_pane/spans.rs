//! Span labeling of a tagged sentence in the Label pane: the words as chips coloured by their
//! entity type; click a word to select it, shift+click (or shift+←/→) to extend, ←/→ to move;
//! the type's hotkey (1–9) or its button tags the selection, 0 or Delete clears it; and "every
//! occurrence" tags the same words in every sentence of the project in one undoable step.

use super::super::shared::Shared;
use super::LabelPane;
use crate::project::{entity_type, LabelDef, Project};

/// The selected words of the current sentence: from `anchor` to `cursor`, both included.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct WordSelection {
    pub row: usize,
    pub anchor: usize,
    pub cursor: usize,
}

impl WordSelection {
    /// The selected words as a range.
    fn range(&self) -> std::ops::Range<usize> {
        self.anchor.min(self.cursor)..self.anchor.max(self.cursor) + 1
    }
}

fn colour_of(defs: &[LabelDef], kind: &str) -> Option<egui::Color32> {
    defs.iter().find(|d| d.name == kind).map(|d| egui::Color32::from_rgb(d.colour[0], d.colour[1], d.colour[2]))
}

/// What the analyst asked for in this frame.
enum SpanAction {
    Tag(Option<String>),
    Everywhere(String),
}

impl LabelPane {
    /// The current selection, if it belongs to this row (of `words` words).
    fn selection_in(&self, row: usize, words: usize) -> Option<WordSelection> {
        self.words.filter(|s| s.row == row && s.anchor.max(s.cursor) < words)
    }

    pub(super) fn tags_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared, row: usize) {
        let Some(project) = &shared.project else { return };
        let Some(words) = project.example(row).and_then(|e| e.tokens.clone()) else { return };
        let tags: Vec<String> = project.tags_of(row).map(<[String]>::to_vec).unwrap_or_default();
        let defs = project.labels().to_vec();
        let selected = self.selection_in(row, words.len()).map(|s| s.range());
        let shift = ui.input(|i| i.modifiers.shift);
        let mut clicked = None;
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 3.0;
            for (i, word) in words.iter().enumerate() {
                let kind = tags.get(i).and_then(|t| entity_type(t)).map(String::from);
                let is_selected = selected.as_ref().is_some_and(|r| r.contains(&i));
                let mut button = egui::Button::selectable(is_selected, word.as_str());
                if let Some(colour) = kind.as_deref().and_then(|k| colour_of(&defs, k)) {
                    button = button.fill(colour.gamma_multiply(0.45));
                }
                if is_selected {
                    button = button.stroke(egui::Stroke::new(2.0, ui.visuals().strong_text_color()));
                }
                let response = ui.add(button);
                let ends_entity = kind.is_some() && tags.get(i + 1).is_none_or(|t| !t.starts_with("I-"));
                if let (true, Some(k)) = (ends_entity, &kind) {
                    ui.small(k);
                }
                if response.clicked() {
                    clicked = Some(i);
                }
            }
        });
        if let Some(i) = clicked {
            self.words = Some(match self.selection_in(row, words.len()) {
                Some(s) if shift => WordSelection { cursor: i, ..s },
                _ => WordSelection { row, anchor: i, cursor: i },
            });
        }
        self.suggested_tags_ui(ui, shared, row);
        let Some(project) = &shared.project else { return };
        let defs = project.labels().to_vec();
        let mut action = None;
        let Some(selection) = self.selection_in(row, words.len()) else {
            ui.weak("Click a word to select it (shift+click to select several), then press an entity type's key.");
            return;
        };
        let phrase = words[selection.range()].join(" ");
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Tag \"{phrase}\" as"));
            for d in &defs {
                let text = match d.hotkey {
                    Some(k) => format!("{} [{k}]", d.name),
                    None => d.name.clone(),
                };
                let colour = colour_of(&defs, &d.name).unwrap_or(ui.visuals().text_color());
                if ui.button(egui::RichText::new(text).color(colour)).clicked() {
                    action = Some(SpanAction::Tag(Some(d.name.clone())));
                }
            }
            if ui.button("Not an entity [0]").clicked() {
                action = Some(SpanAction::Tag(None));
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Every \"{phrase}\" in the project:"));
            for d in &defs {
                if ui.small_button(format!("as {}", d.name)).clicked() {
                    action = Some(SpanAction::Everywhere(d.name.clone()));
                }
            }
        });
        match action {
            Some(SpanAction::Tag(kind)) => self.tag_selection(shared, kind),
            Some(SpanAction::Everywhere(kind)) => {
                let Some(project) = &mut shared.project else { return };
                let span = words[selection.range()].to_vec();
                match project.tag_all_occurrences(&span, &kind) {
                    Ok(n) => {
                        shared.revision += 1;
                        shared.notes.info(format!("Tagged {n} occurrences of \"{phrase}\" as {kind} (U undoes)."));
                    }
                    Err(e) => shared.notes.error(e.to_string()),
                }
            }
            None => {}
        }
    }

    /// Tags the selected words of the current sentence as `kind` (None: not an entity).
    fn tag_selection(&mut self, shared: &mut Shared, kind: Option<String>) {
        let (Some(row), Some(project)) = (shared.current_row, shared.project.as_mut()) else { return };
        let words = project.example(row).and_then(|e| e.tokens.as_ref()).map_or(0, Vec::len);
        let Some(selection) = self.selection_in(row, words) else {
            return shared.notes.info("Select one or more words first (click, shift+click).");
        };
        let range = selection.range();
        match project.tag_span(row, range.start, range.end, kind.as_deref()) {
            Ok(()) => shared.revision += 1,
            Err(e) => shared.notes.error(e.to_string()),
        }
    }

    /// The keys of span labeling; true when a key was used here (digits then tag words).
    pub(super) fn span_keys(&mut self, ui: &egui::Ui, shared: &mut Shared, digit: Option<u8>) -> bool {
        let Some(row) = shared.current_row else { return false };
        let Some(count) =
            shared.project.as_ref().and_then(|p| p.example(row)).and_then(|e| e.tokens.as_ref()).map(Vec::len)
        else {
            return false;
        };
        let (left, right, shift, clear) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowLeft),
                i.key_pressed(egui::Key::ArrowRight),
                i.modifiers.shift,
                i.key_pressed(egui::Key::Num0)
                    || i.key_pressed(egui::Key::Delete)
                    || i.key_pressed(egui::Key::Backspace),
            )
        });
        if (left || right) && count > 0 {
            let current = self.selection_in(row, count).unwrap_or(WordSelection { row, anchor: 0, cursor: 0 });
            let cursor = if left { current.cursor.saturating_sub(1) } else { (current.cursor + 1).min(count - 1) };
            let anchor = if shift { current.anchor } else { cursor };
            self.words = Some(WordSelection { row, anchor, cursor });
        }
        if clear {
            self.tag_selection(shared, None);
            return true;
        }
        let Some(d) = digit else { return left || right };
        let key = char::from(b'0' + d);
        let kind = shared.project.as_ref().and_then(|p| kind_for_key(p, key));
        if kind.is_some() {
            self.tag_selection(shared, kind);
        }
        true
    }
}

fn kind_for_key(project: &Project, key: char) -> Option<String> {
    project.labels().iter().find(|l| l.hotkey == Some(key)).map(|l| l.name.clone())
}
