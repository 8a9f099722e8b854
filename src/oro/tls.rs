//! TLS for the Oro client: rustls with the OS trust roots, or, for a
//! self-signed Oro server, only the certificate whose SHA-256 fingerprint
//! the user confirmed (`[oro] tls_fingerprint`). Pinning replaces the CA
//! check for that one server instead of turning verification off: any other
//! certificate is refused, and the handshake signature is still verified.

use chrono::{DateTime, Utc};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// A parsed `sha256:` fingerprint: 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// `sha256:` then 64 hex digits, optionally in colon-separated pairs
    /// (as browsers and `openssl x509 -fingerprint -sha256` print them).
    pub fn parse(s: &str) -> Result<Fingerprint, String> {
        let rest = s
            .trim()
            .strip_prefix("sha256:")
            .ok_or("must start with \"sha256:\"")?;
        let hex: String = rest.chars().filter(|c| *c != ':').collect();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("expected 64 hex digits after \"sha256:\"".into());
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Fingerprint(out))
    }

    /// The fingerprint of a DER certificate.
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sha256:")?;
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Pinned {
    pin: Fingerprint,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = Fingerprint::of(end_entity.as_ref());
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate {got} is not the pinned one, {} (oro.tls_fingerprint); \
                 if it was replaced on purpose, check it with the server's administrator and run \
                 `orosync login oro --trust-fingerprint {got}`",
                self.pin
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls configuration that trusts only the certificate `pin`.
pub fn pinned_config(pin: Fingerprint) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { pin, provider }))
            .with_no_client_auth(),
    )
}

/// What the user is shown before pinning a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The leaf certificate's SHA-256, as `[oro] tls_fingerprint` takes it.
    pub fingerprint: Fingerprint,
    /// Distinguished names as RFC 4514 text (`CN=crm.example.com, O=…`).
    pub subject: String,
    pub issuer: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
}

impl CertificateInfo {
    fn of(der: &[u8]) -> CertificateInfo {
        let fingerprint = Fingerprint::of(der);
        // A certificate rustls received but x509-parser cannot read is still
        // shown by its fingerprint, which is what gets pinned.
        match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => {
                let time = |t: x509_parser::time::ASN1Time| {
                    DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
                };
                CertificateInfo {
                    fingerprint,
                    subject: cert.subject().to_string(),
                    issuer: cert.issuer().to_string(),
                    not_before: time(cert.validity().not_before),
                    not_after: time(cert.validity().not_after),
                }
            }
            Err(e) => CertificateInfo {
                fingerprint,
                subject: format!("(unreadable certificate: {e})"),
                issuer: String::new(),
                not_before: None,
                not_after: None,
            },
        }
    }

    /// Whether `now` is within the validity period.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.not_before.is_none_or(|t| t <= now) && self.not_after.is_none_or(|t| now <= t)
    }
}

/// What the Oro server's certificate is to us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// `http://` (loopback only): no certificate involved.
    NotTls,
    /// The OS trust roots accept it (no pin configured).
    Trusted,
    /// It is the pinned certificate.
    Pinned,
    /// No pin, and the OS roots do not accept it (self-signed, private CA,
    /// expired…): the user may confirm it.
    Untrusted {
        certificate: CertificateInfo,
        /// Why the OS roots refuse it, in rustls' words.
        reason: String,
    },
    /// A certificate is pinned and the server shows another one. Never
    /// re-trusted without the user saying so again.
    Changed {
        pinned: Fingerprint,
        certificate: CertificateInfo,
    },
}

/// Why the probe could not tell.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0} is not an https:// or http:// URL")]
    BadUrl(String),
    #[error("{host}:{port} cannot be reached: {message}")]
    Unreachable {
        host: String,
        port: u16,
        message: String,
    },
    #[error("{host}:{port} did not complete a TLS handshake: {message}")]
    Handshake {
        host: String,
        port: u16,
        message: String,
    },
}

/// Records the leaf certificate and the OS roots' verdict on it, then stops
/// the handshake: the probe never completes a TLS session, so nothing (no
/// request, no credential) is ever sent over a connection it did not trust.
#[derive(Debug)]
struct Recorder {
    os: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    seen: std::sync::Mutex<Option<Seen>>,
}

/// The leaf certificate (DER) and the OS roots' verdict on it.
type Seen = (Vec<u8>, Result<(), String>);

/// The error the recorder stops every handshake with.
const PROBE_STOP: &str = "orosync certificate probe: handshake stopped after the certificate";

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.os {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err("no OS trust roots could be loaded".to_string()),
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((end_entity.as_ref().to_vec(), verdict));
        Err(rustls::Error::General(PROBE_STOP.into()))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The OS trust roots as a verifier, as reqwest's `rustls-tls-native-roots`
/// loads them; `None` when the OS has none.
fn os_verifier(
    provider: &Arc<CryptoProvider>,
) -> Option<Arc<rustls::client::WebPkiServerVerifier>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .ok()
}

/// Connects to `url`'s host and reads its certificate from the TLS
/// handshake, then stops: no request is sent and no credential leaves this
/// machine. Blocking (at most about `timeout` for the connection and as
/// much for the handshake); async callers run it on a blocking thread.
pub fn probe(url: &str, pin: Option<Fingerprint>, timeout: Duration) -> Result<Probe, ProbeError> {
    let u = url::Url::parse(url).map_err(|_| ProbeError::BadUrl(url.to_string()))?;
    match u.scheme() {
        "https" => {}
        "http" => return Ok(Probe::NotTls),
        _ => return Err(ProbeError::BadUrl(url.to_string())),
    }
    let host = u
        .host_str()
        .ok_or_else(|| ProbeError::BadUrl(url.to_string()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = u.port_or_known_default().unwrap_or(443);
    let unreachable = |message: String| ProbeError::Unreachable {
        host: host.clone(),
        port,
        message,
    };
    let handshake = |message: String| ProbeError::Handshake {
        host: host.clone(),
        port,
        message,
    };
    let name =
        ServerName::try_from(host.clone()).map_err(|_| ProbeError::BadUrl(url.to_string()))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        os: os_verifier(&provider),
        provider: provider.clone(),
        seen: std::sync::Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| handshake(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();

    use std::net::ToSocketAddrs;
    let addrs: Vec<std::net::SocketAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .collect();
    let mut last = "no address".to_string();
    let mut tcp = None;
    for a in &addrs {
        match std::net::TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let mut tcp = tcp.ok_or_else(|| unreachable(last))?;
    tcp.set_read_timeout(Some(timeout))
        .and_then(|()| tcp.set_write_timeout(Some(timeout)))
        .map_err(|e| unreachable(e.to_string()))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| handshake(e.to_string()))?;
    let mut stopped = None;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            stopped = Some(e);
            break;
        }
    }
    let seen = recorder
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let Some((der, verdict)) = seen else {
        return Err(handshake(match stopped {
            Some(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                format!("no answer within {timeout:?}")
            }
            Some(e) => e.to_string(),
            None => "the server sent no certificate".into(),
        }));
    };
    let certificate = CertificateInfo::of(&der);
    Ok(match (pin, verdict) {
        (Some(p), _) if p == certificate.fingerprint => Probe::Pinned,
        (Some(pinned), _) => Probe::Changed {
            pinned,
            certificate,
        },
        (None, Ok(())) => Probe::Trusted,
        (None, Err(reason)) => Probe::Untrusted {
            certificate,
            reason,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons_and_print_with() {
        let hex = "AB".repeat(32);
        let a = Fingerprint::parse(&format!("sha256:{hex}")).unwrap();
        let colons: Vec<String> = (0..32).map(|_| "ab".to_string()).collect();
        let b = Fingerprint::parse(&format!("sha256:{}", colons.join(":"))).unwrap();
        assert_eq!(a, b);
        assert_eq!(Fingerprint::parse(&a.to_string()).unwrap(), a);
        for bad in [
            "",
            "sha1:AB",
            "sha256:",
            "sha256:zz",
            &format!("sha256:{hex}00"),
            &format!("md5:{hex}"),
        ] {
            assert!(Fingerprint::parse(bad).is_err(), "{bad}");
        }
    }
}
