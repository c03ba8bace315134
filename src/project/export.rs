//! Exporting the labeled data: CSV and JSON Lines (text, second text, label(s) joined by ";",
//! score, split, note) that import again into the same examples and labels, and CoNLL for token
//! tasks (one token and tag per line, a blank line between sentences).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Project, ProjectError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Jsonl,
    Conll,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "json" => Some(Self::Jsonl),
            "conll" | "bio" => Some(Self::Conll),
            _ => None,
        }
    }
}

/// Writes every example to `path` (atomically). Returns the number of examples written.
pub fn export(project: &Project, format: ExportFormat, path: &Path) -> Result<usize, ProjectError> {
    let mut out: Vec<u8> = Vec::new();
    let has_pair = (0..project.len()).any(|r| project.example(r).is_some_and(|e| e.text_pair.is_some()));
    let has_score = (0..project.len()).any(|r| project.score_of(r).is_some());
    let joined = |r: usize| project.annotation(r).map(|a| a.labels.join(";")).unwrap_or_default();
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            let mut header = vec!["text"];
            if has_pair {
                header.push("text_pair");
            }
            header.extend(["label", "split", "note"]);
            if has_score {
                header.push("score");
            }
            w.write_record(&header).map_err(|e| ProjectError::write(path, e))?;
            for r in 0..project.len() {
                let Some(ex) = project.example(r) else { continue };
                let mut rec = vec![ex.text.clone()];
                if has_pair {
                    rec.push(ex.text_pair.clone().unwrap_or_default());
                }
                rec.extend([joined(r), project.split(r).name().to_string(), project.note(r).unwrap_or("").to_string()]);
                if has_score {
                    rec.push(project.score_of(r).map(|s| s.to_string()).unwrap_or_default());
                }
                w.write_record(&rec).map_err(|e| ProjectError::write(path, e))?;
            }
            w.flush().map_err(|e| ProjectError::write(path, e))?;
        }
        ExportFormat::Jsonl => {
            for r in 0..project.len() {
                let Some(ex) = project.example(r) else { continue };
                let mut obj =
                    serde_json::json!({ "text": ex.text, "label": joined(r), "split": project.split(r).name() });
                if let Some(p) = &ex.text_pair {
                    obj["text_pair"] = p.clone().into();
                }
                if let Some(s) = project.score_of(r) {
                    obj["score"] = s.into();
                }
                if let Some(n) = project.note(r) {
                    obj["note"] = n.into();
                }
                serde_json::to_writer(&mut out, &obj).map_err(|e| ProjectError::write(path, e))?;
                out.push(b'\n');
            }
        }
        ExportFormat::Conll => {
            for r in 0..project.len() {
                let Some(ex) = project.example(r) else { continue };
                let (Some(tokens), Some(tags)) = (&ex.tokens, project.tags_of(r)) else {
                    return Err(ProjectError::Invalid(
                        "CoNLL export needs token-level tags; this project has whole-text labels (export csv or jsonl)"
                            .into(),
                    ));
                };
                for (t, g) in tokens.iter().zip(tags) {
                    writeln!(out, "{t}\t{g}").map_err(|e| ProjectError::write(path, e))?;
                }
                out.push(b'\n');
            }
        }
    }
    super::journal::write_file_atomic(path, &out)?;
    Ok(project.len())
}
