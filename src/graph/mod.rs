//! Microsoft Graph v1.0 client: the real [`OutlookStore`].
//!
//! Contacts live in the default contacts folder, events in the default
//! calendar within the window, tasks in the default To Do list. Reads go
//! through delta queries; writes through JSON `$batch`. At most
//! [`GraphConfig::max_in_flight`] requests are in flight at once (Outlook's
//! per-mailbox concurrency limit is 4), and 429/503 answers are waited out
//! with Retry-After or backoff, for whole batches and for single members.

pub mod auth;
pub(crate) mod batch;
pub(crate) mod delta;
pub mod error;
pub mod mapping;

use crate::clock::Clock;
use crate::model::{Item, Kind, OutlookItem};
use crate::net::BodyError;
use crate::sides::{
    backoff, OutlookChanges, OutlookStore, OutlookWrite, StoreError, StoreResult, Window,
    WriteResult,
};
use auth::TokenManager;
use chrono_tz::Tz;
use mapping::Mapper;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub use batch::BATCH_MAX;

/// Prefer headers for every read of events: instants in UTC, bodies as text.
const PREFER_READ: &str = "outlook.timezone=\"UTC\", outlook.body-content-type=\"text\"";

/// How to reach Graph and how to write for this user.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    /// Ends in `/v1.0` (`https://graph.microsoft.com/v1.0`, or a fake's).
    pub graph_url: String,
    /// The user's zone: birthdays, due days and all-day events are
    /// written and read in it (docs/fidelity.md).
    pub time_zone: Tz,
    /// Oro's back-office URL, for the `webUrl` of a task's linkedResource.
    pub oro_url: String,
    /// Requests in flight at once against this mailbox.
    pub max_in_flight: usize,
    /// Tries per request (and per batch member) on 429/503/504 and on
    /// dropped connections of reads.
    pub max_attempts: u32,
    /// Longest single wait, even when the server's Retry-After asks for more.
    pub max_wait: Duration,
    /// HTTP timeout of one request.
    pub timeout: Duration,
}

impl GraphConfig {
    pub fn new(graph_url: &str, time_zone: Tz, oro_url: &str) -> GraphConfig {
        GraphConfig {
            graph_url: graph_url.trim_end_matches('/').to_string(),
            time_zone,
            oro_url: oro_url.trim_end_matches('/').to_string(),
            max_in_flight: 4,
            max_attempts: 8,
            max_wait: Duration::from_secs(120),
            timeout: Duration::from_secs(100),
        }
    }
}

/// An HTTP client for Graph, cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: GraphConfig,
    mapper: Mapper,
    tokens: Arc<TokenManager>,
    gate: tokio::sync::Semaphore,
    todo_list: tokio::sync::OnceCell<String>,
    contact_folder: tokio::sync::OnceCell<String>,
}

/// One answer: status and the JSON body (`Null` when empty).
pub(crate) struct Resp {
    pub status: u16,
    pub body: Value,
}

impl Resp {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A reqwest client set up for Graph and the Microsoft identity platform:
/// rustls, a request timeout, redirects only within the origin asked
/// (`crate::net`).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    crate::net::client("Microsoft", timeout, None).expect("reqwest client with rustls")
}

/// Retry-After, in seconds or as an HTTP-date (read against the answer's
/// own Date, else our clock).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    crate::net::retry_after(headers, crate::clock::SystemClock.now())
}

/// Shows where the client points, never its tokens.
impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_url", &self.inner.cfg.graph_url)
            .field("time_zone", &self.inner.cfg.time_zone)
            .field("tokens", &self.inner.tokens)
            .finish()
    }
}

impl GraphClient {
    /// `Rejected` when the time zone has no Windows name, which all-day
    /// events need.
    pub fn new(cfg: GraphConfig, tokens: Arc<TokenManager>) -> StoreResult<GraphClient> {
        let mapper = Mapper::new(cfg.time_zone, &cfg.oro_url).ok_or_else(|| {
            StoreError::Rejected(format!(
                "time zone {} has no Windows name for Outlook",
                cfg.time_zone.name()
            ))
        })?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http: http_client(cfg.timeout),
                gate: tokio::sync::Semaphore::new(cfg.max_in_flight.max(1)),
                cfg,
                mapper,
                tokens,
                todo_list: tokio::sync::OnceCell::new(),
                contact_folder: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// A client whose tokens come from `secrets` (the refresh token under
    /// [`crate::secrets::OUTLOOK_REFRESH_TOKEN`]), refreshed as needed.
    pub fn with_secrets(
        cfg: GraphConfig,
        auth: auth::AuthConfig,
        secrets: Arc<dyn crate::secrets::SecretStore>,
    ) -> StoreResult<GraphClient> {
        let tokens = TokenManager::new(http_client(cfg.timeout), auth, secrets);
        GraphClient::new(cfg, Arc::new(tokens))
    }

    /// The token manager (to save a fresh sign-in, or sign out).
    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.inner.tokens
    }

    pub fn config(&self) -> &GraphConfig {
        &self.inner.cfg
    }

    pub(crate) fn mapper(&self) -> &Mapper {
        &self.inner.mapper
    }

    fn wait(&self, attempt: u32, after: Option<Duration>) -> Duration {
        backoff(attempt, after).min(self.inner.cfg.max_wait)
    }

    /// Absolute URL for a path under the Graph base; absolute URLs (next and
    /// delta links) must point at the same base so the bearer token is never
    /// sent anywhere else.
    fn absolute(&self, url: &str) -> StoreResult<String> {
        let base = &self.inner.cfg.graph_url;
        if url.starts_with('/') {
            Ok(format!("{base}{url}"))
        } else if url.starts_with(base.as_str()) {
            Ok(url.to_string())
        } else {
            Err(StoreError::Malformed(format!(
                "link outside the Graph base: {}",
                url.split('?').next().unwrap_or("")
            )))
        }
    }

    /// Send one request, waiting out 429/503/504 and refreshing the token
    /// once on 401. Only `idempotent` requests are retried after a dropped
    /// connection: a write whose answer was lost may have been applied.
    /// Non-2xx answers come back as `Resp` for the caller to map.
    pub(crate) async fn send<B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        url: &str,
        body: Option<&B>,
        prefer: Option<&str>,
        idempotent: bool,
    ) -> StoreResult<Resp> {
        let url = self.absolute(url)?;
        let what = format!("{method} {}", url.split('?').next().unwrap_or(""));
        let mut token = self.inner.tokens.access_token().await?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            let mut req = self
                .inner
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose());
            if let Some(p) = prefer {
                req = req.header("Prefer", p);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let sent = {
                let _permit = self.inner.gate.acquire().await.expect("gate open");
                match req.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let headers = r.headers().clone();
                        crate::net::read_capped(r, crate::net::MAX_BODY)
                            .await
                            .map(|b| (status, headers, b))
                    }
                    Err(e) => Err(BodyError::Transport(e)),
                }
            };
            let (status, headers, bytes) = match sent {
                Ok(x) => x,
                Err(too_large @ BodyError::TooLarge(_)) => {
                    // Reading it again would take as long for nothing.
                    return Err(StoreError::Malformed(format!("{what}: {too_large}")));
                }
                Err(BodyError::Transport(e)) => {
                    if let Some(r) = crate::net::redirect_refused(&e) {
                        return Err(StoreError::Unavailable(format!("{what}: {r}")));
                    }
                    attempt += 1;
                    // A failed connect never reached the server: safe to
                    // resend even a write.
                    let safe = idempotent || e.is_connect();
                    if safe && attempt < self.inner.cfg.max_attempts {
                        tracing::debug!("{what}: {} (retrying)", e.without_url());
                        tokio::time::sleep(self.wait(attempt, None)).await;
                        continue;
                    }
                    // reqwest says "error sending request" for a timeout too.
                    let why = if e.is_timeout() {
                        format!("timed out after {:?}", self.inner.cfg.timeout)
                    } else {
                        e.without_url().to_string()
                    };
                    return Err(StoreError::Unavailable(format!("{what}: {why}")));
                }
            };
            if status == 401 && !refreshed {
                refreshed = true;
                token = self.inner.tokens.after_unauthorized(&token).await?;
                continue;
            }
            let retry = if idempotent {
                error::is_transient(status)
            } else {
                // A gateway timeout may come after the write was applied;
                // 429 and 503 are refusals, safe to send again.
                error::is_refusal(status)
            };
            if retry && attempt + 1 < self.inner.cfg.max_attempts {
                attempt += 1;
                let wait = self.wait(attempt, retry_after(&headers));
                tracing::debug!("{what}: {status}, waiting {wait:?}");
                tokio::time::sleep(wait).await;
                continue;
            }
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice(&bytes) {
                    Ok(v) => v,
                    Err(e) if (200..300).contains(&status) => {
                        return Err(StoreError::Malformed(format!("{what}: {e}")))
                    }
                    // An error page that is not JSON: the status says enough.
                    Err(_) => Value::Null,
                }
            };
            return Ok(Resp { status, body });
        }
    }

    /// GET a JSON resource; 404 → `None`.
    async fn get_json(&self, url: &str, prefer: Option<&str>) -> StoreResult<Option<Value>> {
        let r = self
            .send(Method::GET, url, None::<&Value>, prefer, true)
            .await?;
        match r.status {
            404 => Ok(None),
            _ if r.ok() => Ok(Some(r.body)),
            s => Err(error::to_store_error(
                s,
                &r.body,
                &format!("GET {}", path_of(url)),
            )),
        }
    }

    /// The id of the user's default To Do list ("Tasks"), looked up once.
    pub async fn default_todo_list(&self) -> StoreResult<String> {
        self.inner
            .todo_list
            .get_or_try_init(|| async {
                let mut url = "/me/todo/lists".to_string();
                let mut seen = std::collections::HashSet::new();
                loop {
                    let v = self
                        .get_json(&url, None)
                        .await?
                        .ok_or_else(|| StoreError::NotFound("To Do lists".into()))?;
                    let found = v
                        .get("value")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .find(|l| {
                            l.get("wellknownListName").and_then(Value::as_str)
                                == Some("defaultList")
                        })
                        .and_then(|l| l.get("id").and_then(Value::as_str));
                    if let Some(id) = found {
                        return Ok(id.to_string());
                    }
                    match v.get("@odata.nextLink").and_then(Value::as_str) {
                        Some(n) if seen.insert(n.to_string()) => url = n.to_string(),
                        _ => return Err(StoreError::NotFound("the default To Do list".into())),
                    }
                }
            })
            .await
            .cloned()
    }

    /// The id of the user's default contacts folder, looked up once.
    /// Contact delta is documented only on a folder
    /// (`/me/contactFolders/{id}/contacts/delta`), and `/me/contactFolders`
    /// lists the folders under the default one, not the folder itself. The
    /// folder is asked for by Exchange's well-known name `contacts`; where
    /// that is not taken, the `parentFolderId` of a contact in
    /// `/me/contacts` (the default folder's) or of a folder under it names
    /// it.
    pub async fn default_contact_folder(&self) -> StoreResult<String> {
        self.inner
            .contact_folder
            .get_or_try_init(|| async {
                let by_name = match self.get_json("/me/contactFolders/contacts", None).await {
                    Ok(v) => v,
                    // Refused as an id it cannot read: try the other ways.
                    Err(StoreError::Rejected(_)) => None,
                    Err(e) => return Err(e),
                };
                if let Some(v) = by_name {
                    return v
                        .get("id")
                        .and_then(Value::as_str)
                        .filter(|id| !id.is_empty())
                        .map(str::to_string)
                        .ok_or_else(|| {
                            StoreError::Malformed("the default contacts folder has no id".into())
                        });
                }
                for list in [
                    "/me/contacts?$top=1&$select=parentFolderId",
                    "/me/contactFolders?$top=1&$select=parentFolderId",
                ] {
                    let parent = self.get_json(list, None).await?.and_then(|v| {
                        v.get("value")?
                            .as_array()?
                            .first()?
                            .get("parentFolderId")?
                            .as_str()
                            .filter(|id| !id.is_empty())
                            .map(str::to_string)
                    });
                    if let Some(id) = parent {
                        return Ok(id);
                    }
                }
                Err(StoreError::NotFound(
                    "the default contacts folder (no well-known name, no contact, no folder under it)"
                        .into(),
                ))
            })
            .await
            .cloned()
    }

    /// Collection path of a kind (relative to the Graph base).
    async fn collection(&self, kind: Kind) -> StoreResult<String> {
        Ok(match kind {
            Kind::Contacts => "/me/contacts".into(),
            Kind::Events => "/me/events".into(),
            Kind::Tasks => format!("/me/todo/lists/{}/tasks", self.default_todo_list().await?),
        })
    }

    /// The URL that reads one item with its link (and gender) expanded.
    async fn item_url(&self, kind: Kind, id: &str) -> StoreResult<String> {
        Ok(item_url_in(&self.collection(kind).await?, kind, id))
    }
}

/// [`GraphClient::item_url`] once the collection path is known.
pub(crate) fn item_url_in(collection: &str, kind: Kind, id: &str) -> String {
    format!(
        "{collection}/{}?$expand={}",
        enc(id),
        enc(&mapping::expand_props(kind))
    )
}

/// Percent-encode a path segment or query value.
pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The path of a URL, for messages (query strings may carry tokens).
fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap_or("")
}

impl OutlookStore for GraphClient {
    async fn changes(
        &self,
        kind: Kind,
        cursor: Option<&str>,
        window: &Window,
    ) -> StoreResult<OutlookChanges> {
        delta::changes(self, kind, cursor, window).await
    }

    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OutlookItem>> {
        let url = self.item_url(kind, id).await?;
        let prefer = (kind == Kind::Events).then_some(PREFER_READ);
        match self.get_json(&url, prefer).await? {
            None => Ok(None),
            Some(v) => self.mapper().read(kind, &v).map(Some),
        }
    }

    async fn get_many(&self, kind: Kind, ids: &[String]) -> Vec<StoreResult<Option<OutlookItem>>> {
        let collection = match self.collection(kind).await {
            Ok(c) => c,
            Err(e) => return vec![Err(e); ids.len()],
        };
        let prefer = (kind == Kind::Events).then_some(PREFER_READ);
        let members = ids
            .iter()
            .map(|id| batch::Member::get(item_url_in(&collection, kind, id), prefer))
            .collect();
        // As `get`, member by member: 404 is "gone", other failures are errors.
        self.batch(members)
            .await
            .into_iter()
            .map(|a| {
                let a = a?;
                match a.status {
                    404 => Ok(None),
                    s if (200..300).contains(&s) => self.mapper().read(kind, &a.body).map(Some),
                    s => Err(error::to_store_error(s, &a.body, &format!("GET {kind}"))),
                }
            })
            .collect()
    }

    async fn write(&self, kind: Kind, writes: Vec<OutlookWrite>) -> Vec<WriteResult> {
        batch::write(self, kind, writes).await
    }

    fn write_chunk(&self) -> usize {
        BATCH_MAX
    }
}

/// The item a write carried, checked against the kind of the call.
fn item_of_kind(kind: Kind, item: Option<&Item>) -> StoreResult<()> {
    match item {
        Some(i) if i.kind() != kind => Err(StoreError::Rejected(format!(
            "a {} item written as {kind}",
            i.kind()
        ))),
        _ => Ok(()),
    }
}
