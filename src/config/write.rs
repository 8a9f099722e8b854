//! The one writer of `config.toml`: the CLI (a pinned certificate), the
//! tray's settings window, the first-run setup, the demo and certificate
//! trust all write through [`Config::save`] or [`Config::save_text`].
//!
//! The file is the user's: a setting that changed is written where it
//! stands (its trailing comment kept), a setting that did not change keeps
//! the user's own spelling, and every comment and blank line stays. Only a
//! file that is not TOML at all, or an edit that would not read back as the
//! config asked for, is replaced by the canonical rendering
//! ([`Config::to_toml`]).

use super::{Config, ConfigError, MAX_CONFIG_BYTES};
use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Value};

impl Config {
    /// Writes `self` to `path`, keeping the comments, formatting and
    /// untouched settings of the file already there (see the module
    /// comment). Atomic (temporary file, fsync, rename), so a crash never
    /// leaves a half-written config; refuses to write a config that
    /// [`Config::load`] would reject, leaving the file as it was.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        // A config that does not read back is never written, whatever the
        // file holds now.
        Config::parse(&self.to_toml())?;
        let text = edited_text(current_text(path).as_deref(), self);
        write_atomically(path, &text)
    }

    /// Writes `text`, a whole config.toml written by hand (the demo's, with
    /// its comments), after checking it reads as a valid config; returns
    /// that config.
    pub fn save_text(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let config = Config::parse(text)?;
        write_atomically(path, text)?;
        Ok(config)
    }
}

/// The file's text now; `None` when there is none (or it cannot be read,
/// or is too large to be a config: then it is replaced whole).
fn current_text(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() > MAX_CONFIG_BYTES {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// The text to write for `new` over the file's `current` text.
pub(super) fn edited_text(current: Option<&str>, new: &Config) -> String {
    let fresh = new.to_toml();
    let Some(current) = current else {
        return fresh;
    };
    // Config::parse tolerates a byte-order mark; toml_edit does not.
    let current = current.strip_prefix('\u{feff}').unwrap_or(current);
    let Ok(mut doc) = current.parse::<DocumentMut>() else {
        return fresh;
    };
    let Ok(after) = fresh.parse::<DocumentMut>() else {
        return fresh;
    };
    // What the file means now, rendered the same canonical way, so that
    // "changed" compares settings, not the user's spelling of them. A file
    // that is not a valid config has every setting written.
    let before = Config::parse(current)
        .ok()
        .and_then(|c| c.to_toml().parse::<DocumentMut>().ok());

    // Sections and keys in the canonical (documented) order: what is added
    // lands in a predictable place.
    for (section, item) in after.iter() {
        let Some(new_keys) = item.as_table_like() else {
            continue;
        };
        for (key, new_item) in new_keys.iter() {
            let Some(new_value) = new_item.as_value() else {
                continue;
            };
            let old_value = before
                .as_ref()
                .and_then(|b| b.get(section))
                .and_then(|s| s.get(key))
                .and_then(Item::as_value);
            if old_value.is_some_and(|o| bare(o) == bare(new_value)) {
                continue;
            }
            set(&mut doc, section, key, new_value);
        }
    }
    // Settings the new config leaves out (a pin removed, a timeout unset).
    if let Some(before) = &before {
        for (section, item) in before.iter() {
            let Some(old_keys) = item.as_table_like() else {
                continue;
            };
            for (key, _) in old_keys.iter() {
                if after.get(section).and_then(|s| s.get(key)).is_none() {
                    if let Some(t) = doc.get_mut(section).and_then(Item::as_table_like_mut) {
                        t.remove(key);
                    }
                }
            }
        }
    }
    let edited = doc.to_string();
    // The edit must mean exactly the config asked for; anything else (a
    // section written as a plain value, say) gets the canonical file.
    match Config::parse(&edited) {
        Ok(c) if c == *new => edited,
        _ => fresh,
    }
}

/// A value's text without its surrounding whitespace and comments.
fn bare(v: &Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    v.to_string()
}

/// Sets `section.key` to `value` in the user's document, keeping the
/// comment and spacing around the old value.
fn set(doc: &mut DocumentMut, section: &str, key: &str, value: &Value) {
    let mut value = value.clone();
    value.decor_mut().clear();
    let Some(table) = doc
        .entry(section)
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
    else {
        // Not a table: the caller's check falls back to the canonical file.
        return;
    };
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        _ => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// Temporary file beside `path`, fsync, rename; private like every file of
/// the profile (crate::private_fs).
fn write_atomically(path: &Path, text: &str) -> Result<(), ConfigError> {
    let err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path
        .file_name()
        .unwrap_or(OsStr::new("config.toml"))
        .to_owned();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let f = crate::private_fs::write(&tmp, text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SyncMode;
    use crate::settings::Direction;

    const USERS: &str = "\
# Jane's OroSync settings: do not change the URL without asking IT.
[oro]
url = \"https://crm.example.com\"   # the company CRM
username = 'jane'

# Outlook: registered by IT in 2025
[outlook]
client_id = \"app\"

[sync]
mode = \"manual\"        # I press Sync myself
direction = \"bidirectional\"
events_past_days = 30   # a month back is enough
";

    #[test]
    fn a_changed_setting_keeps_every_comment_and_untouched_line() {
        let mut c = Config::parse(USERS).unwrap();
        c.sync.mode = SyncMode::Automatic;
        c.sync.direction = Direction::parse("oro-to-outlook").unwrap();
        let text = edited_text(Some(USERS), &c);
        assert_eq!(Config::parse(&text).unwrap(), c);
        for kept in [
            "# Jane's OroSync settings: do not change the URL without asking IT.",
            "url = \"https://crm.example.com\"   # the company CRM",
            "username = 'jane'",
            "# Outlook: registered by IT in 2025",
            "events_past_days = 30   # a month back is enough",
            "mode = \"automatic\"        # I press Sync myself",
            "direction = \"oro-to-outlook\"\n",
        ] {
            assert!(text.contains(kept), "{kept:?} lost in:\n{text}");
        }
        // Settings left at their defaults are not spelled out.
        assert!(!text.contains("interval_seconds"), "{text}");
        assert!(!text.contains("[keys]"), "{text}");
    }

    #[test]
    fn a_new_setting_is_added_to_its_section_and_a_removed_one_dropped() {
        let mut c = Config::parse(USERS).unwrap();
        c.network.timeout_seconds = Some(45);
        c.sync.interval_seconds = 600;
        let text = edited_text(Some(USERS), &c);
        assert_eq!(Config::parse(&text).unwrap(), c);
        assert!(text.contains("[network]\ntimeout_seconds = 45\n"), "{text}");
        assert!(text.contains("# I press Sync myself"), "{text}");

        c.network.timeout_seconds = None;
        let again = edited_text(Some(&text), &c);
        assert_eq!(Config::parse(&again).unwrap(), c);
        assert!(!again.contains("timeout_seconds"), "{again}");
        assert!(again.contains("# the company CRM"), "{again}");
    }

    #[test]
    fn without_a_file_or_over_one_that_is_not_toml_the_canonical_file_is_written() {
        let c = Config::parse(USERS).unwrap();
        assert_eq!(edited_text(None, &c), c.to_toml());
        assert_eq!(edited_text(Some("[oro\nurl ="), &c), c.to_toml());
    }

    #[test]
    fn an_invalid_file_gets_every_setting_written_keeping_its_comments() {
        // interval_seconds = 5 is out of range: the file is TOML but no config.
        let bad = format!("{USERS}interval_seconds = 5  # too often\n");
        let c = Config::parse(USERS).unwrap();
        let text = edited_text(Some(&bad), &c);
        assert_eq!(Config::parse(&text).unwrap(), c);
        assert!(
            text.contains("interval_seconds = 120  # too often"),
            "{text}"
        );
        assert!(text.contains("# the company CRM"), "{text}");
    }

    #[test]
    fn save_keeps_the_users_file_and_save_text_refuses_an_invalid_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, USERS).unwrap();
        let mut c = Config::load(&path).unwrap();
        c.sync.events_future_days = 90;
        c.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Jane's OroSync settings"), "{text}");
        assert_eq!(Config::load(&path).unwrap(), c);

        let e =
            Config::save_text(&path, &USERS.replace("\"manual\"", "\"sometimes\"")).unwrap_err();
        assert_eq!(e.key(), Some("sync.mode"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
