//! Long-running work shared by the fronts: a cancel token checked between steps, and the
//! waker the app installs so that a worker thread can ask for a repaint after sending an event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cheap, clonable cancel (and pause) flag. The worker checks it between steps; any front may
/// set it.
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop at its next check point.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Asks the work to wait at its next check point until resumed (or cancelled).
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Called by the worker between steps: blocks while paused, returns early when cancelled.
    pub fn wait_while_paused(&self) {
        while self.is_paused() && !self.is_cancelled() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Called by a worker after it sent an event, so a front can wake up (the app repaints).
pub type Waker = Arc<dyn Fn() + Send + Sync>;
