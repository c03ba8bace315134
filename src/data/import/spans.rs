//! Entity spans given by character offsets (JSON Lines exported by Prodigy, doccano, spaCy or
//! Label Studio-style tools) turned into words with IOB2 tags: the text is split into words as
//! CoNLL files have them, and each span tags the words it overlaps (`B-` on the first). A span
//! outside the text, empty, without a label, or overlapping another is a row problem.

use serde_json::Value;

use crate::data::words::split_words_with_offsets;

/// One span as (start, end, label) in characters, end excluded.
fn parse_span(value: &Value) -> Option<(usize, usize, String)> {
    let number = |v: &Value| v.as_u64().map(|n| n as usize);
    match value {
        Value::Array(items) if items.len() >= 3 => {
            Some((number(&items[0])?, number(&items[1])?, items[2].as_str()?.to_string()))
        }
        Value::Object(map) => {
            let field = |names: &[&str]| names.iter().find_map(|n| map.get(*n));
            let start = number(field(&["start", "start_offset", "startOffset"])?)?;
            let end = number(field(&["end", "end_offset", "endOffset"])?)?;
            let label = match field(&["label", "labels", "type", "entity"])? {
                Value::Array(labels) => labels.first()?.as_str()?.to_string(),
                other => other.as_str()?.to_string(),
            };
            Some((start, end, label))
        }
        _ => None,
    }
}

/// The words of `text` and their IOB2 tags from `spans` (a JSON array of spans).
pub(crate) fn words_and_tags(text: &str, spans: Option<&Value>) -> Result<(Vec<String>, Vec<String>), String> {
    let words = split_words_with_offsets(text);
    let mut tags = vec!["O".to_string(); words.len()];
    let spans = match spans {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("the entity spans are not a list".into()),
    };
    // Character offset → byte offset (Python and the tools count characters).
    let mut byte_of_char: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    byte_of_char.push(text.len());
    for (n, value) in spans.iter().enumerate() {
        let Some((start, end, label)) = parse_span(value) else {
            return Err(format!(
                "entity span {} is not {{\"start\", \"end\", \"label\"}} or [start, end, label]",
                n + 1
            ));
        };
        if start >= end || end >= byte_of_char.len() || label.trim().is_empty() {
            return Err(format!(
                "entity span {} ({start}–{end}, \"{label}\") is empty, unlabeled or beyond the text's {} characters",
                n + 1,
                byte_of_char.len() - 1
            ));
        }
        let (from, to) = (byte_of_char[start], byte_of_char[end]);
        let mut first = true;
        for (i, (_, ws, we)) in words.iter().enumerate() {
            if *we <= from || *ws >= to {
                continue;
            }
            if tags[i] != "O" {
                return Err(format!(
                    "entity span {} (\"{label}\") overlaps another span; nested entities are not supported",
                    n + 1
                ));
            }
            tags[i] = format!("{}-{}", if first { "B" } else { "I" }, label.trim());
            first = false;
        }
    }
    Ok((words.into_iter().map(|(w, _, _)| w).collect(), tags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spans_tag_the_words_they_cover() {
        let text = "Zoë moved to New York City, not Köln.";
        let spans = json!([{"start": 0, "end": 3, "label": "PER"}, [13, 26, "LOC"], {"start_offset": 32, "end_offset": 36, "labels": ["LOC"]}]);
        let (words, tags) = words_and_tags(text, Some(&spans)).unwrap();
        assert_eq!(words, ["Zoë", "moved", "to", "New", "York", "City", ",", "not", "Köln", "."]);
        assert_eq!(tags, ["B-PER", "O", "O", "B-LOC", "I-LOC", "I-LOC", "O", "O", "B-LOC", "O"]);
        assert!(words_and_tags(text, Some(&json!([[0, 99, "PER"]]))).unwrap_err().contains("beyond"));
        assert!(words_and_tags(text, Some(&json!([[0, 3, "PER"], [1, 5, "X"]]))).unwrap_err().contains("overlaps"));
        assert!(words_and_tags(text, Some(&json!([{"begin": 0}]))).is_err());
        assert_eq!(words_and_tags(text, None).unwrap().1.iter().filter(|t| *t != "O").count(), 0);
    }
}
