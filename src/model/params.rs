//! The model's parameters by name: which are trained, which decay, how new ones are initialised,
//! and writing them all to `model.safetensors` under transformers' names.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

use super::layers::{LayerNorm, Linear};
use super::weights::Checkpoint;
use super::ModelError;

/// Which parts of the encoder stay fixed during training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Freeze {
    pub embeddings: bool,
    /// The lowest N encoder layers.
    pub lowest_layers: usize,
}

impl Freeze {
    fn covers(&self, name: &str) -> bool {
        if self.embeddings && (name.contains(".embeddings.") || name.contains("embeddings_project")) {
            return true;
        }
        (0..self.lowest_layers).any(|i| name.contains(&format!(".layer.{i}.")))
    }
}

/// One named parameter: its tensor, and the variable that training updates when it is trainable.
pub struct Param {
    pub tensor: Tensor,
    pub var: Option<Var>,
}

impl Param {
    /// Weight decay applies to weight matrices, not to biases and LayerNorm parameters.
    pub fn decays(name: &str) -> bool {
        !(name.ends_with(".bias") || name.contains("LayerNorm") || name.contains("layer_norm"))
    }
}

/// All parameters of a model, in name order.
#[derive(Default)]
pub struct ParamStore {
    pub entries: BTreeMap<String, Param>,
}

impl ParamStore {
    /// The trainable variables with their names, in name order.
    pub fn trainable(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.entries.iter().filter_map(|(n, p)| p.var.as_ref().map(|v| (n.as_str(), v)))
    }

    pub fn parameter_count(&self) -> usize {
        self.entries.values().map(|p| p.tensor.elem_count()).sum()
    }

    pub fn trainable_count(&self) -> usize {
        self.trainable().map(|(_, v)| v.elem_count()).sum()
    }

    /// Writes every parameter to a safetensors file (written to a temporary name, then renamed).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let mut map: HashMap<String, Tensor> = HashMap::with_capacity(self.entries.len());
        for (name, p) in &self.entries {
            map.insert(name.clone(), p.tensor.detach().to_device(&Device::Cpu)?);
        }
        let tmp = path.with_extension("safetensors.partial");
        let write_err = |e: String| ModelError::Write { path: path.to_path_buf(), reason: e };
        candle_core::safetensors::save(&map, &tmp).map_err(|e| write_err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| write_err(e.to_string()))?;
        Ok(())
    }
}

/// How a parameter the checkpoint lacks is initialised.
#[derive(Clone, Copy)]
pub enum Init {
    Normal(f64),
    Zeros,
    Ones,
}

/// Builds a model's parameters from a checkpoint, initialising what is missing where allowed.
pub struct ParamBuilder {
    checkpoint: Checkpoint,
    store: ParamStore,
    rng: StdRng,
    device: Device,
    freeze: Freeze,
    /// Parameters that were not in the checkpoint and got fresh values.
    pub initialised: Vec<String>,
    /// With no checkpoint at all every parameter is initialised (random models).
    init_everything: bool,
    /// Mixed precision of the linear layers' products (None: f32).
    matmul: Option<candle_core::DType>,
}

impl ParamBuilder {
    pub fn new(checkpoint: Checkpoint, device: &Device, seed: u64, freeze: Freeze) -> Self {
        let init_everything = checkpoint.tensors.is_empty();
        Self {
            checkpoint,
            store: ParamStore::default(),
            rng: StdRng::seed_from_u64(seed),
            device: device.clone(),
            freeze,
            initialised: Vec::new(),
            init_everything,
            matmul: None,
        }
    }

    /// Linear layers built from here on run their products in `precision`.
    pub fn with_precision(mut self, precision: super::Precision) -> Self {
        self.matmul = precision.matmul_dtype();
        self
    }

    /// Takes a parameter that must be in the checkpoint (unless the model is random).
    pub fn take(&mut self, name: &str, shape: &[usize], init: Init) -> Result<Tensor, ModelError> {
        if self.init_everything {
            return self.take_or_init(name, shape, init);
        }
        if !self.checkpoint.tensors.contains_key(name) {
            return Err(ModelError::MissingWeight { name: name.into(), path: self.checkpoint.path.clone() });
        }
        self.take_or_init(name, shape, init)
    }

    /// Takes a parameter from the checkpoint, or initialises it when the checkpoint lacks it.
    pub fn take_or_init(&mut self, name: &str, shape: &[usize], init: Init) -> Result<Tensor, ModelError> {
        let tensor = match self.checkpoint.tensors.remove(name) {
            Some(t) => {
                if t.dims() != shape {
                    return Err(ModelError::WrongShape {
                        name: name.into(),
                        expected: shape.to_vec(),
                        found: t.dims().to_vec(),
                        path: self.checkpoint.path.clone(),
                    });
                }
                t
            }
            None => {
                self.initialised.push(name.to_string());
                self.fresh(shape, init)?
            }
        };
        self.register(name, tensor)
    }

    /// Always initialises the parameter (a new head whose labels differ from the checkpoint's).
    pub fn init(&mut self, name: &str, shape: &[usize], init: Init) -> Result<Tensor, ModelError> {
        self.checkpoint.tensors.remove(name);
        self.initialised.push(name.to_string());
        let tensor = self.fresh(shape, init)?;
        self.register(name, tensor)
    }

    pub fn has(&self, name: &str) -> bool {
        self.checkpoint.tensors.contains_key(name)
    }

    pub fn linear(&mut self, name: &str, in_dim: usize, out_dim: usize, std: f64) -> Result<Linear, ModelError> {
        if let Some(linear) = self.take_int8(name, in_dim, out_dim)? {
            return Ok(linear);
        }
        let weight = self.take(&format!("{name}.weight"), &[out_dim, in_dim], Init::Normal(std))?;
        let bias = self.take(&format!("{name}.bias"), &[out_dim], Init::Zeros)?;
        Ok(Linear::new(weight, Some(bias)).with_matmul_dtype(self.matmul))
    }

    /// A linear layer of a new head: taken from the checkpoint when `reuse`, else initialised.
    pub fn head_linear(
        &mut self,
        name: &str,
        in_dim: usize,
        out_dim: usize,
        std: f64,
        reuse: bool,
    ) -> Result<Linear, ModelError> {
        let (w, b) = (format!("{name}.weight"), format!("{name}.bias"));
        if reuse {
            if let Some(linear) = self.take_int8(name, in_dim, out_dim)? {
                return Ok(linear);
            }
        }
        let (weight, bias) = if reuse {
            (
                self.take_or_init(&w, &[out_dim, in_dim], Init::Normal(std))?,
                self.take_or_init(&b, &[out_dim], Init::Zeros)?,
            )
        } else {
            (self.init(&w, &[out_dim, in_dim], Init::Normal(std))?, self.init(&b, &[out_dim], Init::Zeros)?)
        };
        Ok(Linear::new(weight, Some(bias)).with_matmul_dtype(self.matmul))
    }

    /// A linear layer whose weight the checkpoint holds as int8 (a quantized model), if it does.
    fn take_int8(&mut self, name: &str, in_dim: usize, out_dim: usize) -> Result<Option<Linear>, ModelError> {
        let w = format!("{name}.weight");
        let Some(matrix) = self.checkpoint.int8.remove(&w) else {
            return Ok(None);
        };
        if (matrix.out_dim(), matrix.in_dim()) != (out_dim, in_dim) {
            return Err(ModelError::WrongShape {
                name: w,
                expected: vec![out_dim, in_dim],
                found: vec![matrix.out_dim(), matrix.in_dim()],
                path: self.checkpoint.path.clone(),
            });
        }
        let bias = self.take(&format!("{name}.bias"), &[out_dim], Init::Zeros)?;
        Ok(Some(Linear::int8(matrix, Some(bias))))
    }

    pub fn layer_norm(&mut self, name: &str, dim: usize, eps: f64) -> Result<LayerNorm, ModelError> {
        let weight = self.take(&format!("{name}.weight"), &[dim], Init::Ones)?;
        let bias = self.take(&format!("{name}.bias"), &[dim], Init::Zeros)?;
        Ok(LayerNorm::new(weight, bias, eps))
    }

    pub fn finish(self) -> (ParamStore, Vec<String>) {
        (self.store, self.initialised)
    }

    fn fresh(&mut self, shape: &[usize], init: Init) -> Result<Tensor, ModelError> {
        let count: usize = shape.iter().product();
        let values: Vec<f32> = match init {
            Init::Zeros => vec![0.0; count],
            Init::Ones => vec![1.0; count],
            Init::Normal(std) => {
                let normal = Normal::new(0.0f32, std as f32).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                (0..count).map(|_| normal.sample(&mut self.rng)).collect()
            }
        };
        Ok(Tensor::from_vec(values, shape, &self.device)?)
    }

    fn register(&mut self, name: &str, tensor: Tensor) -> Result<Tensor, ModelError> {
        let tensor = tensor.to_dtype(DType::F32)?;
        let param = if self.freeze.covers(name) {
            Param { tensor: tensor.detach(), var: None }
        } else {
            let var = Var::from_tensor(&tensor)?;
            Param { tensor: var.as_tensor().clone(), var: Some(var) }
        };
        let out = param.tensor.clone();
        self.store.entries.insert(name.to_string(), param);
        Ok(out)
    }
}
