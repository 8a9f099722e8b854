//! The fake's legacy REST API for calendar events (`/api/rest/{version}/…`,
//! plain JSON, Symfony form error trees), as OroCalendarBundle serves it.

use super::data::{FakeRecord, EVENTS};
use super::html_purifier::purify;
use super::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

fn plain(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        json!({"code": 404, "message": "Not Found"}),
    )
}

fn bad_request(message: &str) -> Response {
    plain(
        StatusCode::BAD_REQUEST,
        json!({"code": 400, "message": message}),
    )
}

/// `{"code":400,"message":"Validation Failed","errors":{"errors":[..],"children":{field:{"errors":[..]}}}}`
fn validation_failed(root: Vec<&str>, fields: BTreeMap<&str, &str>) -> Response {
    let mut children = Map::new();
    for (f, e) in fields {
        children.insert(f.into(), json!({ "errors": [e] }));
    }
    let mut errors = json!({ "children": children });
    if !root.is_empty() {
        errors["errors"] = json!(root);
    }
    plain(
        StatusCode::BAD_REQUEST,
        json!({"code": 400, "message": "Validation Failed", "errors": errors}),
    )
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn time_attr(r: &FakeRecord, name: &str) -> Option<DateTime<Utc>> {
    r.attr_str(name)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn render(r: &FakeRecord) -> Value {
    let a = &r.attributes;
    let get = |k: &str| a.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": r.id,
        "uid": get("uid"),
        "calendar": get("calendar"),
        "parentEventId": null,
        "title": get("title"),
        // Sanitized on the way out too: OroCalendarBundle
        // Provider/AbstractCalendarEventNormalizer::transformEntity.
        "description": match a.get("description") {
            Some(Value::String(d)) => Value::String(purify(d)),
            other => other.cloned().unwrap_or(Value::Null),
        },
        "start": time_attr(r, "start").map(rfc3339),
        "end": time_attr(r, "end").map(rfc3339),
        "allDay": a.get("allDay").and_then(Value::as_bool).unwrap_or(false),
        "attendees": [],
        "editable": true,
        "editableInvitationStatus": false,
        "removable": true,
        "backgroundColor": null,
        "invitationStatus": null,
        "recurringEventId": get("recurringEventId"),
        "originalStart": null,
        "isCancelled": false,
        "recurrence": get("recurrence"),
        "createdAt": rfc3339(r.created_at),
        "updatedAt": rfc3339(r.updated_at),
        "isOrganizer": true,
        "organizerDisplayName": null,
        "organizerEmail": null,
        "organizerUserId": null,
    })
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The legacy filter syntax: `name=value`, `name>value`, `name>=value`,
/// `name<value`, `name<=value`, `name<>value`, with `<`/`>` possibly
/// percent-encoded. Returns (name, operator, value).
fn parse_legacy_query(raw: &str) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) => {
                let k = decode(k);
                let v = decode(v);
                if let Some(n) = k.strip_suffix('>') {
                    out.push((n.to_string(), ">=", v));
                } else if let Some(n) = k.strip_suffix('<') {
                    out.push((n.to_string(), "<=", v));
                } else if let Some((n, rest)) = k.split_once("<>") {
                    // `name<>value=...` cannot happen; `=` inside is part of the value.
                    out.push((n.to_string(), "<>", format!("{rest}={v}")));
                } else {
                    out.push((k, "=", v));
                }
            }
            None => {
                let whole = decode(part);
                for op in ["<>", ">", "<"] {
                    if let Some((n, v)) = whole.split_once(op) {
                        out.push((n.to_string(), op, v.to_string()));
                        break;
                    }
                }
            }
        }
    }
    out
}

fn op_holds(op: &str, o: Ordering) -> bool {
    match op {
        "=" => o == Ordering::Equal,
        "<>" => o != Ordering::Equal,
        ">" => o == Ordering::Greater,
        ">=" => o != Ordering::Less,
        "<" => o == Ordering::Less,
        "<=" => o != Ordering::Greater,
        _ => false,
    }
}

pub(crate) async fn default_calendar(State(s): State<Arc<Shared>>) -> Response {
    plain(
        StatusCode::OK,
        json!({"calendar": s.opts.calendar_id, "owner": s.opts.user_id, "calendarName": s.opts.username}),
    )
}

pub(crate) async fn list(State(s): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let params = parse_legacy_query(&raw.unwrap_or_default());
    let one = |name: &str| {
        params
            .iter()
            .find(|(n, op, _)| n == name && *op == "=")
            .map(|(_, _, v)| v.clone())
    };
    let Some(calendar) = one("calendar").and_then(|c| c.parse::<u64>().ok()) else {
        return bad_request("The \"calendar\" parameter is required.");
    };
    let interval = one("start").zip(one("end"));
    let paging = one("page").zip(one("limit"));
    if interval.is_none() && paging.is_none() {
        return bad_request(
            "Time interval (\"start\" and \"end\") or paging (\"page\" and \"limit\") parameters should be specified.",
        );
    }
    // Only the paged listing reads createdAt/updatedAt filters; the
    // start/end listing is the calendar view and ignores them
    // (OroCalendarBundle Controller/Api/Rest/CalendarEventController.php,
    // cgetAction).
    let mut filters = Vec::new();
    if interval.is_none() {
        for (name, op, v) in &params {
            if name == "updatedAt" || name == "createdAt" {
                match DateTime::parse_from_rfc3339(v) {
                    Ok(t) => filters.push((name.clone(), *op, t.with_timezone(&Utc))),
                    Err(_) => return bad_request(&format!("Invalid value for \"{name}\".")),
                }
            }
        }
    }
    let body = {
        let d = s.data.lock().expect("data");
        let mut evs: Vec<&FakeRecord> = d
            .iter(EVENTS)
            .filter(|r| r.attributes.get("calendar").and_then(Value::as_u64) == Some(calendar))
            .filter(|r| {
                filters.iter().all(|(n, op, t)| {
                    let v = if n == "updatedAt" {
                        r.updated_at
                    } else {
                        r.created_at
                    };
                    op_holds(op, v.cmp(t))
                })
            })
            .collect();
        let page: Vec<Value> = if let Some((a, b)) = &interval {
            // The calendar view: CalendarEventRepository::addTimeIntervalFilter,
            // whose three conditions are kept as they are written, so an
            // event that starts inside and ends exactly at `end` is not
            // listed; sorted by calendar, then start ("c.id, e.start");
            // never paged. (Oro also lists the events of other calendars
            // the user shows, system and public ones included, and expands
            // recurring series here; the fake has one calendar and returns
            // series as stored.)
            let (Ok(a), Ok(b)) = (
                DateTime::parse_from_rfc3339(a),
                DateTime::parse_from_rfc3339(b),
            ) else {
                return bad_request("Invalid \"start\" or \"end\".");
            };
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            evs.retain(|r| {
                // Dates the fake cannot read stand for ones Oro has (its
                // database holds real dates) but answers in a form the
                // client cannot read: listed, as some real date would be.
                let (Some(st), Some(en)) = (time_attr(r, "start"), time_attr(r, "end")) else {
                    return true;
                };
                (st < a && en >= a) || (st <= b && en > b) || (st >= a && en < b)
            });
            evs.sort_by_key(|r| (time_attr(r, "start"), r.id));
            // CalendarManager::getCalendarEvents names each event's
            // calendar provider ("user", "system", "public").
            evs.iter()
                .map(|r| {
                    let mut v = render(r);
                    v["calendarAlias"] = json!("user");
                    v
                })
                .collect()
        } else {
            // The paged listing has no ORDER BY
            // (CalendarEventRepository::getUserEventListByRecurringEventQueryBuilder
            // with setFirstResult/setMaxResults only): the database may
            // answer each page in another order, so pages can overlap and
            // miss events. Modelled as an order shuffled per page request.
            let Some((p, l)) = &paging else {
                unreachable!("checked above")
            };
            let (Ok(p), Ok(l)) = (p.parse::<usize>(), l.parse::<usize>()) else {
                return bad_request("Invalid \"page\" or \"limit\".");
            };
            evs.sort_by_key(|r| r.id);
            unstable_order(&mut evs, p as u64, l as u64);
            evs.iter()
                .skip(p.saturating_sub(1) * l)
                .take(l)
                .map(|r| render(r))
                .collect()
        };
        Value::Array(page)
    };
    s.after_list();
    plain(StatusCode::OK, body)
}

/// Shuffle `evs` in an order fixed by the request's page and limit, so the
/// same request answers the same way (tests are repeatable) while pages of
/// one listing do not share an order.
fn unstable_order<T>(evs: &mut [T], page: u64, limit: u64) {
    // splitmix64, seeded by the request.
    let mut state = page
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(limit.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(evs.len() as u64);
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..evs.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        evs.swap(i, j);
    }
}

pub(crate) async fn get_one(
    State(s): State<Arc<Shared>>,
    Path((_v, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    match s.data.lock().expect("data").get(EVENTS, id) {
        Some(r) => plain(StatusCode::OK, render(r)),
        None => not_found(),
    }
}

const FIELDS: &[&str] = &[
    "id",
    "uid",
    "calendar",
    "calendarAlias",
    "title",
    "description",
    "start",
    "end",
    "allDay",
    "backgroundColor",
    "reminders",
    "attendees",
    "notifyAttendees",
    "createdAt",
    "updatedAt",
    "recurrence",
    "recurringEventId",
    "originalStart",
    "isCancelled",
    "updateExceptions",
    "contexts",
    "organizerDisplayName",
    "organizerEmail",
];

/// Validate a POST/PUT body and apply it to `attrs`, as the form would.
fn apply(
    s: &Shared,
    attrs: &mut Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<(), Response> {
    let mut root = Vec::new();
    let mut fields = BTreeMap::new();
    if body.keys().any(|k| !FIELDS.contains(&k.as_str())) {
        root.push("This form should not contain extra fields.");
    }
    match body.get("title").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => {
            attrs.insert("title".into(), json!(t));
        }
        _ => {
            fields.insert("title", "This value should not be blank.");
        }
    }
    // The form's rich text field sanitizes what it is given
    // (OroCalendarBundle Form/Type/CalendarEventType.php: description is an
    // OroResizeableRichTextType, whose SanitizeHTMLTransformer runs
    // HtmlTagHelper::sanitize).
    match body.get("description") {
        Some(Value::String(d)) => {
            attrs.insert("description".into(), json!(purify(d)));
        }
        Some(d) => {
            attrs.insert("description".into(), d.clone());
        }
        None => {}
    }
    let mut times = Vec::new();
    for f in ["start", "end"] {
        match body
            .get(f)
            .and_then(Value::as_str)
            .map(DateTime::parse_from_rfc3339)
        {
            Some(Ok(t)) => {
                let t = t.with_timezone(&Utc);
                times.push(t);
                attrs.insert(f.into(), json!(rfc3339(t)));
            }
            Some(Err(_)) => {
                fields.insert(f, "This value is not valid.");
            }
            None => {
                fields.insert(f, "This value should not be blank.");
            }
        }
    }
    if let [a, b] = times[..] {
        if b < a {
            fields.insert("end", "End date should be later than start date.");
        }
    }
    match body.get("calendar").and_then(|c| {
        c.as_u64()
            .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
    }) {
        Some(c) if c == s.opts.calendar_id => {
            attrs.insert("calendar".into(), json!(c));
        }
        Some(_) => {
            fields.insert("calendar", "You have no access to this calendar.");
        }
        None => {
            fields.insert("calendar", "This value should not be blank.");
        }
    }
    if let Some(v) = body.get("allDay") {
        attrs.insert("allDay".into(), json!(v.as_bool().unwrap_or(false)));
    }
    for f in ["recurrence", "recurringEventId", "uid"] {
        if let Some(v) = body.get(f) {
            attrs.insert(f.into(), v.clone());
        }
    }
    if let Some(n) = body.get("notifyAttendees").and_then(Value::as_str) {
        if !["all", "none", "added_or_deleted"].contains(&n) {
            fields.insert(
                "notifyAttendees",
                "The value you selected is not a valid choice.",
            );
        }
    }
    if root.is_empty() && fields.is_empty() {
        Ok(())
    } else {
        Err(validation_failed(root, fields))
    }
}

fn read_body(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad_request("The request body is not a JSON object.")),
    }
}

pub(crate) async fn create(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let body = match read_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut attrs = Map::new();
    attrs.insert("allDay".into(), json!(false));
    attrs.insert("recurrence".into(), Value::Null);
    attrs.insert("recurringEventId".into(), Value::Null);
    if let Err(r) = apply(&s, &mut attrs, &body) {
        return r;
    }
    let id = s
        .data
        .lock()
        .expect("data")
        .api_insert(EVENTS, attrs, BTreeMap::new());
    plain(
        StatusCode::CREATED,
        json!({"id": id, "uid": format!("{id:08x}-0000-4000-8000-000000000000"), "invitationStatus": null}),
    )
}

pub(crate) async fn update(
    State(s): State<Arc<Shared>>,
    Path((_v, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let body = match read_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut d = s.data.lock().expect("data");
    let Some(mut rec) = d.get(EVENTS, id).cloned() else {
        return not_found();
    };
    if let Err(r) = apply(&s, &mut rec.attributes, &body) {
        return r;
    }
    d.api_replace(EVENTS, rec);
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn delete(
    State(s): State<Arc<Shared>>,
    Path((_v, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    if s.data.lock().expect("data").api_delete(EVENTS, id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_operators_in_the_query_string() {
        let q = parse_legacy_query("calendar=7&page=1&limit=5&updatedAt%3E=2024-05-01T10%3A00%3A00%2B00%3A00&createdAt%3C2024-06-01T00:00:00Z");
        assert_eq!(q[0], ("calendar".into(), "=", "7".into()));
        assert_eq!(
            q[3],
            ("updatedAt".into(), ">=", "2024-05-01T10:00:00+00:00".into())
        );
        assert_eq!(
            q[4],
            ("createdAt".into(), "<", "2024-06-01T00:00:00Z".into())
        );
    }
}
