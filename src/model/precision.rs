//! Mixed precision: the float type that the linear layers' matrix products run in. The weights
//! stay f32 (the optimizer updates these "master weights"); with bf16 or f16 each product casts
//! its input and weight down, multiplies, and casts the result back to f32, as PyTorch's autocast
//! does for `nn.Linear`. Everything else (LayerNorm, softmax, attention, the loss) stays f32.
//! On a GPU this runs the products on tensor cores; on the CPU it is slower than f32 and exists
//! so that the same settings can be checked anywhere. f16 needs loss scaling (`train::LossScale`);
//! bf16 has f32's range and does not.

use candle_core::DType;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Everything in f32.
    #[default]
    F32,
    /// Matrix products in bfloat16.
    Bf16,
    /// Matrix products in float16, with loss scaling.
    F16,
}

impl Precision {
    pub const ALL: [Precision; 3] = [Precision::F32, Precision::Bf16, Precision::F16];

    /// Reads "f32", "bf16" or "f16" (also "fp32", "bfloat16", "fp16", "float16", any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" | "fp32" | "float32" => Some(Self::F32),
            "bf16" | "bfloat16" => Some(Self::Bf16),
            "f16" | "fp16" | "float16" | "half" => Some(Self::F16),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::Bf16 => "bf16",
            Self::F16 => "f16",
        }
    }

    /// How the app describes the choice.
    pub fn title(self) -> &'static str {
        match self {
            Self::F32 => "f32 (full precision)",
            Self::Bf16 => "bf16 mixed precision",
            Self::F16 => "f16 mixed precision",
        }
    }

    /// The type the matrix products run in; None for plain f32.
    pub fn matmul_dtype(self) -> Option<DType> {
        match self {
            Self::F32 => None,
            Self::Bf16 => Some(DType::BF16),
            Self::F16 => Some(DType::F16),
        }
    }

    /// Whether training must scale the loss so that small f16 gradients do not round to zero.
    pub fn needs_loss_scaling(self) -> bool {
        self == Self::F16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for p in Precision::ALL {
            assert_eq!(Precision::parse(p.name()), Some(p));
        }
        assert_eq!(Precision::parse("BFloat16"), Some(Precision::Bf16));
        assert_eq!(Precision::parse("fp16"), Some(Precision::F16));
        assert_eq!(Precision::parse("int8"), None);
        assert_eq!(Precision::default().matmul_dtype(), None);
        assert!(Precision::F16.needs_loss_scaling() && !Precision::Bf16.needs_loss_scaling());
    }
}
