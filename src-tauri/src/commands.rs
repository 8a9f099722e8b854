//! The settings window's commands: thin wrappers over the library (config,
//! state, App) and the tray's [`Tray`] state. Each is allowed to the window
//! by name in `capabilities/settings.json`.

use crate::dto::{
    CertificateDto, FieldError, PreviewDto, RunDto, SaveResult, SettingsDto, SettingsView,
    StatusDto, TestResult,
};
use crate::error::{Error, Result};
use crate::refresh::Refresh;
use crate::runner::Tray;
use orosync::app::check::OroCheck;
use orosync::app::history;
use orosync::app::login::{OutlookMethod, OutlookPrompt};
use orosync::app::SyncRequest;
use orosync::config::Config;
use orosync::conflict_view::ConflictView;
use orosync::model::Side;
use orosync::profile::Profile;
use orosync::secrets;
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime, State};

/// The saved settings, or the defaults for a profile without any.
fn current_config(tray: &Tray) -> Result<(Config, bool)> {
    Ok(orosync::app::settings::current(&Profile::at(
        &tray.profile_dir,
    ))?)
}

#[tauri::command]
pub fn get_settings(tray: State<'_, Tray>) -> Result<SettingsView> {
    let (config, exists) = current_config(&tray)?;
    let outlook_signed_in = matches!(
        tray.secrets.get(secrets::OUTLOOK_REFRESH_TOKEN),
        Ok(Some(_))
    );
    // Whether the key (or client secret) of `[oro] auth` is kept; never
    // the secret itself.
    let oro_secret_stored = orosync::app::login::oro_prompt(&config)
        .is_some_and(|(name, _)| matches!(tray.secrets.get(name), Ok(Some(_))));
    Ok(SettingsView {
        settings: SettingsDto::from_config(&config),
        choices: Default::default(),
        path: tray.config_path().display().to_string(),
        exists,
        outlook_signed_in,
        oro_secret_stored,
    })
}

/// The settings as typed in the window, judged by the library over the
/// saved ones (or the defaults).
fn typed_config(tray: &Tray, settings: &SettingsDto) -> std::result::Result<Config, FieldError> {
    let (base, _) = current_config(tray).unwrap_or((Config::new("", "", ""), false));
    settings.to_config(&base).map_err(|e| FieldError {
        key: e.key().map(str::to_string),
        message: e.to_string(),
    })
}

/// The Oro API key or client secret typed on the Connection tab, for the
/// typed settings: checked with Oro first (the library's `login oro`),
/// then kept in the profile's secret store (the OS keyring), never in
/// config.toml. Refused or unreachable: nothing is kept, and the error is
/// the secret field's.
#[tauri::command]
pub async fn save_oro_secret<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    settings: SettingsDto,
    secret: String,
) -> Result<SaveResult> {
    let config = match typed_config(&tray, &settings) {
        Ok(c) => c,
        Err(e) => {
            return Ok(SaveResult {
                saved: false,
                errors: vec![e],
            })
        }
    };
    let store = tray.secrets.clone();
    let value = secrets::Secret::new(secret);
    let checked = crate::blocking::on_own_thread("the key check", move || async move {
        orosync::app::login::login_oro_secret(&config, value, store.as_ref()).await
    })
    .await;
    Ok(match checked {
        Ok(_) => {
            tracing::info!("Oro secret changed from the settings window");
            app.refresh_tray();
            SaveResult {
                saved: true,
                errors: vec![],
            }
        }
        Err(e) => SaveResult {
            saved: false,
            errors: vec![FieldError {
                key: Some("oro.secret".into()),
                message: e.to_string(),
            }],
        },
    })
}

/// Validate with the library and save to the profile's config.toml; the
/// scheduler picks the new mode and interval up at once.
#[tauri::command]
pub fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    settings: SettingsDto,
) -> Result<SaveResult> {
    let (base, _) = current_config(&tray).unwrap_or((Config::new("", "", ""), false));
    let config = match settings.to_config(&base) {
        Ok(c) => c,
        Err(e) => {
            return Ok(SaveResult {
                saved: false,
                errors: vec![FieldError {
                    key: e.key().map(str::to_string),
                    message: e.to_string(),
                }],
            })
        }
    };
    orosync::app::settings::save(&Profile::at(&tray.profile_dir), &config)?;
    tray.settings_changed(&config);
    app.refresh_tray();
    Ok(SaveResult {
        saved: true,
        errors: vec![],
    })
}

/// Can Oro (and Outlook) be reached and do they accept the credentials?
/// What is typed is tested, saved or not: `settings` (the window's form)
/// and `secret` (the key or client secret in its field, tried from memory
/// and kept nowhere). Without `settings`, the saved ones.
#[tauri::command]
pub async fn test_connection(
    tray: State<'_, Tray>,
    settings: Option<SettingsDto>,
    secret: Option<String>,
) -> Result<TestResult> {
    let config = match settings {
        Some(s) => match typed_config(&tray, &s) {
            Ok(c) => c,
            Err(e) => return Ok(fail(e.message)),
        },
        None => match tray.app() {
            Ok(a) => a.config,
            Err(e) => return Ok(fail(e.to_string())),
        },
    };
    let url = config.oro.url.clone();
    let checked = orosync::app::check::check_typed(
        &tray.profile_dir,
        config.clone(),
        tray.secrets.clone(),
        secret.map(secrets::Secret::new),
    )
    .await;
    match checked {
        Ok(OroCheck::Connected { user }) => Ok(TestResult {
            ok: true,
            message: orosync::app::check::connected_message(&config, &user),
            certificate: None,
        }),
        Ok(OroCheck::Certificate(p)) => {
            let cert = CertificateDto::from_probe(&url, &p);
            Ok(TestResult {
                ok: false,
                message: cert.message.clone(),
                certificate: Some(cert),
            })
        }
        Err(e) => Ok(fail(e.to_string())),
    }
}

fn fail(message: String) -> TestResult {
    TestResult {
        ok: false,
        message,
        certificate: None,
    }
}

/// The Oro server's certificate: trusted, pinned, or to be confirmed
/// (with its fingerprint, subject, issuer and validity). `url` is the one
/// to probe (the first-run window's field before it is saved); without it,
/// the saved `[oro] url` and its pin. Sends nothing but a TLS handshake.
#[tauri::command]
pub async fn probe_oro_certificate(
    tray: State<'_, Tray>,
    url: Option<String>,
) -> Result<CertificateDto> {
    let (config, _) = current_config(&tray)?;
    let (url, pin) = match url {
        Some(u) if u.trim_end_matches('/') != config.oro.url => (u, None),
        _ => (config.oro.url.clone(), config.oro.tls_fingerprint),
    };
    let p = orosync::app::trust::probe_oro(&url, pin).await?;
    Ok(CertificateDto::from_probe(&url, &p))
}

/// The user trusts the certificate they were shown: pinned in config.toml
/// (`[oro] tls_fingerprint`, the rest of the file kept) only if the server
/// still presents exactly `fingerprint`; then the connection is tested
/// again over the pin.
#[tauri::command]
pub async fn trust_oro_certificate<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    fingerprint: String,
) -> Result<TestResult> {
    let pin = orosync::oro::tls::Fingerprint::parse(&fingerprint)
        .map_err(|e| Error::Other(format!("fingerprint: {e}")))?;
    let config = orosync::app::trust::trust_oro_certificate(&tray.config_path(), pin).await?;
    tray.settings_changed(&config);
    app.refresh_tray();
    test_connection(tray, None, None).await
}

#[tauri::command]
pub fn get_status(tray: State<'_, Tray>) -> StatusDto {
    tray.status()
}

/// "Sync now"; during a run, one follow-up run. True when it was coalesced.
#[tauri::command]
pub fn sync_now<R: Runtime>(app: AppHandle<R>, tray: State<'_, Tray>) -> bool {
    let follow_up = tray.request_sync();
    app.refresh_tray();
    follow_up
}

/// The most recent runs, newest first.
#[tauri::command]
pub fn get_history(tray: State<'_, Tray>, limit: Option<usize>) -> Result<Vec<RunDto>> {
    let profile = Profile::at(&tray.profile_dir);
    Ok(history::runs(&profile, limit.unwrap_or(20).min(200))?
        .iter()
        .map(RunDto::from_record)
        .collect())
}

#[tauri::command]
pub fn get_conflicts(tray: State<'_, Tray>) -> Result<Vec<ConflictView>> {
    let profile = Profile::at(&tray.profile_dir);
    Ok(history::conflicts(&profile)?
        .iter()
        .map(ConflictView::new)
        .collect())
}

/// Keep one side of a pending conflict; applied at the next run, which is
/// asked for now.
#[tauri::command]
pub fn resolve_conflict<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    id: String,
    keep: String,
) -> Result<()> {
    let side = match keep.as_str() {
        "oro" => Side::Oro,
        "outlook" => Side::Outlook,
        other => {
            return Err(Error::Other(format!(
                "keep: {other:?} is not oro or outlook"
            )))
        }
    };
    history::resolve(&Profile::at(&tray.profile_dir), &id, side)?;
    tray.refresh_conflicts();
    tray.request_sync();
    app.refresh_tray();
    Ok(())
}

/// Mass deletions the last run held (docs/reliability.md "Deletion
/// guard"), with the names of the Outlook items they would delete.
#[tauri::command]
pub fn get_held_deletions(tray: State<'_, Tray>) -> Vec<orosync::plan::GuardNote> {
    tray.held()
}

/// Delete or Keep for one kind's held deletions: applied by a run asked
/// for now. Delete deletes the Outlook items; Keep creates them again in
/// Oro and links them (nothing is deleted anywhere).
#[tauri::command]
pub fn decide_held_deletions<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    kind: String,
    choice: String,
) -> Result<()> {
    let kind = orosync::model::Kind::parse(&kind)
        .ok_or_else(|| Error::Other(format!("kind: {kind:?} is not contacts, tasks or events")))?;
    let choice = match choice.as_str() {
        "delete" => orosync::plan::GuardChoice::Delete,
        "keep" => orosync::plan::GuardChoice::Keep,
        other => {
            return Err(Error::Other(format!(
                "choice: {other:?} is not delete or keep"
            )))
        }
    };
    if !tray.held().iter().any(|h| h.kind == kind) {
        return Err(Error::Other(format!("no deletions of {kind} are waiting")));
    }
    tray.decide_held(kind, choice);
    app.refresh_tray();
    Ok(())
}

/// What a resync would delete and create (a dry run: nothing is written).
#[tauri::command]
pub async fn resync_preview(tray: State<'_, Tray>) -> Result<PreviewDto> {
    let app = tray.app()?;
    let req = SyncRequest {
        resync: true,
        dry_run: true,
        ..Default::default()
    };
    let s = crate::runner::sync_on_own_thread(app, req).await?;
    if let Some(f) = &s.fatal {
        return Err(Error::Other(f.to_string()));
    }
    Ok(PreviewDto::from_summary(&s))
}

/// The user confirmed the resync preview.
#[tauri::command]
pub fn resync<R: Runtime>(app: AppHandle<R>, tray: State<'_, Tray>) {
    tray.request_resync();
    app.refresh_tray();
}

#[tauri::command]
pub fn sign_out_outlook(tray: State<'_, Tray>) -> Result<()> {
    tray.secrets
        .delete(secrets::OUTLOOK_REFRESH_TOKEN)
        .map_err(|e| Error::Other(e.to_string()))
}

/// The event the window follows a Microsoft sign-in by.
pub const SIGN_IN_EVENT: &str = "outlook-sign-in";

/// A step of [`sign_in_outlook`], sent as [`SIGN_IN_EVENT`] while it waits
/// for the user.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SignInProgress {
    /// "browser" (a page was opened at `url`) or "device" (enter `code`
    /// at `url`).
    pub method: &'static str,
    pub url: String,
    pub code: Option<String>,
    pub message: String,
}

/// What opens the sign-in page: the system browser, unless the app
/// manages another one (the tests follow the page's redirect themselves).
#[derive(Clone)]
pub struct BrowserOpener(pub Arc<OpenFn>);

/// Opens a URL; an error when nothing could be started.
pub type OpenFn = dyn Fn(&str) -> std::io::Result<()> + Send + Sync;

/// Open `url` in the system browser, from Rust rather than through an
/// opener plugin, so the window needs no permission to open URLs of its
/// own choosing.
pub(crate) fn open_in_browser(url: &str) -> std::io::Result<()> {
    orosync::desktop::open(url)
}

/// "Sign in" on the Microsoft account tab: a browser sign-in when there is
/// a display and the system opener starts, else the device code, shown in the
/// window (`method` = "device" asks for it directly). Waits, off the UI
/// thread, until the user finished; the token goes to the profile's store.
#[tauri::command]
pub async fn sign_in_outlook<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, Tray>,
    method: Option<String>,
) -> Result<String> {
    let (config, exists) = current_config(&tray)?;
    if !exists {
        return Err(Error::Other(
            "save the settings first: the sign-in needs the application (client) id".into(),
        ));
    }
    sign_in_outlook_to(app, config, tray.secrets.clone(), method).await
}

/// The Microsoft sign-in of `config`, kept in `store`: the settings
/// window's (the profile's store) and the first-run setup's (its draft).
pub(crate) async fn sign_in_outlook_to<R: Runtime>(
    app: AppHandle<R>,
    config: Config,
    store: Arc<dyn secrets::SecretStore>,
    method: Option<String>,
) -> Result<String> {
    let opener = app.try_state::<BrowserOpener>().map(|o| o.inner().clone());
    let method = match method.as_deref() {
        None => OutlookMethod::Auto,
        Some("browser") => OutlookMethod::Browser,
        Some("device") => OutlookMethod::DeviceCode,
        Some(other) => {
            return Err(Error::Other(format!(
                "method: {other:?} is not browser or device"
            )))
        }
    };
    // The app drives a browser of its own (the tests), or the system's.
    let can_open_browser = orosync::desktop::has_display() || opener.is_some();
    let handle = app.clone();
    let emit = move |p: SignInProgress| crate::window::emit(&app, SIGN_IN_EVENT, p);
    // The library's futures wait minutes for the user; they run on a
    // thread of their own so neither the UI nor the sync loop waits.
    let how = crate::blocking::on_own_thread("the sign-in", move || async move {
        orosync::app::login::login_outlook(
            &config,
            store,
            method,
            can_open_browser,
            move |prompt| match prompt {
                OutlookPrompt::Browser(url) => {
                    // The URL is in the window too, so a browser that did
                    // not open can be opened by hand.
                    let opened = match &opener {
                        Some(o) => (o.0)(url),
                        None => open_in_browser(url),
                    };
                    let message = match opened {
                        Ok(()) => "Finish the sign-in in the browser page that opened.".into(),
                        Err(e) => {
                            format!("Could not open a browser ({e}); open this page to sign in.")
                        }
                    };
                    emit(SignInProgress {
                        method: "browser",
                        url: url.to_string(),
                        code: None,
                        message,
                    });
                }
                OutlookPrompt::DeviceCode(dc) => emit(SignInProgress {
                    method: "device",
                    url: dc.verification_uri.clone(),
                    code: Some(dc.user_code.clone()),
                    message: dc.message.clone(),
                }),
            },
            orosync::app::login::BROWSER_WAIT,
        )
        .await
    })
    .await?;
    tracing::info!("signed in to Microsoft ({})", how.as_str());
    handle.refresh_tray();
    Ok("Signed in to Microsoft.".into())
}

/// "Start OroSync when I log in" in the settings window; the same entry
/// as the tray menu's "Start at login".
#[derive(Clone, Debug, serde::Serialize)]
pub struct AutostartDto {
    /// False where start at login is not offered (see `autostart`).
    pub available: bool,
    pub enabled: bool,
}

fn autostart_dto<R: Runtime>(app: &AppHandle<R>) -> AutostartDto {
    AutostartDto {
        available: crate::autostart::home_of(app).is_some(),
        enabled: crate::autostart::enabled(app),
    }
}

#[tauri::command]
pub fn get_autostart<R: Runtime>(app: AppHandle<R>) -> AutostartDto {
    autostart_dto(&app)
}

#[tauri::command]
pub fn set_autostart<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Result<AutostartDto> {
    crate::autostart::set_for_this_app(&app, enabled)
        .map_err(|e| Error::Other(format!("start at login could not be changed: {e}")))?;
    app.refresh_tray();
    Ok(autostart_dto(&app))
}

/// Escape or Ctrl+W in the settings window: close it, as its close
/// button does (the app stays in the tray).
#[tauri::command]
pub fn close_window<R: Runtime>(app: AppHandle<R>) {
    crate::window::close(&app);
}
