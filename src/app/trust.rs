//! A self-signed Oro server, trusted once the user confirms its certificate
//! (`orosync login oro`, the settings window's "Test connection", later the
//! first-run window): probe what the server presents, show it, and on the
//! user's yes pin its SHA-256 fingerprint in `[oro] tls_fingerprint`.
//!
//! Verification is never turned off: the probe stops every handshake right
//! after the certificate (nothing is sent), and pinning makes the client
//! trust that one certificate only. A pinned certificate that changes is
//! refused until the user confirms the new one by its fingerprint.

use super::AppError;
use crate::config::Config;
pub use crate::oro::tls::{CertificateInfo, Fingerprint, Probe};

use std::path::Path;
use std::time::Duration;

/// How long the probe waits for the connection, and then for the handshake.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// `host:port` of an Oro URL, for messages.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| url.to_string())
}

/// What `url` presents, judged against `pin` (or the OS roots without one).
pub async fn probe_oro(url: &str, pin: Option<Fingerprint>) -> Result<Probe, AppError> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || crate::oro::tls::probe(&url, pin, PROBE_TIMEOUT))
        .await
        .map_err(|e| AppError::Io(format!("the certificate check stopped: {e}")))?
        .map_err(|e| AppError::Unreachable(e.to_string()))
}

/// The one line for a pinned certificate that the server no longer shows.
pub fn changed_message(url: &str, pinned: &Fingerprint, presented: &Fingerprint) -> String {
    format!(
        "the certificate of {} has changed since it was pinned: pinned {pinned}, presented now {presented}; \
         it is refused. If the server's certificate was replaced on purpose, check the new fingerprint \
         with its administrator and run `orosync login oro --trust-fingerprint {presented}`",
        host_of(url)
    )
}

/// The certificate as the user sees it before confirming, one fact a line.
pub fn describe(c: &CertificateInfo) -> Vec<(&'static str, String)> {
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("?".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    vec![
        ("Subject", c.subject.clone()),
        ("Issuer", c.issuer.clone()),
        (
            "Valid",
            format!("{} to {}", day(c.not_before), day(c.not_after)),
        ),
        ("Fingerprint", c.fingerprint.to_string()),
    ]
}

/// Pin `expected` for the profile whose config is at `config_path`, after
/// checking that the server presents exactly that certificate now (what the
/// user saw is what gets trusted). A certificate the OS already trusts is
/// not pinned (a pin would break at its next renewal). Returns the config
/// as written.
pub async fn trust_oro_certificate(
    config_path: &Path,
    expected: Fingerprint,
) -> Result<Config, AppError> {
    let cfg = Config::load(config_path)?;
    let presented = match probe_oro(&cfg.oro.url, cfg.oro.tls_fingerprint).await? {
        Probe::NotTls => {
            return Err(AppError::Usage(
                "oro.url is http://: there is no certificate to trust".into(),
            ))
        }
        Probe::Trusted => {
            return Err(AppError::Usage(format!(
                "the certificate of {} is trusted by this system already; nothing was pinned",
                host_of(&cfg.oro.url)
            )))
        }
        Probe::Pinned => cfg.oro.tls_fingerprint.unwrap_or(expected),
        Probe::Untrusted { certificate, .. } | Probe::Changed { certificate, .. } => {
            certificate.fingerprint
        }
    };
    if presented != expected {
        return Err(AppError::Unreachable(format!(
            "{} presents the certificate {presented}, not {expected}; nothing was pinned",
            host_of(&cfg.oro.url)
        )));
    }
    if cfg.oro.tls_fingerprint == Some(expected) {
        return Ok(cfg);
    }
    write_pin(config_path, expected)
}

/// Sets `[oro] tls_fingerprint` in the file at `path` through the one
/// writer of config.toml ([`Config::save`]), which keeps every other line
/// and comment as it is and checks the result like any config before it
/// replaces the file.
pub fn write_pin(path: &Path, pin: Fingerprint) -> Result<Config, AppError> {
    let mut cfg = Config::load(path)?;
    cfg.oro.tls_fingerprint = Some(pin);
    cfg.save(path)?;
    tracing::info!(host = %host_of(&cfg.oro.url), fingerprint = %pin, "Oro certificate pinned");
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_written_keeping_comments_and_replacing_an_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let text = "# my settings\n[oro]\nurl = \"https://crm.example.com\"  # the CRM\nusername = \"jane\"\n\n[outlook]\nclient_id = \"c\"  # app\n";
        std::fs::write(&path, text).unwrap();
        let a = Fingerprint([0xab; 32]);
        let cfg = write_pin(&path, a).unwrap();
        assert_eq!(cfg.oro.tls_fingerprint, Some(a));
        let written = std::fs::read_to_string(&path).unwrap();
        for kept in ["# my settings", "# the CRM", "client_id = \"c\"  # app"] {
            assert!(written.contains(kept), "{written}");
        }
        assert_eq!(Config::load(&path).unwrap().oro.tls_fingerprint, Some(a));

        let b = Fingerprint([0x01; 32]);
        write_pin(&path, b).unwrap();
        let again = std::fs::read_to_string(&path).unwrap();
        assert_eq!(again.matches("tls_fingerprint").count(), 1, "{again}");
        assert_eq!(Config::load(&path).unwrap().oro.tls_fingerprint, Some(b));
    }

    #[test]
    fn a_pin_on_an_http_url_is_refused_and_the_file_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let text =
            "[oro]\nurl = \"http://127.0.0.1:9\"\nusername = \"j\"\n[outlook]\nclient_id = \"c\"\n";
        std::fs::write(&path, text).unwrap();
        let e = write_pin(&path, Fingerprint([1; 32]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("oro.tls_fingerprint"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
