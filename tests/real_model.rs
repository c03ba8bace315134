//! End to end on real weights and real data: the CLI fine-tunes all-MiniLM-L6-v2 on a slice of
//! SST-2 and the model clearly beats chance on the full dev set; the bench command reports speeds.

mod common;

use std::process::Command;

fn attune(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_attune")).args(args).output().unwrap()
}

#[test]
fn cli_fine_tunes_minilm_on_an_sst2_slice() {
    let (Some(_), Some(train), Some(dev)) =
        (common::starter_model(), common::shared_data("sst2/train.tsv"), common::shared_data("sst2/dev.tsv"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let (train, dev, run_s) = (train.display().to_string(), dev.display().to_string(), run.display().to_string());
    let out = attune(&[
        "train",
        "--model",
        common::STARTER_ID,
        "--train",
        &train,
        "--max-train-rows",
        "600",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--lr",
        "1e-4",
        "--out",
        &run_s,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = attune(&["eval", "--model", &run_s, "--data", &dev, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let accuracy = metrics["accuracy"].as_f64().unwrap();
    eprintln!("dev accuracy after 600 rows: {accuracy}");
    assert_eq!(
        metrics["per_class"]["0"]["support"].as_u64().unwrap() + metrics["per_class"]["1"]["support"].as_u64().unwrap(),
        872
    );
    assert!(accuracy >= 0.65, "600 SST-2 rows should reach well above chance: {accuracy}");
    let out = attune(&[
        "predict",
        "--model",
        &run_s,
        "--json",
        "a gorgeous, witty, seductive movie",
        "a dull, lifeless mess",
    ]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["label"], "1");
    assert_eq!(lines[1]["label"], "0");

    // The q8_0 GGUF export: a quarter of the size, verified on the whole dev set, same answers.
    let gguf = dir.path().join("run-q8_0.gguf").display().to_string();
    let out =
        attune(&["export", "--model", &run_s, "--quant", "q8_0", "--out", &gguf, "--verify-data", &dev, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (q_acc, base_acc) = (report["accuracy"].as_f64().unwrap(), report["base_accuracy"].as_f64().unwrap());
    let (size, base_size) = (report["size_bytes"].as_f64().unwrap(), report["base_size_bytes"].as_f64().unwrap());
    eprintln!(
        "q8_0: accuracy {q_acc:.4} (f32 {base_acc:.4}), {} flipped, size {:.1}% of f32, {:.1} vs {:.1} examples/s",
        report["flipped"],
        100.0 * size / base_size,
        report["examples_per_s"].as_f64().unwrap(),
        report["base_examples_per_s"].as_f64().unwrap()
    );
    assert!((base_acc - accuracy).abs() < 1e-9, "the report's f32 accuracy is eval's: {base_acc} vs {accuracy}");
    assert!((q_acc - base_acc).abs() <= 0.01, "q8_0 accuracy {q_acc} vs f32 {base_acc}");
    assert!(size <= 0.30 * base_size, "q8_0 file {size} bytes vs f32 {base_size}");
    let out =
        attune(&["predict", "--model", &gguf, "--json", "a gorgeous, witty, seductive movie", "a dull, lifeless mess"]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!((lines[0]["label"].as_str(), lines[1]["label"].as_str()), (Some("1"), Some("0")));
}

#[test]
fn bench_reports_training_and_inference_speed() {
    let Some(_) = common::starter_model() else { return };
    let out = attune(&["bench", "--model", common::STARTER_ID, "--reps", "1", "--warmup", "1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["train_examples_per_s"].as_f64().unwrap() > 0.0);
    assert!(report["infer_examples_per_s"].as_f64().unwrap() > report["train_examples_per_s"].as_f64().unwrap());
    assert_eq!(report["parameters"].as_u64().unwrap() / 1_000_000, 22, "MiniLM-L6 has 22.7M parameters: {report}");
}
