//! JSON:API documents (contacts, tasks) ⇄ the model.

use crate::model::zone;
use crate::model::{Contact, Gender, Item, Kind, OroRecord, Priority, Task, TaskStatus};
use crate::sides::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

/// One resource object of a document.
#[derive(Clone, Debug, Default)]
pub(crate) struct Resource {
    pub id: String,
    pub attributes: Map<String, Value>,
    pub relationships: Map<String, Value>,
}

impl Resource {
    /// Takes the resource's maps over (a page of resources is read once:
    /// copying each record's attributes was a tenth of a first sync's CPU).
    pub(crate) fn from_owned(v: Value) -> StoreResult<Resource> {
        let Value::Object(mut v) = v else {
            return Err(StoreError::Malformed("resource without an id".into()));
        };
        let id = match v.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(StoreError::Malformed("resource without an id".into())),
        };
        let mut obj = |k: &str| match v.remove(k) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        Ok(Resource {
            id,
            attributes: obj("attributes"),
            relationships: obj("relationships"),
        })
    }

    fn text(&self, name: &str) -> Option<String> {
        match self.attributes.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    /// The id of a to-one relationship (`relationships.name.data.id`).
    pub fn rel_id(&self, name: &str) -> Option<String> {
        match self.relationships.get(name)?.get("data")?.get("id")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn time(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        match self.attributes.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => parse_time(s)
                .map(Some)
                .ok_or_else(|| StoreError::Malformed(format!("{name}: not a datetime: {s}"))),
            Some(other) => Err(StoreError::Malformed(format!(
                "{name}: not a datetime: {other}"
            ))),
        }
    }
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Oro's wire format for datetimes (UTC, second precision).
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn document(body: &[u8]) -> StoreResult<Value> {
    serde_json::from_slice(body).map_err(|e| StoreError::Malformed(format!("not JSON: {e}")))
}

/// The document's `data`, taken out of it.
fn data(body: &[u8]) -> StoreResult<Option<Value>> {
    Ok(match document(body)? {
        Value::Object(mut m) => m.remove("data"),
        _ => None,
    })
}

pub(crate) fn parse_one(body: &[u8]) -> StoreResult<Resource> {
    match data(body)? {
        Some(d @ Value::Object(_)) => Resource::from_owned(d),
        _ => Err(StoreError::Malformed("document without a resource".into())),
    }
}

pub(crate) fn parse_many(body: &[u8]) -> StoreResult<Vec<Resource>> {
    match data(body)? {
        Some(Value::Array(a)) => a.into_iter().map(Resource::from_owned).collect(),
        _ => Err(StoreError::Malformed(
            "document without a collection".into(),
        )),
    }
}

/// The JSON:API type of a kind (events are not in the JSON:API).
pub(crate) fn type_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Contacts => "contacts",
        Kind::Tasks => "tasks",
        Kind::Events => "calendarevents",
    }
}

/// A contact or task resource as a record.
pub(crate) fn record(kind: Kind, res: &Resource, tz: Tz) -> StoreResult<OroRecord> {
    let created_at = res.time("createdAt")?;
    let updated_at = res.time("updatedAt")?.ok_or_else(|| {
        StoreError::Malformed(format!("{} {}: no updatedAt", type_of(kind), res.id))
    })?;
    let item = match kind {
        Kind::Contacts => Item::Contacts(contact(res)?),
        Kind::Tasks => Item::Tasks(task(res, tz)?),
        Kind::Events => {
            return Err(StoreError::Malformed(
                "events are not read through JSON:API".into(),
            ))
        }
    };
    Ok(OroRecord {
        id: res.id.clone(),
        created_at: created_at.unwrap_or(updated_at),
        updated_at,
        recurring: false,
        item,
    })
}

fn contact(res: &Resource) -> StoreResult<Contact> {
    let list = |name: &str, field: &str| -> Vec<String> {
        match res.attributes.get(name) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|e| e.get(field).and_then(Value::as_str))
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut emails = list("emails", "email");
    // The primary address comes first (model: "Primary first").
    if let Some(primary) = res.text("primaryEmail") {
        emails.retain(|e| !e.eq_ignore_ascii_case(&primary));
        emails.insert(0, primary);
    }
    let birthday = match res.text("birthday") {
        None => None,
        // MySQL's "zero date" is how some Oro databases say "no date".
        Some(s) if s.starts_with("0000-00-00") => None,
        Some(s) => Some(
            // Oro writes a DATE as YYYY-MM-DD; tolerate a datetime form too.
            NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d")
                .map_err(|_| StoreError::Malformed(format!("birthday: not a date: {s}")))?,
        ),
    };
    Ok(Contact {
        name_prefix: res.text("namePrefix"),
        first_name: res.text("firstName"),
        middle_name: res.text("middleName"),
        last_name: res.text("lastName"),
        name_suffix: res.text("nameSuffix"),
        gender: res.text("gender").as_deref().and_then(Gender::parse),
        birthday,
        job_title: res.text("jobTitle"),
        description: res.text("description"),
        emails,
        primary_phone: res
            .text("primaryPhone")
            .or_else(|| list("phones", "phone").into_iter().next()),
        fax: res.text("fax"),
        // Their own resource: the client reads them for many contacts at
        // once and fills them in (oro/addresses.rs).
        addresses: Vec::new(),
    })
}

fn task(res: &Resource, tz: Tz) -> StoreResult<Task> {
    let priority = match res.rel_id("taskPriority") {
        None => Priority::default(),
        Some(p) => Priority::parse(&p)
            .ok_or_else(|| StoreError::Malformed(format!("unknown task priority {p}")))?,
    };
    let status = task_status(res)?;
    Ok(Task {
        subject: res.text("subject").unwrap_or_default(),
        description: res.text("description"),
        priority,
        status,
        due_date: res.time("dueDate")?.map(|t| zone::local(tz, t).date()),
    })
}

/// A task resource's status (`open` when Oro gives none).
pub(crate) fn task_status(res: &Resource) -> StoreResult<TaskStatus> {
    match res.rel_id("status") {
        None => Ok(TaskStatus::default()),
        Some(s) => TaskStatus::parse(&s)
            .ok_or_else(|| StoreError::Malformed(format!("unknown task status {s}"))),
    }
}

fn opt(v: &Option<String>) -> Value {
    match v {
        Some(s) if !s.trim().is_empty() => Value::String(s.clone()),
        _ => Value::Null,
    }
}

fn user(id: &str) -> Value {
    json!({"data": {"type": "users", "id": id}})
}

/// The document to create (`id` None, `owner` set) or update a contact.
pub(crate) fn contact_document(c: &Contact, id: Option<&str>, owner: Option<&str>) -> Value {
    let mut seen = std::collections::HashSet::new();
    let emails: Vec<Value> = c
        .emails
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty() && seen.insert(e.to_lowercase()))
        .map(|e| json!({"email": e}))
        .collect();
    let mut attrs = json!({
        "namePrefix": opt(&c.name_prefix),
        "firstName": opt(&c.first_name),
        "middleName": opt(&c.middle_name),
        "lastName": opt(&c.last_name),
        "nameSuffix": opt(&c.name_suffix),
        "gender": c.gender.map(|g| Value::String(g.as_str().into())).unwrap_or(Value::Null),
        "birthday": c.birthday.map(|d| Value::String(d.format("%Y-%m-%d").to_string())).unwrap_or(Value::Null),
        "jobTitle": opt(&c.job_title),
        "description": opt(&c.description),
        // The full list (Oro replaces it), the primary one first.
        "emails": emails,
        "primaryEmail": emails.first().and_then(|e| e.get("email")).cloned().unwrap_or(Value::Null),
        // Only the primary number is mapped: setting primaryPhone keeps
        // Oro's other numbers on update.
        "primaryPhone": opt(&c.primary_phone),
        "fax": opt(&c.fax),
    });
    if id.is_none() {
        // On create the list must hold every number, here just the one.
        attrs["phones"] = match &c.primary_phone {
            Some(p) if !p.trim().is_empty() => json!([{"phone": p}]),
            _ => json!([]),
        };
    }
    resource(
        "contacts",
        id,
        attrs,
        owner.map(|o| json!({"owner": user(o)})),
    )
}

/// The document to create or update a task; `due` is already resolved by
/// [`due_to_oro`].
pub(crate) fn task_document(
    t: &Task,
    id: Option<&str>,
    owner: Option<&str>,
    due: Option<DateTime<Utc>>,
) -> Value {
    let attrs = json!({
        "subject": t.subject,
        "description": opt(&t.description),
        "dueDate": due.map(|d| Value::String(format_time(d))).unwrap_or(Value::Null),
    });
    let mut rels = json!({
        "taskPriority": {"data": {"type": "taskpriorities", "id": t.priority.as_str()}},
        "status": {"data": {"type": "taskstatuses", "id": t.status.as_str()}},
    });
    if let Some(o) = owner {
        rels["owner"] = user(o);
    }
    resource("tasks", id, attrs, Some(rels))
}

fn resource(ty: &str, id: Option<&str>, attributes: Value, rels: Option<Value>) -> Value {
    let mut data = json!({"type": ty, "attributes": attributes});
    if let Some(id) = id {
        data["id"] = Value::String(id.to_string());
    }
    if let Some(r) = rels {
        data["relationships"] = r;
    }
    json!({ "data": data })
}

/// Oro's `dueDate` for a task whose due date is now `new`: a date that did
/// not change keeps Oro's exact value, a changed date keeps Oro's previous
/// time of day, a new one is 00:00, all in the user's zone.
pub(crate) fn due_to_oro(
    new: Option<NaiveDate>,
    previous: Option<DateTime<Utc>>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let date = new?;
    match previous {
        Some(p) => {
            let local = zone::local(tz, p);
            if local.date() == date {
                Some(p)
            } else {
                Some(zone::local_to_utc(tz, date.and_time(local.time())))
            }
        }
        None => Some(zone::midnight(tz, date)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(s: &str) -> Tz {
        s.parse().unwrap()
    }

    #[test]
    fn due_date_is_read_in_the_users_zone() {
        let body = br#"{"data":{"type":"tasks","id":"3","attributes":{"subject":"Call","dueDate":"2024-05-01T23:30:00Z","createdAt":"2024-04-01T10:00:00Z","updatedAt":"2024-04-02T10:00:00Z"},"relationships":{"taskPriority":{"data":{"type":"taskpriorities","id":"high"}},"status":{"data":{"type":"taskstatuses","id":"in_progress"}}}}}"#;
        let res = parse_one(body).unwrap();
        let r = record(Kind::Tasks, &res, tz("Europe/Berlin")).unwrap();
        let Item::Tasks(t) = r.item else { panic!() };
        assert_eq!(t.due_date, NaiveDate::from_ymd_opt(2024, 5, 2));
        assert_eq!(t.priority, Priority::High);
        assert_eq!(t.status, TaskStatus::InProgress);
        let r = record(Kind::Tasks, &res, tz("UTC")).unwrap();
        let Item::Tasks(t) = r.item else { panic!() };
        assert_eq!(t.due_date, NaiveDate::from_ymd_opt(2024, 5, 1));
    }

    #[test]
    fn changed_due_date_keeps_the_time_of_day() {
        let berlin = tz("Europe/Berlin");
        let prev = parse_time("2024-05-01T13:15:00Z").unwrap(); // 15:15 in Berlin
        let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d);
        assert_eq!(due_to_oro(d(5, 1), Some(prev), berlin), Some(prev));
        assert_eq!(
            due_to_oro(d(12, 3), Some(prev), berlin).map(format_time),
            Some("2024-12-03T14:15:00Z".to_string()) // winter time
        );
        assert_eq!(
            due_to_oro(d(5, 7), None, berlin).map(format_time),
            Some("2024-05-06T22:00:00Z".to_string())
        );
        assert_eq!(due_to_oro(None, Some(prev), berlin), None);
    }

    #[test]
    fn contact_reads_primary_first() {
        let body = br#"{"data":{"type":"contacts","id":"7","attributes":{"firstName":"Ann","emails":[{"email":"b@x"},{"email":"a@x"}],"primaryEmail":"a@x","phones":[{"phone":"1"},{"phone":"2"}],"primaryPhone":"2","gender":"female","birthday":"1973-03-07","updatedAt":"2024-04-02T10:00:00Z"}}}"#;
        let r = record(Kind::Contacts, &parse_one(body).unwrap(), tz("UTC")).unwrap();
        let Item::Contacts(c) = r.item else { panic!() };
        assert_eq!(c.emails, vec!["a@x", "b@x"]);
        assert_eq!(c.primary_phone.as_deref(), Some("2"));
        assert_eq!(c.gender, Some(Gender::Female));
        assert_eq!(c.birthday, NaiveDate::from_ymd_opt(1973, 3, 7));
        assert_eq!(r.created_at, r.updated_at);
    }
}
