//! The app's configuration (`tauri.conf.json`) and its embedded `ui/`, for
//! the tray and the window process alike: generated once, so the assets
//! are in the binary once.

pub(crate) fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!()
}
