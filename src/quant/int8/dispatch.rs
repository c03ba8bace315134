//! Which kernel runs: the AVX2 one where the CPU has AVX2 and FMA (checked at run time, once per
//! call), the portable one elsewhere. Both compute the same integers and the same f32 results.

/// A kernel family: activation quantization plus the panel product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Scalar code that compiles everywhere.
    Portable,
    /// `madd` (i16 × i16 → i32) on 256-bit vectors; only constructed after the CPU check.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => "avx2",
        }
    }
}
