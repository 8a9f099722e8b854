//! The three kinds of record and their mapped fields (docs/sync-rules.md, "Scope and fields").
//!
//! The model is zone-free: clients convert their wire formats (Graph's
//! dateTimeTimeZone, Oro's UTC datetimes, To Do's date-only due dates) into
//! these types, so the planner compares like with like.

mod address;
mod canonical;
mod contact;
pub mod country;
mod event;
mod task;
mod window;
pub mod zone;

pub use address::{Address, AddressError, AddressType, Region, Slot, PART_SEPARATOR};
pub use canonical::{Field, Value, FIELDS_CONTACTS, FIELDS_EVENTS, FIELDS_TASKS};
pub use contact::{Contact, Gender};
pub use event::{Event, When};
pub use task::{Priority, Task, TaskStatus};
pub use window::Window;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One of the synced kinds; each syncs on its own with its own watermarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Contacts,
    Tasks,
    Events,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Contacts, Kind::Tasks, Kind::Events];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Contacts => "contacts",
            Kind::Tasks => "tasks",
            Kind::Events => "events",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The mapped fields of this kind, by Oro attribute name (docs/cli.md, "config.toml").
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Contacts => FIELDS_CONTACTS,
            Kind::Tasks => FIELDS_TASKS,
            Kind::Events => FIELDS_EVENTS,
        }
    }
}

/// A kind by its name (`contacts`, `tasks`, `events`), for APIs that take
/// resource names, such as the fake servers'.
impl AsRef<str> for Kind {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which system a record lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Oro,
    Outlook,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Oro => "oro",
            Side::Outlook => "outlook",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The mapped values of one record, whichever side it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Item {
    Contacts(Contact),
    Tasks(Task),
    Events(Event),
}

impl Item {
    pub fn kind(&self) -> Kind {
        match self {
            Item::Contacts(_) => Kind::Contacts,
            Item::Tasks(_) => Kind::Tasks,
            Item::Events(_) => Kind::Events,
        }
    }

    /// The canonical (normalised) value of one mapped field; `Value::Null`
    /// for a field of another kind.
    pub fn value(&self, field: Field) -> Value {
        match self {
            Item::Contacts(c) => c.value(field),
            Item::Tasks(t) => t.value(field),
            Item::Events(e) => e.value(field),
        }
    }

    /// All mapped fields with their canonical values, in the kind's fixed order.
    pub fn values(&self) -> Vec<(Field, Value)> {
        self.kind()
            .fields()
            .iter()
            .map(|f| (*f, self.value(*f)))
            .collect()
    }

    /// Hash of the mapped fields in normalised form (docs/sync-rules.md, "Echoes"): a
    /// new version whose hash is unchanged is not a change.
    pub fn hash(&self) -> String {
        canonical::hash_values(&self.values())
    }

    /// The values as they can exist on both sides (Graph keeps at most three
    /// e-mail addresses), used to tell whether both sides hold the same data.
    pub fn comparable(&self) -> Vec<(Field, Value)> {
        self.values()
            .into_iter()
            .map(|(f, v)| match (f, v) {
                (Field::Emails, Value::List(mut l)) => {
                    l.truncate(contact::OUTLOOK_MAX_EMAILS);
                    (f, Value::List(l))
                }
                other => other,
            })
            .collect()
    }

    /// True when both items hold the same values as far as both sides can
    /// store them.
    pub fn same_as(&self, other: &Item) -> bool {
        self.comparable() == other.comparable()
    }

    /// Fields whose comparable values differ, as `(name, mine, theirs)`.
    pub fn differing(&self, other: &Item) -> Vec<(Field, Value, Value)> {
        self.comparable()
            .into_iter()
            .zip(other.comparable())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((f, a), (_, b))| (f, a, b))
            .collect()
    }

    /// True when the record starts outside `[from, to)`; only events have a
    /// window, other kinds are always inside.
    pub fn outside_window(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        match self {
            Item::Events(e) => {
                let (s, e) = e.when.bounds_utc();
                e <= from || s >= to
            }
            _ => false,
        }
    }
}

/// A record as read from Oro.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OroRecord {
    /// Oro's id (an integer as a string in both of Oro's APIs).
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Recurring events (series, occurrences, exceptions) are skipped, never touched.
    #[serde(default)]
    pub recurring: bool,
    pub item: Item,
}

/// An item as read from Outlook (Graph).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutlookItem {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    /// The `OroCRM_id` on the item (extended property, or linkedResource for
    /// tasks); `None` when empty or absent.
    pub link: Option<String>,
    #[serde(default)]
    pub recurring: bool,
    pub item: Item,
}

/// Compare Oro ids in ascending order: numerically when both are integers
/// (they are in every Oro API), else as text, so the order is total.
pub fn cmp_oro_ids(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}
