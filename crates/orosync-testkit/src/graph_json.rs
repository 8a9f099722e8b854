//! Model values ⇄ the fake Graph's JSON, written for the tests on their
//! own: none of the client's mapping is used, so a mistake in the client's
//! understanding of Graph shows up as a difference here instead of agreeing
//! with itself.
//!
//! Graph's resources (Microsoft Graph v1.0 reference: `contact`, `event`,
//! `todoTask`, `dateTimeTimeZone`, `linkedResource`,
//! `singleValueLegacyExtendedProperty`): what Outlook shows a person.

use crate::text::html_text;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use orosync::model::{Contact, Event, Gender, Item, OutlookItem, Priority, Task, TaskStatus, When};
use serde_json::{json, Map, Value};

/// The extended property OroSync links contacts and events with: a named
/// string property in its own property set (MS-OXPROPS named properties;
/// Graph `singleValueLegacyExtendedProperty` id format).
pub const LINK_PROP: &str = "String {001c5db1-a402-44c2-91c3-2185e6e31d60} Name OroCRM_id";
/// MAPI PidTagGender (MS-OXPROPS 2.707): PT_SHORT, 0 unspecified, 1
/// female, 2 male.
pub const GENDER_PROP: &str = "Short 0x3A4D";
/// MAPI PidTagBusinessFaxNumber (MS-OXPROPS 2.602): PT_UNICODE.
pub const FAX_PROP: &str = "String 0x3A24";
/// The `applicationName` of the linkedResource that links a To Do task.
pub const TASK_APP: &str = "OroCRM";

/// Graph's wall-clock `dateTime`: no offset, seven fractional digits.
fn wall(t: NaiveDateTime) -> String {
    format!(
        "{}.{:07}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.and_utc().timestamp_subsec_nanos() / 100
    )
}

/// A zone as a dateTimeTimeZone names it: Graph takes IANA names beside
/// Windows ones (dateTimeTimeZone: "timeZone ... any of the supported time
/// zones", which lists IANA names), and "UTC".
fn zone_name(tz: Tz) -> &'static str {
    if tz == Tz::UTC || tz == Tz::Etc__UTC {
        "UTC"
    } else {
        tz.name()
    }
}

fn midnight_wall(d: NaiveDate) -> String {
    wall(d.and_time(NaiveTime::MIN))
}

/// Midnight of `d` in `tz` as an instant (a skipped midnight: the first
/// time after it).
fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    at(tz, d.and_time(NaiveTime::MIN))
}

fn at(tz: Tz, mut t: NaiveDateTime) -> DateTime<Utc> {
    for _ in 0..=24 * 4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += TimeDelta::minutes(15);
    }
    t.and_utc()
}

/// What a person's entry in Outlook stores for `item` (`create`: a new
/// item, with the display name Outlook makes up), linked to Oro record
/// `link` when given.
pub fn body(item: &Item, link: Option<&str>, create: bool, tz: Tz) -> Value {
    let mut m = Map::new();
    let mut props = Vec::new();
    if let Some(l) = link {
        props.push(json!({"id": LINK_PROP, "value": l}));
    }
    match item {
        Item::Contacts(c) => {
            m.insert("title".into(), json!(c.name_prefix));
            m.insert("givenName".into(), json!(c.first_name));
            m.insert("middleName".into(), json!(c.middle_name));
            m.insert("surname".into(), json!(c.last_name));
            m.insert("generation".into(), json!(c.name_suffix));
            m.insert("jobTitle".into(), json!(c.job_title));
            m.insert("personalNotes".into(), json!(c.description));
            m.insert(
                "birthday".into(),
                json!(c
                    .birthday
                    .map(|d| midnight(tz, d).format("%Y-%m-%dT%H:%M:%SZ").to_string())),
            );
            // A contact holds three e-mail addresses at most (contact:
            // emailAddresses).
            let emails: Vec<Value> = c
                .emails
                .iter()
                .take(3)
                .map(|e| json!({"address": e, "name": e}))
                .collect();
            if create {
                let name: Vec<&str> = [&c.first_name, &c.middle_name, &c.last_name]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                let display = if name.is_empty() {
                    c.emails.first().cloned().unwrap_or_default()
                } else {
                    name.join(" ")
                };
                m.insert("displayName".into(), json!(display));
            }
            m.insert("emailAddresses".into(), Value::Array(emails));
            // physicalAddress: five strings (Graph v1.0 `physicalAddress`).
            for (prop, ty) in [
                (
                    "businessAddress",
                    Some(orosync::model::AddressType::Billing),
                ),
                ("homeAddress", Some(orosync::model::AddressType::Shipping)),
                ("otherAddress", None),
            ] {
                let a = c.addresses.iter().find(|a| match ty {
                    Some(t) => a.types.contains(&t),
                    None => a.types.is_empty(),
                });
                let s = |v: Option<&String>| v.cloned().unwrap_or_default();
                m.insert(
                    prop.into(),
                    match a {
                        Some(a) => json!({
                            "street": street_lines(a),
                            "city": s(a.city.as_ref()),
                            "state": match &a.region {
                                Some(orosync::model::Region::Text(t)) | Some(orosync::model::Region::Code(t)) => t.clone(),
                                None => String::new(),
                            },
                            "countryOrRegion": a.country_text.clone().or(a.country.clone()).unwrap_or_default(),
                            "postalCode": s(a.postal_code.as_ref()),
                        }),
                        None => json!({"street": "", "city": "", "state": "", "countryOrRegion": "", "postalCode": ""}),
                    },
                );
            }
            m.insert(
                "businessPhones".into(),
                json!(c.primary_phone.iter().collect::<Vec<_>>()),
            );
            let gender = match c.gender {
                None => "0",
                Some(Gender::Female) => "1",
                Some(Gender::Male) => "2",
            };
            props.push(json!({"id": GENDER_PROP, "value": gender}));
            props.push(json!({"id": FAX_PROP, "value": c.fax.clone().unwrap_or_default()}));
        }
        Item::Events(e) => {
            m.insert("subject".into(), json!(e.title));
            m.insert(
                "body".into(),
                json!({"contentType": "text", "content": e.description.clone().unwrap_or_default()}),
            );
            let (all_day, start, end) = match &e.when {
                When::Timed { start, end } => (
                    false,
                    json!({"dateTime": wall(start.naive_utc()), "timeZone": "UTC"}),
                    json!({"dateTime": wall(end.naive_utc()), "timeZone": "UTC"}),
                ),
                When::AllDay { start, end } => (
                    true,
                    json!({"dateTime": midnight_wall(*start), "timeZone": zone_name(tz)}),
                    json!({"dateTime": midnight_wall(*end), "timeZone": zone_name(tz)}),
                ),
            };
            m.insert("isAllDay".into(), json!(all_day));
            m.insert("start".into(), start);
            m.insert("end".into(), end);
        }
        Item::Tasks(t) => {
            m.insert("title".into(), json!(t.subject));
            m.insert(
                "body".into(),
                json!({"contentType": "text", "content": t.description.clone().unwrap_or_default()}),
            );
            m.insert(
                "importance".into(),
                json!(match t.priority {
                    Priority::Low => "low",
                    Priority::Normal => "normal",
                    Priority::High => "high",
                }),
            );
            m.insert(
                "status".into(),
                json!(match t.status {
                    TaskStatus::Open => "notStarted",
                    TaskStatus::InProgress => "inProgress",
                    TaskStatus::Closed => "completed",
                }),
            );
            m.insert(
                "dueDateTime".into(),
                match t.due_date {
                    Some(d) => json!({"dateTime": midnight_wall(d), "timeZone": zone_name(tz)}),
                    None => Value::Null,
                },
            );
            if let (true, Some(l)) = (create, link) {
                m.insert(
                    "linkedResources".into(),
                    json!([{
                        "applicationName": TASK_APP,
                        "displayName": format!("OroCRM task {l}"),
                        "externalId": l,
                        "webUrl": format!("http://oro.invalid/task/view/{l}"),
                    }]),
                );
            }
            props.clear();
        }
    }
    if !props.is_empty() {
        m.insert("singleValueExtendedProperties".into(), Value::Array(props));
    }
    Value::Object(m)
}

/// A weekly series master starting with `e` (event: `type`
/// "seriesMaster", `recurrence` a patternedRecurrence).
pub fn series_body(e: &Item, tz: Tz) -> Value {
    let mut b = body(e, None, true, tz);
    let start = b["start"]["dateTime"]
        .as_str()
        .and_then(|s| s.get(..10))
        .unwrap_or("2026-01-01")
        .to_string();
    b["type"] = json!("seriesMaster");
    b["recurrence"] = json!({
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "sunday"},
        "range": {"type": "noEnd", "startDate": start, "recurrenceTimeZone": "UTC"},
    });
    b
}

/// An extended property's value (ids compare case-insensitively: Graph
/// answers `Short 0x3a4d` for `Short 0x3A4D`).
pub fn ext(v: &Value, id: &str) -> Option<String> {
    v.get("singleValueExtendedProperties")?
        .as_array()?
        .iter()
        .find(|p| {
            p.get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| i.eq_ignore_ascii_case(id))
        })?
        .get("value")?
        .as_str()
        .map(str::to_string)
}

/// The Oro id an item is linked to.
pub fn link(v: &Value, tasks: bool) -> Option<String> {
    let l = if tasks {
        v.get("linkedResources")?
            .as_array()?
            .iter()
            .find(|r| r.get("applicationName").and_then(Value::as_str) == Some(TASK_APP))?
            .get("externalId")?
            .as_str()
            .map(str::to_string)
    } else {
        ext(v, LINK_PROP)
    };
    l.filter(|l| !l.trim().is_empty())
}

pub fn gender(v: &Value) -> Option<Gender> {
    match ext(v, GENDER_PROP)?.trim() {
        "1" => Some(Gender::Female),
        "2" => Some(Gender::Male),
        _ => None,
    }
}

/// A property's text; blank is no value.
fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

fn stamp(v: &Value, k: &str) -> DateTime<Utc> {
    v.get(k)
        .and_then(Value::as_str)
        .and_then(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| wall_time(s).map(|t| t.and_utc()))
        })
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn wall_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

fn zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() || name.eq_ignore_ascii_case("utc") {
        return Some(Tz::UTC);
    }
    name.parse::<Tz>().ok().or_else(|| {
        name.parse::<windows_timezones::WindowsTimezone>()
            .ok()
            .map(Tz::from)
    })
}

/// A dateTimeTimeZone: its wall time and the instant it names.
fn date_time(v: Option<&Value>) -> Option<(NaiveDateTime, DateTime<Utc>)> {
    let v = v.filter(|v| !v.is_null())?;
    let t = wall_time(v.get("dateTime")?.as_str()?)?;
    let tz = zone(v.get("timeZone").and_then(Value::as_str).unwrap_or(""))?;
    Some((t, at(tz, t)))
}

/// The day an instant stands for in `tz`: a UTC midnight is the day it
/// names; otherwise the nearest midnight in `tz` (a day written by a client
/// in another zone lands within half a day of the user's midnight).
fn day(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    if t.time() == NaiveTime::MIN {
        return t.date_naive();
    }
    let local = t.with_timezone(&tz).naive_local();
    if local.hour() >= 12 {
        local.date() + TimeDelta::days(1)
    } else {
        local.date()
    }
}

/// A body's plain text; empty is none.
fn body_text(v: Option<&Value>) -> Option<String> {
    let b = v?;
    let content = b.get("content").and_then(Value::as_str).unwrap_or("");
    let html = b
        .get("contentType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("html"));
    let text = if html {
        let t = html_text(content).replace('\u{a0}', " ");
        let lines: Vec<&str> = t.lines().map(str::trim_end).collect();
        lines.join("\n").trim().to_string()
    } else {
        content.replace("\r\n", "\n").trim_end().to_string()
    };
    (!text.trim().is_empty()).then_some(text)
}

/// An item as the fake Graph holds it (`FakeGraph::all`, `find`: `_kind`
/// names its kind) → the model, dates read in the user's zone `tz`.
pub fn read(v: &Value, tz: Tz) -> OutlookItem {
    let kind = v.get("_kind").and_then(Value::as_str).unwrap_or("contacts");
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("an item without an id: {v}"))
        .to_string();
    let mut recurring = false;
    let item = match kind {
        "contacts" => Item::Contacts(Contact {
            name_prefix: text(v, "title"),
            first_name: text(v, "givenName"),
            middle_name: text(v, "middleName"),
            last_name: text(v, "surname"),
            name_suffix: text(v, "generation"),
            gender: gender(v),
            birthday: v
                .get("birthday")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| day(tz, t.with_timezone(&Utc))),
            job_title: text(v, "jobTitle"),
            description: text(v, "personalNotes")
                .map(|s| s.replace("\r\n", "\n").trim_end().to_string()),
            emails: v
                .get("emailAddresses")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|e| text(e, "address")).collect())
                .unwrap_or_default(),
            primary_phone: v
                .get("businessPhones")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string),
            fax: ext(v, FAX_PROP).filter(|s| !s.trim().is_empty()),
            addresses: addresses(v),
        }),
        "events" => {
            recurring = v
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "singleInstance");
            let all_day = v.get("isAllDay").and_then(Value::as_bool) == Some(true);
            let when = match (date_time(v.get("start")), date_time(v.get("end"))) {
                (Some(s), Some(e)) if all_day => {
                    // All-day events float: a midnight is the day it is
                    // written with, in whatever zone it is answered in.
                    let date = |(w, t): (NaiveDateTime, DateTime<Utc>)| {
                        if w.time() == NaiveTime::MIN {
                            w.date()
                        } else {
                            day(tz, t)
                        }
                    };
                    When::AllDay {
                        start: date(s),
                        end: date(e),
                    }
                }
                (Some(s), Some(e)) => When::Timed {
                    start: s.1,
                    end: e.1,
                },
                _ if recurring => When::Timed {
                    start: DateTime::<Utc>::UNIX_EPOCH,
                    end: DateTime::<Utc>::UNIX_EPOCH,
                },
                _ => panic!("event {id} without a start and an end: {v}"),
            };
            Item::Events(Event {
                title: v
                    .get("subject")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                description: body_text(v.get("body")),
                when,
            })
        }
        "tasks" => Item::Tasks(Task {
            subject: v
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            description: body_text(v.get("body")),
            priority: match v.get("importance").and_then(Value::as_str) {
                Some("low") => Priority::Low,
                Some("high") => Priority::High,
                _ => Priority::Normal,
            },
            status: match v.get("status").and_then(Value::as_str) {
                Some("inProgress" | "waitingOnOthers" | "deferred") => TaskStatus::InProgress,
                Some("completed") => TaskStatus::Closed,
                _ => TaskStatus::Open,
            },
            // To Do answers a due day as its midnight in the user's zone,
            // given in UTC: the day is that instant's, in the user's zone.
            due_date: date_time(v.get("dueDateTime")).map(|(_, t)| day(tz, t)),
        }),
        other => panic!("the fake Graph has no {other} items"),
    };
    OutlookItem {
        id,
        created_at: stamp(v, "createdDateTime"),
        modified_at: stamp(v, "lastModifiedDateTime"),
        link: link(v, kind == "tasks"),
        recurring,
        item,
    }
}

/// Oro's street and street2 as the lines of one street.
fn street_lines(a: &orosync::model::Address) -> String {
    [a.street.clone(), a.street2.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Graph's three physicalAddress properties of a contact (Graph v1.0
/// `contact`: businessAddress, homeAddress, otherAddress) as the model's
/// addresses: the street's first line as street, the rest as street2, the
/// country read only as an ISO alpha-2 code or an English short name the
/// tests use, the state as text.
fn addresses(v: &Value) -> Vec<orosync::model::Address> {
    use orosync::model::{Address, AddressType, Region};
    let mut out = Vec::new();
    for (prop, ty) in [
        ("businessAddress", Some(AddressType::Billing)),
        ("homeAddress", Some(AddressType::Shipping)),
        ("otherAddress", None),
    ] {
        let Some(p) = v.get(prop) else { continue };
        let street = text(p, "street").map(|s| s.replace("\r\n", "\n"));
        let (street, street2) = match street.as_deref().and_then(|s| s.split_once('\n')) {
            Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
            None => (street, None),
        };
        let country = text(p, "countryOrRegion");
        let code = match country.as_deref() {
            Some(c) if c.len() == 2 => Some(c.to_ascii_uppercase()),
            Some("Germany") => Some("DE".to_string()),
            Some("Austria") => Some("AT".to_string()),
            Some("Switzerland") => Some("CH".to_string()),
            Some("United States of America") => Some("US".to_string()),
            _ => None,
        };
        let a = Address {
            types: ty.into_iter().collect(),
            street,
            street2,
            city: text(p, "city"),
            postal_code: text(p, "postalCode"),
            region: text(p, "state").map(Region::Text),
            country_text: if code.is_none() { country } else { None },
            country: code,
            ..Address::default()
        };
        if !a.is_empty() {
            out.push(a);
        }
    }
    out
}
