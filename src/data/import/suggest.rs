//! A first guess at the column mapping from what the sniffer saw: the text column by its name
//! (or as the column of the longest texts), a second text for known pair names, and the label
//! column by its name (or as the short column with the fewest distinct values). The analyst
//! confirms or changes it; nothing here is final.

use std::collections::HashSet;

use super::{ColumnRef, Format, ImportSpec, Sniffed, Target};

const TEXT_NAMES: [&str; 14] = [
    "text",
    "sentence",
    "content",
    "message",
    "review",
    "document",
    "utterance",
    "query",
    "body",
    "tweet",
    "sms",
    "comment",
    "description",
    "title",
];
const PAIRS: [(&str, &str); 7] = [
    ("sentence1", "sentence2"),
    ("text_a", "text_b"),
    ("text1", "text2"),
    ("question1", "question2"),
    ("premise", "hypothesis"),
    ("question", "sentence"),
    ("query", "passage"),
];
const LABEL_NAMES: [&str; 12] = [
    "label",
    "labels",
    "category",
    "categories",
    "class",
    "target",
    "intent",
    "sentiment",
    "topic",
    "tag",
    "tags",
    "y",
];
const SCORE_NAMES: [&str; 4] = ["score", "similarity", "similarity_score", "relatedness"];
const SEPARATORS: [&str; 3] = [";", "|", ","];

impl Sniffed {
    /// A guess at which columns hold the text, the pair and the target.
    pub fn suggest_spec(&self) -> ImportSpec {
        if matches!(self.layout.format, Format::Conll | Format::PlainText) {
            return ImportSpec::text_only(self.layout, 0);
        }
        let named = |names: &[&str], skip: &[usize]| -> Option<usize> {
            names.iter().find_map(|n| {
                (0..self.columns.len())
                    .find(|&i| !skip.contains(&i) && last_segment(&self.columns[i]).eq_ignore_ascii_case(n))
            })
        };
        let pair = PAIRS.iter().find_map(|(a, b)| Some((named(&[a], &[])?, named(&[b], &[])?)));
        let text = match pair {
            Some((a, _)) => a,
            None => named(&TEXT_NAMES, &[]).or_else(|| self.longest_column()).unwrap_or(0),
        };
        let used: Vec<usize> = std::iter::once(text).chain(pair.map(|(_, b)| b)).collect();
        let spans = (self.layout.format == Format::JsonLines).then(|| named(&SPAN_NAMES, &used)).flatten();
        let target = if let Some(spans) = spans {
            Target::Spans(self.column_ref(spans))
        } else if let Some(label) = named(&LABEL_NAMES, &used) {
            Target::Labels { columns: vec![self.column_ref(label)], separator: self.separator(label) }
        } else if let Some(score) = named(&SCORE_NAMES, &used) {
            Target::Score(self.column_ref(score))
        } else {
            match self.fewest_distinct(&used) {
                Some(label) => Target::Labels { columns: vec![self.column_ref(label)], separator: None },
                None => Target::Unlabeled,
            }
        };
        ImportSpec {
            layout: self.layout,
            text: self.column_ref(text),
            text_pair: pair.map(|(_, b)| self.column_ref(b)),
            target,
        }
    }

    /// The column by name; by index when the sniffer found no columns (the import then says so).
    fn column_ref(&self, i: usize) -> ColumnRef {
        self.columns.get(i).map_or(ColumnRef::Index(i), |name| ColumnRef::Name(name.clone()))
    }

    fn cells(&self, i: usize) -> impl Iterator<Item = &str> {
        self.preview.iter().filter_map(move |r| r.get(i)).map(|c| c.trim())
    }

    fn mean_chars(&self, i: usize) -> usize {
        let (sum, n) = self.cells(i).fold((0, 0), |(s, n), c| (s + c.chars().count(), n + 1));
        sum.checked_div(n).unwrap_or(0)
    }

    /// The column with the longest values on average.
    fn longest_column(&self) -> Option<usize> {
        (0..self.columns.len()).max_by_key(|&i| self.mean_chars(i))
    }

    /// A short column (at most 30 characters on average) with the fewest distinct values.
    fn fewest_distinct(&self, skip: &[usize]) -> Option<usize> {
        (0..self.columns.len())
            .filter(|i| !skip.contains(i) && self.mean_chars(*i) <= 30)
            .filter(|&i| self.cells(i).any(|c| !c.is_empty()))
            .min_by_key(|&i| self.cells(i).collect::<HashSet<_>>().len())
    }

    /// A multi-label separator, when a fifth or more of the label cells contain one.
    fn separator(&self, i: usize) -> Option<String> {
        let cells: Vec<&str> = self.cells(i).collect();
        SEPARATORS
            .iter()
            .find(|sep| !cells.is_empty() && cells.iter().filter(|c| c.contains(**sep)).count() * 5 >= cells.len())
            .map(|s| s.to_string())
    }
}

/// JSON Lines fields that hold entity spans by character offsets.
const SPAN_NAMES: [&str; 4] = ["spans", "entities", "ner", "entity_spans"];

fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}
