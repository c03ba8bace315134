//! Which matrix-product micro-kernel the app runs: the fastest this CPU has unless
//! `ATTUNE_SGEMM_KERNEL` names another it can run (how benchmarks compare kernels in one build),
//! reported by `attune bench` so that every measurement says which kernel made it.

use std::process::Command;

use attune::model::kernels::sgemm::MicroKernel;

/// The `matrix_kernel` an inference-only `attune bench` run reports with this setting.
fn reported_kernel(setting: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_attune"));
    command.args(["bench", "--skip-train", "--reps", "1", "--warmup", "0", "--infer-batch-size", "2", "--json"]);
    match setting {
        Some(name) => command.env("ATTUNE_SGEMM_KERNEL", name),
        None => command.env_remove("ATTUNE_SGEMM_KERNEL"),
    };
    let out = command.output().expect("attune runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    report["matrix_kernel"].as_str().expect("the report names the kernel").to_string()
}

#[test]
fn the_fastest_kernel_runs_unless_another_is_named() {
    let here: Vec<MicroKernel> = MicroKernel::FASTEST_FIRST.into_iter().filter(|k| k.runs_here()).collect();
    let fastest = here.first().map(|k| k.name()).unwrap_or("gemm crate");
    assert_eq!(reported_kernel(None), fastest);
    assert_eq!(reported_kernel(Some("none")), "gemm crate");
    for kernel in &here {
        assert_eq!(reported_kernel(Some(kernel.name())), kernel.name());
    }
    // A name this CPU cannot run (or a misspelling) falls back to the fastest.
    assert_eq!(reported_kernel(Some("avx1024")), fastest);
}
