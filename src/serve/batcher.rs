//! The model thread and its queue. One named thread owns the model; request handlers put jobs
//! on a bounded queue and wait on their own reply channel. The thread takes one job, then drains
//! whatever else is already queued up to a number of texts, and runs one model call for all of
//! them, so concurrent clients share batches. A full queue refuses new jobs at once (bounded
//! memory); a failed call is retried job by job, so only the job that fails gets the error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::reply::Prediction;
use super::Classifier;

/// The answers for a job's texts, or a sentence saying why the model failed.
pub type JobResult = Result<Vec<Prediction>, String>;

/// Texts from one request and where to send their probabilities.
struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<JobResult>,
}

/// Counters the tests and the load tool read while the server runs.
#[derive(Debug, Default)]
pub struct ServeStats {
    model_calls: AtomicU64,
    texts_predicted: AtomicU64,
    queued_jobs: AtomicUsize,
}

impl ServeStats {
    /// How many times the model has been called (one call may answer several requests).
    pub fn model_calls(&self) -> u64 {
        self.model_calls.load(Ordering::SeqCst)
    }

    /// How many texts the model has classified.
    pub fn texts_predicted(&self) -> u64 {
        self.texts_predicted.load(Ordering::SeqCst)
    }

    /// How many requests are waiting in the queue (not yet taken by the model thread).
    pub fn queued_jobs(&self) -> usize {
        self.queued_jobs.load(Ordering::SeqCst)
    }
}

/// Why a job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// The queue holds as many jobs as it may.
    Full { capacity: usize },
    /// The model thread has stopped (the server is shutting down).
    Stopped,
}

/// The handlers' side of the queue; cheap to clone.
#[derive(Clone)]
pub struct Batcher {
    jobs: mpsc::Sender<Job>,
    stats: Arc<ServeStats>,
    capacity: usize,
}

impl Batcher {
    /// Starts the model thread; it stops when every `Batcher` clone is dropped and the queue is empty.
    pub fn spawn(
        model: impl Classifier,
        queue_capacity: usize,
        max_batch_texts: usize,
    ) -> std::io::Result<(Self, JoinHandle<()>, Arc<ServeStats>)> {
        let capacity = queue_capacity.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let stats = Arc::new(ServeStats::default());
        let worker_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("attune-serve-model".into())
            .spawn(move || run_worker(model, rx, &worker_stats, max_batch_texts.max(1)))?;
        Ok((Self { jobs: tx, stats: Arc::clone(&stats), capacity }, thread, stats))
    }

    /// Queues texts for the model; the receiver gets their answers.
    pub fn submit(&self, texts: Vec<String>) -> Result<oneshot::Receiver<JobResult>, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.stats.queued_jobs.fetch_add(1, Ordering::SeqCst);
        match self.jobs.try_send(Job { texts, reply }) {
            Ok(()) => Ok(answer),
            Err(e) => {
                self.stats.queued_jobs.fetch_sub(1, Ordering::SeqCst);
                Err(match e {
                    mpsc::error::TrySendError::Full(_) => SubmitError::Full { capacity: self.capacity },
                    mpsc::error::TrySendError::Closed(_) => SubmitError::Stopped,
                })
            }
        }
    }
}

fn run_worker(mut model: impl Classifier, mut rx: mpsc::Receiver<Job>, stats: &ServeStats, max_batch_texts: usize) {
    let mut next: Option<Job> = None;
    loop {
        let first = match next.take() {
            Some(job) => job,
            None => match rx.blocking_recv() {
                Some(job) => taken(job, stats),
                None => return,
            },
        };
        let mut count = first.texts.len();
        let mut jobs = vec![first];
        while count < max_batch_texts {
            let Ok(job) = rx.try_recv() else { break };
            let job = taken(job, stats);
            if count + job.texts.len() > max_batch_texts {
                next = Some(job);
                break;
            }
            count += job.texts.len();
            jobs.push(job);
        }
        answer_batch(&mut model, jobs, stats, max_batch_texts);
    }
}

fn taken(job: Job, stats: &ServeStats) -> Job {
    stats.queued_jobs.fetch_sub(1, Ordering::SeqCst);
    job
}

/// Runs one model call for the jobs whose clients still wait; on failure, one call per job.
fn answer_batch(model: &mut impl Classifier, jobs: Vec<Job>, stats: &ServeStats, batch_size: usize) {
    let jobs: Vec<Job> = jobs.into_iter().filter(|job| !job.reply.is_closed()).collect();
    if jobs.is_empty() {
        return;
    }
    let texts: Vec<&str> = jobs.iter().flat_map(|job| job.texts.iter().map(String::as_str)).collect();
    match call_model(model, &texts, stats, batch_size) {
        Ok(mut rows) => {
            for job in jobs {
                let rest = rows.split_off(job.texts.len());
                let _ = job.reply.send(Ok(rows));
                rows = rest;
            }
        }
        Err(message) if jobs.len() == 1 => {
            for job in jobs {
                let _ = job.reply.send(Err(message.clone()));
            }
        }
        Err(_) => {
            for job in jobs {
                let texts: Vec<&str> = job.texts.iter().map(String::as_str).collect();
                let _ = job.reply.send(call_model(model, &texts, stats, batch_size));
            }
        }
    }
}

/// One model call that cannot take the thread down: a panic becomes an error, and a wrong
/// number of rows is an error rather than a mix-up between clients.
fn call_model(model: &mut impl Classifier, texts: &[&str], stats: &ServeStats, batch_size: usize) -> JobResult {
    stats.model_calls.fetch_add(1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(|| model.answers(texts, batch_size)))
        .unwrap_or_else(|_| Err("the model stopped with an internal error on these texts".into()))?;
    if result.len() != texts.len() {
        return Err(format!("the model returned {} results for {} texts", result.len(), texts.len()));
    }
    stats.texts_predicted.fetch_add(texts.len() as u64, Ordering::SeqCst);
    Ok(result)
}
