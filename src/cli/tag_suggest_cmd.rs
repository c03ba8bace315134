//! `attune suggest` for a project of tagged sentences: the project's token classifier tags every
//! sentence (saved beside the run); the sentences not reviewed in Attune where it disagrees with
//! their tags are listed, least sure first; `--accept-above P` accepts its tags where it is at
//! least that sure and the sentence has no entity yet (imported entities are never overwritten).

use std::path::Path;

use serde_json::json;

use super::assist_cmd::{data_row, SuggestArgs};
use crate::assist::{load_tag_suggestions, project_sentences, save_tag_suggestions, suggest_tags};
use crate::jobs::CancelToken;
use crate::project::{Project, TagSuggestions};
use crate::train::entities;

fn project_tag_suggestions(project: &Project, run_dir: &Path, quiet: bool) -> anyhow::Result<TagSuggestions> {
    let sentences = project_sentences(project);
    if let Some(s) = load_tag_suggestions(run_dir, &sentences) {
        return Ok(s);
    }
    let mut last = 0;
    let s = suggest_tags(&sentences, run_dir, &CancelToken::new(), &mut |done, total| {
        if !quiet && (done - last >= 2048 || done == total) {
            eprintln!("tagged {done} of {total} sentences");
            last = done;
        }
    })?;
    save_tag_suggestions(run_dir, &s)?;
    Ok(s)
}

/// The words with each entity marked: "EU [ORG] rejects German [MISC] call".
fn marked(words: &[String], tags: &[String]) -> String {
    let mut out: Vec<String> = words.to_vec();
    for (kind, _, end) in entities(tags) {
        out[end - 1] = format!("{} [{kind}]", out[end - 1]);
    }
    out.join(" ")
}

pub(super) fn suggest(args: &SuggestArgs, mut project: Project, run_dir: &Path) -> anyhow::Result<()> {
    let suggestions = project_tag_suggestions(&project, run_dir, args.json)?;
    // Not reviewed in Attune, and the model would tag it differently.
    let disagreeing = |p: &Project| -> Vec<usize> {
        (0..p.len())
            .filter(|&r| p.tag_edit(r).is_none())
            .filter(|&r| suggestions.tags[r].as_deref().is_some_and(|t| p.tags_of(r) != Some(t)))
            .collect()
    };
    let mut accepted = 0;
    if let Some(p) = args.accept_above {
        if !(0.0..=1.0).contains(&p) {
            anyhow::bail!("--accept-above is a probability between 0 and 1 (got {p})");
        }
        let no_entities = |r: usize| project.tags_of(r).is_none_or(|t| t.iter().all(|t| t == "O"));
        let rows: Vec<usize> =
            disagreeing(&project).into_iter().filter(|&r| suggestions.confidence[r] >= p && no_entities(r)).collect();
        accepted = project.accept_tag_suggestions(&rows, &suggestions)?;
    }
    let mut remaining = disagreeing(&project);
    remaining.sort_by(|&a, &b| suggestions.confidence[a].total_cmp(&suggestions.confidence[b]));
    let limit = args.limit.unwrap_or(if args.json { usize::MAX } else { 20 });
    let words = |r: usize| project.example(r).and_then(|e| e.tokens.clone()).unwrap_or_default();
    if args.json {
        let shown: Vec<serde_json::Value> = remaining
            .iter()
            .take(limit)
            .map(|&r| {
                let tags = suggestions.tags[r].clone().unwrap_or_default();
                let found: Vec<serde_json::Value> = entities(&tags)
                    .into_iter()
                    .map(|(kind, start, end)| json!({ "type": kind, "start_word": start, "end_word": end }))
                    .collect();
                json!({ "row": data_row(&project, r), "example": r, "tags": tags, "entities": found,
                    "confidence": suggestions.confidence[r] })
            })
            .collect();
        let out = json!({ "run": suggestions.run, "accepted": accepted, "disagreeing": remaining.len(),
            "suggestions": shown });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{} sentences not reviewed yet where {} would tag differently (least sure first)",
        remaining.len(),
        suggestions.run
    );
    if args.accept_above.is_some() {
        println!(
            "accepted the tags of {accepted} sentences that had no entity (recorded as accepted from {})",
            suggestions.run
        );
    }
    for &r in remaining.iter().take(limit) {
        let tags = suggestions.tags[r].clone().unwrap_or_default();
        println!("{r:>7}  {:>5.1}%  {}", suggestions.confidence[r] * 100.0, marked(&words(r), &tags));
    }
    Ok(())
}
