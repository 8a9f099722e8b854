//! Model values ⇄ the fake Oro's JSON, written for the tests on their own:
//! none of the client's reading or writing code is used, so a mistake in
//! the client's understanding of Oro's API shows up as a difference here
//! instead of agreeing with itself.
//!
//! What Oro holds, by its API's names: contacts and tasks are JSON:API
//! resources (OroCRM ContactBundle `Resources/config/oro/api.yml`,
//! OroCRMTaskBundle `Resources/config/oro/api.yml`: `emails`/`phones` as
//! lists of `{email}`/`{phone}`, `primaryEmail`/`primaryPhone` computed,
//! `birthday` a DATE, `dueDate` a DATETIME, `taskPriority` and `status`
//! relationships by id); events come from the legacy REST API
//! (OroCalendarBundle `Controller/Api/Rest/CalendarEventController`:
//! `start`/`end` instants, `allDay`, an HTML `description`, `recurrence`).

use crate::text::html_text;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use orosync::model::{Contact, Event, Gender, Item, OroRecord, Priority, Task, TaskStatus, When};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A to-one relationship as the fake keeps it: (type, id), or none.
pub type Rel = Option<(String, String)>;

/// The attributes and relationships a person's entry in Oro's forms
/// stores for `item` (the owner is the fake's user, `me`).
pub fn fields(item: &Item, tz: Tz, me: &str) -> (Map<String, Value>, BTreeMap<String, Rel>) {
    let mut rels = BTreeMap::new();
    let attrs = match item {
        Item::Contacts(c) => {
            rels.insert("owner".into(), Some(("users".into(), me.to_string())));
            json!({
                "namePrefix": c.name_prefix,
                "firstName": c.first_name,
                "middleName": c.middle_name,
                "lastName": c.last_name,
                "nameSuffix": c.name_suffix,
                "gender": c.gender.map(|g| match g {
                    Gender::Male => "male",
                    Gender::Female => "female",
                }),
                "birthday": c.birthday.map(|d| d.format("%Y-%m-%d").to_string()),
                "jobTitle": c.job_title,
                "description": c.description,
                "emails": c.emails.iter().map(|e| json!({"email": e})).collect::<Vec<_>>(),
                "phones": c.primary_phone.iter().map(|p| json!({"phone": p})).collect::<Vec<_>>(),
                "fax": c.fax,
            })
        }
        Item::Tasks(t) => {
            rels.insert("owner".into(), Some(("users".into(), me.to_string())));
            rels.insert(
                "taskPriority".into(),
                Some(("taskpriorities".into(), priority_id(t.priority).into())),
            );
            rels.insert(
                "status".into(),
                Some(("taskstatuses".into(), status_id(t.status).into())),
            );
            json!({
                "subject": t.subject,
                "description": t.description,
                // Oro's form takes a day and stores its midnight in the
                // user's zone.
                "dueDate": t.due_date.map(|d| instant_text(midnight(tz, d))),
            })
        }
        Item::Events(e) => event_attrs(e, tz),
    };
    let Value::Object(attrs) = attrs else {
        unreachable!("json! of an object")
    };
    (attrs, rels)
}

fn event_attrs(e: &Event, tz: Tz) -> Value {
    let (start, end, all_day) = match &e.when {
        When::Timed { start, end } => (*start, *end, false),
        When::AllDay { start, end } => (midnight(tz, *start), midnight(tz, *end), true),
    };
    json!({
        "title": e.title,
        "description": e.description,
        "start": instant_text(start),
        "end": instant_text(end),
        "allDay": all_day,
    })
}

/// The JSON the fake's `user_create_json` takes for `item`.
pub fn create_doc(item: &Item, tz: Tz, me: &str) -> Value {
    let (attrs, rels) = fields(item, tz, me);
    json!({"attributes": attrs, "relationships": rels_json(&rels)})
}

/// A weekly series starting with `e` (OroCalendarBundle `Entity/Recurrence`:
/// `recurrenceType`, `interval`, `dayOfWeek`, `timeZone`).
pub fn series_doc(e: &Event, tz: Tz) -> Value {
    let mut attrs = event_attrs(e, tz);
    attrs["recurrence"] = json!({
        "recurrenceType": "weekly",
        "interval": 1,
        "dayOfWeek": ["monday"],
        "timeZone": tz.name(),
    });
    json!({ "attributes": attrs })
}

fn rels_json(rels: &BTreeMap<String, Rel>) -> Value {
    let m: Map<String, Value> = rels
        .iter()
        .map(|(name, r)| {
            let data = match r {
                Some((t, id)) => json!({"type": t, "id": id}),
                None => Value::Null,
            };
            (name.clone(), json!({ "data": data }))
        })
        .collect();
    Value::Object(m)
}

fn priority_id(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
    }
}

fn status_id(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "open",
        TaskStatus::InProgress => "in_progress",
        TaskStatus::Closed => "closed",
    }
}

/// Oro's datetime text: UTC, whole seconds.
fn instant_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Midnight of `d` in `tz`; where a DST jump skips midnight, the first
/// time that exists after it.
fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t = d.and_time(NaiveTime::MIN);
    for _ in 0..=24 * 4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += TimeDelta::minutes(15);
    }
    d.and_time(NaiveTime::MIN).and_utc()
}

fn instant(v: &Value, name: &str) -> Option<DateTime<Utc>> {
    let s = v.get(name)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn required_instant(v: &Value, name: &str, what: &str) -> DateTime<Utc> {
    instant(v, name).unwrap_or_else(|| panic!("{what}: {name} is no datetime: {v}"))
}

/// A string attribute; an empty one is no value.
fn text(attrs: &Value, name: &str) -> Option<String> {
    attrs
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn rel_id(res: &Value, name: &str) -> Option<String> {
    match res
        .get("relationships")?
        .get(name)?
        .get("data")?
        .get("id")?
    {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A record as the fake's API answers it (`FakeOro::render`) → the model,
/// dates read in the user's zone `tz`.
pub fn read(v: &Value, tz: Tz) -> OroRecord {
    if v.get("type").is_some() {
        read_resource(v, tz)
    } else {
        read_event(v, tz)
    }
}

fn read_resource(res: &Value, tz: Tz) -> OroRecord {
    let ty = res["type"].as_str().unwrap_or_default();
    let id = res["id"].as_str().unwrap_or_default().to_string();
    let what = format!("{ty} {id}");
    let a = res.get("attributes").cloned().unwrap_or(Value::Null);
    let item = match ty {
        "contacts" => {
            let list = |name: &str, key: &str| -> Vec<String> {
                a.get(name)
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .filter_map(|e| e.get(key).and_then(Value::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut emails = list("emails", "email");
            if let Some(p) = text(&a, "primaryEmail") {
                emails.retain(|e| !e.eq_ignore_ascii_case(&p));
                emails.insert(0, p);
            }
            Item::Contacts(Contact {
                name_prefix: text(&a, "namePrefix"),
                first_name: text(&a, "firstName"),
                middle_name: text(&a, "middleName"),
                last_name: text(&a, "lastName"),
                name_suffix: text(&a, "nameSuffix"),
                gender: match text(&a, "gender").as_deref() {
                    Some("male") => Some(Gender::Male),
                    Some("female") => Some(Gender::Female),
                    _ => None,
                },
                birthday: text(&a, "birthday").and_then(|s| {
                    NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok()
                }),
                job_title: text(&a, "jobTitle"),
                description: text(&a, "description"),
                emails,
                primary_phone: text(&a, "primaryPhone")
                    .or_else(|| list("phones", "phone").into_iter().next()),
                fax: text(&a, "fax"),
                // contactaddresses are their own resource in Oro.
                addresses: Vec::new(),
            })
        }
        "tasks" => Item::Tasks(Task {
            subject: text(&a, "subject").unwrap_or_default(),
            description: text(&a, "description"),
            priority: match rel_id(res, "taskPriority").as_deref() {
                None | Some("normal") => Priority::Normal,
                Some("low") => Priority::Low,
                Some("high") => Priority::High,
                Some(p) => panic!("{what}: priority {p}"),
            },
            status: match rel_id(res, "status").as_deref() {
                None | Some("open") => TaskStatus::Open,
                Some("in_progress") => TaskStatus::InProgress,
                Some("closed") => TaskStatus::Closed,
                Some(s) => panic!("{what}: status {s}"),
            },
            due_date: instant(&a, "dueDate").map(|t| t.with_timezone(&tz).date_naive()),
        }),
        other => panic!("the fake Oro has no {other} records to read"),
    };
    let updated_at = required_instant(&a, "updatedAt", &what);
    OroRecord {
        id,
        created_at: instant(&a, "createdAt").unwrap_or(updated_at),
        updated_at,
        recurring: false,
        item,
    }
}

fn read_event(v: &Value, tz: Tz) -> OroRecord {
    let id = match v.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => panic!("an event without an id: {v}"),
    };
    let what = format!("event {id}");
    let start = required_instant(v, "start", &what);
    let end = required_instant(v, "end", &what);
    let when = if v.get("allDay").and_then(Value::as_bool) == Some(true) {
        // The days an all-day event covers in the user's zone: its end is
        // the midnight after its last day (one day at least).
        let first = start.with_timezone(&tz).date_naive();
        let end_local = end.with_timezone(&tz);
        let mut after = if end_local.time() == NaiveTime::MIN {
            end_local.date_naive()
        } else {
            end_local.date_naive() + TimeDelta::days(1)
        };
        if after <= first {
            after = first + TimeDelta::days(1);
        }
        When::AllDay {
            start: first,
            end: after,
        }
    } else {
        When::Timed { start, end }
    };
    let updated_at = required_instant(v, "updatedAt", &what);
    let present = |k: &str| !matches!(v.get(k), None | Some(Value::Null));
    OroRecord {
        id,
        created_at: instant(v, "createdAt").unwrap_or(updated_at),
        updated_at,
        recurring: present("recurrence") || present("recurringEventId"),
        item: Item::Events(Event {
            title: v
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            description: v
                .get("description")
                .and_then(Value::as_str)
                .map(html_text)
                .filter(|s| !s.is_empty()),
            when,
        }),
    }
}

/// A contact address as the fake holds it → the model, the region's name
/// taken from the fake's own dictionary (Oro's `oro_dictionary_region`).
pub fn read_address(f: &orosync_fakes::oro::FakeAddress) -> orosync::model::Address {
    use orosync::model::{Address, AddressType, Region};
    let t = |n: &str| f.attr_str(n).filter(|s| !s.is_empty()).map(str::to_string);
    let region = match (&f.region, t("customRegion")) {
        (Some(code), _) => Some(Region::Code(code.clone())),
        (None, Some(text)) => Some(Region::Text(text)),
        _ => None,
    };
    Address {
        oro_id: Some(f.id.to_string()),
        types: f
            .types
            .iter()
            .filter_map(|t| AddressType::parse(t))
            .collect(),
        primary: f.primary,
        street: t("street"),
        street2: t("street2"),
        city: t("city"),
        postal_code: t("postalCode"),
        country: f.country.clone(),
        region_name: f
            .region
            .as_deref()
            .and_then(orosync_fakes::oro::dictionary::region)
            .map(|(_, _, name)| name.to_string()),
        region,
        country_text: None,
    }
}

/// Fills a fake address as a user fills Oro's address form from model
/// values (the country an ISO code, the region a combined code or text).
pub fn fill_address(f: &mut orosync_fakes::oro::FakeAddress, a: &orosync::model::Address) {
    use orosync::model::Region;
    let s = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    f.attributes.insert("street".into(), s(&a.street));
    f.attributes.insert("street2".into(), s(&a.street2));
    f.attributes.insert("city".into(), s(&a.city));
    f.attributes.insert("postalCode".into(), s(&a.postal_code));
    f.country = a.country.clone();
    f.region = None;
    f.attributes.insert("customRegion".into(), Value::Null);
    match &a.region {
        Some(Region::Code(c)) => f.region = Some(c.clone()),
        Some(Region::Text(t)) => {
            f.attributes.insert("customRegion".into(), json!(t));
        }
        None => {}
    }
    f.types = a.types.iter().map(|t| t.as_str().to_string()).collect();
    f.primary = a.primary;
}
