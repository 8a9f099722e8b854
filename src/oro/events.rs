//! Calendar events through Oro's legacy REST API (`/api/rest/latest/…`,
//! plain JSON): events are not in the JSON:API.

use super::error::from_status;
use super::http::{Retry, JSON};
use super::jsonapi::{format_time, parse_time};
use super::{esc, OroClient};
use crate::model::zone;
use crate::model::{Event, Item, Kind, OroRecord, When};
use crate::sides::{StoreError, StoreResult, Window};
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
                .map(description_text)
                .filter(|s| !s.is_empty()),
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
        "description": description_html(e.description.as_deref().unwrap_or_default()),
        "start": format_time(start),
        "end": format_time(end),
        "allDay": all_day,
        "notifyAttendees": "none",
    })
}

/// A description as Oro is given it. Oro keeps event descriptions as HTML
/// and sanitizes them on every write and read (HtmlTagHelper::sanitize:
/// a bare `&` becomes `&amp;`, unknown tags go; docs/fidelity.md, "Oro:
/// calendar events"). Text sent as it is would come back other than it
/// was sent: a change at every run, and `&amp;` sent on to Outlook. So the
/// text is written as HTML that the sanitizer leaves as it is (special
/// characters escaped, line breaks as `<br>`), and read back by
/// [`description_text`] into the same text: both sides hash plain text.
pub(crate) fn description_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for c in line.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
        }
    }
    out
}

/// The plain text of a description Oro answers (HTML, sanitized): tags
/// dropped, `<br>` and the ends of paragraphs, divs, list items and rows as
/// line breaks (a raw line break right after one is the same break),
/// entities decoded. Also reads descriptions written in Oro's editor.
pub(crate) fn description_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut just_broke = false;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let tag = rest[1..end].trim().to_ascii_lowercase();
                let closing = tag.starts_with('/');
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                let breaks = name == "br"
                    || (closing
                        && matches!(
                            name.as_str(),
                            "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                        ));
                if breaks {
                    out.push('\n');
                }
                just_broke = breaks;
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c == '&' {
            if let Some((ch, len)) = rest[1..]
                .find(';')
                .filter(|n| *n <= 10)
                .and_then(|n| decode_entity(&rest[1..1 + n]).map(|ch| (ch, n + 2)))
            {
                out.push(ch);
                rest = &rest[len..];
                just_broke = false;
                continue;
            }
        }
        if c == '\n' && just_broke {
            just_broke = false;
            rest = &rest[1..];
            continue;
        }
        if !(c == '\r' && just_broke) {
            just_broke = false;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
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

    /// Every event of the default calendar within `window`, read once per
    /// call, with the ids of those that could not be read (each noted with
    /// [`OroClient::note_unreadable`]).
    ///
    /// Read from the calendar view (`start` and `end`), not the paged list:
    /// Oro's paged list (`page`, `limit`) has no ORDER BY, so its pages may
    /// overlap and miss events, and a missed id would look deleted. The
    /// calendar view answers every event of the interval in one response
    /// (one query, sorted by calendar and start; docs/fidelity.md, "Oro:
    /// calendar events"), so it can neither miss nor repeat one. It takes
    /// no `updatedAt` filter: changes are picked from it here.
    async fn list_window(
        &self,
        window: &Window,
    ) -> StoreResult<(Vec<OroRecord>, std::collections::BTreeSet<String>)> {
        let cal = self.calendar().await?;
        // Oro's interval test (CalendarEventRepository::addTimeIntervalFilter)
        // leaves out an event that starts inside and ends exactly at `end`:
        // ask a day more on each side and keep the window here.
        let from = window.from - Duration::days(1);
        let to = window.to + Duration::days(1);
        let q = format!(
            "{BASE}/calendarevents?calendar={}&start={}&end={}",
            esc(&cal),
            esc(&format_time(from)),
            esc(&format_time(to))
        );
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
        let mut records: BTreeMap<String, OroRecord> = BTreeMap::new();
        let mut unreadable = std::collections::BTreeSet::new();
        for e in arr {
            // The view also shows the events of other calendars the user
            // has added, and of system and public calendars (another
            // `calendarAlias`, whose ids may equal ours); only the default
            // calendar is synced (OroCalendarBundle
            // Manager/CalendarManager.php, getCalendarEvents).
            let other_provider = e
                .get("calendarAlias")
                .and_then(Value::as_str)
                .is_some_and(|a| a != "user");
            let theirs = other_provider
                || match e.get("calendar") {
                    Some(Value::Number(n)) => n.to_string() != cal,
                    Some(Value::String(c)) => *c != cal,
                    _ => false,
                };
            if theirs {
                continue;
            }
            match record(e, self.config.time_zone) {
                // Oro answers a series once per occurrence in the interval,
                // each a copy with the series' id
                // (AbstractRecurrenceAwareCalendarProvider::
                // filterRecurringOccurrenceEvents): one record per id.
                Ok(rec) => {
                    if in_window(&rec, window) {
                        records.insert(rec.id.clone(), rec);
                    }
                }
                // Unreadable but with an id: left out of the changes,
                // kept in the id listing (it must not look deleted).
                Err(StoreError::Malformed(m)) => match id_of(e) {
                    Some(id) => {
                        self.note_unreadable(Kind::Events, &id, &m);
                        unreadable.insert(id);
                    }
                    None => return Err(StoreError::Malformed(m)),
                },
                Err(other) => return Err(other),
            }
        }
        // An event both read and unreadable (a series' occurrences) counts
        // as read.
        unreadable.retain(|id| !records.contains_key(id));
        Ok((records.into_values().collect(), unreadable))
    }

    pub(crate) async fn events_changed(
        &self,
        since: Option<DateTime<Utc>>,
        window: &Window,
    ) -> StoreResult<Vec<OroRecord>> {
        let mut out: Vec<OroRecord> = self
            .list_window(window)
            .await?
            .0
            .into_iter()
            .filter(|r| since.is_none_or(|s| r.updated_at >= s))
            .collect();
        super::sort_records(&mut out);
        Ok(out)
    }

    pub(crate) async fn event_ids(&self, window: &Window) -> StoreResult<Vec<String>> {
        // An unreadable event's dates are unknown: it is kept, so its pair
        // is held as it is, never deleted.
        let (records, unreadable) = self.list_window(window).await?;
        let mut ids: Vec<String> = records
            .into_iter()
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
    fn descriptions_read_back_as_the_text_written() {
        for text in [
            "plain",
            "Tom & Jerry <b>not bold</b> 1 < 2 > 0",
            "line 1\nline 2\n\n  indented",
            "&amp; stays as typed; caf\u{e9} \u{a0}",
        ] {
            assert_eq!(description_text(&description_html(text)), text, "{text:?}");
        }
        assert_eq!(description_html("a\r\nb"), "a<br>b");
        // What Oro's editor writes reads as lines of text.
        assert_eq!(
            description_text("<p>Hello &amp; welcome</p>\n<p>Second <strong>line</strong></p>"),
            "Hello & welcome\nSecond line\n"
        );
        assert_eq!(description_text("a<br />b&#233;&nbsp;"), "a\nb\u{e9}\u{a0}");
    }

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
