//! The fake's records: stored as Oro stores them (attributes and
//! relationships by Oro's names, `updatedAt` at one-second precision), and
//! edited by tests the way a user would edit them in Oro's UI.

use crate::clock::Clock;
use crate::Resource;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const CONTACTS: &str = "contacts";
pub const TASKS: &str = "tasks";
pub const EVENTS: &str = "calendarevents";

/// The fake's type name of a resource (`events` are Oro's
/// `calendarevents`); a type name stays itself.
pub fn type_of(kind: impl AsRef<str>) -> &'static str {
    match Resource::of(kind) {
        Resource::Contacts => CONTACTS,
        Resource::Tasks => TASKS,
        Resource::Events => EVENTS,
    }
}

/// The stored (static) name of a type name, if the fake knows it.
fn static_type(ty: &str) -> Option<&'static str> {
    [CONTACTS, TASKS, EVENTS].into_iter().find(|t| *t == ty)
}

/// One record as the fake holds it. Contacts keep `emails`/`phones` as
/// Oro's lists of `{email}`/`{phone}`, the primary one first; events keep
/// the legacy API's fields (`title`, `start`, `end`, `allDay`, `calendar`,
/// `recurrence`, `recurringEventId`) as attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeRecord {
    pub id: u64,
    pub attributes: Map<String, Value>,
    /// To-one relationships: name → (type, id), or None when empty.
    pub relationships: BTreeMap<String, Option<(String, String)>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FakeRecord {
    pub fn attr_str(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(Value::as_str)
    }
    pub fn rel(&self, name: &str) -> Option<&str> {
        self.relationships
            .get(name)
            .and_then(|r| r.as_ref())
            .map(|(_, id)| id.as_str())
    }
}

/// Writes made through the API (not by `user_*` calls).
pub use crate::Writes as FakeWrites;

/// All records of the fake, behind the server's lock.
pub struct FakeData {
    clock: Arc<dyn Clock>,
    tz: Tz,
    records: BTreeMap<(&'static str, u64), FakeRecord>,
    next_id: BTreeMap<&'static str, u64>,
    pub(crate) writes: FakeWrites,
    user_id: u64,
    calendar_id: u64,
    /// Oro's `task_flow` workflow: which tasks have a workflow item.
    pub(crate) task_flow: super::workflow::TaskFlow,
    /// The contacts' addresses.
    pub addresses: super::addresses::FakeAddresses,
}

impl FakeData {
    pub(crate) fn new(clock: Arc<dyn Clock>, tz: Tz, user_id: u64, calendar_id: u64) -> Self {
        FakeData {
            clock,
            tz,
            records: BTreeMap::new(),
            next_id: BTreeMap::new(),
            writes: FakeWrites::default(),
            user_id,
            calendar_id,
            task_flow: super::workflow::TaskFlow::new(true),
            addresses: Default::default(),
        }
    }

    /// Oro's clock: one-second precision.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock
            .now()
            .duration_trunc(TimeDelta::seconds(1))
            .expect("truncate to the second")
    }

    pub fn user_id(&self) -> u64 {
        self.user_id
    }

    pub fn calendar_id(&self) -> u64 {
        self.calendar_id
    }

    /// Store a record as given, with a new id and both timestamps now.
    pub fn insert_raw(
        &mut self,
        ty: &'static str,
        attributes: Map<String, Value>,
        relationships: BTreeMap<String, Option<(String, String)>>,
    ) -> u64 {
        let next = self.next_id.entry(ty).or_insert(1);
        let id = *next;
        *next += 1;
        let now = self.now();
        self.records.insert(
            (ty, id),
            FakeRecord {
                id,
                attributes,
                relationships,
                created_at: now,
                updated_at: now,
            },
        );
        if ty == TASKS {
            // Every task created while the workflow is active gets its
            // workflow item (Oro starts it on the entity's creation).
            self.task_flow.start(id);
        }
        id
    }

    /// The user's zone (Oro's user setting), in which a person's dates
    /// are midnights.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// A user creates a record in Oro's UI from the API's own JSON: for
    /// contacts and tasks a JSON:API resource object's `attributes` and
    /// `relationships` (`{"data": {"type", "id"}}` each), for events the
    /// legacy REST fields as `attributes`. What the UI fills in itself is
    /// added when missing: the owner (the fake's user) and an event's
    /// calendar (the user's default one).
    pub fn user_create_json(&mut self, kind: impl AsRef<str>, doc: &Value) -> u64 {
        let ty = type_of(kind);
        let mut attributes = match doc.get("attributes") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let mut relationships = BTreeMap::new();
        if let Some(Value::Object(rels)) = doc.get("relationships") {
            for (name, r) in rels {
                let target = r.get("data").and_then(|d| {
                    let t = d.get("type")?.as_str()?.to_string();
                    let id = match d.get("id")? {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some((t, id))
                });
                relationships.insert(name.clone(), target);
            }
        }
        if ty == EVENTS {
            attributes
                .entry("calendar")
                .or_insert(json!(self.calendar_id));
            for k in ["recurrence", "recurringEventId"] {
                attributes.entry(k).or_insert(Value::Null);
            }
        } else {
            relationships
                .entry("owner".into())
                .or_insert_with(|| Some(("users".into(), self.user_id.to_string())));
        }
        self.insert_raw(ty, attributes, relationships)
    }

    /// A user edits a record: `updatedAt` becomes now. False when absent.
    pub fn user_edit(&mut self, ty: &str, id: u64, f: impl FnOnce(&mut FakeRecord)) -> bool {
        let now = self.now();
        match self.get_mut(ty, id) {
            Some(r) => {
                f(r);
                r.updated_at = now;
                true
            }
            None => false,
        }
    }

    /// A user deletes a record. False when absent.
    pub fn user_delete(&mut self, ty: &str, id: u64) -> bool {
        let gone = static_type(ty)
            .and_then(|t| self.records.remove(&(t, id)))
            .is_some();
        if gone && ty == TASKS {
            // The workflow item goes with its entity.
            self.task_flow.forget(id);
        }
        if gone && ty == CONTACTS {
            self.addresses.remove_owner(id);
        }
        gone
    }

    /// A task's status (its `status` relationship), `open` when unset.
    pub(crate) fn task_status(&self, id: u64) -> Option<String> {
        self.get(TASKS, id)
            .map(|r| r.rel("status").unwrap_or("open").to_string())
    }

    // Lookups go by key, not by scanning: benchmarks seed 100k records.
    pub fn get(&self, ty: &str, id: u64) -> Option<&FakeRecord> {
        self.records.get(&(static_type(ty)?, id))
    }

    fn get_mut(&mut self, ty: &str, id: u64) -> Option<&mut FakeRecord> {
        self.records.get_mut(&(static_type(ty)?, id))
    }

    pub fn all(&self, ty: &str) -> Vec<FakeRecord> {
        self.iter(ty).cloned().collect()
    }

    /// The records of a type in id order, without copying them (the list
    /// endpoints filter first and copy only the page they answer).
    pub fn iter<'a>(&'a self, ty: &str) -> impl Iterator<Item = &'a FakeRecord> + 'a {
        self.iter_from(ty, 0)
    }

    /// The records of a type with an id of at least `min`, in id order.
    pub fn iter_from<'a>(
        &'a self,
        ty: &str,
        min: u64,
    ) -> impl Iterator<Item = &'a FakeRecord> + 'a {
        let range = static_type(ty).map(|t| self.records.range((t, min)..=(t, u64::MAX)));
        range.into_iter().flatten().map(|(_, r)| r)
    }

    pub fn writes(&self) -> FakeWrites {
        self.writes
    }

    /// Store what the API computed for an existing record (bumps `updatedAt`).
    pub(crate) fn api_replace(&mut self, ty: &str, rec: FakeRecord) {
        let now = self.now();
        if let Some(r) = self.get_mut(ty, rec.id) {
            *r = FakeRecord {
                updated_at: now,
                created_at: r.created_at,
                ..rec
            };
            self.writes.updated += 1;
        }
    }

    pub(crate) fn api_insert(
        &mut self,
        ty: &'static str,
        attributes: Map<String, Value>,
        relationships: BTreeMap<String, Option<(String, String)>>,
    ) -> u64 {
        self.writes.created += 1;
        self.insert_raw(ty, attributes, relationships)
    }

    pub(crate) fn api_delete(&mut self, ty: &str, id: u64) -> bool {
        let gone = self.user_delete(ty, id);
        if gone {
            self.writes.deleted += 1;
        }
        gone
    }
}
