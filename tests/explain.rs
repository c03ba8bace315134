//! Explanations that can be checked: on a tiny model trained on a rule the rule's word gets the
//! top attribution by every method; integrated gradients adds up (completeness) on a fine-tuned
//! SST-2 model; attributions of a model with randomized top layers differ from the trained
//! model's (Adebayo et al. 2018); attention rows sum to one; occlusion and IG mostly agree in sign.

mod common;

use std::path::Path;

use attune::data::{read_labeled, ReadOptions};
use attune::explain::{attention_maps, explain, load_for_explanation, ExplainOptions, Explanation, Method};
use attune::jobs::CancelToken;
use attune::model::synthetic::write_tiny_model;
use attune::model::{Family, SequenceClassifier};
use attune::train::{train, TrainConfig, TrainJob};
use candle_core::Device;

fn run(model: &SequenceClassifier, text: &str, method: Method, steps: usize) -> Explanation {
    let opts = ExplainOptions { method, steps, ..ExplainOptions::default() };
    explain(model, text, &opts, &mut |_| {}, &CancelToken::new()).unwrap()
}

fn top_word(e: &Explanation) -> String {
    e.words.iter().max_by(|a, b| a.attribution.total_cmp(&b.attribution)).unwrap().word.clone()
}

fn train_rule_model(dir: &Path) -> std::path::PathBuf {
    let model = dir.join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 5).unwrap();
    let (train_path, valid_path) = (dir.join("train.tsv"), dir.join("valid.tsv"));
    common::write_rule_tsv(&train_path, 600, 11);
    common::write_rule_tsv(&valid_path, 100, 12);
    let job = TrainJob {
        base_model: "tiny".into(),
        model_dir: model,
        train: read_labeled(&train_path, &ReadOptions::default()).unwrap(),
        valid: Some(read_labeled(&valid_path, &ReadOptions::default()).unwrap()),
        out_dir: dir.join("run"),
        config: TrainConfig {
            epochs: 3,
            learning_rate: 1e-3,
            max_len: 32,
            warmup_ratio: 0.1,
            ..TrainConfig::default()
        },
    };
    let summary = train(&job, &mut |_| {}, &CancelToken::new()).unwrap();
    assert!(summary.best.unwrap().accuracy.unwrap() > 0.95, "the tiny model learns the rule");
    dir.join("run")
}

/// Spearman rank correlation.
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let rank = |v: &[f64]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        for (k, &i) in idx.iter().enumerate() {
            r[i] = k as f64;
        }
        r
    };
    let (ra, rb) = (rank(a), rank(b));
    let n = a.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - mean) * (y - mean)).sum();
    let var: f64 = ra.iter().map(|x| (x - mean).powi(2)).sum();
    cov / var
}

#[test]
fn every_method_finds_the_rule_word() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = train_rule_model(dir.path());
    let model = load_for_explanation(&run_dir, &Device::Cpu).unwrap();
    let data = dir.path().join("probe.tsv");
    common::write_rule_tsv(&data, 80, 99);
    let probe = read_labeled(&data, &ReadOptions::default()).unwrap();
    let positives: Vec<&String> =
        probe.texts.iter().zip(&probe.labels).filter(|(_, l)| *l == "yes").map(|(t, _)| t).collect();
    for method in [Method::IntegratedGradients, Method::GradientTimesInput, Method::Occlusion] {
        let hits = positives.iter().filter(|t| top_word(&run(&model, t, method, 32)) == "alpha").count();
        let share = hits as f64 / positives.len() as f64;
        eprintln!("{method:?}: alpha is the top word in {:.1}% of positives", share * 100.0);
        assert!(share >= 0.95, "{method:?}: {share}");
    }
    // Attention: shapes, rows sum to 1, rollout rows sum to 1.
    let maps = attention_maps(&model, positives[0]).unwrap();
    assert_eq!((maps.layers, maps.heads), (2, 4));
    for layer in &maps.matrices {
        for head in layer {
            assert_eq!(head.len(), maps.tokens.len());
            for row in head {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
        }
    }
    for row in &maps.rollout {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
}

#[test]
fn integrated_gradients_add_up_and_randomized_models_differ() {
    let (Some(_), Some(train_path), Some(dev_path)) =
        (common::starter_model(), common::shared_data("sst2/train.tsv"), common::shared_data("sst2/dev.tsv"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let job = TrainJob {
        base_model: common::STARTER_ID.into(),
        model_dir: attune::model::resolve_model(common::STARTER_ID).unwrap(),
        train: read_labeled(&train_path, &ReadOptions { max_rows: Some(400), ..Default::default() }).unwrap(),
        valid: None,
        out_dir: dir.path().join("sst2"),
        config: TrainConfig { epochs: 1, learning_rate: 1e-4, max_len: 64, min_steps: 0, ..TrainConfig::default() },
    };
    train(&job, &mut |_| {}, &CancelToken::new()).unwrap();
    let model = load_for_explanation(&job.out_dir, &Device::Cpu).unwrap();
    let dev = read_labeled(&dev_path, &ReadOptions { max_rows: Some(8), ..Default::default() }).unwrap();
    // A copy whose classifier and top two layers are re-drawn at random.
    let random_dir = dir.path().join("randomized");
    std::fs::create_dir_all(&random_dir).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(job.out_dir.join(f), random_dir.join(f)).unwrap();
    }
    let mut weights = candle_core::safetensors::load(job.out_dir.join("model.safetensors"), &Device::Cpu).unwrap();
    for (name, t) in weights.iter_mut() {
        if name.starts_with("classifier")
            || name.contains("pooler")
            || name.contains(".layer.4.")
            || name.contains(".layer.5.")
        {
            *t = (t.randn_like(0.0, 0.05).unwrap()).contiguous().unwrap();
        }
    }
    candle_core::safetensors::save(&weights, random_dir.join("model.safetensors")).unwrap();
    let random = load_for_explanation(&random_dir, &Device::Cpu).unwrap();
    let (mut same, mut randomized, mut agree, mut compared) = (Vec::new(), Vec::new(), 0, 0);
    for text in &dev.texts {
        let e = run(&model, text, Method::IntegratedGradients, 50);
        let c = e.completeness.unwrap();
        assert!(c.relative_gap() < 0.01, "completeness gap {} on {text:?}", c.relative_gap());
        let scores = |e: &Explanation| e.words.iter().map(|w| w.attribution).collect::<Vec<_>>();
        let again = run(&model, text, Method::IntegratedGradients, 30);
        same.push(spearman(&scores(&e), &scores(&again)));
        let opts = ExplainOptions { target: Some(e.target_index), ..ExplainOptions::default() };
        let r = explain(&random, text, &opts, &mut |_| {}, &CancelToken::new()).unwrap();
        randomized.push(spearman(&scores(&e), &scores(&r)));
        // Occlusion and IG agree in sign on the top three words by IG magnitude.
        let occ = run(&model, text, Method::Occlusion, 0);
        let mut order: Vec<usize> = (0..e.words.len()).collect();
        order.sort_by(|&i, &j| e.words[j].attribution.abs().total_cmp(&e.words[i].attribution.abs()));
        for &i in order.iter().take(3) {
            compared += 1;
            agree += usize::from(e.words[i].attribution.signum() == occ.words[i].attribution.signum());
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (same, randomized) = (mean(&same), mean(&randomized));
    eprintln!("rank correlation trained-vs-trained {same:.3}, trained-vs-randomized {randomized:.3}; occlusion/IG sign agreement {agree}/{compared}");
    assert!(same > 0.9, "{same}");
    assert!(randomized < same - 0.3, "randomized {randomized} vs trained {same}");
    assert!(agree * 2 > compared, "occlusion and IG agree in sign on most top words: {agree}/{compared}");
}

#[test]
fn cli_explain_prints_json_and_writes_html() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = train_rule_model(dir.path());
    let html = dir.path().join("why.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
        .args([
            "explain",
            "--model",
            &run_dir.display().to_string(),
            "--json",
            "--html",
            &html.display().to_string(),
            "bravo alpha charlie",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["target"], "yes");
    assert!(e["probabilities"]["yes"].as_f64().unwrap() > 0.5);
    assert_eq!(e["words"].as_array().unwrap().len(), 3);
    assert!(e["completeness"]["sum_attributions"].is_number() && e["completeness"]["score_delta"].is_number());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("alpha") && page.contains("Legend"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
        .args(["explain", "--model", &run_dir.display().to_string(), "--method", "magic", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown method \"magic\""));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
        .args(["explain", "--model", &run_dir.display().to_string(), "--method", "attention", "--json", "alpha bravo"])
        .output()
        .unwrap();
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["attention"]["layers"], 2);
}
