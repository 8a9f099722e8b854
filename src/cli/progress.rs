//! Progress of a sync on a terminal: one line on stderr, rewritten in
//! place ("contacts: 420 read, 180 written, 60 remaining"), erased at the
//! end so the summary stands alone. Off when stderr is not a terminal (logs
//! and scripts get no control characters) and with `--json`.

use crate::engine::Progress;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Redraw at most this often: a fast run writes thousands of items.
const EVERY: Duration = Duration::from_millis(100);

pub struct ProgressLine {
    on: bool,
    /// When the line was last drawn (`None`: never).
    last: Mutex<Option<Instant>>,
}

impl ProgressLine {
    pub fn new(on: bool) -> ProgressLine {
        ProgressLine {
            on,
            last: Mutex::new(None),
        }
    }

    pub fn update(&self, p: &Progress) {
        if !self.on {
            return;
        }
        let mut last = self.last.lock().expect("progress lock");
        let start_or_end = p.written == 0 || p.remaining == 0;
        if !start_or_end && last.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        // \r and "erase line": the next draw replaces this one.
        let _ = write!(
            err,
            "\r\x1b[2K{}: {} read, {} written, {} remaining",
            p.kind, p.read, p.written, p.remaining
        );
        let _ = err.flush();
    }

    /// Erase the line, if one was drawn.
    pub fn finish(&self) {
        if self.on && self.last.lock().expect("progress lock").is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}
