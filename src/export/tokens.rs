//! Exporting a token classifier (named entities): the same write, reload and verify as for text
//! classifiers, measured on sentences — every word's tag from the run and from the export, the
//! sentences where any tag changed (with the first changed word), entity F1 before and after when
//! the true tags are known, and speed on this machine.

use crate::data::split_words;
use crate::model::{LoadOptions, TokenClassifier, WordProbabilities};
use crate::train::EntityMetrics;

use super::report::FlippedExample;
use super::verify::{alternate_timing, TIMED_EXAMPLES};
use super::{new_report, save_report, write_export, ExportError, ExportEvent, ExportReport, ExportRequest, VerifyData};
use crate::jobs::CancelToken;

pub(super) fn export_token_model(
    req: &ExportRequest,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(ExportEvent),
) -> Result<ExportReport, ExportError> {
    let mut stage = |text: String| on_event(ExportEvent::Stage(text));
    stage(format!("Loading the run {}", req.run_dir.display()));
    let opts = LoadOptions { max_len: req.max_len, ..LoadOptions::default() };
    let base = TokenClassifier::load(&req.run_dir, &opts)?;
    if let Some(missing) = base.initialised.first() {
        return Err(ExportError::MissingHead { missing: missing.clone(), dir: req.run_dir.clone() });
    }
    let tensors = write_export(req, &base, cancel, &mut stage)?;
    let exported = TokenClassifier::load_path(&req.out, &opts)?;
    if exported.labels != base.labels {
        return Err(ExportError::Invalid("the export's tags differ from the run's; export again".into()));
    }
    let data = sentences_to_verify(req, &base);
    let words = data.words.clone().unwrap_or_default();
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    stage(format!("Tagging {} sentences with the run and with the export", words.len()));
    let base_probs = base.predict_words(&words, req.batch_size)?;
    let probs = exported.predict_words(&words, req.batch_size)?;
    let timed = &words[..words.len().min(TIMED_EXAMPLES)];
    let speeds = alternate_timing(
        timed.len(),
        || Ok(base.predict_words(timed, req.batch_size).map(drop)?),
        || Ok(exported.predict_words(timed, req.batch_size).map(drop)?),
    )?;
    let base_tags: Vec<Vec<String>> = base_probs.iter().map(|p| base.tags_of(p)).collect();
    let tags: Vec<Vec<String>> = probs.iter().map(|p| exported.tags_of(p)).collect();
    let mut report = new_report(req, &data, tensors, speeds);
    if let Some(truth) = &data.tags {
        report.entity_f1 = Some(EntityMetrics::compute(truth, &tags).micro.f1);
        report.base_entity_f1 = Some(EntityMetrics::compute(truth, &base_tags).micro.f1);
    }
    let sentences =
        Sentences { data: &data, labels: &base.labels, base: (&base_probs, &base_tags), exported: (&probs, &tags) };
    report.flipped_examples = sentences.flipped();
    report.flipped = report.flipped_examples.len();
    report.agreement = (words.len() - report.flipped) as f64 / words.len().max(1) as f64;
    report.max_probability_change = max_change(&base_probs, &probs);
    save_report(&report, &mut stage)
}

/// The given tagged sentences, else probe texts split into words (agreement and speed only).
fn sentences_to_verify(req: &ExportRequest, base: &TokenClassifier) -> VerifyData {
    match &req.verify {
        Some(d) if d.words.as_ref().is_some_and(|w| !w.is_empty()) => d.clone(),
        _ => {
            let mut probe = VerifyData::probe_texts(&base.tokenizer, 256, 7);
            probe.words = Some(probe.texts.iter().map(|t| split_words(t)).collect());
            probe
        }
    }
}

/// Both models' tag probabilities and tags for the same sentences.
struct Sentences<'a> {
    data: &'a VerifyData,
    labels: &'a [String],
    base: (&'a [WordProbabilities], &'a [Vec<String>]),
    exported: (&'a [WordProbabilities], &'a [Vec<String>]),
}

impl Sentences<'_> {
    /// The sentences where any word's tag changed, shown by their first changed word.
    fn flipped(&self) -> Vec<FlippedExample> {
        let words = self.data.words.as_deref().unwrap_or_default();
        (0..words.len())
            .filter_map(|i| {
                let changed = (0..words[i].len()).find(|&w| self.base.1[i][w] != self.exported.1[i][w])?;
                let word = &words[i][changed];
                let shown = |tags: &[Vec<String>]| format!("{word}: {}", tags[i][changed]);
                Some(FlippedExample {
                    index: i,
                    row: self.data.rows.as_ref().and_then(|r| r.get(i).copied()),
                    text: words[i].join(" "),
                    true_label: self.data.tags.as_ref().map(|t| shown(t)),
                    base_label: shown(self.base.1),
                    base_confidence: self.confidence(self.base, i, changed),
                    label: shown(self.exported.1),
                    confidence: self.confidence(self.exported, i, changed),
                })
            })
            .collect()
    }

    /// The probability a model gave its own tag of a word.
    fn confidence(&self, (probs, tags): (&[WordProbabilities], &[Vec<String>]), sentence: usize, word: usize) -> f32 {
        let tag = self.labels.iter().position(|l| *l == tags[sentence][word]);
        match (&probs[sentence][word], tag) {
            (Some(p), Some(t)) => p[t],
            _ => 0.0,
        }
    }
}

/// The largest change of any tag probability of any word.
fn max_change(base: &[WordProbabilities], exported: &[WordProbabilities]) -> f32 {
    base.iter()
        .zip(exported)
        .flat_map(|(a, b)| a.iter().zip(b))
        .filter_map(|(x, y)| {
            Some(x.as_ref()?.iter().zip(y.as_ref()?).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max))
        })
        .fold(0.0f32, f32::max)
}
