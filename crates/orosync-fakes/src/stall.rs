//! A switch both fakes share: hold the N-th write, before or after it is
//! applied, so a kill-trial test can kill the client while that write is in
//! flight (it never lands) or right after it landed (the client never hears
//! of it).
//!
//! A write is one request that changes data (any method but GET), or one
//! such member of a Graph `$batch`: a batch of 20 writes is 20 points a
//! kill can fall between (the fake applies members 1..k, then holds), and a
//! batch of reads is no write at all. Every write is recorded as a
//! [`WritePoint`] so a test can tell which points it held.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Where a held write stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StallAt {
    /// Before the write is applied; once released, it is answered 503 and
    /// never applied (the client that sent it is gone by then). In a
    /// `$batch`, the members before it are applied, it and the rest are not.
    BeforeApply,
    /// After the write is applied, before the answer goes out. In a
    /// `$batch`, the members up to it are applied, the rest are not.
    AfterApply,
}

/// One write as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WritePoint {
    /// Upper case: POST, PATCH, DELETE, ...
    pub method: String,
    /// The path without query (for a `$batch` member, its `url`'s path,
    /// without the `/v1.0` the batch itself was sent to).
    pub path: String,
    /// A member of a `$batch` rather than a request of its own.
    pub in_batch: bool,
}

impl WritePoint {
    pub(crate) fn new(method: &str, path: &str, in_batch: bool) -> WritePoint {
        let path = path.split('?').next().unwrap_or("");
        let path = path.strip_prefix("/v1.0").unwrap_or(path);
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        WritePoint {
            method: method.to_ascii_uppercase(),
            path,
            in_batch,
        }
    }
}

/// Which write an armed stall holds.
type Matcher = Box<dyn Fn(&WritePoint) -> bool + Send + Sync>;

struct Armed {
    /// Matching writes still to let through before the one held.
    skip: usize,
    at: StallAt,
    matches: Matcher,
}

/// Counts writes, records them, and holds the armed one.
#[derive(Default)]
pub struct WriteStall {
    writes: AtomicUsize,
    armed: Mutex<Option<Armed>>,
    holding: AtomicBool,
    /// Every write seen, in the order seen.
    seen: Mutex<Vec<WritePoint>>,
    /// Every write held, with where.
    held: Mutex<Vec<(WritePoint, StallAt)>>,
}

impl std::fmt::Debug for WriteStall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteStall")
            .field("writes", &self.writes)
            .field("holding", &self.holding)
            .finish_non_exhaustive()
    }
}

impl WriteStall {
    /// Hold the `nth` write from now on (1 = the next one).
    pub fn arm(&self, nth: usize, at: StallAt) {
        self.arm_matching(nth, at, |_| true);
    }

    /// Hold the `nth` write from now on that `matches` accepts.
    pub fn arm_matching(
        &self,
        nth: usize,
        at: StallAt,
        matches: impl Fn(&WritePoint) -> bool + Send + Sync + 'static,
    ) {
        *self.armed.lock().expect("stall") = Some(Armed {
            skip: nth.max(1) - 1,
            at,
            matches: Box::new(matches),
        });
    }

    /// Writes seen so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// Every write seen so far, in order.
    pub fn seen(&self) -> Vec<WritePoint> {
        self.seen.lock().expect("stall").clone()
    }

    /// Every write held so far, with where it was held.
    pub fn held(&self) -> Vec<(WritePoint, StallAt)> {
        self.held.lock().expect("stall").clone()
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

    /// Count one write; `Some` when this one is to be held.
    pub(crate) fn on_write(&self, point: WritePoint) -> Option<StallAt> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().expect("stall").push(point.clone());
        let mut armed = self.armed.lock().expect("stall");
        let a = armed.as_mut()?;
        if !(a.matches)(&point) {
            return None;
        }
        if a.skip > 0 {
            a.skip -= 1;
            return None;
        }
        let at = a.at;
        *armed = None;
        self.held.lock().expect("stall").push((point, at));
        self.holding.store(true, Ordering::SeqCst);
        Some(at)
    }

    /// Wait until released. Polling keeps this free of wake-up bookkeeping;
    /// a test server does not mind a 5 ms tick.
    pub(crate) async fn hold(&self) {
        while self.holding() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
