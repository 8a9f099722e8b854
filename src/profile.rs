//! The profile folder (docs/cli.md, "Global options": `--profile DIR`): `config.toml`,
//! `state.sqlite3`, `logs/`, `backups/` and the run lock.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub dir: PathBuf,
}

impl Profile {
    /// The profile used without `--profile`: `$XDG_DATA_HOME/orosync/default`,
    /// else `~/.local/share/orosync/default` on Linux and the BSDs; the OS
    /// per-user data folder elsewhere (`~/Library/Application Support` on
    /// macOS, `%APPDATA%` on Windows).
    pub fn default_dir() -> io::Result<PathBuf> {
        #[cfg(all(unix, not(target_os = "macos")))]
        let data = xdg_data_home(
            std::env::var_os("XDG_DATA_HOME").as_deref(),
            dirs::home_dir().as_deref(),
        );
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let data = dirs::data_dir();
        data.map(|d| d.join("orosync").join("default"))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "no home folder to put the profile in; pass --profile DIR",
                )
            })
    }

    /// Opens the profile at `dir`, creating it (and `logs/`, `backups/`)
    /// when missing. New folders are private to the user (0700 on unix):
    /// they hold personal data from both systems. Existing folders keep
    /// the permissions the user gave them.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Profile> {
        let profile = Profile { dir: dir.into() };
        create_private_dir(&profile.dir)?;
        create_private_dir(&profile.logs_dir())?;
        create_private_dir(&profile.backups_dir())?;
        Ok(profile)
    }

    /// The profile at `dir`, as it is: nothing is created (the read-only
    /// commands, and paths inside a folder that is being set up).
    pub fn at(dir: impl Into<PathBuf>) -> Profile {
        Profile { dir: dir.into() }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join("state.sqlite3")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.dir.join("backups")
    }

    /// A warning when other users can read the profile folder (see
    /// [`crate::private_fs::exposure`]); logged when a command opens the
    /// profile, shown by `orosync status` and the diagnostics.
    pub fn exposure(&self) -> Option<String> {
        crate::private_fs::exposure(&self.dir)
    }

    /// See [`crate::lock`].
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(crate::lock::LOCK_FILE)
    }
}

/// The XDG base-directory rule: `$XDG_DATA_HOME` if it is an absolute path
/// (the spec says relative values are to be ignored), else
/// `$HOME/.local/share`.
pub fn xdg_data_home(xdg_data_home: Option<&OsStr>, home: Option<&Path>) -> Option<PathBuf> {
    match xdg_data_home.map(Path::new) {
        Some(p) if p.is_absolute() => Some(p.to_path_buf()),
        _ => home.map(|h| h.join(".local").join("share")),
    }
}

/// Creates `dir` and its missing parents with mode 0700 on unix; an existing
/// folder is accepted as it is, anything else at that path is an error.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    crate::private_fs::create_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_data_home_is_used_only_when_absolute() {
        let home = Path::new("/home/jane");
        assert_eq!(
            xdg_data_home(Some(OsStr::new("/data")), Some(home)),
            Some(PathBuf::from("/data"))
        );
        assert_eq!(
            xdg_data_home(Some(OsStr::new("relative/data")), Some(home)),
            Some(PathBuf::from("/home/jane/.local/share"))
        );
        assert_eq!(
            xdg_data_home(Some(OsStr::new("")), Some(home)),
            Some(PathBuf::from("/home/jane/.local/share"))
        );
        assert_eq!(
            xdg_data_home(None, Some(home)),
            Some(PathBuf::from("/home/jane/.local/share"))
        );
        assert_eq!(xdg_data_home(None, None), None);
    }

    #[test]
    fn default_dir_ends_in_orosync_default() {
        // The environment decides the prefix; only the suffix is ours.
        if let Ok(d) = Profile::default_dir() {
            assert!(d.ends_with("orosync/default"), "{}", d.display());
            assert!(d.is_absolute());
        }
    }

    #[test]
    fn open_creates_the_layout_and_paths_point_into_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("profile");
        let p = Profile::open(&dir).unwrap();
        assert_eq!(p.dir, dir);
        assert!(p.logs_dir().is_dir() && p.backups_dir().is_dir());
        assert_eq!(p.config_path(), dir.join("config.toml"));
        assert_eq!(p.state_path(), dir.join("state.sqlite3"));
        assert_eq!(p.logs_dir(), dir.join("logs"));
        assert_eq!(p.backups_dir(), dir.join("backups"));
        assert_eq!(p.lock_path(), dir.join("sync.lock"));
        // Opening again is fine and keeps what is there.
        std::fs::write(p.config_path(), "x").unwrap();
        let again = Profile::open(&dir).unwrap();
        assert_eq!(std::fs::read(again.config_path()).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn new_folders_are_private_and_existing_ones_untouched() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let p = Profile::open(tmp.path().join("new")).unwrap();
        for d in [&p.dir, &p.logs_dir(), &p.backups_dir()] {
            assert_eq!(mode(d), 0o700, "{}", d.display());
        }

        let existing = tmp.path().join("existing");
        std::fs::create_dir(&existing).unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o750)).unwrap();
        Profile::open(&existing).unwrap();
        assert_eq!(mode(&existing), 0o750);
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("profile");
        std::fs::write(&file, "").unwrap();
        assert!(Profile::open(&file).is_err());
    }
}
