//! Our encoder against Hugging Face transformers on the real all-MiniLM-L6-v2: token ids and
//! last hidden states for four sentences of different lengths in one padded batch.
//! Reference values: tests/fixtures/minilm_parity.json, made by scripts/reference/parity.py.

mod common;

use attune::model::{Family, LoadOptions, Needs, SequenceClassifier};
use candle_core::{Device, Tensor};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    sentences: Vec<String>,
    input_ids: Vec<Vec<u32>>,
    attention_mask: Vec<Vec<u32>>,
    last_hidden_state: Vec<Vec<Vec<f32>>>,
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/minilm_parity.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn hidden_states_match_transformers_within_1e_4() {
    let Some(dir) = common::starter_model() else { return };
    let fx = fixture();
    let opts = LoadOptions { labels: Some(vec!["a".into(), "b".into()]), max_len: 512, ..LoadOptions::default() };
    let model = SequenceClassifier::load(&dir, &opts).unwrap();
    assert_eq!(model.config.family, Family::Bert);
    let texts: Vec<&str> = fx.sentences.iter().map(String::as_str).collect();
    let tokens = model.tokenizer.tokenize(&texts).unwrap();
    for (ours, (theirs, mask)) in tokens.iter().zip(fx.input_ids.iter().zip(&fx.attention_mask)) {
        let real: Vec<u32> = theirs.iter().zip(mask).filter(|(_, &m)| m == 1).map(|(&id, _)| id).collect();
        assert_eq!(ours.ids, real, "token ids equal transformers'");
    }
    let batch = model.tokenizer.batch(&tokens.iter().collect::<Vec<_>>(), &Device::Cpu).unwrap();
    // The parameters are variables, so a plain pass records its graph and runs the attention
    // from differentiable ops; without a graph (predictions) it runs in one pass per sequence.
    let recorded = model.encoder().forward(&batch, None, Needs::AllTokens).unwrap().hidden;
    let free = {
        let _no_graph = candle_core::no_grad();
        model.encoder().forward(&batch, None, Needs::AllTokens).unwrap().hidden
    };
    let expected = Tensor::new(fx.last_hidden_state.clone(), &Device::Cpu).unwrap();
    let mut worst = 0f32;
    for (path, hidden) in [("recorded", recorded), ("without a graph", free)] {
        assert_eq!(hidden.dims(), expected.dims());
        let mut path_worst = 0f32;
        for (row, mask) in fx.attention_mask.iter().enumerate() {
            let real = mask.iter().filter(|&&m| m == 1).count();
            let ours = hidden.get(row).unwrap().narrow(0, 0, real).unwrap();
            let theirs = expected.get(row).unwrap().narrow(0, 0, real).unwrap();
            let diff = (ours - theirs).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            path_worst = path_worst.max(diff);
        }
        eprintln!("{path}: max abs difference on real tokens: {path_worst:e}");
        worst = worst.max(path_worst);
    }
    assert!(worst <= 1e-4, "max abs difference {worst} exceeds 1e-4");
}
