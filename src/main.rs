//! `attune` with no arguments opens the desktop app; `attune <command>` runs headless.

use std::process::ExitCode;

use clap::Parser;

// The allocator decides CPU training speed: large temporary tensors page-fault under glibc malloc
// (measured: 2.7 s per MiniLM training step with glibc, 1.1 s with mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    attune::allocator::keep_freed_memory();
    attune::thread_pools::stop_candle_workers_spinning_long();
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
