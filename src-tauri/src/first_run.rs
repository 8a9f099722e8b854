//! The first-run setup's commands (`ui/setup.html`): connect Oro, sign in
//! to Microsoft, choose how to sync, preview the first sync, start it.
//!
//! Everything entered lives in an [`orosync::setup::Draft`] (settings in a
//! scratch folder, secrets in memory) until "Start sync" commits it into
//! the profile in one step; Cancel, or closing the window, drops it and
//! leaves the profile folder, the keyring and the state database as they
//! were.

use crate::blocking::on_own_thread;
use crate::dto::{Choices, FieldError, PreviewDto, SettingsDto};
use crate::error::{Error, Result};
use crate::refresh::Refresh;
use crate::runner::Tray;
pub use crate::setup_session::SetupSession;
use orosync::app::AppError;
use orosync::config::{Config, ConfigError, OroAuth};
use orosync::secrets::{Secret, SecretStore};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime, State};

/// What the setup window fills in: the settings window's fields, plus the
/// Microsoft endpoints (default Microsoft's; other values only for a
/// national cloud or a test server).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SetupForm {
    pub settings: SettingsDto,
    pub graph_url: String,
    pub login_url: String,
    /// A self-signed Oro certificate the user chose to trust in this setup
    /// (`[oro] tls_fingerprint`); empty for none.
    #[serde(default)]
    pub tls_fingerprint: String,
}

impl SetupForm {
    /// The config of this form, judged by the library (errors name
    /// `section.key`). Before the Microsoft step the application id may
    /// still be empty: `oro_only` checks the Oro part alone.
    fn config(&self, oro_only: bool) -> std::result::Result<Config, ConfigError> {
        let mut base = Config::new("", "", "");
        base.outlook.graph_url = self.graph_url.trim().to_string();
        base.outlook.login_url = self.login_url.trim().to_string();
        if !self.tls_fingerprint.trim().is_empty() {
            let pin = orosync::oro::tls::Fingerprint::parse(&self.tls_fingerprint).map_err(
                |problem| ConfigError::Invalid {
                    key: "oro.tls_fingerprint".into(),
                    problem,
                },
            )?;
            base.oro.tls_fingerprint = Some(pin);
        }
        let mut s = self.settings.clone();
        if oro_only && s.outlook_client_id.trim().is_empty() {
            s.outlook_client_id = "not-chosen-yet".into();
        }
        s.to_config(&base)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SetupView {
    /// True while the profile has no config.toml.
    pub needed: bool,
    pub profile: String,
    pub defaults: SetupForm,
    pub choices: Choices,
}

#[tauri::command]
pub fn setup_view(tray: State<'_, Tray>) -> SetupView {
    let c = Config::new("", "", "");
    let mut settings = SettingsDto::from_config(&c);
    // The seed's default; the first sync asks nothing more of the user.
    settings.oro_auth = OroAuth::Wsse.as_str().into();
    SetupView {
        needed: !tray.config_path().exists(),
        profile: tray.profile_dir.display().to_string(),
        defaults: SetupForm {
            settings,
            graph_url: c.outlook.graph_url.clone(),
            login_url: c.outlook.login_url.clone(),
            tls_fingerprint: String::new(),
        },
        choices: Choices::new(),
    }
}

/// The answer of "Check" on the Oro step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    pub ok: bool,
    pub message: String,
    /// The setting to fix (`oro.url`, `oro.secret`, ...), if one is at fault.
    pub key: Option<String>,
    /// What kind of failure: "settings", "sign-in", "unreachable",
    /// "certificate" (an untrusted or changed one, in `certificate`, for
    /// the user to trust or not) or "other".
    pub problem: Option<&'static str>,
    pub certificate: Option<crate::dto::CertificateDto>,
}

impl CheckResult {
    fn failed(problem: &'static str, key: Option<&str>, message: String) -> CheckResult {
        CheckResult {
            ok: false,
            message,
            key: key.map(str::to_string),
            problem: Some(problem),
            certificate: None,
        }
    }
}

fn check_failure(e: AppError) -> CheckResult {
    match e {
        AppError::SignIn(m) => CheckResult::failed("sign-in", Some("oro.secret"), m),
        AppError::Unreachable(m) => CheckResult::failed("unreachable", Some("oro.url"), m),
        AppError::Usage(m) => CheckResult::failed("settings", Some("oro.secret"), m),
        AppError::Config(c) => {
            let key = c.key().map(str::to_string);
            CheckResult {
                ok: false,
                message: c.to_string(),
                key,
                problem: Some("settings"),
                certificate: None,
            }
        }
        other => CheckResult::failed("other", None, other.to_string()),
    }
}

/// Step 1, "Check": contacts Oro with the URL, user and secret (or, for
/// `oauth2-browser`, the browser sign-in) and keeps the secret in the
/// draft when Oro accepts it.
#[tauri::command]
pub async fn setup_check_oro<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, SetupSession>,
    form: SetupForm,
    secret: Option<String>,
) -> Result<CheckResult> {
    let config = match form.config(true) {
        Ok(c) => c,
        Err(e) => return Ok(check_failure(AppError::Config(e))),
    };
    // A certificate the OS does not trust (self-signed, private CA) is
    // shown for the user to trust (the window sends its fingerprint back
    // in the form) before anything, the secret above all, is sent to Oro.
    match orosync::app::check::certificate_to_confirm(&config).await {
        Err(e) => return Ok(check_failure(e)),
        Ok(Some(p)) => {
            let dto = crate::dto::CertificateDto::from_probe(&config.oro.url, &p);
            return Ok(CheckResult {
                ok: false,
                message: dto.message.clone(),
                key: Some("oro.url".into()),
                problem: Some("certificate"),
                certificate: Some(dto),
            });
        }
        Ok(None) => {}
    }
    let store = session.with(|d| d.secrets())?;
    let outcome = if config.oro.auth == OroAuth::Oauth2Browser {
        let opener = app
            .try_state::<crate::commands::BrowserOpener>()
            .map(|o| o.inner().clone());
        on_own_thread("the check", move || async move {
            orosync::app::login::login_oro_browser(
                &config,
                store.as_ref(),
                |url| {
                    let _ = match &opener {
                        Some(o) => (o.0)(url),
                        None => crate::commands::open_in_browser(url),
                    };
                },
                orosync::app::login::BROWSER_WAIT,
            )
            .await
            .map(|user| (config, user))
        })
        .await
    } else {
        let value = Secret::new(secret.unwrap_or_default());
        on_own_thread("the check", move || async move {
            orosync::app::login::login_oro_secret(&config, value, store.as_ref())
                .await
                .map(|user| (config, user))
        })
        .await
    };
    Ok(match outcome {
        Ok((config, user)) => CheckResult {
            ok: true,
            message: orosync::app::check::connected_message(&config, &user),
            key: None,
            problem: None,
            certificate: None,
        },
        Err(e) => check_failure(e),
    })
}

/// Step 2: the Microsoft sign-in (browser or device code, as on the
/// settings window's Microsoft tab), kept in the draft.
#[tauri::command]
pub async fn setup_sign_in_outlook<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, SetupSession>,
    form: SetupForm,
    method: Option<String>,
) -> Result<String> {
    let config = form
        .config(false)
        .map_err(|e| Error::Other(e.to_string()))?;
    let store: Arc<dyn SecretStore> = session.with(|d| d.secrets())?;
    crate::commands::sign_in_outlook_to(app, config, store, method).await
}

/// Step 4's answer: what the first sync will do, or what to fix first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PreviewResult {
    pub preview: Option<PreviewDto>,
    pub errors: Vec<FieldError>,
}

fn field_errors(e: &ConfigError) -> Vec<FieldError> {
    vec![FieldError {
        key: e.key().map(str::to_string),
        message: e.to_string(),
    }]
}

/// Step 4: the first sync as a dry run on the draft (the engine's own
/// plan: creates per kind and side, and the linked Outlook items a first
/// sync deletes). Nothing is written anywhere but the draft's scratch
/// folder.
#[tauri::command]
pub async fn setup_preview(
    session: State<'_, SetupSession>,
    form: SetupForm,
) -> Result<PreviewResult> {
    let config = match form.config(false) {
        Ok(c) => c,
        Err(e) => {
            return Ok(PreviewResult {
                preview: None,
                errors: field_errors(&e),
            })
        }
    };
    // Validated above, so only the scratch folder itself can fail here.
    let app = session.with(|d| -> Result<orosync::app::App> {
        d.set_config(&config)
            .map_err(|e| Error::Other(e.to_string()))?;
        Ok(d.app()?)
    })??;
    let req = orosync::app::SyncRequest {
        dry_run: true,
        ..Default::default()
    };
    let s = crate::runner::sync_on_own_thread(app, req).await?;
    if let Some(f) = &s.fatal {
        return Err(Error::Other(format!(
            "{f}. Go back to the step it names and check it."
        )));
    }
    Ok(PreviewResult {
        preview: Some(PreviewDto::from_summary(&s)),
        errors: vec![],
    })
}

/// Step 5, "Start sync": save the settings and the secrets into the
/// profile (all or nothing) and start the first sync, its deletions
/// confirmed by this step. The tray shows its result as for any run.
#[tauri::command]
pub fn setup_start<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    session: State<'_, SetupSession>,
    form: SetupForm,
) -> Result<crate::dto::SaveResult> {
    let config = match form.config(false) {
        Ok(c) => c,
        Err(e) => {
            return Ok(crate::dto::SaveResult {
                saved: false,
                errors: field_errors(&e),
            })
        }
    };
    let committed = session.with(|d| {
        d.set_config(&config)?;
        d.commit(&tray.profile_dir, tray.secrets.as_ref())
    })?;
    let config = match committed {
        Ok(c) => c,
        Err(e) => {
            return Ok(crate::dto::SaveResult {
                saved: false,
                errors: vec![FieldError {
                    key: e.key().map(str::to_string),
                    message: e.to_string(),
                }],
            })
        }
    };
    session.discard_after_commit();
    tracing::info!(
        "first-run setup saved to {}; first sync starts",
        tray.config_path().display()
    );
    // The window goes on as the settings window (History shows the run).
    crate::window::set_title(&app, crate::window::SETTINGS_TITLE);
    tray.settings_changed(&config);
    tray.request_first_sync();
    app.refresh_tray();
    Ok(crate::dto::SaveResult {
        saved: true,
        errors: vec![],
    })
}

/// Cancel: the draft goes and the window closes; the app stays in the
/// tray, and its Settings… item offers the setup again.
#[tauri::command]
pub fn setup_cancel<R: Runtime>(app: AppHandle<R>, session: State<'_, SetupSession>) {
    session.discard();
    crate::window::close(&app);
}
