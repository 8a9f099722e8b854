//! Microsoft identity platform v2 for a desktop public client: sign-in by
//! authorization code + PKCE on a loopback redirect, or by device code;
//! access tokens refreshed before they expire and after a 401, with
//! refresh-token rotation.
//!
//! Written by hand rather than with the `oauth2` crate: the three grants we
//! need are a handful of form posts, and doing them ourselves keeps one HTTP
//! client (the Graph client's reqwest), keeps every token inside [`Secret`]
//! (so none reaches a log or an error), and lets us map errors straight onto
//! the engine's classes.

use crate::clock::{Clock, SystemClock};
use crate::redirect_listener::{Loopback, RedirectListener};
use crate::secrets::{Secret, SecretError, SecretStore, OUTLOOK_REFRESH_TOKEN};
use crate::server_text;
use crate::sides::StoreError;
use crate::token_expiry;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// What we ask for: the three kinds, and `offline_access` for a refresh token.
pub const DEFAULT_SCOPES: &str = "offline_access https://graph.microsoft.com/Contacts.ReadWrite https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/Tasks.ReadWrite";

/// The `[outlook]` settings sign-in needs.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// e.g. `https://login.microsoftonline.com` (no trailing slash needed).
    pub login_url: String,
    pub tenant: String,
    pub client_id: String,
    pub scopes: String,
}

impl AuthConfig {
    pub fn new(login_url: &str, tenant: &str, client_id: &str) -> AuthConfig {
        AuthConfig {
            login_url: login_url.trim_end_matches('/').to_string(),
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            scopes: DEFAULT_SCOPES.to_string(),
        }
    }

    /// `{login_url}/{tenant}/oauth2/v2.0/{which}`.
    pub fn endpoint(&self, which: &str) -> String {
        format!("{}/{}/oauth2/v2.0/{}", self.login_url, self.tenant, which)
    }
}

/// Tokens as the token endpoint handed them out.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: DateTime<Utc>,
}

/// Why sign-in or a refresh failed. No variant carries a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The identity platform refused (`invalid_grant`, revoked, …): sign in again.
    #[error("sign-in refused: {0}")]
    Refused(String),
    /// Device code: the user has not finished yet (keep polling).
    #[error("authorization pending")]
    Pending,
    /// Device code: polling too fast (RFC 8628 §3.5): wait 5 s more.
    #[error("polling too fast")]
    SlowDown,
    /// Device code: the user said no.
    #[error("the user declined the sign-in")]
    Declined,
    /// Device code (or loopback wait): too late, start again.
    #[error("the sign-in code expired")]
    Expired,
    /// There is no refresh token: nobody signed in yet.
    #[error("not signed in to Outlook")]
    NotSignedIn,
    #[error("identity platform unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected answer from the identity platform: {0}")]
    Malformed(String),
    #[error(transparent)]
    Secrets(#[from] SecretError),
}

impl From<AuthError> for StoreError {
    fn from(e: AuthError) -> StoreError {
        match e {
            AuthError::Unavailable(m) => StoreError::Unavailable(m),
            AuthError::Malformed(m) => StoreError::Malformed(m),
            other => StoreError::Auth(other.to_string()),
        }
    }
}

/// A PKCE verifier (kept secret) and its S256 challenge.
pub fn pkce_pair() -> (Secret, String) {
    let verifier = random_token(32);
    let challenge = pkce_challenge(&verifier);
    (Secret::new(verifier), challenge)
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636's S256.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// An answer of the identity platform as JSON, read with the size cap of
/// every answer (`crate::net`).
async fn read_json(resp: reqwest::Response) -> Result<Value, String> {
    let bytes = crate::net::read_capped(resp, crate::net::MAX_BODY)
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// POST a form to the token endpoint and read tokens or an OAuth error.
async fn token_request(
    http: &reqwest::Client,
    cfg: &AuthConfig,
    form: &[(&str, &str)],
    clock: &dyn Clock,
) -> Result<Tokens, AuthError> {
    let resp = http
        .post(cfg.endpoint("token"))
        .form(form)
        .send()
        .await
        .map_err(|e| AuthError::Unavailable(crate::net::describe(&e)))?;
    let status = resp.status().as_u16();
    let body = crate::net::read_capped(resp, crate::net::MAX_BODY)
        .await
        .map_err(|e| AuthError::Malformed(format!("token endpoint {status}: {e}")))?;
    // Expiry counts from when the answer came, on the injected clock.
    read_token_answer(status, &body, clock.now())
}

/// The identity platform's answer to a token request: tokens, or the
/// OAuth error it names. Pure, so the fuzz target reads answers the same way.
pub(crate) fn read_token_answer(
    status: u16,
    body: &[u8],
    now: chrono::DateTime<Utc>,
) -> Result<Tokens, AuthError> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| AuthError::Malformed(format!("token endpoint {status}: {e}")))?;
    if status >= 500 {
        return Err(AuthError::Unavailable(format!(
            "token endpoint answered {status}"
        )));
    }
    if let Some(code) = body.get("error").and_then(Value::as_str) {
        let desc = body.get("error_description").and_then(Value::as_str);
        return Err(match code {
            "authorization_pending" => AuthError::Pending,
            "slow_down" => AuthError::SlowDown,
            "authorization_declined" | "access_denied" => AuthError::Declined,
            "expired_token" => AuthError::Expired,
            _ => AuthError::Refused(oauth_reason(code, desc)),
        });
    }
    // A refusal without an OAuth error code is a refusal all the same:
    // tokens in it are not taken.
    if !(200..300).contains(&status) {
        return Err(AuthError::Refused(format!(
            "token endpoint answered {status}"
        )));
    }
    let access = body
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| AuthError::Malformed(format!("token endpoint {status}: no access_token")))?;
    let expires_in = body
        .get("expires_in")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
        .unwrap_or(3600);
    Ok(Tokens {
        access_token: Secret::new(access),
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(Secret::new),
        expires_at: token_expiry::expires_at(now, expires_in),
    })
}

/// `code: description` of an OAuth error, as server text made safe to
/// print: the description's first line (Entra appends trace and
/// correlation ids on the next ones), control characters escaped.
fn oauth_reason(code: &str, desc: Option<&str>) -> String {
    let first = desc.unwrap_or("").lines().next().unwrap_or("");
    server_text::escape(format!("{code}: {first}").trim_end_matches([' ', ':']))
}

/// Exchange a refresh token for new tokens (the answer carries a new,
/// rotated refresh token, which the caller must keep).
pub async fn refresh(
    http: &reqwest::Client,
    cfg: &AuthConfig,
    refresh_token: &Secret,
) -> Result<Tokens, AuthError> {
    refresh_on(http, cfg, refresh_token, &SystemClock).await
}

/// As [`refresh`], the new token's expiry counted on `clock`.
pub async fn refresh_on(
    http: &reqwest::Client,
    cfg: &AuthConfig,
    refresh_token: &Secret,
    clock: &dyn Clock,
) -> Result<Tokens, AuthError> {
    token_request(
        http,
        cfg,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &cfg.client_id),
            ("refresh_token", refresh_token.expose()),
            ("scope", &cfg.scopes),
        ],
        clock,
    )
    .await
}

/// Authorization code + PKCE with the system browser and a loopback
/// listener. The redirect is `http://localhost:PORT`: an app registered the
/// usual way ("Mobile and desktop applications", redirect URI
/// `http://localhost`) accepts it, as Entra ignores the port of a localhost
/// redirect; it refuses `http://127.0.0.1:PORT` (AADSTS50011), which only
/// matches a `127.0.0.1` URI added through the app's manifest (Microsoft
/// identity platform, "Redirect URI (reply URL) best practices and
/// limitations"). The listener answers on 127.0.0.1 and ::1, whichever
/// `localhost` resolves to in the browser.
pub struct BrowserSignIn {
    cfg: AuthConfig,
    listener: RedirectListener,
    redirect_uri: String,
    state: String,
    verifier: Secret,
    authorize_url: String,
}

impl BrowserSignIn {
    /// Listen on loopback `port` (0 = any free port) and build the URL the
    /// user's browser must open.
    pub async fn start(cfg: &AuthConfig, port: u16) -> Result<BrowserSignIn, AuthError> {
        let listener = RedirectListener::bind(Loopback::Localhost, port)
            .await
            .map_err(|e| AuthError::Unavailable(format!("loopback listener: {e}")))?;
        let redirect_uri = format!("http://localhost:{}", listener.port());
        let state = random_token(16);
        let (verifier, challenge) = pkce_pair();
        let mut url = url::Url::parse(&cfg.endpoint("authorize"))
            .map_err(|e| AuthError::Malformed(format!("login url: {e}")))?;
        url.query_pairs_mut()
            .append_pair("client_id", &cfg.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &cfg.scopes)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(BrowserSignIn {
            cfg: cfg.clone(),
            listener,
            redirect_uri,
            state,
            verifier,
            authorize_url: url.to_string(),
        })
    }

    /// The page to open in the browser (carries no secret: only the PKCE
    /// challenge and a state value).
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Wait for the browser to come back to the loopback address with our
    /// `state` (answers with another state are ignored), and exchange the
    /// code (with the PKCE verifier) for tokens.
    pub async fn finish(self, http: &reqwest::Client, wait: Duration) -> Result<Tokens, AuthError> {
        // A redirect without a path comes back with "/" (Entra appends it).
        let params = tokio::time::timeout(wait, self.listener.wait("/", &self.state, "Microsoft"))
            .await
            .map_err(|_| AuthError::Expired)?
            .map_err(|e| AuthError::Unavailable(format!("loopback listener: {e}")))?;
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if let Some(err) = get("error") {
            return Err(match err.as_str() {
                "access_denied" => AuthError::Declined,
                _ => AuthError::Refused(oauth_reason(&err, get("error_description").as_deref())),
            });
        }
        let code = Secret::new(
            get("code").ok_or_else(|| AuthError::Malformed("redirect without a code".into()))?,
        );
        token_request(
            http,
            &self.cfg,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &self.cfg.client_id),
                ("code", code.expose()),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", self.verifier.expose()),
                ("scope", &self.cfg.scopes),
            ],
            &SystemClock,
        )
        .await
    }
}

/// RFC 8628 §3.5: a client that is not told otherwise polls every 5 s,
/// and never faster than the server's `interval`.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// What a `slow_down` answer adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// An interval a server asks for is followed up to this long: the user
/// is waiting, and the code expires anyway.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(60);
/// Up to this much is added at random to each wait, so that many clients
/// started together do not poll in step.
pub const POLL_JITTER: Duration = Duration::from_millis(1000);
/// A device code is waited for at most this long, whatever `expires_in`
/// says (Microsoft's codes live 15 minutes).
const MAX_DEVICE_CODE_LIFETIME_SECS: i64 = 3600;

/// Waits between device-code polls; injected, so a test can record the
/// waits asked for instead of waiting.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()>;
}

/// Waits for real (tokio's timer).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A device-code sign-in in progress: show `message` (or `user_code` and
/// `verification_uri`) to the user, then [`DeviceCode::poll`].
#[derive(Debug)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
    /// The wait between polls: the server's `interval`, at least
    /// [`MIN_POLL_INTERVAL`], at most [`MAX_POLL_INTERVAL`].
    pub interval: Duration,
    pub expires_at: DateTime<Utc>,
    device_code: Secret,
}

impl DeviceCode {
    pub async fn start(http: &reqwest::Client, cfg: &AuthConfig) -> Result<DeviceCode, AuthError> {
        DeviceCode::start_on(http, cfg, &SystemClock).await
    }

    /// As [`DeviceCode::start`], the code's expiry counted on `clock` (the
    /// clock [`DeviceCode::poll_with`] is then given).
    pub async fn start_on(
        http: &reqwest::Client,
        cfg: &AuthConfig,
        clock: &dyn Clock,
    ) -> Result<DeviceCode, AuthError> {
        let resp = http
            .post(cfg.endpoint("devicecode"))
            .form(&[
                ("client_id", cfg.client_id.as_str()),
                ("scope", &cfg.scopes),
            ])
            .send()
            .await
            .map_err(|e| AuthError::Unavailable(crate::net::describe(&e)))?;
        let status = resp.status().as_u16();
        let body: Value = read_json(resp)
            .await
            .map_err(|e| AuthError::Malformed(format!("devicecode {status}: {e}")))?;
        if let Some(code) = body.get("error").and_then(Value::as_str) {
            let desc = body.get("error_description").and_then(Value::as_str);
            return Err(AuthError::Refused(oauth_reason(code, desc)));
        }
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| AuthError::Malformed(format!("devicecode answer without {k}")))
        };
        let n = |k: &str, d: i64| {
            body.get(k)
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .unwrap_or(d)
        };
        let interval = Duration::from_secs(n("interval", 5).clamp(0, i64::MAX) as u64)
            .clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL);
        let lifetime = n("expires_in", 900).clamp(0, MAX_DEVICE_CODE_LIFETIME_SECS);
        Ok(DeviceCode {
            user_code: server_text::escape(&s("user_code")?),
            verification_uri: server_text::escape(&s("verification_uri")?),
            message: server_text::escape(&s("message").unwrap_or_default()),
            interval,
            expires_at: token_expiry::expires_at(clock.now(), lifetime),
            device_code: Secret::new(s("device_code")?),
        })
    }

    /// Poll the token endpoint until the user approved, declined, or the
    /// code expired: every `interval` (plus jitter), 5 s more after each
    /// `slow_down`.
    pub async fn poll(
        &self,
        http: &reqwest::Client,
        cfg: &AuthConfig,
    ) -> Result<Tokens, AuthError> {
        self.poll_with(http, cfg, &SystemClock, &TokioSleeper).await
    }

    /// As [`DeviceCode::poll`], on `clock`, waiting through `sleeper`.
    pub async fn poll_with(
        &self,
        http: &reqwest::Client,
        cfg: &AuthConfig,
        clock: &dyn Clock,
        sleeper: &dyn Sleeper,
    ) -> Result<Tokens, AuthError> {
        let mut interval = self.interval.clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL);
        loop {
            match token_request(
                http,
                cfg,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", &cfg.client_id),
                    ("device_code", self.device_code.expose()),
                ],
                clock,
            )
            .await
            {
                Err(AuthError::Pending) => {}
                Err(AuthError::SlowDown) => {
                    interval = (interval + SLOW_DOWN_STEP).min(MAX_POLL_INTERVAL);
                }
                other => return other,
            }
            if clock.now() >= self.expires_at {
                return Err(AuthError::Expired);
            }
            let jitter = rand::random::<u64>() % (POLL_JITTER.as_millis() as u64 + 1);
            sleeper
                .sleep(interval + Duration::from_millis(jitter))
                .await;
        }
    }
}

struct Current {
    access: Secret,
    expires_at: DateTime<Utc>,
}

/// Hands out access tokens to the Graph client: refreshes when none is
/// held, when the one held expires within `margin`, and after a 401. The
/// refresh token lives in the [`SecretStore`] and is replaced on rotation.
pub struct TokenManager {
    http: reqwest::Client,
    cfg: AuthConfig,
    secrets: Arc<dyn SecretStore>,
    margin: chrono::Duration,
    /// When tokens expire and whether the one held is still good; injected
    /// so tests move time instead of sleeping through a token's life.
    clock: Arc<dyn Clock>,
    current: tokio::sync::Mutex<Option<Current>>,
}

/// Shows the sign-in settings, never a token.
impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("config", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    pub fn new(
        http: reqwest::Client,
        cfg: AuthConfig,
        secrets: Arc<dyn SecretStore>,
    ) -> TokenManager {
        TokenManager {
            http,
            cfg,
            secrets,
            margin: chrono::Duration::seconds(120),
            clock: Arc::new(SystemClock),
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// Refresh this long before the access token expires (default 2 min).
    pub fn with_margin(mut self, margin: Duration) -> TokenManager {
        self.margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::zero());
        self
    }

    /// Read the time from `clock` (tests: a [`crate::clock::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> TokenManager {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    /// Keep what a sign-in returned: the refresh token in the secret store,
    /// the access token in memory.
    pub async fn save(&self, tokens: &Tokens) -> Result<(), AuthError> {
        if let Some(r) = &tokens.refresh_token {
            self.secrets.set(OUTLOOK_REFRESH_TOKEN, r)?;
        }
        *self.current.lock().await = Some(Current {
            access: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
        });
        Ok(())
    }

    /// Forget the tokens (sign out).
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        *self.current.lock().await = None;
        self.secrets.delete(OUTLOOK_REFRESH_TOKEN)?;
        Ok(())
    }

    /// A valid access token, refreshed first when needed.
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let mut cur = self.current.lock().await;
        if let Some(c) = cur.as_ref() {
            if c.expires_at - self.margin > self.clock.now() {
                return Ok(c.access.clone());
            }
        }
        self.refresh_locked(&mut cur).await
    }

    /// The server refused `rejected` (401): refresh, unless another request
    /// already did, and hand out the new token.
    pub async fn after_unauthorized(&self, rejected: &Secret) -> Result<Secret, AuthError> {
        let mut cur = self.current.lock().await;
        if let Some(c) = cur.as_ref() {
            if &c.access != rejected {
                return Ok(c.access.clone());
            }
        }
        self.refresh_locked(&mut cur).await
    }

    async fn refresh_locked(&self, cur: &mut Option<Current>) -> Result<Secret, AuthError> {
        let rt = self
            .secrets
            .get(OUTLOOK_REFRESH_TOKEN)?
            .ok_or(AuthError::NotSignedIn)?;
        let t = refresh_on(&self.http, &self.cfg, &rt, self.clock.as_ref()).await?;
        if let Some(new_rt) = &t.refresh_token {
            // Rotation: the old refresh token may stop working once used.
            self.secrets.set(OUTLOOK_REFRESH_TOKEN, new_rt)?;
        }
        *cur = Some(Current {
            access: t.access_token.clone(),
            expires_at: t.expires_at,
        });
        Ok(t.access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (v, c) = pkce_pair();
        assert_eq!(pkce_challenge(v.expose()), c);
        assert!(v.expose().len() >= 43);
    }

    #[test]
    fn endpoints_follow_the_v2_layout() {
        let c = AuthConfig::new("http://127.0.0.1:9/login/", "common", "app");
        assert_eq!(
            c.endpoint("token"),
            "http://127.0.0.1:9/login/common/oauth2/v2.0/token"
        );
    }

    #[test]
    fn token_answers_tokens_an_oauth_error_and_a_refusal_without_a_code() {
        let now = chrono::DateTime::<Utc>::UNIX_EPOCH;
        let ok = br#"{"access_token":"a","refresh_token":"r","expires_in":"3599"}"#;
        let t = read_token_answer(200, ok, now).unwrap();
        assert_eq!(t.access_token.expose(), "a");
        assert_eq!(t.expires_at, now + chrono::TimeDelta::seconds(3599));
        assert!(matches!(
            read_token_answer(400, br#"{"error":"authorization_pending"}"#, now),
            Err(AuthError::Pending)
        ));
        // Tokens in a refusal without an error code are not taken.
        assert!(
            matches!(read_token_answer(400, ok, now), Err(AuthError::Refused(m)) if m.contains("400"))
        );
        assert!(matches!(
            read_token_answer(502, ok, now),
            Err(AuthError::Unavailable(_))
        ));
        assert!(matches!(
            read_token_answer(200, b"<html>", now),
            Err(AuthError::Malformed(_))
        ));
    }
}
