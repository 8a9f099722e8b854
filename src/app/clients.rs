//! The real Oro and Graph clients, built from a profile's configuration and
//! its secrets (environment first, then the OS keyring).

use super::AppError;
use crate::config::{self, Config};
use crate::graph::{auth::AuthConfig, GraphClient, GraphConfig};
use crate::oro::auth::RefreshTokenSink;
use crate::oro::{OAuthTokens, OroAuth, OroClient, OroConfig};
use crate::secrets::{self, SecretStore};
use crate::sides::StoreError;
use std::sync::Arc;

fn secret(
    secrets: &dyn SecretStore,
    name: &str,
    what: &str,
) -> Result<crate::oro::Secret, AppError> {
    match secrets.get(name) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(AppError::SignIn(format!(
            "no {what} for Oro is stored: run `orosync login oro`"
        ))),
        Err(e) => Err(AppError::SignIn(format!(
            "{e}; run `orosync login oro`, or set the environment variable for headless use"
        ))),
    }
}

/// The Oro client for `cfg`, for one check of what `secrets` holds (a
/// sign-in being verified): a refresh token Oro rotates on the way is not
/// written back. A client that runs against the stored sign-in is
/// [`oro_client_keeping`].
pub fn oro_client(cfg: &Config, secrets: &dyn SecretStore) -> Result<OroClient, AppError> {
    oro_config(cfg, secrets).and_then(|oc| OroClient::new(oc).map_err(store_error))
}

/// The Oro client for `cfg` that writes every refresh token Oro issues to
/// `secrets` the moment it arrives (`oauth2-browser`). Oro's refresh
/// tokens are single-use, so keeping the new one only at the end of a
/// successful run would leave a revoked one behind whenever the run stops
/// early (docs/reliability.md, "Hostile servers").
pub fn oro_client_keeping(
    cfg: &Config,
    secrets: Arc<dyn SecretStore>,
) -> Result<OroClient, AppError> {
    let mut oc = oro_config(cfg, secrets.as_ref())?;
    if matches!(cfg.oro.auth, config::OroAuth::Oauth2Browser) {
        oc.on_refresh_token = Some(RefreshTokenSink::new(move |token| {
            if let Err(e) = secrets.set(secrets::ORO_REFRESH_TOKEN, token) {
                // The error names the keyring's problem, never the token.
                tracing::warn!("the renewed Oro sign-in could not be kept: {e}");
            }
        }));
    }
    OroClient::new(oc).map_err(store_error)
}

fn oro_config(cfg: &Config, secrets: &dyn SecretStore) -> Result<OroConfig, AppError> {
    let auth = match cfg.oro.auth {
        config::OroAuth::Wsse => OroAuth::Wsse {
            api_key: secret(secrets, secrets::ORO_API_KEY, "API key")?,
        },
        config::OroAuth::Oauth2 => OroAuth::ClientCredentials {
            client_id: cfg.oro.client_id.clone(),
            client_secret: secret(secrets, secrets::ORO_CLIENT_SECRET, "client secret")?,
        },
        config::OroAuth::Oauth2Browser => OroAuth::AuthorizationCode {
            client_id: cfg.oro.client_id.clone(),
            client_secret: None,
            tokens: OAuthTokens::from_refresh_token(secret(
                secrets,
                secrets::ORO_REFRESH_TOKEN,
                "sign-in",
            )?),
        },
    };
    let mut oc = OroConfig::new(&cfg.oro.url, &cfg.oro.username, auth);
    oc.time_zone = cfg.time_zone();
    oc.tls_fingerprint = cfg.oro.tls_fingerprint;
    oc.timeout = cfg.network.timeout_or(oc.timeout);
    oc.contacts_scope = match cfg.sync.contacts_scope {
        config::ContactsScope::Mine => crate::oro::ContactsScope::Mine,
        config::ContactsScope::All => crate::oro::ContactsScope::All,
    };
    Ok(oc)
}

/// The Graph client for `cfg`; its refresh token lives in `secrets`.
pub fn graph_client(cfg: &Config, secrets: Arc<dyn SecretStore>) -> Result<GraphClient, AppError> {
    if matches!(secrets.get(secrets::OUTLOOK_REFRESH_TOKEN), Ok(None)) {
        return Err(AppError::SignIn(
            "not signed in to Outlook: run `orosync login outlook`".into(),
        ));
    }
    let mut gc = GraphConfig::new(&cfg.outlook.graph_url, cfg.time_zone(), &cfg.oro.url);
    gc.timeout = cfg.network.timeout_or(gc.timeout);
    let auth = AuthConfig::new(
        &cfg.outlook.login_url,
        &cfg.outlook.tenant,
        &cfg.outlook.client_id,
    );
    GraphClient::with_secrets(gc, auth, secrets).map_err(store_error)
}

pub(super) fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::Auth(m) => AppError::SignIn(format!("{m}; sign in again with `orosync login`")),
        StoreError::Unavailable(m) => AppError::Unreachable(m),
        other => AppError::Io(other.to_string()),
    }
}
