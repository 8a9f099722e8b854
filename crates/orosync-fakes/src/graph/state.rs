//! The fake mailbox: contacts, events and To Do tasks as Graph JSON, a
//! change log for delta queries, and the request handling of the Graph
//! endpoints the client uses (also reached through `$batch`).

use super::{schema, zones};
use crate::clock::{Clock, SystemClock};
use crate::Resource;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The default To Do list's id, and another list the client must not use.
pub const DEFAULT_LIST: &str = "AAMkTasksDefaultList";
pub const OTHER_LIST: &str = "AAMkTasksOtherList";
/// The default contacts folder's id, and the mailbox root above it.
pub const CONTACTS_FOLDER: &str = "AAMkContactsDefaultFolder";
const MAILBOX_ROOT: &str = "AAMkMsgFolderRoot";

/// The default contacts folder by its id or by its well-known name
/// `contacts` (as Exchange resolves well-known folder names in place of ids).
fn is_default_contacts(folder: &str, ids_only: bool) -> bool {
    folder == CONTACTS_FOLDER || (!ids_only && folder.eq_ignore_ascii_case("contacts"))
}

/// One item: its Graph JSON (without navigation properties), its extended
/// properties (id as written → value) and, for tasks, its linkedResources.
#[derive(Clone, Debug)]
pub struct Stored {
    pub kind: Resource,
    pub json: Map<String, Value>,
    pub ext: Vec<(String, String)>,
    pub linked: Vec<Value>,
}

/// Counts of writes the fake applied (through Graph, not through the `user_*` helpers).
pub use crate::Writes as FakeWrites;

/// A delta token's position in the change log.
#[derive(Clone, Debug)]
struct DeltaPos {
    kind: Resource,
    seq: u64,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    expand: Option<String>,
}

/// An answer to one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![],
            body,
        }
    }
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"error": {"code": code, "message": message, "innerError": {"request-id": "fake"}}}),
        )
    }
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What a request asked for beyond its path.
pub struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    pub prefer: Vec<String>,
    pub body: Option<Value>,
}

impl Req<'_> {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn prefer(&self, key: &str) -> Option<String> {
        self.prefer.iter().flat_map(|p| p.split(',')).find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
    }
}

/// Entries still to send of a paged answer, its `$expand`, and the
/// deltaLink that ends it.
type Pending = (Vec<Value>, Option<String>, Option<String>);

/// The clock of `createdDateTime` and `lastModifiedDateTime`.
#[derive(Clone)]
pub struct MailClock(pub Arc<dyn Clock>);

impl Default for MailClock {
    fn default() -> Self {
        MailClock(Arc::new(SystemClock))
    }
}

#[derive(Default)]
pub struct Mailbox {
    pub clock: MailClock,
    pub items: BTreeMap<String, Stored>,
    next_id: u64,
    seq: u64,
    log: Vec<(u64, Resource, String)>,
    deltas: HashMap<String, DeltaPos>,
    /// Remaining pages of a delta or list answer, by skip token.
    pages: HashMap<String, Pending>,
    pub writes: FakeWrites,
    /// Put into every new item id: odd characters that clients must escape
    /// in every URL and filter (real ids carry `+`, `/`, `=`, `-`, `_`).
    pub id_infix: String,
    pub rejects: Vec<String>,
    /// Answer event bodies as HTML whatever the Prefer header says.
    pub html_bodies: bool,
    /// Refuse the well-known name `contacts` in place of the default
    /// contacts folder's id (only the id is on the contactFolder page).
    pub ids_only: bool,
    pub page_size: usize,
    pub base: String,
}

fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn same_prop(a: &str, b: &str) -> bool {
    // Proptag ids ("Short 0x3A4D") are case-insensitive; named ones keep
    // the case of their name.
    if a.contains(" Name ") || b.contains(" Name ") {
        let (ta, na) = a.split_once(" Name ").unwrap_or((a, ""));
        let (tb, nb) = b.split_once(" Name ").unwrap_or((b, ""));
        ta.eq_ignore_ascii_case(tb) && na == nb
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// Quoted values after `key` in an OData filter (`id eq 'x' or id eq 'y'`).
fn quoted_after(filter: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = filter;
    while let Some(i) = rest.find(key) {
        rest = &rest[i + key.len()..];
        let Some(start) = rest.find('\'') else { break };
        let Some(len) = rest[start + 1..].find('\'') else {
            break;
        };
        out.push(rest[start + 1..start + 1 + len].to_string());
        rest = &rest[start + 1 + len + 1..];
    }
    out
}

impl Mailbox {
    pub fn new(base: String, page_size: usize, clock: Arc<dyn Clock>) -> Mailbox {
        Mailbox {
            clock: MailClock(clock),
            next_id: 1,
            page_size: page_size.max(1),
            base,
            ..Default::default()
        }
    }

    fn now_text(&self) -> String {
        time_text(self.clock.0.now())
    }

    fn touch(&mut self, kind: Resource, id: &str) {
        self.seq += 1;
        self.log.push((self.seq, kind, id.to_string()));
    }

    /// Insert a new item from a Graph create body; returns its id.
    pub fn insert(&mut self, kind: Resource, mut body: Map<String, Value>) -> String {
        let id = format!(
            "AAMkAGI2{}{}{:08}",
            self.id_infix,
            kind.as_str().to_uppercase(),
            self.next_id
        );
        self.next_id += 1;
        let ext = take_ext(&mut body);
        if kind == Resource::Tasks {
            keep_due_day(&mut body);
        }
        let mut linked = Vec::new();
        if let Some(Value::Array(l)) = body.remove("linkedResources") {
            for mut r in l {
                r["id"] = json!(format!("lr{}", self.next_id));
                self.next_id += 1;
                linked.push(r);
            }
        }
        let now = self.now_text();
        body.insert("id".into(), json!(id));
        body.insert("createdDateTime".into(), json!(now));
        body.insert("lastModifiedDateTime".into(), json!(now));
        if kind == Resource::Contacts {
            // Contacts made through /me/contacts land in the default folder.
            body.insert("parentFolderId".into(), json!(CONTACTS_FOLDER));
        }
        if kind == Resource::Events && !body.contains_key("type") {
            body.insert("type".into(), json!("singleInstance"));
        }
        self.items.insert(
            id.clone(),
            Stored {
                kind,
                json: body,
                ext,
                linked,
            },
        );
        self.touch(kind, &id);
        id
    }

    /// Merge a PATCH body into an item.
    pub fn patch(&mut self, id: &str, mut body: Map<String, Value>) -> bool {
        let ext = take_ext(&mut body);
        let now = self.now_text();
        let Some(it) = self.items.get_mut(id) else {
            return false;
        };
        if it.kind == Resource::Tasks {
            keep_due_day(&mut body);
        }
        for (k, v) in body {
            if k != "id" {
                it.json.insert(k, v);
            }
        }
        for (pid, v) in ext {
            match it.ext.iter_mut().find(|(i, _)| same_prop(i, &pid)) {
                Some(slot) => slot.1 = v,
                None => it.ext.push((pid, v)),
            }
        }
        it.json.insert("lastModifiedDateTime".into(), json!(now));
        let kind = it.kind;
        self.touch(kind, id);
        true
    }

    pub fn remove(&mut self, id: &str) -> bool {
        match self.items.remove(id) {
            Some(it) => {
                self.touch(it.kind, id);
                true
            }
            None => false,
        }
    }

    /// Forget every delta token handed out (Graph's sync state reset).
    pub fn expire_deltas(&mut self) {
        self.deltas.clear();
    }

    /// The item as Graph would answer it, with the navigation properties
    /// `$expand` asked for and the zone and body type `Prefer` asked for.
    fn render(&self, it: &Stored, expand: Option<&str>, select: Option<&str>, req: &Req) -> Value {
        let mut m = it.json.clone();
        if it.kind == Resource::Events {
            self.render_event(&mut m, req);
        }
        if let Some(x) = expand {
            if x.starts_with("singleValueExtendedProperties") {
                let ids = quoted_after(x, "id eq");
                let props: Vec<Value> = it
                    .ext
                    .iter()
                    .filter(|(pid, _)| ids.iter().any(|w| same_prop(w, pid)))
                    .map(|(pid, v)| {
                        // Graph answers proptag ids with lower-case hex
                        // ("Short 0x3a4d", "String 0x3a24").
                        let shown = match pid.split_once(' ') {
                            Some((ty, tag)) if !pid.contains(" Name ") => {
                                format!("{ty} {}", tag.to_lowercase())
                            }
                            _ => pid.clone(),
                        };
                        json!({"id": shown, "value": v})
                    })
                    .collect();
                m.insert("singleValueExtendedProperties".into(), Value::Array(props));
            }
            if x.contains("linkedResources") {
                m.insert("linkedResources".into(), Value::Array(it.linked.clone()));
            }
        }
        if let Some(sel) = select {
            let keep: Vec<&str> = sel.split(',').map(str::trim).collect();
            m.retain(|k, _| {
                k == "id"
                    || keep.contains(&k.as_str())
                    || k == "singleValueExtendedProperties"
                    || k == "linkedResources"
            });
        }
        m.insert(
            "@odata.etag".into(),
            json!(format!(
                "W/\"{}\"",
                m.get("lastModifiedDateTime")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )),
        );
        Value::Object(m)
    }

    fn render_event(&self, m: &mut Map<String, Value>, req: &Req) {
        let zone_name = req
            .prefer("outlook.timezone")
            .unwrap_or_else(|| "UTC".into());
        let zone = zones::zone(&zone_name).unwrap_or(chrono_tz::Tz::UTC);
        let all_day = m.get("isAllDay").and_then(Value::as_bool).unwrap_or(false);
        for k in ["start", "end"] {
            let Some(v) = m.get(k).cloned() else { continue };
            let shown = if all_day {
                // All-day events float: midnight of the same dates, named
                // in the zone asked for.
                let d = v
                    .get("dateTime")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .get(..10)
                    .unwrap_or("")
                    .to_string();
                json!({"dateTime": format!("{d}T00:00:00.0000000"), "timeZone": zone_name})
            } else {
                match zones::instant(&v) {
                    Some(t) => json!({
                        "dateTime": zones::text(t.with_timezone(&zone).naive_local()),
                        "timeZone": zone_name
                    }),
                    None => v,
                }
            };
            m.insert(k.into(), shown);
        }
        let want_text = req.prefer("outlook.body-content-type").as_deref() == Some("text");
        if let Some(b) = m.get("body").cloned() {
            let content = b.get("content").and_then(Value::as_str).unwrap_or("");
            let is_html = b.get("contentType").and_then(Value::as_str) == Some("html");
            let shown = if want_text && !self.html_bodies {
                let t = if is_html {
                    zones::html_as_text(content)
                } else {
                    content.to_string()
                };
                json!({"contentType": "text", "content": t})
            } else if is_html {
                b.clone()
            } else {
                let esc = content
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('\n', "<br>");
                json!({"contentType": "html", "content": format!("<html><head><meta charset=\"utf-8\"></head><body>{esc}</body></html>")})
            };
            m.insert("body".into(), shown);
        }
    }

    fn event_span(it: &Stored) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((
            zones::instant(it.json.get("start")?)?,
            zones::instant(it.json.get("end")?)?,
        ))
    }

    fn in_window(it: &Stored, w: Option<(DateTime<Utc>, DateTime<Utc>)>) -> bool {
        match (w, Self::event_span(it)) {
            (None, _) => true,
            (Some((from, to)), Some((s, e))) => e > from && s < to,
            (Some(_), None) => false,
        }
    }

    /// Check a write body the way Graph would refuse it.
    fn validate(&self, kind: Resource, body: &Map<String, Value>) -> Result<(), Reply> {
        let text = serde_json::to_string(body).unwrap_or_default();
        if let Some(n) = self.rejects.iter().find(|n| text.contains(n.as_str())) {
            return Err(Reply::error(
                400,
                "ErrorInvalidProperty",
                &format!("value \"{n}\" is not allowed"),
            ));
        }
        if let Err(why) = schema::check(kind, body).and_then(|()| schema::check_values(kind, body))
        {
            return Err(Reply::error(400, "RequestBodyRead", &why));
        }
        match kind {
            Resource::Contacts => {
                let n = |k: &str| body.get(k).and_then(Value::as_array).map_or(0, Vec::len);
                if n("emailAddresses") > 3 || n("businessPhones") > 2 {
                    return Err(Reply::error(
                        400,
                        "ErrorInvalidArgument",
                        "too many addresses or phones",
                    ));
                }
            }
            Resource::Events => {
                for k in ["start", "end"] {
                    if let Some(v) = body.get(k) {
                        let zone = v.get("timeZone").and_then(Value::as_str).unwrap_or("");
                        if zones::zone(zone).is_none() {
                            return Err(Reply::error(
                                400,
                                "TimeZoneNotSupportedException",
                                &format!("A valid TimeZone value must be specified: {zone}"),
                            ));
                        }
                        if zones::instant(v).is_none() {
                            return Err(Reply::error(400, "ErrorInvalidRequest", "bad dateTime"));
                        }
                        let all_day = body.get("isAllDay").and_then(Value::as_bool) == Some(true);
                        let t = v.get("dateTime").and_then(Value::as_str).unwrap_or("");
                        if all_day && t.get(11..19).is_none_or(|x| x != "00:00:00") {
                            return Err(Reply::error(
                                400,
                                "ErrorPropertyValidationFailure",
                                "all-day events start and end at midnight",
                            ));
                        }
                    }
                }
            }
            Resource::Tasks => {
                if let Some(due) = body.get("dueDateTime") {
                    if let Err(why) = zones::todo_due(due) {
                        return Err(Reply::error(400, "invalidRequest", &why));
                    }
                }
            }
        }
        Ok(())
    }

    /// Handle one Graph request (path relative to `/v1.0`).
    pub fn handle(&mut self, req: &Req) -> Reply {
        // Segments are matched decoded, as Graph does: an id escaped by the
        // client (`%2F` for `/`) is found, an unescaped `/` splits it.
        let decoded: Vec<String> = req
            .path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let m = req.method;
        match segs.as_slice() {
            // Contact delta is documented on a folder only
            // (microsoft-graph-docs-contrib api-reference/v1.0/api/contact-delta.md:
            // `GET /me/contactFolders/{id}/contacts/delta`). The bare
            // `/me/contacts/delta` is undocumented; refused the way Graph
            // refuses a segment it does not know, so a client that relies
            // on it is caught here rather than by a future Graph.
            ["me", "contacts", "delta"] => Reply::error(
                400,
                "BadRequest",
                "Resource not found for the segment 'delta'.",
            ),
            ["me", "contactFolders", f, "contacts", "delta"]
                if is_default_contacts(f, self.ids_only) =>
            {
                self.delta(Resource::Contacts, req)
            }
            // The default folder is not among /me/contactFolders, which
            // lists the folders under it (contactfolder-list.md: "contact
            // folder collection in the default Contacts folder"); it has no
            // child folders here.
            ["me", "contactFolders"] if m == "GET" => Reply::json(200, json!({"value": []})),
            ["me", "contactFolders", f] if m == "GET" && is_default_contacts(f, self.ids_only) => {
                Reply::json(
                    200,
                    json!({"id": CONTACTS_FOLDER, "displayName": "Contacts", "parentFolderId": MAILBOX_ROOT}),
                )
            }
            ["me", "contactFolders", ..] => Reply::error(
                404,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            ),
            ["me", "calendarView", "delta"] => self.delta(Resource::Events, req),
            ["me", "todo", "lists"] if m == "GET" => Reply::json(
                200,
                json!({"value": [
                    {"id": OTHER_LIST, "displayName": "Groceries", "wellknownListName": "none", "isOwner": true, "isShared": false},
                    {"id": DEFAULT_LIST, "displayName": "Tasks", "wellknownListName": "defaultList", "isOwner": true, "isShared": false},
                ]}),
            ),
            ["me", "todo", "lists", l, "tasks", "delta"] if *l == DEFAULT_LIST => {
                self.delta(Resource::Tasks, req)
            }
            ["me", "contacts"] => self.collection(Resource::Contacts, req),
            ["me", "events"] => self.collection(Resource::Events, req),
            ["me", "todo", "lists", l, "tasks"] if *l == DEFAULT_LIST => {
                self.collection(Resource::Tasks, req)
            }
            ["me", "contacts", id] => self.one(Resource::Contacts, id, req),
            ["me", "events", id] => self.one(Resource::Events, id, req),
            ["me", "todo", "lists", l, "tasks", id] if *l == DEFAULT_LIST => {
                self.one(Resource::Tasks, id, req)
            }
            ["me", "todo", "lists", l, "tasks", id, "linkedResources"] if *l == DEFAULT_LIST => {
                self.linked(id, None, req)
            }
            ["me", "todo", "lists", l, "tasks", id, "linkedResources", lr]
                if *l == DEFAULT_LIST =>
            {
                self.linked(id, Some(lr), req)
            }
            ["me", "todo", "lists", _, ..] => {
                Reply::error(404, "ErrorItemNotFound", "The specified list was not found")
            }
            _ => Reply::error(
                400,
                "BadRequest",
                &format!("Resource not found for the segment '{}'", req.path),
            ),
        }
    }

    fn collection(&mut self, kind: Resource, req: &Req) -> Reply {
        match req.method {
            "POST" => {
                let Some(Value::Object(body)) = req.body.clone() else {
                    return Reply::error(
                        400,
                        "BadRequest",
                        "Empty Payload. JSON content expected.",
                    );
                };
                if let Err(r) = self.validate(kind, &body) {
                    return r;
                }
                let id = self.insert(kind, body);
                self.writes.created += 1;
                let it = self.items.get(&id).expect("just inserted");
                Reply::json(201, self.render(it, None, None, req))
            }
            "GET" => {
                let filter = req.q("$filter");
                let (want_id, want_val) = match filter {
                    Some(f) => (
                        quoted_after(f, "ep/id eq").into_iter().next(),
                        quoted_after(f, "ep/value eq").into_iter().next(),
                    ),
                    None => (None, None),
                };
                let top = req
                    .q("$top")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(self.page_size);
                let skip: usize = req.q("$skip").and_then(|t| t.parse().ok()).unwrap_or(0);
                let all: Vec<Value> = self
                    .items
                    .values()
                    .filter(|it| it.kind == kind)
                    .filter(|it| match (&want_id, &want_val) {
                        (Some(pid), val) => it.ext.iter().any(|(p, v)| {
                            same_prop(p, pid)
                                && val.as_ref().is_none_or(|w| w.eq_ignore_ascii_case(v))
                        }),
                        _ => true,
                    })
                    .map(|it| self.render(it, req.q("$expand"), req.q("$select"), req))
                    .collect();
                let page: Vec<Value> = all.iter().skip(skip).take(top).cloned().collect();
                let mut body = json!({ "value": page });
                if skip + top < all.len() {
                    let mut q: Vec<(String, String)> = req
                        .query
                        .iter()
                        .filter(|(k, _)| k != "$skip")
                        .cloned()
                        .collect();
                    q.push(("$skip".into(), (skip + top).to_string()));
                    let qs = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(q)
                        .finish();
                    body["@odata.nextLink"] = json!(format!("{}{}?{}", self.base, req.path, qs));
                }
                Reply::json(200, body)
            }
            _ => Reply::error(405, "MethodNotAllowed", "method not allowed"),
        }
    }

    fn one(&mut self, kind: Resource, id: &str, req: &Req) -> Reply {
        let exists = self.items.get(id).is_some_and(|it| it.kind == kind);
        if !exists {
            return Reply::error(
                404,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            );
        }
        match req.method {
            "GET" => {
                let it = &self.items[id];
                Reply::json(
                    200,
                    self.render(it, req.q("$expand"), req.q("$select"), req),
                )
            }
            "PATCH" => {
                let Some(Value::Object(body)) = req.body.clone() else {
                    return Reply::error(
                        400,
                        "BadRequest",
                        "Empty Payload. JSON content expected.",
                    );
                };
                if let Err(r) = self.validate(kind, &body) {
                    return r;
                }
                self.patch(id, body);
                self.writes.updated += 1;
                Reply::json(200, self.render(&self.items[id], None, None, req))
            }
            "DELETE" => {
                self.remove(id);
                self.writes.deleted += 1;
                Reply::json(204, Value::Null)
            }
            _ => Reply::error(405, "MethodNotAllowed", "method not allowed"),
        }
    }

    fn linked(&mut self, task: &str, lr: Option<&str>, req: &Req) -> Reply {
        let n = self.next_id;
        let now = self.now_text();
        let Some(it) = self
            .items
            .get_mut(task)
            .filter(|it| it.kind == Resource::Tasks)
        else {
            return Reply::error(404, "ErrorItemNotFound", "task not found");
        };
        let Some(Value::Object(body)) = req.body.clone() else {
            return Reply::error(400, "BadRequest", "Empty Payload. JSON content expected.");
        };
        if let Err(why) = schema::check_linked_resource(&Value::Object(body.clone())) {
            return Reply::error(400, "RequestBodyRead", &why);
        }
        let reply = match (req.method, lr) {
            ("POST", None) => {
                let mut r = Value::Object(body);
                r["id"] = json!(format!("lr{n}"));
                it.linked.push(r.clone());
                Reply::json(201, r)
            }
            ("PATCH", Some(lr)) => {
                let Some(r) = it
                    .linked
                    .iter_mut()
                    .find(|r| r.get("id").and_then(Value::as_str) == Some(lr))
                else {
                    return Reply::error(404, "ErrorItemNotFound", "linked resource not found");
                };
                for (k, v) in body {
                    if k != "id" {
                        r[k] = v;
                    }
                }
                Reply::json(200, r.clone())
            }
            _ => return Reply::error(405, "MethodNotAllowed", "method not allowed"),
        };
        self.next_id += 1;
        it.json.insert("lastModifiedDateTime".into(), json!(now));
        self.touch(Resource::Tasks, task);
        self.writes.updated += 1;
        reply
    }

    fn delta_link(
        &mut self,
        kind: Resource,
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
        expand: Option<String>,
    ) -> String {
        let token = format!("dt{}x{}", self.seq, self.deltas.len() + 1);
        self.deltas.insert(
            token.clone(),
            DeltaPos {
                kind,
                seq: self.seq,
                window,
                expand,
            },
        );
        let path = match kind {
            Resource::Contacts => format!("/me/contactFolders/{CONTACTS_FOLDER}/contacts/delta"),
            Resource::Events => "/me/calendarView/delta".to_string(),
            Resource::Tasks => format!("/me/todo/lists/{DEFAULT_LIST}/tasks/delta"),
        };
        format!("{}{}?$deltatoken={}", self.base, path, token)
    }

    fn delta(&mut self, kind: Resource, req: &Req) -> Reply {
        if req.method != "GET" {
            return Reply::error(405, "MethodNotAllowed", "method not allowed");
        }
        // A later page of an answer already computed.
        if let Some(skip) = req.q("$skiptoken") {
            return match self.pages.remove(skip) {
                Some((rest, expand, link)) => self.page_out(rest, expand, link, req),
                None => Reply::error(400, "InvalidSkipToken", "unknown skip token"),
            };
        }
        // Delta tokens carry the query of the first call (window, $expand).
        let (since, window, expand) = match req.q("$deltatoken") {
            Some(t) => match self.deltas.get(t) {
                Some(p) if p.kind == kind => (Some(p.seq), p.window, p.expand.clone()),
                _ => {
                    return Reply::error(
                        410,
                        "syncStateNotFound",
                        "The sync state generation is not found.",
                    )
                }
            },
            None => {
                let window = if kind == Resource::Events {
                    let parse = |k: &str| {
                        req.q(k)
                            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                            .map(|d| d.with_timezone(&Utc))
                    };
                    match (parse("startDateTime"), parse("endDateTime")) {
                        (Some(a), Some(b)) => Some((a, b)),
                        _ => {
                            return Reply::error(
                                400,
                                "ErrorInvalidParameter",
                                "startDateTime and endDateTime are required",
                            )
                        }
                    }
                } else {
                    None
                };
                (None, window, None)
            }
        };
        // The token remembers the first call's $expand, as Graph's do.
        let expand = expand.or_else(|| req.q("$expand").map(str::to_string));
        let ids: Vec<String> = match since {
            None => self
                .items
                .iter()
                .filter(|(_, it)| it.kind == kind && Self::in_window(it, window))
                .map(|(id, _)| id.clone())
                .collect(),
            Some(s) => {
                let mut v: Vec<String> = self
                    .log
                    .iter()
                    .filter(|(q, k, _)| *q > s && *k == kind)
                    .map(|(_, _, id)| id.clone())
                    .collect();
                v.sort();
                v.dedup();
                v
            }
        };
        let entries: Vec<Value> = ids
            .into_iter()
            .map(|id| match self.items.get(&id) {
                Some(it) if Self::in_window(it, window) => {
                    // Event delta carries no extended properties.
                    let x = if kind == Resource::Tasks {
                        expand.as_deref()
                    } else {
                        None
                    };
                    self.render(it, x, None, req)
                }
                _ => json!({"id": id, "@removed": {"reason": "deleted"}}),
            })
            .collect();
        let link = self.delta_link(kind, window, expand.clone());
        self.page_out(entries, expand, Some(link), req)
    }

    fn page_out(
        &mut self,
        mut entries: Vec<Value>,
        expand: Option<String>,
        delta_link: Option<String>,
        req: &Req,
    ) -> Reply {
        let size = req
            .prefer("odata.maxpagesize")
            .and_then(|s| s.parse().ok())
            .unwrap_or(self.page_size)
            .max(1);
        if entries.len() > size {
            let rest = entries.split_off(size);
            let token = format!(
                "sk{}x{}",
                self.seq,
                self.pages.len() + self.next_id as usize
            );
            self.next_id += 1;
            self.pages.insert(token.clone(), (rest, expand, delta_link));
            let next = format!("{}{}?$skiptoken={}", self.base, req.path, token);
            Reply::json(200, json!({"value": entries, "@odata.nextLink": next}))
        } else {
            Reply::json(
                200,
                json!({"value": entries, "@odata.deltaLink": delta_link.unwrap_or_default()}),
            )
        }
    }
}

/// A task's `dueDateTime` as To Do keeps it ([`zones::todo_due`]); one To
/// Do would refuse is left for [`Mailbox::validate`] to have refused.
fn keep_due_day(body: &mut Map<String, Value>) {
    if let Some(due) = body.get_mut("dueDateTime") {
        if let Ok(kept) = zones::todo_due(due) {
            *due = kept;
        }
    }
}

/// Move `singleValueExtendedProperties` out of a write body.
fn take_ext(body: &mut Map<String, Value>) -> Vec<(String, String)> {
    match body.remove("singleValueExtendedProperties") {
        Some(Value::Array(a)) => a
            .into_iter()
            .filter_map(|p| {
                Some((
                    p.get("id")?.as_str()?.to_string(),
                    p.get("value")?.as_str()?.to_string(),
                ))
            })
            .collect(),
        _ => vec![],
    }
}
