//! A fake Oro on a loopback port: the JSON:API for contacts and tasks, the
//! legacy REST API for calendar events, OroCRM's task workflow (`task_flow`,
//! its legacy task and transit endpoints), WSSE and OAuth 2.0, and switches
//! to make it slow or failing. Used by the contract tests and `orosync demo`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use orosync_fakes::oro::{FakeOro, FakeOroOptions};
//! let fake = FakeOro::start(FakeOroOptions::default()).await?;
//! println!("Oro at {}", fake.url());
//! # Ok(()) }
//! ```

// Handlers bail out early with a finished `Response` as the error value; a
// test server does not care that it is 128 bytes.
#![allow(clippy::result_large_err)]

mod address_api;
mod addresses;
mod auth;
mod data;
pub mod dictionary;
mod email;
mod events;
mod html_purifier;
mod jsonapi;
mod query;
mod validate;
mod workflow;

pub use addresses::{FakeAddress, FakeAddresses, CONTACT_ADDRESSES};
pub use data::{FakeData, FakeRecord, FakeWrites, CONTACTS, EVENTS, TASKS};

use crate::clock::{Clock, SystemClock};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono_tz::Tz;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Who the fake knows and how it behaves. The fake's user has id
/// `user_id`; user 2 ("colleague") exists too, to own other records.
#[derive(Clone)]
pub struct FakeOroOptions {
    pub username: String,
    /// The user's WSSE API key.
    pub api_key: String,
    /// The confidential OAuth client (client credentials, auth code).
    pub client_id: String,
    pub client_secret: String,
    /// A public OAuth client (auth code + PKCE, no secret).
    pub public_client_id: String,
    pub token_lifetime: Duration,
    /// How old a WSSE `Created` may be (Oro's API firewalls: 3600 s).
    pub wsse_lifetime: Duration,
    /// How far the server's wall clock is ahead of this machine's (negative:
    /// behind), for WSSE's `Created` checks: clock skew tests.
    pub clock_offset_secs: i64,
    /// The user's zone (Oro's user setting), in which a person's dates are
    /// midnights.
    pub time_zone: Tz,
    /// The clock of `createdAt`/`updatedAt`.
    pub clock: Arc<dyn Clock>,
    pub user_id: u64,
    pub calendar_id: u64,
    /// Whether Oro's `task_flow` workflow manages task statuses (active by
    /// default in OroCRM; an admin can deactivate it).
    pub task_workflow: bool,
    /// 0 = any free port.
    pub port: u16,
}

impl Default for FakeOroOptions {
    fn default() -> Self {
        FakeOroOptions {
            username: "jane".into(),
            api_key: "9b5f2a8c0d7e41f3a6b2c9d8e7f60123456789ab".into(),
            client_id: "orosync-app".into(),
            client_secret: "s3cret-client".into(),
            public_client_id: "orosync-desktop".into(),
            token_lifetime: Duration::from_secs(3600),
            wsse_lifetime: Duration::from_secs(3600),
            clock_offset_secs: 0,
            time_zone: Tz::UTC,
            clock: Arc::new(SystemClock),
            user_id: 1,
            calendar_id: 7,
            task_workflow: true,
            port: 0,
        }
    }
}

/// Something to go wrong with the next requests (see [`FakeOro::inject`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer normally, but this much later.
    Latency(Duration),
    /// Answer this status with a JSON:API error document.
    Status(u16),
    /// Answer this status (429, 503) with `Retry-After: secs`.
    RetryAfter { status: u16, secs: u64 },
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Start a 200 answer and drop the connection in the middle of the body.
    Drop,
    /// Apply the request, then drop the connection in the middle of the
    /// answer: the write landed but the client cannot know.
    DropAfterApply,
    /// Answer 200 with this body (truncated JSON, the wrong shape).
    Body(String),
}

/// What the fake has seen.
#[derive(Clone, Debug, Default)]
pub struct FakeStats {
    pub requests: usize,
    /// Collection GETs (JSON:API lists and legacy event lists).
    pub list_requests: usize,
    /// Tokens issued, by grant type.
    pub grants: BTreeMap<String, usize>,
    /// Requests refused with 401.
    pub unauthorized: usize,
    /// Every request's method and path with query, in order.
    pub log: Vec<String>,
}

type ListHook = Box<dyn FnMut(&mut FakeData, usize) + Send>;

pub(crate) struct Shared {
    pub(crate) opts: FakeOroOptions,
    pub(crate) data: Mutex<FakeData>,
    pub(crate) auth: Mutex<auth::AuthState>,
    faults: Mutex<VecDeque<Fault>>,
    /// Faults for write requests only (POST, PATCH, PUT, DELETE).
    write_faults: Mutex<VecDeque<Fault>>,
    hook: Mutex<Option<ListHook>>,
    pub(crate) stats: Mutex<FakeStats>,
    stall: Arc<crate::stall::WriteStall>,
}

impl Shared {
    /// Count a list request and run the test's hook after it was answered
    /// (so its edits land between two pages).
    pub(crate) fn after_list(&self) {
        let n = {
            let mut st = self.stats.lock().expect("stats");
            st.list_requests += 1;
            st.list_requests
        };
        let mut hook = self.hook.lock().expect("hook");
        if let Some(h) = hook.as_mut() {
            let mut d = self.data.lock().expect("data");
            h(&mut d, n);
        }
    }
}

/// A running fake Oro. Stops when dropped.
pub struct FakeOro {
    pub(crate) shared: Arc<Shared>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOro {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A JSON:API error document answer.
pub(crate) fn api_error(
    status: StatusCode,
    title: &str,
    detail: &str,
    pointer: Option<&str>,
) -> Response {
    let mut e = json!({"status": status.as_u16().to_string(), "title": title, "detail": detail});
    if let Some(p) = pointer {
        e["source"] = json!({"pointer": p});
    }
    json_api(status, json!({"errors": [e]}))
}

pub(crate) fn json_api(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/vnd.api+json")],
        body.to_string(),
    )
        .into_response()
}

async fn faults(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    {
        let mut st = s.stats.lock().expect("stats");
        st.requests += 1;
        let line = format!(
            "{} {}",
            req.method(),
            req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("")
        );
        st.log.push(line);
    }
    let is_write = req.method() != axum::http::Method::GET && req.uri().path().starts_with("/api/");
    if is_write {
        use crate::stall::StallAt;
        let point = crate::stall::WritePoint::new(req.method().as_str(), req.uri().path(), false);
        match s.stall.on_write(point) {
            Some(StallAt::BeforeApply) => {
                s.stall.hold().await;
                return api_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "held write",
                    "The fake held this write and dropped it.",
                    None,
                );
            }
            Some(StallAt::AfterApply) => {
                let r = next.run(req).await;
                s.stall.hold().await;
                return r;
            }
            None => {}
        }
    }
    let write_fault = if is_write {
        s.write_faults.lock().expect("faults").pop_front()
    } else {
        None
    };
    let fault = write_fault.or_else(|| s.faults.lock().expect("faults").pop_front());
    match fault {
        None => next.run(req).await,
        Some(Fault::Latency(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            api_error(status, "injected fault", "The fake was told to fail.", None)
        }
        Some(Fault::RetryAfter { status, secs }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut r = api_error(status, "injected fault", "Try again later.", None);
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs.to_string()).expect("digits"),
            );
            r
        }
        Some(Fault::Malformed) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/vnd.api+json")],
            "<html><body>Oro is being upgraded</body></html>",
        )
            .into_response(),
        Some(Fault::Body(body)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/vnd.api+json")],
            body,
        )
            .into_response(),
        Some(Fault::DropAfterApply) => {
            let applied = next.run(req).await;
            let (mut parts, _) = applied.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(b"{\"data\": {".to_vec()),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "dropped after apply",
                )),
            ];
            Response::from_parts(
                parts,
                axum::body::Body::from_stream(futures_util::stream::iter(chunks)),
            )
        }
        Some(Fault::Drop) => {
            let parts: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(b"{\"data\": [".to_vec()),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "dropped",
                )),
            ];
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/vnd.api+json")
                .body(axum::body::Body::from_stream(futures_util::stream::iter(
                    parts,
                )))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// A skewed server says its own time in `Date` (hyper would send ours).
async fn server_date(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    if s.opts.clock_offset_secs != 0 {
        let t = chrono::Utc::now() + chrono::TimeDelta::seconds(s.opts.clock_offset_secs);
        let v = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(header::DATE, v);
        }
    }
    r
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/userprofile", get(jsonapi::userprofile))
        .route("/api/taskpriorities", get(jsonapi::taskpriorities))
        .route("/api/taskstatuses", get(jsonapi::taskstatuses))
        .route(
            "/api/rest/{version}/calendars/default",
            get(events::default_calendar),
        )
        .route(
            "/api/rest/{version}/calendarevents",
            get(events::list).post(events::create),
        )
        .route(
            "/api/rest/{version}/calendarevents/{id}",
            get(events::get_one)
                .put(events::update)
                .delete(events::delete),
        )
        .route("/api/rest/{version}/tasks/{id}", get(workflow::legacy_task))
        .route(
            "/api/rest/{version}/workflow/transit/{item}/{transition}",
            post(workflow::transit),
        )
        .route("/api/{ty}", get(jsonapi::list).post(jsonapi::create))
        .route(
            "/api/{ty}/{id}",
            get(jsonapi::get_one)
                .patch(jsonapi::update)
                .delete(jsonapi::delete),
        )
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            auth::require_auth,
        ));
    Router::new()
        .merge(api)
        .route("/oauth2-token", post(auth::token_endpoint))
        .route("/oauth2-token/authorize", get(auth::authorize))
        .layer(middleware::from_fn_with_state(shared.clone(), faults))
        .layer(middleware::from_fn_with_state(shared.clone(), server_date))
        .with_state(shared)
}

impl FakeOro {
    /// Start on 127.0.0.1 (`opts.port`, 0 = any free port).
    pub async fn start(opts: FakeOroOptions) -> std::io::Result<FakeOro> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let addr = listener.local_addr()?;
        let mut data = FakeData::new(
            opts.clock.clone(),
            opts.time_zone,
            opts.user_id,
            opts.calendar_id,
        );
        data.task_flow = workflow::TaskFlow::new(opts.task_workflow);
        let shared = Arc::new(Shared {
            opts,
            data: Mutex::new(data),
            auth: Mutex::new(auth::AuthState::default()),
            faults: Mutex::new(VecDeque::new()),
            write_faults: Mutex::new(VecDeque::new()),
            hook: Mutex::new(None),
            stats: Mutex::new(FakeStats::default()),
            stall: Default::default(),
        });
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("fake Oro stopped: {e}");
            }
        });
        Ok(FakeOro { shared, addr, task })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn options(&self) -> &FakeOroOptions {
        &self.shared.opts
    }

    /// Direct access to the records, as a user of Oro's UI would have.
    pub fn data<R>(&self, f: impl FnOnce(&mut FakeData) -> R) -> R {
        f(&mut self.shared.data.lock().expect("data"))
    }

    /// A user creates a record in Oro's UI, given as the API's JSON (see
    /// [`FakeData::user_create_json`]); returns its id.
    pub fn user_create_json(&self, kind: impl AsRef<str>, doc: &serde_json::Value) -> String {
        self.data(|d| d.user_create_json(kind, doc)).to_string()
    }

    /// A user edits a record (its `updatedAt` becomes now); false when absent.
    pub fn user_edit(
        &self,
        kind: impl AsRef<str>,
        id: &str,
        f: impl FnOnce(&mut FakeRecord),
    ) -> bool {
        let Ok(id) = id.parse() else { return false };
        self.data(|d| d.user_edit(data::type_of(kind), id, f))
    }

    /// A user deletes a record; false when absent.
    pub fn user_delete(&self, kind: impl AsRef<str>, id: &str) -> bool {
        let Ok(id) = id.parse() else { return false };
        self.data(|d| d.user_delete(data::type_of(kind), id))
    }

    pub fn record(&self, kind: impl AsRef<str>, id: &str) -> Option<FakeRecord> {
        let id = id.parse().ok()?;
        self.data(|d| d.get(data::type_of(kind), id).cloned())
    }

    pub fn all(&self, kind: impl AsRef<str>) -> Vec<FakeRecord> {
        self.data(|d| d.all(data::type_of(kind)))
    }

    /// A stored record as the API answers it: a JSON:API resource object
    /// for contacts and tasks, a legacy REST event for events.
    pub fn render(&self, kind: impl AsRef<str>, r: &FakeRecord) -> serde_json::Value {
        match data::type_of(kind) {
            EVENTS => events::render(r),
            ty => jsonapi::render(ty, r, None),
        }
    }

    /// A contact's addresses as Oro orders them (the primary first, then by
    /// id).
    pub fn addresses_of(&self, contact: &str) -> Vec<FakeAddress> {
        let Ok(id) = contact.parse() else {
            return Vec::new();
        };
        self.data(|d| d.addresses.of(id).into_iter().cloned().collect())
    }

    pub fn address(&self, id: &str) -> Option<FakeAddress> {
        let id = id.parse().ok()?;
        self.data(|d| d.addresses.get(id).cloned())
    }

    /// A user adds an address to a contact in Oro's UI; `f` fills it in
    /// (`country` at least). Oro's form applies the same fixes as the API
    /// (AddressBundle `Form/Type/TypedAddressType.php` subscribes
    /// `FixAddressesTypesSubscriber` and `FixAddressesPrimarySubscriber`);
    /// nothing is validated. None when the contact is absent.
    pub fn user_add_address(
        &self,
        contact: &str,
        f: impl FnOnce(&mut FakeAddress),
    ) -> Option<String> {
        let owner: u64 = contact.parse().ok()?;
        self.data(|d| {
            d.get(CONTACTS, owner)?;
            let now = d.now();
            let mut a = addresses::blank(now);
            a.owner = owner;
            f(&mut a);
            a.id = 0;
            a.owner = owner;
            Some(d.addresses.save(a, now).to_string())
        })
    }

    /// A user edits an address in Oro's UI (the same fixes as on adding
    /// one). False when absent.
    pub fn user_edit_address(&self, id: &str, f: impl FnOnce(&mut FakeAddress)) -> bool {
        let Ok(id) = id.parse::<u64>() else {
            return false;
        };
        self.data(|d| {
            let Some(mut a) = d.addresses.get(id).cloned() else {
                return false;
            };
            f(&mut a);
            a.id = id;
            let now = d.now();
            d.addresses.save(a, now);
            true
        })
    }

    /// A user deletes an address. False when absent.
    pub fn user_delete_address(&self, id: &str) -> bool {
        let Ok(id) = id.parse::<u64>() else {
            return false;
        };
        self.data(|d| d.addresses.remove(id))
    }

    /// An admin activates or deactivates the `task_flow` workflow; either
    /// way the tasks' workflow items are deleted (Oro's `resetWorkflowData`).
    pub fn set_task_workflow(&self, active: bool) {
        self.data(|d| d.task_flow.set_active(active));
    }

    pub fn task_workflow_active(&self) -> bool {
        self.data(|d| d.task_flow.active())
    }

    /// An admin takes the permission to perform a task_flow transition
    /// (`close`, `reopen`, …) from the user's role (`forbidden` false gives
    /// it back): Oro then answers 403 to it.
    pub fn forbid_task_transition(&self, transition: &str, forbidden: bool) {
        self.data(|d| d.task_flow.forbid(transition, forbidden));
    }

    /// The workflow item of a task, if it has one.
    pub fn task_workflow_item(&self, task_id: &str) -> Option<u64> {
        let id = task_id.parse().ok()?;
        self.data(|d| d.task_flow.item_of(id))
    }

    /// Writes made through the API.
    pub fn writes(&self) -> FakeWrites {
        self.data(|d| d.writes())
    }

    pub fn stats(&self) -> FakeStats {
        self.shared.stats.lock().expect("stats").clone()
    }

    /// The next `times` requests (any path) meet `fault`, after any queued before.
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut q = self.shared.faults.lock().expect("faults");
        q.extend(std::iter::repeat_n(fault, times));
    }

    /// Hold the N-th write request (see [`crate::stall`]).
    pub fn write_stall(&self) -> &crate::stall::WriteStall {
        &self.shared.stall
    }

    /// The write stall, to watch from a task while a run borrows the world.
    pub fn write_stall_handle(&self) -> Arc<crate::stall::WriteStall> {
        self.shared.stall.clone()
    }

    /// The next `times` write requests meet `fault` (reads are unaffected).
    pub fn inject_writes(&self, fault: Fault, times: usize) {
        let mut q = self.shared.write_faults.lock().expect("faults");
        q.extend(std::iter::repeat_n(fault, times));
    }

    /// Injected faults (any request and write-only) not met yet, so a test
    /// can check the faults it injected were served.
    pub fn faults_pending(&self) -> usize {
        self.shared.write_faults.lock().expect("faults").len()
            + self.shared.faults.lock().expect("faults").len()
    }

    pub fn clear_faults(&self) {
        self.shared.write_faults.lock().expect("faults").clear();
        self.shared.faults.lock().expect("faults").clear();
    }

    /// Run `hook(data, n)` after the n-th list request was answered, for
    /// every list request from now on: edits made there happen "while the
    /// client is paging".
    pub fn on_list(&self, hook: impl FnMut(&mut FakeData, usize) + Send + 'static) {
        *self.shared.hook.lock().expect("hook") = Some(Box::new(hook));
    }

    pub fn clear_hook(&self) {
        *self.shared.hook.lock().expect("hook") = None;
    }
}
