//! The settings window's About tab: version, where things are, and the
//! diagnostics report for support (built by `orosync::diagnostics`, the
//! same as `orosync diagnostics`).

use crate::error::{Error, Result};
use crate::runner::Tray;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AboutDto {
    /// From Cargo (the tray crate's version).
    pub version: String,
    pub profile: String,
    pub config: String,
    pub logs: String,
    /// The tray app's own log file ("Open log" in the menu).
    pub tray_log: String,
}

#[tauri::command]
pub fn about(tray: State<'_, Tray>) -> AboutDto {
    AboutDto {
        version: env!("CARGO_PKG_VERSION").into(),
        profile: tray.profile_dir.display().to_string(),
        config: tray.config_path().display().to_string(),
        logs: orosync::profile::Profile::at(&tray.profile_dir)
            .logs_dir()
            .display()
            .to_string(),
        tray_log: tray.log_path().display().to_string(),
    }
}

/// The redacted report, for the window to show before it is copied.
#[tauri::command]
pub fn get_diagnostics(tray: State<'_, Tray>) -> String {
    orosync::diagnostics::report(&tray.profile_dir, tray.secrets.as_ref(), chrono::Utc::now())
}

/// "Copy diagnostics": the report to the clipboard, from Rust, so the
/// window needs no clipboard permission of its own. Returns the report.
#[tauri::command]
pub fn copy_diagnostics<R: Runtime>(app: AppHandle<R>, tray: State<'_, Tray>) -> Result<String> {
    let report = get_diagnostics(tray);
    app.clipboard()
        .write_text(report.clone())
        .map_err(|e| Error::Other(format!("the clipboard could not be written: {e}")))?;
    Ok(report)
}
