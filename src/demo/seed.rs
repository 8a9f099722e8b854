//! The demo's sample put into the fakes through their JSON-level API: in
//! Oro as a person's entry in Oro's forms would store it (attributes and
//! relationships by Oro's API names), in Outlook as the body a client
//! creates the item with. The fakes take only their servers' JSON.

use crate::graph::mapping::Mapper;
use crate::model::{Gender, Item, Region, When};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use orosync_fakes::graph::FakeGraph;
use orosync_fakes::oro::FakeOro;
use serde_json::{json, Value};

/// Oro's datetime text: UTC, whole seconds.
fn oro_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let t = d.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&t)
        .earliest()
        .map(|x| x.with_timezone(&Utc))
        .unwrap_or_else(|| t.and_utc())
}

fn rel(ty: &str, id: &str) -> Value {
    json!({"data": {"type": ty, "id": id}})
}

/// The record a person enters in Oro for `item` (owner and calendar: the
/// fake's user and default calendar, which the fake fills in).
fn oro_doc(item: &Item, tz: Tz) -> Value {
    match item {
        Item::Contacts(c) => json!({"attributes": {
            "namePrefix": c.name_prefix,
            "firstName": c.first_name,
            "middleName": c.middle_name,
            "lastName": c.last_name,
            "nameSuffix": c.name_suffix,
            "gender": c.gender.map(|g| match g { Gender::Male => "male", Gender::Female => "female" }),
            "birthday": c.birthday.map(|d| d.format("%Y-%m-%d").to_string()),
            "jobTitle": c.job_title,
            "description": c.description,
            "emails": c.emails.iter().map(|e| json!({"email": e})).collect::<Vec<_>>(),
            "phones": c.primary_phone.iter().map(|p| json!({"phone": p})).collect::<Vec<_>>(),
            "fax": c.fax,
        }}),
        Item::Tasks(t) => json!({
            "attributes": {
                "subject": t.subject,
                "description": t.description,
                "dueDate": t.due_date.map(|d| oro_time(midnight(tz, d))),
            },
            "relationships": {
                "taskPriority": rel("taskpriorities", t.priority.as_str()),
                "status": rel("taskstatuses", t.status.as_str()),
            },
        }),
        Item::Events(e) => {
            let (start, end, all_day) = match &e.when {
                When::Timed { start, end } => (*start, *end, false),
                When::AllDay { start, end } => (midnight(tz, *start), midnight(tz, *end), true),
            };
            json!({"attributes": {
                "title": e.title,
                "description": e.description,
                "start": oro_time(start),
                "end": oro_time(end),
                "allDay": all_day,
            }})
        }
    }
}

/// A person creates `item` in Oro; its id.
pub(super) fn in_oro(oro: &FakeOro, item: &Item) -> String {
    let tz = oro.options().time_zone;
    let id = oro.user_create_json(item.kind(), &oro_doc(item, tz));
    // Addresses are records of their own in Oro, added to the contact.
    if let Item::Contacts(c) = item {
        for a in &c.addresses {
            oro.user_add_address(&id, |f| {
                let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
                f.attributes.insert("street".into(), text(&a.street));
                f.attributes.insert("city".into(), text(&a.city));
                f.attributes
                    .insert("postalCode".into(), text(&a.postal_code));
                f.country = a.country.clone();
                if let Some(Region::Code(code)) = &a.region {
                    f.region = Some(code.clone());
                }
                f.types = a.types.iter().map(|t| t.as_str().to_string()).collect();
            })
            .expect("the contact was just created");
        }
    }
    id
}

/// A person creates `item` in Outlook; its id.
pub(super) fn in_outlook(graph: &FakeGraph, item: &Item) -> String {
    let body = Mapper::new(graph.time_zone(), "http://oro.invalid")
        .expect("the demo's zone (UTC) has a Windows name")
        .write_body(Some(item), None, true);
    graph.user_create(item.kind(), body)
}
