//! The Oro side over HTTP: contacts and tasks through the JSON:API, calendar
//! events through the legacy REST API (the only one that has them), with
//! WSSE or OAuth 2.0 authentication (reference PART A).

mod addresses;
pub mod auth;
pub(crate) mod error;
pub(crate) mod events;
mod http;
pub(crate) mod jsonapi;
mod resources;
mod task_flow;
pub mod tls;

pub use auth::{
    pkce_challenge, wsse_digest, wsse_headers, BrowserLogin, OAuthTokens, OroAuth, Secret,
    ENV_API_KEY, ENV_CLIENT_SECRET, ENV_REFRESH_TOKEN,
};

use crate::model::{Item, Kind, OroRecord, TaskStatus};
use crate::sides::{OroStore, StoreError, StoreResult, Window};
use auth::Authenticator;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use std::fmt;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Which contacts are synced (`[sync] contacts_scope`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContactsScope {
    /// Those the user owns or is assigned to.
    #[default]
    Mine,
    /// Everything the user can see.
    All,
}

/// How to reach Oro and read its dates.
#[derive(Clone, Debug)]
pub struct OroConfig {
    /// Back-office base URL, without the `/api` part.
    pub base_url: String,
    pub username: String,
    pub auth: OroAuth,
    /// The user's zone: dates (due dates, all-day events) are read and
    /// written as days of this zone.
    pub time_zone: Tz,
    pub contacts_scope: ContactsScope,
    /// Records per page of a change listing.
    pub page_size: u32,
    /// Records per page of an id listing (ids only, so pages can be large).
    pub id_page_size: u32,
    /// Per request, connecting included.
    pub timeout: Duration,
    /// Tries per request before giving up with `Unavailable`.
    pub max_attempts: u32,
    /// Trust only this certificate (a self-signed server) instead of the
    /// OS roots.
    pub tls_fingerprint: Option<tls::Fingerprint>,
    /// Told about every new OAuth refresh token the moment Oro issues it
    /// (Oro's refresh tokens are single-use: keep it before using it).
    pub on_refresh_token: Option<auth::RefreshTokenSink>,
}

impl OroConfig {
    /// A configuration with the defaults: UTC, contacts "mine", pages of
    /// 100 (1000 for ids), 30 s per request, 4 attempts.
    pub fn new(base_url: &str, username: &str, auth: OroAuth) -> Self {
        OroConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            username: username.to_string(),
            auth,
            time_zone: Tz::UTC,
            contacts_scope: ContactsScope::Mine,
            page_size: 100,
            id_page_size: 1000,
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            tls_fingerprint: None,
            on_refresh_token: None,
        }
    }
}

/// The Oro client. Cheap to share by reference; one per profile and run.
pub struct OroClient {
    config: OroConfig,
    http: reqwest::Client,
    auth: Authenticator,
    user_id: OnceCell<String>,
    calendar: OnceCell<String>,
    /// Oro's regions by country, read once per client (they change with
    /// Oro's own data only).
    regions: tokio::sync::Mutex<std::collections::BTreeMap<String, Vec<(String, String)>>>,
    /// Values written as they were because Oro could not take Outlook's
    /// (contact id → why), until the engine takes them.
    skipped: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// Records the listings could not read, until the engine takes them.
    unreadable: std::sync::Mutex<
        std::collections::BTreeMap<Kind, std::collections::BTreeMap<String, String>>,
    >,
}

impl fmt::Debug for OroClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config's secrets print as <redacted>.
        f.debug_struct("OroClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Escape set for ids and values in paths and query strings: everything
/// but unreserved characters.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn esc(s: &str) -> String {
    utf8_percent_encode(s, ESCAPE).to_string()
}

/// A bound on pages per listing, so a server that never ends a listing
/// cannot keep a run going forever.
pub(crate) const MAX_PAGES: u32 = 100_000;

/// The order `OroStore::changed_since` promises: (updatedAt, id).
pub(crate) fn sort_records(v: &mut [OroRecord]) {
    // Unstable: each id is there once, so the order is total, and no
    // buffer of half the records is allocated (peak memory on 100k).
    v.sort_unstable_by(|a, b| {
        a.updated_at
            .cmp(&b.updated_at)
            .then_with(|| crate::model::cmp_oro_ids(&a.id, &b.id))
    });
}

impl OroClient {
    pub fn new(mut config: OroConfig) -> StoreResult<OroClient> {
        config.base_url = config.base_url.trim_end_matches('/').to_string();
        url::Url::parse(&config.base_url)
            .map_err(|e| StoreError::Unavailable(format!("bad Oro URL: {e}")))?;
        let http = http_client_pinned(config.timeout, config.tls_fingerprint)?;
        let auth = Authenticator::new(
            &config.base_url,
            &config.username,
            config.auth.clone(),
            config.on_refresh_token.clone(),
        );
        Ok(OroClient {
            config,
            http,
            auth,
            user_id: OnceCell::new(),
            calendar: OnceCell::new(),
            unreadable: Default::default(),
            regions: Default::default(),
            skipped: Default::default(),
        })
    }

    pub fn config(&self) -> &OroConfig {
        &self.config
    }

    /// A record Oro holds but that is no valid record (a date like
    /// 1980-02-30 from a non-strict database): left out of the listing so it
    /// stops no one else's sync, and reported as skipped.
    pub(crate) fn note_unreadable(&self, kind: Kind, id: &str, why: &str) {
        let first = self
            .unreadable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(kind)
            .or_default()
            .insert(id.to_string(), why.to_string())
            .is_none();
        // Once per run, though the listings may meet it several times.
        if first {
            tracing::warn!(%kind, %id, "an unreadable Oro record is skipped: {why}");
        }
    }

    /// The refresh token now in use (OAuth rotates it): store it after a run.
    pub async fn refresh_token(&self) -> Option<Secret> {
        self.auth.refresh_token().await
    }

    /// The signed-in user's id (`GET /api/userprofile`), asked once; also a
    /// cheap "check connection".
    pub async fn user_id(&self) -> StoreResult<String> {
        self.user_id
            .get_or_try_init(|| async {
                let r = self
                    .send(
                        Method::GET,
                        "/api/userprofile",
                        None,
                        http::JSON_API,
                        http::Retry::Idempotent,
                    )
                    .await?;
                if !r.status.is_success() {
                    return Err(error::from_status(r.status, &r.body, "user profile"));
                }
                Ok(jsonapi::parse_one(&r.body)?.id)
            })
            .await
            .cloned()
    }
}

/// The HTTP client for Oro and for its token endpoint (rustls, no proxies
/// from the system beyond reqwest's defaults, redirects only within Oro's
/// origin: see `crate::net`).
pub fn http_client(timeout: Duration) -> StoreResult<reqwest::Client> {
    http_client_pinned(timeout, None)
}

/// The HTTP client, trusting the OS roots, or only the certificate `pin`
/// (a self-signed Oro server the user confirmed).
pub fn http_client_pinned(
    timeout: Duration,
    pin: Option<tls::Fingerprint>,
) -> StoreResult<reqwest::Client> {
    let tls = match pin {
        Some(pin) => Some(tls::pinned_config(pin).map_err(StoreError::Unavailable)?),
        None => None,
    };
    crate::net::client("Oro", timeout, tls)
        .map_err(|e| StoreError::Unavailable(format!("HTTP client: {e}")))
}

impl OroStore for OroClient {
    async fn changed_since(
        &self,
        kind: Kind,
        since: Option<DateTime<Utc>>,
        window: &Window,
    ) -> StoreResult<Vec<OroRecord>> {
        match kind {
            Kind::Events => self.events_changed(since, window).await,
            _ => self.resources_changed(kind, since).await,
        }
    }

    async fn list_ids(&self, kind: Kind, window: &Window) -> StoreResult<Vec<String>> {
        match kind {
            Kind::Events => self.event_ids(window).await,
            _ => self.resource_ids(kind).await,
        }
    }

    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OroRecord>> {
        match kind {
            Kind::Events => self.event_get(id).await,
            _ => self.resource_get(kind, id).await,
        }
    }

    fn take_skipped(&self, kind: Kind) -> std::collections::BTreeMap<String, String> {
        if kind != Kind::Contacts {
            return Default::default();
        }
        std::mem::take(&mut *self.skipped.lock().unwrap_or_else(|p| p.into_inner()))
    }
    fn take_unreadable(&self, kind: Kind) -> std::collections::BTreeMap<String, String> {
        self.unreadable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&kind)
            .unwrap_or_default()
    }

    async fn create(&self, item: &Item) -> StoreResult<OroRecord> {
        match item {
            Item::Events(e) => self.event_create(e).await,
            _ => self.resource_create(item).await,
        }
    }

    async fn update(&self, id: &str, item: &Item) -> StoreResult<OroRecord> {
        match item {
            Item::Events(e) => self.event_update(id, e).await,
            _ => self.resource_update(id, item).await,
        }
    }

    async fn move_task_status(&self, id: &str, to: TaskStatus) -> StoreResult<OroRecord> {
        self.task_move_status(id, to).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_escaped() {
        assert_eq!(esc("12"), "12");
        assert_eq!(esc("1/../2?x=&y"), "1%2F..%2F2%3Fx%3D%26y");
        assert_eq!(esc("2024-05-01T10:00:00Z"), "2024-05-01T10%3A00%3A00Z");
    }

    #[test]
    fn debug_hides_the_key() {
        let c = OroClient::new(OroConfig::new(
            "http://127.0.0.1:1/",
            "jane",
            OroAuth::Wsse {
                api_key: Secret::new("0123456789abcdef"),
            },
        ))
        .unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("jane") && !s.contains("0123456789abcdef"), "{s}");
        assert_eq!(c.config().base_url, "http://127.0.0.1:1");
    }
}
