//! Projects from the command line on real data: create from SMS Spam, label by search, change the
//! label set, export and import again into the same examples and labels, and train a project.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use attune::project::Project;

fn attune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attune")).args(args).env("HF_HUB_OFFLINE", "1").output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn texts_and_labels(dir: &Path) -> Vec<(String, Vec<String>)> {
    let p = Project::open(dir).unwrap();
    (0..p.len())
        .map(|r| (p.example(r).unwrap().text.clone(), p.annotation(r).map(|a| a.labels.clone()).unwrap_or_default()))
        .collect()
}

#[test]
fn sms_spam_project_labels_exports_and_reimports() {
    let Some(sms) = common::shared_data("sms_spam/SMSSpamCollection") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sms");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&sms)]));
    let info: serde_json::Value = serde_json::from_str(&ok(attune(&["project", "info", &s(&dir), "--json"]))).unwrap();
    assert_eq!(info["examples"], 5574);
    assert_eq!(info["labels"]["ham"]["count"], 4827);
    assert_eq!(info["labels"]["spam"]["count"], 747);
    let splits = &info["splits"];
    assert_eq!(
        splits["train"].as_u64().unwrap() + splits["valid"].as_u64().unwrap() + splits["test"].as_u64().unwrap(),
        5574
    );
    let out = ok(attune(&["project", "label", &s(&dir), "--search", "FREE ENTRY", "--label", "spam"]));
    assert!(out.contains("labeled"), "{out}");
    ok(attune(&["project", "labels", &s(&dir), "--add", "urgent", "--rename", "ham=ok"]));
    let before = texts_and_labels(&dir);
    assert!(before.iter().any(|(_, l)| l == &vec!["ok".to_string()]));
    for format in ["csv", "jsonl"] {
        let file = tmp.path().join(format!("export.{format}"));
        ok(attune(&["project", "export", &s(&dir), "--format", format, "--out", &s(&file)]));
        let again = tmp.path().join(format!("again-{format}"));
        ok(attune(&[
            "project",
            "new",
            &s(&again),
            "--data",
            &s(&file),
            "--text-column",
            "text",
            "--label-column",
            "label",
        ]));
        assert_eq!(texts_and_labels(&again), before, "{format} export imports to the same examples and labels");
    }
    let err = attune(&["project", "new", &s(&dir), "--data", &s(&sms)]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("a project already exists here"));
    let err = attune(&["project", "info", &s(tmp.path())]);
    assert!(String::from_utf8_lossy(&err.stderr).contains("no Attune project here"));
}

#[test]
fn train_a_project_into_its_runs_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 1).unwrap();
    let data = tmp.path().join("rule.tsv");
    common::write_rule_tsv(&data, 500, 3);
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data), "--model", &s(&model)]));
    let out = attune(&["train", "--project", &s(&dir), "--epochs", "4", "--lr", "2e-3", "--max-len", "32"]);
    let stdout = ok(out);
    assert!(stdout.contains("best validation accuracy"), "{stdout}");
    let info: serde_json::Value = serde_json::from_str(&ok(attune(&["project", "info", &s(&dir), "--json"]))).unwrap();
    let runs = info["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0]["best_accuracy"].as_f64().unwrap() >= 0.9, "{info}");
}
