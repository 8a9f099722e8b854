//! The seed-table scenarios against the in-memory stores, state in SQLite.

mod scenarios;

use scenarios::memory::MemWorld;

all_scenarios!(async { MemWorld::new() });

/// The same scenarios with Outlook writes batched (as Graph's `$batch` does).
mod batched {
    use super::scenarios;
    use super::scenarios::memory::MemWorld;
    crate::all_scenarios!(async { MemWorld::with_chunk(20) });
}
