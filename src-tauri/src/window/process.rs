//! `orosync-tray --window SPEC`: the settings window in a process of its
//! own, started by the tray ([`super::host`]). It holds no state: every
//! command the page invokes goes to the tray as a line on stdout and its
//! answer comes back on stdin, with the tray's events. It ends when its
//! window closes or the tray goes (stdin closed).

use super::protocol::{ToTray, ToWindow, WindowSpec};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tauri::ipc::{InvokeBody, InvokeResolver};
use tauri::{Emitter, Manager, RunEvent, Wry};

/// Calls sent to the tray, waiting for their answers.
#[derive(Default)]
struct Pending {
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, InvokeResolver<Wry>>>,
}

/// Run the window process; returns its exit status.
pub fn run(spec_json: &str) -> i32 {
    let spec: WindowSpec = match serde_json::from_str(spec_json) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("orosync-tray --window: not a window description ({e})");
            return 2;
        }
    };
    let pending = Arc::new(Pending::default());
    let calls = pending.clone();
    let app = tauri::Builder::default()
        .invoke_handler(move |invoke| {
            // Tauri has checked the command against the window's
            // capabilities already, by name, as for the in-process window.
            let cmd = invoke.message.command().to_string();
            let args = match invoke.message.payload() {
                InvokeBody::Json(v) => v.clone(),
                InvokeBody::Raw(_) => serde_json::Value::Null,
            };
            let id = calls.next.fetch_add(1, Ordering::Relaxed);
            calls
                .waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, invoke.resolver);
            if let Err(e) = send(&ToTray::Call { id, cmd, args }) {
                let r = calls
                    .waiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
                if let Some(r) = r {
                    r.reject(format!("OroSync's tray app cannot be reached: {e}"));
                }
            }
            true
        })
        .setup(move |app| {
            let w = super::builder(app.handle(), &spec.page, &spec.title).build()?;
            if let Some(z) = spec.zoom {
                w.set_zoom(z)?;
            }
            let handle = app.handle().clone();
            std::thread::Builder::new()
                .name("tray-link".into())
                .spawn(move || listen(handle, pending))?;
            Ok(())
        })
        .build(crate::context::context());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("orosync-tray --window: cannot start: {e}");
            return 1;
        }
    };
    // The last window closed ends the process, as Tauri does by default.
    app.run(|_, _: RunEvent| {});
    0
}

/// One line to the tray.
fn send(msg: &ToTray) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(msg.line().as_bytes())?;
    out.flush()
}

/// The tray's messages, until it closes our stdin.
fn listen(app: tauri::AppHandle, pending: Arc<Pending>) {
    let window = || app.get_webview_window(super::SETTINGS_LABEL);
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let msg = match ToWindow::parse(&line) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("orosync-tray --window: a malformed message from the tray: {e}");
                continue;
            }
        };
        match msg {
            ToWindow::Reply { id, result } => {
                let r = pending
                    .waiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
                match (r, result) {
                    (Some(r), Ok(v)) => r.resolve(v),
                    (Some(r), Err(e)) => r.reject(e),
                    (None, _) => {}
                }
            }
            ToWindow::Event { name, payload } => {
                let _ = app.emit(&name, payload);
            }
            ToWindow::Show { tab } => {
                if let Some(w) = window() {
                    let _ = super::bring_forward(&w, tab.as_deref());
                }
            }
            ToWindow::Title { title } => {
                if let Some(w) = window() {
                    let _ = w.set_title(&title);
                }
            }
            ToWindow::Close => break,
        }
    }
    // Told to close, or the tray is gone: the window goes with it.
    app.exit(0);
}
