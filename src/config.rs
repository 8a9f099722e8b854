//! The profile's `config.toml` (docs/cli.md, "config.toml").
//!
//! The file is read into a plain `toml::Table` and walked by hand rather than
//! deserialised with serde derive: that way every error names the key as
//! `section.key` with the allowed values, unknown keys are caught, and a
//! secret pasted here by mistake is refused without its value being echoed.

use crate::model::{Field, Kind};
use crate::settings::{setting_enum, ConflictSetting, Direction, Keys, SyncSettings};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

// The one writer of the file: `Config::save` and `Config::save_text`.
mod write;

/// Larger files are refused: a settings file is a few hundred bytes, and the
/// limit keeps a wrong path (a log, `/dev/zero`) from eating memory.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

pub const SECTIONS: &[&str] = &["oro", "outlook", "sync", "keys", "network"];
const ORO_KEYS: &[&str] = &[
    "url",
    "username",
    "auth",
    "client_id",
    "redirect_port",
    "tls_fingerprint",
];
const OUTLOOK_KEYS: &[&str] = &["client_id", "tenant", "graph_url", "login_url"];
const SYNC_KEYS: &[&str] = &[
    "mode",
    "interval_seconds",
    "direction",
    "conflict_resolution",
    "kinds",
    "contacts_scope",
    "events_past_days",
    "events_future_days",
    "time_zone",
];
const KEYS_KEYS: &[&str] = &["contacts", "tasks", "events"];
const NETWORK_KEYS: &[&str] = &["timeout_seconds"];

/// `[network] timeout_seconds`: long enough for a slow server's biggest
/// page, short enough that a stalled connection is noticed within minutes.
pub const TIMEOUT_SECONDS: std::ops::RangeInclusive<i64> = 1..=600;

pub const INTERVAL_SECONDS: std::ops::RangeInclusive<i64> = 30..=86_400;
/// The event window is capped at a century each way so that date arithmetic
/// on it can never overflow (chrono's range is about ±262,000 years, but a
/// u32 of days would reach far beyond it).
pub const EVENT_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 0..=36_500;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config.toml is too large ({size} bytes; at most {limit} are read)")]
    TooLarge { size: u64, limit: usize },
    #[error("config.toml line {line}: not UTF-8 text")]
    NotUtf8 { line: usize },
    #[error("config.toml line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "unknown section [{name}]; the sections are [oro], [outlook], [sync], [keys] and [network]"
    )]
    UnknownSection { name: String },
    #[error("{key}: unknown key; {hint}")]
    UnknownKey { key: String, hint: String },
    #[error(
        "{key}: secrets do not belong in config.toml; they are kept in the OS keyring (run `{login}`)"
    )]
    Secret { key: String, login: &'static str },
    #[error("{key}: missing; it is required{when}")]
    Missing { key: String, when: &'static str },
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

impl ConfigError {
    /// The `section.key` the error is about, for the settings window to
    /// highlight; `None` for errors about the file as a whole.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. }
            | ConfigError::Secret { key, .. }
            | ConfigError::Missing { key, .. }
            | ConfigError::Invalid { key, .. } => Some(key),
            ConfigError::UnknownSection { name } => Some(name),
            _ => None,
        }
    }
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

setting_enum!(
    /// How OroSync signs in to Oro.
    OroAuth {
        /// User name + API key (Oro <= 6.0).
        #[default]
        Wsse = "wsse",
        /// OAuth2 client credentials.
        Oauth2 = "oauth2",
        /// OAuth2 authorization code + PKCE in the browser (Oro >= 6.0).
        Oauth2Browser = "oauth2-browser",
    }
);

setting_enum!(
    /// docs/sync-rules.md, "Sync type and limits".
    SyncMode {
        #[default]
        Automatic = "automatic",
        Manual = "manual",
    }
);

setting_enum!(
    /// Which Oro contacts are synced (docs/sync-rules.md, "Scope and fields").
    ContactsScope {
        /// Those the user owns or is assigned to.
        #[default]
        Mine = "mine",
        /// All the user can see.
        All = "all",
    }
);

#[derive(Clone, Debug, PartialEq)]
pub struct OroConfig {
    /// Back-office base URL without a trailing `/`; the API is `{url}/api/...`.
    pub url: String,
    /// Required for `wsse`; may be empty otherwise.
    pub username: String,
    pub auth: OroAuth,
    /// The OAuth2 client (both oauth2 modes); may be empty.
    pub client_id: String,
    /// Loopback port of the `oauth2-browser` redirect; 0 = any free port.
    pub redirect_port: u16,
    /// A self-signed server's certificate, pinned by its SHA-256
    /// fingerprint after the user confirmed it; `None`: the OS roots.
    pub tls_fingerprint: Option<crate::oro::tls::Fingerprint>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutlookConfig {
    /// The Microsoft Entra app (public client).
    pub client_id: String,
    pub tenant: String,
    /// Without a trailing `/`.
    pub graph_url: String,
    /// Without a trailing `/`; endpoints are `{login_url}/{tenant}/oauth2/v2.0/...`.
    pub login_url: String,
}

impl OutlookConfig {
    pub const DEFAULT_TENANT: &'static str = "common";
    pub const DEFAULT_GRAPH_URL: &'static str = "https://graph.microsoft.com/v1.0";
    pub const DEFAULT_LOGIN_URL: &'static str = "https://login.microsoftonline.com";
}

#[derive(Clone, Debug, PartialEq)]
pub struct SyncConfig {
    pub mode: SyncMode,
    pub interval_seconds: u32,
    pub direction: Direction,
    pub conflict_resolution: ConflictSetting,
    /// Without duplicates, never empty, in the order written.
    pub kinds: Vec<Kind>,
    pub contacts_scope: ContactsScope,
    pub events_past_days: u32,
    pub events_future_days: u32,
    /// `None` = the OS zone (see [`Config::time_zone`]).
    pub time_zone: Option<Tz>,
}

impl Default for SyncConfig {
    fn default() -> Self {
        let s = SyncSettings::default();
        SyncConfig {
            mode: SyncMode::Automatic,
            interval_seconds: 120,
            direction: s.direction,
            conflict_resolution: s.conflict,
            kinds: s.kinds,
            contacts_scope: ContactsScope::Mine,
            events_past_days: s.events_past_days,
            events_future_days: s.events_future_days,
            time_zone: None,
        }
    }
}

/// `[network]`: how the clients talk to the servers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkConfig {
    /// Per HTTP request (connecting included), to Oro and to Microsoft
    /// Graph; a request past it is retried (reads) like a dropped one.
    /// `None`: each client's own default (Oro 30 s, Graph 100 s).
    pub timeout_seconds: Option<u32>,
}

impl NetworkConfig {
    /// The timeout for a client whose own default is `default`.
    pub fn timeout_or(&self, default: std::time::Duration) -> std::time::Duration {
        self.timeout_seconds
            .map_or(default, |s| std::time::Duration::from_secs(u64::from(s)))
    }
}

/// The whole `config.toml`.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub oro: OroConfig,
    pub outlook: OutlookConfig,
    pub sync: SyncConfig,
    pub keys: Keys,
    pub network: NetworkConfig,
}

impl Config {
    /// A config with the required values and every default, e.g. for the
    /// tray's first-run window to fill in and [`save`](Self::save).
    pub fn new(oro_url: &str, oro_username: &str, outlook_client_id: &str) -> Config {
        Config {
            oro: OroConfig {
                url: oro_url.trim_end_matches('/').to_string(),
                username: oro_username.to_string(),
                auth: OroAuth::Wsse,
                client_id: String::new(),
                redirect_port: 0,
                tls_fingerprint: None,
            },
            outlook: OutlookConfig {
                client_id: outlook_client_id.to_string(),
                tenant: OutlookConfig::DEFAULT_TENANT.to_string(),
                graph_url: OutlookConfig::DEFAULT_GRAPH_URL.to_string(),
                login_url: OutlookConfig::DEFAULT_LOGIN_URL.to_string(),
            },
            sync: SyncConfig::default(),
            keys: Keys::default(),
            network: NetworkConfig::default(),
        }
    }

    /// Reads and checks `path`; files over [`MAX_CONFIG_BYTES`] are refused
    /// without being read whole.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        // `take` rather than trusting the metadata length: a FIFO or a device
        // reports 0 and a file may grow while it is read.
        file.take(MAX_CONFIG_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() > MAX_CONFIG_BYTES {
            let size = std::fs::metadata(path)
                .map(|m| m.len())
                .unwrap_or(bytes.len() as u64);
            return Err(ConfigError::TooLarge {
                size: size.max(bytes.len() as u64),
                limit: MAX_CONFIG_BYTES,
            });
        }
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                let line = 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                return Err(ConfigError::NotUtf8 { line });
            }
        };
        Config::parse(text)
    }

    /// Parses and checks the text of a `config.toml`.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                size: text.len() as u64,
                limit: MAX_CONFIG_BYTES,
            });
        }
        // Windows editors may save with a byte-order mark, which TOML forbids.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let table: Table = text.parse().map_err(|e| syntax_error(text, &e))?;
        refuse_secrets(&table, "")?;

        for (name, value) in &table {
            if !SECTIONS.contains(&name.as_str()) {
                return Err(match value {
                    Value::Table(_) => ConfigError::UnknownSection { name: shown(name) },
                    _ => ConfigError::UnknownKey {
                        key: shown(name),
                        hint: "keys belong in a section: [oro], [outlook], [sync], [keys] or [network]".into(),
                    },
                });
            }
        }
        let empty = Table::new();
        let section = |name: &'static str| -> Result<Section<'_>, ConfigError> {
            match table.get(name) {
                None => Ok(Section {
                    name,
                    table: &empty,
                }),
                Some(Value::Table(t)) => Ok(Section { name, table: t }),
                Some(other) => Err(invalid(
                    name,
                    format!("expected a section [{name}], found {}", type_name(other)),
                )),
            }
        };
        let oro = parse_oro(section("oro")?)?;
        let outlook = parse_outlook(section("outlook")?)?;
        let sync = parse_sync(section("sync")?)?;
        let keys = parse_keys(section("keys")?)?;
        let network = parse_network(section("network")?)?;
        Ok(Config {
            oro,
            outlook,
            sync,
            keys,
            network,
        })
    }

    /// The file as the tray app writes it: every key, in the documented
    /// order; [`Config::parse`] of it gives back `self`.
    pub fn to_toml(&self) -> String {
        // Written by hand (values escaped by `toml`) to keep the documented
        // order and comments; `toml::to_string` of a map sorts the keys.
        fn s(v: &str) -> String {
            Value::String(v.to_string()).to_string()
        }
        fn list<'a>(v: impl IntoIterator<Item = &'a str>) -> String {
            Value::Array(v.into_iter().map(|x| Value::String(x.into())).collect()).to_string()
        }
        let mut out = String::new();
        let mut line = |l: String| {
            out.push_str(&l);
            out.push('\n');
        };
        line("# OroSync settings. Secrets are not kept here but in the OS keyring (`orosync login`).".into());
        line("[oro]".into());
        line(format!("url = {}", s(&self.oro.url)));
        line(format!("username = {}", s(&self.oro.username)));
        line(format!(
            "auth = {}  # {}",
            s(self.oro.auth.as_str()),
            OroAuth::NAMES.join(", ")
        ));
        line(format!("client_id = {}", s(&self.oro.client_id)));
        line(format!("redirect_port = {}", self.oro.redirect_port));
        if let Some(f) = &self.oro.tls_fingerprint {
            line(format!("tls_fingerprint = {}", s(&f.to_string())));
        }
        line(String::new());
        line("[outlook]".into());
        line(format!("client_id = {}", s(&self.outlook.client_id)));
        line(format!("tenant = {}", s(&self.outlook.tenant)));
        line(format!("graph_url = {}", s(&self.outlook.graph_url)));
        line(format!("login_url = {}", s(&self.outlook.login_url)));
        line(String::new());
        let c = &self.sync;
        line("[sync]".into());
        line(format!(
            "mode = {}  # {}",
            s(c.mode.as_str()),
            SyncMode::NAMES.join(", ")
        ));
        line(format!(
            "interval_seconds = {}  # {} to {}",
            c.interval_seconds,
            INTERVAL_SECONDS.start(),
            INTERVAL_SECONDS.end()
        ));
        line(format!(
            "direction = {}  # {}",
            s(c.direction.as_str()),
            Direction::NAMES.join(", ")
        ));
        line(format!(
            "conflict_resolution = {}  # {}",
            s(c.conflict_resolution.as_str()),
            ConflictSetting::NAMES.join(", ")
        ));
        line(format!(
            "kinds = {}",
            list(c.kinds.iter().map(|k| k.as_str()))
        ));
        line(format!(
            "contacts_scope = {}  # {}",
            s(c.contacts_scope.as_str()),
            ContactsScope::NAMES.join(", ")
        ));
        line(format!("events_past_days = {}", c.events_past_days));
        line(format!("events_future_days = {}", c.events_future_days));
        line(format!(
            "time_zone = {}  # IANA name; empty = the OS zone",
            s(c.time_zone.map(|z| z.name()).unwrap_or(""))
        ));
        line(String::new());
        line("[keys]".into());
        for kind in Kind::ALL {
            line(format!(
                "{kind} = {}",
                list(self.keys.of(kind).iter().map(|f| f.name()))
            ));
        }
        line(String::new());
        line("[network]".into());
        let range = format!("{} to {}", TIMEOUT_SECONDS.start(), TIMEOUT_SECONDS.end());
        match self.network.timeout_seconds {
            Some(t) => line(format!("timeout_seconds = {t}  # per request, {range}")),
            None => line(format!(
                "# timeout_seconds = 30  # per request, {range}; unset: 30 for Oro, 100 for Graph"
            )),
        }
        out
    }

    /// What one run of the engine needs.
    pub fn sync_settings(&self) -> SyncSettings {
        SyncSettings {
            direction: self.sync.direction,
            conflict: self.sync.conflict_resolution,
            kinds: self.sync.kinds.clone(),
            keys: self.keys.clone(),
            events_past_days: self.sync.events_past_days,
            events_future_days: self.sync.events_future_days,
            time_zone: self.time_zone(),
            oro_url: self.oro.url.clone(),
        }
    }

    /// The user's time zone (docs/sync-rules.md, "Dates and time zones"): `[sync]
    /// time_zone` if set, else the OS zone honouring `TZ`, else UTC.
    pub fn time_zone(&self) -> Tz {
        self.sync.time_zone.unwrap_or_else(os_time_zone)
    }
}

/// The OS zone: `TZ` when set (as the C library reads it), else the system
/// setting, else UTC.
pub fn os_time_zone() -> Tz {
    let env = std::env::var_os("TZ");
    zone_from_os(env.as_deref(), || iana_time_zone::get_timezone().ok())
}

/// [`os_time_zone`] with its inputs passed in, so tests need not change the
/// process environment.
pub fn zone_from_os(tz_env: Option<&OsStr>, system: impl FnOnce() -> Option<String>) -> Tz {
    match tz_env {
        // The C library reads an empty or unknown TZ as UTC rather than
        // falling back to the system zone; do the same so that OroSync and
        // `date` agree.
        Some(v) => v.to_str().and_then(tz_from_env_value).unwrap_or(Tz::UTC),
        None => system().and_then(|s| s.parse().ok()).unwrap_or(Tz::UTC),
    }
}

/// `Europe/Berlin`, `:Europe/Berlin` or `/usr/share/zoneinfo/Europe/Berlin`.
fn tz_from_env_value(v: &str) -> Option<Tz> {
    let v = v.strip_prefix(':').unwrap_or(v);
    let name = match v.rfind("zoneinfo/") {
        Some(i) if v.starts_with('/') => &v[i + "zoneinfo/".len()..],
        _ => v,
    };
    name.parse().ok()
}

fn syntax_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let at = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let before = &text.as_bytes()[..at];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    // Only toml's short message: its full rendering quotes the line, which
    // could hold a secret typed into the wrong file.
    let message = e.message().trim().replace('\n', "; ");
    ConfigError::Syntax {
        line,
        column,
        message,
    }
}

/// Refuses keys that look like secrets anywhere in the file, before the
/// unknown-key check, so the message points to the keyring.
fn refuse_secrets(table: &Table, prefix: &str) -> Result<(), ConfigError> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            shown(name)
        } else {
            format!("{prefix}.{}", shown(name))
        };
        if looks_secret(name) {
            let section = prefix.split('.').next().unwrap_or("");
            let login = match section {
                "oro" => "orosync login oro",
                "outlook" => "orosync login outlook",
                _ => "orosync login oro|outlook",
            };
            return Err(ConfigError::Secret { key, login });
        }
        match value {
            Value::Table(t) => refuse_secrets(t, &key)?,
            Value::Array(items) => {
                for item in items {
                    if let Value::Table(t) = item {
                        refuse_secrets(t, &key)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn looks_secret(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    [
        "secret",
        "password",
        "passwd",
        "passphrase",
        "token",
        "apikey",
        "privatekey",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// A name or value as it may appear in a message: plain ones as they are,
/// others escaped and cut short so that control characters cannot reach the
/// terminal and a huge value cannot flood it.
fn shown(s: &str) -> String {
    const MAX: usize = 64;
    let plain = s.len() <= MAX
        && !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        return s.to_string();
    }
    quoted(s)
}

/// A value quoted for a message, escaped and cut short.
fn quoted(s: &str) -> String {
    const MAX: usize = 64;
    let cut: String = s.chars().take(MAX).collect();
    let mut out = String::from("\"");
    out.extend(cut.chars().flat_map(|c| match c {
        '"' => "\\\"".chars().collect::<Vec<_>>(),
        c if c.is_control() || c == '\\' => c.escape_default().collect(),
        c => vec![c],
    }));
    if cut.len() < s.len() {
        out.push('…');
    }
    out.push('"');
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// One `[section]` being read; every accessor names `section.key` in errors.
struct Section<'a> {
    name: &'static str,
    table: &'a Table,
}

impl Section<'_> {
    fn key(&self, k: &str) -> String {
        format!("{}.{k}", self.name)
    }

    fn only(&self, known: &[&str]) -> Result<(), ConfigError> {
        match self.table.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(ConfigError::UnknownKey {
                key: self.key(&shown(k)),
                hint: format!("the keys of [{}] are {}", self.name, known.join(", ")),
            }),
        }
    }

    /// A string without control characters, or `None` when absent.
    fn string(&self, k: &str) -> Result<Option<&str>, ConfigError> {
        match self.table.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => {
                if s.chars().any(char::is_control) {
                    Err(invalid(
                        self.key(k),
                        format!("{} contains control characters", quoted(s)),
                    ))
                } else {
                    Ok(Some(s))
                }
            }
            Some(v) => Err(invalid(
                self.key(k),
                format!("expected a string, found {}", type_name(v)),
            )),
        }
    }

    fn choice<T>(
        &self,
        k: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(s) = self.string(k)? else {
            return Ok(None);
        };
        parse(s).map(Some).ok_or_else(|| {
            invalid(
                self.key(k),
                format!("{} is not one of {}", quoted(s), names.join(", ")),
            )
        })
    }

    fn integer(
        &self,
        k: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ConfigError> {
        let expected = format!(
            "expected an integer from {} to {}",
            range.start(),
            range.end()
        );
        match self.table.get(k) {
            None => Ok(None),
            Some(Value::Integer(i)) if range.contains(i) => Ok(Some(*i)),
            Some(Value::Integer(i)) => Err(invalid(self.key(k), format!("{expected}, found {i}"))),
            Some(v) => Err(invalid(
                self.key(k),
                format!("{expected}, found {}", type_name(v)),
            )),
        }
    }

    /// A non-empty list of distinct names, each accepted by `parse`.
    fn name_list<T: PartialEq>(
        &self,
        k: &str,
        what: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<Vec<T>>, ConfigError> {
        let items = match self.table.get(k) {
            None => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(v) => {
                return Err(invalid(
                    self.key(k),
                    format!("expected a list of {what}, found {}", type_name(v)),
                ))
            }
        };
        if items.is_empty() {
            return Err(invalid(
                self.key(k),
                format!("must list at least one of {}", names.join(", ")),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(s) = item else {
                return Err(invalid(
                    self.key(k),
                    format!("expected a list of {what}, found {} in it", type_name(item)),
                ));
            };
            let v = parse(s).ok_or_else(|| {
                invalid(
                    self.key(k),
                    format!("{} is not one of {}", quoted(s), names.join(", ")),
                )
            })?;
            if out.contains(&v) {
                return Err(invalid(
                    self.key(k),
                    format!("{} is listed twice", quoted(s)),
                ));
            }
            out.push(v);
        }
        Ok(Some(out))
    }

    /// An http(s) base URL, `http://` only for loopback hosts; returned
    /// normalised and without a trailing `/` so that `{url}/api` is well
    /// formed.
    fn url(&self, k: &str) -> Result<Option<String>, ConfigError> {
        let Some(s) = self.string(k)? else {
            return Ok(None);
        };
        if s.trim().is_empty() {
            return Err(invalid(self.key(k), "must not be empty"));
        }
        let u = url::Url::parse(s)
            .map_err(|e| invalid(self.key(k), format!("{} is not a URL ({e})", quoted(s))))?;
        match u.scheme() {
            "https" => {}
            "http" if is_loopback(&u) => {}
            "http" => {
                return Err(invalid(
                    self.key(k),
                    format!(
                        "{}: http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://",
                        quoted(s)
                    ),
                ))
            }
            _ => {
                return Err(invalid(
                    self.key(k),
                    format!("{} must start with https:// (or http:// for a loopback host)", quoted(s)),
                ))
            }
        }
        if !u.username().is_empty() || u.password().is_some() {
            // Not quoted back: the part before `@` may be a password.
            return Err(invalid(
                self.key(k),
                "must not contain a user name or password; secrets are kept in the OS keyring (`orosync login`)",
            ));
        }
        if u.query().is_some() || u.fragment().is_some() {
            return Err(invalid(
                self.key(k),
                format!(
                    "{} must be a base URL, without ?query or #fragment",
                    quoted(s)
                ),
            ));
        }
        // The parsed form, not the text: host lower-cased, IDN as punycode,
        // spaces percent-encoded, so `{url}/api/...` is always a valid URL.
        Ok(Some(u.as_str().trim_end_matches('/').to_string()))
    }
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn parse_oro(s: Section<'_>) -> Result<OroConfig, ConfigError> {
    s.only(ORO_KEYS)?;
    let url = s.url("url")?.ok_or(ConfigError::Missing {
        key: "oro.url".into(),
        when: "",
    })?;
    let auth = s
        .choice("auth", OroAuth::NAMES, OroAuth::parse)?
        .unwrap_or_default();
    let username = s.string("username")?.unwrap_or("").to_string();
    if auth == OroAuth::Wsse && username.trim().is_empty() {
        return Err(ConfigError::Missing {
            key: "oro.username".into(),
            when: " when oro.auth = \"wsse\"",
        });
    }
    let client_id = s.string("client_id")?.unwrap_or("").to_string();
    let redirect_port = s
        .integer("redirect_port", 0..=i64::from(u16::MAX))?
        .map_or(0, |p| p as u16);
    let tls_fingerprint = match s.string("tls_fingerprint")? {
        None => None,
        Some(f) => Some(crate::oro::tls::Fingerprint::parse(f).map_err(|problem| {
            ConfigError::Invalid {
                key: "oro.tls_fingerprint".into(),
                problem,
            }
        })?),
    };
    if tls_fingerprint.is_some() && !url.starts_with("https://") {
        return Err(ConfigError::Invalid {
            key: "oro.tls_fingerprint".into(),
            problem: "pins a certificate, so oro.url must be https://".into(),
        });
    }
    Ok(OroConfig {
        url,
        username,
        auth,
        client_id,
        redirect_port,
        tls_fingerprint,
    })
}

fn parse_outlook(s: Section<'_>) -> Result<OutlookConfig, ConfigError> {
    s.only(OUTLOOK_KEYS)?;
    let client_id = match s.string("client_id")? {
        Some(c) if !c.trim().is_empty() => c.to_string(),
        _ => {
            return Err(ConfigError::Missing {
                key: "outlook.client_id".into(),
                when: "",
            })
        }
    };
    let tenant = s
        .string("tenant")?
        .unwrap_or(OutlookConfig::DEFAULT_TENANT)
        .to_string();
    // The tenant is put into the login URL's path: refuse anything that
    // could change the path (`/`, `..`) or add a query.
    let tenant_ok = !tenant.is_empty()
        && tenant != "."
        && tenant != ".."
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !tenant_ok {
        return Err(invalid(
            "outlook.tenant",
            format!(
                "{} is not a tenant: use common, organizations, consumers, a tenant id or a domain such as contoso.onmicrosoft.com",
                quoted(&tenant)
            ),
        ));
    }
    let graph_url = s
        .url("graph_url")?
        .unwrap_or_else(|| OutlookConfig::DEFAULT_GRAPH_URL.into());
    let login_url = s
        .url("login_url")?
        .unwrap_or_else(|| OutlookConfig::DEFAULT_LOGIN_URL.into());
    Ok(OutlookConfig {
        client_id,
        tenant,
        graph_url,
        login_url,
    })
}

fn parse_sync(s: Section<'_>) -> Result<SyncConfig, ConfigError> {
    s.only(SYNC_KEYS)?;
    let d = SyncConfig::default();
    let kind_names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    let day = |k| -> Result<Option<u32>, ConfigError> {
        Ok(s.integer(k, EVENT_WINDOW_DAYS)?.map(|v| v as u32))
    };
    let time_zone = match s.string("time_zone")? {
        None | Some("") => None,
        Some(name) => Some(name.parse::<Tz>().map_err(|_| {
            invalid(
                "sync.time_zone",
                format!(
                    "{} is not an IANA time zone name such as \"Europe/Berlin\"; leave it empty for the OS zone",
                    quoted(name)
                ),
            )
        })?),
    };
    Ok(SyncConfig {
        mode: s
            .choice("mode", SyncMode::NAMES, SyncMode::parse)?
            .unwrap_or(d.mode),
        interval_seconds: s
            .integer("interval_seconds", INTERVAL_SECONDS)?
            .map_or(d.interval_seconds, |v| v as u32),
        direction: s
            .choice("direction", Direction::NAMES, Direction::parse)?
            .unwrap_or(d.direction),
        conflict_resolution: s
            .choice(
                "conflict_resolution",
                ConflictSetting::NAMES,
                ConflictSetting::parse,
            )?
            .unwrap_or(d.conflict_resolution),
        kinds: s
            .name_list("kinds", "kinds", &kind_names, Kind::parse)?
            .unwrap_or(d.kinds),
        contacts_scope: s
            .choice("contacts_scope", ContactsScope::NAMES, ContactsScope::parse)?
            .unwrap_or(d.contacts_scope),
        events_past_days: day("events_past_days")?.unwrap_or(d.events_past_days),
        events_future_days: day("events_future_days")?.unwrap_or(d.events_future_days),
        time_zone,
    })
}

fn parse_network(s: Section<'_>) -> Result<NetworkConfig, ConfigError> {
    s.only(NETWORK_KEYS)?;
    Ok(NetworkConfig {
        timeout_seconds: s
            .integer("timeout_seconds", TIMEOUT_SECONDS)?
            .map(|v| v as u32),
    })
}

fn parse_keys(s: Section<'_>) -> Result<Keys, ConfigError> {
    s.only(KEYS_KEYS)?;
    let mut keys: BTreeMap<Kind, Vec<Field>> = Keys::default().0;
    for kind in Kind::ALL {
        let fields = kind.fields();
        let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
        let what = format!("field names of {kind}");
        if let Some(list) =
            s.name_list(kind.as_str(), &what, &names, |n| Field::parse_in(fields, n))?
        {
            keys.insert(kind, list);
        }
    }
    Ok(Keys(keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[oro]\nurl = \"https://crm.example.com\"\nusername = \"jane\"\n[outlook]\nclient_id = \"abc\"\n";

    const DOCUMENTED: &str = r#"
[oro]
url = "https://crm.example.com"   # back-office base URL; the API is {url}/api/...
username = "jane"
auth = "wsse"
client_id = ""
redirect_port = 0

[outlook]
client_id = "..."
tenant = "common"
graph_url = "https://graph.microsoft.com/v1.0"
login_url = "https://login.microsoftonline.com"

[sync]
mode = "automatic"                # or "manual"
interval_seconds = 120            # 30 to 86400
direction = "bidirectional"
conflict_resolution = "oro-wins"
kinds = ["contacts", "tasks", "events"]
contacts_scope = "mine"
events_past_days = 30
events_future_days = 365
time_zone = ""

[keys]
contacts = ["firstName", "lastName", "gender", "birthday"]
tasks = ["subject", "taskPriority"]
events = ["title", "start", "end", "allDay"]
"#;

    /// The message of parsing `MINIMAL` with `extra` lines added to `[section]`.
    fn err_with(section: &str, extra: &str) -> String {
        let text = MINIMAL.replace(
            &format!("[{section}]\n"),
            &format!("[{section}]\n{extra}\n"),
        );
        let text = if text.contains(&format!("[{section}]")) {
            text
        } else {
            format!("{MINIMAL}[{section}]\n{extra}\n")
        };
        Config::parse(&text).unwrap_err().to_string()
    }

    #[test]
    fn the_documented_example_gives_exactly_the_defaults() {
        let c = Config::parse(DOCUMENTED).unwrap();
        let mut expected = Config::new("https://crm.example.com", "jane", "...");
        expected.oro.auth = OroAuth::Wsse;
        assert_eq!(c, expected);
        assert_eq!(
            Config::parse(MINIMAL).unwrap(),
            Config::new("https://crm.example.com", "jane", "abc")
        );
        let s = c.sync_settings();
        assert_eq!(
            s,
            SyncSettings {
                oro_url: "https://crm.example.com".into(),
                time_zone: c.time_zone(),
                ..SyncSettings::default()
            }
        );
        assert_eq!(c.sync.interval_seconds, 120);
        assert_eq!(c.sync.mode, SyncMode::Automatic);
        assert_eq!(c.sync.contacts_scope, ContactsScope::Mine);
    }

    #[test]
    fn every_value_is_read() {
        let text = r#"
[oro]
url = "https://crm.example.com/"
auth = "oauth2-browser"
client_id = "oro-client"
redirect_port = 8765
[outlook]
client_id = "00000000-0000-0000-0000-000000000001"
tenant = "contoso.onmicrosoft.com"
graph_url = "http://127.0.0.1:9000/v1.0/"
login_url = "http://localhost:9001"
[sync]
mode = "manual"
interval_seconds = 86400
direction = "outlook-to-oro"
conflict_resolution = "ask"
kinds = ["events", "contacts"]
contacts_scope = "all"
events_past_days = 0
events_future_days = 36500
time_zone = "Europe/Berlin"
[keys]
contacts = ["emails"]
tasks = ["dueDate", "subject"]
"#;
        let c = Config::parse(text).unwrap();
        assert_eq!(c.oro.url, "https://crm.example.com", "trailing / dropped");
        let odd = MINIMAL.replace(
            "https://crm.example.com",
            " HTTPS://CRM.Example.com:443/oro crm/ ",
        );
        assert_eq!(
            Config::parse(&odd).unwrap().oro.url,
            "https://crm.example.com/oro%20crm",
            "normalised, default port dropped"
        );
        assert_eq!(c.oro.username, "", "username is optional for oauth2");
        assert_eq!(c.oro.auth, OroAuth::Oauth2Browser);
        assert_eq!(c.oro.client_id, "oro-client");
        assert_eq!(c.oro.redirect_port, 8765);
        assert_eq!(c.outlook.tenant, "contoso.onmicrosoft.com");
        assert_eq!(c.outlook.graph_url, "http://127.0.0.1:9000/v1.0");
        assert_eq!(c.outlook.login_url, "http://localhost:9001");
        assert_eq!(c.sync.mode, SyncMode::Manual);
        assert_eq!(c.sync.interval_seconds, 86400);
        assert_eq!(c.sync.direction, Direction::OutlookToOro);
        assert_eq!(c.sync.conflict_resolution, ConflictSetting::Ask);
        assert_eq!(c.sync.kinds, vec![Kind::Events, Kind::Contacts]);
        assert_eq!(c.sync.contacts_scope, ContactsScope::All);
        assert_eq!(
            (c.sync.events_past_days, c.sync.events_future_days),
            (0, 36500)
        );
        assert_eq!(c.time_zone(), chrono_tz::Europe::Berlin);
        assert_eq!(c.keys.of(Kind::Contacts), &[Field::Emails]);
        assert_eq!(c.keys.of(Kind::Tasks), &[Field::DueDate, Field::Subject]);
        assert_eq!(
            c.keys.of(Kind::Events),
            Keys::default().of(Kind::Events),
            "unlisted kind keeps its default"
        );
        let s = c.sync_settings();
        assert_eq!(s.direction, Direction::OutlookToOro);
        assert_eq!(s.conflict, ConflictSetting::Ask);
        assert_eq!(s.kinds, vec![Kind::Events, Kind::Contacts]);
        assert_eq!(s.keys, c.keys);
        assert_eq!((s.events_past_days, s.events_future_days), (0, 36500));
        assert_eq!(s.oro_url, "https://crm.example.com");
    }

    #[test]
    fn to_toml_round_trips_defaults_and_every_value() {
        let plain = Config::new("https://crm.example.com", "jane", "app");
        assert_eq!(Config::parse(&plain.to_toml()).unwrap(), plain);

        let mut c = plain.clone();
        c.oro.username = "Jäne \"quoted\" \\ back".into();
        c.oro.auth = OroAuth::Oauth2;
        c.oro.client_id = "cid".into();
        c.oro.redirect_port = 65535;
        c.outlook.tenant = "organizations".into();
        c.outlook.graph_url = "http://[::1]:8080/graph".into();
        c.sync.mode = SyncMode::Manual;
        c.sync.interval_seconds = 30;
        c.sync.direction = Direction::OroToOutlook;
        c.sync.conflict_resolution = ConflictSetting::NewestWins;
        c.sync.kinds = vec![Kind::Tasks];
        c.sync.contacts_scope = ContactsScope::All;
        c.sync.events_past_days = 7;
        c.sync.events_future_days = 0;
        c.sync.time_zone = Some(chrono_tz::America::New_York);
        c.keys
            .0
            .insert(Kind::Events, vec![Field::Description, Field::AllDay]);
        let text = c.to_toml();
        assert_eq!(Config::parse(&text).unwrap(), c, "{text}");
        assert!(text.starts_with("# OroSync settings"));
        assert!(text.find("[oro]") < text.find("[outlook]"));
        assert!(text.find("[sync]") < text.find("[keys]"));
    }

    #[test]
    fn save_writes_atomically_and_refuses_an_invalid_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let c = Config::new("https://crm.example.com", "jane", "app");
        c.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), c);
        assert!(!dir.path().join("config.toml.tmp").exists());

        let mut bad = c.clone();
        bad.sync.interval_seconds = 5;
        let e = bad.save(&path).unwrap_err();
        assert_eq!(e.key(), Some("sync.interval_seconds"));
        assert_eq!(Config::load(&path).unwrap(), c, "the old file is untouched");
    }

    #[test]
    fn bad_choices_name_the_key_and_the_allowed_values() {
        assert_eq!(
            err_with("sync", "direction = \"sideways\""),
            "sync.direction: \"sideways\" is not one of oro-to-outlook, outlook-to-oro, bidirectional"
        );
        assert_eq!(
            err_with("sync", "conflict_resolution = \"coin-toss\""),
            "sync.conflict_resolution: \"coin-toss\" is not one of oro-wins, outlook-wins, newest-wins, ask"
        );
        assert_eq!(
            err_with("sync", "mode = \"sometimes\""),
            "sync.mode: \"sometimes\" is not one of automatic, manual"
        );
        assert_eq!(
            err_with("sync", "contacts_scope = \"some\""),
            "sync.contacts_scope: \"some\" is not one of mine, all"
        );
        assert_eq!(
            err_with("oro", "auth = \"basic\""),
            "oro.auth: \"basic\" is not one of wsse, oauth2, oauth2-browser"
        );
        // Case matters: the documented values are lower case.
        assert!(err_with("sync", "direction = \"Bidirectional\"").starts_with("sync.direction:"));
    }

    #[test]
    fn numbers_are_checked_against_their_range_and_type() {
        assert_eq!(
            err_with("sync", "interval_seconds = 29"),
            "sync.interval_seconds: expected an integer from 30 to 86400, found 29"
        );
        assert_eq!(
            err_with("sync", "interval_seconds = 86401"),
            "sync.interval_seconds: expected an integer from 30 to 86400, found 86401"
        );
        assert_eq!(
            err_with("sync", "interval_seconds = \"120\""),
            "sync.interval_seconds: expected an integer from 30 to 86400, found a string"
        );
        assert_eq!(
            err_with("sync", "interval_seconds = 120.5"),
            "sync.interval_seconds: expected an integer from 30 to 86400, found a float"
        );
        assert!(err_with("sync", "events_past_days = -1")
            .starts_with("sync.events_past_days: expected an integer from 0 to 36500"));
        assert!(err_with("sync", "events_future_days = 9223372036854775807")
            .starts_with("sync.events_future_days: expected an integer from 0 to 36500"));
        assert_eq!(
            err_with("oro", "redirect_port = 65536"),
            "oro.redirect_port: expected an integer from 0 to 65535, found 65536"
        );
        assert!(err_with("sync", "mode = true").ends_with("expected a string, found a boolean"));
    }

    #[test]
    fn the_network_timeout_is_read_checked_and_written_back() {
        let c = Config::parse(&format!("{MINIMAL}[network]\ntimeout_seconds = 5\n")).unwrap();
        assert_eq!(c.network.timeout_seconds, Some(5));
        assert_eq!(
            c.network.timeout_or(std::time::Duration::from_secs(30)),
            std::time::Duration::from_secs(5)
        );
        assert_eq!(Config::parse(&c.to_toml()).unwrap(), c);
        let d = Config::parse(MINIMAL).unwrap();
        assert_eq!(d.network.timeout_seconds, None);
        assert_eq!(Config::parse(&d.to_toml()).unwrap(), d);
        for (bad, needle) in [
            ("0", "from 1 to 600, found 0"),
            ("601", "found 601"),
            ("\"30\"", "found a string"),
            ("2.5", "found a float"),
        ] {
            let e = Config::parse(&format!("{MINIMAL}[network]\ntimeout_seconds = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("network.timeout_seconds: ") && e.contains(needle),
                "{e}"
            );
        }
        let e = Config::parse(&format!("{MINIMAL}[network]\nproxy = \"x\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("network.proxy") && e.contains("timeout_seconds"),
            "{e}"
        );
    }

    #[test]
    fn kinds_must_be_known_distinct_and_not_empty() {
        assert_eq!(
            err_with("sync", "kinds = [\"notes\"]"),
            "sync.kinds: \"notes\" is not one of contacts, tasks, events"
        );
        assert_eq!(
            err_with("sync", "kinds = [\"tasks\", \"tasks\"]"),
            "sync.kinds: \"tasks\" is listed twice"
        );
        assert_eq!(
            err_with("sync", "kinds = []"),
            "sync.kinds: must list at least one of contacts, tasks, events"
        );
        assert!(err_with("sync", "kinds = \"tasks\"").starts_with("sync.kinds: expected a list"));
        assert!(err_with("sync", "kinds = [1]").contains("found an integer in it"));
    }

    #[test]
    fn key_lists_must_be_fields_of_their_kind_distinct_and_not_empty() {
        assert_eq!(
            err_with("keys", "tasks = [\"firstName\"]"),
            "keys.tasks: \"firstName\" is not one of subject, description, taskPriority, status, dueDate"
        );
        assert_eq!(
            err_with("keys", "events = [\"title\", \"title\"]"),
            "keys.events: \"title\" is listed twice"
        );
        assert!(err_with("keys", "contacts = []")
            .starts_with("keys.contacts: must list at least one of namePrefix, firstName"));
        assert!(err_with("keys", "contacts = [\"FirstName\"]")
            .starts_with("keys.contacts: \"FirstName\" is not one of"));
        assert_eq!(
            err_with("keys", "notes = [\"x\"]"),
            "keys.notes: unknown key; the keys of [keys] are contacts, tasks, events"
        );
    }

    #[test]
    fn unknown_sections_and_keys_are_named() {
        assert_eq!(
            Config::parse(&format!("{MINIMAL}[proxy]\nurl = \"x\"\n"))
                .unwrap_err()
                .to_string(),
            "unknown section [proxy]; the sections are [oro], [outlook], [sync], [keys] and [network]"
        );
        assert_eq!(
            err_with("sync", "intervall_seconds = 60"),
            "sync.intervall_seconds: unknown key; the keys of [sync] are mode, interval_seconds, direction, conflict_resolution, kinds, contacts_scope, events_past_days, events_future_days, time_zone"
        );
        let top = Config::parse(&format!("debug = true\n{MINIMAL}")).unwrap_err();
        assert_eq!(top.key(), Some("debug"));
        assert!(top.to_string().contains("keys belong in a section"));
        let e = Config::parse("oro = 1\n[outlook]\nclient_id = \"a\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "oro: expected a section [oro], found an integer"
        );
        // Sub-tables are not part of the format either.
        assert!(err_with("sync", "[sync.extra]\nx = 1").starts_with("sync.extra: unknown key"));
    }

    #[test]
    fn required_keys_are_named_when_missing() {
        assert_eq!(
            Config::parse("[outlook]\nclient_id = \"a\"\n")
                .unwrap_err()
                .to_string(),
            "oro.url: missing; it is required"
        );
        assert_eq!(
            Config::parse("[oro]\nurl = \"https://x.example\"\n[outlook]\nclient_id = \"a\"\n")
                .unwrap_err()
                .to_string(),
            "oro.username: missing; it is required when oro.auth = \"wsse\""
        );
        assert_eq!(
            Config::parse("[oro]\nurl = \"https://x.example\"\nusername = \"  \"\n[outlook]\nclient_id = \"a\"\n")
                .unwrap_err()
                .key(),
            Some("oro.username")
        );
        assert_eq!(
            Config::parse("[oro]\nurl = \"https://x.example\"\nusername = \"j\"\n")
                .unwrap_err()
                .to_string(),
            "outlook.client_id: missing; it is required"
        );
        assert_eq!(
            Config::parse("[oro]\nurl = \"https://x.example\"\nusername = \"j\"\n[outlook]\nclient_id = \"\"\n")
                .unwrap_err()
                .key(),
            Some("outlook.client_id")
        );
        assert_eq!(Config::parse("").unwrap_err().key(), Some("oro.url"));
        // Not required for the oauth2 modes.
        let c = Config::parse(
            "[oro]\nurl = \"https://x.example\"\nauth = \"oauth2\"\n[outlook]\nclient_id = \"a\"\n",
        )
        .unwrap();
        assert_eq!(c.oro.username, "");
    }

    #[test]
    fn urls_must_be_https_or_loopback_http() {
        let with_url = |u: &str| {
            Config::parse(&format!(
                "[oro]\nurl = \"{u}\"\nusername = \"j\"\n[outlook]\nclient_id = \"a\"\n"
            ))
        };
        for ok in [
            "https://crm.example.com",
            "https://crm.example.com:8443/oro",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://127.0.0.1:1",
            "http://127.255.0.9",
            "http://[::1]:9",
        ] {
            assert!(with_url(ok).is_ok(), "{ok}: {:?}", with_url(ok).err());
        }
        let e = with_url("http://crm.example.com").unwrap_err().to_string();
        assert_eq!(e, "oro.url: \"http://crm.example.com\": http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://");
        for bad in [
            "http://128.0.0.1",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
            "http://[::ffff:8.8.8.8]",
        ] {
            assert!(
                with_url(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("only for loopback"),
                "{bad}"
            );
        }
        for bad in [
            "ftp://crm.example.com",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(
                with_url(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("must start with https://"),
                "{bad}"
            );
        }
        assert!(with_url("crm.example.com")
            .unwrap_err()
            .to_string()
            .starts_with("oro.url: \"crm.example.com\" is not a URL"));
        assert_eq!(
            with_url("").unwrap_err().to_string(),
            "oro.url: must not be empty"
        );
        assert!(with_url("https://x.example/?a=1")
            .unwrap_err()
            .to_string()
            .contains("without ?query"));
        assert!(with_url("https://x.example/#top")
            .unwrap_err()
            .to_string()
            .contains("without ?query"));
        let e = with_url("https://jane:hunter2@x.example")
            .unwrap_err()
            .to_string();
        assert!(e.contains("keyring") && !e.contains("hunter2"), "{e}");

        let graph = err_with("outlook", "graph_url = \"http://graph.example.com\"");
        assert!(graph.starts_with("outlook.graph_url:"), "{graph}");
        let login = err_with("outlook", "login_url = \"gopher://x\"");
        assert!(login.starts_with("outlook.login_url:"), "{login}");
    }

    #[test]
    fn tenant_cannot_change_the_login_path() {
        for bad in ["", "a/b", "..", "x?y=1", "x#y", "a b"] {
            let e = err_with("outlook", &format!("tenant = \"{bad}\""));
            assert!(e.starts_with("outlook.tenant:"), "{bad}: {e}");
        }
        for ok in [
            "common",
            "consumers",
            "9188040d-6c67-4c5b-b112-36a304b66dad",
            "contoso.onmicrosoft.com",
        ] {
            let text = MINIMAL.replace("[outlook]\n", &format!("[outlook]\ntenant = \"{ok}\"\n"));
            assert_eq!(Config::parse(&text).unwrap().outlook.tenant, ok);
        }
    }

    #[test]
    fn secrets_are_refused_with_a_pointer_to_the_keyring_and_never_echoed() {
        for (section, key) in [
            ("oro", "api_key"),
            ("oro", "password"),
            ("oro", "client_secret"),
            ("oro", "refresh_token"),
            ("outlook", "refresh_token"),
            ("outlook", "ClientSecret"),
            ("sync", "access-token"),
        ] {
            let e = err_with(section, &format!("{key} = \"hunter2\""));
            assert!(
                e.starts_with(&format!(
                    "{section}.{key}: secrets do not belong in config.toml"
                )),
                "{e}"
            );
            assert!(
                e.contains("OS keyring") && e.contains("orosync login"),
                "{e}"
            );
            assert!(!e.contains("hunter2"), "{e}");
        }
        assert!(err_with("oro", "api_key = \"k\"").contains("`orosync login oro`"));
        assert!(err_with("outlook", "refresh_token = \"k\"").contains("`orosync login outlook`"));
        // Anywhere in the file, even in an unknown section.
        let e = Config::parse(&format!("password = \"x\"\n{MINIMAL}")).unwrap_err();
        assert!(matches!(e, ConfigError::Secret { .. }), "{e}");
        let e = Config::parse(&format!("{MINIMAL}[vault]\ntoken = \"x\"\n")).unwrap_err();
        assert_eq!(e.key(), Some("vault.token"));
    }

    #[test]
    fn syntax_errors_name_the_line_without_quoting_it() {
        let text = "[oro]\nurl = \"https://x.example\"\nusername = \"hunter2\n";
        let e = Config::parse(text).unwrap_err();
        let ConfigError::Syntax { line, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(*line, 3, "{e}");
        assert!(
            e.to_string().starts_with("config.toml line 3, column"),
            "{e}"
        );
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");

        let dup =
            Config::parse("[oro]\nurl = \"https://a.example\"\nurl = \"https://b.example\"\n")
                .unwrap_err();
        assert!(matches!(dup, ConfigError::Syntax { line: 3, .. }), "{dup}");
    }

    #[test]
    fn time_zone_must_be_an_iana_name() {
        assert!(err_with("sync", "time_zone = \"Mars/Olympus\"")
            .starts_with("sync.time_zone: \"Mars/Olympus\" is not an IANA time zone name"));
        let with = |z: &str| {
            MINIMAL.replace(
                "[outlook]",
                &format!("[sync]\ntime_zone = \"{z}\"\n[outlook]"),
            )
        };
        assert_eq!(Config::parse(&with("UTC")).unwrap().time_zone(), Tz::UTC);
        assert_eq!(
            Config::parse(&with("Asia/Kolkata")).unwrap().sync.time_zone,
            Some(chrono_tz::Asia::Kolkata)
        );
        assert_eq!(Config::parse(&with("")).unwrap().sync.time_zone, None);
    }

    #[test]
    fn os_zone_honours_tz_like_the_c_library() {
        let system = || Some("Europe/Paris".to_string());
        assert_eq!(zone_from_os(None, system), chrono_tz::Europe::Paris);
        assert_eq!(
            zone_from_os(Some(OsStr::new("Asia/Tokyo")), system),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(
            zone_from_os(Some(OsStr::new(":Asia/Tokyo")), system),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(
            zone_from_os(
                Some(OsStr::new("/usr/share/zoneinfo/America/Chicago")),
                system
            ),
            chrono_tz::America::Chicago
        );
        assert_eq!(zone_from_os(Some(OsStr::new("")), system), Tz::UTC);
        assert_eq!(
            zone_from_os(Some(OsStr::new("Nowhere/Atall")), system),
            Tz::UTC
        );
        assert_eq!(zone_from_os(None, || None), Tz::UTC);
        assert_eq!(zone_from_os(None, || Some("garbage".into())), Tz::UTC);
    }

    #[test]
    fn control_characters_are_refused_and_escaped_in_messages() {
        let e = err_with("oro", "client_id = \"a\\u0007b\\nc\"");
        assert_eq!(
            e,
            "oro.client_id: \"a\\u{7}b\\nc\" contains control characters"
        );
        assert!(!e.chars().any(char::is_control));
        let e = err_with("sync", "direction = \"\\u001b[31mred\"");
        assert_eq!(
            e,
            "sync.direction: \"\\u{1b}[31mred\" contains control characters"
        );
        // Quoted keys with control characters are shown escaped too.
        let e = err_with("sync", "\"\\u001b[2J\" = 1");
        assert!(!e.chars().any(char::is_control), "{e}");
        assert!(e.starts_with("sync.\"\\u{1b}[2J\": unknown key"), "{e}");
        // A raw control character is a TOML syntax error.
        assert!(matches!(
            Config::parse("[oro]\nurl = \"https://x.example\"\nusername = \"a\u{1}b\"\n"),
            Err(ConfigError::Syntax { line: 3, .. })
        ));
    }

    #[test]
    fn long_values_are_cut_short_in_messages() {
        let long = "x".repeat(10_000);
        let e = err_with("sync", &format!("mode = \"{long}\""));
        assert!(e.len() < 200, "{}", e.len());
        assert!(e.contains('…'));
    }

    #[test]
    fn hostile_files_are_refused_cleanly() {
        let dir = tempfile::tempdir().unwrap();

        let big = dir.path().join("big.toml");
        let mut text = MINIMAL.to_string();
        while text.len() <= MAX_CONFIG_BYTES {
            text.push_str("# padding padding padding padding padding padding padding\n");
        }
        std::fs::write(&big, &text).unwrap();
        assert!(matches!(
            Config::load(&big),
            Err(ConfigError::TooLarge { .. })
        ));
        assert!(matches!(
            Config::parse(&text),
            Err(ConfigError::TooLarge { .. })
        ));

        let latin1 = dir.path().join("latin1.toml");
        std::fs::write(
            &latin1,
            b"[oro]\nurl = \"https://x.example\"\nusername = \"J\xe4ne\"\n",
        )
        .unwrap();
        let e = Config::load(&latin1).unwrap_err();
        assert!(matches!(e, ConfigError::NotUtf8 { line: 3 }), "{e}");

        let missing = Config::load(&dir.path().join("nope.toml")).unwrap_err();
        assert!(matches!(missing, ConfigError::Io { .. }));
        assert!(
            Config::load(dir.path()).is_err(),
            "a directory is not a config"
        );

        // Deep nesting must be an error, not a stack overflow.
        let deep = format!(
            "{MINIMAL}[sync]\nkinds = {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(Config::parse(&deep).is_err());
        let deep_tables = format!(
            "{MINIMAL}x = {}1{}\n",
            "{a=".repeat(50_000),
            "}".repeat(50_000)
        );
        assert!(Config::parse(&deep_tables).is_err());

        assert!(Config::parse("\0\0\0").is_err());
        assert!(Config::parse("[oro\n").is_err());
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, format!("\u{feff}{MINIMAL}")).unwrap();
        assert_eq!(Config::load(&p).unwrap(), Config::parse(MINIMAL).unwrap());
    }

    proptest::proptest! {
        /// Whatever the tray sets (within the allowed values), writing and
        /// reading the file gives it back unchanged.
        #[test]
        fn to_toml_round_trips_any_valid_config(
            username in "[^\\p{Cc}]{0,20}[a-z][^\\p{Cc}]{0,20}",
            client_id in "[^\\p{Cc}]{0,40}",
            outlook_id in "[^\\p{Cc}]*[a-z0-9][^\\p{Cc}]*",
            auth in 0..3usize,
            port in proptest::prelude::any::<u16>(),
            interval in 30u32..=86_400,
            dir in 0..3usize,
            conflict in 0..4usize,
            kinds in proptest::sample::subsequence(Kind::ALL.to_vec(), 1..=3),
            past in 0u32..=36_500,
            future in 0u32..=36_500,
            zone in proptest::option::of(proptest::sample::select(vec![
                chrono_tz::Europe::Berlin, chrono_tz::Asia::Kathmandu, Tz::UTC,
            ])),
            contact_keys in proptest::sample::subsequence(FIELDS_CONTACTS_VEC.clone(), 1..=11),
        ) {
            let mut c = Config::new("https://crm.example.com", &username, &outlook_id);
            c.oro.auth = [OroAuth::Wsse, OroAuth::Oauth2, OroAuth::Oauth2Browser][auth];
            c.oro.client_id = client_id;
            c.oro.redirect_port = port;
            c.sync.interval_seconds = interval;
            c.sync.direction = Direction::parse(Direction::NAMES[dir]).unwrap();
            c.sync.conflict_resolution = ConflictSetting::parse(ConflictSetting::NAMES[conflict]).unwrap();
            c.sync.kinds = kinds;
            c.sync.events_past_days = past;
            c.sync.events_future_days = future;
            c.sync.time_zone = zone;
            c.keys.0.insert(Kind::Contacts, contact_keys);
            let text = c.to_toml();
            let back = Config::parse(&text);
            proptest::prop_assert!(back.is_ok(), "{:?}\n{}", back, text);
            proptest::prop_assert_eq!(back.unwrap(), c);
        }
    }

    static FIELDS_CONTACTS_VEC: std::sync::LazyLock<Vec<Field>> =
        std::sync::LazyLock::new(|| crate::model::FIELDS_CONTACTS.to_vec());

    #[test]
    fn the_fax_can_be_a_contact_key() {
        let c = Config::parse(&format!(
            "{MINIMAL}\n[keys]\ncontacts = [\"lastName\", \"fax\"]\n"
        ))
        .unwrap();
        assert_eq!(c.keys.of(Kind::Contacts), &[Field::LastName, Field::Fax]);
    }

    #[test]
    fn the_addresses_can_be_a_contact_key() {
        let c = Config::parse(&format!(
            "{MINIMAL}\n[keys]\ncontacts = [\"lastName\", \"addresses\"]\n"
        ))
        .unwrap();
        assert_eq!(
            c.keys.of(Kind::Contacts),
            &[Field::LastName, Field::Addresses]
        );
    }
}
