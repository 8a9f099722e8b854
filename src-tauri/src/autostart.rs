//! "Start at login" (optional, off by default): an XDG autostart entry,
//! `$XDG_CONFIG_HOME/autostart/orosync-tray.desktop`, which desktops on
//! Linux read at login. Other platforms: not offered.

use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "orosync-tray.desktop";

/// Where the entry lives under a config folder (`$XDG_CONFIG_HOME`).
pub fn entry_path(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join(FILE_NAME)
}

/// `$XDG_CONFIG_HOME`, else `~/.config`.
pub fn config_home() -> Option<PathBuf> {
    match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => Some(p),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")),
    }
}

pub fn is_enabled(config_home: &Path) -> bool {
    entry_path(config_home).is_file()
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
    std::fs::create_dir_all(path.parent().expect("autostart folder"))?;
    let quote = |p: &Path| format!("\"{}\"", p.display().to_string().replace('"', "\\\""));
    let mut exec = quote(exe);
    if let Some(p) = profile {
        exec.push_str(" --profile ");
        exec.push_str(&quote(p));
    }
    std::fs::write(
        &path,
        format!(
            "[Desktop Entry]\nType=Application\nName=OroSync\n\
             Comment=Keeps OroCRM in sync with Outlook\nExec={exec}\n\
             Icon=orosync-tray\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
        ),
    )
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
        set(home.path(), false, Path::new("/x"), None).unwrap();
        assert!(!is_enabled(home.path()));
        // Off when already off is fine.
        set(home.path(), false, Path::new("/x"), None).unwrap();
    }
}
