//! TLS (issue 7): a self-signed Oro server is reached only when its
//! certificate's SHA-256 fingerprint is pinned (`[oro] tls_fingerprint`);
//! any other certificate is refused, and without a pin the OS roots decide
//! (a self-signed certificate is refused). Verification is never off.

use orosync::config::Config;
use orosync::oro::http_client_pinned;
use orosync::oro::tls::{self, Fingerprint, Probe, ProbeError};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TLS server on loopback with a fresh self-signed certificate; answers
/// every request "200 ok". Returns its port and the certificate.
async fn self_signed_server() -> (u16, Vec<u8>) {
    let (port, der, _) = counting_self_signed_server().await;
    (port, der)
}

/// As [`self_signed_server`], also counting the HTTP requests it received.
async fn counting_self_signed_server() -> (u16, Vec<u8>, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let der = ck.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der.clone())], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, der, requests)
}

async fn get(port: u16, pin: Option<Fingerprint>) -> Result<String, String> {
    let c = http_client_pinned(Duration::from_secs(5), pin).map_err(|e| e.to_string())?;
    let r = c
        .get(format!("https://localhost:{port}/api/userprofile"))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    r.text().await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_pinned_certificate_is_trusted() {
    let (port, der) = self_signed_server().await;
    let pin = Fingerprint::of(&der);
    assert_eq!(get(port, Some(pin)).await.unwrap(), "ok");

    let mut other = pin;
    other.0[0] ^= 1;
    let e = get(port, Some(other)).await.unwrap_err();
    assert!(e.contains("not the pinned one"), "{e}");

    // No pin: the OS roots do not know a self-signed certificate.
    let e = get(port, None).await.unwrap_err();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
}

#[test]
fn the_fingerprint_is_validated_in_the_config() {
    let base = |url: &str, extra: &str| {
        format!("[oro]\nurl = \"{url}\"\nusername = \"j\"\n{extra}\n[outlook]\nclient_id = \"c\"\n")
    };
    let hex = "0A".repeat(32);
    let ok = Config::parse(&base(
        "https://crm.example.com",
        &format!("tls_fingerprint = \"sha256:{hex}\""),
    ))
    .unwrap();
    let f = ok.oro.tls_fingerprint.expect("pinned");
    assert_eq!(f.0, [0x0a; 32]);
    // Written back the same way.
    let again = Config::parse(&ok.to_toml()).unwrap();
    assert_eq!(again.oro.tls_fingerprint, Some(f));

    for (url, value, needle) in [
        ("https://crm.example.com", "\"sha1:00\"", "sha256:"),
        ("https://crm.example.com", "\"sha256:xyz\"", "64 hex"),
        ("https://crm.example.com", "42", "tls_fingerprint"),
        (
            "http://127.0.0.1:8080",
            &format!("\"sha256:{hex}\""),
            "https://",
        ),
    ] {
        let e = Config::parse(&base(url, &format!("tls_fingerprint = {value}")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("oro.tls_fingerprint") && e.contains(needle),
            "{e}"
        );
    }
}

fn probe(port: u16, pin: Option<Fingerprint>) -> Result<Probe, ProbeError> {
    tls::probe(
        &format!("https://localhost:{port}"),
        pin,
        Duration::from_secs(5),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_shows_an_untrusted_certificate_and_sends_nothing() {
    let (port, der, requests) = counting_self_signed_server().await;
    let got = tokio::task::spawn_blocking(move || probe(port, None))
        .await
        .unwrap()
        .unwrap();
    let Probe::Untrusted {
        certificate,
        reason,
    } = got
    else {
        panic!("{got:?}");
    };
    // The same format the config key takes, and the certificate's own hash.
    assert_eq!(certificate.fingerprint, Fingerprint::of(&der));
    assert_eq!(
        Fingerprint::parse(&certificate.fingerprint.to_string()).unwrap(),
        certificate.fingerprint
    );
    assert!(certificate.subject.contains("CN="), "{certificate:?}");
    assert_eq!(certificate.subject, certificate.issuer, "self-signed");
    let (from, to) = (
        certificate.not_before.unwrap(),
        certificate.not_after.unwrap(),
    );
    assert!(
        from < to && certificate.valid_at(chrono::Utc::now()),
        "{from} {to}"
    );
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    assert_eq!(requests.load(Ordering::SeqCst), 0, "no request was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_tells_the_pinned_certificate_from_a_changed_one() {
    let (port, der, requests) = counting_self_signed_server().await;
    let pin = Fingerprint::of(&der);
    let got = tokio::task::spawn_blocking(move || probe(port, Some(pin)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, Probe::Pinned);

    let mut old = pin;
    old.0[5] ^= 0x10;
    let got = tokio::task::spawn_blocking(move || probe(port, Some(old)))
        .await
        .unwrap()
        .unwrap();
    match got {
        Probe::Changed {
            pinned,
            certificate,
        } => {
            assert_eq!(pinned, old);
            assert_eq!(certificate.fingerprint, pin);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_reports_what_it_cannot_tell() {
    // Nobody listening: a port held closed for the whole test (not one
    // bound and dropped, which anyone could take before the probe connects).
    let closed = orosync_testkit::closed_port::ClosedPort::new();
    // Plain http (loopback): no certificate involved, nothing contacted.
    assert_eq!(
        tls::probe(&closed.url(), None, Duration::from_secs(1)).unwrap(),
        Probe::NotTls
    );
    let port = closed.port();
    let e = tokio::task::spawn_blocking(move || probe(port, None))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, ProbeError::Unreachable { .. }), "{e}");
    // A server that does not speak TLS.
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = plain.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = plain.accept().await {
            let _ = s
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let e = tokio::task::spawn_blocking(move || probe(port, None))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, ProbeError::Handshake { .. }), "{e}");
    assert!(e.to_string().contains(&format!("localhost:{port}")), "{e}");
    assert!(matches!(
        tls::probe("ftp://x", None, Duration::from_secs(1)),
        Err(ProbeError::BadUrl(_))
    ));
}
