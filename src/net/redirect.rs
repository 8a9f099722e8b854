//! Redirects are followed only within one origin (scheme, host and port).
//!
//! reqwest's default policy follows up to ten redirects anywhere and strips
//! only `Authorization`, `Cookie` and `WWW-Authenticate` when the host
//! changes: Oro's `X-WSSE` header would go to another host, every header to
//! another port of the same host, and a 307/308 re-posts the body (a client
//! secret, a refresh token) wherever it points. So a redirect that leaves
//! the origin of the first request, or goes from https to http, is not
//! followed at all: the request fails with [`RedirectRefused`], which says
//! where the server pointed (docs/reliability.md "Hostile servers").

use reqwest::redirect::{Attempt, Policy};
use url::Url;

/// More hops than this within one origin is a loop.
const MAX_HOPS: usize = 10;

/// A redirect that was not followed; the request failed with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} redirected to {to}; not followed: {why}")]
pub struct RedirectRefused {
    pub service: &'static str,
    /// Where the server pointed: origin and path, never the query.
    pub to: String,
    pub why: &'static str,
}

/// Why a hop from `first` (the URL first asked for) to `next` must not be
/// followed, if it must not.
pub fn refuse(first: &Url, next: &Url) -> Option<&'static str> {
    if first.scheme() == "https" && next.scheme() != "https" {
        return Some("it leaves https for an unencrypted connection");
    }
    if first.scheme() != next.scheme()
        || first.host_str() != next.host_str()
        || first.port_or_known_default() != next.port_or_known_default()
    {
        return Some(
            "another origin (scheme, host or port) than the one configured; \
             credentials are sent only there (set the URL to this one if it is right)",
        );
    }
    None
}

/// A URL as shown in messages: origin and path, no query or user info.
fn shown(u: &Url) -> String {
    format!("{}{}", u.origin().ascii_serialization(), u.path())
}

/// The policy every client uses; `service` names the server in errors.
pub fn same_origin_only(service: &'static str) -> Policy {
    Policy::custom(move |attempt: Attempt| {
        let why = match attempt.previous().first() {
            Some(first) => refuse(first, attempt.url()),
            None => Some("a redirect without a request"),
        };
        let why =
            why.or_else(|| (attempt.previous().len() > MAX_HOPS).then_some("too many redirects"));
        match why {
            None => attempt.follow(),
            Some(why) => {
                let to = shown(attempt.url());
                attempt.error(RedirectRefused { service, to, why })
            }
        }
    })
}

/// The refused redirect behind a failed request, if that is what it was.
pub fn redirect_refused(e: &reqwest::Error) -> Option<&RedirectRefused> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = cur {
        if let Some(r) = s.downcast_ref::<RedirectRefused>() {
            return Some(r);
        }
        cur = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_the_same_origin_is_followed() {
        let first = u("https://crm.example.com/api/contacts");
        assert_eq!(
            refuse(&first, &u("https://crm.example.com/api/x?y=1")),
            None
        );
        assert_eq!(refuse(&first, &u("https://crm.example.com:443/z")), None);
        for other in [
            "https://crm.example.com:8443/api",
            "https://evil.example.com/api",
            "http://crm.example.com/api",
            "http://crm.example.com:443/api",
        ] {
            assert!(refuse(&first, &u(other)).is_some(), "{other} was allowed");
        }
        assert!(refuse(&first, &u("http://crm.example.com/"))
            .unwrap()
            .contains("unencrypted"));
        // http → https changes the origin too (another scheme and port).
        assert!(refuse(
            &u("http://crm.example.com/"),
            &u("https://crm.example.com/")
        )
        .is_some());
    }

    #[test]
    fn the_refusal_shows_no_query() {
        let r = RedirectRefused {
            service: "Oro",
            to: shown(&u("http://user:pw@other:81/path?token=abc")),
            why: "x",
        };
        assert_eq!(
            r.to_string(),
            "Oro redirected to http://other:81/path; not followed: x"
        );
    }
}
