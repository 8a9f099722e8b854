//! A switch both fakes share: hold the N-th write request, before or after
//! it is applied, so a kill-trial test can kill the client while that write
//! is in flight (it never lands) or right after it landed (the client never
//! hears of it).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Where a held write stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallAt {
    /// Before the write is applied; once released, it is answered 503 and
    /// never applied (the client that sent it is gone by then).
    BeforeApply,
    /// After the write is applied, before the answer goes out.
    AfterApply,
}

/// Counts write requests and holds the armed one.
#[derive(Debug, Default)]
pub struct WriteStall {
    writes: AtomicUsize,
    /// (the write number to hold, counted since start, and where).
    armed: Mutex<Option<(usize, StallAt)>>,
    holding: AtomicBool,
}

impl WriteStall {
    /// Hold the `nth` write from now on (1 = the next one).
    pub fn arm(&self, nth: usize, at: StallAt) {
        let base = self.writes.load(Ordering::SeqCst);
        *self.armed.lock().expect("stall") = Some((base + nth.max(1), at));
    }

    /// Write requests seen so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// True while a write is held.
    pub fn holding(&self) -> bool {
        self.holding.load(Ordering::SeqCst)
    }

    /// Let the held write go (and disarm).
    pub fn release(&self) {
        *self.armed.lock().expect("stall") = None;
        self.holding.store(false, Ordering::SeqCst);
    }

    /// Count one write request; `Some` when this one is to be held.
    pub(crate) fn on_write(&self) -> Option<StallAt> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        let mut armed = self.armed.lock().expect("stall");
        match *armed {
            Some((at_n, at)) if at_n == n => {
                *armed = None;
                self.holding.store(true, Ordering::SeqCst);
                Some(at)
            }
            _ => None,
        }
    }

    /// Wait until released. Polling keeps this free of wake-up bookkeeping;
    /// a test server does not mind a 5 ms tick.
    pub(crate) async fn hold(&self) {
        while self.holding() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
