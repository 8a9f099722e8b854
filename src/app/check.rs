//! "Can Oro be reached, and does it accept the credentials?": the settings
//! window's "Test connection" and the first-run window's "Check" ask the
//! same question, in the same order (network, certificate, who am I).

use super::{login, oro_client_keeping, trust, App, AppError};
use crate::config::Config;
use crate::lock::ProfileLock;
use crate::oro::tls::Probe;
use crate::profile::Profile;
use crate::secrets::{MemorySecrets, Secret, SecretStore};
use std::path::Path;
use std::sync::Arc;

/// "Test connection" on what the user typed and has not saved: `config`
/// in place of the profile's, and `typed` (the API key or client secret
/// in the field, when there is one) in place of the stored secret. A
/// typed secret is tried from memory and kept nowhere; without one the
/// profile's `stored` secrets are used, as a run would.
pub async fn check_typed(
    dir: &Path,
    config: Config,
    stored: Arc<dyn SecretStore>,
    typed: Option<Secret>,
) -> Result<OroCheck, AppError> {
    let typed = typed.filter(|s| !s.expose().trim().is_empty());
    let secrets: Arc<dyn SecretStore> = match (typed, login::oro_prompt(&config)) {
        (Some(value), Some((name, _))) => {
            let trial = MemorySecrets::new();
            trial
                .set(name, &value)
                .map_err(|e| AppError::Io(e.to_string()))?;
            Arc::new(trial)
        }
        _ => stored,
    };
    App {
        profile: Profile::at(dir),
        config,
        secrets,
    }
    .check_oro()
    .await
}

/// What a check found, when nothing failed.
#[derive(Debug)]
pub enum OroCheck {
    /// Oro accepted the credentials: the Oro id of the user.
    Connected { user: String },
    /// The server's certificate is not trusted (self-signed, private CA)
    /// or changed since it was pinned: the check stopped before any
    /// credential was sent, for the user to confirm the certificate.
    Certificate(Probe),
}

/// The line shown when Oro accepted the credentials.
pub fn connected_message(cfg: &Config, user: &str) -> String {
    format!(
        "Connected to Oro at {} as {} (user {user}).",
        cfg.oro.url, cfg.oro.username
    )
}

/// Before any credential is sent to `cfg`'s Oro: the certificate it
/// presents, when the user has to confirm it first (untrusted, or not the
/// pinned one); `None` when it may be talked to (trusted, pinned, http).
pub async fn certificate_to_confirm(cfg: &Config) -> Result<Option<Probe>, AppError> {
    match trust::probe_oro(&cfg.oro.url, cfg.oro.tls_fingerprint).await? {
        p @ (Probe::Untrusted { .. } | Probe::Changed { .. }) => Ok(Some(p)),
        Probe::NotTls | Probe::Trusted | Probe::Pinned => Ok(None),
    }
}

impl App {
    /// Checks the profile's Oro connection with its stored credentials:
    /// the servers answer, the certificate needs no confirmation, and Oro
    /// says who the user is.
    ///
    /// Under the profile's lock, like a run: a run in progress holds Oro's
    /// current (single-use) refresh token, and a refresh beside it would
    /// revoke it; a running sync makes the check a [`AppError::Usage`]
    /// asking to try again. A token Oro rotates here is kept at once.
    pub async fn check_oro(&self) -> Result<OroCheck, AppError> {
        crate::reach::check(&self.config)
            .await
            .map_err(AppError::Unreachable)?;
        if let Some(p) = certificate_to_confirm(&self.config).await? {
            return Ok(OroCheck::Certificate(p));
        }
        let _lock = match ProfileLock::try_acquire(&self.profile.dir) {
            Ok(Some(l)) => l,
            Ok(None) => {
                return Err(AppError::Usage(
                    "A sync of this profile is running; test the connection again when it has finished."
                        .into(),
                ))
            }
            Err(e) => return Err(AppError::Io(format!("cannot lock the profile: {e}"))),
        };
        let oro = oro_client_keeping(&self.config, self.secrets.clone())?;
        match oro.user_id().await {
            Ok(user) => Ok(OroCheck::Connected { user }),
            Err(e) => Err(match e {
                crate::sides::StoreError::Auth(_) => {
                    AppError::SignIn(format!("Oro answered, but: {e}"))
                }
                crate::sides::StoreError::Unavailable(_) => {
                    AppError::Unreachable(format!("Oro answered, but: {e}"))
                }
                _ => AppError::Io(format!("Oro answered, but: {e}")),
            }),
        }
    }
}
