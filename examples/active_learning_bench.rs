//! Does the "Label next" queue (uncertainty sampling) beat labeling at random? A simulated
//! analyst labels SST-2 with the gold labels: both strategies start from the same seeded 100
//! labels of a pool (the first `--pool` sentences of train.tsv) and add 100 labels per round for
//! `--rounds` rounds. After each round a model is fine-tuned from the base model
//! (MiniLM-L6, 3 epochs but at least 100 steps as the app trains, batch 16, max_len 64, learning
//! rate 1e-4, fixed seed) and its accuracy is
//! measured on the SST-2 dev set (872 sentences): the best of its per-epoch evaluations, as
//! run.json keeps it, and the last one.
//!
//! "uncertainty" is the app's default queue — `rank_queue` with `QueueSession { strategy: Entropy,
//! random_share: 0.1 }` on the predictions of the previous round's model — so 10 % of its picks are
//! random. "random" takes the next 100 unlabeled rows of a seeded shuffle of the pool. The first
//! round (100 labels) is the same for both strategies and is trained once.
//!
//! `HF_HUB_OFFLINE=1 cargo run --release --example active_learning_bench -- [--pool 4000]
//! [--rounds 5] [--seeds 1,2] [--data /work/shared/data/sst2]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use attune::assist::{predict_texts, rank_queue, QueueSession, Strategy};
use attune::data::{read_labeled, LabeledTexts, ReadOptions};
use attune::jobs::CancelToken;
use attune::model::{resolve_model, ModelConfig};
use attune::project::{Example, LabelDef, Predictions, Project, ProjectMeta, Split, State, Task};
use attune::train::{default_learning_rate, train, TrainConfig, TrainEvent, TrainJob};
use rand::seq::SliceRandom;
use rand::SeedableRng;

// The same allocator and settings as the `attune` binary, so the times are the app's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BASE_MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";
const START: usize = 100;
const STEP: usize = 100;

/// One trained model's scores on the dev set.
#[derive(Clone, Copy, Debug)]
struct Score {
    labeled: usize,
    /// Best per-epoch dev accuracy (the checkpoint run.json keeps).
    best: f64,
    /// Dev accuracy after the last epoch.
    last: f64,
    train_secs: f64,
}

/// What stays the same across every training of the benchmark.
struct Bench {
    pool: LabeledTexts,
    valid: LabeledTexts,
    model_dir: PathBuf,
    config: TrainConfig,
    work: PathBuf,
}

impl Bench {
    /// Fine-tunes the base model on the given pool rows; the model stays in `out_dir`.
    fn train_rows(&self, rows: &[usize], out_dir: &Path, strategy: &str) -> anyhow::Result<Score> {
        let train_set = LabeledTexts {
            texts: rows.iter().map(|&r| self.pool.texts[r].clone()).collect(),
            labels: rows.iter().map(|&r| self.pool.labels[r].clone()).collect(),
            ..self.pool.clone()
        };
        let job = TrainJob {
            base_model: BASE_MODEL.into(),
            model_dir: self.model_dir.clone(),
            train: train_set,
            valid: Some(self.valid.clone()),
            out_dir: out_dir.to_path_buf(),
            config: self.config.clone(),
        };
        let mut last = None;
        let mut on_event = |e: TrainEvent| {
            if let TrainEvent::Eval { record, .. } = e {
                last = record.accuracy;
            }
        };
        let start = Instant::now();
        let summary = train(&job, &mut on_event, &CancelToken::new())?;
        let train_secs = start.elapsed().as_secs_f64();
        let best = summary.best.and_then(|b| b.accuracy).context("the run has no dev accuracy")?;
        let score = Score { labeled: rows.len(), best, last: last.unwrap_or(f64::NAN), train_secs };
        println!(
            "  {strategy:<11} labeled {:>4}  dev acc best {:.4} last {:.4}  train {:>6.1} s",
            score.labeled, score.best, score.last, score.train_secs
        );
        Ok(score)
    }

    /// The model's predictions for every pool row (labeled rows are skipped and scored as sure).
    fn predict_pool(&self, project: &Project, run_dir: &Path) -> anyhow::Result<Predictions> {
        let rows: Vec<usize> = (0..project.len()).filter(|&r| project.annotation(r).is_none()).collect();
        let texts: Vec<String> = rows.iter().map(|&r| self.pool.texts[r].clone()).collect();
        let start = Instant::now();
        let part = predict_texts(&texts, run_dir, &CancelToken::new(), &mut |_, _| {})?;
        println!("  predicted {} unlabeled pool rows in {:.1} s", texts.len(), start.elapsed().as_secs_f64());
        let n = project.len();
        let mut out = Predictions {
            run: part.run.clone(),
            labels: vec![String::new(); n],
            confidence: vec![1.0; n],
            margin: vec![1.0; n],
            entropy: vec![0.0; n],
        };
        for (i, &r) in rows.iter().enumerate() {
            out.labels[r] = part.labels[i].clone();
            out.confidence[r] = part.confidence[i];
            out.margin[r] = part.margin[i];
            out.entropy[r] = part.entropy[i];
        }
        Ok(out)
    }
}

/// A project whose examples are the pool, all in the train split, labels "0" and "1", unlabeled.
fn pool_project(dir: &Path, pool: &LabeledTexts, seed: u64) -> anyhow::Result<Project> {
    let examples: Vec<Example> = pool
        .texts
        .iter()
        .enumerate()
        .map(|(i, t)| Example { source_row: Some(i), text: t.clone(), ..Example::default() })
        .collect();
    let label_defs = ["0", "1"]
        .iter()
        .enumerate()
        .map(|(i, n)| LabelDef { name: n.to_string(), colour: [i as u8 * 200, 80, 80], hotkey: None })
        .collect();
    let state = State { label_defs, splits: vec![Split::Train; pool.len()], ..State::default() };
    let meta = ProjectMeta {
        format_version: 1,
        name: "active-learning-bench".into(),
        created_ms: 0,
        task: Task::SingleLabel,
        sources: vec![],
        split_seed: seed,
        model: Some(BASE_MODEL.into()),
        run: None,
    };
    Ok(Project::create(dir, meta, examples, state)?)
}

/// The simulated analyst: labels the rows with their gold labels, one change per label.
fn label_rows(project: &mut Project, pool: &LabeledTexts, rows: &[usize]) -> anyhow::Result<()> {
    for &r in rows {
        anyhow::ensure!(project.annotation(r).is_none(), "row {r} is labeled already");
        project.set_labels(vec![r], vec![pool.labels[r].clone()])?;
    }
    Ok(())
}

/// Both curves for one seed.
fn run_seed(bench: &Bench, seed: u64, rounds: usize) -> anyhow::Result<(Vec<Score>, Vec<Score>)> {
    println!("seed {seed}");
    let dir = bench.work.join(format!("seed-{seed}"));
    let mut shuffled: Vec<usize> = (0..bench.pool.len()).collect();
    shuffled.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let initial = &shuffled[..START];

    // Round 0: the same 100 labels and the same settings for both strategies: trained once.
    let mut project = pool_project(&dir.join("project"), &bench.pool, seed)?;
    label_rows(&mut project, &bench.pool, initial)?;
    let run0 = dir.join("round-0");
    let first = bench.train_rows(initial, &run0, "both")?;
    let mut predictions = bench.predict_pool(&project, &run0)?;
    std::fs::remove_dir_all(&run0)?;
    let (mut uncertain, mut random) = (vec![first], vec![first]);
    let session = QueueSession { strategy: Strategy::Entropy, random_share: 0.1, seed, ..QueueSession::default() };
    for round in 1..=rounds {
        // Uncertainty: the queue on the previous model's predictions.
        let picks = rank_queue(&project, Some(&predictions), &session, STEP);
        anyhow::ensure!(picks.len() == STEP, "the queue gave {} rows, not {STEP}", picks.len());
        label_rows(&mut project, &bench.pool, &picks)?;
        let rows: Vec<usize> = project.state().annotations.keys().copied().collect();
        let run_dir = dir.join(format!("uncertainty-{round}"));
        uncertain.push(bench.train_rows(&rows, &run_dir, "uncertainty")?);
        let picked_pos = picks.iter().filter(|&&r| bench.pool.labels[r] == "1").count();
        println!("  uncertainty picks this round: {picked_pos} positive, {} negative", STEP - picked_pos);
        if round < rounds {
            predictions = bench.predict_pool(&project, &run_dir)?;
        }
        std::fs::remove_dir_all(&run_dir)?;

        // Random: the next rows of the seeded shuffle.
        let run_dir = dir.join(format!("random-{round}"));
        random.push(bench.train_rows(&shuffled[..START + round * STEP], &run_dir, "random")?);
        std::fs::remove_dir_all(&run_dir)?;
    }
    Ok((uncertain, random))
}

fn print_curves(title: &str, uncertain: &[Score], random: &[Score], pick: fn(&Score) -> f64) {
    println!("\n{title}");
    println!("| labeled | uncertainty | random | difference |");
    println!("|--------:|------------:|-------:|-----------:|");
    for (u, r) in uncertain.iter().zip(random) {
        println!("| {:>7} | {:>11.4} | {:>6.4} | {:>+10.4} |", u.labeled, pick(u), pick(r), pick(u) - pick(r));
    }
    let holds = uncertain.iter().zip(random).skip(1).all(|(u, r)| pick(u) >= pick(r));
    println!("uncertainty >= random at every round after the first: {}", if holds { "yes" } else { "NO" });
}

fn mean_curve(curves: &[Vec<Score>]) -> Vec<Score> {
    let n = curves.len() as f64;
    (0..curves[0].len())
        .map(|i| Score {
            labeled: curves[0][i].labeled,
            best: curves.iter().map(|c| c[i].best).sum::<f64>() / n,
            last: curves.iter().map(|c| c[i].last).sum::<f64>() / n,
            train_secs: curves.iter().map(|c| c[i].train_secs).sum::<f64>() / n,
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    attune::allocator::keep_freed_memory();
    attune::thread_pools::stop_candle_workers_spinning_long();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let pool_size: usize = flag("--pool").map(|v| v.parse()).transpose()?.unwrap_or(4000);
    let rounds: usize = flag("--rounds").map(|v| v.parse()).transpose()?.unwrap_or(5);
    let seeds: Vec<u64> = match flag("--seeds") {
        Some(list) => list.split(',').map(|s| s.trim().parse()).collect::<Result<_, _>>()?,
        None => vec![1],
    };
    anyhow::ensure!(!seeds.is_empty(), "give at least one seed");
    let data = PathBuf::from(flag("--data").unwrap_or_else(|| "/work/shared/data/sst2".into()));
    anyhow::ensure!(pool_size >= START + rounds * STEP, "the pool is too small for {rounds} rounds");

    let train_path = data.join("train.tsv");
    let pool = read_labeled(&train_path, &ReadOptions { max_rows: Some(pool_size), ..ReadOptions::default() })?;
    let valid = read_labeled(&data.join("dev.tsv"), &ReadOptions::default())?;
    let model_dir = resolve_model(BASE_MODEL)?;
    let hidden = ModelConfig::load(&model_dir)?.hidden_size;
    let config = TrainConfig {
        epochs: 3,
        batch_size: 16,
        max_len: 64,
        learning_rate: default_learning_rate(hidden),
        seed: 42,
        ..TrainConfig::default()
    };
    let work = tempfile::tempdir()?;
    println!(
        "pool {} sentences, dev {} sentences, {} + {rounds} x {STEP} labels, seeds {seeds:?}, {} threads\n\
         model {BASE_MODEL}, epochs {}, batch {}, max_len {}, lr {:e}, training seed {}",
        pool.len(),
        valid.len(),
        START,
        rayon::current_num_threads(),
        config.epochs,
        config.batch_size,
        config.max_len,
        config.learning_rate,
        config.seed
    );
    let bench = Bench { pool, valid, model_dir, config, work: work.path().to_path_buf() };

    let started = Instant::now();
    let mut all_uncertain = Vec::new();
    let mut all_random = Vec::new();
    for &seed in &seeds {
        let (u, r) = run_seed(&bench, seed, rounds)?;
        print_curves(&format!("seed {seed}: best dev accuracy (run.json)"), &u, &r, |s| s.best);
        print_curves(&format!("seed {seed}: last-epoch dev accuracy"), &u, &r, |s| s.last);
        all_uncertain.push(u);
        all_random.push(r);
        println!("elapsed {:.1} min\n", started.elapsed().as_secs_f64() / 60.0);
    }
    if seeds.len() > 1 {
        let (u, r) = (mean_curve(&all_uncertain), mean_curve(&all_random));
        print_curves(&format!("mean of seeds {seeds:?}: best dev accuracy (run.json)"), &u, &r, |s| s.best);
        print_curves(&format!("mean of seeds {seeds:?}: last-epoch dev accuracy"), &u, &r, |s| s.last);
    }
    println!("\ntotal wall time {:.1} min", started.elapsed().as_secs_f64() / 60.0);
    Ok(())
}
