//! Model tests on tiny random models the tests generate: shapes, attention, padding, dropout,
//! gradients, training that learns a rule, seeds, save/load, every supported family.

mod common;

use std::path::Path;

use attune::data::{read_labeled, ReadOptions};
use attune::jobs::CancelToken;
use attune::model::synthetic::write_tiny_model;
use attune::model::{cross_entropy, DropoutRng, Family, Freeze, LoadOptions, Needs, SequenceClassifier};
use attune::train::{evaluate, train, RunInfo, TrainConfig, TrainEvent, TrainJob};
use candle_core::{Device, Tensor};
use common::{write_rule_tsv, WORDS};

fn tiny(dir: &Path, family: Family) -> std::path::PathBuf {
    let model = dir.join(format!("{family:?}"));
    write_tiny_model(&model, family, &WORDS, 3).unwrap();
    model
}

fn load(model: &Path) -> SequenceClassifier {
    let opts = LoadOptions { labels: Some(vec!["no".into(), "yes".into()]), ..LoadOptions::default() };
    SequenceClassifier::load(model, &opts).unwrap()
}

fn job(dir: &Path, model: &Path, out: &str, config: TrainConfig) -> TrainJob {
    let (train_path, valid_path) = (dir.join("train.tsv"), dir.join("valid.tsv"));
    write_rule_tsv(&train_path, 400, 1);
    write_rule_tsv(&valid_path, 100, 2);
    TrainJob {
        base_model: "tiny".into(),
        model_dir: model.to_path_buf(),
        train: read_labeled(&train_path, &ReadOptions::default()).unwrap(),
        valid: Some(read_labeled(&valid_path, &ReadOptions::default()).unwrap()),
        out_dir: dir.join(out),
        config,
    }
}

fn fast_config() -> TrainConfig {
    TrainConfig {
        epochs: 4,
        batch_size: 16,
        learning_rate: 2e-3,
        max_len: 32,
        warmup_ratio: 0.1,
        ..TrainConfig::default()
    }
}

fn run_collecting(job: &TrainJob) -> Vec<TrainEvent> {
    let mut events = Vec::new();
    train(job, &mut |e| events.push(e), &CancelToken::new()).unwrap();
    events
}

fn losses(events: &[TrainEvent]) -> Vec<f32> {
    events.iter().filter_map(|e| if let TrainEvent::Step { loss, .. } = e { Some(*loss) } else { None }).collect()
}

#[test]
fn attention_rows_sum_to_one_and_padding_gets_no_attention() {
    let dir = tempfile::tempdir().unwrap();
    let model = load(&tiny(dir.path(), Family::Bert));
    let tokens = model.tokenizer.tokenize(&["alpha bravo charlie delta echo", "golf"]).unwrap();
    let batch = model.tokenizer.batch(&tokens.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    let out = model.forward(&batch, None, true).unwrap();
    assert_eq!(out.logits.dims(), &[2, 2]);
    assert_eq!(out.attentions.len(), 2, "one attention tensor per layer");
    let seq = tokens[0].ids.len();
    let short = tokens[1].ids.len();
    for att in &out.attentions {
        assert_eq!(att.dims(), &[2, 4, seq, seq]);
        let sums = att.sum(3).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5), "rows sum to 1: {sums:?}");
        let second = att.get(1).unwrap().to_vec3::<f32>().unwrap();
        for head in &second {
            for row in head {
                assert!(row[short..].iter().all(|&p| p == 0.0), "padded keys get zero attention");
            }
        }
    }
}

/// A sequence classifier's last layer computes only the first token (`Needs::FirstToken`); the
/// logits and the input gradient must equal those of the full last layer, in every family.
#[test]
fn the_first_token_shortcut_changes_neither_logits_nor_gradients() {
    for family in [Family::Bert, Family::Roberta, Family::DistilBert, Family::Electra] {
        let dir = tempfile::tempdir().unwrap();
        let model = load(&tiny(dir.path(), family));
        let rows = model.tokenizer.tokenize(&["golf hotel", "alpha bravo charlie delta echo foxtrot golf"]).unwrap();
        let batch = model.tokenizer.batch(&rows.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
        let words = model.encoder().word_embeddings(&batch).unwrap();
        let short = model.forward(&batch, None, false).unwrap().logits;
        let full = model.forward(&batch, None, true).unwrap().logits;
        assert_eq!(short.dims(), full.dims());
        let worst = (&short - &full).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(worst < 1e-5, "{family:?}: logits differ by {worst}");
        // Gradients with respect to the word embeddings, through each path.
        let gradient = |needs: Needs| {
            let var = candle_core::Var::from_tensor(&words).unwrap();
            let hidden =
                model.encoder().forward_from_word_embeddings(var.as_tensor(), &batch, None, needs).unwrap().hidden;
            let first = hidden.narrow(1, 0, 1).unwrap();
            // A fixed direction: the sum of squares of a LayerNorm output is constant.
            let width = first.elem_count();
            let direction: Vec<f32> = (0..width).map(|i| (i as f32 * 0.37).sin()).collect();
            let direction = Tensor::from_vec(direction, first.shape(), &Device::Cpu).unwrap();
            let grads = (first * direction).unwrap().sum_all().unwrap().backward().unwrap();
            grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        let (a, b) = (gradient(Needs::FirstToken), gradient(Needs::AllTokens));
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        let diff = a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(scale > 0.0 && diff <= 1e-4 * scale, "{family:?}: gradients differ by {diff} (largest {scale})");
    }
}

#[test]
fn inference_without_a_graph_gives_the_same_outputs_and_holds_no_graph() {
    let dir = tempfile::tempdir().unwrap();
    let model = load(&tiny(dir.path(), Family::Bert));
    let rows = model.tokenizer.tokenize(&["golf hotel", "alpha bravo charlie delta echo"]).unwrap();
    let batch = model.tokenizer.batch(&rows.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    // The model's parameters are variables: a plain forward pass records its graph.
    let recorded = model.forward(&batch, None, true).unwrap();
    assert!(recorded.logits.track_op(), "a forward pass on trainable weights should record its graph");
    let free = {
        let _no_graph = candle_core::no_grad();
        let _nested = candle_core::no_grad();
        model.forward(&batch, None, true).unwrap()
    };
    assert!(!free.logits.track_op(), "under no_grad the logits should hold no graph");
    assert!(free.attentions.iter().all(|a| !a.track_op()), "under no_grad the attention maps should hold no graph");
    let worst =
        (&recorded.logits - &free.logits).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert_eq!(worst, 0.0, "the same ops without a graph should give the same logits");
    // Without a graph and without attention maps the attention runs in one pass per sequence.
    let fused = {
        let _no_graph = candle_core::no_grad();
        model.forward(&batch, None, false).unwrap()
    };
    assert!(fused.attentions.is_empty(), "no attention maps were asked for");
    let worst =
        (&recorded.logits - &fused.logits).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert!(worst < 1e-5, "the one-pass attention should give the same logits (differs by {worst})");
    // Dropping the guards turns recording back on.
    assert!(candle_core::recording() && model.forward(&batch, None, false).unwrap().logits.track_op());
    // Predictions (which run without a graph) are the recorded logits' probabilities.
    let probs = model.predict_tokenized(&rows, 8).unwrap();
    let expected = softmax_rows(&recorded.logits);
    for (p, e) in probs.iter().flatten().zip(expected.iter().flatten()) {
        assert!((p - e).abs() < 1e-6, "{probs:?} vs {expected:?}");
    }
}

/// Row-wise softmax of logits, computed here in f64.
fn softmax_rows(logits: &Tensor) -> Vec<Vec<f32>> {
    let rows = logits.to_vec2::<f32>().unwrap();
    rows.iter()
        .map(|r| {
            let max = r.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
            let exps: Vec<f64> = r.iter().map(|&v| (v as f64 - max).exp()).collect();
            let sum: f64 = exps.iter().sum();
            exps.iter().map(|e| (e / sum) as f32).collect()
        })
        .collect()
}

#[test]
fn padding_does_not_change_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let model = load(&tiny(dir.path(), Family::Bert));
    let alone = model.predict(&["golf hotel"], 8).unwrap();
    let batched = model.predict(&["golf hotel", "alpha bravo charlie delta echo foxtrot golf hotel india"], 8).unwrap();
    for (a, b) in alone[0].iter().zip(&batched[0]) {
        assert!((a - b).abs() < 1e-5, "{alone:?} vs {batched:?}");
    }
}

#[test]
fn dropout_is_active_in_training_only() {
    let dir = tempfile::tempdir().unwrap();
    let model = load(&tiny(dir.path(), Family::Bert));
    let tokens = model.tokenizer.tokenize(&["alpha bravo charlie"]).unwrap();
    let batch = model.tokenizer.batch(&tokens.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    let eval = |m: &SequenceClassifier| m.forward(&batch, None, false).unwrap().logits.to_vec2::<f32>().unwrap();
    assert_eq!(eval(&model), eval(&model));
    let mut rng = DropoutRng::new(5);
    let a = model.forward(&batch, Some(&mut rng), false).unwrap().logits.to_vec2::<f32>().unwrap();
    let b = model.forward(&batch, Some(&mut rng), false).unwrap().logits.to_vec2::<f32>().unwrap();
    assert_ne!(a, b, "two training passes draw different dropout masks");
    assert_ne!(a, eval(&model));
}

#[test]
fn gradients_match_finite_differences() {
    let dir = tempfile::tempdir().unwrap();
    let model = load(&tiny(dir.path(), Family::Bert));
    let tokens = model.tokenizer.tokenize(&["alpha bravo charlie", "delta echo"]).unwrap();
    let batch = model.tokenizer.batch(&tokens.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    let targets = Tensor::new(&[1u32, 0], &Device::Cpu).unwrap();
    let loss_of = |m: &SequenceClassifier| {
        let logits = m.forward(&batch, None, false).unwrap().logits;
        cross_entropy(&logits, &targets, None).unwrap()
    };
    let grads = loss_of(&model).backward().unwrap();
    let names = [
        "classifier.weight",
        "bert.pooler.dense.weight",
        "bert.encoder.layer.1.output.dense.weight",
        "bert.encoder.layer.0.attention.self.query.weight",
        "bert.encoder.layer.0.attention.output.LayerNorm.weight",
        "bert.embeddings.LayerNorm.bias",
        "bert.embeddings.word_embeddings.weight",
    ];
    for name in names {
        let var = model.params.entries[name].var.clone().unwrap();
        let analytic = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        // The element with the largest gradient, so the finite difference is well above noise.
        let (idx, &g) = analytic.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap();
        let original = var.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let shape = var.as_tensor().shape().clone();
        let eps = 1e-2f32;
        let eval_at = |delta: f32| {
            let mut v = original.clone();
            v[idx] += delta;
            var.set(&Tensor::from_vec(v, shape.clone(), &Device::Cpu).unwrap()).unwrap();
            loss_of(&model).to_scalar::<f32>().unwrap()
        };
        let numeric = (eval_at(eps) - eval_at(-eps)) / (2.0 * eps);
        eval_at(0.0);
        let rel = (numeric - g).abs() / g.abs().max(1e-4);
        assert!(rel < 0.05, "{name}[{idx}]: analytic {g} vs numeric {numeric}");
    }
}

#[test]
fn training_learns_a_rule_and_reports_events_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path(), Family::Bert);
    let job = job(dir.path(), &model, "run", fast_config());
    let events = run_collecting(&job);
    assert!(matches!(events.first(), Some(TrainEvent::Started { total_steps: 100, .. })));
    assert!(matches!(events.last(), Some(TrainEvent::Finished(Ok(_)))));
    assert_eq!(events.iter().filter(|e| matches!(e, TrainEvent::Finished(_))).count(), 1);
    let l = losses(&events);
    assert_eq!(l.len(), 100);
    let head: f32 = l[..10].iter().sum::<f32>() / 10.0;
    let tail: f32 = l[l.len() - 10..].iter().sum::<f32>() / 10.0;
    assert!(tail < head * 0.5, "loss should fall: first steps {head}, last steps {tail}");
    let info = RunInfo::read(&job.out_dir).expect("run.json written");
    let best = info.best.unwrap().accuracy.unwrap();
    assert!(best >= 0.9, "validation accuracy {best}");
    // The saved folder reloads and gives the same accuracy as recorded.
    let reloaded =
        SequenceClassifier::load(&job.out_dir, &LoadOptions { max_len: 32, ..LoadOptions::default() }).unwrap();
    assert_eq!(reloaded.labels, vec!["no", "yes"]);
    let again = evaluate(&reloaded, job.valid.as_ref().unwrap(), 32).unwrap();
    assert!((again.metrics.accuracy - best).abs() < 1e-9, "{} vs {best}", again.metrics.accuracy);
}

#[test]
fn same_seed_repeats_exactly_and_another_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path(), Family::Bert);
    let cfg = TrainConfig { epochs: 1, ..fast_config() };
    let a = losses(&run_collecting(&job(dir.path(), &model, "a", cfg.clone())));
    let b = losses(&run_collecting(&job(dir.path(), &model, "b", cfg.clone())));
    let c = losses(&run_collecting(&job(dir.path(), &model, "c", TrainConfig { seed: 7, ..cfg })));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn frozen_parts_stay_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let model_dir = tiny(dir.path(), Family::Bert);
    let cfg = TrainConfig { epochs: 1, freeze: Freeze { embeddings: true, lowest_layers: 1 }, ..fast_config() };
    let job = job(dir.path(), &model_dir, "frozen", cfg);
    run_collecting(&job);
    let before = candle_core::safetensors::load(model_dir.join("model.safetensors"), &Device::Cpu).unwrap();
    let after = candle_core::safetensors::load(job.out_dir.join("model.safetensors"), &Device::Cpu).unwrap();
    let same = |name: &str| {
        let diff =
            (&before[name] - &after[name]).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        diff == 0.0
    };
    assert!(same("bert.embeddings.word_embeddings.weight"));
    assert!(same("bert.encoder.layer.0.attention.self.query.weight"));
    assert!(!same("bert.encoder.layer.1.attention.self.query.weight"));
}

#[test]
fn every_family_trains_and_saves_transformers_names() {
    let expected = [
        (Family::Roberta, ["roberta.encoder.layer.1.output.dense.weight", "classifier.out_proj.weight"]),
        (Family::DistilBert, ["distilbert.transformer.layer.1.ffn.lin2.weight", "pre_classifier.weight"]),
        (Family::Electra, ["electra.embeddings_project.weight", "classifier.dense.weight"]),
        (Family::Bert, ["bert.pooler.dense.weight", "classifier.weight"]),
    ];
    for (family, names) in expected {
        let dir = tempfile::tempdir().unwrap();
        let model = tiny(dir.path(), family);
        let job = job(dir.path(), &model, "run", TrainConfig { epochs: 2, ..fast_config() });
        let events = run_collecting(&job);
        let l = losses(&events);
        assert!(l[l.len() - 5..].iter().sum::<f32>() < l[..5].iter().sum::<f32>(), "{family:?} loss falls: {l:?}");
        let saved = candle_core::safetensors::load(job.out_dir.join("model.safetensors"), &Device::Cpu).unwrap();
        for name in names {
            assert!(saved.contains_key(name), "{family:?} saves {name}");
        }
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(job.out_dir.join("config.json")).unwrap()).unwrap();
        assert!(config["architectures"][0].as_str().unwrap().ends_with("ForSequenceClassification"));
        assert_eq!(config["id2label"]["1"], "yes");
        SequenceClassifier::load(&job.out_dir, &LoadOptions::default()).unwrap();
    }
}

#[test]
fn weighted_cross_entropy_matches_the_formula() {
    let logits = Tensor::new(&[[2.0f32, 0.0], [0.0, 1.0], [1.0, 1.0]], &Device::Cpu).unwrap();
    let targets = Tensor::new(&[0u32, 1, 0], &Device::Cpu).unwrap();
    let weights = Tensor::new(&[1.0f32, 3.0], &Device::Cpu).unwrap();
    let got = cross_entropy(&logits, &targets, Some(&weights)).unwrap().to_scalar::<f32>().unwrap();
    let nll = |z: [f32; 2], t: usize| -(z[t] - (z[0].exp() + z[1].exp()).ln());
    let want = (nll([2.0, 0.0], 0) + 3.0 * nll([0.0, 1.0], 1) + nll([1.0, 1.0], 0)) / 5.0;
    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    let plain = cross_entropy(&logits, &targets, None).unwrap().to_scalar::<f32>().unwrap();
    let want_plain = (nll([2.0, 0.0], 0) + nll([0.0, 1.0], 1) + nll([1.0, 1.0], 0)) / 3.0;
    assert!((plain - want_plain).abs() < 1e-6);
}
