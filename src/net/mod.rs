//! What every HTTP client of OroSync shares, so that no client can be built
//! without it: redirects followed only within the origin the credentials
//! were meant for ([`redirect`]), answers read with a size cap ([`body`]),
//! and `Retry-After` read in both of its forms ([`retry_after`]).
//! See docs/reliability.md "Hostile servers".

pub mod body;
pub mod redirect;
pub mod retry_after;

pub use body::{read_capped, BodyError, MAX_BODY};
pub use redirect::{redirect_refused, RedirectRefused};
pub use retry_after::retry_after;

use std::time::Duration;

/// The one constructor of `reqwest::Client` in the library. `service` names
/// the server in errors ("Oro", "Microsoft Graph", ...); `tls` replaces the
/// OS roots (a pinned certificate).
pub fn client(
    service: &'static str,
    timeout: Duration,
    tls: Option<rustls::ClientConfig>,
) -> Result<reqwest::Client, reqwest::Error> {
    let mut b = reqwest::Client::builder();
    if let Some(cfg) = tls {
        b = b.use_preconfigured_tls(cfg);
    }
    b.timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(redirect::same_origin_only(service))
        .user_agent(concat!("orosync/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A transport failure in words, without the URL (query strings may carry
/// tokens) and without anything from the request; a refused redirect says
/// where it led and why it was not followed.
pub fn describe(e: &reqwest::Error) -> String {
    if let Some(r) = redirect_refused(e) {
        return r.to_string();
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the answer"
    } else {
        "request failed"
    };
    let mut msg = what.to_string();
    let first: Option<&dyn std::error::Error> = std::error::Error::source(e);
    if let Some(s) = first {
        msg.push_str(&format!(" ({s})"));
        // The cause that says what to do (a refused certificate) is at the
        // bottom of the chain, under hyper's generic "client error (Connect)".
        let mut root = s;
        while let Some(next) = root.source() {
            root = next;
        }
        if !std::ptr::addr_eq(root, s) {
            msg.push_str(&format!(": {root}"));
        }
    }
    msg
}
