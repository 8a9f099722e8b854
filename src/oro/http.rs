//! One request to Oro with authentication, retries and backoff.

use super::error::describe_transport;
use super::OroClient;
use crate::clock::Clock;
use crate::net::BodyError;
use crate::sides::{backoff, StoreError, StoreResult};
use reqwest::{Method, StatusCode};
use std::time::Duration;

pub(crate) const JSON_API: &str = "application/vnd.api+json";
pub(crate) const JSON: &str = "application/json";

/// Whether a request may be sent twice. A create that failed after it was
/// sent may have been applied, and sending it again would make a second
/// record, so a create is sent again only when the server said it did
/// nothing (429, 503) or the connection was never made. A 500, 502 or 504
/// may come after Oro committed the create (a gateway that gave up waiting
/// for it), as may a timeout or a connection dropped after sending: the run
/// ends there and the next one finds the record through the create journal
/// (docs/reliability.md "Hostile servers").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    Idempotent,
    Create,
}

impl Retry {
    /// Whether an answer with this status is worth sending the request again.
    fn again_after(self, status: StatusCode) -> bool {
        match self {
            Retry::Idempotent => status.as_u16() == 429 || status.is_server_error(),
            Retry::Create => matches!(status.as_u16(), 429 | 503),
        }
    }
}

/// A complete answer (status and body read in full).
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// Said of a create whose fate is unknown (what the user can expect).
const MAY_HAVE_LANDED: &str =
    "the record may have been created; the next run finds it instead of creating it again";

/// Longest Retry-After we honour; beyond it the run should rather end.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl OroClient {
    /// Send a request; `path` starts with `/` and is already escaped.
    /// Answers other than transport failures, 401, 429 and 5xx are returned
    /// as they are for the caller to interpret.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(&'static str, Vec<u8>)>,
        accept: &'static str,
        retry: Retry,
    ) -> StoreResult<Reply> {
        let url = format!("{}{}", self.config.base_url, path);
        let mut last = String::new();
        let mut reauthorised = false;
        let mut attempt = 0u32;
        let mut wait: Option<Duration> = None;
        while attempt < self.config.max_attempts {
            if let Some(d) = wait.take() {
                tokio::time::sleep(d).await;
            }
            attempt += 1;
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header(reqwest::header::ACCEPT, accept);
            for (k, v) in self.auth.headers(&self.http).await? {
                req = req.header(k, v);
            }
            if let Some((ct, bytes)) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, *ct)
                    .body(bytes.clone());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last = describe_transport(&e);
                    tracing::debug!(%method, path, attempt, "oro request failed: {last}");
                    // A refused redirect would be refused again.
                    if crate::net::redirect_refused(&e).is_some() {
                        return Err(StoreError::Unavailable(format!("{method} {path}: {last}")));
                    }
                    if retry == Retry::Create && !e.is_connect() {
                        last = format!("{last}; {MAY_HAVE_LANDED}");
                        break;
                    }
                    wait = Some(backoff(attempt - 1, None));
                    continue;
                }
            };
            let status = resp.status();
            let after = crate::net::retry_after(resp.headers(), crate::clock::SystemClock.now())
                .map(|d| d.min(MAX_RETRY_AFTER));
            let server_date = resp
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::net::retry_after::http_date);
            let bytes = match crate::net::read_capped(resp, crate::net::MAX_BODY).await {
                Ok(b) => b,
                Err(BodyError::TooLarge(_)) => {
                    // Reading it again would take as long for nothing.
                    return Err(StoreError::Malformed(format!(
                        "{method} {path}: {}",
                        BodyError::TooLarge(crate::net::MAX_BODY)
                    )));
                }
                Err(BodyError::Transport(e)) => {
                    last = describe_transport(&e);
                    if retry == Retry::Create {
                        last = format!("{last}; {MAY_HAVE_LANDED}");
                        break;
                    }
                    wait = Some(backoff(attempt - 1, None));
                    continue;
                }
            };
            if status == StatusCode::UNAUTHORIZED
                && !reauthorised
                && (self.auth.unauthorized().await || self.auth.server_clock(server_date))
            {
                // One new token, then the answer stands. Not counted as an
                // attempt: it is not the server failing.
                reauthorised = true;
                attempt -= 1;
                continue;
            }
            if retry.again_after(status) {
                last = format!("{status} on {method} {path}");
                tracing::debug!(%method, path, attempt, "oro answered {status}, retrying");
                wait = Some(backoff(attempt - 1, after));
                continue;
            }
            if retry == Retry::Create && status.is_server_error() {
                // Said here rather than left to the caller's reading of the
                // status: what the user should know is that it is not lost.
                return Err(StoreError::Unavailable(format!(
                    "{method} {path}: {status}; {MAY_HAVE_LANDED}"
                )));
            }
            return Ok(Reply {
                status,
                body: bytes,
            });
        }
        Err(StoreError::Unavailable(format!(
            "{method} {path}: {last} (after {attempt} attempt(s))"
        )))
    }
}
