//! Authentication to Oro: WSSE (user + API key, Oro ≤ 6.0) and OAuth 2.0
//! (client credentials; authorization code + PKCE S256 through a loopback
//! redirect, Oro ≥ 6.0). Access tokens are refreshed shortly before they
//! expire and once more when the server answers 401.

use crate::sides::{StoreError, StoreResult};
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::redirect_listener::{Loopback, RedirectListener};
use crate::{server_text, token_expiry};

/// Credentials are the crate's one redacting [`Secret`] type.
pub use crate::secrets::Secret;

/// OAuth 2.0 tokens as held by the client. `access_token` may be absent (a
/// refresh token from the keyring alone): the first request then refreshes.
#[derive(Clone, Debug, Default)]
pub struct OAuthTokens {
    pub access_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
    pub refresh_token: Option<Secret>,
}

impl OAuthTokens {
    pub fn from_refresh_token(refresh_token: Secret) -> Self {
        OAuthTokens {
            refresh_token: Some(refresh_token),
            ..Default::default()
        }
    }
}

/// Where a rotated refresh token goes the moment Oro issues it (the OS
/// keyring, in the product). Oro's refresh tokens are single-use: one
/// kept only in memory until the end of a run is lost when the run stops
/// early (a first sync waiting for confirmation, a connection test, a
/// killed process), and the keyring is left with a revoked token.
#[derive(Clone)]
pub struct RefreshTokenSink(Arc<dyn Fn(&Secret) + Send + Sync>);

impl RefreshTokenSink {
    pub fn new(keep: impl Fn(&Secret) + Send + Sync + 'static) -> RefreshTokenSink {
        RefreshTokenSink(Arc::new(keep))
    }
}

impl fmt::Debug for RefreshTokenSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshTokenSink")
    }
}

/// How the client proves who it is (docs/cli.md, "config.toml": `[oro] auth`).
#[derive(Clone, Debug)]
pub enum OroAuth {
    /// `auth = "wsse"`: the user's API key; the user name is `OroConfig::username`.
    Wsse { api_key: Secret },
    /// `auth = "oauth2"`: a back-office client-credentials application.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    /// `auth = "oauth2-browser"`: tokens from [`BrowserLogin`] (or a stored
    /// refresh token); a public client has no secret.
    AuthorizationCode {
        client_id: String,
        client_secret: Option<Secret>,
        tokens: OAuthTokens,
    },
}

/// Environment variables that stand in for the keyring (docs/cli.md, "Secrets").
pub const ENV_API_KEY: &str = "OROSYNC_ORO_API_KEY";
pub const ENV_CLIENT_SECRET: &str = "OROSYNC_ORO_CLIENT_SECRET";
pub const ENV_REFRESH_TOKEN: &str = "OROSYNC_ORO_REFRESH_TOKEN";

impl OroAuth {
    /// The credentials for `[oro] auth = mode` from the environment;
    /// `Ok(None)` when its variable is unset or empty (ask the keyring, or
    /// sign in); `Err` names the allowed modes.
    pub fn from_env(mode: &str, client_id: &str) -> Result<Option<OroAuth>, String> {
        Self::from_lookup(mode, client_id, crate::secrets::env_var)
    }

    /// As [`OroAuth::from_env`], reading variables through `lookup`.
    pub fn from_lookup(
        mode: &str,
        client_id: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<OroAuth>, String> {
        let var = |k: &str| lookup(k).filter(|v| !v.is_empty()).map(Secret::new);
        let client_id = client_id.to_string();
        match mode {
            "wsse" => Ok(var(ENV_API_KEY).map(|api_key| OroAuth::Wsse { api_key })),
            "oauth2" => {
                Ok(
                    var(ENV_CLIENT_SECRET).map(|client_secret| OroAuth::ClientCredentials {
                        client_id,
                        client_secret,
                    }),
                )
            }
            "oauth2-browser" => Ok(var(ENV_REFRESH_TOKEN).map(|r| OroAuth::AuthorizationCode {
                client_id,
                client_secret: None,
                tokens: OAuthTokens::from_refresh_token(r),
            })),
            other => Err(format!(
                "[oro] auth: unknown value \"{other}\" (allowed: wsse, oauth2, oauth2-browser)"
            )),
        }
    }
}

/// WSSE PasswordDigest = base64(sha1(nonce bytes ‖ created ‖ api key)).
pub fn wsse_digest(nonce: &[u8], created: &str, api_key: &str) -> String {
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(created.as_bytes());
    h.update(api_key.as_bytes());
    B64.encode(h.finalize())
}

/// The two WSSE headers for one request (`Authorization`, `X-WSSE`).
pub fn wsse_headers(
    username: &str,
    api_key: &Secret,
    nonce: &[u8],
    created: &str,
) -> [(&'static str, String); 2] {
    let digest = wsse_digest(nonce, created, api_key.expose());
    [
        (
            "Authorization",
            "WSSE profile=\"UsernameToken\"".to_string(),
        ),
        (
            "X-WSSE",
            format!(
                "UsernameToken Username=\"{}\", PasswordDigest=\"{}\", Nonce=\"{}\", Created=\"{}\"",
                username.replace('"', ""),
                digest,
                B64.encode(nonce),
                created
            ),
        ),
    ]
}

/// How far back `Created` is stamped. Oro refuses a `Created` in its
/// future ("Future token detected"), so a desktop clock a few seconds ahead
/// of the server would fail every request; the token lifetime (300 s by
/// default, 3600 s on Oro's API firewalls) easily absorbs this margin.
const CREATED_SKEW_SECS: i64 = 30;

/// A server `Date` this far from our clock is skew worth correcting for.
const SKEW_TOLERANCE_SECS: i64 = 10;

/// PHP `date('c')` style, which Oro's WSSE authenticator parses; on the
/// server's clock when it is known to differ from ours (`offset_secs`).
fn created_now(offset_secs: i64) -> String {
    (Utc::now() + TimeDelta::seconds(offset_secs) - TimeDelta::seconds(CREATED_SKEW_SECS))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// Tokens are renewed this long before they expire, so a request never
/// leaves with a token that dies in flight.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// Holds the credentials and the current token of one client.
pub(crate) struct Authenticator {
    base_url: String,
    username: String,
    auth: OroAuth,
    tokens: tokio::sync::Mutex<OAuthTokens>,
    /// The server's clock minus ours, in seconds, as learnt from a refusal.
    clock_offset_secs: std::sync::atomic::AtomicI64,
    /// Told about each new refresh token as soon as it is issued.
    on_refresh_token: Option<RefreshTokenSink>,
}

impl Authenticator {
    pub(crate) fn new(
        base_url: &str,
        username: &str,
        auth: OroAuth,
        on_refresh_token: Option<RefreshTokenSink>,
    ) -> Self {
        let tokens = match &auth {
            OroAuth::AuthorizationCode { tokens, .. } => tokens.clone(),
            _ => OAuthTokens::default(),
        };
        Authenticator {
            base_url: base_url.to_string(),
            username: username.to_string(),
            auth,
            tokens: tokio::sync::Mutex::new(tokens),
            clock_offset_secs: std::sync::atomic::AtomicI64::new(0),
            on_refresh_token,
        }
    }

    /// A WSSE token was refused and the answer carried the server's `Date`:
    /// when that clock is off from ours by more than a few seconds, stamp
    /// `Created` on the server's clock from now on. Returns whether that
    /// changed anything (then one retry can help; a wrong key stays wrong).
    pub(crate) fn server_clock(&self, date: Option<DateTime<Utc>>) -> bool {
        use std::sync::atomic::Ordering;
        let (OroAuth::Wsse { .. }, Some(date)) = (&self.auth, date) else {
            return false;
        };
        let offset = (date - Utc::now()).num_seconds();
        let old = self.clock_offset_secs.load(Ordering::SeqCst);
        if (offset - old).abs() < SKEW_TOLERANCE_SECS {
            return false;
        }
        tracing::warn!(
            offset_secs = offset,
            "Oro's clock differs from this computer's; WSSE timestamps follow Oro's clock"
        );
        self.clock_offset_secs.store(offset, Ordering::SeqCst);
        true
    }

    pub(crate) fn is_oauth(&self) -> bool {
        !matches!(self.auth, OroAuth::Wsse { .. })
    }

    /// Headers for one request: a fresh WSSE token (new nonce each time), or
    /// a Bearer token, fetched or refreshed first when needed.
    pub(crate) async fn headers(
        &self,
        http: &reqwest::Client,
    ) -> StoreResult<Vec<(&'static str, String)>> {
        match &self.auth {
            OroAuth::Wsse { api_key } => {
                let nonce: [u8; 16] = rand::random();
                let offset = self
                    .clock_offset_secs
                    .load(std::sync::atomic::Ordering::SeqCst);
                Ok(wsse_headers(&self.username, api_key, &nonce, &created_now(offset)).to_vec())
            }
            _ => {
                let mut tokens = self.tokens.lock().await;
                let fresh = match (&tokens.access_token, tokens.expires_at) {
                    (Some(_), Some(exp)) => {
                        exp - TimeDelta::seconds(EXPIRY_MARGIN_SECS) > Utc::now()
                    }
                    (Some(_), None) => true,
                    _ => false,
                };
                if !fresh {
                    let new = self.obtain(http, &tokens).await?;
                    let rotated = match (&new.refresh_token, &tokens.refresh_token) {
                        (Some(n), Some(old)) => n != old,
                        (Some(_), None) => true,
                        (None, _) => false,
                    };
                    *tokens = new;
                    // Kept before the token is used: the old one is dead now.
                    if let (true, Some(sink), Some(r)) =
                        (rotated, &self.on_refresh_token, &tokens.refresh_token)
                    {
                        (sink.0)(r);
                    }
                }
                let access = tokens
                    .access_token
                    .as_ref()
                    .ok_or_else(|| StoreError::Auth("no access token".into()))?;
                Ok(vec![(
                    "Authorization",
                    format!("Bearer {}", access.expose()),
                )])
            }
        }
    }

    /// The server refused the token: forget it so the next request gets a
    /// new one. Returns whether retrying can help (not for WSSE: its
    /// headers are already fresh on every request).
    pub(crate) async fn unauthorized(&self) -> bool {
        if !self.is_oauth() {
            return false;
        }
        self.tokens.lock().await.access_token = None;
        true
    }

    /// The current refresh token (it rotates), to keep in the keyring.
    pub(crate) async fn refresh_token(&self) -> Option<Secret> {
        self.tokens.lock().await.refresh_token.clone()
    }

    async fn obtain(
        &self,
        http: &reqwest::Client,
        current: &OAuthTokens,
    ) -> StoreResult<OAuthTokens> {
        match &self.auth {
            OroAuth::Wsse { .. } => Err(StoreError::Auth("WSSE has no tokens".into())),
            OroAuth::ClientCredentials {
                client_id,
                client_secret,
            } => {
                token_request(
                    http,
                    &self.base_url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_secret", client_secret.expose()),
                    ],
                )
                .await
            }
            OroAuth::AuthorizationCode {
                client_id,
                client_secret,
                ..
            } => {
                let refresh = current
                    .refresh_token
                    .clone()
                    .ok_or_else(|| StoreError::Auth("signed out: sign in to Oro again".into()))?;
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("client_id", client_id.as_str()),
                    ("refresh_token", refresh.expose()),
                ];
                if let Some(s) = client_secret {
                    form.push(("client_secret", s.expose()));
                }
                let mut new = token_request(http, &self.base_url, &form).await?;
                // A server that does not rotate refresh tokens keeps the old one valid.
                if new.refresh_token.is_none() {
                    new.refresh_token = Some(refresh);
                }
                Ok(new)
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(serde::Deserialize)]
struct TokenError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// `POST {base}/oauth2-token`. Refusals (400/401) are `Auth`; a server
/// that cannot be reached is retried a few times, then `Unavailable`.
pub(crate) async fn token_request(
    http: &reqwest::Client,
    base_url: &str,
    form: &[(&str, &str)],
) -> StoreResult<OAuthTokens> {
    let url = format!("{base_url}/oauth2-token");
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            tokio::time::sleep(crate::sides::backoff(attempt - 1, None)).await;
        }
        let resp = match http.post(&url).form(form).send().await {
            Ok(r) => r,
            Err(e) => {
                last = super::error::describe_transport(&e);
                continue;
            }
        };
        let status = resp.status();
        let body = match crate::net::read_capped(resp, crate::net::MAX_BODY).await {
            Ok(b) => b,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        if status.is_server_error() || status.as_u16() == 429 {
            last = format!("token endpoint answered {status}");
            continue;
        }
        return read_token_answer(status.as_u16(), &body, Utc::now());
    }
    Err(StoreError::Unavailable(last))
}

/// A token endpoint's final answer (not one to retry): tokens, or why not.
/// Pure, so the fuzz target reads answers the same way.
pub(crate) fn read_token_answer(
    status: u16,
    body: &[u8],
    now: chrono::DateTime<Utc>,
) -> StoreResult<OAuthTokens> {
    if !(200..300).contains(&status) {
        // The error fields name the problem; the body never carries a
        // secret we sent, but print only these fields all the same.
        let why = serde_json::from_slice::<TokenError>(body)
            .map(|e| {
                let d = e.error_description.or(e.message).unwrap_or_default();
                server_text::escape(format!("{} {}", e.error, d).trim())
            })
            .unwrap_or_default();
        return Err(StoreError::Auth(format!(
            "token request refused ({status}) {why}"
        )));
    }
    let t: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| StoreError::Malformed(format!("token answer: {e}")))?;
    Ok(OAuthTokens {
        access_token: Some(Secret::new(t.access_token)),
        expires_at: t.expires_in.map(|s| token_expiry::expires_at(now, s)),
        refresh_token: t.refresh_token.map(Secret::new),
    })
}

/// PKCE code challenge (S256) of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    B64URL.encode(Sha256::digest(verifier.as_bytes()))
}

/// A browser sign-in in progress (authorization code + PKCE S256): the
/// loopback listener is bound at `start`, so the redirect cannot miss it.
///
/// The redirect is `http://127.0.0.1:PORT/callback`. Oro's authorization
/// server (league/oauth2-server, `RedirectUriValidator`) ignores the port
/// only for the loopback IP literals `127.0.0.1` and `[::1]` (RFC 8252
/// §7.3) and matches every other URI, `localhost` included, exactly: an
/// Oro application registered with `http://127.0.0.1/callback` accepts any
/// port here, whereas a `localhost` redirect would need the port
/// registered too. (Microsoft's rule is the other way round; see
/// [`crate::graph::auth::BrowserSignIn`].)
pub struct BrowserLogin {
    listener: RedirectListener,
    base_url: String,
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: String,
    state: String,
    verifier: Secret,
    authorize_url: String,
}

impl fmt::Debug for BrowserLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserLogin")
            .field("redirect_uri", &self.redirect_uri)
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

/// The path the browser comes back to.
const CALLBACK_PATH: &str = "/callback";

impl BrowserLogin {
    /// Bind `127.0.0.1:port` (0 = any free port) and prepare the authorize URL.
    pub async fn start(
        base_url: &str,
        client_id: &str,
        client_secret: Option<Secret>,
        port: u16,
    ) -> StoreResult<BrowserLogin> {
        let base_url = base_url.trim_end_matches('/').to_string();
        let listener = RedirectListener::bind(Loopback::Ipv4, port)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot listen on port {port}: {e}")))?;
        let redirect_uri = format!("http://127.0.0.1:{}{CALLBACK_PATH}", listener.port());
        let state = B64URL.encode(rand::random::<[u8; 16]>());
        let verifier = B64URL.encode(rand::random::<[u8; 32]>());
        let mut url = url::Url::parse(&format!("{base_url}/oauth2-token/authorize"))
            .map_err(|e| StoreError::Unavailable(format!("bad Oro URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(BrowserLogin {
            listener,
            base_url,
            client_id: client_id.to_string(),
            client_secret,
            redirect_uri,
            state,
            verifier: Secret::new(verifier),
            authorize_url: url.to_string(),
        })
    }

    /// Open this in the user's browser.
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Wait for the browser to come back with the code and our state (at
    /// most `timeout`; answers with another state are ignored), and
    /// exchange the code for tokens.
    pub async fn finish(
        self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> StoreResult<OAuthTokens> {
        let params = tokio::time::timeout(
            timeout,
            self.listener.wait(CALLBACK_PATH, &self.state, "Oro"),
        )
        .await
        .map_err(|_| StoreError::Auth("sign-in timed out".into()))?
        .map_err(|e| StoreError::Unavailable(format!("loopback listener: {e}")))?;
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if let Some(err) = get("error") {
            let desc = get("error_description")
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Err(StoreError::Auth(server_text::escape(&format!(
                "sign-in refused: {err}{desc}"
            ))));
        }
        let code =
            get("code").ok_or_else(|| StoreError::Auth("sign-in answer has no code".into()))?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code", code.as_str()),
            ("code_verifier", self.verifier.expose()),
        ];
        if let Some(s) = &self.client_secret {
            form.push(("client_secret", s.expose()));
        }
        token_request(http, &self.base_url, &form).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        let auth = OroAuth::ClientCredentials {
            client_id: "app".into(),
            client_secret: s,
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }

    #[test]
    fn credentials_from_the_environment() {
        let env = |k: &str| match k {
            ENV_API_KEY => Some("k3y".to_string()),
            ENV_CLIENT_SECRET => Some(String::new()),
            ENV_REFRESH_TOKEN => Some("r".to_string()),
            _ => None,
        };
        match OroAuth::from_lookup("wsse", "", env).unwrap() {
            Some(OroAuth::Wsse { api_key }) => assert_eq!(api_key.expose(), "k3y"),
            other => panic!("{other:?}"),
        }
        assert!(OroAuth::from_lookup("oauth2", "app", env)
            .unwrap()
            .is_none());
        match OroAuth::from_lookup("oauth2-browser", "app", env).unwrap() {
            Some(OroAuth::AuthorizationCode {
                client_id, tokens, ..
            }) => {
                assert_eq!(client_id, "app");
                assert_eq!(tokens.refresh_token.unwrap().expose(), "r");
                assert!(tokens.access_token.is_none());
            }
            other => panic!("{other:?}"),
        }
        let e = OroAuth::from_lookup("basic", "", env).unwrap_err();
        assert!(e.contains("oauth2-browser"), "{e}");
    }

    #[test]
    fn pkce_challenge_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
