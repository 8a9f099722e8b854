//! The settings window (and the first-run setup, which is the same window
//! before there is a profile), wherever it lives:
//!
//! - in a process of its own ([`host`] in the tray, [`process`] in the
//!   window), in the desktop app, so closing it gives its memory back;
//! - in the tray's process, when no [`host::WindowHost`] is managed: the
//!   mock-runtime tests, and WebDriver sessions, whose driver talks to the
//!   web view of the process it started.
//!
//! The rest of the app calls [`open`], [`emit`], [`set_title`] and
//! [`close`] and does not care which.

pub mod host;
pub mod process;
pub mod protocol;

use host::WindowHost;
use protocol::{ToWindow, WindowSpec};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const SETTINGS_LABEL: &str = "settings";

pub const SETTINGS_TITLE: &str = "OroSync settings";
pub const SETUP_TITLE: &str = "Set up OroSync";

/// `--zoom FACTOR`: the settings window's page zoom (e.g. 2 for 200%).
pub struct WindowZoom(pub f64);

/// The window as both kinds of process build it.
pub(crate) fn builder<'a, R: Runtime, M: Manager<R>>(
    manager: &'a M,
    page: &str,
    title: &str,
) -> WebviewWindowBuilder<'a, R, M> {
    WebviewWindowBuilder::new(manager, SETTINGS_LABEL, WebviewUrl::App(page.into()))
        .title(title)
        .inner_size(860.0, 680.0)
        .min_inner_size(420.0, 360.0)
        // Ctrl + / Ctrl - / Ctrl 0 zoom the page (readable at 200%).
        .zoom_hotkeys_enabled(true)
}

/// Show the window in front, on `tab` if given (the page switches on a
/// `show-tab` event).
pub(crate) fn bring_forward<R: Runtime>(
    w: &tauri::WebviewWindow<R>,
    tab: Option<&str>,
) -> tauri::Result<()> {
    if let Some(tab) = tab {
        let _ = w.emit("show-tab", tab);
    }
    w.show()?;
    w.unminimize()?;
    w.set_focus()
}

/// What to show: the first-run setup while there is no profile, else the
/// settings on `tab`.
fn spec<R: Runtime>(app: &AppHandle<R>, tab: Option<&str>) -> WindowSpec {
    let setup = !app.state::<crate::runner::Tray>().config_path().exists();
    let page = match tab {
        _ if setup => "setup.html".to_string(),
        Some(t) => format!("index.html#{t}"),
        None => "index.html".to_string(),
    };
    WindowSpec {
        page,
        title: if setup { SETUP_TITLE } else { SETTINGS_TITLE }.into(),
        zoom: app.try_state::<WindowZoom>().map(|z| z.0),
    }
}

/// Open (or bring to the front) the settings window, on `tab` if given.
pub fn open<R: Runtime>(app: &AppHandle<R>, tab: Option<&str>) -> tauri::Result<()> {
    let in_process = app.get_webview_window(SETTINGS_LABEL);
    if let (Some(host), None) = (app.try_state::<WindowHost>(), &in_process) {
        match host.open(app, &spec(app, tab), tab) {
            Ok(()) => return Ok(()),
            // E.g. the program file was replaced by an upgrade while the
            // tray runs: the window still opens, in this process.
            Err(e) => tracing::warn!(
                "the settings window's process did not start ({e}); it opens in the tray's"
            ),
        }
    }
    if let Some(w) = in_process {
        return bring_forward(&w, tab);
    }
    // In this process: made when opened, destroyed when closed, so an app
    // that never opens it holds no web view.
    let spec = spec(app, tab);
    let w = builder(app, &spec.page, &spec.title).build()?;
    if let Some(z) = spec.zoom {
        w.set_zoom(z)?;
    }
    // Closing the window during the first-run setup is a cancel.
    let handle = app.clone();
    w.on_window_event(move |e| {
        if matches!(e, tauri::WindowEvent::Destroyed) {
            if let Some(s) = handle.try_state::<crate::setup_session::SetupSession>() {
                s.discard();
            }
        }
    });
    Ok(())
}

/// Send event `name` to the window's page.
pub fn emit<R: Runtime, S: Serialize + Clone>(app: &AppHandle<R>, name: &str, payload: S) {
    let _ = app.emit(name, payload.clone());
    if let Some(host) = app.try_state::<WindowHost>() {
        if let Ok(payload) = serde_json::to_value(payload) {
            host.send(&ToWindow::Event {
                name: name.into(),
                payload,
            });
        }
    }
}

pub fn set_title<R: Runtime>(app: &AppHandle<R>, title: &str) {
    if let Some(w) = app.get_webview_window(SETTINGS_LABEL) {
        let _ = w.set_title(title);
    }
    if let Some(host) = app.try_state::<WindowHost>() {
        host.send(&ToWindow::Title {
            title: title.into(),
        });
    }
}

/// Close the window (and end its process, if it has one).
pub fn close<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(SETTINGS_LABEL) {
        let _ = w.close();
    }
    if let Some(host) = app.try_state::<WindowHost>() {
        // Its process ends with the window; the host hears it go.
        host.send(&ToWindow::Close);
    }
}
