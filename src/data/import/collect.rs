//! Gathering rows as a format reads them: numbering data rows, keeping every unreadable row as a
//! problem, reporting progress every 65,536 rows, stopping when cancelled, and the whole-file
//! checks at the end (no rows, no readable rows, an empty target column).

use std::path::{Path, PathBuf};

use super::source::Tally;
use super::{ImportError, ImportProgress, ImportReport, ImportedRow, RowProblem};
use crate::jobs::CancelToken;

const PROGRESS_EVERY_ROWS: usize = 1 << 16;
const CANCEL_CHECK_EVERY_ROWS: usize = 1 << 10;

/// Progress reporting and cancelling for one import.
pub(crate) struct Progress<'a> {
    pub on_progress: &'a mut dyn FnMut(ImportProgress),
    pub cancel: &'a CancelToken,
    pub total_bytes: u64,
    pub tally: Tally,
}

pub(crate) struct Collector<'a> {
    rows: Vec<ImportedRow>,
    report: ImportReport,
    targeted: usize,
    progress: Progress<'a>,
    path: PathBuf,
    /// Parquet reads bytes outside the tally; it reports its own count.
    extra_bytes: u64,
    position: u64,
}

impl<'a> Collector<'a> {
    pub fn new(progress: Progress<'a>, path: &Path) -> Result<Self, ImportError> {
        let mut c = Collector {
            rows: Vec::new(),
            report: ImportReport::default(),
            targeted: 0,
            progress,
            path: path.to_path_buf(),
            extra_bytes: 0,
            position: 0,
        };
        c.check_cancel()?;
        c.report_progress();
        Ok(c)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes room for this many more rows (when the format knows its row count).
    pub fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
    }

    /// Where in the (decoded) text the current row starts, for sizing the row vector.
    pub fn at_byte(&mut self, position: u64) {
        self.position = position;
    }

    /// Grows the row vector to the number of rows the file will likely hold, estimated from
    /// the rows per byte so far, rather than doubling (which would copy all rows each time and
    /// leave up to half the capacity unused).
    fn grow(&mut self) {
        let len = self.rows.len();
        let (done, total) = (self.position, self.progress.total_bytes);
        let extra = if len >= 4096 && done > 0 && done < total {
            (len as f64 * (total - done) as f64 / done as f64 * 1.03) as usize + 4096
        } else {
            len.max(1024)
        };
        self.rows.reserve(extra);
    }

    /// Starts the next data row and returns its 0-based number.
    pub fn next_row(&mut self) -> Result<usize, ImportError> {
        let row = self.report.rows_seen;
        self.report.rows_seen += 1;
        if row.is_multiple_of(CANCEL_CHECK_EVERY_ROWS) {
            self.check_cancel()?;
        }
        if row > 0 && row.is_multiple_of(PROGRESS_EVERY_ROWS) {
            self.report_progress();
        }
        Ok(row)
    }

    /// Keeps the row, or its problem.
    pub fn push(&mut self, row: usize, line: Option<u64>, result: Result<ImportedRow, String>) {
        match result {
            Ok(r) => {
                if self.rows.len() == self.rows.capacity() {
                    self.grow();
                }
                let has_entities = r.tags.as_ref().is_some_and(|t| t.iter().any(|t| t != "O"));
                if !r.labels.is_empty() || r.score.is_some() || has_entities {
                    self.targeted += 1;
                }
                self.rows.push(r);
            }
            Err(message) => self.problem(row, line, message),
        }
    }

    pub fn problem(&mut self, row: usize, line: Option<u64>, message: String) {
        self.report.problems.push(RowProblem { row, line, message });
    }

    pub fn converted_tags(&mut self, count: usize) {
        self.report.converted_tags += count;
    }

    pub fn blank_line(&mut self) {
        self.report.blank_lines += 1;
    }

    pub fn set_extra_bytes(&mut self, bytes: u64) {
        self.extra_bytes = bytes;
    }

    fn check_cancel(&self) -> Result<(), ImportError> {
        if self.progress.cancel.is_cancelled() {
            return Err(ImportError::Cancelled { path: self.path.clone() });
        }
        Ok(())
    }

    fn report_progress(&mut self) {
        let bytes_read = (self.progress.tally.bytes_read() + self.extra_bytes).min(self.progress.total_bytes);
        let p = ImportProgress { bytes_read, total_bytes: self.progress.total_bytes, rows: self.report.rows_seen };
        (self.progress.on_progress)(p);
    }

    /// The rows and report so far, without the end-of-import checks (for previews).
    pub fn into_parts(self) -> (Vec<ImportedRow>, ImportReport) {
        (self.rows, self.report)
    }

    /// Ends the import. `target` names the label or score column, if the spec has one:
    /// when no row has a value there, the column was most likely chosen by mistake.
    pub fn finish(
        mut self,
        target: Option<(&'static str, String)>,
    ) -> Result<(Vec<ImportedRow>, ImportReport), ImportError> {
        self.check_cancel()?;
        self.report_progress();
        let path = self.path.clone();
        if self.rows.is_empty() {
            return Err(match self.report.problems.first() {
                None => ImportError::NoRows { path },
                Some(first) => ImportError::NoReadableRows {
                    path,
                    problems: self.report.problems.len(),
                    first_row: first.row,
                    first_message: first.message.clone(),
                },
            });
        }
        if let Some((role, column)) = target {
            if self.targeted == 0 {
                return Err(ImportError::EmptyTargetColumn { path, role, column });
            }
        }
        Ok((self.rows, self.report))
    }
}
