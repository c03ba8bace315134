//! Starting and stopping a server: [`start`] takes a bound listener and a model, runs the HTTP
//! side on its own small tokio runtime thread and the model on its own thread, and returns a
//! [`ServerHandle`]. The CLI and the tests use the same function; `shutdown` (or dropping the
//! handle) lets open requests finish, within a grace period, then stops both threads.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use super::batcher::{Batcher, ServeStats};
use super::routes::{router, AppState};
use super::{Classifier, ServeOptions};

/// Why a server could not start or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not start the server's {what}: {source}")]
    Start { what: &'static str, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Stopped(String),
}

/// A running server. Dropping it stops the server, like [`ServerHandle::shutdown`].
pub struct ServerHandle {
    local_addr: SocketAddr,
    stats: Arc<ServeStats>,
    stop: Option<oneshot::Sender<()>>,
    http_thread: Option<JoinHandle<Result<(), String>>>,
    model_thread: Option<JoinHandle<()>>,
}

/// Serves `model` on `listener` until the handle is shut down or dropped.
pub fn start(listener: TcpListener, model: impl Classifier, opts: ServeOptions) -> Result<ServerHandle, ServeError> {
    let start_err = |what| move |source| ServeError::Start { what, source };
    let local_addr = listener.local_addr().map_err(start_err("listener"))?;
    listener.set_nonblocking(true).map_err(start_err("listener"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.http_threads.max(1))
        .thread_name("attune-serve-http")
        .enable_all()
        .build()
        .map_err(start_err("HTTP runtime"))?;
    let listener = {
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(start_err("listener"))?
    };
    let (labels, problem_type) = (model.labels().to_vec(), model.problem_type());
    let (batcher, model_thread, stats) =
        Batcher::spawn(model, opts.queue_capacity, opts.max_batch_texts).map_err(start_err("model thread"))?;
    let state = Arc::new(AppState {
        batcher,
        labels,
        problem_type,
        model_name: opts.model_name.clone(),
        max_body_bytes: opts.max_body_bytes,
        max_texts_per_request: opts.max_texts_per_request,
    });
    let app = router(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let grace = Duration::from_secs(opts.shutdown_grace_secs);
    let http_thread = std::thread::Builder::new()
        .name("attune-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let asked = Arc::new(Notify::new());
                let asked_to_stop = Arc::clone(&asked);
                let signal = async move {
                    let _ = stopped.await;
                    asked_to_stop.notify_one();
                };
                let serve = axum::serve(listener, app).with_graceful_shutdown(signal);
                tokio::select! {
                    result = serve => result.map_err(|e| e.to_string()),
                    () = async { asked.notified().await; tokio::time::sleep(grace).await } => Ok(()),
                }
            })
        })
        .map_err(start_err("HTTP thread"))?;
    Ok(ServerHandle {
        local_addr,
        stats,
        stop: Some(stop),
        http_thread: Some(http_thread),
        model_thread: Some(model_thread),
    })
}

impl ServerHandle {
    /// The address the server listens on (with the real port when it was bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Counters: model calls, texts classified, requests waiting.
    pub fn stats(&self) -> &ServeStats {
        &self.stats
    }

    /// Stops accepting connections, lets open requests finish (within the grace period), and
    /// waits for the HTTP and model threads to end.
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        self.stop_threads()
    }

    fn stop_threads(&mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let mut outcome = Ok(());
        if let Some(thread) = self.http_thread.take() {
            outcome = match thread.join() {
                Ok(result) => result.map_err(ServeError::Stopped),
                Err(_) => Err(ServeError::Stopped("the HTTP thread stopped with an internal error".into())),
            };
        }
        // The HTTP side held the queue's senders; with them gone the model thread finishes.
        if let Some(thread) = self.model_thread.take() {
            if thread.join().is_err() && outcome.is_ok() {
                outcome = Err(ServeError::Stopped("the model thread stopped with an internal error".into()));
            }
        }
        outcome
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_threads();
    }
}
