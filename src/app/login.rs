//! Signing in (docs/cli.md, "login oro|outlook"), shared by the CLI and the
//! tray: each function checks the credentials against the server before
//! anything is stored, then keeps the secret in the given store (the OS
//! keyring in the product, memory in tests).
//!
//! The user-facing parts (opening a browser, prompting) are the caller's:
//! these functions take a callback that shows the URL or the device code.

use super::clients::{oro_client, store_error};
use super::AppError;
use crate::config::{self, Config};
use crate::graph::auth::{AuthConfig, AuthError, BrowserSignIn, DeviceCode, TokenManager};
use crate::oro::{OAuthTokens, OroAuth, OroClient, OroConfig};
use crate::secrets::{self, MemorySecrets, Secret, SecretStore};
use std::sync::Arc;
use std::time::Duration;

/// How long a browser sign-in waits for the redirect.
pub const BROWSER_WAIT: Duration = Duration::from_secs(300);

/// The secret `login oro` asks for under the configured `auth`, with a
/// name for the prompt; `None` for `oauth2-browser`, which signs in by
/// browser instead.
pub fn oro_prompt(cfg: &Config) -> Option<(&'static str, &'static str)> {
    match cfg.oro.auth {
        config::OroAuth::Wsse => Some((secrets::ORO_API_KEY, "API key")),
        config::OroAuth::Oauth2 => Some((secrets::ORO_CLIENT_SECRET, "client secret")),
        config::OroAuth::Oauth2Browser => None,
    }
}

/// Check an Oro API key (`wsse`) or client secret (`oauth2`) by asking the
/// server who the user is, then store it. Returns the Oro user id.
/// Refused: [`AppError::SignIn`] (exit 3), and nothing is stored.
pub async fn login_oro_secret(
    cfg: &Config,
    value: Secret,
    store: &dyn SecretStore,
) -> Result<String, AppError> {
    let Some((name, what)) = oro_prompt(cfg) else {
        return Err(AppError::Usage(
            "[oro] auth = \"oauth2-browser\" signs in by browser, not with a secret".into(),
        ));
    };
    if value.expose().trim().is_empty() {
        return Err(AppError::Usage(format!(
            "no {what} given; nothing was stored"
        )));
    }
    // Try it through a client that sees only this value.
    let trial = MemorySecrets::new();
    trial
        .set(name, &value)
        .map_err(|e| AppError::Io(e.to_string()))?;
    let client = oro_client(cfg, &trial)?;
    let user = verify(&client, what).await?;
    store.set(name, &value).map_err(keyring_error)?;
    Ok(user)
}

/// Browser sign-in to Oro (`oauth2-browser`): authorization code + PKCE
/// with a loopback redirect on `[oro] redirect_port`. `show` gets the URL
/// to open. The refresh token is checked (by a request) and stored.
pub async fn login_oro_browser(
    cfg: &Config,
    store: &dyn SecretStore,
    show: impl FnOnce(&str),
    wait: Duration,
) -> Result<String, AppError> {
    let login = crate::oro::BrowserLogin::start(
        &cfg.oro.url,
        &cfg.oro.client_id,
        None,
        cfg.oro.redirect_port,
    )
    .await
    .map_err(store_error)?;
    show(login.authorize_url());
    // Oro's token endpoint is Oro itself: the same pinned certificate.
    let http = crate::oro::http_client_pinned(Duration::from_secs(30), cfg.oro.tls_fingerprint)
        .map_err(store_error)?;
    let tokens: OAuthTokens = login.finish(&http, wait).await.map_err(store_error)?;
    let mut oc = OroConfig::new(
        &cfg.oro.url,
        &cfg.oro.username,
        OroAuth::AuthorizationCode {
            client_id: cfg.oro.client_id.clone(),
            client_secret: None,
            tokens,
        },
    );
    oc.time_zone = cfg.time_zone();
    oc.tls_fingerprint = cfg.oro.tls_fingerprint;
    let client = OroClient::new(oc).map_err(store_error)?;
    let user = verify(&client, "sign-in").await?;
    // Store the token in use now: a refresh during the check rotates it.
    let Some(refresh) = client.refresh_token().await else {
        return Err(AppError::SignIn(
            "Oro signed in but gave no refresh token; check that the OAuth application allows refresh tokens".into(),
        ));
    };
    store
        .set(secrets::ORO_REFRESH_TOKEN, &refresh)
        .map_err(keyring_error)?;
    Ok(user)
}

async fn verify(client: &OroClient, what: &str) -> Result<String, AppError> {
    client.user_id().await.map_err(|e| match e {
        crate::sides::StoreError::Auth(m) => AppError::SignIn(format!(
            "Oro refused the {what} ({m}); check it and [oro] username in config.toml, \
             then run `orosync login oro` again"
        )),
        other => store_error(other),
    })
}

fn auth_config(cfg: &Config) -> AuthConfig {
    AuthConfig::new(
        &cfg.outlook.login_url,
        &cfg.outlook.tenant,
        &cfg.outlook.client_id,
    )
}

fn auth_error(e: AuthError) -> AppError {
    match e {
        AuthError::Unavailable(m) => AppError::Unreachable(format!(
            "the Microsoft sign-in could not be reached: {m}; check the network and [outlook] login_url"
        )),
        AuthError::Secrets(e) => keyring_error(e),
        AuthError::Expired => AppError::SignIn(
            "the sign-in took too long and expired; run `orosync login outlook` again".into(),
        ),
        AuthError::Declined => {
            AppError::SignIn("the sign-in was declined; nothing was stored".into())
        }
        other => AppError::SignIn(format!(
            "{other}; check [outlook] client_id and tenant in config.toml, then try again"
        )),
    }
}

fn keyring_error(e: secrets::SecretError) -> AppError {
    AppError::Io(format!(
        "the sign-in worked but could not be kept in the OS keyring ({e}); \
         without a keyring, set the OROSYNC_* variables instead (see README, \"Sign-in\")"
    ))
}

/// Keep Microsoft's tokens. They come straight from the identity platform,
/// so there is nothing to check first; a refresh token is required, as
/// every later run starts from it.
async fn keep_outlook(
    cfg: &Config,
    store: Arc<dyn SecretStore>,
    tokens: crate::graph::auth::Tokens,
) -> Result<(), AppError> {
    if tokens.refresh_token.is_none() {
        return Err(AppError::SignIn(
            "Microsoft gave no refresh token; the app registration needs the offline_access scope"
                .into(),
        ));
    }
    let http = crate::oro::http_client(Duration::from_secs(30)).map_err(store_error)?;
    let tm = TokenManager::new(http, auth_config(cfg), store);
    tm.save(&tokens).await.map_err(auth_error)
}

/// Device code sign-in to Microsoft: `show` gets the code to display (its
/// `message` says where to enter it); returns once the user approved.
pub async fn login_outlook_device(
    cfg: &Config,
    store: Arc<dyn SecretStore>,
    show: impl FnOnce(&DeviceCode),
) -> Result<(), AppError> {
    let http = crate::oro::http_client(Duration::from_secs(30)).map_err(store_error)?;
    let auth = auth_config(cfg);
    let dc = DeviceCode::start(&http, &auth).await.map_err(auth_error)?;
    show(&dc);
    let tokens = dc.poll(&http, &auth).await.map_err(auth_error)?;
    keep_outlook(cfg, store, tokens).await
}

/// Browser sign-in to Microsoft (authorization code + PKCE, loopback
/// redirect on any free port): `show` gets the URL to open.
pub async fn login_outlook_browser(
    cfg: &Config,
    store: Arc<dyn SecretStore>,
    show: impl FnOnce(&str),
    wait: Duration,
) -> Result<(), AppError> {
    let http = crate::oro::http_client(Duration::from_secs(30)).map_err(store_error)?;
    let signin = BrowserSignIn::start(&auth_config(cfg), 0)
        .await
        .map_err(auth_error)?;
    show(signin.authorize_url());
    let tokens = signin.finish(&http, wait).await.map_err(auth_error)?;
    keep_outlook(cfg, store, tokens).await
}

/// How the user asked to sign in to Microsoft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutlookMethod {
    /// A browser when one can be opened, else the device code.
    Auto,
    Browser,
    DeviceCode,
}

/// What the user is shown while an Outlook sign-in waits for them.
#[derive(Debug)]
pub enum OutlookPrompt<'a> {
    /// Open this page (a browser sign-in).
    Browser(&'a str),
    /// Enter the code at the page it names.
    DeviceCode(&'a DeviceCode),
}

/// How an Outlook sign-in went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutlookSignedIn {
    Browser,
    DeviceCode,
}

impl OutlookSignedIn {
    pub fn as_str(self) -> &'static str {
        match self {
            OutlookSignedIn::Browser => "browser",
            OutlookSignedIn::DeviceCode => "device code",
        }
    }
}

/// The Microsoft sign-in policy of the CLI and the tray alike: a browser
/// sign-in when asked for, or under [`OutlookMethod::Auto`] when
/// `can_open_browser` (a desktop session, or a browser the caller drives);
/// otherwise the device code, which needs no browser on this computer. A
/// browser sign-in that did not even start (no loopback port to listen
/// on) falls back to the device code; one that started and failed is an
/// error (the user saw the page). `show` gets what to show the user.
pub async fn login_outlook(
    cfg: &Config,
    store: Arc<dyn SecretStore>,
    method: OutlookMethod,
    can_open_browser: bool,
    mut show: impl FnMut(OutlookPrompt<'_>),
    wait: Duration,
) -> Result<OutlookSignedIn, AppError> {
    let browser = match method {
        OutlookMethod::Auto => can_open_browser,
        OutlookMethod::Browser => true,
        OutlookMethod::DeviceCode => false,
    };
    if browser {
        let mut shown = false;
        let r = login_outlook_browser(
            cfg,
            store.clone(),
            |url| {
                shown = true;
                show(OutlookPrompt::Browser(url))
            },
            wait,
        )
        .await;
        if shown {
            return r.map(|()| OutlookSignedIn::Browser);
        }
        tracing::info!("browser sign-in did not start: {r:?}; using a device code");
    }
    login_outlook_device(cfg, store, |dc| show(OutlookPrompt::DeviceCode(dc)))
        .await
        .map(|()| OutlookSignedIn::DeviceCode)
}
