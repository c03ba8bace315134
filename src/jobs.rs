//! Long-running work shared by the fronts: a cancel token checked between steps, and the
//! waker the app installs so that a worker thread can ask for a repaint after sending an event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cheap, clonable cancel flag. The worker checks it between steps; any front may set it.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop at its next check point.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Called by a worker after it sent an event, so a front can wake up (the app repaints).
pub type Waker = Arc<dyn Fn() + Send + Sync>;
