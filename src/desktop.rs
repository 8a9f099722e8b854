//! The desktop around the app, on every OS it builds for: whether a
//! graphical session is there, and the system's opener for a URL or a file
//! (the browser for a sign-in page, the viewer for a log).

use std::ffi::OsStr;
use std::io;

/// Whether a browser can be shown: always on macOS and Windows; elsewhere
/// (Linux, the BSDs) when an X11 or Wayland session is there, not over SSH
/// or on a headless box.
pub fn has_display() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Open `target` (a URL or a path) with the system's opener, without
/// waiting for it: `xdg-open` (or gio, kde-open, …) on Linux, `open` on
/// macOS, the shell's `ShellExecute` on Windows, which takes a URL with `&`
/// in it whole where `cmd /C start` would cut it.
pub fn open(target: impl AsRef<OsStr>) -> io::Result<()> {
    open::that_detached(target)
}
