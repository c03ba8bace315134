//! Exports as a user makes them: every weight format is written, loaded back from disk and
//! verified against the run; q8_0 files hold exactly the int8 matrices the kernels run; damaged,
//! foreign and headless inputs get one clear message; a failed write keeps the earlier export;
//! and the CLI's `export --json`, `predict` and `eval` work on the exported file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use attune::export::{export_model, ExportReport, ExportRequest, ModelFormat, VerifyData};
use attune::jobs::CancelToken;
use attune::model::synthetic::write_tiny_model;
use attune::model::{Family, LoadOptions, SequenceClassifier};
use attune::quant::{write_through_temporary, Quant};
use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use common::{write_rule_tsv, WORDS};

/// A classifier run folder (random weights, labels no/yes) of a tiny model of `family`.
fn classifier_run(root: &Path, family: Family) -> PathBuf {
    let base = root.join(format!("base-{family:?}"));
    write_tiny_model(&base, family, &WORDS, 3).unwrap();
    let opts = LoadOptions { labels: Some(vec!["no".into(), "yes".into()]), ..LoadOptions::default() };
    let model = SequenceClassifier::load(&base, &opts).unwrap();
    let run = root.join(format!("run-{family:?}"));
    model.save(&run).unwrap();
    run
}

fn rule_data(root: &Path) -> VerifyData {
    let path = root.join("valid.tsv");
    write_rule_tsv(&path, 60, 5);
    let data = attune::data::read_labeled(&path, &Default::default()).unwrap();
    VerifyData::labeled(&data, "rule data".into())
}

fn request(run: &Path, format: ModelFormat, quant: Quant, out: PathBuf, verify: Option<VerifyData>) -> ExportRequest {
    ExportRequest { run_dir: run.to_path_buf(), format, quant, out, verify, batch_size: 16, max_len: 32 }
}

fn export(req: &ExportRequest) -> Result<ExportReport, String> {
    export_model(req, &CancelToken::new(), |_| {}).map_err(|e| e.to_string())
}

#[test]
fn every_format_round_trips_and_matches_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = classifier_run(dir.path(), Family::Bert);
    let data = rule_data(dir.path());
    // Largest probability change allowed for each format on this model.
    let bounds = [(Quant::F32, 1e-5), (Quant::F16, 5e-3), (Quant::Q8_0, 0.05), (Quant::Q4_0, 0.25), (Quant::Q4K, 0.25)];
    for (quant, bound) in bounds {
        let out = dir.path().join(format!("model-{}.gguf", quant.name()));
        let report = export(&request(&run, ModelFormat::Gguf, quant, out.clone(), Some(data.clone()))).unwrap();
        assert!(out.is_file());
        assert_eq!(report.examples, data.len());
        assert!(report.accuracy.is_some() && report.base_accuracy.is_some());
        assert!(report.max_probability_change <= bound, "{quant:?}: {}", report.max_probability_change);
        if quant == Quant::F32 {
            assert_eq!(report.flipped, 0);
            assert_eq!(report.accuracy, report.base_accuracy);
        }
        let saved = ExportReport::load(&ExportReport::path_for(&out)).unwrap();
        assert_eq!(saved.flipped, report.flipped);
        // The file predicts on its own, through the same loader as `attune predict`.
        let model = SequenceClassifier::load_path(&out, &LoadOptions::default()).unwrap();
        assert_eq!(model.labels, vec!["no", "yes"]);
        let probs = model.predict(&["alpha bravo", "charlie delta"], 8).unwrap();
        assert!(probs.iter().all(|p| (p.iter().sum::<f32>() - 1.0).abs() < 1e-4));
    }
    let sizes: Vec<u64> = ["f32", "f16", "q8_0", "q4_0"]
        .iter()
        .map(|q| std::fs::metadata(dir.path().join(format!("model-{q}.gguf"))).unwrap().len())
        .collect();
    assert!(sizes.windows(2).all(|w| w[1] < w[0]), "each format is smaller than the one before: {sizes:?}");
}

#[test]
fn q8_0_files_hold_one_scale_per_row_and_report_fallbacks() {
    let dir = tempfile::tempdir().unwrap();
    let run = classifier_run(dir.path(), Family::Electra);
    let out = dir.path().join("electra.gguf");
    let report = export(&request(&run, ModelFormat::Gguf, Quant::Q8_0, out.clone(), None)).unwrap();
    assert!(report.data.contains("probe texts"), "{}", report.data);
    assert!(report.accuracy.is_none());
    let tensors = report.tensors.unwrap();
    // ELECTRA's embedding projection has 16 inputs, not a multiple of 32.
    assert!(tensors.fallbacks.iter().any(|f| f.contains("embeddings_project") && f.contains("f16")), "{tensors:?}");
    assert_eq!(tensors.fallbacks.len(), 2, "one line per reason: {tensors:?}");
    assert!(tensors.fallbacks.iter().any(|f| f.contains("classifier.out_proj.weight")), "{tensors:?}");
    let mut file = std::fs::File::open(&out).unwrap();
    let content = gguf_file::Content::read(&mut file).unwrap();
    let name = "electra.encoder.layer.0.intermediate.dense.weight";
    assert_eq!(content.tensor_infos[name].ggml_dtype, GgmlDType::Q8_0);
    let q = content.tensor(&mut file, name, &Device::Cpu).unwrap();
    let data = q.data().unwrap();
    let row_bytes = 34; // in_dim 32: one block of 34 bytes per row
    for row in data.chunks(row_bytes) {
        let first_scale = &row[..2];
        assert!(row.chunks(34).all(|b| &b[..2] == first_scale));
    }
    assert_eq!(content.metadata["general.architecture"].to_string().unwrap(), "electra");
}

#[test]
fn hugging_face_folders_hold_f32_or_f16_and_load_back() {
    let dir = tempfile::tempdir().unwrap();
    let run = classifier_run(dir.path(), Family::Roberta);
    let out = dir.path().join("hf");
    let r32 = export(&request(&run, ModelFormat::Safetensors, Quant::F32, out.clone(), None)).unwrap();
    assert_eq!(r32.flipped, 0);
    assert!(r32.max_probability_change < 1e-6);
    let r16 = export(&request(&run, ModelFormat::Safetensors, Quant::F16, out.clone(), None)).unwrap();
    assert!(r16.size_bytes < r32.size_bytes * 6 / 10, "{} vs {}", r16.size_bytes, r32.size_bytes);
    for file in ["config.json", "model.safetensors", "tokenizer.json", "verification.json"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    assert!(!dir.path().join("hf.old").exists() && !dir.path().join("hf.partial").exists());
    let err = export(&request(&run, ModelFormat::Safetensors, Quant::Q8_0, dir.path().join("x"), None)).unwrap_err();
    assert!(err.contains("gguf"), "{err}");
}

fn write_foreign_gguf(path: &Path, arch: &str) {
    let t = QTensor::quantize(&Tensor::zeros((4, 32), candle_core::DType::F32, &Device::Cpu).unwrap(), GgmlDType::F32)
        .unwrap();
    let arch = Value::String(arch.into());
    let mut f = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut f, &[("general.architecture", &arch)], &[("token_embd.weight", &t)]).unwrap();
}

#[test]
fn damaged_foreign_and_headless_inputs_get_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let run = classifier_run(dir.path(), Family::Bert);
    let good = dir.path().join("good.gguf");
    export(&request(&run, ModelFormat::Gguf, Quant::Q8_0, good.clone(), None)).unwrap();
    let load = |p: &Path| SequenceClassifier::load_path(p, &LoadOptions::default()).err().unwrap().to_string();

    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert!(load(&cut).contains("incomplete"), "{}", load(&cut));
    std::fs::write(&cut, &bytes[..40]).unwrap();
    assert!(load(&cut).contains("damaged"), "{}", load(&cut));

    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "just some text").unwrap();
    assert!(load(&text).contains("not a GGUF file"), "{}", load(&text));

    let llama = dir.path().join("llama.gguf");
    write_foreign_gguf(&llama, "llama");
    assert!(load(&llama).contains("\"llama\""), "{}", load(&llama));
    let bert = dir.path().join("bert.gguf");
    write_foreign_gguf(&bert, "bert");
    assert!(load(&bert).contains("not exported by Attune"), "{}", load(&bert));

    // A base model is not a classifier; a classifier whose weights lack the head has nothing to export.
    let base = dir.path().join("base-Bert");
    let err = export(&request(&base, ModelFormat::Gguf, Quant::Q8_0, dir.path().join("b.gguf"), None)).unwrap_err();
    assert!(err.contains("base model"), "{err}");
    let headless = dir.path().join("headless");
    std::fs::create_dir_all(&headless).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(run.join(f), headless.join(f)).unwrap();
    }
    let mut tensors = candle_core::safetensors::load(run.join("model.safetensors"), &Device::Cpu).unwrap();
    tensors.retain(|name, _| !name.starts_with("classifier."));
    candle_core::safetensors::save(&tensors, headless.join("model.safetensors")).unwrap();
    let err = export(&request(&headless, ModelFormat::Gguf, Quant::Q8_0, dir.path().join("h.gguf"), None)).unwrap_err();
    assert!(err.contains("no trained classifier head"), "{err}");
    assert!(!dir.path().join("h.gguf").exists());

    // Verification data with labels the model does not know is refused before anything is written.
    let odd = VerifyData {
        texts: vec!["alpha bravo".into()],
        labels: Some(vec!["maybe".into()]),
        description: "odd labels".into(),
        ..VerifyData::default()
    };
    let out = dir.path().join("odd.gguf");
    let err = export(&request(&run, ModelFormat::Gguf, Quant::Q8_0, out.clone(), Some(odd))).unwrap_err();
    assert!(err.contains("\"maybe\""), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_failed_write_keeps_the_earlier_file_and_leaves_no_partial() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.gguf");
    std::fs::write(&path, b"the earlier export").unwrap();
    let result = write_through_temporary(&path, |out| {
        use std::io::Write;
        out.write_all(b"half of a new file").map_err(|e| e.to_string())?;
        Err("No space left on device (os error 28)".into())
    });
    assert!(result.is_err_and(|e| e.contains("No space left")));
    assert_eq!(std::fs::read(&path).unwrap(), b"the earlier export");
    assert!(!dir.path().join("model.gguf.partial").exists());
}

#[test]
fn the_cli_exports_verifies_and_predicts_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = classifier_run(dir.path(), Family::Bert);
    let valid = dir.path().join("valid.tsv");
    write_rule_tsv(&valid, 40, 9);
    let out = dir.path().join("m.gguf");
    let attune = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_attune"))
            .args(args)
            .env("ATTUNE_CONFIG_DIR", dir.path())
            .env("HF_HUB_OFFLINE", "1")
            .output()
            .unwrap()
    };
    let (run_s, out_s, valid_s) = (run.display().to_string(), out.display().to_string(), valid.display().to_string());
    let o =
        attune(&["export", "--model", &run_s, "--quant", "q8_0", "--out", &out_s, "--verify-data", &valid_s, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "size_bytes",
        "base_size_bytes",
        "accuracy",
        "base_accuracy",
        "flipped",
        "examples_per_s",
        "base_examples_per_s",
    ] {
        assert!(report.get(key).is_some_and(|v| !v.is_null()), "export --json has {key}: {report}");
    }
    assert_eq!(report["examples"], 40);
    let o = attune(&["predict", "--model", &out_s, "--json", "alpha bravo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(line["probabilities"]["yes"].as_f64().is_some());
    let o = attune(&["eval", "--model", &out_s, "--data", &valid_s, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = attune(&["export", "--model", &run_s, "--quant", "q3", "--out", &out_s]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("q8_0") && !stderr.contains("panicked"), "{stderr}");
}
