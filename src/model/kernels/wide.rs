//! Wider vector code for the kernels' loops without a second build: the crate is compiled for
//! baseline x86-64, whose loops vectorize to 4-wide SSE2. [`wide`] runs a closure inside a
//! function compiled for AVX2 and FMA when the CPU has them (checked once, at run time), so the
//! loops it inlines vectorize 8 wide; on other CPUs and architectures it just calls the closure.
//! Results may differ from the SSE2 build in the last bits (sums add in another order).

/// Runs `f`, compiled for AVX2 and FMA where this CPU has them.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU was just checked to support the features `avx2_fma` is compiled for.
            return unsafe { avx2_fma(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_fma<R>(f: impl FnOnce() -> R) -> R {
    f()
}
