//! The loopback HTTP listener a browser sign-in comes back to (RFC 8252
//! §7.3), shared by the Oro and the Microsoft sign-in.
//!
//! Anything on this computer can connect to it, so it must not be stalled
//! or steered by a stray or hostile local client: every connection is
//! served in its own task with its own time limit (an idle connection
//! holds up nobody), a redirect whose `state` is not the one we sent is
//! answered and ignored (it does not end the sign-in), and the server text
//! shown on the page (`error`, `error_description`) is HTML-escaped. See
//! `docs/reliability.md`, "Hostile servers".

use crate::server_text;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// How long one connection may take to send its request head.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once per address; more are closed at once (a
/// browser needs two or three).
const MAX_CONNECTIONS: usize = 32;

/// A request head larger than this is no sign-in redirect.
const MAX_HEAD: usize = 16 * 1024;

/// Which loopback addresses to listen on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loopback {
    /// `127.0.0.1` only (the redirect names that address).
    Ipv4,
    /// `127.0.0.1` and `::1` on the same port, for a redirect to
    /// `http://localhost:PORT`: the browser may resolve `localhost` to
    /// either, and must find us on both (and nobody else on the other).
    Localhost,
}

/// Bound listeners waiting for one sign-in redirect.
pub struct RedirectListener {
    listeners: Vec<TcpListener>,
    port: u16,
}

/// What the redirect carried: its query parameters.
pub type Params = Vec<(String, String)>;

impl RedirectListener {
    /// Listen on `port` (0 = a free port chosen by the system).
    pub async fn bind(which: Loopback, port: u16) -> std::io::Result<RedirectListener> {
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        if which == Loopback::Ipv4 {
            let l = TcpListener::bind(v4).await?;
            let port = l.local_addr()?.port();
            return Ok(RedirectListener {
                listeners: vec![l],
                port,
            });
        }
        // A free IPv4 port may be taken on ::1 (by chance, or by a local
        // process waiting for our code): then try another one, as a browser
        // that picks ::1 would otherwise hand the code to that process.
        let tries = if port == 0 { 20 } else { 1 };
        let mut last = None;
        for _ in 0..tries {
            let l4 = TcpListener::bind(v4).await?;
            let p = l4.local_addr()?.port();
            match TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), p)).await {
                Ok(l6) => {
                    return Ok(RedirectListener {
                        listeners: vec![l4, l6],
                        port: p,
                    })
                }
                // No IPv6 on this machine: `localhost` cannot mean ::1 here.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported
                    ) || e.raw_os_error() == Some(97) =>
                {
                    return Ok(RedirectListener {
                        listeners: vec![l4],
                        port: p,
                    })
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no loopback port free")))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve every connection until a request for `path` carries `code` or
    /// `error` together with `state`; answer it with a page naming `what`
    /// (e.g. "Oro") and return its parameters. Requests for other paths,
    /// and redirects with another state, are answered and ignored.
    pub async fn wait(self, path: &str, state: &str, what: &str) -> std::io::Result<Params> {
        let (tx, mut rx) = mpsc::channel::<std::io::Result<Params>>(1);
        // Dropping this set (on return, or when the caller's timeout drops
        // us) aborts the accept loops, which abort their connections.
        let mut loops = JoinSet::new();
        for l in self.listeners {
            let expect = Expect {
                path: path.to_string(),
                state: state.to_string(),
                what: what.to_string(),
            };
            loops.spawn(accept_loop(l, expect, tx.clone()));
        }
        drop(tx);
        match rx.recv().await {
            Some(r) => r,
            None => Err(std::io::Error::other("loopback listener stopped")),
        }
    }
}

#[derive(Clone)]
struct Expect {
    path: String,
    state: String,
    what: String,
}

async fn accept_loop(l: TcpListener, expect: Expect, tx: mpsc::Sender<std::io::Result<Params>>) {
    let mut conns = JoinSet::new();
    loop {
        // Reap finished connections so the set does not grow.
        while conns.try_join_next().is_some() {}
        let sock = match l.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        if conns.len() >= MAX_CONNECTIONS {
            drop(sock);
            continue;
        }
        let (expect, tx) = (expect.clone(), tx.clone());
        conns.spawn(async move {
            if let Ok(Some(params)) =
                tokio::time::timeout(CONNECTION_TIMEOUT, serve(sock, &expect)).await
            {
                let _ = tx.send(Ok(params)).await;
            }
        });
    }
}

/// Read one request head, answer it, and return its parameters when it is
/// the redirect we wait for.
async fn serve(mut sock: TcpStream, expect: &Expect) -> Option<Params> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_HEAD {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string();
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    let params: Params = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let is_answer = get("code").is_some() || get("error").is_some();
    if path != expect.path || !is_answer {
        reply(&mut sock, "404 Not Found", "Not found", "Not found.").await;
        return None;
    }
    if get("state") != Some(expect.state.as_str()) {
        reply(
            &mut sock,
            "400 Bad Request",
            "OroSync",
            "This sign-in answer is not for the sign-in OroSync is waiting for, and was ignored.",
        )
        .await;
        return None;
    }
    match get("error") {
        Some(err) => {
            let text = format!(
                "The {} sign-in did not finish: {}{}",
                server_text::html(&expect.what),
                server_text::html(err),
                get("error_description")
                    .map(|d| format!(" ({})", server_text::html(d)))
                    .unwrap_or_default()
            );
            reply_html(&mut sock, "200 OK", "OroSync", &text).await;
        }
        None => {
            let what = server_text::html(&expect.what);
            let text = format!(
                "The {what} sign-in finished: OroSync is signed in to {what}. You can close this window."
            );
            reply_html(&mut sock, "200 OK", "OroSync", &text).await;
        }
    }
    Some(params)
}

async fn reply(sock: &mut TcpStream, status: &str, title: &str, text: &str) {
    reply_html(
        sock,
        status,
        &server_text::html(title),
        &server_text::html(text),
    )
    .await
}

/// `title` and `text` are HTML already.
async fn reply_html(sock: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><p>{text}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body.as_bytes()).await;
    let _ = sock.shutdown().await;
}
