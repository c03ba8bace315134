//! The server's settings: where it listens is the caller's business (it passes a bound
//! listener); these are the limits that keep one busy or careless client from exhausting
//! memory, and the name the health check reports.

/// Limits and names for one server. `Default` gives the values `attune serve` starts with.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// What `GET /health` reports as the model (the path or id the server was started with).
    pub model_name: String,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Most texts one request may carry; more get 413 with the limit in the message.
    pub max_texts_per_request: usize,
    /// Most texts the model worker gathers from queued requests into one model call. A single
    /// request with more texts than this still runs as one call, in batches of this size.
    pub max_batch_texts: usize,
    /// Most requests waiting for the model at once; when full, new requests get 503.
    pub queue_capacity: usize,
    /// Threads that parse requests and write replies (the model has its own thread).
    pub http_threads: usize,
    /// How long shutdown waits for open requests to finish before dropping them.
    pub shutdown_grace_secs: u64,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            model_name: String::new(),
            max_body_bytes: 1024 * 1024,
            max_texts_per_request: 1024,
            max_batch_texts: 64,
            queue_capacity: 256,
            http_threads: 2,
            shutdown_grace_secs: 10,
        }
    }
}
