//! The tray icon, its menu and the settings window. The menu handler is
//! generic over the runtime so tests drive it on Tauri's mock runtime.

use crate::autostart;
use crate::dto::TrayState;
use crate::refresh::Refresh;
use crate::runner::Tray;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

pub const TRAY_ID: &str = "main-tray";
pub use crate::autostart::LaunchProfile;
pub use crate::window::SETTINGS_LABEL;

/// Menu item ids.
pub mod ids {
    pub const SYNC_NOW: &str = "sync_now";
    pub const STATUS: &str = "status";
    pub const PAUSE: &str = "pause";
    pub const SETTINGS: &str = "settings";
    pub const ABOUT: &str = "about";
    pub const OPEN_LOG: &str = "open_log";
    pub const AUTOSTART: &str = "autostart";
    pub const QUIT: &str = "quit";
}

/// The menu items whose text or state changes.
pub struct TrayMenu<R: Runtime> {
    sync: MenuItem<R>,
    status: MenuItem<R>,
    pause: MenuItem<R>,
    autostart: CheckMenuItem<R>,
}

pub fn icon(state: TrayState) -> Image<'static> {
    let bytes: &'static [u8] = match state {
        TrayState::Idle => include_bytes!("../icons/tray-idle.png"),
        TrayState::Syncing => include_bytes!("../icons/tray-syncing.png"),
        TrayState::Error => include_bytes!("../icons/tray-error.png"),
        TrayState::Conflicts => include_bytes!("../icons/tray-conflicts.png"),
        TrayState::Paused => include_bytes!("../icons/tray-paused.png"),
        // Faded with a "×": not to be taken for Paused, which the user chose.
        TrayState::Offline => include_bytes!("../icons/tray-offline.png"),
    };
    Image::from_bytes(bytes).expect("the tray icons are valid PNGs")
}

/// Which of (Sync now, Pause) the menu offers: neither before the
/// first-run setup is done (nothing to sync yet), and Pause only when
/// something runs on its own (automatic mode) or is paused already.
pub fn offered(tray: &Tray) -> (bool, bool) {
    (tray.is_set_up(), tray.can_pause())
}

pub fn pause_text(paused: bool) -> &'static str {
    if paused {
        "Resume automatic sync"
    } else {
        "Pause automatic sync"
    }
}

/// Build the tray icon with its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let tray = app.state::<Tray>();
    let (sync_offered, pause_offered) = offered(&tray);
    let sync = MenuItem::with_id(app, ids::SYNC_NOW, "Sync now", sync_offered, None::<&str>)?;
    let status = MenuItem::with_id(app, ids::STATUS, tray.status_line(), false, None::<&str>)?;
    let pause = MenuItem::with_id(
        app,
        ids::PAUSE,
        pause_text(tray.is_paused()),
        pause_offered,
        None::<&str>,
    )?;
    let settings = MenuItem::with_id(app, ids::SETTINGS, "Settings…", true, None::<&str>)?;
    let about = MenuItem::with_id(app, ids::ABOUT, "About OroSync", true, None::<&str>)?;
    let log = MenuItem::with_id(app, ids::OPEN_LOG, "Open log", true, None::<&str>)?;
    let home = autostart::home_of(app);
    let autostart = CheckMenuItem::with_id(
        app,
        ids::AUTOSTART,
        "Start at login",
        home.is_some(),
        home.as_deref().is_some_and(autostart::is_enabled),
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, ids::QUIT, "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &sync,
            &status,
            &PredefinedMenuItem::separator(app)?,
            &pause,
            &settings,
            &about,
            &log,
            &autostart,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(tray.state()))
        .tooltip(tooltip(&tray))
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| handle_menu_event(app, event.id.as_ref()))
        .build(app)?;
    app.manage(TrayMenu {
        sync,
        status,
        pause,
        autostart,
    });
    Ok(())
}

fn tooltip(tray: &Tray) -> String {
    format!("OroSync\n{}", tray.status_line())
}

/// The tray menu's actions.
pub fn handle_menu_event<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let tray = app.state::<Tray>();
    match id {
        ids::SYNC_NOW => {
            tray.request_sync();
        }
        ids::PAUSE => tray.set_paused(!tray.is_paused()),
        ids::SETTINGS => {
            if let Err(e) = open_settings(app, None) {
                tracing::warn!("cannot open the settings window: {e}");
            }
        }
        ids::ABOUT => {
            if let Err(e) = open_settings(app, Some("about")) {
                tracing::warn!("cannot open the settings window: {e}");
            }
        }
        ids::OPEN_LOG => open_log(&tray),
        ids::AUTOSTART => toggle_autostart(app),
        ids::QUIT => {
            before_exit(app);
            app.exit(0)
        }
        _ => {}
    }
    refresh(app);
}

/// Show the state everywhere: icon, tooltip, menu texts, and the window
/// (a `status` event). Without a tray (tests, no tray host) only the event.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let tray = app.state::<Tray>();
    if let Some(icon_handle) = app.tray_by_id(TRAY_ID) {
        let _ = icon_handle.set_icon(Some(icon(tray.state())));
        let _ = icon_handle.set_tooltip(Some(tooltip(&tray)));
    }
    if let Some(menu) = app.try_state::<TrayMenu<R>>() {
        let (sync_offered, pause_offered) = offered(&tray);
        let _ = menu.sync.set_enabled(sync_offered);
        let _ = menu.status.set_text(tray.status_line());
        let _ = menu.pause.set_text(pause_text(tray.is_paused()));
        let _ = menu.pause.set_enabled(pause_offered);
        // Start at login may have been changed from the settings window.
        let _ = menu.autostart.set_checked(autostart::enabled(app));
    }
    crate::window::emit(app, "status", tray.status());
    tray.publish();
}

/// The commands refresh the tray through this (see `refresh`), without
/// importing this module.
impl<R: Runtime> Refresh for AppHandle<R> {
    fn refresh_tray(&self) {
        refresh(self)
    }
}

/// Open (or focus) the settings window, on `tab` if given.
pub fn open_settings<R: Runtime>(app: &AppHandle<R>, tab: Option<&str>) -> tauri::Result<()> {
    crate::window::open(app, tab)
}

/// A demo profile to delete when the app ends.
pub struct ThrowAway(pub Option<std::path::PathBuf>);

/// What the app leaves tidy when it ends: no `tray.json` claiming a next
/// run, no demo profile, no first-run draft.
pub fn before_exit<R: Runtime>(app: &AppHandle<R>) {
    app.state::<Tray>().unpublish();
    if let Some(host) = app.try_state::<crate::window::host::WindowHost>() {
        host.shutdown();
    }
    // A first-run setup in progress: its scratch folder goes too.
    if let Some(s) = app.try_state::<crate::setup_session::SetupSession>() {
        s.discard();
    }
    if let Some(ThrowAway(Some(dir))) = app.try_state::<ThrowAway>().as_deref() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn toggle_autostart<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = autostart::set_for_this_app(app, !autostart::enabled(app)) {
        tracing::warn!("start at login could not be changed: {e}");
    }
}

fn open_log(tray: &Tray) {
    let path = tray.log_path();
    if let Err(e) = orosync::desktop::open(&path) {
        tracing::warn!("cannot open {}: {e}", path.display());
    }
}
