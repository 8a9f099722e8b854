//! The fake's write rules for contacts and tasks (Oro's validation, with
//! error pointers into the request document).

use super::data::{FakeRecord, CONTACTS, TASKS};
use super::{email, Shared};
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

/// How `primaryEmail`/`primaryPhone` and the lists `emails`/`phones` go
/// together: platform ApiBundle `Processor/CustomizeFormData/MapPrimaryField.php`
/// (wired for contacts in OroCRM ContactBundle `Resources/config/services_api.yml`)
/// and FormBundle `Validator/Constraints/ContainsPrimaryValidator.php` (on
/// `emails` and `phones` in ContactBundle `validation.yml`). The fake keeps
/// the primary entry first in its list.
/// - both sent: the primary must be one of the list's values, else
///   "Unknown primary email address."; a list without a primary (a null
///   primary) breaks "One of the emails must be set as primary."; an empty
///   list stays empty;
/// - the primary alone: a value of the list becomes primary, a new value
///   replaces the old primary entry (`getAssociationSubmitData`);
/// - the list alone: the old primary stays primary if it is still there,
///   else the list has none (refused unless empty).
fn primaries(
    rec: &mut FakeRecord,
    attrs: &Map<String, Value>,
    old_primaries: &[Option<String>; 2],
    errs: &mut Vec<ApiErr>,
) {
    let rules = [
        (
            "primaryEmail",
            "emails",
            "email",
            "Unknown primary email address.",
            "One of the emails must be set as primary.",
        ),
        (
            "primaryPhone",
            "phones",
            "phone",
            "Unknown primary phone number.",
            "One of the phones must be set as primary.",
        ),
    ];
    for ((field, list, key, unknown, none), old) in rules.into_iter().zip(old_primaries) {
        let mut l = rec
            .attributes
            .get(list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let value_of = |e: &Value| e.get(key).and_then(Value::as_str).map(str::to_string);
        let primary = match (attrs.get(field), attrs.contains_key(list)) {
            (None, false) => continue,
            (Some(Value::String(p)), true) if !p.is_empty() => {
                if !l.is_empty() && !l.iter().any(|e| value_of(e).as_deref() == Some(p)) {
                    errs.push(at(
                        "primary item constraint",
                        unknown,
                        &format!("/data/attributes/{field}"),
                    ));
                    continue;
                }
                Some(p.clone())
            }
            (Some(_), true) => None,
            (None, true) => old
                .clone()
                .filter(|o| l.iter().any(|e| value_of(e).as_deref() == Some(o))),
            (Some(Value::String(p)), false) if !p.trim().is_empty() => {
                if !l.iter().any(|e| value_of(e).as_deref() == Some(p)) && !l.is_empty() {
                    // The new value takes the old primary entry's place.
                    l.remove(0);
                }
                l.retain(|e| value_of(e).as_deref() != Some(p));
                l.insert(0, json!({ key: p }));
                rec.attributes.insert(list.into(), Value::Array(l));
                continue;
            }
            // Clearing the primary alone (not verified against Oro, whose
            // answer depends on its form's handling of an empty entry):
            // the fake drops the primary entry.
            (_, false) => {
                if !l.is_empty() {
                    l.remove(0);
                }
                rec.attributes.insert(list.into(), Value::Array(l));
                continue;
            }
        };
        match primary {
            Some(p) => {
                if let Some(i) = l.iter().position(|e| value_of(e).as_deref() == Some(&p)) {
                    let e = l.remove(i);
                    l.insert(0, e);
                }
                rec.attributes.insert(list.into(), Value::Array(l));
            }
            None if !l.is_empty() => {
                errs.push(at(
                    "contains primary constraint",
                    none,
                    &format!("/data/attributes/{list}"),
                ));
            }
            None => {}
        }
    }
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
    // The primary entries before this request (the fake keeps the primary
    // first in its lists).
    let primary_before = |list: &str, key: &str| {
        rec.attributes
            .get(list)
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let old_primaries = [
        primary_before("emails", "email"),
        primary_before("phones", "phone"),
    ];
    let allowed = if ty == CONTACTS {
        CONTACT_ATTRS
    } else {
        TASK_ATTRS
    };
    // Fields the resource does not have (or cannot take), for one error.
    let mut extra: Vec<&str> = Vec::new();
    for (k, v) in attrs {
        let ptr = format!("/data/attributes/{k}");
        if !allowed.contains(&k.as_str()) {
            extra.push(k);
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
                        // AddressBundle validation.yml: `Email: {mode: strict}`
                        // (after `NotBlank`: the Email rule skips "").
                        Some(x) if key == "email" && !x.is_empty() && !email::valid_strict(x) => {
                            errs.push(at(
                                "email constraint",
                                "This value is not a valid email address.",
                                &format!("{ptr}/{i}/{key}"),
                            ))
                        }
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
            // ContactBundle api.yml gives primaryEmail `Email: ~`: Symfony 7's
            // default mode, html5 (no setting in Oro changes it), stricter
            // than the list's: ASCII only, a dotted domain.
            "primaryEmail" => match v {
                Value::String(x) if !x.is_empty() && !email::valid_html5(x) => errs.push(at(
                    "email constraint",
                    "This value is not a valid email address.",
                    &ptr,
                )),
                _ => {}
            },
            "primaryPhone" => {}
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
    if ty == CONTACTS {
        primaries(rec, attrs, &old_primaries, &mut errs);
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
            extra.push(k);
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
    if !extra.is_empty() {
        // Symfony's FormValidator makes one violation on the whole form for
        // all extra data; Oro words it with the names (platform ApiBundle
        // `Resources/translations/validators.en.yml` `extra_fields`,
        // `Processor/Shared/CollectFormErrors.php`), with no pointer, e.g.
        // `Tests/Functional/RestJsonApi/FieldDirectionTest.php`.
        extra.sort_unstable();
        errs.push(ApiErr {
            title: "extra fields constraint",
            detail: format!(
                "This form should not contain extra fields: \"{}\".",
                extra.join("\", \"")
            ),
            pointer: None,
            parameter: None,
        });
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
