//! JSON Lines: one JSON object per line. Columns are the object's fields, nested ones by dotted
//! path (`meta.text`), found in the first 100 objects. Strings, numbers and booleans are read
//! as text; `null` is an empty cell; arrays are lists (several labels, or words of a text).
//! A line that is not a JSON object, or lacks a chosen field, is a row problem. Entity spans by
//! character offsets become words with IOB2 tags (see `spans.rs`).

use std::borrow::Cow;
use std::io::BufRead;

use serde_json::{Map, Value};

use super::collect::Collector;
use super::lines::{is_blank, Line, Lines};
use super::mapping::{build_row, resolve, Cell, Mapping};
use super::spans::words_and_tags;
use super::{ImportError, ImportSpec, TextEncoding};

const LOOKAHEAD_LINES: usize = 100;

/// A leaf field: its dotted name and the keys leading to it.
#[derive(Clone, Debug)]
pub(crate) struct JsonColumn {
    pub name: String,
    pub keys: Vec<String>,
}

/// Adds the leaf fields of an object not seen before, in order of appearance.
pub(crate) fn add_columns(object: &Map<String, Value>, prefix: &[String], out: &mut Vec<JsonColumn>) {
    for (key, value) in object {
        let mut keys = prefix.to_vec();
        keys.push(key.clone());
        match value {
            Value::Object(inner) if !inner.is_empty() => add_columns(inner, &keys, out),
            _ => {
                if !out.iter().any(|c| c.keys == keys) {
                    out.push(JsonColumn { name: keys.join("."), keys });
                }
            }
        }
    }
}

pub(crate) fn lookup<'v>(object: &'v Map<String, Value>, keys: &[String]) -> Option<&'v Value> {
    let (first, rest) = keys.split_first()?;
    let value = object.get(first)?;
    match (value, rest.is_empty()) {
        (v, true) => Some(v),
        (Value::Object(inner), false) => lookup(inner, rest),
        _ => None,
    }
}

fn scalar(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        other => Cow::Owned(other.to_string()),
    }
}

pub(crate) fn cell<'v>(value: Option<&'v Value>, name: &str) -> Result<Cell<'v>, String> {
    match value {
        None => Ok(Cell::Missing),
        Some(Value::Array(items)) => {
            Ok(Cell::List(items.iter().filter(|v| !v.is_null()).map(|v| scalar(v).into_owned()).collect()))
        }
        Some(Value::Object(_)) => {
            Err(format!("the field \"{name}\" is an object; name one of its fields, like \"{name}.text\""))
        }
        Some(v) => Ok(Cell::Text(scalar(v))),
    }
}

/// A JSON parse error without serde's "line 1" (each line is parsed on its own).
fn json_problem(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m);
    format!("this line is not valid JSON ({message}, at character {})", e.column())
}

/// Parses one line as a JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("this line is JSON but not an object ({…}); each line must be one object".to_string()),
        Err(e) => Err(json_problem(&e)),
    }
}

/// Reads every line into the collector; returns the columns and the resolved spec.
pub(crate) fn read<R: BufRead>(
    text: R,
    spec: &ImportSpec,
    enc: TextEncoding,
    c: &mut Collector,
) -> Result<(Vec<String>, Mapping<usize>), ImportError> {
    let path = c.path().to_path_buf();
    let mut lines = Lines::new(text, &path, enc);
    let mut ahead: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut columns: Vec<JsonColumn> = Vec::new();
    while ahead.len() < LOOKAHEAD_LINES {
        let Some(Line { number: line, bytes, .. }) = lines.next_line()? else { break };
        if is_blank(bytes) {
            c.blank_line();
            continue;
        }
        if let Ok(object) = parse_object(bytes) {
            add_columns(&object, &[], &mut columns);
        }
        ahead.push((line, bytes.to_vec()));
    }
    let names: Vec<String> = columns.iter().map(|col| col.name.clone()).collect();
    let mapping = resolve(spec, &names, &path)?;
    for (line, bytes) in &ahead {
        take(*line, bytes, &columns, &mapping, c)?;
    }
    drop(ahead);
    while let Some(Line { number: line, end_offset, bytes }) = lines.next_line()? {
        if is_blank(bytes) {
            c.blank_line();
            continue;
        }
        c.at_byte(end_offset);
        take(line, bytes, &columns, &mapping, c)?;
    }
    Ok((names, mapping))
}

fn take(
    line: u64,
    bytes: &[u8],
    columns: &[JsonColumn],
    mapping: &Mapping<usize>,
    c: &mut Collector,
) -> Result<(), ImportError> {
    let row = c.next_row()?;
    let result = parse_object(bytes).and_then(|object| {
        let mut built = build_row(mapping, row, |&k| cell(lookup(&object, &columns[k].keys), &columns[k].name))?;
        if let Some(spans) = &mapping.spans {
            // Offsets count characters of the text as written (not trimmed).
            let raw = lookup(&object, &columns[mapping.text.key].keys).and_then(Value::as_str).unwrap_or(&built.text);
            let (words, tags) = words_and_tags(raw, lookup(&object, &columns[spans.key].keys))?;
            (built.tokens, built.tags) = (Some(words), Some(tags));
        }
        Ok(built)
    });
    c.push(row, Some(line), result);
    Ok(())
}
