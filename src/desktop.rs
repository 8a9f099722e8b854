//! The desktop around the app, on every OS it builds for: whether a
//! graphical session is there, and the system's opener for a URL or a file
//! (the browser for a sign-in page, the viewer for a log).

use std::ffi::OsStr;
use std::io;
use std::process::Command;

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
///
/// The opener (and the browser it starts) gets the environment without
/// OroSync's secrets ([`without_secrets`]). On Windows ShellExecute has no
/// environment of its own to give: the browser there is usually running
/// already, and the secret variables are a headless (CI) feature.
pub fn open(target: impl AsRef<OsStr>) -> io::Result<()> {
    #[cfg(windows)]
    {
        open::that_detached(target)
    }
    #[cfg(not(windows))]
    {
        // The openers the `open` crate would try, in its order, each with
        // the secrets taken out; the first that starts is left running
        // (reaped by a thread, so it leaves no zombie).
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no program to open it with");
        for mut cmd in open::commands(target) {
            without_secrets(&mut cmd)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            match cmd.spawn() {
                Ok(mut child) => {
                    std::thread::spawn(move || child.wait());
                    return Ok(());
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// Take OroSync's secret variables (`OROSYNC_ORO_API_KEY`, …: the ones the
/// secret store reads, [`crate::secrets::ENV_VARS`]) out of a child's
/// environment. Every process OroSync starts goes through this: the
/// browser opener, the settings window's process (and so WebKit's), the
/// desktop's tools. A child never needs them: only OroSync's own process
/// talks to the servers.
pub fn without_secrets(cmd: &mut Command) -> &mut Command {
    for (_, var) in crate::secrets::ENV_VARS {
        cmd.env_remove(var);
    }
    cmd
}
