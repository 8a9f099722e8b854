//! The fake's records: stored as Oro stores them (attributes and
//! relationships by Oro's names, `updatedAt` at one-second precision), and
//! edited by tests the way a user would edit them in Oro's UI.

use crate::clock::Clock;
use crate::model::{Event, Item, Kind, When};
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const CONTACTS: &str = "contacts";
pub const TASKS: &str = "tasks";
pub const EVENTS: &str = "calendarevents";

/// The fake's type name of a kind.
pub fn type_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Contacts => CONTACTS,
        Kind::Tasks => TASKS,
        Kind::Events => EVENTS,
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
pub use crate::summary::Counts as FakeWrites;

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

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).expect("midnight");
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        // A zone whose midnight falls in a DST gap: an hour later exists.
        .unwrap_or_else(|| {
            tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(naive.and_utc())
        })
}

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn text(v: &Option<String>) -> Value {
    v.clone().map(Value::String).unwrap_or(Value::Null)
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

    /// A user creates a record (owned by the fake's user; events in the
    /// user's default calendar; dates as midnights in the user's zone).
    pub fn user_create(&mut self, item: &Item) -> u64 {
        let (ty, attrs, rels) = self.item_fields(item);
        self.insert_raw(ty, attrs, rels)
    }

    /// A user changes a record's values in Oro's UI: the attributes and
    /// relationships whose values `item` changes are stored, the others
    /// stay exactly as they were (a due date's time of day, a contact's
    /// other phones); `updatedAt` becomes now when anything changed. False
    /// when absent.
    pub fn user_edit_item(&mut self, ty: &str, id: u64, before: &Item, after: &Item) -> bool {
        if self.get(ty, id).is_none() {
            return false;
        }
        if before == after {
            return true;
        }
        let (_, old_attrs, old_rels) = self.item_fields(before);
        let (_, new_attrs, new_rels) = self.item_fields(after);
        self.user_edit(ty, id, |r| {
            for (k, v) in new_attrs {
                if old_attrs.get(&k) != Some(&v) {
                    r.attributes.insert(k, v);
                }
            }
            for (k, v) in new_rels {
                if old_rels.get(&k) != Some(&v) {
                    r.relationships.insert(k, v);
                }
            }
        })
    }

    /// What Oro's forms store for `item`: its type, attributes and
    /// relationships (owner: the fake's user).
    #[allow(clippy::type_complexity)]
    fn item_fields(
        &self,
        item: &Item,
    ) -> (
        &'static str,
        Map<String, Value>,
        BTreeMap<String, Option<(String, String)>>,
    ) {
        let me = self.user_id.to_string();
        let mut rels = BTreeMap::new();
        let (ty, attrs) = match item {
            Item::Contacts(c) => {
                rels.insert("owner".into(), Some(("users".into(), me)));
                let attrs = json!({
                    "namePrefix": text(&c.name_prefix),
                    "firstName": text(&c.first_name),
                    "middleName": text(&c.middle_name),
                    "lastName": text(&c.last_name),
                    "nameSuffix": text(&c.name_suffix),
                    "gender": c.gender.map(|g| json!(g.as_str())).unwrap_or(Value::Null),
                    "birthday": c.birthday.map(|d| json!(d.format("%Y-%m-%d").to_string())).unwrap_or(Value::Null),
                    "jobTitle": text(&c.job_title),
                    "description": text(&c.description),
                    "emails": c.emails.iter().map(|e| json!({"email": e})).collect::<Vec<_>>(),
                    "phones": c.primary_phone.iter().map(|p| json!({"phone": p})).collect::<Vec<_>>(),
                    "fax": text(&c.fax),
                });
                (CONTACTS, attrs)
            }
            Item::Tasks(t) => {
                rels.insert("owner".into(), Some(("users".into(), me)));
                rels.insert(
                    "taskPriority".into(),
                    Some(("taskpriorities".into(), t.priority.as_str().into())),
                );
                rels.insert(
                    "status".into(),
                    Some(("taskstatuses".into(), t.status.as_str().into())),
                );
                let attrs = json!({
                    "subject": t.subject,
                    "description": text(&t.description),
                    "dueDate": t.due_date.map(|d| json!(fmt_time(midnight(self.tz, d)))).unwrap_or(Value::Null),
                });
                (TASKS, attrs)
            }
            Item::Events(e) => (EVENTS, self.event_attrs(e)),
        };
        (ty, into_map(attrs), rels)
    }

    fn event_attrs(&self, e: &Event) -> Value {
        let (s, en, all_day) = match &e.when {
            When::Timed { start, end } => (*start, *end, false),
            When::AllDay { start, end } => {
                (midnight(self.tz, *start), midnight(self.tz, *end), true)
            }
        };
        json!({
            "title": e.title,
            "description": text(&e.description),
            "start": fmt_time(s),
            "end": fmt_time(en),
            "allDay": all_day,
            "calendar": self.calendar_id,
            "recurrence": Value::Null,
            "recurringEventId": Value::Null,
        })
    }

    /// A user creates a weekly recurring event (a series) in Oro.
    pub fn user_create_recurring_event(&mut self, e: &Event) -> u64 {
        let mut attrs = self.event_attrs(e);
        attrs["recurrence"] = json!({"recurrenceType": "weekly", "interval": 1, "dayOfWeek": ["monday"], "timeZone": self.tz.name()});
        self.insert_raw(EVENTS, into_map(attrs), BTreeMap::new())
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
