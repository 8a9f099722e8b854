//! In-memory Oro and Outlook stores that behave like the real services:
//! server-assigned ids, modification times at Oro's one-second precision, a
//! linked-item field on the Outlook side, delta cursors that can expire, and
//! events limited to a window. Tests drive them as a user would (`user_*`),
//! and can inject a crash at any write position.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use orosync::clock::Clock;
use orosync::model::{Item, Kind, OroRecord, OutlookItem};
use orosync::sides::{
    OroStore, OutlookChanges, OutlookStore, OutlookWrite, StoreError, StoreResult, Window,
    WriteResult,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A shared countdown of writes after which every write fails as if the
/// process had been killed: `before` (the write is not applied) or after
/// (the write is applied but its answer is lost).
#[derive(Clone, Debug, Default)]
pub struct CrashSwitch(Arc<Mutex<Option<(usize, bool)>>>);

impl CrashSwitch {
    /// Crash at the `n`-th write from now (0 = the next one).
    pub fn arm(&self, n: usize, after_write: bool) {
        *self.0.lock().expect("crash lock") = Some((n, after_write));
    }
    pub fn disarm(&self) {
        *self.0.lock().expect("crash lock") = None;
    }
    /// Called at each write: `Some(after)` when this write crashes. Once it
    /// fired it stays fired (a killed process writes nothing more).
    fn tick(&self) -> Option<bool> {
        let mut g = self.0.lock().expect("crash lock");
        match g.as_mut() {
            None => None,
            Some((0, after)) => {
                let fired = *after;
                *after = false;
                Some(fired)
            }
            Some((n, _)) => {
                *n -= 1;
                None
            }
        }
    }
}

fn crashed() -> StoreError {
    StoreError::Unavailable("injected crash".into())
}

/// Counts of writes made through the trait (that is, by the sync).
pub use orosync::summary::Counts as WriteCounts;

fn in_scope(item: &Item, window: &Window) -> bool {
    !item.outside_window(window.from, window.to)
}

// ---------------------------------------------------------------- Oro

#[derive(Default)]
struct OroInner {
    records: BTreeMap<(Kind, u64), OroRecord>,
    next_id: u64,
    writes: WriteCounts,
    rejects: Vec<String>,
}

/// Oro in memory: integer ids, `updatedAt` truncated to the second.
#[derive(Clone)]
pub struct MemoryOro {
    inner: Arc<Mutex<OroInner>>,
    clock: Arc<dyn Clock>,
    crash: CrashSwitch,
}

impl MemoryOro {
    pub fn new(clock: Arc<dyn Clock>, crash: CrashSwitch) -> Self {
        MemoryOro {
            inner: Arc::new(Mutex::new(OroInner {
                next_id: 1,
                ..Default::default()
            })),
            clock,
            crash,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock
            .now()
            .duration_trunc(TimeDelta::seconds(1))
            .expect("truncate to second")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OroInner> {
        self.inner.lock().expect("oro lock")
    }

    /// A user creates a record in Oro.
    pub fn user_create(&self, item: Item) -> String {
        let now = self.now();
        let mut g = self.lock();
        let id = g.next_id;
        g.next_id += 1;
        let rec = OroRecord {
            id: id.to_string(),
            created_at: now,
            updated_at: now,
            recurring: false,
            item,
        };
        g.records.insert((rec.item.kind(), id), rec);
        id.to_string()
    }

    /// A user creates a recurring event in Oro (never synced).
    pub fn user_create_recurring(&self, item: Item) -> String {
        let id = self.user_create(item);
        let kind = Kind::Events;
        let mut g = self.lock();
        if let Some(r) = g.records.get_mut(&(kind, id.parse().expect("id"))) {
            r.recurring = true;
        }
        id
    }

    /// A user edits a record in Oro.
    pub fn user_edit(&self, kind: Kind, id: &str, f: impl FnOnce(&mut Item)) {
        let now = self.now();
        let mut g = self.lock();
        let rec = g
            .records
            .get_mut(&(kind, id.parse().expect("numeric id")))
            .expect("record exists");
        f(&mut rec.item);
        rec.updated_at = now;
    }

    /// A user deletes a record in Oro.
    pub fn user_delete(&self, kind: Kind, id: &str) {
        self.lock()
            .records
            .remove(&(kind, id.parse().expect("numeric id")));
    }

    /// Make the server refuse writes of items whose first text value contains `needle`.
    pub fn reject_containing(&self, needle: &str) {
        self.lock().rejects.push(needle.to_string());
    }

    pub fn all(&self, kind: Kind) -> Vec<OroRecord> {
        self.lock()
            .records
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub fn find(&self, kind: Kind, id: &str) -> Option<OroRecord> {
        let id: u64 = id.parse().ok()?;
        self.lock().records.get(&(kind, id)).cloned()
    }

    pub fn writes(&self) -> WriteCounts {
        self.lock().writes
    }

    fn check_reject(g: &OroInner, item: &Item) -> StoreResult<()> {
        let text = serde_json::to_string(item).unwrap_or_default();
        match g.rejects.iter().find(|n| text.contains(n.as_str())) {
            Some(n) => Err(StoreError::Rejected(format!(
                "value \"{n}\" is not allowed"
            ))),
            None => Ok(()),
        }
    }
}

impl OroStore for MemoryOro {
    async fn changed_since(
        &self,
        kind: Kind,
        since: Option<DateTime<Utc>>,
        window: &Window,
    ) -> StoreResult<Vec<OroRecord>> {
        let g = self.lock();
        let mut out: Vec<OroRecord> = g
            .records
            .iter()
            .filter(|((k, _), r)| {
                *k == kind && since.is_none_or(|s| r.updated_at >= s) && in_scope(&r.item, window)
            })
            .map(|(_, r)| r.clone())
            .collect();
        out.sort_by(|a, b| {
            a.updated_at
                .cmp(&b.updated_at)
                .then_with(|| orosync::model::cmp_oro_ids(&a.id, &b.id))
        });
        Ok(out)
    }

    async fn list_ids(&self, kind: Kind, window: &Window) -> StoreResult<Vec<String>> {
        Ok(self
            .lock()
            .records
            .iter()
            .filter(|((k, _), r)| *k == kind && in_scope(&r.item, window))
            .map(|((_, id), _)| id.to_string())
            .collect())
    }

    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OroRecord>> {
        Ok(self.find(kind, id))
    }

    async fn create(&self, item: &Item) -> StoreResult<OroRecord> {
        let crash = self.crash.tick();
        if crash == Some(false) {
            return Err(crashed());
        }
        Self::check_reject(&self.lock(), item)?;
        let id = self.user_create(item.clone());
        self.lock().writes.created += 1;
        if crash == Some(true) {
            return Err(crashed());
        }
        Ok(self.find(item.kind(), &id).expect("just created"))
    }

    async fn update(&self, id: &str, item: &Item) -> StoreResult<OroRecord> {
        let crash = self.crash.tick();
        if crash == Some(false) {
            return Err(crashed());
        }
        let kind = item.kind();
        {
            let g = self.lock();
            Self::check_reject(&g, item)?;
        }
        if self.find(kind, id).is_none() {
            return Err(StoreError::NotFound(format!("{kind} {id}")));
        }
        self.user_edit(kind, id, |i| *i = item.clone());
        self.lock().writes.updated += 1;
        if crash == Some(true) {
            return Err(crashed());
        }
        Ok(self.find(kind, id).expect("exists"))
    }
}

// ---------------------------------------------------------------- Outlook

#[derive(Default)]
struct OutlookInner {
    items: BTreeMap<(Kind, String), OutlookItem>,
    next_id: u64,
    /// Change log: (sequence, kind, id). A cursor is the last sequence seen.
    log: Vec<(u64, Kind, String)>,
    seq: u64,
    /// Cursors below this are expired.
    min_cursor: u64,
    writes: WriteCounts,
}

/// Outlook in memory: opaque string ids, `OroCRM_id` on the item, and a
/// delta feed like Graph's (changed items in full, removed ids).
#[derive(Clone)]
pub struct MemoryOutlook {
    inner: Arc<Mutex<OutlookInner>>,
    clock: Arc<dyn Clock>,
    crash: CrashSwitch,
    chunk: usize,
}

impl MemoryOutlook {
    pub fn new(clock: Arc<dyn Clock>, crash: CrashSwitch) -> Self {
        MemoryOutlook {
            inner: Arc::new(Mutex::new(OutlookInner {
                next_id: 1,
                ..Default::default()
            })),
            clock,
            crash,
            chunk: 1,
        }
    }

    /// Accept writes in chunks of `n` (like Graph's `$batch`).
    pub fn with_write_chunk(mut self, n: usize) -> Self {
        self.chunk = n.max(1);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutlookInner> {
        self.inner.lock().expect("outlook lock")
    }

    fn touch(g: &mut OutlookInner, kind: Kind, id: &str) {
        g.seq += 1;
        let s = g.seq;
        g.log.push((s, kind, id.to_string()));
    }

    fn insert(&self, item: Item, link: Option<String>, recurring: bool) -> String {
        let now = self.clock.now();
        let mut g = self.lock();
        // Graph ids are long opaque base64 strings; keep ours opaque too.
        let id = format!("AAMk{:06}", g.next_id);
        g.next_id += 1;
        let kind = item.kind();
        g.items.insert(
            (kind, id.clone()),
            OutlookItem {
                id: id.clone(),
                created_at: now,
                modified_at: now,
                link,
                recurring,
                item,
            },
        );
        Self::touch(&mut g, kind, &id);
        id
    }

    /// A user creates an item in Outlook (no `OroCRM_id`).
    pub fn user_create(&self, item: Item) -> String {
        self.insert(item, None, false)
    }

    /// A user creates an item that already carries an `OroCRM_id` (for
    /// example copied from another machine).
    pub fn user_create_linked(&self, item: Item, link: &str) -> String {
        self.insert(item, Some(link.to_string()), false)
    }

    pub fn user_create_recurring(&self, item: Item) -> String {
        self.insert(item, None, true)
    }

    pub fn user_edit(&self, kind: Kind, id: &str, f: impl FnOnce(&mut Item)) {
        let now = self.clock.now();
        let mut g = self.lock();
        let it = g
            .items
            .get_mut(&(kind, id.to_string()))
            .expect("item exists");
        f(&mut it.item);
        it.modified_at = now;
        Self::touch(&mut g, kind, id);
    }

    pub fn user_delete(&self, kind: Kind, id: &str) {
        let mut g = self.lock();
        g.items.remove(&(kind, id.to_string()));
        Self::touch(&mut g, kind, id);
    }

    /// Invalidate every cursor handed out so far (Graph's `syncStateNotFound`).
    pub fn expire_cursors(&self) {
        let mut g = self.lock();
        g.min_cursor = g.seq + 1;
    }

    pub fn all(&self, kind: Kind) -> Vec<OutlookItem> {
        self.lock()
            .items
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, i)| i.clone())
            .collect()
    }

    pub fn find(&self, kind: Kind, id: &str) -> Option<OutlookItem> {
        self.lock().items.get(&(kind, id.to_string())).cloned()
    }

    pub fn writes(&self) -> WriteCounts {
        self.lock().writes
    }

    fn write_one(&self, kind: Kind, w: OutlookWrite) -> WriteResult {
        let crash = self.crash.tick();
        if crash == Some(false) {
            return Err(crashed());
        }
        let result = match w {
            OutlookWrite::Create { item, link } => {
                let id = self.insert(item, Some(link), false);
                self.lock().writes.created += 1;
                Ok(self.find(kind, &id))
            }
            OutlookWrite::Update { id, item, link } => {
                if self.find(kind, &id).is_none() {
                    return Err(StoreError::NotFound(format!("{kind} {id}")));
                }
                let now = self.clock.now();
                let mut g = self.lock();
                let it = g.items.get_mut(&(kind, id.clone())).expect("exists");
                if let Some(item) = item {
                    it.item = item;
                }
                if let Some(link) = link {
                    it.link = Some(link);
                }
                it.modified_at = now;
                Self::touch(&mut g, kind, &id);
                g.writes.updated += 1;
                drop(g);
                Ok(self.find(kind, &id))
            }
            OutlookWrite::Delete { id } => {
                let mut g = self.lock();
                if g.items.remove(&(kind, id.clone())).is_some() {
                    Self::touch(&mut g, kind, &id);
                    g.writes.deleted += 1;
                }
                Ok(None)
            }
        };
        if crash == Some(true) {
            return Err(crashed());
        }
        result
    }
}

impl OutlookStore for MemoryOutlook {
    async fn changes(
        &self,
        kind: Kind,
        cursor: Option<&str>,
        window: &Window,
    ) -> StoreResult<OutlookChanges> {
        let g = self.lock();
        let next = format!("seq:{}", g.seq);
        let Some(cursor) = cursor else {
            let items = g
                .items
                .iter()
                .filter(|((k, _), i)| *k == kind && in_scope(&i.item, window))
                .map(|(_, i)| i.clone())
                .collect();
            return Ok(OutlookChanges {
                items,
                removed: vec![],
                full: true,
                cursor: next,
            });
        };
        let since: u64 = cursor
            .strip_prefix("seq:")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::Malformed(format!("bad cursor {cursor}")))?;
        if since + 1 < g.min_cursor {
            return Err(StoreError::CursorExpired);
        }
        let mut ids: Vec<&String> = g
            .log
            .iter()
            .filter(|(s, k, _)| *s > since && *k == kind)
            .map(|(_, _, id)| id)
            .collect();
        ids.sort();
        ids.dedup();
        let mut out = OutlookChanges {
            cursor: next,
            ..Default::default()
        };
        for id in ids {
            match g.items.get(&(kind, id.clone())) {
                Some(i) if in_scope(&i.item, window) => out.items.push(i.clone()),
                // Like calendarView/delta: an event that left the window is reported removed.
                _ => out.removed.push(id.clone()),
            }
        }
        Ok(out)
    }

    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OutlookItem>> {
        Ok(self.find(kind, id))
    }

    async fn write(&self, kind: Kind, writes: Vec<OutlookWrite>) -> Vec<WriteResult> {
        writes
            .into_iter()
            .map(|w| self.write_one(kind, w))
            .collect()
    }

    fn write_chunk(&self) -> usize {
        self.chunk
    }
}
