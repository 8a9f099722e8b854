//! First run: a profile is drafted away from its folder — the settings in
//! a scratch folder of the OS temp dir (so the Oro check and the first
//! sync's preview can run on it), the secrets in memory — and written into
//! place in one step by [`Draft::commit`]. Dropping a [`Draft`] is the
//! cancel: the scratch folder goes, the secrets were never anywhere else,
//! and the profile folder, the keyring and the state database are as they
//! were.

use crate::app::{App, AppError};
use crate::config::{Config, ConfigError, OroAuth};
use crate::profile::Profile;
use crate::secrets::{self, MemorySecrets, SecretError, SecretStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every secret a profile may hold, in the order a commit stores them.
pub const SECRET_NAMES: &[&str] = &[
    secrets::ORO_API_KEY,
    secrets::ORO_CLIENT_SECRET,
    secrets::ORO_REFRESH_TOKEN,
    secrets::OUTLOOK_REFRESH_TOKEN,
];

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{path} already exists: this profile is set up; change it in the settings instead")]
    AlreadyConfigured { path: String },
    #[error("the settings are not complete yet: {0}")]
    NoSettings(String),
    #[error("not signed in to {what} yet: sign in (and check) first; nothing was saved")]
    NotSignedIn {
        what: &'static str,
        key: &'static str,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The text never holds a secret value ([`SecretError`] does not).
    #[error("the sign-in could not be kept in the OS keyring ({0}); nothing was saved")]
    Keyring(SecretError),
    #[error("{what}: {source}; nothing was saved")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl SetupError {
    /// `section.key` when a setting was refused.
    pub fn key(&self) -> Option<&str> {
        match self {
            SetupError::Config(e) => e.key(),
            SetupError::NotSignedIn { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// A profile being set up; see the module's doc.
pub struct Draft {
    scratch: tempfile::TempDir,
    secrets: Arc<MemorySecrets>,
}

impl Draft {
    pub fn new() -> Result<Draft, SetupError> {
        let scratch = tempfile::Builder::new()
            .prefix("orosync-setup-")
            .tempdir()
            .map_err(|source| SetupError::Io {
                what: "cannot make a temporary folder for the setup".into(),
                source,
            })?;
        private(scratch.path())?;
        Ok(Draft {
            scratch,
            secrets: Arc::new(MemorySecrets::new()),
        })
    }

    /// The draft's secrets: sign-ins during the setup store here.
    pub fn secrets(&self) -> Arc<MemorySecrets> {
        self.secrets.clone()
    }

    /// The scratch profile folder (removed with the draft).
    pub fn scratch_dir(&self) -> &Path {
        self.scratch.path()
    }

    /// Keep `config` as the draft's settings (validated as `config.toml`
    /// is, so an error names `section.key`).
    pub fn set_config(&self, config: &Config) -> Result<(), SetupError> {
        config.save(&Profile::at(self.scratch.path()).config_path())?;
        Ok(())
    }

    /// The draft's settings, once [`Draft::set_config`] was called.
    pub fn config(&self) -> Result<Config, SetupError> {
        let path = Profile::at(self.scratch.path()).config_path();
        if !path.exists() {
            return Err(SetupError::NoSettings("no settings were given".into()));
        }
        Ok(Config::load(&path)?)
    }

    /// The draft as a profile, to check the servers or preview the first
    /// sync (a dry run) without touching the real profile.
    pub fn app(&self) -> Result<App, AppError> {
        App::open_with(self.scratch.path(), self.secrets.clone())
    }

    /// Write the draft into `profile_dir` and its secrets into `store`,
    /// all or nothing: a profile folder that did not exist appears whole
    /// (built beside it, then renamed into place); when anything fails,
    /// the secrets stored so far are deleted again and the folder is as
    /// it was. Refuses a profile that already has a `config.toml`. The
    /// draft stays usable after a failure, so the user can try again.
    pub fn commit(
        &self,
        profile_dir: &Path,
        store: &dyn SecretStore,
    ) -> Result<Config, SetupError> {
        let config = self.config()?;
        self.signed_in(&config)?;
        let target = Profile::at(profile_dir).config_path();
        if target.exists() {
            return Err(SetupError::AlreadyConfigured {
                path: target.display().to_string(),
            });
        }
        let stored = store_secrets(&self.secrets, store)?;
        if let Err(e) = write_profile(profile_dir, &config) {
            forget(store, &stored);
            return Err(e);
        }
        Ok(config)
    }
}

impl Draft {
    /// A profile is only written whole: with the Oro secret its sign-in
    /// method needs and the Microsoft token, both got during the setup.
    fn signed_in(&self, config: &Config) -> Result<(), SetupError> {
        let oro = match config.oro.auth {
            OroAuth::Wsse => secrets::ORO_API_KEY,
            OroAuth::Oauth2 => secrets::ORO_CLIENT_SECRET,
            OroAuth::Oauth2Browser => secrets::ORO_REFRESH_TOKEN,
        };
        for (name, what, key) in [
            (oro, "Oro", "oro.secret"),
            (
                secrets::OUTLOOK_REFRESH_TOKEN,
                "Microsoft",
                "outlook.client_id",
            ),
        ] {
            if !matches!(self.secrets.get(name), Ok(Some(_))) {
                return Err(SetupError::NotSignedIn { what, key });
            }
        }
        Ok(())
    }
}

/// Make `dir` private to the user (0700 on unix), as a profile must be:
/// it holds personal data from both systems, and a temporary folder is
/// created with the process's umask.
fn private(dir: &Path) -> Result<(), SetupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(
            |source| SetupError::Io {
                what: format!("cannot make {} private", dir.display()),
                source,
            },
        )?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Copy every draft secret into `store`; on a failure, take back what was
/// stored. Returns the names stored.
fn store_secrets(
    draft: &MemorySecrets,
    store: &dyn SecretStore,
) -> Result<Vec<&'static str>, SetupError> {
    let mut stored = Vec::new();
    for name in SECRET_NAMES {
        let value = match draft.get(name) {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(e) => return Err(SetupError::Keyring(e)),
        };
        if let Err(e) = store.set(name, &value) {
            forget(store, &stored);
            return Err(SetupError::Keyring(e));
        }
        stored.push(*name);
    }
    Ok(stored)
}

fn forget(store: &dyn SecretStore, names: &[&str]) {
    for name in names {
        if let Err(e) = store.delete(name) {
            tracing::warn!("the setup's {name} could not be removed again: {e}");
        }
    }
}

fn write_profile(dir: &Path, config: &Config) -> Result<(), SetupError> {
    let io = |what: String| move |source| SetupError::Io { what, source };
    if dir.exists() {
        // An existing folder (empty, or the user's own files): the config
        // is written atomically by `Config::save`.
        config.save(&Profile::at(dir).config_path())?;
    } else {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let parent_existed = parent.exists();
        // Missing parents (the app's own `orosync` data folder) are private too.
        crate::private_fs::create_dir(&parent)
            .map_err(io(format!("cannot create {}", parent.display())))?;
        // Built beside its final place (same file system), then renamed:
        // the profile folder never exists half-written. A temporary folder
        // is private to the user (0700), as a profile must be.
        let staging = tempfile::Builder::new()
            .prefix(".orosync-setup-")
            .tempdir_in(&parent)
            .map_err(io(format!("cannot write in {}", parent.display())))?;
        private(staging.path())?;
        let written = config
            .save(&Profile::at(staging.path()).config_path())
            .map_err(SetupError::from)
            .and_then(|()| {
                std::fs::rename(staging.path(), dir)
                    .map_err(io(format!("cannot create {}", dir.display())))
            });
        if let Err(e) = written {
            drop(staging);
            if !parent_existed {
                let _ = std::fs::remove_dir(&parent);
            }
            return Err(e);
        }
        // Renamed away: nothing left for the guard to remove.
        let _ = staging.keep();
    }
    Profile::open(dir).map_err(io(format!("cannot open {}", dir.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn draft_with_secrets() -> Draft {
        let d = Draft::new().unwrap();
        d.set_config(&Config::new("https://crm.example.com", "jane", "app-id"))
            .unwrap();
        let s = d.secrets();
        s.set(secrets::ORO_API_KEY, &Secret::new("key-123"))
            .unwrap();
        s.set(secrets::OUTLOOK_REFRESH_TOKEN, &Secret::new("rt-456"))
            .unwrap();
        d
    }

    fn names(store: &dyn SecretStore) -> Vec<&'static str> {
        SECRET_NAMES
            .iter()
            .copied()
            .filter(|n| store.get(n).unwrap().is_some())
            .collect()
    }

    #[test]
    fn cancel_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let profile = root.path().join("orosync").join("default");
        let store = MemorySecrets::new();
        let d = draft_with_secrets();
        let scratch = d.scratch_dir().to_path_buf();
        assert!(scratch.join("config.toml").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&scratch).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "the draft is private");
        }
        drop(d);
        assert!(!scratch.exists(), "the scratch folder goes with the draft");
        assert!(!profile.exists() && !root.path().join("orosync").exists());
        assert!(names(&store).is_empty(), "nothing reached the store");
    }

    #[test]
    fn commit_writes_the_config_and_the_secrets() {
        let root = tempfile::tempdir().unwrap();
        let profile = root.path().join("orosync").join("default");
        let store = MemorySecrets::new();
        let c = draft_with_secrets().commit(&profile, &store).unwrap();
        assert_eq!(Config::load(&profile.join("config.toml")).unwrap(), c);
        assert_eq!(
            names(&store),
            [secrets::ORO_API_KEY, secrets::OUTLOOK_REFRESH_TOKEN]
        );
        assert_eq!(
            store.get(secrets::ORO_API_KEY).unwrap().unwrap().expose(),
            "key-123"
        );
        assert!(profile.join("logs").is_dir() && profile.join("backups").is_dir());
        let stray: Vec<_> = std::fs::read_dir(profile.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(stray, ["default"], "no staging folder left beside it");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&profile), 0o700, "the profile is private");
        }
        let text = std::fs::read_to_string(profile.join("config.toml")).unwrap();
        assert!(!text.contains("key-123") && !text.contains("rt-456"));
    }

    #[test]
    fn commit_into_an_existing_empty_folder() {
        let root = tempfile::tempdir().unwrap();
        let store = MemorySecrets::new();
        draft_with_secrets().commit(root.path(), &store).unwrap();
        assert!(root.path().join("config.toml").exists());
    }

    #[test]
    fn commit_refuses_a_configured_profile_and_stores_nothing() {
        let root = tempfile::tempdir().unwrap();
        Config::new("https://other.example.com", "bob", "x")
            .save(&root.path().join("config.toml"))
            .unwrap();
        let store = MemorySecrets::new();
        let e = draft_with_secrets()
            .commit(root.path(), &store)
            .unwrap_err();
        assert!(matches!(e, SetupError::AlreadyConfigured { .. }), "{e}");
        assert!(names(&store).is_empty());
        let c = Config::load(&root.path().join("config.toml")).unwrap();
        assert_eq!(c.oro.username, "bob", "untouched");
    }

    /// A keyring that refuses the second secret.
    struct Flaky {
        inner: MemorySecrets,
        sets: std::sync::Mutex<usize>,
    }
    impl SecretStore for Flaky {
        fn get(&self, n: &str) -> Result<Option<Secret>, SecretError> {
            self.inner.get(n)
        }
        fn set(&self, n: &str, v: &Secret) -> Result<(), SecretError> {
            let mut k = self.sets.lock().unwrap();
            *k += 1;
            if *k == 2 {
                return Err(SecretError("locked".into()));
            }
            self.inner.set(n, v)
        }
        fn delete(&self, n: &str) -> Result<(), SecretError> {
            self.inner.delete(n)
        }
    }

    #[test]
    fn a_keyring_failure_takes_back_what_was_stored() {
        let root = tempfile::tempdir().unwrap();
        let profile = root.path().join("p");
        let store = Flaky {
            inner: MemorySecrets::new(),
            sets: Default::default(),
        };
        let e = draft_with_secrets().commit(&profile, &store).unwrap_err();
        assert!(matches!(e, SetupError::Keyring(_)), "{e}");
        assert!(!e.to_string().contains("key-123"));
        assert!(
            names(&store.inner).is_empty(),
            "the first secret was removed"
        );
        assert!(!profile.exists());
    }

    #[test]
    fn a_folder_that_cannot_be_made_takes_back_the_secrets() {
        let root = tempfile::tempdir().unwrap();
        // The profile's parent is a file: no folder can be made there.
        std::fs::write(root.path().join("file"), "x").unwrap();
        let profile = root.path().join("file").join("default");
        let store = MemorySecrets::new();
        let e = draft_with_secrets().commit(&profile, &store).unwrap_err();
        assert!(matches!(e, SetupError::Io { .. }), "{e}");
        assert!(names(&store).is_empty());
    }

    #[test]
    fn a_draft_without_both_sign_ins_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let store = MemorySecrets::new();
        let d = draft_with_secrets();
        d.secrets().delete(secrets::OUTLOOK_REFRESH_TOKEN).unwrap();
        let e = d.commit(&root.path().join("p"), &store).unwrap_err();
        assert_eq!(e.key(), Some("outlook.client_id"), "{e}");
        assert!(e.to_string().contains("Microsoft"), "{e}");
        d.secrets()
            .set(secrets::OUTLOOK_REFRESH_TOKEN, &Secret::new("rt"))
            .unwrap();
        d.secrets().delete(secrets::ORO_API_KEY).unwrap();
        let e = d.commit(&root.path().join("p"), &store).unwrap_err();
        assert_eq!(e.key(), Some("oro.secret"), "{e}");
        assert!(names(&store).is_empty());
        assert!(!root.path().join("p").exists());
    }

    #[test]
    fn a_bad_setting_names_its_key() {
        let d = Draft::new().unwrap();
        let mut c = Config::new("https://crm.example.com", "jane", "app-id");
        c.sync.interval_seconds = 1;
        let e = d.set_config(&c).unwrap_err();
        assert_eq!(e.key(), Some("sync.interval_seconds"));
        assert!(matches!(d.config(), Err(SetupError::NoSettings(_))));
    }
}
