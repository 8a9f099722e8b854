//! The fake's write rules for contacts and tasks (Oro's validation, with
//! error pointers into the request document).

use super::data::{FakeRecord, CONTACTS, TASKS};
use super::Shared;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

pub(super) const PRIORITIES: [(&str, &str, u32); 3] = [
    ("low", "Low", 1),
    ("normal", "Normal", 2),
    ("high", "High", 3),
];
pub(super) const STATUSES: [(&str, &str); 3] = [
    ("open", "Open"),
    ("in_progress", "In Progress"),
    ("closed", "Closed"),
];

/// One validation or request error of a JSON:API error document.
pub(super) struct ApiErr {
    pub(super) title: &'static str,
    pub(super) detail: String,
    pub(super) pointer: Option<String>,
    pub(super) parameter: Option<String>,
}

pub(super) fn at(title: &'static str, detail: impl Into<String>, pointer: &str) -> ApiErr {
    ApiErr {
        title,
        detail: detail.into(),
        pointer: Some(pointer.into()),
        parameter: None,
    }
}

pub(super) fn param(title: &'static str, detail: impl Into<String>, parameter: &str) -> ApiErr {
    ApiErr {
        title,
        detail: detail.into(),
        pointer: None,
        parameter: Some(parameter.into()),
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn user_exists(s: &Shared, id: &str) -> bool {
    id == s.opts.user_id.to_string() || id == "2"
}

const CONTACT_ATTRS: &[&str] = &[
    "namePrefix",
    "firstName",
    "middleName",
    "lastName",
    "nameSuffix",
    "gender",
    "birthday",
    "description",
    "jobTitle",
    "fax",
    "skype",
    "twitter",
    "facebook",
    "googlePlus",
    "linkedIn",
    "emails",
    "phones",
    "primaryEmail",
    "primaryPhone",
];
const TASK_ATTRS: &[&str] = &["subject", "description", "dueDate"];

/// Oro's `Length(max)` rules on string attributes: OroCRM
/// `ContactBundle/Resources/config/validation.yml` (firstName, lastName 100;
/// skype, twitter, facebook, googlePlus, linkedIn 255) and OROCRMTaskBundle
/// `Resources/config/validation.yml` (subject 255). Symfony's `Length`
/// counts characters (`mb_strlen`), not bytes.
const MAX_LENGTHS: &[(&str, &str, usize)] = &[
    (CONTACTS, "firstName", 100),
    (CONTACTS, "lastName", 100),
    (CONTACTS, "skype", 255),
    (CONTACTS, "twitter", 255),
    (CONTACTS, "facebook", 255),
    (CONTACTS, "googlePlus", 255),
    (CONTACTS, "linkedIn", 255),
    (TASKS, "subject", 255),
];

/// Symfony's `Length` violation for a value longer than `max`
/// (`Validator/Resources/translations/validators.en.xlf`, plural form).
fn too_long(ty: &str, field: &str, v: &Value) -> Option<String> {
    let max = MAX_LENGTHS
        .iter()
        .find(|(t, f, _)| *t == ty && *f == field)?
        .2;
    let n = v.as_str()?.chars().count();
    (n > max).then(|| format!("This value is too long. It should have {max} characters or less."))
}

fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Put `value` first in an Oro list of `{key: value}`.
fn make_primary(list: &mut Vec<Value>, key: &str, value: &str) {
    list.retain(|e| e.get(key).and_then(Value::as_str) != Some(value));
    list.insert(0, json!({ key: value }));
}

/// Apply the request's attributes and relationships to `rec` with Oro's
/// rules for the type; the errors carry pointers into the request.
pub(super) fn apply(
    s: &Shared,
    ty: &str,
    rec: &mut FakeRecord,
    data: &Value,
    creating: bool,
) -> Vec<ApiErr> {
    let mut errs = Vec::new();
    let empty = Map::new();
    let attrs = data
        .get("attributes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let rels = data
        .get("relationships")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let allowed = if ty == CONTACTS {
        CONTACT_ATTRS
    } else {
        TASK_ATTRS
    };
    for (k, v) in attrs {
        let ptr = format!("/data/attributes/{k}");
        if !allowed.contains(&k.as_str()) {
            errs.push(at(
                "extra fields constraint",
                "This form should not contain extra fields.",
                &ptr,
            ));
            continue;
        }
        match k.as_str() {
            "emails" | "phones" => {
                let key = if k == "emails" { "email" } else { "phone" };
                let Some(list) = v.as_array() else {
                    errs.push(at("form constraint", "This value is not valid.", &ptr));
                    continue;
                };
                let mut out = Vec::new();
                for (i, e) in list.iter().enumerate() {
                    match e.get(key).and_then(Value::as_str) {
                        Some(x) if key == "email" && !x.contains('@') => errs.push(at(
                            "email constraint",
                            "This value is not a valid email address.",
                            &format!("{ptr}/{i}/{key}"),
                        )),
                        Some(x) if !x.trim().is_empty() => out.push(json!({ key: x })),
                        _ => errs.push(at(
                            "not blank constraint",
                            "This value should not be blank.",
                            &format!("{ptr}/{i}/{key}"),
                        )),
                    }
                }
                rec.attributes.insert(k.clone(), Value::Array(out));
            }
            "primaryEmail" | "primaryPhone" => {}
            "gender" => match v {
                Value::Null => {
                    rec.attributes.insert(k.clone(), Value::Null);
                }
                Value::String(g) if g == "male" || g == "female" => {
                    rec.attributes.insert(k.clone(), v.clone());
                }
                _ => errs.push(at(
                    "choice constraint",
                    "The value you selected is not a valid choice.",
                    &ptr,
                )),
            },
            "birthday" => match v {
                Value::Null => {
                    rec.attributes.insert(k.clone(), Value::Null);
                }
                Value::String(d) if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => {
                    // ContactBundle validation.yml: `LessThanOrEqual: now UTC`
                    // with "The birth date cannot be in the future." (the
                    // date is midnight, so today passes, tomorrow does not).
                    let today = s.opts.clock.now().date_naive();
                    match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                        Ok(b) if b > today => errs.push(at(
                            "less than or equal constraint",
                            "The birth date cannot be in the future.",
                            &ptr,
                        )),
                        _ => {
                            rec.attributes.insert(k.clone(), v.clone());
                        }
                    }
                }
                _ => errs.push(at(
                    "form constraint",
                    "This value is not a valid date.",
                    &ptr,
                )),
            },
            "dueDate" => match v {
                Value::Null => {
                    rec.attributes.insert(k.clone(), Value::Null);
                }
                Value::String(d) => match DateTime::parse_from_rfc3339(d) {
                    Ok(t) => {
                        rec.attributes
                            .insert(k.clone(), json!(fmt_time(t.with_timezone(&Utc))));
                    }
                    Err(_) => errs.push(at(
                        "form constraint",
                        "This value is not a valid datetime.",
                        &ptr,
                    )),
                },
                _ => errs.push(at(
                    "form constraint",
                    "This value is not a valid datetime.",
                    &ptr,
                )),
            },
            _ => match v {
                Value::Null | Value::String(_) => {
                    // Oro's form sets the value, then validates the entity:
                    // a value too long is one violation, not a blank one too.
                    if let Some(why) = too_long(ty, k, v) {
                        errs.push(at("length constraint", why, &ptr));
                    }
                    rec.attributes.insert(k.clone(), v.clone());
                }
                _ => errs.push(at(
                    "form constraint",
                    "This value should be of type string.",
                    &ptr,
                )),
            },
        }
    }
    // primaryEmail/primaryPhone pick (or add) the primary entry, after the lists.
    for (k, list, key) in [
        ("primaryEmail", "emails", "email"),
        ("primaryPhone", "phones", "phone"),
    ] {
        match attrs.get(k) {
            Some(Value::String(x)) if !x.trim().is_empty() => {
                let mut l = rec
                    .attributes
                    .get(list)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                make_primary(&mut l, key, x);
                rec.attributes.insert(list.into(), Value::Array(l));
            }
            // Clearing the primary number (without a new list) removes it.
            Some(Value::Null) if !attrs.contains_key(list) => {
                let mut l = rec
                    .attributes
                    .get(list)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if !l.is_empty() {
                    l.remove(0);
                }
                rec.attributes.insert(list.into(), Value::Array(l));
            }
            _ => {}
        }
    }
    let allowed_rels: &[(&str, &str)] = if ty == CONTACTS {
        &[("owner", "users"), ("assignedTo", "users")]
    } else {
        &[
            ("owner", "users"),
            ("taskPriority", "taskpriorities"),
            ("status", "taskstatuses"),
        ]
    };
    for (k, v) in rels {
        let ptr = format!("/data/relationships/{k}/data");
        let Some((_, want)) = allowed_rels.iter().find(|(n, _)| n == k) else {
            errs.push(at(
                "extra fields constraint",
                "This form should not contain extra fields.",
                &format!("/data/relationships/{k}"),
            ));
            continue;
        };
        match v.get("data") {
            Some(Value::Null) if *k == "assignedTo" => {
                rec.relationships.insert(k.clone(), None);
            }
            Some(Value::Object(o)) => {
                let t = o.get("type").and_then(Value::as_str).unwrap_or("");
                let id = match o.get("id") {
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                };
                let valid = t == *want
                    && match *want {
                        "users" => user_exists(s, &id),
                        "taskpriorities" => PRIORITIES.iter().any(|p| p.0 == id),
                        "taskstatuses" => STATUSES.iter().any(|p| p.0 == id),
                        _ => false,
                    };
                if valid {
                    rec.relationships
                        .insert(k.clone(), Some((t.to_string(), id)));
                } else {
                    errs.push(at("form constraint", "The entity does not exist.", &ptr));
                }
            }
            _ => errs.push(at(
                "not blank constraint",
                "This value should not be blank.",
                &ptr,
            )),
        }
    }
    // Rules on the result.
    if ty == TASKS {
        if blank(rec.attributes.get("subject")) {
            errs.push(at(
                "not blank constraint",
                "This value should not be blank.",
                "/data/attributes/subject",
            ));
        }
        if creating && rec.rel("taskPriority").is_none() {
            errs.push(at(
                "not blank constraint",
                "This value should not be blank.",
                "/data/relationships/taskPriority/data",
            ));
        }
        if rec.rel("status").is_none() {
            rec.relationships.insert(
                "status".into(),
                Some(("taskstatuses".into(), "open".into())),
            );
        }
    } else if ["firstName", "lastName", "emails", "phones"]
        .iter()
        .all(|f| blank(rec.attributes.get(*f)))
    {
        errs.push(ApiErr {
            title: "has contact information constraint",
            detail: "At least one of the fields First name, Last name, Emails or Phones must be defined.".into(),
            pointer: None,
            parameter: None,
        });
    }
    if creating && rec.rel("owner").is_none() {
        rec.relationships.insert(
            "owner".into(),
            Some(("users".into(), s.opts.user_id.to_string())),
        );
    }
    errs
}
