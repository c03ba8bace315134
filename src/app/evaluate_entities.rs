//! The Evaluate pane for a token classifier (projects of tagged sentences): entity F1 cards, the
//! per-type table with seqeval's strict IOB2 measures, and the token-level confusion of tags whose
//! cells list the sentences where that confusion happens.

use super::widgets::{confusion_ui, metric_cards_ui, scores_table_ui};
use crate::data::TaggedSentences;
use crate::model::{LoadOptions, TokenClassifier};
use crate::project::{tagged_sentences, Project, Split};
use crate::train::{evaluate_tagged, EntityMetrics, RunInfo};

/// A token classifier measured on the project's validation (or test) sentences.
pub struct EntityResult {
    pub run: String,
    pub metrics: EntityMetrics,
    /// The project rows measured, and their true and predicted tags.
    rows: Vec<usize>,
    truth: Vec<Vec<String>>,
    predicted: Vec<Vec<String>>,
    selected: Option<(usize, usize)>,
    selected_rows: Vec<usize>,
}

/// The sentences to measure on: the validation split, else the test split, with their rows.
pub fn sentences_to_measure(project: &Project) -> (Vec<usize>, TaggedSentences) {
    let (rows, data) = tagged_sentences(project, Split::Valid);
    if !rows.is_empty() {
        return (rows, data);
    }
    tagged_sentences(project, Split::Test)
}

/// Loads the run and measures it (on a worker thread).
pub fn measure(
    run: String,
    run_dir: &std::path::Path,
    rows: Vec<usize>,
    data: TaggedSentences,
) -> Result<EntityResult, String> {
    // Sentences are cut where the run's training cut them.
    let max_len = RunInfo::read(run_dir).map_or(256, |info| info.config.max_len);
    let model = TokenClassifier::load(run_dir, &LoadOptions { max_len, ..LoadOptions::default() })
        .map_err(|e| e.to_string())?;
    let eval = evaluate_tagged(&model, &data, 32).map_err(|e| e.to_string())?;
    Ok(EntityResult {
        run,
        metrics: eval.metrics,
        rows,
        truth: data.tags,
        predicted: eval.predicted,
        selected: None,
        selected_rows: Vec::new(),
    })
}

impl EntityResult {
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project) {
        let m = &self.metrics;
        let cards = [
            ("Entity F1 (micro)", m.micro.f1),
            ("Entity F1 (macro)", m.macro_avg.f1),
            ("Token accuracy", m.token_accuracy),
        ];
        metric_cards_ui(ui, &cards, &format!("on {} sentences, {} entities", self.rows.len(), m.micro.support));
        let rows: Vec<_> =
            m.per_type.iter().map(|(k, s)| (k.as_str(), s.precision, s.recall, s.f1, s.support)).collect();
        scores_table_ui(ui, "entity type", &rows);
        ui.separator();
        ui.weak("Tags of single words (rows: true tag, columns: predicted); click a cell for its sentences.");
        let confusion: Vec<Vec<u64>> =
            m.token_confusion.iter().map(|r| r.iter().map(|&c| c as u64).collect()).collect();
        if let Some((t, p)) = confusion_ui(ui, &m.tags, &confusion) {
            let (truth_tag, predicted_tag) = (&m.tags[t], &m.tags[p]);
            self.selected = Some((t, p));
            self.selected_rows = (0..self.rows.len())
                .filter(|&i| {
                    self.truth[i].iter().zip(&self.predicted[i]).any(|(a, b)| a == truth_tag && b == predicted_tag)
                })
                .map(|i| self.rows[i])
                .collect();
        }
        self.cell_sentences_ui(ui, project);
    }

    fn cell_sentences_ui(&self, ui: &mut egui::Ui, project: &Project) {
        let Some((t, p)) = self.selected else { return };
        let tags = &self.metrics.tags;
        ui.strong(format!(
            "{} sentences with a word tagged {} and predicted {}",
            self.selected_rows.len(),
            tags[t],
            tags[p]
        ));
        egui::ScrollArea::vertical().id_salt("cell-sentences").max_height(220.0).show(ui, |ui| {
            for &row in self.selected_rows.iter().take(500) {
                if let Some(ex) = project.example(row) {
                    let text: String = ex.text.chars().take(160).collect();
                    ui.label(format!("{row}: {text}"));
                }
            }
        });
    }
}
