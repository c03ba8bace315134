//! `attune suggest`, `attune queue`, `attune suspects` and `attune curve`: the model as a
//! co-worker from the command line — the same core calls as the app's Label and Review panes.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use crate::assist::{
    curve_train_job, find_suspects, learning_curve, load_predictions, predict_project, rank_queue, save_predictions,
    suggesting_run, CurveEvent, QueueSession, Strategy, SuspectInput, SuspectOptions, SuspectProgress,
    DEFAULT_FRACTIONS,
};
use crate::jobs::CancelToken;
use crate::project::{Predictions, Project, Task};

#[derive(Args, Debug)]
pub struct SuggestArgs {
    #[arg(long, value_name = "DIR")]
    pub project: PathBuf,
    /// The run whose model suggests (default: the project's model, else its newest run).
    #[arg(long, value_name = "NAME")]
    pub run: Option<String>,
    /// Accept every suggestion at least this confident (0–1) as the example's label.
    #[arg(long, value_name = "P")]
    pub accept_above: Option<f32>,
    /// Show at most N suggestions (default: 20, all with --json).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct QueueArgs {
    #[arg(long, value_name = "DIR")]
    pub project: PathBuf,
    /// entropy, margin or least-confidence (kept for the project's labeling session).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Share of examples drawn at random, 0–1 (kept for the session).
    #[arg(long, value_name = "SHARE")]
    pub random_share: Option<f32>,
    /// How many examples to list.
    #[arg(long, default_value_t = 20)]
    pub count: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SuspectsArgs {
    #[arg(long, value_name = "DIR")]
    pub project: PathBuf,
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Show at most N suspects (default: all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Print the list as JSON, most suspicious first.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CurveArgs {
    #[arg(long, value_name = "DIR")]
    pub project: PathBuf,
    /// Shares of the labeled training examples, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_FRACTIONS)]
    pub fractions: Vec<f64>,
    /// Epochs per point (default: the project model's settings).
    #[arg(long)]
    pub epochs: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

/// The 0-based data row of the imported file (the project row for examples added in Attune), as
/// every JSON output calls `row`; `example` is the project row.
pub(super) fn data_row(project: &Project, example: usize) -> usize {
    project.example(example).and_then(|e| e.source_row).unwrap_or(example)
}

/// The project's predictions from `run_dir`: saved ones when current, else computed and saved.
fn project_predictions(project: &Project, run_dir: &Path, quiet: bool) -> anyhow::Result<Predictions> {
    if let Some(p) = load_predictions(run_dir, project.len()) {
        return Ok(p);
    }
    let mut last = 0;
    let p = predict_project(project, run_dir, &CancelToken::new(), &mut |done, total| {
        if !quiet && (done - last >= 2048 || done == total) {
            eprintln!("predicted {done} of {total} examples");
            last = done;
        }
    })?;
    save_predictions(run_dir, &p)?;
    Ok(p)
}

pub fn suggest(args: SuggestArgs) -> anyhow::Result<()> {
    let mut project = Project::open(&args.project)?;
    let run_dir = suggesting_run(&project, args.run.as_deref())?;
    if project.meta.task == Task::TokenClassification {
        return super::tag_suggest_cmd::suggest(&args, project, &run_dir);
    }
    let predictions = project_predictions(&project, &run_dir, args.json)?;
    let unlabeled: Vec<usize> = (0..project.len()).filter(|&r| project.annotation(r).is_none()).collect();
    let mut accepted = 0;
    if let Some(p) = args.accept_above {
        if !(0.0..=1.0).contains(&p) {
            anyhow::bail!("--accept-above is a probability between 0 and 1 (got {p})");
        }
        let rows: Vec<usize> = unlabeled.iter().copied().filter(|&r| predictions.confidence[r] >= p).collect();
        accepted = project.accept_suggestions(&rows, &predictions)?;
    }
    let remaining: Vec<usize> = unlabeled.into_iter().filter(|&r| project.annotation(r).is_none()).collect();
    let limit = args.limit.unwrap_or(if args.json { usize::MAX } else { 20 });
    let shown: Vec<serde_json::Value> = remaining
        .iter()
        .take(limit)
        .map(|&r| {
            json!({ "row": data_row(&project, r), "example": r, "label": predictions.labels[r],
                "confidence": predictions.confidence[r] })
        })
        .collect();
    if args.json {
        let out =
            json!({ "run": predictions.run, "accepted": accepted, "unlabeled": remaining.len(), "suggestions": shown });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("suggestions from {} for {} unlabeled examples", predictions.run, remaining.len());
    if args.accept_above.is_some() {
        println!("accepted {accepted} suggestions as labels (recorded as accepted from {})", predictions.run);
    }
    for &r in remaining.iter().take(limit) {
        let text: String = project.example(r).map(|e| e.text.chars().take(70).collect()).unwrap_or_default();
        println!("{r:>7}  {:<16} {:>5.1}%  {}", predictions.labels[r], predictions.confidence[r] * 100.0, text);
    }
    Ok(())
}

pub fn queue(args: QueueArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let mut session = QueueSession::load(project.dir());
    if let Some(s) = &args.strategy {
        session.strategy = Strategy::parse(s)
            .ok_or_else(|| anyhow::anyhow!("unknown strategy \"{s}\": use entropy, margin or least-confidence"))?;
    }
    if let Some(share) = args.random_share {
        session.random_share = share;
    }
    if let Some(problem) = session.problem() {
        anyhow::bail!("{problem}");
    }
    session.save(project.dir())?;
    let predictions = match suggesting_run(&project, None) {
        Ok(dir) => Some(project_predictions(&project, &dir, args.json)?),
        Err(_) => None,
    };
    let rows = rank_queue(&project, predictions.as_ref(), &session, args.count);
    let entry = |r: usize| {
        json!({
            "row": data_row(&project, r),
            "example": r,
            "split": project.split(r).name(),
            "suggested": predictions.as_ref().map(|p| p.labels[r].clone()),
            "confidence": predictions.as_ref().map(|p| p.confidence[r]),
            "text": project.example(r).map(|e| e.text.clone()),
        })
    };
    if args.json {
        let out = json!({ "strategy": session.strategy.name(), "random_share": session.random_share,
            "model": predictions.as_ref().map(|p| p.run.clone()), "queue": rows.iter().map(|&r| entry(r)).collect::<Vec<_>>() });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    match &predictions {
        Some(p) => println!(
            "label next ({} first, {:.0}% random) — model {}",
            session.strategy.name(),
            session.random_share * 100.0,
            p.run
        ),
        None => println!("label next (random order: there is no trained model yet)"),
    }
    for r in rows {
        let text: String = project.example(r).map(|e| e.text.chars().take(70).collect()).unwrap_or_default();
        let hint = predictions.as_ref().map(|p| format!("{} {:.0}%", p.labels[r], p.confidence[r] * 100.0));
        println!("{r:>7}  {:<5} {:<20} {text}", project.split(r).name(), hint.unwrap_or_default());
    }
    Ok(())
}

pub fn suspects(args: SuspectsArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let options = SuspectOptions { folds: args.folds, seed: args.seed, ..SuspectOptions::default() };
    let quiet = args.json;
    let mut report = find_suspects(&SuspectInput::of(&project), &options, &CancelToken::new(), &mut |p| {
        if quiet {
            return;
        }
        match p {
            SuspectProgress::Features(d, t) if d == t || d % 2048 < 256 => eprintln!("read {d} of {t} examples"),
            SuspectProgress::Folds(d, t) => eprintln!("judged fold {d} of {t}"),
            _ => {}
        }
    })?;
    report.save(project.dir())?;
    if let Some(top) = args.top {
        report.suspects.truncate(top);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.suspects)?);
        return Ok(());
    }
    println!(
        "{} of {} labeled examples look mislabeled ({} folds, features of {})",
        report.suspects.len(),
        report.labeled,
        report.folds,
        report.base_model
    );
    for s in &report.suspects {
        let text: String = project.example(s.example).map(|e| e.text.chars().take(60).collect()).unwrap_or_default();
        println!(
            "{:>7}  given {:<12} ({:>4.0}%)  model {:<12} ({:>4.0}%)  {text}",
            s.row,
            s.given,
            s.given_probability * 100.0,
            s.predicted,
            s.predicted_probability * 100.0
        );
    }
    Ok(())
}

pub fn curve(args: CurveArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let mut template = curve_train_job(&project)?;
    if let Some(e) = args.epochs {
        template.config.epochs = e;
    }
    let quiet = args.json;
    let curve = learning_curve(
        &template,
        &args.fractions,
        &mut |e| match e {
            CurveEvent::PointStarted { fraction, train_examples, .. } if !quiet => {
                eprintln!("training on {:.0}% of the labels ({train_examples} examples)…", fraction * 100.0)
            }
            CurveEvent::PointFinished(p) if !quiet => eprintln!(
                "  {} examples: validation accuracy {}",
                p.train_examples,
                p.accuracy.map_or("-".into(), |a| format!("{a:.4}"))
            ),
            _ => {}
        },
        &CancelToken::new(),
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&curve)?);
        return Ok(());
    }
    println!("learning curve ({} validation examples), saved in {}", curve.valid_examples, template.out_dir.display());
    println!("{:>8}  {:>9}  {:>8}  {:>8}", "share", "examples", "accuracy", "macro-F1");
    for p in &curve.points {
        let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
        println!("{:>7.0}%  {:>9}  {:>8}  {:>8}", p.fraction * 100.0, p.train_examples, f(p.accuracy), f(p.macro_f1));
    }
    Ok(())
}
