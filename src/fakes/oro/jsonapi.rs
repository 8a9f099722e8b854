//! The fake's JSON:API: contacts and tasks with Oro's filters, sorting,
//! paging, sparse fieldsets, includes and validation errors.

use super::data::{FakeRecord, CONTACTS, TASKS};
use super::{api_error, json_api, Shared};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

const MEDIA: &str = "application/vnd.api+json";
const PRIORITIES: [(&str, &str, u32); 3] = [
    ("low", "Low", 1),
    ("normal", "Normal", 2),
    ("high", "High", 3),
];
const STATUSES: [(&str, &str); 3] = [
    ("open", "Open"),
    ("in_progress", "In Progress"),
    ("closed", "Closed"),
];

/// One validation or request error of a JSON:API error document.
struct ApiErr {
    title: &'static str,
    detail: String,
    pointer: Option<String>,
    parameter: Option<String>,
}

fn at(title: &'static str, detail: impl Into<String>, pointer: &str) -> ApiErr {
    ApiErr {
        title,
        detail: detail.into(),
        pointer: Some(pointer.into()),
        parameter: None,
    }
}

fn param(title: &'static str, detail: impl Into<String>, parameter: &str) -> ApiErr {
    ApiErr {
        title,
        detail: detail.into(),
        pointer: None,
        parameter: Some(parameter.into()),
    }
}

fn errors(status: StatusCode, errs: Vec<ApiErr>) -> Response {
    let list: Vec<Value> = errs
        .into_iter()
        .map(|e| {
            let mut v = json!({"status": status.as_u16().to_string(), "title": e.title, "detail": e.detail});
            if let Some(p) = e.pointer {
                v["source"] = json!({"pointer": p});
            } else if let Some(p) = e.parameter {
                v["source"] = json!({"parameter": p});
            }
            v
        })
        .collect();
    json_api(status, json!({ "errors": list }))
}

fn not_found() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "not found http exception",
        "An entity with the requested identifier does not exist.",
        None,
    )
}

fn known_type(ty: &str) -> Option<&'static str> {
    match ty {
        CONTACTS => Some(CONTACTS),
        TASKS => Some(TASKS),
        _ => None,
    }
}

/// Oro serves plain JSON to a client that does not ask for JSON:API; the
/// fake refuses instead, so a client that forgets the header is caught.
fn check_accept(h: &HeaderMap) -> Result<(), Response> {
    let ok = h
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(MEDIA));
    if ok {
        Ok(())
    } else {
        Err(api_error(
            StatusCode::NOT_ACCEPTABLE,
            "not acceptable http exception",
            "Only application/vnd.api+json is served here.",
            None,
        ))
    }
}

fn check_content_type(h: &HeaderMap) -> Result<(), Response> {
    let ok = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.trim() == MEDIA);
    if ok {
        Ok(())
    } else {
        Err(api_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type http exception",
            "The Content-Type must be application/vnd.api+json.",
            None,
        ))
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn user_resource(s: &Shared, id: &str) -> Value {
    let name = if id == s.opts.user_id.to_string() {
        s.opts.username.clone()
    } else {
        "colleague".to_string()
    };
    json!({"type": "users", "id": id, "attributes": {"username": name}})
}

fn user_exists(s: &Shared, id: &str) -> bool {
    id == s.opts.user_id.to_string() || id == "2"
}

/// A record as a JSON:API resource object, with Oro's computed
/// `primaryEmail`/`primaryPhone` for contacts; `fields` is a sparse fieldset.
fn render(ty: &str, r: &FakeRecord, fields: Option<&[String]>) -> Value {
    let mut attrs = r.attributes.clone();
    if ty == CONTACTS {
        let first = |list: &str, key: &str| {
            attrs
                .get(list)
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|e| e.get(key))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let pe = first("emails", "email");
        let pp = first("phones", "phone");
        attrs.insert("primaryEmail".into(), pe);
        attrs.insert("primaryPhone".into(), pp);
    }
    attrs.insert("createdAt".into(), json!(fmt_time(r.created_at)));
    attrs.insert("updatedAt".into(), json!(fmt_time(r.updated_at)));
    let mut rels = Map::new();
    for (name, target) in &r.relationships {
        let data = match target {
            Some((t, id)) => json!({"type": t, "id": id}),
            None => Value::Null,
        };
        rels.insert(name.clone(), json!({ "data": data }));
    }
    if let Some(f) = fields {
        attrs.retain(|k, _| f.contains(k));
        rels.retain(|k, _| f.contains(k));
    }
    let mut out = json!({"type": ty, "id": r.id.to_string(), "links": {"self": format!("/api/{ty}/{}", r.id)}});
    if !attrs.is_empty() {
        out["attributes"] = Value::Object(attrs);
    }
    if !rels.is_empty() {
        out["relationships"] = Value::Object(rels);
    }
    out
}

fn included(s: &Shared, records: &[&FakeRecord], include: &[String]) -> Vec<Value> {
    let mut seen = BTreeMap::new();
    for r in records {
        for name in include {
            if let Some(Some((t, id))) = r.relationships.get(name) {
                let v = match t.as_str() {
                    "users" => user_resource(s, id),
                    "taskpriorities" => PRIORITIES
                        .iter()
                        .find(|p| p.0 == id)
                        .map(|p| json!({"type": t, "id": id, "attributes": {"label": p.1, "order": p.2}}))
                        .unwrap_or(Value::Null),
                    "taskstatuses" => STATUSES
                        .iter()
                        .find(|p| p.0 == id)
                        .map(|p| json!({"type": t, "id": id, "attributes": {"name": p.1}}))
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                if !v.is_null() {
                    seen.insert((t.clone(), id.clone()), v);
                }
            }
        }
    }
    seen.into_values().collect()
}

// ------------------------------------------------------------ listing

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            _ => return None,
        })
    }
    fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Eq => o == Ordering::Equal,
            Op::Neq => o != Ordering::Equal,
            Op::Gt => o == Ordering::Greater,
            Op::Gte => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Lte => o != Ordering::Greater,
        }
    }
}

enum Filter {
    Id(Op, Vec<(u64, u64)>),
    Time(&'static str, Op, DateTime<Utc>),
    Rel(String, Vec<String>),
}

impl Filter {
    fn matches(&self, r: &FakeRecord) -> bool {
        match self {
            Filter::Id(op, ranges) => {
                let hit = |(a, b): &(u64, u64)| match op {
                    Op::Eq => r.id >= *a && r.id <= *b,
                    _ => op.holds(r.id.cmp(a)),
                };
                if *op == Op::Neq {
                    ranges.iter().all(hit)
                } else {
                    ranges.iter().any(hit)
                }
            }
            Filter::Time(field, op, t) => {
                let v = if *field == "updatedAt" {
                    r.updated_at
                } else {
                    r.created_at
                };
                op.holds(v.cmp(t))
            }
            Filter::Rel(name, ids) => r.rel(name).is_some_and(|id| ids.iter().any(|x| x == id)),
        }
    }
}

struct ListQuery {
    filters: Vec<Filter>,
    size: Option<usize>,
    number: usize,
    sort: Vec<(String, bool)>,
    fields: Option<Vec<String>>,
    include: Vec<String>,
}

fn parse_list_query(ty: &str, raw: &str) -> Result<ListQuery, Vec<ApiErr>> {
    let mut q = ListQuery {
        filters: Vec::new(),
        size: Some(10),
        number: 1,
        sort: vec![("id".into(), false)],
        fields: None,
        include: Vec::new(),
    };
    let mut errs = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()).into_owned() {
        if let Some(rest) = k.strip_prefix("filter[") {
            let (name, op) = match rest.split_once("][") {
                Some((n, o)) => (n.to_string(), o.trim_end_matches(']').to_string()),
                None => (rest.trim_end_matches(']').to_string(), "eq".to_string()),
            };
            let Some(op) = Op::parse(&op) else {
                errs.push(param(
                    "filter constraint",
                    format!("The operator \"{op}\" is not supported."),
                    &k,
                ));
                continue;
            };
            match name.as_str() {
                "id" => {
                    let mut ranges = Vec::new();
                    for part in v.split(',') {
                        let r = match part.split_once("..") {
                            Some((a, b)) => a.parse().ok().zip(b.parse().ok()),
                            None => part.parse().ok().map(|x| (x, x)),
                        };
                        match r {
                            Some(r) => ranges.push(r),
                            None => {
                                errs.push(param("filter constraint", "Expected integer value.", &k))
                            }
                        }
                    }
                    q.filters.push(Filter::Id(op, ranges));
                }
                "updatedAt" | "createdAt" => match DateTime::parse_from_rfc3339(&v) {
                    Ok(t) => q.filters.push(Filter::Time(
                        if name == "updatedAt" {
                            "updatedAt"
                        } else {
                            "createdAt"
                        },
                        op,
                        t.with_timezone(&Utc),
                    )),
                    Err(_) => errs.push(param("filter constraint", "Expected datetime value.", &k)),
                },
                "owner" | "assignedTo" if op == Op::Eq && (name == "owner" || ty == CONTACTS) => {
                    q.filters.push(Filter::Rel(
                        name.clone(),
                        v.split(',').map(str::to_string).collect(),
                    ))
                }
                _ => errs.push(param(
                    "filter constraint",
                    "The filter is not supported.",
                    &k,
                )),
            }
        } else if k == "page[size]" {
            match v.parse::<i64>() {
                Ok(-1) => q.size = None,
                Ok(n) if n > 0 => q.size = Some(n as usize),
                _ => errs.push(param(
                    "page size constraint",
                    "Expected a positive integer or -1.",
                    &k,
                )),
            }
        } else if k == "page[number]" {
            match v.parse::<usize>() {
                Ok(n) if n > 0 => q.number = n,
                _ => errs.push(param(
                    "page number constraint",
                    "Expected a positive integer.",
                    &k,
                )),
            }
        } else if k == "sort" {
            q.sort = v
                .split(',')
                .filter(|f| !f.is_empty())
                .map(|f| match f.strip_prefix('-') {
                    Some(n) => (n.to_string(), true),
                    None => (f.to_string(), false),
                })
                .collect();
        } else if k == format!("fields[{ty}]") {
            q.fields = Some(v.split(',').map(str::to_string).collect());
        } else if k == "include" {
            q.include = v.split(',').map(str::to_string).collect();
        }
    }
    if errs.is_empty() {
        Ok(q)
    } else {
        Err(errs)
    }
}

fn compare(a: &FakeRecord, b: &FakeRecord, sort: &[(String, bool)]) -> Ordering {
    for (field, desc) in sort {
        let o = match field.as_str() {
            "id" => a.id.cmp(&b.id),
            "updatedAt" => a.updated_at.cmp(&b.updated_at),
            "createdAt" => a.created_at.cmp(&b.created_at),
            f => a.attr_str(f).unwrap_or("").cmp(b.attr_str(f).unwrap_or("")),
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.id.cmp(&b.id)
}

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    Path(ty): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let raw = raw.unwrap_or_default();
    let q = match parse_list_query(ty, &raw) {
        Ok(q) => q,
        Err(e) => return errors(StatusCode::BAD_REQUEST, e),
    };
    let body = {
        let d = s.data.lock().expect("data");
        let mut all: Vec<FakeRecord> = d
            .all(ty)
            .into_iter()
            .filter(|r| q.filters.iter().all(|f| f.matches(r)))
            .collect();
        all.sort_by(|a, b| compare(a, b, &q.sort));
        let total = all.len();
        let (page, more): (Vec<&FakeRecord>, bool) = match q.size {
            None => (all.iter().collect(), false),
            Some(n) => {
                let start = (q.number - 1).saturating_mul(n);
                (
                    all.iter().skip(start).take(n).collect(),
                    start.saturating_add(n) < total,
                )
            }
        };
        let data: Vec<Value> = page
            .iter()
            .map(|r| render(ty, r, q.fields.as_deref()))
            .collect();
        let mut body = json!({"data": data, "links": {"self": format!("/api/{ty}?{raw}")}});
        if more {
            let next: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(
                    url::form_urlencoded::parse(raw.as_bytes())
                        .into_owned()
                        .filter(|(k, _)| k != "page[number]"),
                )
                .append_pair("page[number]", &(q.number + 1).to_string())
                .finish();
            body["links"]["next"] = json!(format!("/api/{ty}?{next}"));
        }
        if !q.include.is_empty() {
            body["included"] = json!(included(&s, &page, &q.include));
        }
        body
    };
    s.after_list();
    json_api(StatusCode::OK, body)
}

pub(crate) async fn get_one(
    State(s): State<Arc<Shared>>,
    Path((ty, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    match s.data.lock().expect("data").get(ty, id) {
        Some(r) => json_api(StatusCode::OK, json!({"data": render(ty, r, None)})),
        None => not_found(),
    }
}

pub(crate) async fn delete(
    State(s): State<Arc<Shared>>,
    Path((ty, id)): Path<(String, String)>,
) -> Response {
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    if s.data.lock().expect("data").api_delete(ty, id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

// ------------------------------------------------------------ writes

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
fn apply(s: &Shared, ty: &str, rec: &mut FakeRecord, data: &Value, creating: bool) -> Vec<ApiErr> {
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
                    rec.attributes.insert(k.clone(), v.clone());
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

fn read_doc(headers: &HeaderMap, body: &[u8], ty: &str) -> Result<Value, Response> {
    check_content_type(headers)?;
    let doc: Value = serde_json::from_slice(body).map_err(|_| {
        api_error(
            StatusCode::BAD_REQUEST,
            "request body constraint",
            "The request body is not valid JSON.",
            None,
        )
    })?;
    let data = doc.get("data").cloned().unwrap_or(Value::Null);
    if !data.is_object() {
        return Err(errors(
            StatusCode::BAD_REQUEST,
            vec![at(
                "request data constraint",
                "The primary data object should exist.",
                "/data",
            )],
        ));
    }
    if data.get("type").and_then(Value::as_str) != Some(ty) {
        return Err(errors(
            StatusCode::CONFLICT,
            vec![at(
                "conflict constraint",
                "The entity class does not match the requested type.",
                "/data/type",
            )],
        ));
    }
    Ok(data)
}

pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    Path(ty): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    let data = match read_doc(&headers, &body, ty) {
        Ok(d) => d,
        Err(r) => return r,
    };
    if data.get("id").is_some() {
        return errors(
            StatusCode::BAD_REQUEST,
            vec![at(
                "entity identifier constraint",
                "The identifier should not be set in the request data.",
                "/data/id",
            )],
        );
    }
    let mut d = s.data.lock().expect("data");
    let mut rec = FakeRecord {
        id: 0,
        attributes: Map::new(),
        relationships: BTreeMap::new(),
        created_at: d.now(),
        updated_at: d.now(),
    };
    let errs = apply(&s, ty, &mut rec, &data, true);
    if !errs.is_empty() {
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    let id = d.api_insert(ty, rec.attributes, rec.relationships);
    let r = d.get(ty, id).cloned().expect("just inserted");
    json_api(StatusCode::CREATED, json!({"data": render(ty, &r, None)}))
}

pub(crate) async fn update(
    State(s): State<Arc<Shared>>,
    Path((ty, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    let data = match read_doc(&headers, &body, ty) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Ok(num) = id.parse::<u64>() else {
        return not_found();
    };
    if data.get("id").and_then(Value::as_str) != Some(id.as_str()) {
        return errors(StatusCode::CONFLICT, vec![at("conflict constraint", "The 'id' property of the primary data object should match the identifier in the URL.", "/data/id")]);
    }
    let mut d = s.data.lock().expect("data");
    let Some(mut rec) = d.get(ty, num).cloned() else {
        return not_found();
    };
    let errs = apply(&s, ty, &mut rec, &data, false);
    if !errs.is_empty() {
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    d.api_replace(ty, rec);
    let r = d.get(ty, num).cloned().expect("exists");
    json_api(StatusCode::OK, json!({"data": render(ty, &r, None)}))
}

// ------------------------------------------------------------ fixed resources

pub(crate) async fn userprofile(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let id = s.opts.user_id.to_string();
    json_api(
        StatusCode::OK,
        json!({"data": {"type": "userprofile", "id": id, "attributes": {"username": s.opts.username, "enabled": true}}}),
    )
}

pub(crate) async fn taskpriorities(headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let data: Vec<Value> = PRIORITIES
        .iter()
        .map(|p| json!({"type": "taskpriorities", "id": p.0, "attributes": {"label": p.1, "order": p.2}}))
        .collect();
    json_api(StatusCode::OK, json!({ "data": data }))
}

pub(crate) async fn taskstatuses(headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let data: Vec<Value> = STATUSES
        .iter()
        .map(|p| json!({"type": "taskstatuses", "id": p.0, "attributes": {"name": p.1}}))
        .collect();
    json_api(StatusCode::OK, json!({ "data": data }))
}
