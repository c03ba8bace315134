//! Mixed precision (issue 10) on the CPU, where it can be checked without a GPU: bf16 and f16
//! products stay close to f32, training in either learns what f32 learns (f16 with loss
//! scaling), the run records the precision, and the optimizer's device update (tensor ops, as on
//! a GPU) matches the in-place CPU update.

mod common;

use std::path::Path;

use attune::data::{read_labeled, ReadOptions};
use attune::jobs::CancelToken;
use attune::model::synthetic::write_tiny_model;
use attune::model::{cross_entropy, Family, LoadOptions, Precision, SequenceClassifier};
use attune::train::{train, AdamW, RunInfo, TrainConfig, TrainEvent, TrainJob};
use candle_core::{Device, Tensor};
use common::{write_rule_tsv, WORDS};

fn tiny(dir: &Path) -> std::path::PathBuf {
    let model = dir.join("tiny");
    write_tiny_model(&model, Family::Bert, &WORDS, 3).unwrap();
    model
}

fn load(model: &Path, precision: Precision) -> SequenceClassifier {
    let opts = LoadOptions { labels: Some(vec!["no".into(), "yes".into()]), precision, ..LoadOptions::default() };
    SequenceClassifier::load(model, &opts).unwrap()
}

fn logits(model: &SequenceClassifier) -> Vec<f32> {
    let rows = model.tokenizer.tokenize(&["alpha bravo charlie", "delta echo foxtrot golf hotel"]).unwrap();
    let batch = model.tokenizer.batch(&rows.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    model.forward(&batch, None, false).unwrap().logits.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

#[test]
fn half_precision_products_stay_close_to_f32() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path());
    let exact = logits(&load(&model, Precision::F32));
    for precision in [Precision::Bf16, Precision::F16] {
        let low = logits(&load(&model, precision));
        let worst = exact.iter().zip(&low).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        // bf16 keeps 8 bits of mantissa, f16 11: the logits move, but only a little.
        assert!(worst > 0.0, "{precision:?} products ran in f32");
        assert!(worst < 0.05, "{precision:?}: logits {low:?} vs f32 {exact:?}");
    }
}

fn train_with(dir: &Path, model: &Path, precision: Precision) -> (f64, Vec<f32>) {
    let (train_path, valid_path) = (dir.join("train.tsv"), dir.join("valid.tsv"));
    write_rule_tsv(&train_path, 400, 1);
    write_rule_tsv(&valid_path, 100, 2);
    let out_dir = dir.join(format!("run-{}", precision.name()));
    let job = TrainJob {
        base_model: "tiny".into(),
        model_dir: model.to_path_buf(),
        train: read_labeled(&train_path, &ReadOptions::default()).unwrap(),
        valid: Some(read_labeled(&valid_path, &ReadOptions::default()).unwrap()),
        out_dir: out_dir.clone(),
        config: TrainConfig {
            epochs: 4,
            batch_size: 16,
            learning_rate: 2e-3,
            max_len: 32,
            warmup_ratio: 0.1,
            precision,
            ..TrainConfig::default()
        },
    };
    let mut losses = Vec::new();
    let summary = train(
        &job,
        &mut |e| {
            if let TrainEvent::Step { loss, .. } = e {
                losses.push(loss);
            }
        },
        &CancelToken::new(),
    )
    .unwrap();
    let info = RunInfo::read(&out_dir).expect("run.json written");
    assert_eq!(info.config.precision, precision, "run.json records the precision");
    let best = summary.best.and_then(|b| b.accuracy).expect("a validation accuracy");
    (best, losses)
}

#[test]
fn training_in_bf16_and_f16_learns_what_f32_learns() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path());
    let (exact, _) = train_with(dir.path(), &model, Precision::F32);
    for precision in [Precision::Bf16, Precision::F16] {
        let (accuracy, losses) = train_with(dir.path(), &model, precision);
        assert!(losses.iter().all(|l| l.is_finite()), "{precision:?}: {losses:?}");
        let head: f32 = losses[..10].iter().sum();
        let tail: f32 = losses[losses.len() - 10..].iter().sum();
        assert!(tail < head * 0.5, "{precision:?}: the loss should fall ({head} → {tail})");
        assert!(accuracy >= 0.9, "{precision:?}: validation accuracy {accuracy}");
        assert!((accuracy - exact).abs() <= 0.05, "{precision:?}: accuracy {accuracy} vs f32 {exact}");
    }
}

#[test]
fn the_device_update_matches_the_in_place_update() {
    let dir = tempfile::tempdir().unwrap();
    let model_dir = tiny(dir.path());
    let (a, b) = (load(&model_dir, Precision::F32), load(&model_dir, Precision::F32));
    let mut in_place = AdamW::new(&a.params, 0.01);
    let mut tensor_ops = AdamW::new(&b.params, 0.01).with_tensor_ops();
    let rows = a.tokenizer.tokenize(&["alpha bravo charlie", "delta echo"]).unwrap();
    let batch = a.tokenizer.batch(&rows.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    let targets = Tensor::new(&[1u32, 0], &Device::Cpu).unwrap();
    let loss = |m: &SequenceClassifier| cross_entropy(&m.forward(&batch, None, false).unwrap().logits, &targets, None);
    for _ in 0..3 {
        in_place.step(&loss(&a).unwrap().backward().unwrap(), 1e-2, Some(1.0)).unwrap();
        tensor_ops.step(&loss(&b).unwrap().backward().unwrap(), 1e-2, Some(1.0)).unwrap();
    }
    for ((name, x), (_, y)) in a.params.trainable().zip(b.params.trainable()) {
        let x = x.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let y = y.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let worst = x.iter().zip(&y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-5, "{name}: the two updates differ by {worst}");
    }
    let before = load(&model_dir, Precision::F32);
    let start =
        before.params.trainable().next().unwrap().1.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let end = a.params.trainable().next().unwrap().1.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_ne!(start, end, "three steps changed the parameters");
}

#[test]
fn an_overflowing_scaled_gradient_skips_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let model = load(&tiny(dir.path()), Precision::F16);
    let mut optimizer = AdamW::new(&model.params, 0.01);
    let rows = model.tokenizer.tokenize(&["alpha bravo"]).unwrap();
    let batch = model.tokenizer.batch(&rows.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    let targets = Tensor::new(&[1u32], &Device::Cpu).unwrap();
    let loss = cross_entropy(&model.forward(&batch, None, false).unwrap().logits, &targets, None).unwrap();
    let before: Vec<Vec<f32>> =
        model.params.trainable().map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap()).collect();
    let grads = (loss * f64::INFINITY).unwrap().backward().unwrap();
    let report = optimizer.step_scaled(&grads, 1e-2, Some(1.0), 65536.0).unwrap();
    assert!(report.skipped, "an infinite gradient skips the step");
    let after: Vec<Vec<f32>> =
        model.params.trainable().map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap()).collect();
    assert_eq!(before, after, "nothing was updated");
}
