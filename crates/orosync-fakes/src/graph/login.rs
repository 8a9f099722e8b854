//! The fake identity platform: `{login}/{tenant}/oauth2/v2.0/{authorize,
//! token,devicecode}` with authorization code + PKCE (the user "signs in"
//! at once), device code (pending until approved), and refresh tokens that
//! rotate (a used one stays valid, as at Microsoft, unless
//! `single_use_refresh` is on).

use super::state::Reply;
use crate::pkce::s256 as pkce_challenge;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

struct CodeGrant {
    challenge: String,
    redirect_uri: String,
    client_id: String,
}

struct DeviceGrant {
    user_code: String,
    approved: bool,
    declined: bool,
    expires: Instant,
}

#[derive(Default)]
pub struct Login {
    pub client_id: Option<String>,
    pub access_ttl: Duration,
    pub device_interval: u64,
    /// A used refresh token is refused afterwards (strict rotation).
    pub single_use_refresh: bool,
    /// The app registration's redirect URIs: by default the one a desktop
    /// app registers under "Mobile and desktop applications".
    pub redirect_uris: Vec<String>,
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    codes: HashMap<String, CodeGrant>,
    devices: HashMap<String, DeviceGrant>,
    pub token_requests: usize,
    pub refreshes: usize,
}

fn random(prefix: &str) -> String {
    let mut b = [0u8; 18];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

/// What an app registered for "Mobile and desktop applications" with the
/// system browser lists as its redirect URI.
pub const REGISTERED_REDIRECT: &str = "http://localhost";

fn oauth_error(code: &str, desc: &str) -> Reply {
    Reply::json(400, json!({"error": code, "error_description": desc}))
}

impl Login {
    pub fn new(
        client_id: Option<String>,
        access_ttl: Duration,
        device_interval: u64,
        single_use_refresh: bool,
    ) -> Login {
        Login {
            client_id,
            access_ttl,
            device_interval,
            single_use_refresh,
            redirect_uris: vec![REGISTERED_REDIRECT.to_string()],
            ..Default::default()
        }
    }

    /// Entra's match of a requested redirect URI against the registered
    /// ones (Microsoft identity platform, "Redirect URI (reply URL) best
    /// practices and limitations"; entra-docs `reply-url.md`): scheme, host,
    /// path (case-sensitive) and query must be equal; the port is ignored
    /// only for an `http` loopback registration (`http://localhost`, or
    /// `http://127.0.0.1` added through the manifest), and `127.0.0.1` is
    /// not `localhost`: a request for one never matches a registration of
    /// the other. A URI without a path is the same as one with `/`.
    pub fn redirect_registered(&self, requested: &str) -> bool {
        let Ok(req) = url::Url::parse(requested) else {
            return false;
        };
        self.redirect_uris.iter().any(|r| {
            let Ok(reg) = url::Url::parse(r) else {
                return false;
            };
            let loopback =
                reg.scheme() == "http" && matches!(reg.host_str(), Some("localhost" | "127.0.0.1"));
            reg.scheme() == req.scheme()
                && reg.host_str() == req.host_str()
                && (loopback || reg.port_or_known_default() == req.port_or_known_default())
                && reg.path() == req.path()
                && reg.query() == req.query()
                && req.fragment().is_none()
                && req.username().is_empty()
                && req.password().is_none()
        })
    }

    /// True when `token` is a live access token.
    pub fn valid_access(&self, token: &str) -> bool {
        self.access.get(token).is_some_and(|t| *t > Instant::now())
    }

    pub fn expire_access(&mut self) {
        self.access.clear();
    }

    /// A refresh token as if the user had signed in before.
    pub fn issue_refresh(&mut self) -> String {
        let r = random("rt-");
        self.refresh.insert(r.clone());
        r
    }

    pub fn set_device(&mut self, user_code: &str, approve: bool) -> bool {
        match self.devices.values_mut().find(|d| d.user_code == user_code) {
            Some(d) => {
                d.approved = approve;
                d.declined = !approve;
                true
            }
            None => false,
        }
    }

    fn tokens(&mut self) -> Reply {
        let a = random("at-");
        let r = self.issue_refresh();
        self.access
            .insert(a.clone(), Instant::now() + self.access_ttl);
        Reply::json(
            200,
            json!({
                "token_type": "Bearer",
                "scope": "https://graph.microsoft.com/Contacts.ReadWrite https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/Tasks.ReadWrite",
                "expires_in": self.access_ttl.as_secs(),
                "access_token": a,
                "refresh_token": r,
            }),
        )
    }

    fn client_ok(&self, id: Option<&str>) -> bool {
        match &self.client_id {
            Some(want) => id == Some(want.as_str()),
            None => id.is_some_and(|i| !i.is_empty()),
        }
    }

    /// `endpoint` is the last path segment; `params` the query (GET) or form (POST).
    pub fn handle(&mut self, endpoint: &str, base: &str, params: &[(String, String)]) -> Reply {
        let p = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        match endpoint {
            "authorize" => {
                if !self.client_ok(p("client_id")) {
                    return oauth_error("unauthorized_client", "AADSTS700016: unknown application");
                }
                if p("response_type") != Some("code")
                    || p("code_challenge_method") != Some("S256")
                    || p("code_challenge").is_none()
                {
                    return oauth_error(
                        "invalid_request",
                        "PKCE S256 and response_type=code required",
                    );
                }
                let Some(redirect) = p("redirect_uri") else {
                    return oauth_error("invalid_request", "redirect_uri required");
                };
                // A mismatch is shown on Entra's own page: the browser is
                // not sent anywhere, least of all to the unregistered URI.
                if !self.redirect_registered(redirect) {
                    return oauth_error(
                        "invalid_request",
                        &format!(
                            "AADSTS50011: The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
                            p("client_id").unwrap_or_default()
                        ),
                    );
                }
                let code = random("code-");
                self.codes.insert(
                    code.clone(),
                    CodeGrant {
                        challenge: p("code_challenge").unwrap_or_default().to_string(),
                        redirect_uri: redirect.to_string(),
                        client_id: p("client_id").unwrap_or_default().to_string(),
                    },
                );
                let mut target = url::Url::parse(redirect).expect("checked loopback URL");
                target
                    .query_pairs_mut()
                    .append_pair("code", &code)
                    .append_pair("state", p("state").unwrap_or(""));
                Reply {
                    status: 302,
                    headers: vec![("Location".into(), target.to_string())],
                    body: serde_json::Value::Null,
                }
            }
            "devicecode" => {
                if !self.client_ok(p("client_id")) {
                    return oauth_error("unauthorized_client", "AADSTS700016: unknown application");
                }
                let device = random("dc-");
                let user_code = random("")
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(9)
                    .collect::<String>()
                    .to_uppercase();
                self.devices.insert(
                    device.clone(),
                    DeviceGrant {
                        user_code: user_code.clone(),
                        approved: false,
                        declined: false,
                        expires: Instant::now() + Duration::from_secs(900),
                    },
                );
                let uri = format!("{base}/device");
                Reply::json(
                    200,
                    json!({
                        "device_code": device,
                        "user_code": user_code,
                        "verification_uri": uri,
                        "expires_in": 900,
                        "interval": self.device_interval,
                        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."),
                    }),
                )
            }
            "token" => {
                self.token_requests += 1;
                if !self.client_ok(p("client_id")) {
                    return oauth_error("invalid_client", "AADSTS700016: unknown application");
                }
                match p("grant_type") {
                    Some("authorization_code") => {
                        let Some(g) = p("code").and_then(|c| self.codes.remove(c)) else {
                            return oauth_error(
                                "invalid_grant",
                                "AADSTS70008: code expired or used",
                            );
                        };
                        let verifier = p("code_verifier").unwrap_or("");
                        if pkce_challenge(verifier) != g.challenge {
                            return oauth_error(
                                "invalid_grant",
                                "AADSTS501481: code_verifier does not match",
                            );
                        }
                        if p("redirect_uri") != Some(g.redirect_uri.as_str())
                            || p("client_id") != Some(g.client_id.as_str())
                        {
                            return oauth_error(
                                "invalid_grant",
                                "AADSTS50011: redirect URI mismatch",
                            );
                        }
                        self.tokens()
                    }
                    Some("urn:ietf:params:oauth:grant-type:device_code") => {
                        let Some(d) = p("device_code").and_then(|c| self.devices.get(c)) else {
                            return oauth_error("bad_verification_code", "unknown device code");
                        };
                        if d.expires < Instant::now() {
                            return oauth_error("expired_token", "device code expired");
                        }
                        if d.declined {
                            return oauth_error("authorization_declined", "the user declined");
                        }
                        if !d.approved {
                            return oauth_error("authorization_pending", "AADSTS70016: pending");
                        }
                        let code = p("device_code").unwrap_or_default().to_string();
                        self.devices.remove(&code);
                        self.tokens()
                    }
                    Some("refresh_token") => {
                        let r = p("refresh_token").unwrap_or("");
                        // A new refresh token comes with every answer; the
                        // used one stays valid unless rotation is strict.
                        let known = if self.single_use_refresh {
                            self.refresh.remove(r)
                        } else {
                            self.refresh.contains(r)
                        };
                        if !known {
                            return oauth_error(
                                "invalid_grant",
                                "AADSTS70000: refresh token revoked or used",
                            );
                        }
                        self.refreshes += 1;
                        self.tokens()
                    }
                    _ => oauth_error("unsupported_grant_type", "unsupported grant type"),
                }
            }
            // The verification page of device codes: `?user_code=X` approves
            // it, standing in for the user's sign-in (for `orosync demo`).
            "device" => match p("user_code") {
                Some(c) if self.set_device(c, true) => {
                    Reply::json(200, json!({"approved": true, "user_code": c}))
                }
                Some(_) => Reply::json(404, json!({"error": "unknown user_code"})),
                None => Reply::json(
                    200,
                    json!({"message": "open this page with ?user_code=CODE to approve a device sign-in"}),
                ),
            },
            _ => Reply::json(404, json!({"error": "not_found"})),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refresh(l: &mut Login, token: &str) -> u16 {
        let params = [
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("client_id".to_string(), "app".to_string()),
            ("refresh_token".to_string(), token.to_string()),
        ];
        l.handle("token", "http://127.0.0.1:1/login", &params)
            .status
    }

    #[test]
    fn redirects_match_as_at_entra_for_an_app_registered_with_localhost() {
        let l = Login::new(None, Duration::from_secs(60), 1, false);
        for ok in [
            "http://localhost",
            "http://localhost:53117",
            "http://localhost:1/",
        ] {
            assert!(l.redirect_registered(ok), "{ok}");
        }
        for refused in [
            "http://127.0.0.1:53117",
            "http://[::1]:53117",
            "https://localhost:53117",
            "http://localhost:53117/callback",
            "http://localhost:53117/?x=1",
            "http://localhost.evil.example:53117",
            "http://user@localhost:53117",
            "not a url",
        ] {
            assert!(!l.redirect_registered(refused), "{refused}");
        }
    }

    #[test]
    fn a_used_refresh_token_works_again_unless_rotation_is_strict() {
        let mut lenient = Login::new(None, Duration::from_secs(60), 1, false);
        let rt = lenient.issue_refresh();
        assert_eq!(refresh(&mut lenient, &rt), 200);
        assert_eq!(refresh(&mut lenient, &rt), 200, "as at Microsoft");
        assert_eq!(refresh(&mut lenient, "rt-never-issued"), 400);

        let mut strict = Login::new(None, Duration::from_secs(60), 1, true);
        let rt = strict.issue_refresh();
        assert_eq!(refresh(&mut strict, &rt), 200);
        assert_eq!(refresh(&mut strict, &rt), 400);
    }
}
