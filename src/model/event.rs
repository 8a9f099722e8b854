//! Calendar events: Oro `calendarevents` (legacy REST) ↔ Graph `event`.

use super::{Field, Value};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// When an event happens. All-day events are calendar dates (the end date is
/// exclusive), never instants: each client turns them into midnights in the
/// user's zone on its own side (docs/sync-rules.md, "Dates and time zones").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum When {
    Timed {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    AllDay {
        start: NaiveDate,
        /// Exclusive: a one-day event on D has end D+1.
        end: NaiveDate,
    },
}

impl When {
    /// Rough UTC bounds, for the event window only (all-day dates taken as
    /// UTC midnights; a day either way does not matter for a window).
    pub fn bounds_utc(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            When::Timed { start, end } => (*start, *end),
            When::AllDay { start, end } => (
                start.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
                end.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub title: String,
    pub description: Option<String>,
    pub when: When,
}

fn instant(d: &DateTime<Utc>) -> Value {
    Value::Instant(d.timestamp())
}

impl Event {
    pub fn value(&self, field: Field) -> Value {
        match field {
            Field::Title => Value::text(Some(&self.title)),
            Field::Description => Value::text(self.description.as_deref()),
            Field::Start => match &self.when {
                When::Timed { start, .. } => instant(start),
                When::AllDay { start, .. } => Value::Date(*start),
            },
            Field::End => match &self.when {
                When::Timed { end, .. } => instant(end),
                When::AllDay { end, .. } => Value::Date(*end),
            },
            Field::AllDay => Value::Bool(matches!(self.when, When::AllDay { .. })),
            _ => Value::Null,
        }
    }
}
