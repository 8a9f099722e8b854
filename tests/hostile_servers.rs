//! Servers (or what stands between us and them) that answer in ways meant
//! to hurt: a gateway that answers 504 after the create landed, one that
//! drops the connection after forwarding, a redirect to another origin that
//! would collect our credentials, an endless answer. Small hostile servers on
//! loopback (free ports), in front of the fakes or on their own; see
//! docs/reliability.md "Hostile servers".

mod support;

use orosync::graph::auth::{AuthConfig, AuthError, TokenManager};
use orosync::graph::{http_client, GraphClient, GraphConfig};
use orosync::oro::{OroAuth, OroClient, OroConfig, Secret};
use orosync::secrets::{MemorySecrets, SecretStore, OUTLOOK_REFRESH_TOKEN};
use orosync::sides::StoreError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Picture, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ------------------------------------------------------------ loopback HTTP

/// One HTTP/1.1 request as read off the wire.
struct Request {
    method: String,
    path: String,
    /// Header lines, without the request line.
    headers: Vec<String>,
    body: Vec<u8>,
}

/// Read one request (head and a Content-Length body); `None` on EOF.
async fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<String> = lines.map(str::to_string).collect();
    let len: usize = headers
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

async fn listen() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

/// What a hostile proxy does to the requests it picks, after it forwarded
/// them to the real (fake) server.
#[derive(Clone, Copy, Debug)]
enum Harm {
    /// Answer this 5xx, as a gateway that stopped waiting (504), lost the
    /// server's answer (502), or a server that failed after its commit (500).
    Status(u16),
    /// Reset the connection without an answer.
    Reset,
}

/// A proxy on loopback in front of a fake: forwards every request (one per
/// connection), and does `harm` to the next `times` requests that `pick`
/// chooses, after the server has applied them.
struct HostileProxy {
    port: u16,
}

type Pick = dyn Fn(&Request) -> bool + Send + Sync;

impl HostileProxy {
    async fn start(backend: u16, harm: Harm, times: usize, pick: Arc<Pick>) -> HostileProxy {
        let (listener, port) = listen().await;
        let left = Arc::new(AtomicUsize::new(times));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pick = pick.clone();
                let left = left.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut client).await else {
                        return;
                    };
                    let answer = forward(backend, &req).await;
                    let harmed = pick(&req)
                        && left
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                    if !harmed {
                        let _ = client.write_all(&answer).await;
                        let _ = client.shutdown().await;
                        return;
                    }
                    match harm {
                        Harm::Status(code) => {
                            let page = format!("<html><body>{code} from the gateway</body></html>");
                            let _ = client
                                .write_all(
                                    format!(
                                        "HTTP/1.1 {code} Gateway Error\r\ncontent-type: text/html\r\n\
                                         content-length: {}\r\nconnection: close\r\n\r\n{page}",
                                        page.len()
                                    )
                                    .as_bytes(),
                                )
                                .await;
                            let _ = client.shutdown().await;
                        }
                        Harm::Reset => {
                            // RST instead of FIN: SO_LINGER 0, then close
                            // (a zero linger resets at once, never blocks,
                            // which is what the deprecation warns of).
                            #[allow(deprecated)]
                            let _ = client.set_linger(Some(Duration::ZERO));
                            drop(client);
                        }
                    }
                });
            }
        });
        HostileProxy { port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Send `req` to the backend on a connection of its own and read the whole
/// answer (the connection is closed after it).
async fn forward(backend: u16, req: &Request) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", backend))
        .await
        .expect("backend");
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
    for h in &req.headers {
        if !h.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(h);
            head.push_str("\r\n");
        }
    }
    head.push_str("connection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.expect("forward");
    s.write_all(&req.body).await.expect("forward");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await.expect("answer");
    answer
}

/// A server that counts the connections it gets and keeps what it was
/// sent: where a redirect would take our credentials.
struct Capture {
    port: u16,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Capture {
    async fn start() -> Capture {
        let (listener, port) = listen().await;
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (c, r) = (connections.clone(), received.clone());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                tokio::spawn(async move {
                    if let Some(req) = read_request(&mut s).await {
                        let mut got = r.lock().unwrap();
                        got.extend_from_slice(req.headers.join("\n").as_bytes());
                        got.extend_from_slice(&req.body);
                    }
                    let _ = s
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                        )
                        .await;
                });
            }
        });
        Capture {
            port,
            connections,
            received,
        }
    }

    /// Nothing reached it: no connection at all.
    fn assert_untouched(&self, case: &str) {
        assert_eq!(
            self.connections.load(Ordering::SeqCst),
            0,
            "{case}: the other origin was contacted and received: {}",
            String::from_utf8_lossy(&self.received.lock().unwrap())
        );
    }
}

/// Answers every request with `status` and a Location on `target` (same
/// path and query).
async fn redirector(status: u16, target: String) -> u16 {
    let (listener, port) = listen().await;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                while let Some(req) = read_request(&mut s).await {
                    let answer = format!(
                        "HTTP/1.1 {status} Moved\r\nlocation: {target}{}\r\ncontent-length: 0\r\n\r\n",
                        req.path
                    );
                    if s.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Answers every request with 200 and a body that never ends (chunked),
/// or, with `announce`, a Content-Length of 1 GiB and then a trickle.
async fn endless(announce: bool) -> u16 {
    let (listener, port) = listen().await;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut s).await.is_none() {
                    return;
                }
                if announce {
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                content-length: 1073741824\r\n\r\n[";
                    let _ = s.write_all(head.as_bytes()).await;
                    // Then nothing more: the client must not wait for it.
                    let mut sink = [0u8; 64];
                    let _ = s.read(&mut sink).await;
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let data = vec![b' '; 256 * 1024];
                let chunk = [
                    format!("{:x}\r\n", data.len()).into_bytes(),
                    data,
                    b"\r\n".to_vec(),
                ]
                .concat();
                // Until the client hangs up.
                while s.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    port
}

// ------------------------------------------------------------ clients

fn oro_client(url: &str, auth: OroAuth) -> OroClient {
    let mut cfg = OroConfig::new(url, "jane", auth);
    cfg.timeout = Duration::from_secs(10);
    OroClient::new(cfg).expect("client")
}

fn wsse() -> OroAuth {
    OroAuth::Wsse {
        api_key: Secret::new("the-wsse-api-key"),
    }
}

/// Tokens from a fake Graph; the API itself at `graph_url`.
async fn graph_client(graph_url: &str) -> (orosync_fakes::graph::FakeGraph, GraphClient) {
    let fake = orosync_fakes::graph::FakeGraph::start(Default::default())
        .await
        .expect("fake Graph");
    let secrets = MemorySecrets::new();
    secrets
        .set(
            OUTLOOK_REFRESH_TOKEN,
            &Secret::new(fake.issue_refresh_token()),
        )
        .unwrap();
    let auth = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let tokens = TokenManager::new(
        http_client(Duration::from_secs(10)),
        auth,
        Arc::new(secrets),
    );
    let mut cfg = GraphConfig::new(graph_url, chrono_tz::UTC, "https://crm.example.com/");
    cfg.timeout = Duration::from_secs(10);
    cfg.max_attempts = 2;
    let client = GraphClient::new(cfg, Arc::new(tokens)).expect("client");
    (fake, client)
}

fn message(e: &StoreError) -> String {
    e.to_string()
}

// ------------------------------------------------------------ redirects

/// The other origins a redirect may point at: another port of the same
/// host (reqwest strips nothing then) and another host name.
fn elsewhere(cap: &Capture) -> Vec<String> {
    vec![
        format!("http://127.0.0.1:{}", cap.port),
        format!("http://localhost:{}", cap.port),
    ]
}

#[tokio::test]
async fn the_wsse_header_does_not_follow_a_redirect_to_another_origin() {
    for status in [302, 307] {
        let cap = Capture::start().await;
        for target in elsewhere(&cap) {
            let port = redirector(status, target.clone()).await;
            let oro = oro_client(&format!("http://127.0.0.1:{port}"), wsse());
            let e = oro.user_id().await.expect_err("a refused redirect fails");
            cap.assert_untouched(&format!("WSSE, {status} to {target}"));
            let m = message(&e);
            assert!(matches!(e, StoreError::Unavailable(_)), "{m}");
            assert!(
                m.contains(&format!(
                    "Oro redirected to {target}/api/userprofile; not followed"
                )),
                "{status} to {target}: {m}"
            );
            assert!(!m.contains("the-wsse-api-key"), "{m}");
        }
    }
}

#[tokio::test]
async fn the_oro_client_secret_is_not_posted_to_another_origin() {
    let cap = Capture::start().await;
    for target in elsewhere(&cap) {
        let port = redirector(307, target.clone()).await;
        let oro = oro_client(
            &format!("http://127.0.0.1:{port}"),
            OroAuth::ClientCredentials {
                client_id: "app".into(),
                client_secret: Secret::new("the-client-secret"),
            },
        );
        let e = oro.user_id().await.expect_err("a refused redirect fails");
        cap.assert_untouched(&format!("OAuth2 token, 307 to {target}"));
        let m = message(&e);
        assert!(
            m.contains(&format!(
                "Oro redirected to {target}/oauth2-token; not followed"
            )),
            "{target}: {m}"
        );
        assert!(!m.contains("the-client-secret"), "{m}");
    }
}

#[tokio::test]
async fn the_graph_bearer_token_does_not_follow_a_redirect_to_another_origin() {
    let cap = Capture::start().await;
    for target in elsewhere(&cap) {
        let port = redirector(302, target.clone()).await;
        let (_fake, graph) = graph_client(&format!("http://127.0.0.1:{port}/v1.0")).await;
        let e = graph
            .default_todo_list()
            .await
            .expect_err("a refused redirect fails");
        cap.assert_untouched(&format!("Graph API, 302 to {target}"));
        let m = message(&e);
        assert!(matches!(e, StoreError::Unavailable(_)), "{m}");
        assert!(
            m.contains(&format!(
                "Microsoft redirected to {target}/v1.0/me/todo/lists; not followed"
            )),
            "{target}: {m}"
        );
    }
}

#[tokio::test]
async fn the_refresh_token_is_not_posted_to_another_origin() {
    let cap = Capture::start().await;
    for target in elsewhere(&cap) {
        let port = redirector(307, target.clone()).await;
        let secrets = MemorySecrets::new();
        secrets
            .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("the-refresh-token"))
            .unwrap();
        let auth = AuthConfig::new(&format!("http://127.0.0.1:{port}"), "common", "app");
        let tokens = TokenManager::new(
            http_client(Duration::from_secs(10)),
            auth,
            Arc::new(secrets),
        );
        let e = tokens.access_token().await.expect_err("refused redirect");
        cap.assert_untouched(&format!("token endpoint, 307 to {target}"));
        let m = e.to_string();
        assert!(matches!(e, AuthError::Unavailable(_)), "{m}");
        assert!(
            m.contains(&format!(
                "Microsoft redirected to {target}/common/oauth2/v2.0/token; not followed"
            )),
            "{target}: {m}"
        );
        assert!(!m.contains("the-refresh-token"), "{m}");
    }
}

#[tokio::test]
async fn a_redirect_from_https_to_http_is_refused() {
    // A self-signed Oro (pinned) whose answer points at plain http.
    let cap = Capture::start().await;
    let target = format!("http://localhost:{}", cap.port);
    let port = redirector(302, target.clone()).await;
    let front = support::TlsFront::start(port).await;
    let mut cfg = OroConfig::new(&front.url(), "jane", wsse());
    cfg.tls_fingerprint = Some(front.fingerprint());
    cfg.timeout = Duration::from_secs(10);
    let oro = OroClient::new(cfg).expect("client");
    let e = oro.user_id().await.expect_err("refused");
    cap.assert_untouched("https to http");
    let m = message(&e);
    assert!(
        m.contains(&format!(
            "Oro redirected to {target}/api/userprofile; not followed: it leaves https"
        )),
        "{m}"
    );
}

#[tokio::test]
async fn a_redirect_within_the_same_origin_is_still_followed() {
    // The fake Oro behind a redirector on its own port would be another
    // origin; a same-origin redirect is the fake's own path moved: the
    // redirector sends /x to the same port, which then answers 404 there.
    let (listener, port) = listen().await;
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let h = h.clone();
            tokio::spawn(async move {
                while let Some(req) = read_request(&mut s).await {
                    h.fetch_add(1, Ordering::SeqCst);
                    let answer = if req.path.starts_with("/moved") {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_string()
                    } else {
                        format!(
                            "HTTP/1.1 301 Moved\r\nlocation: http://127.0.0.1:{port}/moved{}\r\n\
                             content-length: 0\r\n\r\n",
                            req.path
                        )
                    };
                    if s.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let oro = oro_client(&format!("http://127.0.0.1:{port}"), wsse());
    let e = oro.user_id().await.expect_err("404 in the end");
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "the redirect was followed");
}

// ------------------------------------------------------------ Retry-After as a date

/// Answers the first request `first_status` with a `Date` an hour behind
/// the real clock and a `Retry-After` HTTP-date two seconds after that
/// `Date`; every later request 404. Returns the port and the instants the
/// requests arrived. Measured against our own clock the date is an hour
/// past (no wait); against the answer's `Date` it is a 2 s wait.
async fn retry_after_a_date(first_status: u16) -> (u16, Arc<Mutex<Vec<std::time::Instant>>>) {
    let (listener, port) = listen().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                while read_request(&mut s).await.is_some() {
                    let n = {
                        let mut l = log.lock().unwrap();
                        l.push(std::time::Instant::now());
                        l.len()
                    };
                    let answer = if n == 1 {
                        let date = chrono::Utc::now() - chrono::Duration::hours(1);
                        let http = |t: chrono::DateTime<chrono::Utc>| {
                            t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
                        };
                        format!(
                            "HTTP/1.1 {first_status} Wait\r\ndate: {}\r\nretry-after: {}\r\n\
                             content-length: 0\r\n\r\n",
                            http(date),
                            http(date + chrono::Duration::seconds(2))
                        )
                    } else {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_string()
                    };
                    if s.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

/// The wait between the first two requests, which must be the date's 2 s
/// (a lower bound only: a loaded machine can only make it longer; without
/// the date the retry comes after 0.1 to 0.2 s of backoff).
fn waited(seen: &Mutex<Vec<std::time::Instant>>) -> Duration {
    let l = seen.lock().unwrap();
    assert!(
        l.len() >= 2,
        "the request was not retried ({} seen)",
        l.len()
    );
    l[1] - l[0]
}

#[tokio::test]
async fn oro_waits_for_a_retry_after_date_measured_against_the_answers_date() {
    let (port, seen) = retry_after_a_date(503).await;
    let oro = oro_client(&format!("http://127.0.0.1:{port}"), wsse());
    let e = oro.user_id().await.expect_err("404 after the wait");
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let w = waited(&seen);
    assert!(w >= Duration::from_millis(1800), "retried after {w:?}");
}

#[tokio::test]
async fn graph_waits_for_a_retry_after_date_measured_against_the_answers_date() {
    let (port, seen) = retry_after_a_date(429).await;
    let (_fake, graph) = graph_client(&format!("http://127.0.0.1:{port}")).await;
    use orosync::sides::OutlookStore;
    let _ = graph.get(orosync::model::Kind::Tasks, "x").await;
    let w = waited(&seen);
    assert!(w >= Duration::from_millis(1800), "retried after {w:?}");
}

// ------------------------------------------------------------ huge answers

#[tokio::test]
async fn an_endless_oro_answer_fails_the_request_at_64_mib() {
    for announce in [true, false] {
        let port = endless(announce).await;
        let oro = oro_client(&format!("http://127.0.0.1:{port}"), wsse());
        let e = oro.user_id().await.expect_err("too large");
        let m = message(&e);
        assert!(matches!(e, StoreError::Malformed(_)), "{m}");
        assert!(
            m.contains("GET /api/userprofile: answer larger than 64 MiB"),
            "announced {announce}: {m}"
        );
    }
}

#[tokio::test]
async fn an_endless_graph_answer_fails_the_request_at_64_mib() {
    for announce in [true, false] {
        let port = endless(announce).await;
        let (_fake, graph) = graph_client(&format!("http://127.0.0.1:{port}/v1.0")).await;
        let e = graph.default_todo_list().await.expect_err("too large");
        let m = message(&e);
        assert!(matches!(e, StoreError::Malformed(_)), "{m}");
        assert!(
            m.contains("/v1.0/me/todo/lists: answer larger than 64 MiB"),
            "announced {announce}: {m}"
        );
    }
}

#[tokio::test]
async fn an_endless_token_endpoint_answer_fails_at_64_mib() {
    for announce in [true, false] {
        let port = endless(announce).await;
        let url = format!("http://127.0.0.1:{port}");
        // Oro's /oauth2-token.
        let oro = oro_client(
            &url,
            OroAuth::ClientCredentials {
                client_id: "app".into(),
                client_secret: Secret::new("the-client-secret"),
            },
        );
        let m = message(&oro.user_id().await.expect_err("too large"));
        assert!(
            m.contains("answer larger than 64 MiB"),
            "Oro, {announce}: {m}"
        );
        // The Microsoft token endpoint.
        let secrets = MemorySecrets::new();
        secrets
            .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("the-refresh-token"))
            .unwrap();
        let auth = AuthConfig::new(&url, "common", "app");
        let tokens = TokenManager::new(
            http_client(Duration::from_secs(10)),
            auth,
            Arc::new(secrets),
        );
        let m = tokens
            .access_token()
            .await
            .expect_err("too large")
            .to_string();
        assert!(
            m.contains("token endpoint 200: answer larger than 64 MiB"),
            "Microsoft, {announce}: {m}"
        );
    }
}

// ------------------------------------------------------------ creates

/// Lines of a picture that occur twice on one side: a record made twice.
fn twice(p: &Picture) -> Vec<String> {
    let mut out = vec![];
    for side in [&p.oro, &p.outlook] {
        for w in side.windows(2) {
            if w[0] == w[1] {
                out.push(w[0].clone());
            }
        }
    }
    out
}

async fn reference() -> support::Outcome {
    let w = World::new().await;
    w.seed_first();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    w.outcome()
}

/// A world whose Oro (or Graph) is reached through a hostile proxy.
async fn behind(harm: Harm, oro_pick: Option<Arc<Pick>>, graph_pick: Option<Arc<Pick>>) -> World {
    let w = World::new().await;
    w.seed_first();
    let mut text = w.config_text("");
    if let Some(pick) = oro_pick {
        let p = HostileProxy::start(support::port_of(&w.oro.url()), harm, 1, pick).await;
        text = text.replace(&w.oro.url(), &p.url());
    }
    if let Some(pick) = graph_pick {
        let p = HostileProxy::start(support::port_of(&w.graph.url()), harm, 1, pick).await;
        text = text.replace(&w.graph.url(), &format!("{}/v1.0", p.url()));
    }
    std::fs::write(w.profile().join("config.toml"), text).unwrap();
    w
}

/// The faulty run ends with one clear line, made nothing twice; a rerun
/// (through the same proxy, now harmless) reaches the outcome of a run
/// that met no fault with as many creates on each side.
async fn check(name: &str, w: &World, reference: &support::Outcome) {
    let r = w.sync("bidirectional").await;
    // A create whose fate is unknown ends the run as a server failing:
    // exit 4 (docs/cli.md, "Exit status").
    assert_eq!(r.code, 4, "{name}: the harmed create ends the run");
    let line = r.stderr.lines().last().unwrap_or("");
    assert!(line.starts_with("orosync: "), "{name}: {}", r.stderr);
    eprintln!("{name}: exit {}: {line}", r.code);
    if name.contains("/api/") {
        assert!(
            line.contains("may have been created; the next run finds it"),
            "{name}: {line}"
        );
    }
    assert!(
        twice(&w.picture()).is_empty(),
        "{name}: {:?}",
        twice(&w.picture())
    );
    assert!(
        w.state_problems().is_empty(),
        "{name}: {:?}",
        w.state_problems()
    );
    w.rerun_matches(name, reference).await;
}

fn oro_create(prefix: &'static str) -> Arc<Pick> {
    Arc::new(move |r: &Request| r.method == "POST" && r.path.starts_with(prefix))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oro_create_answered_5xx_or_reset_after_it_landed_is_made_once() {
    let reference = reference().await;
    for harm in [Harm::Status(504), Harm::Reset] {
        for prefix in [
            "/api/contacts",
            "/api/tasks",
            "/api/rest/latest/calendarevents",
        ] {
            let w = behind(harm, Some(oro_create(prefix)), None).await;
            check(&format!("{harm:?} on POST {prefix}"), &w, &reference).await;
        }
    }
    // The other answers that may follow a commit.
    for code in [502, 500] {
        let w = behind(Harm::Status(code), Some(oro_create("/api/contacts")), None).await;
        check(&format!("{code} on POST /api/contacts"), &w, &reference).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_create_batch_answered_5xx_or_reset_after_it_landed_is_made_once() {
    let reference = reference().await;
    let creates: Arc<Pick> = Arc::new(|r: &Request| {
        r.method == "POST"
            && r.path.ends_with("/$batch")
            && String::from_utf8_lossy(&r.body).contains(r#""method":"POST""#)
    });
    for harm in [Harm::Status(504), Harm::Status(502), Harm::Reset] {
        let w = behind(harm, None, Some(creates.clone())).await;
        check(&format!("{harm:?} on a $batch of creates"), &w, &reference).await;
    }
}
