//! What crosses the IPC boundary: serde DTOs, converted from and to the
//! library's types here and nowhere else.

use orosync::config::{Config, ContactsScope, OroAuth, SyncMode};
use orosync::model::Kind;
use orosync::settings::{ConflictSetting, Direction};
use orosync::state::RunRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The settings the window edits. Numbers travel as the text typed, so the
/// library's validation (which names `section.key`) judges them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsDto {
    pub oro_url: String,
    pub oro_username: String,
    pub oro_auth: String,
    pub oro_client_id: String,
    pub outlook_client_id: String,
    pub outlook_tenant: String,
    pub mode: String,
    pub interval_seconds: String,
    pub direction: String,
    pub conflict_resolution: String,
    pub kinds: Vec<String>,
    pub contacts_scope: String,
    pub events_past_days: String,
    pub events_future_days: String,
    /// Key fields per kind, by Oro attribute name.
    pub keys: BTreeMap<String, Vec<String>>,
}

/// The choices the window offers, from the library's own lists.
#[derive(Clone, Debug, Serialize)]
pub struct Choices {
    pub oro_auth: &'static [&'static str],
    pub mode: &'static [&'static str],
    pub direction: &'static [&'static str],
    pub conflict_resolution: &'static [&'static str],
    pub contacts_scope: &'static [&'static str],
    pub kinds: Vec<&'static str>,
    /// Mapped fields per kind: what keys may be chosen from.
    pub fields: BTreeMap<&'static str, Vec<&'static str>>,
    pub interval_min: i64,
    pub interval_max: i64,
}

impl Choices {
    pub fn new() -> Choices {
        Choices {
            oro_auth: OroAuth::NAMES,
            mode: SyncMode::NAMES,
            direction: Direction::NAMES,
            conflict_resolution: ConflictSetting::NAMES,
            contacts_scope: ContactsScope::NAMES,
            kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
            fields: Kind::ALL
                .iter()
                .map(|k| (k.as_str(), k.fields().iter().map(|f| f.name()).collect()))
                .collect(),
            interval_min: *orosync::config::INTERVAL_SECONDS.start(),
            interval_max: *orosync::config::INTERVAL_SECONDS.end(),
        }
    }
}

impl Default for Choices {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SettingsView {
    pub settings: SettingsDto,
    pub choices: Choices,
    /// Where the settings are saved.
    pub path: String,
    /// False until the profile has a config.toml.
    pub exists: bool,
    pub outlook_signed_in: bool,
    /// An Oro API key or client secret (the one `[oro] auth` uses) is
    /// kept; the secret itself never goes to the window.
    pub oro_secret_stored: bool,
}

impl SettingsDto {
    pub fn from_config(c: &Config) -> SettingsDto {
        SettingsDto {
            oro_url: c.oro.url.clone(),
            oro_username: c.oro.username.clone(),
            oro_auth: c.oro.auth.as_str().into(),
            oro_client_id: c.oro.client_id.clone(),
            outlook_client_id: c.outlook.client_id.clone(),
            outlook_tenant: c.outlook.tenant.clone(),
            mode: c.sync.mode.as_str().into(),
            interval_seconds: c.sync.interval_seconds.to_string(),
            direction: c.sync.direction.as_str().into(),
            conflict_resolution: c.sync.conflict_resolution.as_str().into(),
            kinds: c.sync.kinds.iter().map(|k| k.as_str().into()).collect(),
            contacts_scope: c.sync.contacts_scope.as_str().into(),
            events_past_days: c.sync.events_past_days.to_string(),
            events_future_days: c.sync.events_future_days.to_string(),
            keys: Kind::ALL
                .iter()
                .map(|k| {
                    (
                        k.as_str().to_string(),
                        c.keys.of(*k).iter().map(|f| f.name().to_string()).collect(),
                    )
                })
                .collect(),
        }
    }

    /// The config these settings make, judged by the library: on success
    /// the new config, else the library's error (naming `section.key`).
    /// Keys the window does not show (Graph URLs, time zone, ...) keep
    /// their values from `base`.
    pub fn to_config(&self, base: &Config) -> Result<Config, orosync::config::ConfigError> {
        use toml::{Table, Value};
        // Through the library's parser, so the window's validation is the
        // CLI's, word for word.
        let mut text = toml::Table::new();
        let number = |s: &str| match s.trim().parse::<i64>() {
            Ok(n) => Value::Integer(n),
            Err(_) => Value::String(s.to_string()),
        };
        let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
        let base_text: Table = base.to_toml().parse().unwrap_or_default();
        let section = |name: &str| -> Table {
            base_text
                .get(name)
                .and_then(Value::as_table)
                .cloned()
                .unwrap_or_default()
        };
        let mut oro = section("oro");
        oro.insert("url".into(), Value::String(self.oro_url.trim().into()));
        oro.insert(
            "username".into(),
            Value::String(self.oro_username.trim().into()),
        );
        oro.insert("auth".into(), Value::String(self.oro_auth.clone()));
        oro.insert(
            "client_id".into(),
            Value::String(self.oro_client_id.trim().into()),
        );
        let mut outlook = section("outlook");
        outlook.insert(
            "client_id".into(),
            Value::String(self.outlook_client_id.trim().into()),
        );
        outlook.insert(
            "tenant".into(),
            Value::String(self.outlook_tenant.trim().into()),
        );
        let mut sync = section("sync");
        sync.insert("mode".into(), Value::String(self.mode.clone()));
        sync.insert("interval_seconds".into(), number(&self.interval_seconds));
        sync.insert("direction".into(), Value::String(self.direction.clone()));
        sync.insert(
            "conflict_resolution".into(),
            Value::String(self.conflict_resolution.clone()),
        );
        sync.insert("kinds".into(), strings(&self.kinds));
        sync.insert(
            "contacts_scope".into(),
            Value::String(self.contacts_scope.clone()),
        );
        sync.insert("events_past_days".into(), number(&self.events_past_days));
        sync.insert(
            "events_future_days".into(),
            number(&self.events_future_days),
        );
        let mut keys = Table::new();
        for (kind, fields) in &self.keys {
            keys.insert(kind.clone(), strings(fields));
        }
        text.insert("oro".into(), Value::Table(oro));
        text.insert("outlook".into(), Value::Table(outlook));
        text.insert("sync".into(), Value::Table(sync));
        text.insert("keys".into(), Value::Table(keys));
        Config::parse(&text.to_string())
    }
}

/// A field the library refused, for the window to show next to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    /// `section.key` (None for errors about the whole file).
    pub key: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SaveResult {
    pub saved: bool,
    pub errors: Vec<FieldError>,
}

/// The tray's state at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrayState {
    Idle,
    Syncing,
    Error,
    Conflicts,
    Paused,
    Offline,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusDto {
    pub state: TrayState,
    /// "Last sync 10:02: 3 changes" and the like.
    pub last: String,
    pub paused: bool,
    pub running: bool,
    pub mode: String,
    pub next_run_at: Option<String>,
    pub pending_conflicts: usize,
    /// What went wrong last, in words, with what to do.
    pub error: Option<String>,
    pub profile: String,
}

/// Counts of one kind in one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KindCounts {
    pub kind: String,
    pub oro_created: u64,
    pub oro_updated: u64,
    pub oro_deleted: u64,
    pub outlook_created: u64,
    pub outlook_updated: u64,
    pub outlook_deleted: u64,
    pub conflicts: u64,
    pub failed: u64,
}

impl KindCounts {
    fn of(kind: Kind, v: &orosync::summary::KindSummary) -> KindCounts {
        KindCounts {
            kind: kind.as_str().into(),
            oro_created: v.oro.created as u64,
            oro_updated: v.oro.updated as u64,
            oro_deleted: v.oro.deleted as u64,
            outlook_created: v.outlook.created as u64,
            outlook_updated: v.outlook.updated as u64,
            outlook_deleted: v.outlook.deleted as u64,
            conflicts: v.conflicts as u64,
            failed: v.failed as u64,
        }
    }
}

/// One row of the history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunDto {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub exit: Option<i32>,
    pub ok: bool,
    pub kinds: Vec<KindCounts>,
    /// Why the run stopped, when it did.
    pub fatal: Option<String>,
}

impl RunDto {
    pub fn from_record(r: &RunRecord) -> RunDto {
        let s = orosync::app::history::summary_of(r);
        RunDto {
            id: r.id,
            started_at: stamp(&r.started_at),
            finished_at: r.finished_at.as_ref().map(stamp),
            exit: r.exit,
            ok: r.exit == Some(0),
            kinds: s.as_ref().map(kind_counts).unwrap_or_default(),
            fatal: s
                .as_ref()
                .and_then(|s| s.fatal.as_ref())
                .map(|f| f.message().to_string()),
        }
    }
}

/// A summary's counts per kind, by the kind's name in alphabetical order
/// (the order the window has always listed them in).
fn kind_counts(s: &orosync::summary::Summary) -> Vec<KindCounts> {
    let mut kinds: Vec<KindCounts> = s.kinds.iter().map(|(k, v)| KindCounts::of(*k, v)).collect();
    kinds.sort_by(|a, b| a.kind.cmp(&b.kind));
    kinds
}

/// What a resync would do, per kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PreviewDto {
    pub kinds: Vec<KindCounts>,
    pub outlook_deletes: u64,
    pub creates: u64,
}

impl PreviewDto {
    /// A dry run's counts (the planner's, not recomputed here).
    pub fn from_summary(s: &orosync::summary::Summary) -> PreviewDto {
        let kinds: Vec<KindCounts> = s.kinds.iter().map(|(k, v)| KindCounts::of(*k, v)).collect();
        PreviewDto {
            outlook_deletes: kinds.iter().map(|k| k.outlook_deleted).sum(),
            creates: kinds
                .iter()
                .map(|k| k.oro_created + k.outlook_created)
                .sum(),
            kinds,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestResult {
    pub ok: bool,
    pub message: String,
    /// Set when the Oro server's certificate stopped the test (untrusted or
    /// changed): what the window shows before "Trust this certificate".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateDto>,
}

/// The Oro server's certificate as the window shows it
/// (`probe_oro_certificate`, and a test stopped by it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CertificateDto {
    /// "untrusted", "changed", "pinned", "trusted" or "not-tls".
    pub state: String,
    /// `host:port`.
    pub host: String,
    /// What the server presents, as `[oro] tls_fingerprint` takes it;
    /// `None` when there is nothing to confirm (trusted, not-tls).
    pub fingerprint: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// The pin in the config when the certificate changed.
    pub pinned: Option<String>,
    /// One line for the user.
    pub message: String,
}

impl CertificateDto {
    pub fn from_probe(url: &str, p: &orosync::app::trust::Probe) -> CertificateDto {
        use orosync::app::trust::{self, Probe};
        let host = trust::host_of(url);
        let mut dto = CertificateDto {
            state: String::new(),
            host: host.clone(),
            fingerprint: None,
            subject: None,
            issuer: None,
            not_before: None,
            not_after: None,
            pinned: None,
            message: String::new(),
        };
        let cert = match p {
            Probe::NotTls => {
                dto.state = "not-tls".into();
                dto.message = format!("{host} is reached without TLS (http:// on this computer).");
                None
            }
            Probe::Trusted => {
                dto.state = "trusted".into();
                dto.message = format!("The certificate of {host} is trusted by this system.");
                None
            }
            Probe::Pinned => {
                dto.state = "pinned".into();
                dto.message = format!("{host} presents the certificate you trusted.");
                None
            }
            Probe::Untrusted { certificate, .. } => {
                dto.state = "untrusted".into();
                dto.message = format!(
                    "The certificate of {host} is not trusted by this system. Check its fingerprint with the server's administrator before you trust it."
                );
                Some(certificate)
            }
            Probe::Changed {
                pinned,
                certificate,
            } => {
                dto.state = "changed".into();
                dto.pinned = Some(pinned.to_string());
                dto.message = format!(
                    "The certificate of {host} has changed since you trusted it: pinned {pinned}, presented now {}. It is refused until you trust the new one.",
                    certificate.fingerprint
                );
                Some(certificate)
            }
        };
        if let Some(c) = cert {
            dto.fingerprint = Some(c.fingerprint.to_string());
            dto.subject = Some(c.subject.clone());
            dto.issuer = Some(c.issuer.clone());
            dto.not_before = c.not_before.as_ref().map(stamp);
            dto.not_after = c.not_after.as_ref().map(stamp);
        }
        dto
    }

    /// Whether the user can trust it from the window.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self.state.as_str(), "untrusted" | "changed")
    }
}

pub fn stamp(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_library() {
        let c = Config::new("https://crm.example.com", "jane", "app");
        let dto = SettingsDto::from_config(&c);
        assert_eq!(dto.to_config(&c).unwrap(), c);
    }

    #[test]
    fn a_bad_value_is_refused_naming_the_key() {
        let c = Config::new("https://crm.example.com", "jane", "app");
        let mut dto = SettingsDto::from_config(&c);
        dto.interval_seconds = "5".into();
        let e = dto.to_config(&c).unwrap_err();
        assert_eq!(e.key(), Some("sync.interval_seconds"));
        dto.interval_seconds = "soon".into();
        let e = dto.to_config(&c).unwrap_err();
        assert_eq!(e.key(), Some("sync.interval_seconds"));
    }
}
