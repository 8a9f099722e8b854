//! A fake Microsoft Graph (and identity platform) on 127.0.0.1, for the
//! contract tests and `orosync demo`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use orosync_fakes::graph::{FakeGraph, FakeOptions};
//! let fake = FakeGraph::start(FakeOptions::default()).await?;
//! let graph_url = fake.url();        // http://127.0.0.1:PORT/v1.0
//! let login_url = fake.login_url();  // http://127.0.0.1:PORT/login
//! let refresh = fake.issue_refresh_token(); // as if the user had signed in
//! # Ok(()) }
//! ```
//!
//! Tests reach the data directly (`user_*`, `all`, `find`), count what the
//! client did (`requests`, `writes`, `peak_in_flight`), and inject faults
//! into the next requests ([`Fault`]).

mod login;
mod schema;
mod state;
mod zones;

pub use state::{FakeWrites, CONTACTS_FOLDER, DEFAULT_LIST};

use crate::clock::{Clock, SystemClock};
use crate::Resource;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use chrono_tz::Tz;
use serde_json::{json, Value};
use state::{Mailbox, Reply, Req};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the fake behaves.
#[derive(Clone)]
pub struct FakeOptions {
    /// Only this client id may sign in (`None`: any non-empty one).
    pub client_id: Option<String>,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Items per page of lists and deltas (Graph's default is 10).
    pub page_size: usize,
    /// `interval` of device codes, in seconds.
    pub device_interval_secs: u64,
    /// The mailbox owner's zone (tests read the fake's items in it).
    pub time_zone: Tz,
    /// The clock of `createdDateTime` and `lastModifiedDateTime` (sign-in
    /// tokens keep to the wall clock, as the client's do).
    pub clock: Arc<dyn Clock>,
    /// Refuse a refresh token once it was used. Microsoft does not: a used
    /// refresh token stays valid until it expires or is revoked, which is
    /// what lets `orosync demo` and a later `orosync sync` (another
    /// process, holding the token from before the rotation) share one
    /// sign-in. Tests that check a client keeps the rotated token turn
    /// this on.
    pub single_use_refresh_tokens: bool,
}

impl std::fmt::Debug for FakeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOptions")
            .field("client_id", &self.client_id)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("page_size", &self.page_size)
            .field("device_interval_secs", &self.device_interval_secs)
            .field("time_zone", &self.time_zone)
            .field("now", &self.clock.now())
            .field("single_use_refresh_tokens", &self.single_use_refresh_tokens)
            .finish()
    }
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            client_id: None,
            access_token_ttl: Duration::from_secs(3600),
            page_size: 10,
            device_interval_secs: 1,
            time_zone: Tz::UTC,
            clock: Arc::new(SystemClock),
            single_use_refresh_tokens: false,
        }
    }
}

/// Something to go wrong with the next request(s).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// 429 with `Retry-After: secs`.
    Throttle { retry_after: u64 },
    /// 503 without Retry-After.
    Unavailable,
    /// 504: the gateway gave up (whether the request was applied is unknown
    /// to a client; the fake does not apply it).
    GatewayTimeout,
    /// Answer normally after a delay.
    Latency(Duration),
    /// 200 with a body that is not JSON (the request is not applied).
    Malformed,
    /// Close the connection without an answer (the request is not applied).
    Drop,
    /// Delta requests answer 410 `syncStateNotFound` (others are unaffected).
    ExpiredDelta,
    /// A delta page, empty, whose `@odata.nextLink` is the request's own
    /// URL (a paging loop a client must notice); other requests are
    /// unaffected.
    LoopingNextLink,
}

struct Shared {
    mailbox: Mailbox,
    login: Login,
    faults: VecDeque<Fault>,
    member_faults: VecDeque<Fault>,
    requests: usize,
    member_requests: usize,
    /// Every Graph request as "METHOD path", with a `$batch`'s members.
    log: Vec<(String, Vec<String>)>,
    opts: FakeOptions,
}

use login::Login;

/// A running fake; stops when dropped.
pub struct FakeGraph {
    base: String,
    shared: Arc<Mutex<Shared>>,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    stall: Arc<crate::stall::WriteStall>,
    held: Arc<tokio::sync::watch::Sender<bool>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

#[derive(Clone)]
struct App {
    base: String,
    shared: Arc<Mutex<Shared>>,
    in_flight: Arc<AtomicUsize>,
    /// Graph requests (not sign-in) in flight against the mailbox.
    mailbox_in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    stall: Arc<crate::stall::WriteStall>,
    held: Arc<tokio::sync::watch::Sender<bool>>,
}

fn to_response(r: Reply) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &r.headers {
        b = b.header(k, v);
    }
    if r.body.is_null() {
        b.body(Body::empty()).expect("response")
    } else {
        b.header("Content-Type", "application/json")
            .body(Body::from(r.body.to_string()))
            .expect("response")
    }
}

fn fault_reply(f: &Fault) -> Option<Reply> {
    match f {
        Fault::Throttle { retry_after } => Some(Reply {
            status: 429,
            headers: vec![("Retry-After".into(), retry_after.to_string())],
            body: json!({"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."}}),
        }),
        Fault::Unavailable => Some(Reply::error(
            503,
            "ServiceUnavailable",
            "Service unavailable",
        )),
        Fault::GatewayTimeout => Some(Reply::error(
            504,
            "GatewayTimeout",
            "The gateway timed out.",
        )),
        _ => None,
    }
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

async fn serve(
    axum::extract::State(app): axum::extract::State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    app.peak.fetch_max(now, Ordering::SeqCst);
    let to_mailbox = !uri.path().starts_with("/login/");
    // Held until the answer is made, or until the request is dropped.
    let mut mailbox_slot = None;
    if to_mailbox {
        // Outlook allows an app 4 requests in flight per mailbox and
        // answers a fifth 429 without running it (microsoft-graph-docs-contrib
        // concepts/throttling-limits.md, "Outlook service limits": 4
        // concurrent requests; the error text of calcom/cal.diy PR #343).
        let counted = Counted::new(app.mailbox_in_flight.clone());
        if counted.now > MAILBOX_CONCURRENCY {
            app.in_flight.fetch_sub(1, Ordering::SeqCst);
            return to_response(
                fault_reply(&Fault::Throttle { retry_after: 1 }).expect("a throttle reply"),
            );
        }
        mailbox_slot = Some(counted);
        // Requests held by the test wait here, in flight.
        let mut held = app.held.subscribe();
        let _ = held.wait_for(|h| !*h).await;
    }
    // Writes (any non-GET) outside sign-in can be held; a `$batch` is held
    // at its write members instead (in `batch`), so a kill can fall between
    // two of them and a batch of reads is no write.
    let is_write = method != Method::GET && to_mailbox && uri.path() != "/v1.0/$batch";
    let stall = if is_write {
        let point = crate::stall::WritePoint::new(method.as_str(), uri.path(), false);
        app.stall.on_write(point)
    } else {
        None
    };
    let r = match stall {
        Some(crate::stall::StallAt::BeforeApply) => {
            app.stall.hold().await;
            to_response(Reply::error(
                503,
                "ServiceUnavailable",
                "held write dropped",
            ))
        }
        Some(crate::stall::StallAt::AfterApply) => {
            let r = handle(&app, method, uri, headers, body).await;
            app.stall.hold().await;
            r
        }
        None => handle(&app, method, uri, headers, body).await,
    };
    drop(mailbox_slot);
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    r
}

/// One request counted in flight until dropped (also when the server drops
/// the request's future because its client went away).
struct Counted {
    count: Arc<AtomicUsize>,
    /// The count with this request.
    now: usize,
}

impl Counted {
    fn new(count: Arc<AtomicUsize>) -> Counted {
        let now = count.fetch_add(1, Ordering::SeqCst) + 1;
        Counted { count, now }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Requests an app may have in flight against one mailbox.
const MAILBOX_CONCURRENCY: usize = 4;

async fn handle(app: &App, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    if let Some(rest) = path.strip_prefix("/login/") {
        // {tenant}/oauth2/v2.0/{endpoint}
        let endpoint = rest.rsplit('/').next().unwrap_or("");
        let mut params = query_pairs(&uri);
        if method == Method::POST {
            params.extend(url::form_urlencoded::parse(&body).into_owned());
        }
        let login_base = format!("{}/login", app.base);
        let r = app
            .shared
            .lock()
            .expect("fake lock")
            .login
            .handle(endpoint, &login_base, &params);
        return to_response(r);
    }
    let Some(gpath) = path.strip_prefix("/v1.0") else {
        return to_response(Reply::error(404, "NotFound", "unknown path"));
    };
    let gpath = gpath.to_string();

    // Faults for this request, then the bearer check.
    let fault = {
        let mut s = app.shared.lock().expect("fake lock");
        s.requests += 1;
        s.log.push((format!("{method} {gpath}"), Vec::new()));
        let is_delta = gpath.ends_with("/delta");
        match s.faults.front() {
            // Only a delta has a token to expire or pages to loop over.
            Some(Fault::ExpiredDelta | Fault::LoopingNextLink) if !is_delta => None,
            Some(_) => s.faults.pop_front(),
            None => None,
        }
    };
    match &fault {
        Some(Fault::Latency(d)) => tokio::time::sleep(*d).await,
        Some(Fault::Drop) => {
            let stream = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other(
                    "connection dropped by the fake",
                ))
            });
            return Response::builder()
                .status(200)
                .header("Content-Type", "application/json")
                .body(Body::from_stream(stream))
                .expect("response");
        }
        Some(Fault::Malformed) => {
            return Response::builder()
                .status(200)
                .header("Content-Type", "application/json")
                .body(Body::from("{\"value\": [ this is not json"))
                .expect("response");
        }
        Some(Fault::LoopingNextLink) => {
            let own = format!("{}{}", app.base, uri);
            return to_response(Reply::json(
                200,
                json!({"value": [], "@odata.nextLink": own}),
            ));
        }
        Some(Fault::ExpiredDelta) => {
            return to_response(Reply::error(
                410,
                "syncStateNotFound",
                "The sync state generation is not found.",
            ))
        }
        Some(f) => {
            if let Some(r) = fault_reply(f) {
                return to_response(r);
            }
        }
        None => {}
    }
    // The mailbox's lock is taken and let go in `locked`, before the hold
    // below awaits.
    match locked(app, &method, &uri, &headers, &body, &gpath) {
        Batched::Answered(r) => to_response(r),
        Batched::Held => {
            // A member is held: the members before it (and, held after
            // apply, it too) are applied, the rest never are; the client
            // that sent the batch is killed meanwhile, so the answer goes to
            // no one.
            app.stall.hold().await;
            to_response(Reply::error(
                503,
                "ServiceUnavailable",
                "held batch member; the rest of the batch dropped",
            ))
        }
    }
}

/// The bearer check and the request against the mailbox, under its lock.
fn locked(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    gpath: &str,
) -> Batched {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let mut s = app.shared.lock().expect("fake lock");
    if !s.login.valid_access(token) {
        return Batched::Answered(Reply::error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ));
    }
    let prefer: Vec<String> = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(_) => {
                return Batched::Answered(Reply::error(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload.",
                ))
            }
        }
    };
    if gpath == "/$batch" && method == Method::POST {
        return batch(&mut s, &app.stall, json_body);
    }
    let req = Req {
        method: method.as_str(),
        path: gpath,
        query: query_pairs(uri),
        prefer,
        body: json_body,
    };
    Batched::Answered(s.mailbox.handle(&req))
}

/// What `batch` did: answered every member, or stopped at a held member.
enum Batched {
    Answered(Reply),
    Held,
}

/// `$batch`: members in order (dependsOn is honoured by that order; a
/// member whose dependency failed answers 424), member faults applied,
/// each write member counted by the stall and possibly held there.
fn batch(s: &mut Shared, stall: &crate::stall::WriteStall, body: Option<Value>) -> Batched {
    match batch_members(s, stall, body) {
        Ok(r) => Batched::Answered(r),
        Err(Held) => Batched::Held,
    }
}

/// The stall held a member; the batch stops there.
struct Held;

fn batch_members(
    s: &mut Shared,
    stall: &crate::stall::WriteStall,
    body: Option<Value>,
) -> Result<Reply, Held> {
    let Some(reqs) = body
        .as_ref()
        .and_then(|b| b.get("requests"))
        .and_then(Value::as_array)
        .cloned()
    else {
        return Ok(Reply::error(400, "BadRequest", "Invalid batch payload."));
    };
    if reqs.len() > 20 {
        return Ok(Reply::error(
            400,
            "BadRequest",
            "The number of batch requests exceeds 20.",
        ));
    }
    // The payload is checked whole before any member runs
    // (microsoft-graph-docs-contrib concepts/json-batching.md): every member
    // has an id, a method and a url, and a write carries a body with a
    // Content-Type header.
    for r in &reqs {
        let field = |k: &str| r.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let (Some(id), Some(method), Some(_)) = (field("id"), field("method"), field("url")) else {
            return Ok(Reply::error(
                400,
                "BadRequest",
                "Invalid batch payload: every request needs an id, a method and a url.",
            ));
        };
        let is_write = ["POST", "PATCH", "PUT"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(method));
        let typed = r
            .get("headers")
            .and_then(Value::as_object)
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("content-type")));
        if is_write && (r.get("body").is_none() || !typed) {
            return Ok(Reply::error(
                400,
                "BadRequest",
                &format!("Write request id : {id} does not contain Content-Type header or body."),
            ));
        }
    }
    let mut failed: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for r in reqs {
        s.member_requests += 1;
        let line = format!(
            "{} {}",
            r.get("method").and_then(Value::as_str).unwrap_or("GET"),
            r.get("url").and_then(Value::as_str).unwrap_or("")
        );
        if let Some(last) = s.log.last_mut() {
            last.1.push(line);
        }
        let id = r
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let depends: Vec<String> = r
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let member_method = r.get("method").and_then(Value::as_str).unwrap_or("GET");
        let stalled = if member_method.eq_ignore_ascii_case("GET") {
            None
        } else {
            let url = r.get("url").and_then(Value::as_str).unwrap_or("");
            stall.on_write(crate::stall::WritePoint::new(member_method, url, true))
        };
        if stalled == Some(crate::stall::StallAt::BeforeApply) {
            return Err(Held);
        }
        let reply = if depends.iter().any(|d| failed.contains(d)) {
            Reply::error(424, "FailedDependency", "A dependent request failed.")
        } else if let Some(f) = s.member_faults.pop_front() {
            fault_reply(&f).unwrap_or_else(|| Reply::error(500, "InternalServerError", "fault"))
        } else {
            let url = r.get("url").and_then(Value::as_str).unwrap_or("");
            let full = if url.starts_with('/') {
                url.to_string()
            } else {
                format!("/{url}")
            };
            let (path, query) = full.split_once('?').unwrap_or((&full, ""));
            let prefer: Vec<String> = r
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .filter(|(k, _)| k.eq_ignore_ascii_case("prefer"))
                        .filter_map(|(_, v)| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let req = Req {
                method: r.get("method").and_then(Value::as_str).unwrap_or("GET"),
                path,
                query: url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect(),
                prefer,
                body: r.get("body").cloned(),
            };
            let method = req.method.to_ascii_uppercase();
            let req = Req {
                method: &method,
                ..req
            };
            s.mailbox.handle(&req)
        };
        if stalled == Some(crate::stall::StallAt::AfterApply) {
            return Err(Held);
        }
        if !reply.ok() {
            failed.push(id.clone());
        }
        let headers: serde_json::Map<String, Value> = reply
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut m = json!({"id": id, "status": reply.status, "headers": headers});
        if !reply.body.is_null() {
            m["body"] = reply.body;
        }
        out.push(m);
    }
    // Graph answers members in any order; so do we, to keep clients honest.
    out.reverse();
    Ok(Reply::json(200, json!({ "responses": out })))
}

impl FakeGraph {
    /// Start on 127.0.0.1 with a free port.
    pub async fn start(opts: FakeOptions) -> std::io::Result<FakeGraph> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Mutex::new(Shared {
            mailbox: Mailbox::new(format!("{base}/v1.0"), opts.page_size, opts.clock.clone()),
            login: Login::new(
                opts.client_id.clone(),
                opts.access_token_ttl,
                opts.device_interval_secs,
                opts.single_use_refresh_tokens,
            ),
            faults: VecDeque::new(),
            member_faults: VecDeque::new(),
            requests: 0,
            member_requests: 0,
            log: Vec::new(),
            opts,
        }));
        let app = App {
            base: base.clone(),
            shared: shared.clone(),
            in_flight: Arc::new(AtomicUsize::new(0)),
            mailbox_in_flight: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
            stall: Default::default(),
            held: Arc::new(tokio::sync::watch::channel(false).0),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = axum::Router::new().fallback(serve).with_state(app.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeGraph {
            base,
            shared,
            in_flight: app.in_flight,
            peak: app.peak,
            stall: app.stall,
            held: app.held,
            stop: Some(tx),
        })
    }

    /// Hold every Graph request in flight from now on (sign-in is not
    /// held) until [`FakeGraph::release_requests`]; a request over the
    /// mailbox's concurrency limit is still answered 429 at once.
    pub fn hold_requests(&self) {
        self.held.send_replace(true);
    }

    /// Let held requests (and later ones) through.
    pub fn release_requests(&self) {
        self.held.send_replace(false);
    }

    /// Hold the N-th write request (see [`crate::stall`]).
    pub fn write_stall(&self) -> &crate::stall::WriteStall {
        &self.stall
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("fake lock")
    }

    /// The Graph base, ending in `/v1.0`.
    pub fn url(&self) -> String {
        format!("{}/v1.0", self.base)
    }

    /// The identity platform base: endpoints are `{login_url}/{tenant}/oauth2/v2.0/...`.
    pub fn login_url(&self) -> String {
        format!("{}/login", self.base)
    }

    // ------------------------------------------------------------ sign-in

    /// A valid refresh token, as if the user had signed in before.
    pub fn issue_refresh_token(&self) -> String {
        self.lock().login.issue_refresh()
    }

    /// Expire every access token handed out (the next request answers 401).
    pub fn expire_access_tokens(&self) {
        self.lock().login.expire_access();
    }

    /// The user approves (or declines) a device-code sign-in.
    pub fn approve_device(&self, user_code: &str) -> bool {
        self.lock().login.set_device(user_code, true)
    }
    pub fn decline_device(&self, user_code: &str) -> bool {
        self.lock().login.set_device(user_code, false)
    }

    /// Requests to the token endpoint, and successful refreshes.
    pub fn token_requests(&self) -> usize {
        self.lock().login.token_requests
    }
    pub fn refreshes(&self) -> usize {
        self.lock().login.refreshes
    }

    // ------------------------------------------------------------ faults

    /// The next `times` Graph requests (a `$batch` counts once) meet `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut s = self.lock();
        for _ in 0..times {
            s.faults.push_back(fault.clone());
        }
    }

    /// Put `infix` into every new item id (odd characters for escaping
    /// tests).
    pub fn set_id_infix(&self, infix: &str) {
        self.lock().mailbox.id_infix = infix.to_string();
    }

    /// Injected faults (request and `$batch` member) not met yet, so a test
    /// can check the faults it injected were served.
    pub fn faults_pending(&self) -> usize {
        let s = self.lock();
        s.faults.len() + s.member_faults.len()
    }

    /// Forget the faults not met yet.
    pub fn clear_faults(&self) {
        let mut s = self.lock();
        s.faults.clear();
        s.member_faults.clear();
    }

    /// The next `times` `$batch` members answer `fault` (Throttle,
    /// Unavailable or GatewayTimeout) and are not applied.
    pub fn inject_member(&self, fault: Fault, times: usize) {
        let mut s = self.lock();
        for _ in 0..times {
            s.member_faults.push_back(fault.clone());
        }
    }

    /// Forget every delta token (the next delta with one answers 410).
    pub fn expire_delta_tokens(&self) {
        self.lock().mailbox.expire_deltas();
    }

    /// Refuse (400) writes whose body contains `needle`.
    pub fn reject_containing(&self, needle: &str) {
        self.lock().mailbox.rejects.push(needle.to_string());
    }

    /// Refuse (404) the well-known folder name `contacts`: only the
    /// default contacts folder's id finds it.
    pub fn folder_ids_only(&self, on: bool) {
        self.lock().mailbox.ids_only = on;
    }

    /// Answer event bodies as HTML even when text is asked for.
    pub fn html_bodies(&self, on: bool) {
        self.lock().mailbox.html_bodies = on;
    }

    // ------------------------------------------------------------ counters

    /// Graph HTTP requests seen (a `$batch` is one).
    pub fn requests(&self) -> usize {
        self.lock().requests
    }
    /// `$batch` members seen.
    pub fn member_requests(&self) -> usize {
        self.lock().member_requests
    }
    /// Every Graph request so far ("METHOD /path", query left out), each
    /// with its `$batch` members ("METHOD url"), in order.
    pub fn request_log(&self) -> Vec<(String, Vec<String>)> {
        self.lock().log.clone()
    }
    /// Writes applied through Graph.
    pub fn writes(&self) -> FakeWrites {
        self.lock().mailbox.writes
    }
    /// The most requests (Graph and login) that were in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    // ------------------------------------------------------------ data

    /// A user creates an item from raw Graph JSON (as a create body:
    /// `singleValueExtendedProperties` and `linkedResources` allowed), of
    /// the resource `kind` names (`contacts`, `tasks`, `events`).
    pub fn user_create(&self, kind: impl AsRef<str>, body: Value) -> String {
        let Value::Object(m) = body else {
            panic!("user_create needs a JSON object")
        };
        self.lock().mailbox.insert(Resource::of(kind), m)
    }

    /// A user edits the raw JSON of an item (extended properties are in
    /// `singleValueExtendedProperties`, task links in `linkedResources`).
    pub fn user_edit(&self, id: &str, f: impl FnOnce(&mut Value)) {
        let mut s = self.lock();
        let it = s.mailbox.items.get(id).cloned().expect("item exists");
        let mut v = Value::Object(it.json.clone());
        v["singleValueExtendedProperties"] = Value::Array(
            it.ext
                .iter()
                .map(|(i, x)| json!({"id": i, "value": x}))
                .collect(),
        );
        f(&mut v);
        let Value::Object(mut m) = v else {
            panic!("edit must keep an object")
        };
        let linked = it.linked.clone();
        if let Some(Value::Array(l)) = m.remove("linkedResources") {
            s.mailbox.items.get_mut(id).expect("exists").linked = l;
        } else {
            s.mailbox.items.get_mut(id).expect("exists").linked = linked;
        }
        s.mailbox.items.get_mut(id).expect("exists").ext.clear();
        s.mailbox.patch(id, m);
    }

    /// A user changes some properties of an item, as a PATCH body would
    /// (extended properties in `singleValueExtendedProperties` are set,
    /// the others kept).
    pub fn user_patch(&self, id: &str, body: Value) {
        let Value::Object(m) = body else {
            panic!("user_patch needs a JSON object")
        };
        self.lock().mailbox.patch(id, m);
    }

    pub fn user_delete(&self, id: &str) {
        self.lock().mailbox.remove(id);
    }

    /// Raw JSON of every item of a kind, with extended properties and
    /// linkedResources included.
    pub fn all(&self, kind: impl AsRef<str>) -> Vec<Value> {
        let kind = Resource::of(kind);
        let s = self.lock();
        s.mailbox
            .items
            .values()
            .filter(|it| it.kind == kind)
            .map(raw)
            .collect()
    }

    pub fn find(&self, id: &str) -> Option<Value> {
        self.lock().mailbox.items.get(id).map(raw)
    }

    /// The mailbox owner's zone.
    pub fn time_zone(&self) -> Tz {
        self.lock().opts.time_zone
    }
}

/// Stored item as one JSON value (`_kind` says which kind it is).
fn raw(it: &state::Stored) -> Value {
    let mut m = it.json.clone();
    m.insert(
        "singleValueExtendedProperties".into(),
        Value::Array(
            it.ext
                .iter()
                .map(|(i, x)| json!({"id": i, "value": x}))
                .collect(),
        ),
    );
    m.insert("linkedResources".into(), Value::Array(it.linked.clone()));
    m.insert("_kind".into(), json!(it.kind.as_str()));
    Value::Object(m)
}
