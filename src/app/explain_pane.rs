//! The Explain pane: for an example (from Label, from a confusion-matrix cell, or typed in) —
//! the class probabilities; each word coloured by its attribution to the chosen class (red
//! towards, blue away, a legend, the number on hover) by integrated gradients, gradient × input
//! or occlusion; the completeness of integrated gradients; the attention of every layer and head
//! as small heat maps (textures, so 512-token inputs stay responsive), one in full on click, the
//! mean over heads and the rollout; and the probe: edit the text, explain again, add it to the
//! project with a label (`explain_pane/probe.rs`). For tagged sentences, a click on a word explains that word's tag.

mod probe;

use super::explain_views::{heat_texture, matrix_ui, words_ui};
use super::shared::{no_project_ui, Shared};
use super::widgets::probability_bars_ui;
use super::worker::{Job, DRAIN_BUDGET};
use crate::data::split_words;
use crate::explain::{
    attention_maps, explain, explain_word, load_for_explanation, load_token_classifier_for_explanation, AttentionMaps,
    Baseline, ExplainOptions, Explanation, Method,
};

enum Event {
    Progress(f32),
    /// The explanation, and the attention maps (text classifiers only).
    Explained(Box<Result<(Explanation, Option<AttentionMaps>), String>>),
}

/// Heat-map textures of the attention maps, made once per result.
struct AttentionTextures {
    heads: Vec<Vec<egui::TextureHandle>>,
    means: Vec<egui::TextureHandle>,
    rollout: egui::TextureHandle,
}

pub struct ExplainPane {
    text: String,
    loaded_row: Option<usize>,
    method: Method,
    baseline: Baseline,
    steps: usize,
    target: Option<usize>,
    job: Option<Job<Event>>,
    progress: f32,
    result: Option<(String, Explanation, Option<AttentionMaps>)>,
    /// Tagged sentences: the word whose tag is explained.
    word: Option<usize>,
    textures: Option<AttentionTextures>,
    /// The attention map shown in full: (layer, head), head None = mean over heads; layer None = rollout.
    focus: Option<(Option<usize>, Option<usize>)>,
    probe_label: Option<String>,
}

impl Default for ExplainPane {
    fn default() -> Self {
        Self {
            text: String::new(),
            loaded_row: None,
            method: Method::IntegratedGradients,
            baseline: Baseline::Pad,
            steps: 50,
            target: None,
            job: None,
            progress: 0.0,
            result: None,
            word: None,
            textures: None,
            focus: None,
            probe_label: None,
        }
    }
}

impl ExplainPane {
    pub fn explanation(&self) -> Option<&Explanation> {
        self.result.as_ref().map(|r| &r.1)
    }

    pub fn poll(&mut self, shared: &mut Shared) {
        let Some(job) = &mut self.job else { return };
        for event in job.drain(DRAIN_BUDGET) {
            match event {
                Event::Progress(p) => self.progress = p,
                Event::Explained(result) => match *result {
                    Ok((e, maps)) => {
                        self.target = Some(e.target_index);
                        self.result = Some((self.text.clone(), e, maps));
                        self.textures = None;
                    }
                    Err(e) => shared.notes.error(e),
                },
            }
        }
        if job.is_finished() {
            self.job = None;
        }
    }

    fn start(&mut self, ctx: &egui::Context, shared: &mut Shared) {
        let Some(run_dir) = shared.run_dir() else { return };
        let text = self.text.clone();
        let word = self.word.filter(|_| tags_words(shared));
        if tags_words(shared) && word.is_none() {
            return shared.notes.info("Click a word of the sentence to explain its tag.");
        }
        let opts = ExplainOptions {
            method: self.method,
            target: self.target,
            steps: self.steps,
            baseline: self.baseline,
            ..ExplainOptions::default()
        };
        self.progress = 0.0;
        let spawned = Job::spawn("explain", ctx, move |tx, cancel| {
            let result = (|| {
                let cpu = candle_core::Device::Cpu;
                if let Some(word) = word {
                    let model = load_token_classifier_for_explanation(&run_dir, &cpu).map_err(|e| e.to_string())?;
                    let words = split_words(&text);
                    let e = explain_word(&model, &words, word, &opts, &mut |p| _ = tx.send(Event::Progress(p)), cancel)
                        .map_err(|e| e.to_string())?;
                    return Ok((e, None));
                }
                let model = load_for_explanation(&run_dir, &cpu).map_err(|e| e.to_string())?;
                let e = explain(&model, &text, &opts, &mut |p| _ = tx.send(Event::Progress(p)), cancel)
                    .map_err(|e| e.to_string())?;
                let maps = attention_maps(&model, &text).map_err(|e| e.to_string())?;
                Ok((e, Some(maps)))
            })();
            tx.send(Event::Explained(Box::new(result)));
        });
        match spawned {
            Ok(j) => self.job = Some(j),
            Err(e) => shared.notes.error(e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        if shared.project.is_none() {
            return no_project_ui(ui, shared);
        }
        if shared.current_row != self.loaded_row {
            self.loaded_row = shared.current_row;
            if let Some(ex) = shared.current_row.and_then(|r| shared.project.as_ref()?.example(r)) {
                self.text = ex.tokens.as_ref().map_or_else(|| ex.text.clone(), |words| words.join(" "));
                self.target = None;
                self.word = None;
            }
        }
        ui.heading("Explain a prediction");
        let label = ui.label("Text to explain (edit it to probe the model)");
        ui.add(egui::TextEdit::multiline(&mut self.text).desired_rows(3).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        if shared.run_dir().is_none() {
            ui.label("Train a model first (Train pane); its predictions are explained here.");
            return;
        }
        if tags_words(shared) {
            self.word_picker_ui(ui, shared);
        }
        self.controls_ui(ui, shared);
        egui::ScrollArea::vertical().id_salt("explanation").auto_shrink([false, false]).show(ui, |ui| {
            self.result_ui(ui, shared);
            if !tags_words(shared) {
                self.probe_ui(ui, shared);
            }
        });
    }

    fn result_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let Some(result) = self.result.take() else { return };
        let (text, e, maps) = &result;
        if text != &self.text {
            ui.weak("The text changed: explain again to update.");
        }
        ui.separator();
        match e.problem {
            crate::model::Problem::Regression => _ = ui.strong(format!("Predicted number: {}", e.predicted)),
            problem => {
                if problem == crate::model::Problem::MultiLabel {
                    ui.label(format!("Labels given: {} (each label's own probability below)", e.predicted));
                }
                let probabilities: Vec<f32> = e.labels.iter().map(|l| e.probabilities[l]).collect();
                probability_bars_ui(ui, &e.labels, &probabilities);
            }
        }
        words_ui(ui, e);
        if let Some(c) = e.completeness {
            let share = 100.0 * c.sum_attributions / c.score_delta.abs().max(1e-12) * c.score_delta.signum();
            let gap = c.relative_gap();
            let text = format!("Attributions explain {share:.1}% of the score change from the baseline.");
            if gap > 0.05 {
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().warn_fg_color, text);
                    if ui.button("Use more steps").clicked() {
                        self.steps = (self.steps * 4).min(1000);
                        let ctx = ui.ctx().clone();
                        self.start(&ctx, shared);
                    }
                });
            } else {
                ui.label(text);
            }
        }
        if let Some(maps) = maps {
            ui.separator();
            self.attention_ui(ui, maps);
        }
        self.result = Some(result);
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        let labels: Vec<String> = self.result.as_ref().map(|r| r.1.labels.clone()).unwrap_or_default();
        ui.horizontal(|ui| {
            let combo_label = ui.label("Method");
            egui::ComboBox::from_id_salt("Method")
                .selected_text(self.method.title())
                .show_ui(ui, |ui| {
                    for m in [Method::IntegratedGradients, Method::GradientTimesInput, Method::Occlusion] {
                        ui.selectable_value(&mut self.method, m, m.title());
                    }
                })
                .response
                .labelled_by(combo_label.id);
            if !labels.is_empty() {
                let shown = self.target.and_then(|t| labels.get(t).cloned()).unwrap_or_else(|| "predicted".into());
                let combo_label = ui.label("Class");
                egui::ComboBox::from_id_salt("Class")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.target, None, "predicted");
                        for (i, l) in labels.iter().enumerate() {
                            ui.selectable_value(&mut self.target, Some(i), l);
                        }
                    })
                    .response
                    .labelled_by(combo_label.id);
            }
            if self.method == Method::IntegratedGradients {
                let l = ui.label("Steps");
                ui.add(egui::DragValue::new(&mut self.steps).range(4..=1000)).labelled_by(l.id);
                let combo_label = ui.label("Baseline");
                egui::ComboBox::from_id_salt("Baseline")
                    .selected_text(format!("{:?}", self.baseline))
                    .show_ui(ui, |ui| {
                        for b in [Baseline::Pad, Baseline::Mask, Baseline::Zero] {
                            ui.selectable_value(&mut self.baseline, b, format!("{b:?}"));
                        }
                    })
                    .response
                    .labelled_by(combo_label.id);
            }
            let can = self.job.is_none() && !self.text.trim().is_empty();
            if ui.add_enabled(can, egui::Button::new("Explain")).clicked() {
                let ctx = ui.ctx().clone();
                self.start(&ctx, shared);
            }
            if let Some(job) = &self.job {
                ui.add(egui::ProgressBar::new(self.progress).desired_width(160.0));
                if ui.button("Cancel").clicked() {
                    job.control.cancel();
                }
            }
        });
    }

    /// Tagged sentences: the words as buttons; a click explains that word's tag.
    fn word_picker_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared) {
        ui.label("Click a word to see why it got its tag:");
        let mut picked = None;
        ui.horizontal_wrapped(|ui| {
            for (i, word) in split_words(&self.text).iter().enumerate() {
                if ui.selectable_label(self.word == Some(i), word.as_str()).clicked() {
                    picked = Some(i);
                }
            }
        });
        if let Some(i) = picked.filter(|_| self.job.is_none()) {
            (self.word, self.target) = (Some(i), None);
            if self.method == Method::Occlusion {
                self.method = Method::IntegratedGradients;
            }
            let ctx = ui.ctx().clone();
            self.start(&ctx, shared);
        }
    }

    fn attention_ui(&mut self, ui: &mut egui::Ui, maps: &AttentionMaps) {
        let ctx = ui.ctx().clone();
        let textures = self.textures.get_or_insert_with(|| AttentionTextures {
            heads: maps
                .matrices
                .iter()
                .enumerate()
                .map(|(l, heads)| {
                    heads.iter().enumerate().map(|(h, m)| heat_texture(&ctx, format!("att-{l}-{h}"), m)).collect()
                })
                .collect(),
            means: maps
                .mean_over_heads
                .iter()
                .enumerate()
                .map(|(l, m)| heat_texture(&ctx, format!("mean-{l}"), m))
                .collect(),
            rollout: heat_texture(&ctx, "rollout".into(), &maps.rollout),
        });
        ui.strong(format!(
            "Attention: {} layers × {} heads (rows: from token, columns: to token; blue low, yellow high). Click a map to enlarge it.",
            maps.layers, maps.heads
        ));
        let size = egui::vec2(44.0, 44.0);
        let mut focus = self.focus;
        egui::ScrollArea::horizontal().id_salt("attention-grid").show(ui, |ui| {
            egui::Grid::new("attention-grid").spacing([3.0, 3.0]).show(ui, |ui| {
                ui.label("");
                for h in 0..maps.heads {
                    ui.weak(format!("h{h}"));
                }
                ui.weak("mean");
                ui.end_row();
                for (l, heads) in textures.heads.iter().enumerate() {
                    ui.weak(format!("layer {l}"));
                    for (h, tex) in heads.iter().enumerate() {
                        let r = ui.add(egui::Image::new((tex.id(), size)).sense(egui::Sense::click()));
                        if r.on_hover_text(format!("layer {l}, head {h}")).clicked() {
                            focus = Some((Some(l), Some(h)));
                        }
                    }
                    let r = ui.add(egui::Image::new((textures.means[l].id(), size)).sense(egui::Sense::click()));
                    if r.on_hover_text(format!("layer {l}, mean over heads")).clicked() {
                        focus = Some((Some(l), None));
                    }
                    ui.end_row();
                }
            });
        });
        if ui.button("Show attention rollout").clicked() {
            focus = Some((None, None));
        }
        self.focus = focus;
        let Some((layer, head)) = self.focus else { return };
        let (title, tex) = match (layer, head) {
            (Some(l), Some(h)) => (format!("layer {l}, head {h}"), &textures.heads[l][h]),
            (Some(l), None) => (format!("layer {l}, mean over heads"), &textures.means[l]),
            _ => ("rollout across all layers".to_string(), &textures.rollout),
        };
        ui.strong(title);
        matrix_ui(ui, tex, &maps.tokens);
    }
}

/// Whether the open project tags words (its model explains one word's tag at a time).
fn tags_words(shared: &Shared) -> bool {
    shared.project.as_ref().is_some_and(|p| p.meta.task == crate::project::Task::TokenClassification)
}
