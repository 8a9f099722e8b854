//! The fake's authentication: WSSE verification as Oro ≤ 6.0 does it, and
//! an OAuth 2.0 server (`/oauth2-token`, `/oauth2-token/authorize`) with
//! expiring Bearer tokens. Token and WSSE times use the wall clock, not the
//! data clock: the client stamps `Created` with the real time.

use super::{api_error, FakeOro, Shared};
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::{json, Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub(crate) struct AuthState {
    /// WSSE nonces seen, with the time the fake saw them (kept for the lifetime).
    nonces: HashMap<String, DateTime<Utc>>,
    /// Access token → expiry.
    access: HashMap<String, DateTime<Utc>>,
    /// Refresh token → client id.
    refresh: HashMap<String, String>,
    codes: HashMap<String, Code>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires: DateTime<Utc>,
}

impl AuthState {
    pub(crate) fn expire_access_tokens(&mut self) {
        let past = Utc::now() - TimeDelta::seconds(1);
        for exp in self.access.values_mut() {
            *exp = past;
        }
    }
}

fn token() -> String {
    rand::random::<[u8; 24]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unauthorized(s: &Shared, detail: &str, wsse: bool) -> Response {
    s.stats.lock().expect("stats").unauthorized += 1;
    let mut r = api_error(
        StatusCode::UNAUTHORIZED,
        "authentication exception",
        detail,
        None,
    );
    let challenge = if wsse {
        "WSSE realm=\"Secured API\", profile=\"UsernameToken\""
    } else {
        "Bearer error=\"invalid_token\""
    };
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    r
}

/// Middleware on `/api/...`: a valid Bearer token or a valid WSSE header.
pub(crate) async fn require_auth(
    State(s): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    match check(&s, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(r) => r,
    }
}

fn check(s: &Shared, h: &HeaderMap) -> Result<(), Response> {
    let authz = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(tok) = authz.strip_prefix("Bearer ") {
        let ok = s
            .auth
            .lock()
            .expect("auth")
            .access
            .get(tok.trim())
            .is_some_and(|exp| *exp > Utc::now());
        return if ok {
            Ok(())
        } else {
            Err(unauthorized(
                s,
                "The access token is invalid or expired.",
                false,
            ))
        };
    }
    match h.get("x-wsse").and_then(|v| v.to_str().ok()) {
        Some(x) => verify_wsse(s, x).map_err(|why| unauthorized(s, why, true)),
        None => Err(unauthorized(s, "Authentication required.", true)),
    }
}

/// `UsernameToken Username="..", PasswordDigest="..", Nonce="..", Created=".."`.
fn parse_wsse(h: &str) -> Option<HashMap<String, String>> {
    let mut s = h.trim().strip_prefix("UsernameToken")?.trim();
    let mut out = HashMap::new();
    loop {
        s = s.trim_start_matches([',', ' ']);
        if s.is_empty() {
            return Some(out);
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        let rest = s[eq + 1..].trim_start().strip_prefix('"')?;
        let end = rest.find('"')?;
        out.insert(key, rest[..end].to_string());
        s = &rest[end + 1..];
    }
}

fn verify_wsse(s: &Shared, header: &str) -> Result<(), &'static str> {
    let f = parse_wsse(header).ok_or("Malformed X-WSSE header.")?;
    let get = |k: &str| {
        f.get(k)
            .map(String::as_str)
            .ok_or("Malformed X-WSSE header.")
    };
    if get("Username")? != s.opts.username {
        return Err("Unknown user.");
    }
    let nonce_b64 = get("Nonce")?;
    let nonce = B64.decode(nonce_b64).map_err(|_| "Malformed nonce.")?;
    let created_s = get("Created")?;
    let created = DateTime::parse_from_rfc3339(created_s)
        .map_err(|_| "Malformed Created.")?
        .with_timezone(&Utc);
    let now = Utc::now() + TimeDelta::seconds(s.opts.clock_offset_secs);
    if created > now {
        return Err("Future token detected.");
    }
    let lifetime = TimeDelta::from_std(s.opts.wsse_lifetime).unwrap_or(TimeDelta::hours(1));
    if now - created > lifetime {
        return Err("Token has expired.");
    }
    // Oro (≤ 6.0, platform WsseAuthenticationBundle
    // `Security/Core/Authentication/WsseAuthenticator.php`, `validateDigest`)
    // spends the nonce before it checks the digest, and keeps it for the
    // lifetime from the time it saw it: a request with a wrong digest uses
    // up its nonce too.
    {
        let mut st = s.auth.lock().expect("auth");
        st.nonces.retain(|_, seen| now - *seen <= lifetime);
        if st.nonces.contains_key(nonce_b64) {
            return Err("Previously used nonce detected.");
        }
        st.nonces.insert(nonce_b64.to_string(), now);
    }
    let mut h = Sha1::new();
    h.update(&nonce);
    h.update(created_s.as_bytes());
    h.update(s.opts.api_key.as_bytes());
    if B64.encode(h.finalize()) != get("PasswordDigest")? {
        return Err("Invalid digest.");
    }
    Ok(())
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": error, "error_description": description, "message": description})
            .to_string(),
    )
        .into_response()
}

/// Which client this is: `Ok(true)` for the confidential one (secret
/// checked), `Ok(false)` for the public one (no secret allowed).
fn client(s: &Shared, id: &str, secret: Option<&str>) -> Result<bool, Response> {
    let bad = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        )
    };
    if id == s.opts.client_id {
        if secret == Some(s.opts.client_secret.as_str()) {
            Ok(true)
        } else {
            Err(bad())
        }
    } else if id == s.opts.public_client_id && secret.is_none_or(str::is_empty) {
        Ok(false)
    } else {
        Err(bad())
    }
}

fn issue(s: &Shared, client_id: &str, with_refresh: bool, grant: &str) -> Response {
    let access = token();
    let life = s.opts.token_lifetime;
    let mut st = s.auth.lock().expect("auth");
    st.access.insert(
        access.clone(),
        Utc::now() + TimeDelta::from_std(life).unwrap_or(TimeDelta::hours(1)),
    );
    let mut body =
        json!({"token_type": "Bearer", "expires_in": life.as_secs(), "access_token": access});
    if with_refresh {
        let r = token();
        st.refresh.insert(r.clone(), client_id.to_string());
        body["refresh_token"] = json!(r);
    }
    drop(st);
    *s.stats
        .lock()
        .expect("stats")
        .grants
        .entry(grant.to_string())
        .or_default() += 1;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /oauth2-token`, form-encoded or JSON (Oro's docs use JSON).
pub(crate) async fn token_endpoint(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let p: HashMap<String, String> = if json_body {
        match serde_json::from_slice::<Map<String, Value>>(&body) {
            Ok(m) => m
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect(),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Unreadable body",
                )
            }
        }
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing client_id",
        );
    };
    let confidential = match client(&s, client_id, get("client_secret")) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match get("grant_type") {
        Some("client_credentials") if confidential => {
            issue(&s, client_id, false, "client_credentials")
        }
        Some("authorization_code") => {
            let code = get("code").and_then(|c| s.auth.lock().expect("auth").codes.remove(c));
            let Some(code) = code else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Unknown or used code",
                );
            };
            if code.expires < Utc::now()
                || code.client_id != client_id
                || Some(code.redirect_uri.as_str()) != get("redirect_uri")
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Code does not match",
                );
            }
            let verified = get("code_verifier")
                .is_some_and(|v| B64URL.encode(Sha256::digest(v.as_bytes())) == code.challenge);
            if !verified {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Failed to verify code_verifier",
                );
            }
            issue(&s, client_id, true, "authorization_code")
        }
        Some("refresh_token") => {
            let owner =
                get("refresh_token").and_then(|r| s.auth.lock().expect("auth").refresh.remove(r));
            match owner {
                Some(o) if o == client_id => issue(&s, client_id, true, "refresh_token"),
                _ => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token is invalid.",
                ),
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
    }
}

/// The redirect URI the fake's OAuth applications are registered with (in
/// Oro: the application's "Redirect URLs").
pub const REGISTERED_REDIRECT: &str = "http://127.0.0.1/callback";

/// How Oro's authorization server (league/oauth2-server,
/// `RedirectUriValidators/RedirectUriValidator.php`) matches a requested
/// redirect URI: for `http` to the loopback IP literals `127.0.0.1` and
/// `[::1]` the port is ignored (RFC 8252 §7.3); every other URI, a
/// `localhost` one included, must equal a registered one exactly.
pub fn redirect_registered(requested: &str) -> bool {
    let without_port = |u: &str| {
        let mut u = url::Url::parse(u).ok()?;
        let loopback = u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "[::1]"));
        if loopback {
            u.set_port(None).ok()?;
        }
        Some((loopback, u.to_string()))
    };
    match without_port(requested) {
        Some((true, req)) => without_port(REGISTERED_REDIRECT).is_some_and(|(_, reg)| reg == req),
        _ => requested == REGISTERED_REDIRECT,
    }
}

/// `GET /oauth2-token/authorize`: approves at once (as with "Skip User
/// Consent") and redirects to the loopback `redirect_uri` with code and state.
pub(crate) async fn authorize(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let p: HashMap<String, String> = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    let client_id = get("client_id");
    if client_id != s.opts.client_id && client_id != s.opts.public_client_id {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let redirect = get("redirect_uri");
    if get("response_type") != "code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "The authorization server does not support obtaining an authorization code using this method.",
        );
    }
    // league/oauth2-server answers a redirect URI the client is not
    // registered with as a client authentication failure, without
    // redirecting (AbstractGrant::validateRedirectUri).
    if !redirect_registered(redirect) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "PKCE with S256 is required",
        );
    }
    let Ok(mut to) = url::Url::parse(redirect) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Bad redirect_uri",
        );
    };
    let code = token();
    s.auth.lock().expect("auth").codes.insert(
        code.clone(),
        Code {
            client_id: client_id.to_string(),
            redirect_uri: redirect.to_string(),
            challenge: get("code_challenge").to_string(),
            expires: Utc::now() + TimeDelta::minutes(10),
        },
    );
    to.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", get("state"));
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

impl FakeOro {
    /// Make every access token issued so far expired (the next request
    /// with one gets 401).
    pub fn expire_access_tokens(&self) {
        self.shared
            .auth
            .lock()
            .expect("auth")
            .expire_access_tokens();
    }

    /// Invalidate every refresh token (the user revoked the app).
    pub fn revoke_refresh_tokens(&self) {
        self.shared.auth.lock().expect("auth").refresh.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_as_league_matches_them() {
        for ok in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:53117/callback",
        ] {
            assert!(redirect_registered(ok), "{ok}");
        }
        for refused in [
            "http://localhost:53117/callback",
            "http://127.0.0.1:53117/other",
            "https://127.0.0.1:53117/callback",
            "http://127.0.0.1:53117/callback?x=1",
            "http://127.0.0.2:53117/callback",
            "",
        ] {
            assert!(!redirect_registered(refused), "{refused}");
        }
    }
}
