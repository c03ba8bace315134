//! The speed benchmark behind `attune bench`: training and inference examples per second at a
//! fixed batch shape, with warm-up, several repetitions and medians, and a split of the training
//! step into forward, backward and optimizer time. `scripts/reference/bench_pytorch.py` runs the
//! same job in PyTorch so that both can be compared on one machine.

use std::path::PathBuf;
use std::time::Instant;

use candle_core::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::{AdamW, TrainError, INITIAL_SCALE};
use crate::model::kernels::sgemm::MicroKernel;
use crate::model::synthetic::{random_classifier, shape_config};
use crate::model::{
    cross_entropy, parse_device, DropoutRng, LoadOptions, Precision, SequenceClassifier, TokenizedText,
};
use crate::quant::{load_gguf_classifier, write_gguf, Quant};

#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// A model folder; None uses random weights of `shape`.
    pub model_dir: Option<PathBuf>,
    /// "minilm" or "bert-base", used when there is no model folder.
    pub shape: String,
    pub batch_size: usize,
    pub infer_batch_size: usize,
    pub max_len: usize,
    pub warmup: usize,
    pub reps: usize,
    pub device: String,
    /// Measure inference of the model exported to GGUF in this format and loaded back (int8
    /// kernels for q8_0/q4_0/q4_k); training is skipped.
    pub quant: Option<Quant>,
    pub skip_train: bool,
    /// The type of the linear layers' products (mixed precision for GPUs).
    pub precision: Precision,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            model_dir: None,
            shape: "minilm".into(),
            batch_size: 16,
            infer_batch_size: 32,
            max_len: 64,
            warmup: 2,
            reps: 5,
            device: "cpu".into(),
            quant: None,
            skip_train: false,
            precision: Precision::F32,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub device: String,
    /// The weight format inference ran in ("f32", or the GGUF format measured).
    pub weights: String,
    /// The type of the linear layers' products ("f32", "bf16", "f16").
    pub precision: String,
    pub threads: usize,
    /// The micro-kernel of the CPU's f32 matrix products ("avx512", "avx2", "gemm crate"); "-"
    /// off the CPU. Quantized weights (`--quant`) use their own int8 product.
    pub matrix_kernel: String,
    pub batch_size: usize,
    pub infer_batch_size: usize,
    pub max_len: usize,
    pub reps: usize,
    pub parameters: usize,
    pub train_step_ms: f64,
    pub forward_ms: f64,
    pub backward_ms: f64,
    pub optimizer_ms: f64,
    pub train_examples_per_s: f64,
    pub infer_batch_ms: f64,
    pub infer_examples_per_s: f64,
    /// Useful floating-point work per second (matrix products only), training and inference.
    pub train_gflop_per_s: f64,
    pub infer_gflop_per_s: f64,
}

/// Which micro-kernel the CPU's matrix products run on `device`.
fn matrix_kernel_name(device: &str) -> String {
    if device != "cpu" {
        return "-".into();
    }
    MicroKernel::chosen().map(MicroKernel::name).unwrap_or("gemm crate").into()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn random_rows(rows: usize, len: usize, vocab: usize, rng: &mut StdRng) -> Vec<TokenizedText> {
    (0..rows)
        .map(|_| TokenizedText {
            ids: (0..len).map(|_| rng.random_range(1000..vocab as u32)).collect(),
            type_ids: vec![0; len],
        })
        .collect()
}

/// Forward FLOPs of one example of `len` tokens through the encoder's matrix products, as a
/// sequence classifier computes them: the last layer computes keys and values for every token
/// but its query, attention output and feed-forward block for the first token only.
fn forward_flops(model: &SequenceClassifier, len: usize) -> f64 {
    let c = &model.config;
    let (h, i, l, s) = (c.hidden_size as f64, c.intermediate_size as f64, c.num_layers as f64, len as f64);
    let full_layer = 2.0 * s * (4.0 * h * h + 2.0 * h * i) + 4.0 * s * s * h;
    let last_layer = 2.0 * s * 2.0 * h * h + 2.0 * (2.0 * h * h + 2.0 * h * i) + 4.0 * s * h;
    if l < 1.0 {
        return 0.0;
    }
    (l - 1.0) * full_layer + last_layer
}

/// Measures training and inference speed. `progress` receives one line per phase.
pub fn run_bench(opts: &BenchOptions, progress: &mut dyn FnMut(&str)) -> Result<BenchReport, TrainError> {
    let device = parse_device(&opts.device)?;
    let load = LoadOptions {
        labels: Some(vec!["0".into(), "1".into()]),
        device: device.clone(),
        max_len: opts.max_len,
        problem: None,
        precision: opts.precision,
        ..LoadOptions::default()
    };
    let (model, name) = match &opts.model_dir {
        Some(dir) => (SequenceClassifier::load(dir, &load)?, dir.display().to_string()),
        None => {
            let cfg = shape_config(&opts.shape).ok_or_else(|| {
                TrainError::Settings(format!("unknown shape \"{}\"; use minilm or bert-base", opts.shape))
            })?;
            (random_classifier(&cfg, &[], vec!["0".into(), "1".into()], &load)?, format!("random {}", opts.shape))
        }
    };
    let (model, name) = match opts.quant {
        Some(quant) => (quantized_copy(&model, quant, &load)?, format!("{name} as {}", quant.name())),
        None => (model, name),
    };
    let mut rng = StdRng::seed_from_u64(7);
    let vocab = model.config.vocab_size;
    let train_rows = random_rows(opts.batch_size, opts.max_len, vocab, &mut rng);
    let infer_rows = random_rows(opts.infer_batch_size, opts.max_len, vocab, &mut rng);
    let targets: Vec<u32> = (0..opts.batch_size).map(|i| (i % 2) as u32).collect();
    let targets = Tensor::new(targets, &device)?;
    let mut optimizer = AdamW::new(&model.params, 0.01);
    let mut dropout = DropoutRng::new(1);
    let (mut fwd, mut bwd, mut opt, mut total) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let train_reps = if opts.skip_train || opts.quant.is_some() { 0 } else { opts.warmup + opts.reps };
    if train_reps > 0 {
        progress("training steps");
    }
    for rep in 0..train_reps {
        let t0 = Instant::now();
        let rows: Vec<&TokenizedText> = train_rows.iter().collect();
        let batch = model.tokenizer.batch(&rows, &device)?;
        let logits = model.forward(&batch, Some(&mut dropout), false)?.logits;
        let loss = cross_entropy(&logits, &targets, None)?;
        loss.to_scalar::<f32>()?;
        let t1 = Instant::now();
        // f16 scales the loss as training does (a fixed factor is enough for timing).
        let scale = if opts.precision.needs_loss_scaling() { INITIAL_SCALE } else { 1.0 };
        let grads = (loss * scale)?.backward()?;
        device.synchronize()?;
        let t2 = Instant::now();
        optimizer.step_scaled(&grads, 2e-5, Some(1.0), scale)?;
        device.synchronize()?;
        let t3 = Instant::now();
        if rep >= opts.warmup {
            fwd.push((t1 - t0).as_secs_f64() * 1e3);
            bwd.push((t2 - t1).as_secs_f64() * 1e3);
            opt.push((t3 - t2).as_secs_f64() * 1e3);
            total.push((t3 - t0).as_secs_f64() * 1e3);
        }
    }
    progress("inference batches");
    let mut infer = Vec::new();
    for rep in 0..opts.warmup + opts.reps {
        let t0 = Instant::now();
        model.predict_tokenized(&infer_rows, opts.infer_batch_size)?;
        if rep >= opts.warmup {
            infer.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let train_step_ms = median(total);
    let infer_batch_ms = median(infer);
    let flops = forward_flops(&model, opts.max_len);
    Ok(BenchReport {
        model: name,
        device: opts.device.clone(),
        weights: opts.quant.map(|q| q.name()).unwrap_or("f32").into(),
        precision: opts.precision.name().into(),
        threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        matrix_kernel: matrix_kernel_name(&opts.device),
        batch_size: opts.batch_size,
        infer_batch_size: opts.infer_batch_size,
        max_len: opts.max_len,
        reps: opts.reps,
        parameters: model.params.parameter_count(),
        train_step_ms,
        forward_ms: median(fwd),
        backward_ms: median(bwd),
        optimizer_ms: median(opt),
        train_examples_per_s: if train_step_ms > 0.0 { opts.batch_size as f64 / (train_step_ms / 1e3) } else { 0.0 },
        infer_batch_ms,
        infer_examples_per_s: opts.infer_batch_size as f64 / (infer_batch_ms / 1e3),
        train_gflop_per_s: if train_step_ms > 0.0 {
            3.0 * flops * opts.batch_size as f64 / (train_step_ms / 1e3) / 1e9
        } else {
            0.0
        },
        infer_gflop_per_s: flops * opts.infer_batch_size as f64 / (infer_batch_ms / 1e3) / 1e9,
    })
}

/// The model written to a temporary GGUF file in `quant` and loaded back, as `attune predict`
/// would run the exported file.
fn quantized_copy(
    model: &SequenceClassifier,
    quant: Quant,
    load: &LoadOptions,
) -> Result<SequenceClassifier, TrainError> {
    let path = std::env::temp_dir().join(format!("attune-bench-{}-{}.gguf", std::process::id(), quant.name()));
    write_gguf(model, quant, &path).map_err(|e| TrainError::Write(format!("{e} — {}", path.display())))?;
    let loaded = load_gguf_classifier(&path, load);
    let _ = std::fs::remove_file(&path);
    Ok(loaded?)
}
