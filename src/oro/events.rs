//! Calendar events through Oro's legacy REST API (`/api/rest/latest/…`,
//! plain JSON): events are not in the JSON:API.

use super::error::from_status;
use super::http::{Retry, JSON};
use super::jsonapi::{format_time, parse_time};
use super::{esc, zone, OroClient};
use crate::model::{Event, Item, Kind, OroRecord, When};
use crate::store::{StoreError, StoreResult, Window};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const BASE: &str = "/api/rest/latest";

fn time_field(v: &Value, name: &str) -> StoreResult<DateTime<Utc>> {
    v.get(name)
        .and_then(Value::as_str)
        .and_then(parse_time)
        .ok_or_else(|| StoreError::Malformed(format!("event {name}: not a datetime")))
}

fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn present(v: &Value, name: &str) -> bool {
    !matches!(v.get(name), None | Some(Value::Null))
}

/// An event as Oro's legacy API returns it → a record.
pub(crate) fn record(v: &Value, tz: Tz) -> StoreResult<OroRecord> {
    let id = id_of(v).ok_or_else(|| StoreError::Malformed("event without an id".into()))?;
    let start = time_field(v, "start")?;
    let end = time_field(v, "end")?;
    let all_day = v.get("allDay").and_then(Value::as_bool).unwrap_or(false);
    let when = if all_day {
        // Dates of start and end in the user's zone; an end at 00:00 is
        // exclusive, any other end time means its own date is the last day.
        let s = zone::local(tz, start).date();
        let e_local = zone::local(tz, end);
        let mut e = if e_local.time() == NaiveTime::MIN {
            e_local.date()
        } else {
            e_local.date() + Duration::days(1)
        };
        if e <= s {
            e = s + Duration::days(1);
        }
        When::AllDay { start: s, end: e }
    } else {
        When::Timed { start, end }
    };
    let updated_at = time_field(v, "updatedAt")?;
    let created_at = v
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .unwrap_or(updated_at);
    Ok(OroRecord {
        id,
        created_at,
        updated_at,
        recurring: present(v, "recurrence") || present(v, "recurringEventId"),
        item: Item::Events(Event {
            title: v
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            description: v
                .get("description")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            when,
        }),
    })
}

/// The body of a POST or PUT. All-day dates become midnights in the
/// user's zone; attendees are never told about synced edits.
pub(crate) fn body(e: &Event, calendar: &str, tz: Tz) -> Value {
    let (start, end, all_day) = match &e.when {
        When::Timed { start, end } => (*start, *end, false),
        When::AllDay { start, end } => (zone::midnight(tz, *start), zone::midnight(tz, *end), true),
    };
    json!({
        "calendar": calendar.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::String(calendar.into())),
        "title": e.title,
        "description": e.description.clone().unwrap_or_default(),
        "start": format_time(start),
        "end": format_time(end),
        "allDay": all_day,
        "notifyAttendees": "none",
    })
}

fn in_window(r: &OroRecord, w: &Window) -> bool {
    !r.item.outside_window(w.from, w.to)
}

impl OroClient {
    /// The user's default calendar id, asked once.
    async fn calendar(&self) -> StoreResult<String> {
        self.calendar
            .get_or_try_init(|| async {
                let r = self
                    .send(
                        Method::GET,
                        &format!("{BASE}/calendars/default"),
                        None,
                        JSON,
                        Retry::Idempotent,
                    )
                    .await?;
                if !r.status.is_success() {
                    return Err(from_status(r.status, &r.body, "default calendar"));
                }
                let v: Value = serde_json::from_slice(&r.body)
                    .map_err(|e| StoreError::Malformed(format!("default calendar: {e}")))?;
                match v.get("calendar") {
                    Some(Value::Number(n)) => Ok(n.to_string()),
                    Some(Value::String(s)) => Ok(s.clone()),
                    _ => Err(StoreError::Malformed(
                        "default calendar without an id".into(),
                    )),
                }
            })
            .await
            .cloned()
    }

    /// One pass over every event of the default calendar updated at or
    /// after `since`, page by page, merged by id (newest version wins).
    async fn list_events_once(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
        into: &mut BTreeMap<String, OroRecord>,
        unreadable: &mut std::collections::BTreeSet<String>,
    ) -> StoreResult<()> {
        let cal = self.calendar().await?;
        let limit = limit.max(1);
        for page in 1..=super::MAX_PAGES {
            let mut q = format!(
                "{BASE}/calendarevents?calendar={}&page={page}&limit={limit}",
                esc(&cal)
            );
            if let Some(s) = since {
                // Legacy operator syntax in the query string: `updatedAt>=value`.
                q.push_str(&format!("&updatedAt%3E={}", esc(&format_time(s))));
            }
            let r = self
                .send(Method::GET, &q, None, JSON, Retry::Idempotent)
                .await?;
            if !r.status.is_success() {
                return Err(from_status(r.status, &r.body, "calendar events"));
            }
            let v: Value = serde_json::from_slice(&r.body)
                .map_err(|e| StoreError::Malformed(format!("calendar events: {e}")))?;
            let arr = v
                .as_array()
                .ok_or_else(|| StoreError::Malformed("calendar events: not a list".into()))?;
            for e in arr {
                let rec = match record(e, self.config.time_zone) {
                    Ok(r) => r,
                    // Unreadable but with an id: left out of the changes,
                    // kept in the id listing (it must not look deleted).
                    Err(StoreError::Malformed(m)) => match id_of(e) {
                        Some(id) => {
                            self.note_unreadable(Kind::Events, &id, &m);
                            unreadable.insert(id);
                            continue;
                        }
                        None => return Err(StoreError::Malformed(m)),
                    },
                    Err(other) => return Err(other),
                };
                match into.get(&rec.id) {
                    Some(old) if old.updated_at >= rec.updated_at => {}
                    _ => {
                        into.insert(rec.id.clone(), rec);
                    }
                }
            }
            if arr.len() < limit as usize {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(
            "calendar events: the listing did not end".into(),
        ))
    }

    /// Every event updated at or after `since`. The legacy list pages by
    /// number only (no id or sort parameter to walk by), so an event
    /// deleted while the pages are read shifts a later one out of the
    /// listing unseen; a missed id would look deleted to the engine. So the
    /// listing is repeated until two passes see the same (id, updatedAt)
    /// set, and the union of all passes is the answer.
    /// Also returns the ids of the events that could not be read (each
    /// noted with [`OroClient::note_unreadable`]).
    async fn list_events(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<(Vec<OroRecord>, std::collections::BTreeSet<String>)> {
        const MAX_PASSES: usize = 4;
        let mut unreadable = std::collections::BTreeSet::new();
        let mut all: BTreeMap<String, OroRecord> = BTreeMap::new();
        let mut previous: Option<Vec<(String, DateTime<Utc>)>> = None;
        for _ in 0..MAX_PASSES {
            let mut pass = BTreeMap::new();
            self.list_events_once(since, limit, &mut pass, &mut unreadable)
                .await?;
            let keys: Vec<(String, DateTime<Utc>)> = pass
                .values()
                .map(|r| (r.id.clone(), r.updated_at))
                .collect();
            for (id, rec) in pass {
                match all.get(&id) {
                    Some(old) if old.updated_at >= rec.updated_at => {}
                    _ => {
                        all.insert(id, rec);
                    }
                }
            }
            if previous.as_ref() == Some(&keys) {
                break;
            }
            previous = Some(keys);
        }
        // An event read in one pass and unreadable in a later one was
        // edited meanwhile: the readable version is what the listing has.
        unreadable.retain(|id| !all.contains_key(id));
        Ok((all.into_values().collect(), unreadable))
    }

    pub(crate) async fn events_changed(
        &self,
        since: Option<DateTime<Utc>>,
        window: &Window,
    ) -> StoreResult<Vec<OroRecord>> {
        let mut out: Vec<OroRecord> = self
            .list_events(since, self.config.page_size)
            .await?
            .0
            .into_iter()
            .filter(|r| in_window(r, window))
            .collect();
        super::sort_records(&mut out);
        Ok(out)
    }

    pub(crate) async fn event_ids(&self, window: &Window) -> StoreResult<Vec<String>> {
        // The legacy API has no sparse fieldsets: the id listing reads
        // whole events, so it takes the id listing's larger pages to
        // keep its round trips down.
        let (records, unreadable) = self.list_events(None, self.config.id_page_size).await?;
        // An unreadable event's dates are unknown: it is kept whether in the
        // window or not, so its pair is held as it is, never deleted.
        let mut ids: Vec<String> = records
            .into_iter()
            .filter(|r| in_window(r, window))
            .map(|r| r.id)
            .chain(unreadable)
            .collect();
        ids.sort_by(|a, b| crate::model::cmp_oro_ids(a, b));
        Ok(ids)
    }

    pub(crate) async fn event_get(&self, id: &str) -> StoreResult<Option<OroRecord>> {
        let r = self
            .send(
                Method::GET,
                &format!("{BASE}/calendarevents/{}", esc(id)),
                None,
                JSON,
                Retry::Idempotent,
            )
            .await?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, &format!("event {id}")));
        }
        let v: Value = serde_json::from_slice(&r.body)
            .map_err(|e| StoreError::Malformed(format!("event {id}: {e}")))?;
        record(&v, self.config.time_zone).map(Some)
    }

    pub(crate) async fn event_create(&self, e: &Event) -> StoreResult<OroRecord> {
        let cal = self.calendar().await?;
        let body = serde_json::to_vec(&body(e, &cal, self.config.time_zone))
            .map_err(|e| StoreError::Malformed(e.to_string()))?;
        let r = self
            .send(
                Method::POST,
                &format!("{BASE}/calendarevents"),
                Some((JSON, body)),
                JSON,
                Retry::Create,
            )
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, "new event"));
        }
        let v: Value = serde_json::from_slice(&r.body)
            .map_err(|e| StoreError::Malformed(format!("new event: {e}")))?;
        let id = id_of(&v).ok_or_else(|| StoreError::Malformed("new event: no id".into()))?;
        // POST answers only the id; read the event back for its timestamps.
        self.event_get(&id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("event {id}")))
    }

    pub(crate) async fn event_update(&self, id: &str, e: &Event) -> StoreResult<OroRecord> {
        let cal = self.calendar().await?;
        let body = serde_json::to_vec(&body(e, &cal, self.config.time_zone))
            .map_err(|e| StoreError::Malformed(e.to_string()))?;
        let r = self
            .send(
                Method::PUT,
                &format!("{BASE}/calendarevents/{}", esc(id)),
                Some((JSON, body)),
                JSON,
                Retry::Idempotent,
            )
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, &format!("event {id}")));
        }
        self.event_get(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("event {id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn all_day_dates_in_the_users_zone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
        let ev = Event {
            title: "Fair".into(),
            description: None,
            when: When::AllDay {
                start: d(5, 1),
                end: d(5, 3),
            },
        };
        let b = body(&ev, "4", tz);
        assert_eq!(b["start"], "2024-04-30T22:00:00Z");
        assert_eq!(b["end"], "2024-05-02T22:00:00Z");
        assert_eq!(b["calendar"], 4);
        assert_eq!(b["notifyAttendees"], "none");
        let mut v = b.clone();
        v["id"] = json!(9);
        v["updatedAt"] = json!("2024-04-01T00:00:00+00:00");
        let r = record(&v, tz).unwrap();
        assert_eq!(r.item, Item::Events(ev));
        assert!(!r.recurring);
        // An end that is not at midnight makes its own date the last day.
        v["end"] = json!("2024-05-02T10:00:00+00:00");
        let Item::Events(e) = record(&v, tz).unwrap().item else {
            panic!()
        };
        assert_eq!(
            e.when,
            When::AllDay {
                start: d(5, 1),
                end: d(5, 3)
            }
        );
        v["recurringEventId"] = json!(3);
        assert!(record(&v, tz).unwrap().recurring);
    }
}
