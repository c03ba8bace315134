//! Tagging words in a project of tagged sentences (token classification): the current tags of a
//! sentence (the analyst's edit, else the imported tags), tagging a span of words with an entity
//! type or clearing it, tagging every occurrence of a word sequence in one undoable step, and
//! accepting a token classifier's suggested tags.
//! Tags stay IOB2: an `I-X` left without its beginning becomes `B-X`.

use serde::{Deserialize, Serialize};

use crate::data::import::to_iob2;

use super::{now_ms, Annotation, LabelSource, Op, Project, ProjectError};

/// A token classifier's tags for every sentence of a project (None for rows that are not
/// sentences; an empty tag for a word the model did not see), with its confidence in each
/// sentence: the lowest top probability of its words (0 when it did not see them all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagSuggestions {
    /// The run that made them.
    pub run: String,
    pub tags: Vec<Option<Vec<String>>>,
    pub confidence: Vec<f32>,
    /// A hash of the sentences' words, so that saved suggestions are only reused for them.
    #[serde(default)]
    pub sentences_hash: u64,
}

/// A stable hash (FNV-1a) of sentences' words.
pub fn sentences_hash(sentences: &[Option<Vec<String>>]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for sentence in sentences {
        for word in sentence.iter().flatten() {
            eat(word.as_bytes());
            eat(&[0]);
        }
        eat(&[1]);
    }
    hash
}

/// The entity type of an IOB2 tag (`B-PER` → `PER`); None for `O`.
pub fn entity_type(tag: &str) -> Option<&str> {
    tag.split_once('-').map(|(_, kind)| kind)
}

impl Project {
    /// The tags of a sentence as they stand: the analyst's edit, else the imported tags.
    pub fn tags_of(&self, row: usize) -> Option<&[String]> {
        match self.state.tag_edits.get(&row) {
            Some(a) => Some(&a.labels),
            None => self.example(row)?.tags.as_deref(),
        }
    }

    /// Whether the sentence's tags were edited in Attune, and by whom.
    pub fn tag_edit(&self, row: usize) -> Option<&Annotation> {
        self.state.tag_edits.get(&row)
    }

    /// The words of a sentence with its current tags (all `O` when it has none yet).
    fn words_and_tags(&self, row: usize) -> Result<(Vec<String>, Vec<String>), ProjectError> {
        let words = self
            .example(row)
            .and_then(|e| e.tokens.clone())
            .ok_or_else(|| ProjectError::Invalid(format!("example {row} is not a sentence of tagged words")))?;
        let tags = match self.tags_of(row) {
            Some(t) if t.len() == words.len() => t.to_vec(),
            _ => vec!["O".to_string(); words.len()],
        };
        Ok((words, tags))
    }

    /// The op that sets a sentence's tags, repaired to IOB2 first: a word right after a span
    /// that used to continue an entity now begins one.
    fn tag_op(&self, row: usize, mut tags: Vec<String>) -> Op {
        to_iob2(&mut tags);
        let annotation =
            Annotation { labels: tags, source: LabelSource::Human, by: self.user.clone(), at_ms: now_ms() };
        Op::SetTags { row, annotation: Some(annotation) }
    }

    /// Accepts the model's tags for each of `rows` (recorded as accepted suggestions of its run,
    /// with its confidence in the sentence), in one undoable step. Returns how many were accepted.
    pub fn accept_tag_suggestions(
        &mut self,
        rows: &[usize],
        suggestions: &TagSuggestions,
    ) -> Result<usize, ProjectError> {
        let at_ms = now_ms();
        let mut ops = Vec::with_capacity(rows.len());
        for &row in rows {
            let (Some(Some(tags)), Some(&confidence)) = (suggestions.tags.get(row), suggestions.confidence.get(row))
            else {
                return Err(ProjectError::Invalid(format!(
                    "there are no suggested tags for example {row}; suggest tags again with the current model"
                )));
            };
            let (words, _) = self.words_and_tags(row)?;
            if words.len() != tags.len() {
                return Err(ProjectError::Invalid(format!("the suggested tags of example {row} do not fit its words")));
            }
            // Words the model did not see (cut off by its maximum length) keep their tags.
            let (_, current) = self.words_and_tags(row)?;
            let mut tags: Vec<String> =
                tags.iter().zip(&current).map(|(t, c)| if t.is_empty() { c.clone() } else { t.clone() }).collect();
            to_iob2(&mut tags);
            let source = LabelSource::AcceptedSuggestion { model: suggestions.run.clone(), confidence };
            let annotation = Annotation { labels: tags, source, by: self.user.clone(), at_ms };
            ops.push(Op::SetTags { row, annotation: Some(annotation) });
        }
        let n = ops.len();
        if n > 0 {
            self.apply(Op::Batch { ops })?;
        }
        Ok(n)
    }

    /// Tags words `start..end` of a sentence as one entity of `kind`, or as outside (`O`) with
    /// None. Entities the span cuts into keep their remaining words.
    pub fn tag_span(&mut self, row: usize, start: usize, end: usize, kind: Option<&str>) -> Result<(), ProjectError> {
        let (words, mut tags) = self.words_and_tags(row)?;
        if start >= end || end > words.len() {
            return Err(ProjectError::Invalid(format!(
                "words {start}..{end} are not in a sentence of {}",
                words.len()
            )));
        }
        span_tags(&mut tags, start, end, kind);
        let op = self.tag_op(row, tags);
        self.apply(op)
    }

    /// Tags every occurrence of the word sequence `words` (exact match) in every sentence as an
    /// entity of `kind`, in one undoable step. Returns how many occurrences were tagged.
    pub fn tag_all_occurrences(&mut self, words: &[String], kind: &str) -> Result<usize, ProjectError> {
        if words.is_empty() {
            return Err(ProjectError::Invalid("select one or more words first".into()));
        }
        let mut ops = Vec::new();
        let mut found = 0;
        for row in 0..self.len() {
            let Some(sentence) = self.example(row).and_then(|e| e.tokens.as_ref()) else { continue };
            let starts: Vec<usize> = (0..sentence.len().saturating_sub(words.len() - 1))
                .filter(|&i| sentence[i..i + words.len()] == *words)
                .collect();
            if starts.is_empty() {
                continue;
            }
            let (_, mut tags) = self.words_and_tags(row)?;
            let before = tags.clone();
            for &i in &starts {
                span_tags(&mut tags, i, i + words.len(), Some(kind));
            }
            found += starts.len();
            if tags != before {
                ops.push(self.tag_op(row, tags));
            }
        }
        if !ops.is_empty() {
            self.apply(Op::Batch { ops })?;
        }
        Ok(found)
    }
}

/// Writes one span into IOB2 tags: `B-kind I-kind…`, or `O` for None. A word right after the
/// span that continued an entity begins its own (what is left of the entity stays one).
fn span_tags(tags: &mut [String], start: usize, end: usize, kind: Option<&str>) {
    if let Some(kind) = tags.get(end).and_then(|t| t.strip_prefix("I-")).map(String::from) {
        tags[end] = format!("B-{kind}");
    }
    for (i, tag) in tags[start..end].iter_mut().enumerate() {
        *tag = match kind {
            Some(k) if i == 0 => format!("B-{k}"),
            Some(k) => format!("I-{k}"),
            None => "O".to_string(),
        };
    }
}
