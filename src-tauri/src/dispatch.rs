//! The settings window's commands by name, for a window in its own process
//! (`window::host`): the same functions `generate_handler!` registers,
//! called with the tray's state and the arguments the page sent.
//!
//! Written by hand because Tauri's command machinery only runs an `Invoke`
//! that came from one of the process's own web views.

use crate::{about, commands, first_run};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Manager, Runtime};

/// A command's answer: its value, or its error as the page sees it (the
/// error's text, as `invoke` rejects with in-process).
pub type Reply = std::result::Result<Value, Value>;

/// One argument, by the name the page gives it (these are all one word, so
/// Tauri's camelCase renaming leaves them as they are). Missing is `null`,
/// which an `Option` takes as `None`.
fn arg<T: DeserializeOwned>(cmd: &str, args: &Value, name: &str) -> Result<T, Value> {
    let v = args.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v)
        .map_err(|e| Value::String(format!("invalid args `{name}` for command `{cmd}`: {e}")))
}

fn ok<T: Serialize>(v: T) -> Reply {
    serde_json::to_value(v).map_err(|e| Value::String(format!("the answer could not be sent: {e}")))
}

fn answer<T: Serialize>(r: crate::error::Result<T>) -> Reply {
    match r {
        Ok(v) => ok(v),
        Err(e) => Err(Value::String(e.to_string())),
    }
}

/// Run command `cmd` with `args` (the page's argument object) in this
/// (the tray's) process.
pub async fn dispatch<R: Runtime>(app: &AppHandle<R>, cmd: &str, args: &Value) -> Reply {
    let a = app.clone();
    match cmd {
        "get_settings" => answer(commands::get_settings(a.state())),
        "save_settings" => answer(commands::save_settings(
            a.clone(),
            a.state(),
            arg(cmd, args, "settings")?,
        )),
        "test_connection" => answer(commands::test_connection(a.state()).await),
        "probe_oro_certificate" => {
            answer(commands::probe_oro_certificate(a.state(), arg(cmd, args, "url")?).await)
        }
        "trust_oro_certificate" => answer(
            commands::trust_oro_certificate(a.clone(), a.state(), arg(cmd, args, "fingerprint")?)
                .await,
        ),
        "get_status" => ok(commands::get_status(a.state())),
        "sync_now" => ok(commands::sync_now(a.clone(), a.state())),
        "get_history" => answer(commands::get_history(a.state(), arg(cmd, args, "limit")?)),
        "get_conflicts" => answer(commands::get_conflicts(a.state())),
        "resolve_conflict" => answer(commands::resolve_conflict(
            a.clone(),
            a.state(),
            arg(cmd, args, "id")?,
            arg(cmd, args, "keep")?,
        )),
        "get_held_deletions" => ok(commands::get_held_deletions(a.state())),
        "decide_held_deletions" => answer(commands::decide_held_deletions(
            a.clone(),
            a.state(),
            arg(cmd, args, "kind")?,
            arg(cmd, args, "choice")?,
        )),
        "resync_preview" => answer(commands::resync_preview(a.state()).await),
        "resync" => {
            commands::resync(a.clone(), a.state());
            ok(())
        }
        "sign_out_outlook" => answer(commands::sign_out_outlook(a.state())),
        "sign_in_outlook" => {
            answer(commands::sign_in_outlook(a.clone(), a.state(), arg(cmd, args, "method")?).await)
        }
        "setup_view" => ok(first_run::setup_view(a.state())),
        "setup_check_oro" => answer(
            first_run::setup_check_oro(
                a.clone(),
                a.state(),
                arg(cmd, args, "form")?,
                arg(cmd, args, "secret")?,
            )
            .await,
        ),
        "setup_sign_in_outlook" => answer(
            first_run::setup_sign_in_outlook(
                a.clone(),
                a.state(),
                arg(cmd, args, "form")?,
                arg(cmd, args, "method")?,
            )
            .await,
        ),
        "setup_preview" => answer(first_run::setup_preview(a.state(), arg(cmd, args, "form")?).await),
        "setup_start" => answer(first_run::setup_start(
            a.clone(),
            a.state(),
            a.state(),
            arg(cmd, args, "form")?,
        )),
        "setup_cancel" => {
            first_run::setup_cancel(a.clone(), a.state());
            ok(())
        }
        "about" => ok(about::about(a.state())),
        "get_diagnostics" => ok(about::get_diagnostics(a.state())),
        "copy_diagnostics" => answer(about::copy_diagnostics(a.clone(), a.state())),
        "get_autostart" => ok(commands::get_autostart()),
        "set_autostart" => answer(commands::set_autostart(
            a.clone(),
            arg(cmd, args, "enabled")?,
        )),
        other => Err(Value::String(format!("command {other} not found"))),
    }
}
