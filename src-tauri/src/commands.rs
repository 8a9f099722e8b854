//! The settings window's commands: thin wrappers over the library (config,
//! state, App) and the tray's [`Tray`] state. Each is allowed to the window
//! by name in `capabilities/settings.json`.

use crate::error::{Error, Result};
use crate::models::{
    FieldError, KindCounts, PreviewDto, RunDto, SaveResult, SettingsDto, SettingsView, StatusDto,
    TestResult,
};
use crate::runner::Tray;
use orosync::app::SyncRequest;
use orosync::config::Config;
use orosync::conflicts::ConflictView;
use orosync::model::Side;
use orosync::secrets;
use orosync::state::State as SyncState;
use tauri::{AppHandle, Runtime, State};

/// The saved settings, or the defaults for a profile without any.
fn current_config(tray: &Tray) -> Result<(Config, bool)> {
    let path = tray.config_path();
    if !path.exists() {
        return Ok((Config::new("", "", ""), false));
    }
    Ok((
        Config::load(&path).map_err(orosync::app::AppError::from)?,
        true,
    ))
}

#[tauri::command]
pub fn get_settings(tray: State<'_, Tray>) -> Result<SettingsView> {
    let (config, exists) = current_config(&tray)?;
    let outlook_signed_in = matches!(
        tray.secrets.get(secrets::OUTLOOK_REFRESH_TOKEN),
        Ok(Some(_))
    );
    Ok(SettingsView {
        settings: SettingsDto::from_config(&config),
        choices: Default::default(),
        path: tray.config_path().display().to_string(),
        exists,
        outlook_signed_in,
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
    orosync::profile::Profile::open(&tray.profile_dir)
        .map_err(|e| Error::Other(format!("cannot open the profile folder: {e}")))?;
    config
        .save(&tray.config_path())
        .map_err(orosync::app::AppError::from)?;
    tracing::info!("settings saved to {}", tray.config_path().display());
    tray.settings_changed(&config);
    crate::tray::refresh(&app);
    Ok(SaveResult {
        saved: true,
        errors: vec![],
    })
}

/// Can Oro (and Outlook) be reached and do they accept the credentials?
#[tauri::command]
pub async fn test_connection(tray: State<'_, Tray>) -> Result<TestResult> {
    let app = match tray.app() {
        Ok(a) => a,
        Err(e) => {
            return Ok(TestResult {
                ok: false,
                message: e.to_string(),
            })
        }
    };
    if let Err(why) = orosync::reach::check(&app.config).await {
        return Ok(TestResult {
            ok: false,
            message: why,
        });
    }
    let oro = match orosync::app::oro_client(&app.config, app.secrets.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            return Ok(TestResult {
                ok: false,
                message: e.to_string(),
            })
        }
    };
    match oro.user_id().await {
        Ok(id) => Ok(TestResult {
            ok: true,
            message: format!(
                "Connected to Oro at {} as {} (user {id}).",
                app.config.oro.url, app.config.oro.username
            ),
        }),
        Err(e) => Ok(TestResult {
            ok: false,
            message: format!("Oro answered, but: {e}"),
        }),
    }
}

#[tauri::command]
pub fn get_status(tray: State<'_, Tray>) -> StatusDto {
    tray.status()
}

/// "Sync now"; during a run, one follow-up run. True when it was coalesced.
#[tauri::command]
pub fn sync_now<R: Runtime>(app: AppHandle<R>, tray: State<'_, Tray>) -> bool {
    let follow_up = tray.request_sync();
    crate::tray::refresh(&app);
    follow_up
}

/// The most recent runs, newest first.
#[tauri::command]
pub fn get_history(tray: State<'_, Tray>, limit: Option<usize>) -> Result<Vec<RunDto>> {
    let path = tray.profile_dir.join("state.sqlite3");
    if !path.exists() {
        return Ok(vec![]);
    }
    let state = SyncState::open(&path)?;
    Ok(state
        .runs(limit.unwrap_or(20).min(200))?
        .iter()
        .map(RunDto::from_record)
        .collect())
}

#[tauri::command]
pub fn get_conflicts(tray: State<'_, Tray>) -> Result<Vec<ConflictView>> {
    let path = tray.profile_dir.join("state.sqlite3");
    if !path.exists() {
        return Ok(vec![]);
    }
    let state = SyncState::open(&path)?;
    Ok(state.pending(None)?.iter().map(ConflictView::new).collect())
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
    let n: i64 = id
        .parse()
        .map_err(|_| Error::Other(format!("no pending conflict with id {id:?}")))?;
    let mut state = SyncState::open(&tray.profile_dir.join("state.sqlite3"))?;
    if !state.resolve(n, side)? {
        return Err(Error::Other(format!("no pending conflict with id {id:?}")));
    }
    tray.refresh_conflicts();
    tray.request_sync();
    crate::tray::refresh(&app);
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
    let kinds: Vec<KindCounts> = s
        .kinds
        .iter()
        .map(|(k, v)| KindCounts {
            kind: k.as_str().into(),
            oro_created: v.oro.created as u64,
            oro_updated: v.oro.updated as u64,
            oro_deleted: v.oro.deleted as u64,
            outlook_created: v.outlook.created as u64,
            outlook_updated: v.outlook.updated as u64,
            outlook_deleted: v.outlook.deleted as u64,
            conflicts: v.conflicts as u64,
            failed: v.failed as u64,
        })
        .collect();
    Ok(PreviewDto {
        outlook_deletes: kinds.iter().map(|k| k.outlook_deleted).sum(),
        creates: kinds
            .iter()
            .map(|k| k.oro_created + k.outlook_created)
            .sum(),
        kinds,
    })
}

/// The user confirmed the resync preview.
#[tauri::command]
pub fn resync<R: Runtime>(app: AppHandle<R>, tray: State<'_, Tray>) {
    tray.request_resync();
    crate::tray::refresh(&app);
}

#[tauri::command]
pub fn sign_out_outlook(tray: State<'_, Tray>) -> Result<()> {
    tray.secrets
        .delete(secrets::OUTLOOK_REFRESH_TOKEN)
        .map_err(|e| Error::Other(e.to_string()))
}
