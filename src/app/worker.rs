//! Long work off the UI thread: a named worker thread sends events over a bounded channel, wakes
//! the UI (`request_repaint`) after each, and honours a cancel/pause token. The UI drains the
//! channel each frame within a small time budget.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use crate::jobs::CancelToken;

/// The sending side given to the work: `send` returns false once the UI has gone away.
pub struct Sender<E> {
    tx: SyncSender<E>,
    ctx: egui::Context,
}

impl<E> Sender<E> {
    pub fn send(&self, event: E) -> bool {
        let ok = self.tx.send(event).is_ok();
        self.ctx.request_repaint();
        ok
    }
}

/// A running (or finished) piece of work and its events.
pub struct Job<E> {
    rx: Receiver<E>,
    pub control: CancelToken,
    finished: bool,
}

impl<E: Send + 'static> Job<E> {
    /// Starts `work` on a thread called `name`.
    pub fn spawn(
        name: &str,
        ctx: &egui::Context,
        work: impl FnOnce(&Sender<E>, &CancelToken) + Send + 'static,
    ) -> Result<Self, String> {
        let (tx, rx) = sync_channel(256);
        let control = CancelToken::new();
        let sender = Sender { tx, ctx: ctx.clone() };
        let token = control.clone();
        std::thread::Builder::new()
            .name(format!("attune-{name}"))
            .spawn(move || work(&sender, &token))
            .map_err(|e| format!("could not start the {name} work ({e})"))?;
        Ok(Self { rx, control, finished: false })
    }

    /// The events that arrived, stopping after `budget` so a frame stays short.
    pub fn drain(&mut self, budget: Duration) -> Vec<E> {
        let start = Instant::now();
        let mut out = Vec::new();
        while start.elapsed() < budget {
            match self.rx.try_recv() {
                Ok(e) => out.push(e),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.finished = true;
                    break;
                }
            }
        }
        out
    }

    /// True once the worker has ended and every event was drained.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// The per-frame budget for draining one job's events.
pub const DRAIN_BUDGET: Duration = Duration::from_millis(4);
