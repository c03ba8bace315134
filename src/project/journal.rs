//! Durability: every change is appended to `journal.jsonl` and synced to disk before it counts as
//! done; `state.json` is a snapshot (written to a temporary file, synced, renamed) that the journal
//! is compacted into from time to time. On open, the snapshot is read and the journal replayed.
//! A torn last line (a crash during a write that was never acknowledged) is cut off; a damaged
//! line in the middle is an error, never silently skipped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::state::{Op, State};
use super::ProjectError;

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const SNAPSHOT_FILE: &str = "state.json";

#[derive(Serialize, Deserialize)]
struct Entry {
    seq: u64,
    #[serde(flatten)]
    op: Op,
}

#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    /// The last journal sequence number included in this state.
    pub seq: u64,
    pub state: State,
}

pub struct Journal {
    path: PathBuf,
    file: File,
    /// Entries appended since the last snapshot.
    pub pending: usize,
}

impl Journal {
    /// Opens (or creates) the journal and returns the entries after `after_seq`, in order.
    pub fn open(dir: &Path, after_seq: u64) -> Result<(Self, Vec<(u64, Op)>), ProjectError> {
        let path = dir.join(JOURNAL_FILE);
        let damaged = |reason: String| ProjectError::Damaged { file: JOURNAL_FILE, reason, path: path.clone() };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| ProjectError::write(&path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| damaged(e.to_string()))?;
        // Everything after the last newline is a torn write that was never acknowledged.
        let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut entries = Vec::new();
        for (i, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let entry: Entry =
                serde_json::from_slice(line).map_err(|e| damaged(format!("line {} cannot be read: {e}", i + 1)))?;
            if entry.seq > after_seq {
                entries.push((entry.seq, entry.op));
            }
        }
        if complete_len < bytes.len() {
            file.set_len(complete_len as u64).map_err(|e| ProjectError::write(&path, e))?;
            file.sync_all().map_err(|e| ProjectError::write(&path, e))?;
        }
        file.seek(SeekFrom::End(0)).map_err(|e| ProjectError::write(&path, e))?;
        let pending = entries.len();
        Ok((Self { path, file, pending }, entries))
    }

    /// Appends one change and syncs it to disk. Only after this returns is the change done.
    pub fn append(&mut self, seq: u64, op: &Op) -> Result<(), ProjectError> {
        let mut line = serde_json::to_vec(&EntryRef { seq, op }).map_err(|e| ProjectError::write(&self.path, e))?;
        line.push(b'\n');
        let before = self.file.metadata().map(|m| m.len()).ok();
        let result = self.file.write_all(&line).and_then(|_| self.file.sync_data());
        if let Err(e) = result {
            // Leave no half-written line behind: cut back to where this append started.
            if let Some(len) = before {
                let _ = self.file.set_len(len);
            }
            return Err(ProjectError::write(&self.path, e));
        }
        self.pending += 1;
        Ok(())
    }

    /// Starts an empty journal (after a snapshot holds everything in it).
    pub fn reset(&mut self) -> Result<(), ProjectError> {
        let tmp = self.path.with_extension("jsonl.new");
        let fresh =
            File::create(&tmp).and_then(|f| f.sync_all().map(|_| f)).map_err(|e| ProjectError::write(&tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| ProjectError::write(&self.path, e))?;
        sync_dir(&self.path);
        drop(fresh);
        self.file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(|e| ProjectError::write(&self.path, e))?;
        self.pending = 0;
        Ok(())
    }
}

#[derive(Serialize)]
struct EntryRef<'a> {
    seq: u64,
    #[serde(flatten)]
    op: &'a Op,
}

/// Reads the snapshot, or an empty state at sequence 0 when there is none yet.
pub fn read_snapshot(dir: &Path) -> Result<Option<Snapshot>, ProjectError> {
    let path = dir.join(SNAPSHOT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| ProjectError::Damaged {
            file: SNAPSHOT_FILE,
            reason: e.to_string(),
            path,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ProjectError::Damaged { file: SNAPSHOT_FILE, reason: e.to_string(), path }),
    }
}

/// Writes the snapshot atomically: temporary file, sync, rename, sync the folder.
pub fn write_snapshot(dir: &Path, snapshot: &Snapshot) -> Result<(), ProjectError> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = serde_json::to_vec(snapshot).map_err(|e| ProjectError::write(&path, e))?;
    write_file_atomic(&path, &bytes)
}

/// Writes a whole file atomically (temporary sibling, sync, rename, sync the folder).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProjectError> {
    let tmp = path.with_extension("partial");
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ProjectError::write(path, e));
    }
    sync_dir(path);
    Ok(())
}

fn sync_dir(path: &Path) {
    if let Some(parent) = path.parent() {
        if let Ok(d) = File::open(parent) {
            let _ = d.sync_all();
        }
    }
}
