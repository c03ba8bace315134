//! Shared test helpers: the starter model and data locations, tiny generated datasets.
#![allow(dead_code)]

#[cfg(feature = "gui")]
pub mod ui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const STARTER_ID: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// The starter model's folder in the hub cache. Under CI a missing model fails the test;
/// elsewhere the test is skipped with a message.
pub fn starter_model() -> Option<PathBuf> {
    let cache = attune::model::hub_cache_dir();
    match attune::model::cached_snapshot(&cache, STARTER_ID) {
        Some(dir) if dir.join("model.safetensors").is_file() => Some(dir),
        _ => missing(&format!(
            "the starter model is not installed in {}; run scripts/install-starter-model.sh",
            cache.display()
        )),
    }
}

/// The shared real datasets (../shared/data), with the same CI rule.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(relative);
    if path.is_file() {
        Some(path)
    } else {
        missing(&format!("the dataset {} is missing", path.display()))
    }
}

fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} (CI=true: fixtures must be present)");
    }
    eprintln!("skipping: {what}");
    None
}

/// Words of the tiny synthetic vocabulary.
pub const WORDS: [&str; 24] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
    "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
];

/// Writes a TSV of random word sequences labeled 1 iff the word "alpha" occurs.
pub fn write_rule_tsv(path: &Path, rows: usize, seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = String::from("text\tlabel\n");
    for i in 0..rows {
        let len = rng.random_range(3..12);
        let mut words: Vec<&str> = (0..len).map(|_| WORDS[rng.random_range(1..WORDS.len())]).collect();
        let positive = i % 2 == 0;
        if positive {
            let at = rng.random_range(0..words.len());
            words[at] = "alpha";
        }
        out.push_str(&format!("{}\t{}\n", words.join(" "), if positive { "yes" } else { "no" }));
    }
    std::fs::write(path, out).unwrap();
}

/// Random word sequences of `text,labels,score` rows: label a iff "alpha" occurs and b iff "bravo"
/// does (each in about half the rows, independently, ";"-separated, so a row has none, one or
/// both), scored 1.5 × the number of "golf" words − 1.
pub fn write_targets_csv(path: &Path, rows: usize, seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = String::from("text,labels,score\n");
    for _ in 0..rows {
        let len = rng.random_range(4..10);
        let mut words: Vec<&str> = (0..len).map(|_| WORDS[rng.random_range(7..WORDS.len())]).collect();
        let mut labels = Vec::new();
        for (word, label) in [("alpha", "a"), ("bravo", "b")] {
            if rng.random_bool(0.5) {
                let at = rng.random_range(0..words.len());
                words[at] = word;
                labels.push(label);
            }
        }
        let golfs = rng.random_range(0..4);
        for _ in 0..golfs {
            words.insert(rng.random_range(0..=words.len()), "golf");
        }
        out.push_str(&format!("{},{},{}\n", words.join(" "), labels.join(";"), golfs as f64 * 1.5 - 1.0));
    }
    std::fs::write(path, out).unwrap();
}

/// Sentences of random words where "alpha" and "bravo" are persons, "charlie" begins a place
/// and "delta" right after "charlie" continues it (elsewhere "delta" is nothing).
pub fn write_tagged_conll(path: &Path, sentences: usize, seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = String::from("-DOCSTART- O\n\n");
    for _ in 0..sentences {
        let len = rng.random_range(3..10);
        let mut words: Vec<&str> = (0..len).map(|_| WORDS[rng.random_range(2..WORDS.len())]).collect();
        if rng.random_bool(0.6) {
            let at = rng.random_range(0..words.len());
            words[at] = if rng.random_bool(0.5) { "alpha" } else { "bravo" };
        }
        if rng.random_bool(0.5) {
            let at = rng.random_range(0..words.len() - 1);
            words[at] = "charlie";
            words[at + 1] = "delta";
        }
        for (i, word) in words.iter().enumerate() {
            let tag = match *word {
                "alpha" | "bravo" => "B-PER",
                "charlie" => "B-LOC",
                "delta" if i > 0 && words[i - 1] == "charlie" => "I-LOC",
                _ => "O",
            };
            out.push_str(&format!("{word} {tag}\n"));
        }
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

/// Runs the `attune` binary offline.
pub fn attune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attune")).args(args).env("HF_HUB_OFFLINE", "1").output().unwrap()
}

/// The standard output of a command that must succeed (both streams shown when it does not).
pub fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> String {
    p.display().to_string()
}
