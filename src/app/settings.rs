//! The profile's settings as the settings window reads and saves them:
//! read (the defaults before there are any), validated by the library's own
//! parser, and written through the one writer of config.toml, which keeps
//! the user's comments.

use super::AppError;
use crate::config::Config;
use crate::profile::Profile;

/// The saved settings of `profile`, or the defaults for a profile without
/// any; the flag says whether config.toml exists.
pub fn current(profile: &Profile) -> Result<(Config, bool), AppError> {
    let path = profile.config_path();
    if !path.exists() {
        return Ok((Config::new("", "", ""), false));
    }
    Ok((Config::load(&path)?, true))
}

/// Save `config` as `profile`'s settings (creating the profile folder when
/// it is new). A config the library would not load is refused and the file
/// left as it was; otherwise only the settings that changed are rewritten.
pub fn save(profile: &Profile, config: &Config) -> Result<(), AppError> {
    Profile::open(&profile.dir).map_err(|e| {
        AppError::Io(format!(
            "cannot open the profile folder {}: {e}",
            profile.dir.display()
        ))
    })?;
    config.save(&profile.config_path())?;
    tracing::info!("settings saved to {}", profile.config_path().display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SyncMode;

    #[test]
    fn a_new_profile_reads_the_defaults_and_saving_creates_it() {
        let root = tempfile::tempdir().unwrap();
        let p = Profile::at(root.path().join("new"));
        let (c, exists) = current(&p).unwrap();
        assert!(!exists);
        assert_eq!(c, Config::new("", "", ""));
        let mut c = Config::new("https://crm.example.com", "jane", "app");
        c.sync.mode = SyncMode::Manual;
        save(&p, &c).unwrap();
        assert!(p.logs_dir().is_dir());
        assert_eq!(current(&p).unwrap(), (c, true));
    }

    #[test]
    fn saving_keeps_the_users_comments_and_refuses_a_bad_value() {
        let root = tempfile::tempdir().unwrap();
        let p = Profile::open(root.path()).unwrap();
        let text = "# mine\n[oro]\nurl = \"https://crm.example.com\" # CRM\nusername = \"jane\"\n[outlook]\nclient_id = \"app\"\n";
        std::fs::write(p.config_path(), text).unwrap();
        let (mut c, _) = current(&p).unwrap();
        c.sync.interval_seconds = 900;
        save(&p, &c).unwrap();
        let written = std::fs::read_to_string(p.config_path()).unwrap();
        assert!(written.starts_with("# mine\n"), "{written}");
        assert!(
            written.contains("url = \"https://crm.example.com\" # CRM"),
            "{written}"
        );
        assert!(written.contains("interval_seconds = 900"), "{written}");

        c.sync.interval_seconds = 1;
        let e = save(&p, &c).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(std::fs::read_to_string(p.config_path()).unwrap(), written);
    }
}
