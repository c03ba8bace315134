//! `attune project new`: a project folder created from data files (CSV/TSV, JSON Lines, Parquet,
//! text, CoNLL), with the columns the user names or the importer detects, and the task they make
//! (one label, several labels, a number, or tagged words).

use std::path::{Path, PathBuf};

use clap::Args;

use super::project_cmd::print_summary;
use crate::data::import::{import, sniff, ColumnRef, ImportSpec, Imported, Target};
use crate::jobs::CancelToken;
use crate::project::{create_from_import, CreateOptions, Split, SplitPlan};

#[derive(Args, Debug)]
pub struct NewArgs {
    /// The project folder to create.
    pub dir: PathBuf,
    /// The data file.
    #[arg(long)]
    pub data: PathBuf,
    /// Separate validation and test files (otherwise the data is split, seeded and stratified).
    #[arg(long)]
    pub valid_data: Option<PathBuf>,
    #[arg(long)]
    pub test_data: Option<PathBuf>,
    #[arg(long, value_name = "NAME")]
    pub text_column: Option<String>,
    /// Second text of a pair (e.g. the hypothesis).
    #[arg(long, value_name = "NAME")]
    pub text_pair_column: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// JSON Lines: the field of entity spans by character offsets ([{"start", "end", "label"}] or
    /// [[start, end, label]]); the texts become words with IOB2 tags (detected when named spans
    /// or entities).
    #[arg(long, value_name = "NAME")]
    pub spans_column: Option<String>,
    /// A numeric target column (regression) instead of labels.
    #[arg(long, value_name = "NAME")]
    pub score_column: Option<String>,
    /// Split label cells into several labels on this separator (multi-label), e.g. ";".
    #[arg(long, value_name = "SEP")]
    pub label_separator: Option<String>,
    /// Import texts only; labels are given later.
    #[arg(long)]
    pub unlabeled: bool,
    #[arg(long)]
    pub name: Option<String>,
    /// The base model for this project's runs.
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 0.8)]
    pub train_share: f64,
    #[arg(long, default_value_t = 0.1)]
    pub valid_share: f64,
}

fn column(name: &str) -> ColumnRef {
    ColumnRef::Name(name.to_string())
}

fn import_one(path: &Path, args: &NewArgs) -> anyhow::Result<Imported> {
    let sniffed = sniff(path, 5)?;
    let mut spec: ImportSpec = sniffed.suggest_spec();
    if let Some(c) = &args.text_column {
        spec.text = column(c);
    }
    if let Some(c) = &args.text_pair_column {
        spec.text_pair = Some(column(c));
    }
    if args.unlabeled {
        spec.target = Target::Unlabeled;
    } else if let Some(c) = &args.spans_column {
        spec.target = Target::Spans(column(c));
    } else if let Some(c) = &args.score_column {
        spec.target = Target::Score(column(c));
    } else if let Some(c) = &args.label_column {
        spec.target = Target::Labels { columns: vec![column(c)], separator: args.label_separator.clone() };
    } else if let Target::Labels { separator, .. } = &mut spec.target {
        if args.label_separator.is_some() {
            separator.clone_from(&args.label_separator);
        }
    }
    eprintln!(
        "importing {} ({}, {} columns: {})",
        path.display(),
        sniffed.layout.format.name(),
        sniffed.columns.len(),
        sniffed.columns.join(", ")
    );
    let imported = import(path, &spec, &mut |_| {}, &CancelToken::new())?;
    let problems = &imported.report.problems;
    eprintln!("  {} examples imported, {} rows could not be read", imported.rows.len(), problems.len());
    if imported.report.converted_tags > 0 {
        eprintln!(
            "  {} entity tags were rewritten to IOB2 (from IOB1, BIOES or BILOU)",
            imported.report.converted_tags
        );
    }
    for p in problems.iter().take(20) {
        let line = p.line.map(|l| format!("line {l}")).unwrap_or_else(|| format!("row {}", p.row));
        eprintln!("  {line}: {}", p.message);
    }
    if problems.len() > 20 {
        eprintln!("  … and {} more (see `attune project info --json`)", problems.len() - 20);
    }
    Ok(imported)
}

pub(super) fn new(args: NewArgs) -> anyhow::Result<()> {
    let mut files = vec![(import_one(&args.data, &args)?, None)];
    if let Some(v) = &args.valid_data {
        files.push((import_one(v, &args)?, Some(Split::Valid)));
    }
    if let Some(t) = &args.test_data {
        files.push((import_one(t, &args)?, Some(Split::Test)));
    }
    if args.valid_data.is_some() || args.test_data.is_some() {
        files[0].1 = Some(Split::Train);
    }
    let name = args.name.clone().unwrap_or_else(|| {
        args.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into())
    });
    let opts =
        CreateOptions { name, seed: args.seed, split: SplitPlan { train: args.train_share, valid: args.valid_share } };
    let mut project = create_from_import(&args.dir, files, &opts)?;
    if args.model.is_some() {
        project.meta.model = args.model.clone();
        project.save_meta()?;
    }
    println!("created project {} with {} examples", args.dir.display(), project.len());
    print_summary(&project);
    Ok(())
}
