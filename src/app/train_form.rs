//! The Train pane's settings form: the presets (Fast / Balanced / Best) and the advanced fields
//! as typed strings, parsed into a `TrainConfig` or into the problem of each field.

use crate::model::Precision;
use crate::train::TrainConfig;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Fast,
    Balanced,
    Best,
}

/// The settings form as typed: strings until they parse.
pub struct Draft {
    pub epochs: String,
    pub batch_size: String,
    pub learning_rate: String,
    pub warmup: String,
    pub max_len: String,
    pub freeze_layers: String,
    pub patience: String,
    pub seed: String,
    pub freeze_embeddings: bool,
    pub class_weights: bool,
    pub precision: Precision,
}

impl Draft {
    pub fn preset(p: Preset) -> Self {
        let (epochs, max_len, patience) = match p {
            Preset::Fast => ("1", "64", ""),
            Preset::Balanced => ("3", "128", ""),
            Preset::Best => ("6", "256", "2"),
        };
        Self {
            epochs: epochs.into(),
            batch_size: "16".into(),
            learning_rate: String::new(),
            warmup: "0.06".into(),
            max_len: max_len.into(),
            freeze_layers: "0".into(),
            patience: patience.into(),
            seed: "42".into(),
            freeze_embeddings: false,
            class_weights: false,
            precision: Precision::F32,
        }
    }

    /// The settings, or the problem of each field that does not parse.
    pub fn parse(&self, device: &str, default_lr: f64) -> Result<TrainConfig, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        fn num<T: std::str::FromStr>(
            field: &'static str,
            s: &str,
            problems: &mut Vec<(&'static str, String)>,
        ) -> Option<T> {
            let parsed = s.trim().parse().ok();
            if parsed.is_none() {
                problems.push((field, format!("\"{s}\" is not a number")));
            }
            parsed
        }
        let epochs = num("epochs", &self.epochs, &mut problems);
        let batch_size = num("batch", &self.batch_size, &mut problems);
        let learning_rate = if self.learning_rate.trim().is_empty() {
            Some(default_lr)
        } else {
            num("lr", &self.learning_rate, &mut problems)
        };
        let warmup = num("warmup", &self.warmup, &mut problems);
        let max_len = num("max_len", &self.max_len, &mut problems);
        let freeze_layers = num("freeze", &self.freeze_layers, &mut problems);
        let patience = if self.patience.trim().is_empty() {
            Some(None)
        } else {
            num("patience", &self.patience, &mut problems).map(Some)
        };
        let seed = num("seed", &self.seed, &mut problems);
        let (
            Some(epochs),
            Some(batch_size),
            Some(learning_rate),
            Some(warmup_ratio),
            Some(max_len),
            Some(lowest_layers),
            Some(patience),
            Some(seed),
        ) = (epochs, batch_size, learning_rate, warmup, max_len, freeze_layers, patience, seed)
        else {
            return Err(problems);
        };
        let cfg = TrainConfig {
            epochs,
            batch_size,
            learning_rate,
            warmup_ratio,
            max_len,
            seed,
            class_weights: self.class_weights,
            freeze: crate::model::Freeze { embeddings: self.freeze_embeddings, lowest_layers },
            early_stopping_patience: patience,
            evals_per_epoch: if patience.is_some() { 2 } else { 1 },
            device: device.to_string(),
            precision: self.precision,
            ..TrainConfig::default()
        };
        let problems: Vec<(&'static str, String)> = cfg.problems().into_iter().map(|p| ("settings", p)).collect();
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(problems)
        }
    }
}
