//! The two sides as traits: what the engine needs from Oro and from Outlook.
//!
//! The real clients (HTTP to Oro and to Microsoft Graph) and the in-memory
//! stores used by tests (crate `orosync-testkit`) implement these same
//! traits, so every scenario runs unchanged against each (the "story" test
//! pattern).

use crate::model::{Item, Kind, OroRecord, OutlookItem, TaskStatus};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What a store call can fail with. The class decides what the engine does:
/// an item-level failure is reported and retried next run, the others end
/// the run with the exit status of docs/cli.md.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist (deleted on that side).
    #[error("not found: {0}")]
    NotFound(String),
    /// The server refused this item (validation); the item fails, others go on.
    #[error("{0}")]
    Rejected(String),
    /// Credentials refused or expired beyond refresh: the user must sign in again.
    #[error("authentication refused: {0}")]
    Auth(String),
    /// The server could not be reached, or kept failing after retries.
    #[error("server unavailable: {0}")]
    Unavailable(String),
    /// The delta cursor is no longer valid; list everything again.
    #[error("change cursor expired")]
    CursorExpired,
    /// The server answered something we cannot read.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

impl StoreError {
    /// Errors that concern one item only; the run goes on with the others.
    pub fn is_item_level(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound(_) | StoreError::Rejected(_) | StoreError::Malformed(_)
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The event window lives with the model (the planner reads it too).
pub use crate::model::Window;

/// Oro's side: change listing by `updatedAt` watermark, ids for deletion
/// detection, and plain CRUD. Oro has no tombstones, hence `list_ids`.
#[allow(async_fn_in_trait)]
pub trait OroStore {
    /// Records updated at or after `since` (all records when `None`), sorted
    /// by (updatedAt, id), each once. Events only within `window`.
    async fn changed_since(
        &self,
        kind: Kind,
        since: Option<DateTime<Utc>>,
        window: &Window,
    ) -> StoreResult<Vec<OroRecord>>;
    /// Ids of every record in scope now (events: within `window`).
    async fn list_ids(&self, kind: Kind, window: &Window) -> StoreResult<Vec<String>>;
    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OroRecord>>;
    /// Records of `kind` that the listings since the last call could not
    /// read (id → why): left out of `changed_since` but kept in `list_ids`,
    /// so they look unchanged, never deleted. The run lists them as skipped.
    fn take_unreadable(&self, _kind: Kind) -> std::collections::BTreeMap<String, String> {
        Default::default()
    }
    /// Values of records written since the last call that Oro could not
    /// take and kept as they were (Oro id → which field and why), such as a
    /// country that names none. The run lists them as skipped.
    fn take_skipped(&self, _kind: Kind) -> std::collections::BTreeMap<String, String> {
        Default::default()
    }
    /// Create a record. A task may come back with another status than
    /// asked (Oro's task workflow creates tasks open): the caller then moves
    /// it with [`OroStore::move_task_status`].
    async fn create(&self, item: &Item) -> StoreResult<OroRecord>;
    /// `NotFound` when the record was deleted in Oro meanwhile. A task may
    /// keep its status, as for `create`.
    async fn update(&self, id: &str, item: &Item) -> StoreResult<OroRecord>;
    /// Move task `id` to status `to` (through Oro's workflow where one
    /// manages tasks); returns the task as it is after. This default is for
    /// stores that write a status like any field.
    async fn move_task_status(&self, id: &str, to: TaskStatus) -> StoreResult<OroRecord> {
        let rec = self
            .get(Kind::Tasks, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("tasks {id}")))?;
        let Item::Tasks(mut t) = rec.item else {
            return Err(StoreError::Malformed(format!("{id} is not a task")));
        };
        t.status = to;
        self.update(id, &Item::Tasks(t)).await
    }
}

/// A page of Outlook changes.
#[derive(Clone, Debug, Default)]
pub struct OutlookChanges {
    /// Items created or changed since the cursor (everything on a full listing).
    pub items: Vec<OutlookItem>,
    /// Ids reported deleted (or moved out of the folder, list or window).
    pub removed: Vec<String>,
    /// True when `items` is the whole content: anything linked but not in it is gone.
    pub full: bool,
    /// Cursor to pass next time (Graph: the whole deltaLink).
    pub cursor: String,
}

/// One write to Outlook, so a client can send many in one `$batch`.
#[derive(Clone, Debug, PartialEq)]
pub enum OutlookWrite {
    /// Create stamped with `OroCRM_id` = `link` in the same request.
    Create {
        item: Item,
        link: String,
    },
    /// Overwrite the mapped fields (when `item` is given) and/or stamp `link`.
    Update {
        id: String,
        item: Option<Item>,
        link: Option<String>,
    },
    Delete {
        id: String,
    },
}

/// What one write returned: the item as Outlook now holds it (for create and
/// update), or nothing (delete).
pub type WriteResult = StoreResult<Option<OutlookItem>>;

/// Outlook's side: delta listing, and writes (batched where the service can).
#[allow(async_fn_in_trait)]
pub trait OutlookStore {
    /// Changes since `cursor`; a full listing when `None`. `CursorExpired`
    /// when the cursor is no longer valid (the engine then lists in full).
    async fn changes(
        &self,
        kind: Kind,
        cursor: Option<&str>,
        window: &Window,
    ) -> StoreResult<OutlookChanges>;
    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OutlookItem>>;
    /// Several items at once (Graph: 20 per `$batch`); answers in the order of `ids`.
    async fn get_many(&self, kind: Kind, ids: &[String]) -> Vec<StoreResult<Option<OutlookItem>>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.get(kind, id).await);
        }
        out
    }
    /// Apply writes of one kind; results in the same order. Deleting an item
    /// that is already gone succeeds.
    async fn write(&self, kind: Kind, writes: Vec<OutlookWrite>) -> Vec<WriteResult>;
    /// How many writes the engine should hand over at once (Graph: 20 per `$batch`).
    fn write_chunk(&self) -> usize {
        1
    }
}

/// Retry delay helper shared by clients: honour a server's Retry-After,
/// else exponential backoff with a cap and jitter (see [`backoff_with`]).
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    backoff_with(attempt, retry_after, rand::random::<f64>())
}

/// [`backoff`] with its randomness given: `unit` in `[0, 1)`. Without
/// Retry-After the wait is between half and all of 200 ms × 2^attempt
/// (attempt capped at 6): "equal jitter", so clients that failed together
/// (one gateway restarting under many users) do not all come back in the
/// same instant, and no wait shrinks to nothing.
pub fn backoff_with(attempt: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
    if let Some(d) = retry_after {
        return d;
    }
    let full = Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)));
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    full / 2 + (full / 2).mul_f64(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_between_half_and_all_of_the_step() {
        for attempt in 0..10 {
            let full = Duration::from_millis(200 << attempt.min(6));
            assert_eq!(backoff_with(attempt, None, 0.0), full / 2);
            assert_eq!(backoff_with(attempt, None, 1.0), full);
            let mid = backoff_with(attempt, None, 0.5);
            assert!(mid > full / 2 && mid < full, "{attempt}: {mid:?}");
        }
        // The random draw stays within the bounds.
        for _ in 0..200 {
            let d = backoff(3, None);
            assert!(d >= Duration::from_millis(800) && d <= Duration::from_millis(1600));
        }
        // Two draws are not all the same (200 equal draws: p = 0).
        let draws: std::collections::BTreeSet<Duration> =
            (0..200).map(|_| backoff(2, None)).collect();
        assert!(draws.len() > 1);
        // The server's Retry-After is honoured as it is.
        assert_eq!(
            backoff_with(5, Some(Duration::from_secs(3)), 0.9),
            Duration::from_secs(3)
        );
    }
}
