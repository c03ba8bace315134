//! The number formats an export can hold its weights in, and which format each tensor gets:
//! block quantizations need the tensor's input dimension to be a multiple of their block, so a
//! tensor that does not fit falls back to the next format that does, and the report says so.

use candle_core::quantized::GgmlDType;
use serde::{Deserialize, Serialize};

/// The weight format asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quant {
    F32,
    F16,
    /// 8-bit integers, blocks of 32 with one f16 scale (Attune writes one scale per row).
    Q8_0,
    /// 4-bit integers, blocks of 32 with one f16 scale.
    Q4_0,
    /// 4-bit K-quant, blocks of 256 (only where the input dimension is a multiple of 256).
    Q4K,
}

impl Quant {
    pub const ALL: [Quant; 5] = [Quant::F32, Quant::F16, Quant::Q8_0, Quant::Q4_0, Quant::Q4K];

    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "f32" => Ok(Quant::F32),
            "f16" => Ok(Quant::F16),
            "q8_0" | "q8" | "int8" => Ok(Quant::Q8_0),
            "q4_0" | "q4" => Ok(Quant::Q4_0),
            "q4_k" | "q4k" => Ok(Quant::Q4K),
            other => Err(format!("\"{other}\" is not a weight format: use f32, f16, q8_0, q4_0 or q4_k")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Quant::F32 => "f32",
            Quant::F16 => "f16",
            Quant::Q8_0 => "q8_0",
            Quant::Q4_0 => "q4_0",
            Quant::Q4K => "q4_k",
        }
    }

    /// A sentence for people choosing a format.
    pub fn describe(self) -> &'static str {
        match self {
            Quant::F32 => "full precision (largest, exact)",
            Quant::F16 => "half precision (half the size, practically exact)",
            Quant::Q8_0 => "8-bit (about a quarter of the size, fast int8 inference)",
            Quant::Q4_0 => "4-bit (about an eighth of the size; check the verification)",
            Quant::Q4K => "4-bit K-quant where it fits, else 4-bit (check the verification)",
        }
    }

    /// Whether this format is one of the block quantizations (runs on the int8 kernels).
    pub fn is_quantized(self) -> bool {
        matches!(self, Quant::Q8_0 | Quant::Q4_0 | Quant::Q4K)
    }
}

/// The GGUF type one matrix of `in_dim` columns gets, and why when it differs from the request.
pub fn matrix_type(quant: Quant, in_dim: usize) -> (GgmlDType, Option<String>) {
    let fits = |dtype: GgmlDType| in_dim.is_multiple_of(dtype.block_size());
    let fallback = |to: GgmlDType, block: usize| {
        let reason = format!("input dimension {in_dim} is not a multiple of {block}: stored as {}", type_name(to));
        (to, Some(reason))
    };
    match quant {
        Quant::F32 => (GgmlDType::F32, None),
        Quant::F16 => (GgmlDType::F16, None),
        Quant::Q8_0 if fits(GgmlDType::Q8_0) => (GgmlDType::Q8_0, None),
        Quant::Q4_0 if fits(GgmlDType::Q4_0) => (GgmlDType::Q4_0, None),
        Quant::Q4K if fits(GgmlDType::Q4K) => (GgmlDType::Q4K, None),
        Quant::Q4K if fits(GgmlDType::Q4_0) => fallback(GgmlDType::Q4_0, 256),
        Quant::Q8_0 | Quant::Q4_0 | Quant::Q4K => fallback(GgmlDType::F16, 32),
    }
}

/// The GGUF name of a tensor type, as llama.cpp prints it.
pub fn type_name(dtype: GgmlDType) -> &'static str {
    match dtype {
        GgmlDType::F32 => "f32",
        GgmlDType::F16 => "f16",
        GgmlDType::BF16 => "bf16",
        GgmlDType::Q4_0 => "q4_0",
        GgmlDType::Q4_1 => "q4_1",
        GgmlDType::Q5_0 => "q5_0",
        GgmlDType::Q5_1 => "q5_1",
        GgmlDType::Q8_0 => "q8_0",
        GgmlDType::Q8_1 => "q8_1",
        GgmlDType::Q2K => "q2_k",
        GgmlDType::Q3K => "q3_k",
        GgmlDType::Q4K => "q4_k",
        GgmlDType::Q5K => "q5_k",
        GgmlDType::Q6K => "q6_k",
        GgmlDType::Q8K => "q8_k",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_quants_fall_back_where_the_block_does_not_fit() {
        assert_eq!(matrix_type(Quant::Q4K, 1536).0, GgmlDType::Q4K);
        let (dtype, why) = matrix_type(Quant::Q4K, 384);
        assert_eq!(dtype, GgmlDType::Q4_0);
        assert!(why.is_some_and(|w| w.contains("384") && w.contains("256")));
        assert_eq!(matrix_type(Quant::Q8_0, 384), (GgmlDType::Q8_0, None));
        assert_eq!(matrix_type(Quant::Q8_0, 100).0, GgmlDType::F16);
    }

    #[test]
    fn formats_parse_from_their_names() {
        for q in Quant::ALL {
            assert_eq!(Quant::parse(q.name()), Ok(q));
        }
        assert!(Quant::parse("q3").is_err_and(|e| e.contains("q8_0")));
    }
}
