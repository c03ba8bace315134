//! Attune: fine-tune, explain and export transformer text classifiers on your own machine.
//!
//! The crate is a core library with two thin fronts. The core modules own the work:
//! [`data`] reads datasets, [`model`] finds checkpoints and runs our own trainable BERT-family
//! encoder, [`train`] fine-tunes it and measures it, [`jobs`] carries cancel flags and progress
//! events for long work. The fronts only call the core: [`cli`] is the headless command line and
//! `app` (feature `gui`) is the egui desktop app. The core never names egui or clap.

pub mod allocator;
pub mod assist;
pub mod cli;
pub mod data;
pub mod explain;
pub mod export;
pub mod jobs;
pub mod model;
pub mod project;
pub mod quant;
pub mod serve;
pub mod settings;
pub mod thread_pools;
pub mod train;

#[cfg(feature = "gui")]
pub mod app;
