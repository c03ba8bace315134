//! The real `attune` binary, driven as a user would: bad input gets one clear sentence and a
//! non-zero exit (never a panic), and train → eval → predict works end to end on a tiny model.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use common::{write_rule_tsv, WORDS};

fn attune(args: &[&str], config_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attune"))
        .args(args)
        .env("ATTUNE_CONFIG_DIR", config_dir)
        .env("HF_HUB_CACHE", config_dir.join("empty-hub"))
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap()
}

/// Asserts a clean failure: non-zero exit, no panic, one error sentence containing `needle`.
fn fails_with(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "must not panic: {stderr}");
    let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error_lines.len(), 1, "one error line: {stderr}");
    assert!(error_lines[0].contains(needle), "expected {needle:?} in: {stderr}");
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_model(&dir.path().join("tiny"), Family::Bert, &WORDS, 1).unwrap();
        write_rule_tsv(&dir.path().join("train.tsv"), 300, 1);
        write_rule_tsv(&dir.path().join("valid.tsv"), 80, 2);
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        attune(args, self.dir.path())
    }

    fn train_with_model(&self, model: &str) -> Output {
        self.run(&[
            "train",
            "--model",
            model,
            "--train",
            &self.path("train.tsv"),
            "--out",
            &self.path("out"),
            "--epochs",
            "1",
        ])
    }

    /// A copy of the tiny model with one file changed or removed.
    fn broken_model(&self, name: &str, file: &str, contents: Option<&[u8]>) -> String {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["config.json", "model.safetensors", "tokenizer.json"] {
            std::fs::copy(self.dir.path().join("tiny").join(f), dir.join(f)).unwrap();
        }
        match contents {
            Some(bytes) => std::fs::write(dir.join(file), bytes).unwrap(),
            None => std::fs::remove_file(dir.join(file)).unwrap(),
        }
        dir.display().to_string()
    }
}

#[test]
fn bad_models_get_one_clear_sentence() {
    let fx = Fixture::new();
    let gpt = br#"{"model_type": "gpt2", "vocab_size": 10}"#;
    fails_with(
        &fx.train_with_model(&fx.broken_model("gpt", "config.json", Some(gpt))),
        "architecture \"gpt2\" is not supported",
    );
    fails_with(&fx.train_with_model(&fx.broken_model("noconfig", "config.json", None)), "has no config.json");
    fails_with(
        &fx.train_with_model(&fx.broken_model("noweights", "model.safetensors", None)),
        "has no model.safetensors",
    );
    fails_with(&fx.train_with_model(&fx.broken_model("notok", "tokenizer.json", None)), "has no tokenizer.json");
    fails_with(
        &fx.train_with_model(&fx.broken_model(
            "corrupt",
            "model.safetensors",
            Some(b"\x10\x00\x00\x00\x00\x00\x00\x00not a header"),
        )),
        "weights file is damaged",
    );
    fails_with(&fx.train_with_model(&fx.path("no/such/model")), "no model");
    fails_with(&fx.run(&["predict", "--model", &fx.path("tiny"), "fine"]), "not a fine-tuned classifier");
}

#[test]
fn bad_data_gets_one_clear_sentence() {
    let fx = Fixture::new();
    let tiny = fx.path("tiny");
    let write = |name: &str, body: &str| {
        let p = fx.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let train = |file: &str, extra: &[&str]| {
        let mut args = vec!["train", "--model", &tiny, "--train", file, "--out", "unused-out"];
        args.extend_from_slice(extra);
        fx.run(&args)
    };
    fails_with(&train(&write("empty.csv", ""), &[]), "is empty");
    fails_with(&train(&write("one.csv", "text,label\nalpha,yes\nbravo,yes\n"), &[]), "only one class");
    fails_with(&train(&fx.path("train.tsv"), &["--text-column", "review"]), "no column \"review\"");
    fails_with(&train(&write("ragged.csv", "text,label\nalpha,yes\nbravo\n"), &[]), "line 3 has 1 fields");
    fails_with(&train(&fx.path("missing.tsv"), &[]), "cannot open the data file");
    fails_with(&train(&fx.path("train.tsv"), &["--lr", "5"]), "learning rate");
}

#[test]
fn train_eval_predict_end_to_end_on_a_tiny_model() {
    let fx = Fixture::new();
    let out = fx.run(&[
        "train",
        "--model",
        &fx.path("tiny"),
        "--train",
        &fx.path("train.tsv"),
        "--valid",
        &fx.path("valid.tsv"),
        "--out",
        &fx.path("run"),
        "--epochs",
        "4",
        "--lr",
        "2e-3",
        "--max-len",
        "32",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("best validation accuracy"), "{stdout}");
    for file in ["config.json", "model.safetensors", "tokenizer.json", "run.json"] {
        assert!(fx.dir.path().join("run").join(file).is_file(), "run folder has {file}");
    }
    let out = fx.run(&["eval", "--model", &fx.path("run"), "--data", &fx.path("valid.tsv"), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["accuracy", "macro_f1", "labels", "per_class", "confusion"] {
        assert!(metrics.get(key).is_some(), "eval --json has {key}");
    }
    assert!(metrics["accuracy"].as_f64().unwrap() >= 0.9, "{metrics}");
    assert_eq!(metrics["labels"], serde_json::json!(["no", "yes"]));
    assert_eq!(metrics["confusion"].as_array().unwrap().len(), 2);
    assert!(metrics["per_class"]["yes"]["support"].as_u64().unwrap() > 0);
    let out = fx.run(&["predict", "--model", &fx.path("run"), "--json", "bravo alpha charlie", "delta echo golf"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["label"], "yes");
    assert_eq!(lines[1]["label"], "no");
    let p = lines[0]["probabilities"]["yes"].as_f64().unwrap() + lines[0]["probabilities"]["no"].as_f64().unwrap();
    assert!((p - 1.0).abs() < 1e-5);
    // A second run into the same folder is refused rather than overwriting the first.
    let again =
        fx.run(&["train", "--model", &fx.path("tiny"), "--train", &fx.path("train.tsv"), "--out", &fx.path("run")]);
    fails_with(&again, "already holds a trained model");
}

#[test]
fn models_lists_added_folders_as_json() {
    let fx = Fixture::new();
    let out = fx.run(&["models", "--add", &fx.path("tiny"), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tiny = &list.as_array().unwrap()[0];
    assert_eq!(tiny["architecture"], "BertModel");
    assert_eq!(tiny["layers"], 2);
    assert_eq!(tiny["hidden_size"], 32);
    assert_eq!(tiny["has_tokenizer"], true);
    assert!(tiny["parameters"].as_u64().unwrap() > 10_000);
    // The folder stays in the list on the next call.
    let out = fx.run(&["models", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}
