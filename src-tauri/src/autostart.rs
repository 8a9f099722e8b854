//! "Start at login" (optional, off by default): on Linux and the BSDs an
//! XDG autostart entry, `$XDG_CONFIG_HOME/autostart/orosync-tray.desktop`
//! (freedesktop "Desktop Application Autostart"), which desktops read at
//! login. macOS (a LaunchAgent) and Windows (the Run key) are not offered
//! yet: there [`config_home`] is `None` and the option shows as unavailable.

use std::path::{Path, PathBuf};
use tauri::{AppHandle, Manager, Runtime};

pub const FILE_NAME: &str = "orosync-tray.desktop";

/// Where the entry lives under a config folder (`$XDG_CONFIG_HOME`).
pub fn entry_path(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join(FILE_NAME)
}

/// The folder autostart entries go under: `$XDG_CONFIG_HOME` when it is
/// absolute, else `~/.config` (the `dirs` crate applies that rule); `None`
/// where XDG autostart is not how programs start at login.
pub fn config_home() -> Option<PathBuf> {
    if cfg!(all(unix, not(target_os = "macos"))) {
        dirs::config_dir()
    } else {
        None
    }
}

pub fn is_enabled(config_home: &Path) -> bool {
    entry_path(config_home).is_file()
}

/// `--profile` as given at launch, for the autostart entry.
pub struct LaunchProfile(pub Option<PathBuf>);

/// The folder this app writes its entry under, when it is not the
/// user's ([`config_home`]): a test's own folder, passed in rather than
/// set in the environment that the tests running beside it share.
pub struct AutostartHome(pub Option<PathBuf>);

/// The folder the app's entry goes under: the managed [`AutostartHome`],
/// else the user's.
pub fn home_of<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    match app.try_state::<AutostartHome>() {
        Some(h) => h.0.clone(),
        None => config_home(),
    }
}

/// Whether start at login is on for this app (false where it is not offered).
pub fn enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
    home_of(app).is_some_and(|h| is_enabled(&h))
}

/// Turn start at login on or off, for this binary as it was launched
/// (with its `--profile`, if any): the installed one in a package. The
/// tray menu's "Start at login" and the settings window's switch both
/// come here.
pub fn set_for_this_app<R: Runtime>(app: &AppHandle<R>, on: bool) -> std::io::Result<()> {
    let home = home_of(app).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "start at login is not available on this system",
        )
    })?;
    let profile = app.try_state::<LaunchProfile>().and_then(|p| p.0.clone());
    let exe = std::env::current_exe()?;
    set(&home, on, &exe, profile.as_deref())
}

/// Write or remove the entry; `exe` is the app to start (with `profile`
/// when one was given on the command line).
pub fn set(
    config_home: &Path,
    on: bool,
    exe: &Path,
    profile: Option<&Path>,
) -> std::io::Result<()> {
    let path = entry_path(config_home);
    if !on {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut exec = exec_arg(exe)?;
    if let Some(p) = profile {
        exec.push_str(" --profile ");
        exec.push_str(&exec_arg(p)?);
    }
    std::fs::create_dir_all(path.parent().expect("autostart folder"))?;
    // Written whole to a temporary file and renamed, so a session starting
    // meanwhile never reads half an entry.
    let tmp = path.with_extension("desktop.tmp");
    std::fs::write(&tmp, entry(&exec))?;
    std::fs::rename(&tmp, &path)
}

/// The entry's text. `Icon` is the name the packages install the app icon
/// under (hicolor theme); `X-GNOME-Autostart-enabled` is what GNOME's
/// "Startup Applications" toggles, other desktops ignore it.
fn entry(exec: &str) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=OroSync\n\
         Comment=Keeps OroCRM in sync with Outlook\n\
         Exec={exec}\n\
         Icon=orosync-tray\n\
         Terminal=false\n\
         StartupNotify=false\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// One argument of `Exec`, quoted as the Desktop Entry spec asks: inside
/// double quotes, `"`, `` ` ``, `$` and `\` take a backslash; then the
/// value's own string escaping doubles every backslash, and a literal `%`
/// (a field code otherwise) is written `%%`. A path with a line break or
/// that is not UTF-8 cannot be written and is refused.
fn exec_arg(path: &Path) -> std::io::Result<String> {
    let text = path.to_str().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} is not valid UTF-8; a start-at-login entry cannot name it",
                path.display()
            ),
        )
    })?;
    if text.contains(['\n', '\r']) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{text:?} has a line break; a start-at-login entry cannot name it"),
        ));
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            // Quoting rule: `\\`; then the string rule doubles both.
            '\\' => out.push_str("\\\\\\\\"),
            // Quoting rule: `\"` / `\$` / `` \` ``; the string rule doubles the backslash.
            '"' | '$' | '`' => {
                out.push_str("\\\\");
                out.push(c);
            }
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_writes_the_entry_and_off_removes_it() {
        let home = tempfile::tempdir().unwrap();
        assert!(!is_enabled(home.path()));
        set(
            home.path(),
            true,
            Path::new("/usr/bin/orosync-tray"),
            Some(Path::new("/data/my profile")),
        )
        .unwrap();
        assert!(is_enabled(home.path()));
        let text = std::fs::read_to_string(entry_path(home.path())).unwrap();
        assert!(text.contains("Exec=\"/usr/bin/orosync-tray\" --profile \"/data/my profile\"\n"));
        assert!(text.contains("X-GNOME-Autostart-enabled=true\n"));
        assert!(!entry_path(home.path())
            .with_extension("desktop.tmp")
            .exists());
        set(home.path(), false, Path::new("/x"), None).unwrap();
        assert!(!is_enabled(home.path()));
        // Off when already off is fine.
        set(home.path(), false, Path::new("/x"), None).unwrap();
    }

    #[test]
    fn exec_arguments_are_quoted_and_escaped_as_the_spec_asks() {
        let q = |s: &str| exec_arg(Path::new(s)).unwrap();
        assert_eq!(q("/usr/bin/orosync-tray"), r#""/usr/bin/orosync-tray""#);
        assert_eq!(q("/p/100% \"x\""), r#""/p/100%% \\"x\\"""#);
        assert_eq!(q("/p/$HOME`id`"), r#""/p/\\$HOME\\`id\\`""#);
        assert_eq!(q(r"/p/a\b"), r#""/p/a\\\\b""#);
    }

    #[test]
    fn a_path_with_a_line_break_is_refused_and_nothing_is_written() {
        let home = tempfile::tempdir().unwrap();
        let err = set(
            home.path(),
            true,
            Path::new("/usr/bin/orosync-tray"),
            Some(Path::new("/data/a\nb")),
        )
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("line break"), "{err}");
        assert!(!is_enabled(home.path()));
    }

    /// The written entry passes `desktop-file-validate` (Debian's
    /// desktop-file-utils), also for paths that need every kind of escape.
    /// CI installs the tool; elsewhere, without it, there is nothing to run.
    #[test]
    fn the_written_entry_passes_desktop_file_validate() {
        let tool = "desktop-file-validate";
        if std::process::Command::new(tool)
            .arg("--help")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "{tool} is missing; CI installs desktop-file-utils"
            );
            eprintln!("{tool} not installed: entry not validated");
            return;
        }
        let home = tempfile::tempdir().unwrap();
        for (exe, profile) in [
            ("/usr/bin/orosync-tray", None),
            (
                "/opt/Oro Sync/bin/orosync-tray",
                Some(r#"/home/j/100% "odd" $dir `x` a\b;c&d"#),
            ),
        ] {
            set(home.path(), true, Path::new(exe), profile.map(Path::new)).unwrap();
            let out = std::process::Command::new(tool)
                .arg(entry_path(home.path()))
                .output()
                .unwrap();
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "{exe} {profile:?}: {said}");
            // Hints are fine; warnings and errors are not.
            assert!(
                !said.contains("error:") && !said.contains("warning:"),
                "{exe} {profile:?}: {said}"
            );
        }
    }
}
