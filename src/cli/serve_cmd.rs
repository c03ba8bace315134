//! `attune serve`: loads a fine-tuned classifier (of texts or of words), serves predictions over
//! HTTP on this machine (see [`crate::serve`] for the API) and stops on Ctrl-C.

use std::net::TcpListener;

use anyhow::Context;
use clap::Args;

use super::commands::load_classifier;
use crate::serve::{start, ServeOptions, ENDPOINTS};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A run folder, a GGUF file exported by Attune, or any fine-tuned classifier folder or hub id
    /// (a token classifier answers with tagged words).
    #[arg(long)]
    pub model: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Address to listen on; 127.0.0.1 keeps the server private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Longest input in tokens; longer texts are truncated.
    #[arg(long, default_value_t = 256)]
    pub max_len: usize,
    /// cpu, cuda:N or metal.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "N", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most texts one model call gathers from waiting requests.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_batch: usize,
    /// Most texts one request may carry.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_texts: usize,
    /// Most requests waiting for the model at once; more are refused with 503.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub queue: usize,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.max_batch == 0 || args.max_texts == 0 || args.queue == 0 || args.max_body_bytes == 0 {
        anyhow::bail!("--max-batch, --max-texts, --queue and --max-body-bytes must each be at least 1");
    }
    super::commands::refuse_pair_model(&args.model)?;
    let listener = TcpListener::bind((args.host.as_str(), args.port)).with_context(|| {
        format!("could not listen on {}:{} (is another server using that port? try --port)", args.host, args.port)
    })?;
    let opts = ServeOptions {
        model_name: args.model.clone(),
        max_body_bytes: args.max_body_bytes,
        max_texts_per_request: args.max_texts,
        max_batch_texts: args.max_batch,
        queue_capacity: args.queue,
        ..ServeOptions::default()
    };
    let server = match super::tokens_cmd::token_model_dir(&args.model) {
        Some(dir) => start(listener, super::tokens_cmd::load(&dir, &args.device, args.max_len)?, opts)?,
        None => start(listener, load_classifier(&args.model, &args.device, args.max_len)?, opts)?,
    };
    println!("Serving {} at http://{} ({ENDPOINTS}). Press Ctrl-C to stop.", args.model, server.local_addr());
    wait_for_ctrl_c()?;
    println!("Stopping: finishing open requests.");
    server.shutdown()?;
    Ok(())
}

fn wait_for_ctrl_c() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not set up the Ctrl-C handler")?;
    runtime.block_on(tokio::signal::ctrl_c()).context("could not listen for Ctrl-C")
}
