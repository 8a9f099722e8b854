//! TLS for the Oro client: rustls with the OS trust roots, or, for a
//! self-signed Oro server, only the certificate whose SHA-256 fingerprint
//! the user confirmed (`[oro] tls_fingerprint`). Pinning replaces the CA
//! check for that one server instead of turning verification off: any other
//! certificate is refused, and the handshake signature is still verified.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::Arc;

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
                "the server's certificate {got} is not the pinned one (oro.tls_fingerprint)"
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
