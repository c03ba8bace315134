//! Which compute device a run uses: `cpu`, `cuda:N` or `metal`, and which of them this build and
//! this machine offer.

use candle_core::Device;

use super::ModelError;

/// Parses a device name as the CLI and the app spell it.
pub fn parse_device(spec: &str) -> Result<Device, ModelError> {
    let spec_lower = spec.trim().to_ascii_lowercase();
    let fail = |reason: String| ModelError::Device { spec: spec.to_string(), reason };
    match spec_lower.as_str() {
        "cpu" => Ok(Device::Cpu),
        "metal" => {
            if !candle_core::utils::metal_is_available() {
                return Err(fail("this build of Attune has no Metal support (build with --features metal)".into()));
            }
            Device::new_metal(0).map_err(|e| fail(e.to_string()))
        }
        s if s == "cuda" || s.starts_with("cuda:") => {
            if !candle_core::utils::cuda_is_available() {
                return Err(fail("this build of Attune has no CUDA support (build with --features cuda)".into()));
            }
            let ordinal = match s.strip_prefix("cuda:") {
                Some(n) => n.parse::<usize>().map_err(|_| fail("write cuda:0, cuda:1, …".into()))?,
                None => 0,
            };
            Device::new_cuda(ordinal).map_err(|e| fail(e.to_string()))
        }
        _ => Err(fail("use cpu, cuda:N or metal".into())),
    }
}

/// The device names this build can try, best first (CUDA devices, Metal, then the CPU).
pub fn available_devices() -> Vec<String> {
    let mut found = Vec::new();
    if candle_core::utils::cuda_is_available() {
        for ordinal in 0..16 {
            if Device::new_cuda(ordinal).is_err() {
                break;
            }
            found.push(format!("cuda:{ordinal}"));
        }
    }
    if candle_core::utils::metal_is_available() && Device::new_metal(0).is_ok() {
        found.push("metal".into());
    }
    found.push("cpu".into());
    found
}
