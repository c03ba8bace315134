//! `attune project …`: show a project, label from the command line (labels, word tags, numbers),
//! change the label set, and export the labeled data (creating one is `project_new_cmd.rs`). The
//! same core calls as the app's Data and Label panes.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::data::split_label_cell;
use crate::project::{export, parse_score, ExportFormat, Filter, Op, Project, SortOrder, Split, Task, TextQuery};

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// Create a project folder from a data file (CSV/TSV, JSON Lines, Parquet, text, CoNLL).
    New(super::project_new_cmd::NewArgs),
    /// Show a project: examples, labels, splits, sources, runs.
    Info {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Write the labeled data to a file that imports again.
    Export {
        dir: PathBuf,
        /// csv, jsonl or conll.
        #[arg(long)]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Set (or clear) the label of chosen or filtered examples.
    Label(LabelArgs),
    /// Change the label set: add, rename, merge, delete.
    Labels(LabelsArgs),
    /// Tag words of tagged sentences (named entities): a span of one sentence, or every
    /// occurrence of a phrase.
    Tag(TagArgs),
    /// Set the number of an example in a regression project (or put back the imported one).
    Score {
        dir: PathBuf,
        /// The example row (0-based).
        #[arg(long)]
        row: usize,
        /// The number to set.
        #[arg(long, required_unless_present = "clear", allow_hyphen_values = true)]
        value: Option<String>,
        /// Put back the imported number instead.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Args, Debug)]
pub struct TagArgs {
    /// The project folder.
    pub dir: PathBuf,
    /// The sentence (project row) whose words to tag.
    #[arg(long, value_name = "N", conflicts_with = "phrase", required_unless_present = "phrase")]
    pub row: Option<usize>,
    /// The words to tag, as 0-based START..END (END not included), e.g. 3..5.
    #[arg(long, value_name = "START..END", requires = "row", required_unless_present = "phrase")]
    pub words: Option<String>,
    /// Tag every occurrence of these words (separated by spaces) in every sentence.
    #[arg(long)]
    pub phrase: Option<String>,
    /// The entity type (one of the project's labels); without it the words become untagged (O).
    #[arg(long = "type", value_name = "TYPE", required_unless_present = "row")]
    pub kind: Option<String>,
}

#[derive(Args, Debug)]
pub struct LabelArgs {
    pub dir: PathBuf,
    /// The label to set (not with --clear). In a multi-label project, several labels separated
    /// by ';' set exactly those, and "" records that none applies.
    #[arg(long, required_unless_present = "clear")]
    pub label: Option<String>,
    /// Remove the labels instead.
    #[arg(long)]
    pub clear: bool,
    /// Example rows (0-based), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub rows: Vec<usize>,
    /// Every example containing this text (case-insensitive).
    #[arg(long)]
    pub search: Option<String>,
    /// Every example matching this regular expression.
    #[arg(long)]
    pub regex: Option<String>,
    /// Only examples currently labeled with this label.
    #[arg(long, value_name = "LABEL")]
    pub where_label: Option<String>,
    /// Only examples of this split (train, valid, test).
    #[arg(long)]
    pub split: Option<String>,
    /// Only examples without a label.
    #[arg(long)]
    pub unlabeled_only: bool,
}

#[derive(Args, Debug)]
pub struct LabelsArgs {
    pub dir: PathBuf,
    #[arg(long, value_name = "NAME")]
    pub add: Vec<String>,
    /// OLD=NEW
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
    /// A,B=INTO
    #[arg(long, value_name = "A,B=INTO")]
    pub merge: Vec<String>,
    #[arg(long, value_name = "NAME")]
    pub delete: Vec<String>,
}

pub fn run(command: ProjectCommand) -> anyhow::Result<()> {
    match command {
        ProjectCommand::New(a) => super::project_new_cmd::new(a),
        ProjectCommand::Info { dir, json } => info(&dir, json),
        ProjectCommand::Export { dir, format, out } => {
            let format = ExportFormat::parse(&format)
                .ok_or_else(|| anyhow::anyhow!("unknown export format \"{format}\": use csv, jsonl or conll"))?;
            let project = Project::open(&dir)?;
            let n = export(&project, format, &out)?;
            println!("wrote {n} examples to {}", out.display());
            Ok(())
        }
        ProjectCommand::Label(a) => label(a),
        ProjectCommand::Labels(a) => labels(a),
        ProjectCommand::Tag(a) => tag(a),
        ProjectCommand::Score { dir, row, value, clear } => score(&dir, row, value.as_deref(), clear),
    }
}

fn score(dir: &Path, row: usize, value: Option<&str>, clear: bool) -> anyhow::Result<()> {
    let mut project = Project::open(dir)?;
    let number = match (value, clear) {
        (_, true) => None,
        (Some(text), false) => Some(parse_score(text)?),
        (None, false) => anyhow::bail!("give --value or --clear"),
    };
    project.set_score(row, number)?;
    match project.score_of(row) {
        Some(n) => println!("example {row}: {n}"),
        None => println!("example {row} has no number"),
    }
    Ok(())
}

fn tag(args: TagArgs) -> anyhow::Result<()> {
    let mut project = Project::open(&args.dir)?;
    if let Some(phrase) = &args.phrase {
        let words: Vec<String> = phrase.split_whitespace().map(String::from).collect();
        let kind = args.kind.as_deref().unwrap_or_default();
        let n = project.tag_all_occurrences(&words, kind)?;
        println!("tagged {n} occurrences of \"{phrase}\" as {kind}");
        return Ok(());
    }
    let (Some(row), Some(range)) = (args.row, &args.words) else {
        anyhow::bail!("give --row N --words START..END, or --phrase")
    };
    let (start, end) = range
        .split_once("..")
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .ok_or_else(|| anyhow::anyhow!("--words takes START..END, e.g. 3..5 (END not included)"))?;
    project.tag_span(row, start, end, args.kind.as_deref())?;
    println!("sentence {row}: {}", project.tags_of(row).unwrap_or_default().join(" "));
    Ok(())
}

pub(super) fn print_summary(project: &Project) {
    let state = project.state();
    println!("task: {:?}; {} of {} examples labeled", project.meta.task, state.annotations.len(), project.len());
    for def in project.labels() {
        let n = state.annotations.values().filter(|a| a.labels.contains(&def.name)).count();
        let key = def.hotkey.map(|k| format!(" [{k}]")).unwrap_or_default();
        println!("  {:<30} {n:>8}{key}", def.name);
    }
    let count = |s: Split| state.splits.iter().filter(|&&x| x == s).count();
    println!("splits: train {}, valid {}, test {}", count(Split::Train), count(Split::Valid), count(Split::Test));
}

fn info(dir: &Path, json: bool) -> anyhow::Result<()> {
    let project = Project::open(dir)?;
    let runs = project.runs();
    if json {
        let state = project.state();
        let labels: serde_json::Map<String, serde_json::Value> = project
            .labels()
            .iter()
            .map(|d| {
                let n = state.annotations.values().filter(|a| a.labels.contains(&d.name)).count();
                (d.name.clone(), serde_json::json!({ "count": n, "colour": d.colour, "hotkey": d.hotkey }))
            })
            .collect();
        let count = |s: Split| state.splits.iter().filter(|&&x| x == s).count();
        let out = serde_json::json!({
            "name": project.meta.name,
            "task": project.meta.task,
            "examples": project.len(),
            "labeled": state.annotations.len(),
            "labels": labels,
            "splits": { "train": count(Split::Train), "valid": count(Split::Valid), "test": count(Split::Test) },
            "sources": project.meta.sources,
            "model": project.meta.model,
            "runs": runs.iter().map(|(name, info)| serde_json::json!({
                "name": name,
                "best_accuracy": info.as_ref().and_then(|i| i.best.as_ref()).and_then(|b| b.accuracy),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{} — {}", project.meta.name, dir.display());
    print_summary(&project);
    for s in &project.meta.sources {
        println!(
            "source: {} (sha256 {}, {} rows, {} problems)",
            s["path"].as_str().unwrap_or("?"),
            s["sha256"].as_str().unwrap_or("?"),
            s["rows"],
            s["problems"]
        );
    }
    if let Some(m) = &project.meta.model {
        println!("model: {m}");
    }
    for (name, info) in runs {
        let acc =
            info.and_then(|i| i.best).and_then(|b| b.accuracy).map(|a| format!("accuracy {a:.4}")).unwrap_or_default();
        println!("run: {name} {acc}");
    }
    Ok(())
}

fn label(args: LabelArgs) -> anyhow::Result<()> {
    let mut project = Project::open(&args.dir)?;
    let split = match &args.split {
        Some(s) => {
            Some(Split::parse(s).ok_or_else(|| anyhow::anyhow!("unknown split \"{s}\": use train, valid or test"))?)
        }
        None => None,
    };
    let text = match (&args.search, &args.regex) {
        (Some(s), _) => Some(TextQuery::Substring(s.clone())),
        (None, Some(r)) => Some(TextQuery::Regex(r.clone())),
        _ => None,
    };
    let filtering = text.is_some() || split.is_some() || args.where_label.is_some() || args.unlabeled_only;
    let mut rows = args.rows.clone();
    if filtering {
        let filter =
            Filter { text, label: args.where_label.clone(), split, unlabeled: args.unlabeled_only, disagrees: false };
        let found = project.query(&filter, SortOrder::Row)?;
        rows = if rows.is_empty() { found } else { rows.into_iter().filter(|r| found.contains(r)).collect() };
    } else if rows.is_empty() {
        anyhow::bail!(
            "say which examples: --rows, or a filter (--search, --regex, --where-label, --split, --unlabeled-only)"
        );
    }
    let n = rows.len();
    match (&args.label, args.clear) {
        (_, true) => project.apply(Op::ClearLabels { rows })?,
        (Some(label), false) if project.meta.task == Task::MultiLabel => {
            project.set_labels(rows, split_label_cell(label, ";"))?
        }
        (Some(label), false) => project.set_labels(rows, vec![label.clone()])?,
        (None, false) => anyhow::bail!("give --label or --clear"),
    }
    println!("{} {n} examples", if args.clear { "unlabeled" } else { "labeled" });
    Ok(())
}

fn labels(args: LabelsArgs) -> anyhow::Result<()> {
    let mut project = Project::open(&args.dir)?;
    for name in &args.add {
        project.apply(Op::AddLabel { name: name.clone() })?;
    }
    for pair in &args.rename {
        let (from, to) = pair.split_once('=').ok_or_else(|| anyhow::anyhow!("write --rename OLD=NEW"))?;
        project.apply(Op::RenameLabel { from: from.trim().into(), to: to.trim().into() })?;
    }
    for spec in &args.merge {
        let (from, into) = spec.split_once('=').ok_or_else(|| anyhow::anyhow!("write --merge A,B=INTO"))?;
        let from = from.split(',').map(|s| s.trim().to_string()).filter(|s| s != into.trim()).collect();
        project.apply(Op::MergeLabels { from, into: into.trim().into() })?;
    }
    for name in &args.delete {
        project.apply(Op::DeleteLabel { name: name.clone() })?;
    }
    print_summary(&project);
    Ok(())
}
