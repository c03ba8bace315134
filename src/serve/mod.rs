//! The local prediction server behind `attune serve`: a small HTTP JSON API on this machine.
//!
//! - `GET /health` → `{"status": "ok", "model": "<path>", "labels": [...], "problem_type": "…"}`
//! - `POST /predict` with `{"texts": ["…", …]}` (or `{"text": "…"}` for one text) →
//!   `{"predictions": [{"label": "pos", "probabilities": {"neg": 0.1, "pos": 0.9}}, …]}`,
//!   one per text in input order, also for the single-text form. A multi-label model answers
//!   `{"labels": [...], "probabilities": {…}}` (the labels at or above their tuned thresholds), a
//!   regression model `{"score": 2.5}`, a token classifier `{"words": [...], "tags": [...],
//!   "entities": [{"type", "text", "start_word", "end_word", "confidence"}]}`.
//! - Any refusal is `{"error": "<what to do>"}` with a 4xx/5xx status: 400 for a body that is not
//!   the JSON above, 413 for a body or text count over the limits, 404/405 for other paths and
//!   methods, 503 when the queue is full, 500 when the model fails on the texts.
//!
//! The model lives on one thread (module `batcher`); concurrent requests are batched into shared
//! model calls. [`start`] is the entry point for both the CLI and the tests.

mod batcher;
mod classifier;
mod options;
mod reply;
mod request;
mod routes;
mod server;

pub use batcher::ServeStats;
pub use classifier::Classifier;
pub use options::ServeOptions;
pub use request::{parse_predict_body, RequestError};
pub use routes::ENDPOINTS;
pub use server::{start, ServeError, ServerHandle};
