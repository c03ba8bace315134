//! `attune` with no arguments opens the desktop app; `attune <command>` runs headless.

use std::process::ExitCode;

use clap::Parser;

// The allocator decides CPU training speed: large temporary tensors page-fault under glibc malloc
// (measured: 2.7 s per MiniLM training step with glibc, 1.1 s with mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's option setter (part of the C library the `mimalloc` crate links).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// mimalloc v2's `mi_option_purge_delay` (between `eager_commit_delay` = 14 and
/// `use_numa_nodes` = 16 in its `mi_option_e`).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// mimalloc hands freed memory back to the OS after 10 ms; every forward and backward pass then
/// gets its large temporaries as fresh pages that the kernel must zero (11 % of a q8_0 inference
/// profile in `clear_page_erms`). Keeping freed memory for reuse measured +10–20 % examples/s in
/// `attune bench` (training and inference); the peak memory is the same, it is just not returned
/// between passes.
fn keep_freed_memory() {
    // SAFETY: setting a documented option of the allocator this binary links, before any
    // thread is started; an unknown option index is ignored by mimalloc.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let cli = attune::cli::Cli::parse();
    let result = match cli.command {
        Some(command) => attune::cli::run(command),
        None => open_app(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "gui")]
fn open_app() -> anyhow::Result<()> {
    attune::app::run().map_err(anyhow::Error::msg)
}

#[cfg(not(feature = "gui"))]
fn open_app() -> anyhow::Result<()> {
    anyhow::bail!(
        "this build of Attune has no window (built without the gui feature); run `attune --help` for the commands"
    )
}
