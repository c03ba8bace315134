//! Parsing delimited records on a second thread, so that reading, decoding and splitting the
//! file overlaps with building rows. Batches of records travel over a bounded channel (so the
//! parser runs at most a few batches ahead) and come back to be reused, so the parser allocates
//! almost nothing. When the consumer stops early (an error, a cancel), the parser stops too.

use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use csv::ByteRecord;

use super::source::read_error;
use super::{ImportError, TextEncoding};

const BATCH_RECORDS: usize = 2048;
const BATCHES_AHEAD: usize = 4;

type Batch = Result<Vec<ByteRecord>, ImportError>;

/// The consumer's end: batches of records in file order.
pub(crate) struct Records {
    batches: Receiver<Batch>,
    recycle: Sender<Vec<ByteRecord>>,
}

impl Records {
    /// The next batch, or `None` after the last record.
    pub fn next_batch(&mut self) -> Result<Option<Vec<ByteRecord>>, ImportError> {
        match self.batches.recv() {
            Ok(Ok(batch)) => Ok(Some(batch)),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// Hands a processed batch back for reuse.
    pub fn give_back(&self, batch: Vec<ByteRecord>) {
        // The parser may have finished; then the batch is simply dropped.
        let _ = self.recycle.send(batch);
    }
}

/// Runs `consume` on the records of `reader`, parsed on a second thread.
pub(crate) fn with_records<R: Read + Send, T>(
    reader: csv::Reader<R>,
    path: &Path,
    enc: TextEncoding,
    consume: impl FnOnce(&mut Records) -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    std::thread::scope(|scope| {
        let (batches_tx, batches) = sync_channel(BATCHES_AHEAD);
        let (recycle, recycle_rx) = channel();
        std::thread::Builder::new()
            .name("attune-import-parse".into())
            .spawn_scoped(scope, move || parse(reader, batches_tx, recycle_rx, path, enc))
            .map_err(|e| ImportError::Read {
                path: path.to_path_buf(),
                reason: format!("cannot start the parsing thread: {e}"),
            })?;
        let mut records = Records { batches, recycle };
        consume(&mut records)
        // Dropping `records` closes the channel; the parser stops at its next send.
    })
}

fn parse<R: Read>(
    mut reader: csv::Reader<R>,
    batches: SyncSender<Batch>,
    recycle: Receiver<Vec<ByteRecord>>,
    path: &Path,
    enc: TextEncoding,
) {
    loop {
        let mut batch = recycle.try_recv().unwrap_or_default();
        let mut n = 0;
        while n < BATCH_RECORDS {
            if batch.len() <= n {
                batch.push(ByteRecord::new());
            }
            match reader.read_byte_record(&mut batch[n]) {
                Ok(true) => n += 1,
                Ok(false) => break,
                Err(e) => {
                    let error = match e.into_kind() {
                        csv::ErrorKind::Io(io) => read_error(path, enc, io),
                        other => ImportError::Read { path: path.to_path_buf(), reason: format!("{other:?}") },
                    };
                    let _ = batches.send(Err(error));
                    return;
                }
            }
        }
        let last = n < BATCH_RECORDS;
        batch.truncate(n);
        if (n > 0 && batches.send(Ok(batch)).is_err()) || last {
            return;
        }
    }
}
