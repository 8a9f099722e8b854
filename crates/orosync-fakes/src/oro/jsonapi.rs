//! The fake's JSON:API: contacts and tasks with Oro's filters, sorting,
//! paging, sparse fieldsets, includes and validation errors.

use super::address_api::{self as addr, is_dictionary};
use super::addresses::CONTACT_ADDRESSES;
use super::data::{FakeRecord, CONTACTS, TASKS};
use super::query::{compare, parse_list_query};
use super::validate::{apply, at, ApiErr, PRIORITIES, STATUSES};
use super::{api_error, json_api, workflow, Shared};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const MEDIA: &str = "application/vnd.api+json";
/// Where Oro points a violation on the task's status (property path
/// `status`, a relationship).
const STATUS_POINTER: &str = "/data/relationships/status/data";

pub(super) fn errors(status: StatusCode, errs: Vec<ApiErr>) -> Response {
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

pub(super) fn not_found() -> Response {
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

/// A media type and whether it has parameters (`a/b; charset=x`).
fn media_type(v: &str) -> (String, bool) {
    let mut parts = v.split(';');
    let ty = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    (ty, parts.any(|p| !p.trim().is_empty()))
}

/// Oro's `Accept` rule (platform ApiBundle
/// `Processor/Shared/JsonApi/CheckRequestType.php`): JSON:API media types
/// in `Accept` must include one without parameters, else 406. Oro serves
/// its plain JSON API to a client that does not ask for JSON:API at all; the
/// fake refuses that too, so a client that forgets the header is caught.
pub(super) fn check_accept(h: &HeaderMap) -> Result<(), Response> {
    let types: Vec<(String, bool)> = h
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(media_type)
        .filter(|(t, _)| t == MEDIA)
        .collect();
    let detail = if types.is_empty() {
        "Only application/vnd.api+json is served here."
    } else if types.iter().all(|(_, params)| *params) {
        "The \"Accept\" request header should contains at least one instance of JSON:API media type without any parameters."
    } else {
        return Ok(());
    };
    Err(api_error(
        StatusCode::NOT_ACCEPTABLE,
        "not acceptable http exception",
        detail,
        None,
    ))
}

/// A write's `Content-Type` must be JSON:API without parameters (same
/// source: a JSON:API type with parameters is 415); the fake refuses any
/// other type with 415 as well.
fn check_content_type(h: &HeaderMap) -> Result<(), Response> {
    let (ty, params) = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type)
        .unwrap_or_default();
    let detail = if ty != MEDIA {
        "The Content-Type must be application/vnd.api+json."
    } else if params {
        "The \"Content-Type\" request header should contain JSON:API media type without any parameters."
    } else {
        return Ok(());
    };
    Err(api_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported media type http exception",
        detail,
        None,
    ))
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

/// A record as a JSON:API resource object, with Oro's computed
/// `primaryEmail`/`primaryPhone` for contacts; `fields` is a sparse fieldset.
pub(crate) fn render(ty: &str, r: &FakeRecord, fields: Option<&[String]>) -> Value {
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

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    Path(ty): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let raw = raw.unwrap_or_default();
    if ty == CONTACT_ADDRESSES {
        return addr::list(&s, &raw, &headers);
    }
    if is_dictionary(&ty) {
        return addr::dictionary_list(&ty, &raw, &headers);
    }
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let q = match parse_list_query(ty, &raw) {
        Ok(q) => q,
        Err(e) => return errors(StatusCode::BAD_REQUEST, e),
    };
    let body = {
        let d = s.data.lock().expect("data");
        // References, not copies: a page of 100 out of 100k copies 100.
        let matching = d.iter_from(ty, q.min_id()).filter(|r| q.matches(r));
        let mut all: Vec<&FakeRecord> = match q.size {
            // In id order already: one record past the page tells "more".
            Some(n) if q.by_id() => matching
                .take(
                    (q.number - 1)
                        .saturating_mul(n)
                        .saturating_add(n)
                        .saturating_add(1),
                )
                .collect(),
            _ => matching.collect(),
        };
        let total = all.len();
        let (page, more): (Vec<&FakeRecord>, bool) = match q.size {
            None => {
                all.sort_by(|a, b| compare(a, b, &q.sort));
                (all, false)
            }
            Some(n) => {
                let start = (q.number - 1).saturating_mul(n);
                let end = start.saturating_add(n).min(total);
                // Only the rows up to the page's end need sorting.
                if end > 0 && end < total {
                    all.select_nth_unstable_by(end - 1, |a, b| compare(a, b, &q.sort));
                    all.truncate(end);
                }
                all.sort_by(|a, b| compare(a, b, &q.sort));
                (
                    all.into_iter().skip(start).take(n).collect(),
                    start.saturating_add(n) < total,
                )
            }
        };
        let data: Vec<Value> = page
            .iter()
            .map(|r| {
                let mut v = render(ty, r, q.fields.as_deref());
                if ty == CONTACTS {
                    addr::add_contact_relationship(&d.addresses, &mut v, r.id, q.fields.as_deref());
                }
                v
            })
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
            let mut inc = included(&s, &page, &q.include);
            if ty == CONTACTS && q.include.iter().any(|i| i == "addresses") {
                let ids: Vec<u64> = page.iter().map(|r| r.id).collect();
                inc.extend(addr::included_for_contacts(&d.addresses, &ids));
            }
            body["included"] = json!(inc);
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
    if ty == CONTACT_ADDRESSES {
        return addr::get_one(&s, &id, &headers);
    }
    if is_dictionary(&ty) {
        return addr::dictionary_one(&ty, &id, &headers);
    }
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    if let Err(r) = check_accept(&headers) {
        return r;
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let d = s.data.lock().expect("data");
    match d.get(ty, id) {
        Some(r) => json_api(StatusCode::OK, json!({"data": rendered(&d, ty, r)})),
        None => not_found(),
    }
}

/// A record as the API answers it, a contact with its addresses.
fn rendered(d: &super::data::FakeData, ty: &str, r: &FakeRecord) -> Value {
    let mut v = render(ty, r, None);
    if ty == CONTACTS {
        addr::add_contact_relationship(&d.addresses, &mut v, r.id, None);
    }
    v
}

pub(crate) async fn delete(
    State(s): State<Arc<Shared>>,
    Path((ty, id)): Path<(String, String)>,
) -> Response {
    if ty == CONTACT_ADDRESSES {
        return addr::delete(&s, &id);
    }
    if is_dictionary(&ty) {
        return addr::read_only();
    }
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

/// [`read_doc`] for a create: an identifier chosen by the client is refused,
/// as Oro's API refuses it for entities whose ids the database assigns.
pub(super) fn read_new_doc(headers: &HeaderMap, body: &[u8], ty: &str) -> Result<Value, Response> {
    let data = read_doc(headers, body, ty)?;
    if data.get("id").is_some() {
        return Err(errors(
            StatusCode::BAD_REQUEST,
            vec![at(
                "entity identifier constraint",
                "The identifier should not be set in the request data.",
                "/data/id",
            )],
        ));
    }
    Ok(data)
}

pub(super) fn read_doc(headers: &HeaderMap, body: &[u8], ty: &str) -> Result<Value, Response> {
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
                // platform ApiBundle `Request/JsonApi/TypedRequestDataValidator.php`.
                "The 'type' property of the primary data object should match the requested resource",
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
    if ty == CONTACT_ADDRESSES {
        return addr::create(&s, &headers, &body);
    }
    if is_dictionary(&ty) {
        return addr::read_only();
    }
    let Some(ty) = known_type(&ty) else {
        return not_found();
    };
    let data = match read_new_doc(&headers, &body, ty) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut d = s.data.lock().expect("data");
    let mut rec = FakeRecord {
        id: 0,
        attributes: Map::new(),
        relationships: BTreeMap::new(),
        created_at: d.now(),
        updated_at: d.now(),
    };
    let mut errs = apply(&s, ty, &mut rec, &data, true);
    if ty == TASKS {
        let status = rec.rel("status").unwrap_or("open");
        if let Some(why) = d.task_flow.refuse_create(status) {
            errs.push(at(workflow::TITLE, why, STATUS_POINTER));
        }
    }
    if !errs.is_empty() {
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    let id = d.api_insert(ty, rec.attributes, rec.relationships);
    let r = d.get(ty, id).expect("just inserted");
    json_api(StatusCode::CREATED, json!({"data": rendered(&d, ty, r)}))
}

pub(crate) async fn update(
    State(s): State<Arc<Shared>>,
    Path((ty, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if ty == CONTACT_ADDRESSES {
        return addr::update(&s, &id, &headers, &body);
    }
    if is_dictionary(&ty) {
        return addr::read_only();
    }
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
        return errors(StatusCode::CONFLICT, vec![at("conflict constraint", "The 'id' property of the primary data object should match 'id' parameter of the query string", "/data/id")]);
    }
    let mut d = s.data.lock().expect("data");
    let Some(mut rec) = d.get(ty, num).cloned() else {
        return not_found();
    };
    let old_status = rec.rel("status").unwrap_or("open").to_string();
    let mut errs = apply(&s, ty, &mut rec, &data, false);
    if ty == TASKS {
        let new_status = rec.rel("status").unwrap_or("open");
        if let Some(why) = d.task_flow.refuse_update(num, &old_status, new_status) {
            // The whole request is refused: nothing of it is stored.
            errs.push(at(workflow::TITLE, why, STATUS_POINTER));
        }
    }
    if !errs.is_empty() {
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    d.api_replace(ty, rec);
    let r = d.get(ty, num).expect("exists");
    json_api(StatusCode::OK, json!({"data": rendered(&d, ty, r)}))
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
