//! A report for support ("Copy diagnostics" in the tray's About tab,
//! `orosync diagnostics`): the version, where the profile and its logs
//! are, the settings, which secrets are present (never their values), the
//! last runs and the recent errors.
//!
//! Secrets are not supposed to be in any of those sources; the report is
//! redacted anyway, as a last line of defence: every secret value the
//! profile's store and the environment hold is replaced, and so is
//! anything shaped like a credential (a bearer token, a `token=` or
//! `password=` parameter, a WSSE digest, a password in a URL).

use crate::config::Config;
use crate::secrets::{SecretStore, ENV_VARS};
use crate::setup::SECRET_NAMES;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::path::Path;

/// How many runs and log lines the report carries.
pub const RUNS: usize = 10;
pub const LOG_LINES: usize = 30;

/// What replaces a secret in the report.
pub const REDACTED: &str = "<redacted>";

/// The report for the profile at `dir`, made at `now`. `secrets` is the
/// profile's store: its values are what gets redacted (and whether each is
/// present is reported).
pub fn report(dir: &Path, secrets: &dyn SecretStore, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut known: Vec<String> = Vec::new();
    let w = &mut out;
    let _ = writeln!(w, "OroSync diagnostics");
    let _ = writeln!(w, "version: {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        w,
        "system: {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let _ = writeln!(
        w,
        "made at: {}",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let _ = writeln!(w, "profile: {}", dir.display());
    let profile = crate::profile::Profile::at(dir);
    let _ = writeln!(w, "logs: {}", profile.logs_dir().display());
    if let Some(warning) = crate::private_fs::exposure(dir) {
        let _ = writeln!(w, "warning: {warning}");
    }

    let _ = writeln!(w, "\n[secrets]  (present or not; values are never shown)");
    for name in SECRET_NAMES {
        let from_env = ENV_VARS
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, var)| crate::secrets::env_var(var))
            .filter(|v| !v.is_empty());
        if let Some(v) = &from_env {
            known.push(v.clone());
        }
        let state = match secrets.get(name) {
            Ok(Some(v)) => {
                known.push(v.expose().to_string());
                if from_env.is_some() {
                    "from the environment"
                } else {
                    "stored"
                }
            }
            Ok(None) => "absent",
            Err(_) => "keyring unavailable",
        };
        let _ = writeln!(w, "{name}: {state}");
    }

    let config_path = profile.config_path();
    let _ = writeln!(w, "\n[settings]  ({})", config_path.display());
    if !config_path.exists() {
        let _ = writeln!(w, "no config.toml: not set up yet");
    } else {
        match Config::load(&config_path) {
            Ok(c) => w.push_str(&c.to_toml()),
            Err(e) => {
                let _ = writeln!(w, "config.toml is not valid: {e}");
            }
        }
    }

    let _ = writeln!(w, "\n[last runs]  (newest first)");
    runs(w, &profile.state_path());

    let _ = writeln!(w, "\n[recent warnings and errors]  (from logs/)");
    for line in recent_log_problems(&profile.logs_dir(), LOG_LINES) {
        let _ = writeln!(w, "{line}");
    }
    redact(&out, &known)
}

fn runs(w: &mut String, path: &Path) {
    if !path.exists() {
        let _ = writeln!(w, "no run yet");
        return;
    }
    let records = match crate::state::State::open(path).and_then(|s| s.runs(RUNS)) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(w, "the state database could not be read: {e}");
            return;
        }
    };
    if records.is_empty() {
        let _ = writeln!(w, "no run yet");
    }
    for r in records {
        let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let _ = write!(
            w,
            "run {}: started {}, {}",
            r.id,
            stamp(&r.started_at),
            match (&r.finished_at, r.exit) {
                (Some(f), Some(x)) => format!("finished {} with exit {x}", stamp(f)),
                _ => "did not finish".into(),
            }
        );
        // Walked field by field rather than read as a `Summary`: the
        // report shows whatever a damaged or foreign summary still holds.
        if let Some(kinds) = r
            .summary
            .as_ref()
            .and_then(|s| s.get("kinds"))
            .and_then(|k| k.as_object())
        {
            // serde_json's map is sorted by key: the kinds come in one order.
            for (kind, v) in kinds {
                let n = |side: &str, what: &str| {
                    v.get(side)
                        .and_then(|s| s.get(what))
                        .and_then(|x| x.as_u64())
                        .unwrap_or(0)
                };
                let _ = write!(
                    w,
                    "; {kind}: Oro +{} ~{} -{}, Outlook +{} ~{} -{}",
                    n("oro", "created"),
                    n("oro", "updated"),
                    n("oro", "deleted"),
                    n("outlook", "created"),
                    n("outlook", "updated"),
                    n("outlook", "deleted"),
                );
            }
        }
        if let Some(m) = r
            .summary
            .as_ref()
            .and_then(|s| s.get("fatal"))
            .and_then(|f| f.get("message"))
            .and_then(|m| m.as_str())
        {
            let _ = write!(w, "; stopped: {m}");
        }
        if let Some(errors) = r
            .summary
            .as_ref()
            .and_then(|s| s.get("errors"))
            .and_then(|e| e.as_array())
        {
            for e in errors.iter().take(5) {
                let _ = write!(w, "; failed: {e}");
            }
        }
        w.push('\n');
    }
}

/// The last `max` WARN and ERROR lines of the profile's logs, oldest first
/// (the files by name: `orosync.YYYY-MM-DD.log` sort by day).
pub fn recent_log_problems(logs: &Path, max: usize) -> Vec<String> {
    let mut files: Vec<_> = match std::fs::read_dir(logs) {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect(),
        Err(_) => return vec![],
    };
    files.sort();
    let mut lines = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        lines.extend(
            text.lines()
                .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
                .map(|l| format!("{name}: {}", l.trim_end())),
        );
    }
    let skip = lines.len().saturating_sub(max);
    lines.split_off(skip)
}

/// `text` with every `known` secret value and anything shaped like a
/// credential replaced by [`REDACTED`].
pub fn redact(text: &str, known: &[String]) -> String {
    let mut out = text.to_string();
    // Longest first, so a secret that contains another goes whole.
    let mut known: Vec<&String> = known.iter().filter(|k| k.len() >= 4).collect();
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    for k in known {
        out = out.replace(k.as_str(), REDACTED);
    }
    for re in patterns() {
        out = re
            .replace_all(&out, |c: &regex::Captures| {
                // The URL pattern matches up to the `@`, which stays.
                let at = if c[0].ends_with('@') { "@" } else { "" };
                format!("{}{REDACTED}{at}", &c[1])
            })
            .into_owned();
    }
    out
}

fn patterns() -> &'static [regex::Regex] {
    static P: std::sync::OnceLock<Vec<regex::Regex>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        [
            // Authorization: Bearer …
            r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*",
            // access_token=…, refresh_token: "…", client_secret=…, api_key=…, password=…
            // (a parameter or a JSON member; "oro_api_key: stored" is not one)
            r#"(?i)((?:access_token|refresh_token|id_token|client_secret|api_?key|password|passwd|secret)(?:=|"\s*:\s*"))[^\s"'&,;]+"#,
            // An OAuth authorization code in a redirect.
            r"([?&]code=)[^\s&#]+",
            // WSSE: PasswordDigest="…", Nonce="…"
            r#"(?i)((?:passworddigest|nonce)\s*=\s*")[^"]*"#,
            // https://user:password@host
            r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?:@)",
        ]
        .iter()
        .map(|p| regex::Regex::new(p).expect("the redaction patterns are valid"))
        .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_shapes_are_redacted() {
        let t = "GET /cb?code=c0de&state=s GET /x?access_token=abc.def&y=1 Authorization: Bearer eyJ0eXAi.x-y \
                 PasswordDigest=\"q1w2e3\", Nonce=\"n0nce\" https://jane:hunter22@crm.example.com/api \
                 {\"refresh_token\": \"rt-zzz\"} api_key=K3y";
        let r = redact(t, &[]);
        for s in [
            "c0de", "abc.def", "eyJ0eXAi", "q1w2e3", "n0nce", "hunter22", "rt-zzz", "K3y",
        ] {
            assert!(!r.contains(s), "{s} in {r}");
        }
        assert!(
            r.contains("crm.example.com/api") && r.contains("&y=1"),
            "{r}"
        );
    }

    #[test]
    fn the_report_has_no_secret_of_the_store_the_environment_or_the_history() {
        use crate::secrets::{EnvFirst, MemorySecrets, Secret, ORO_API_KEY, ORO_CLIENT_SECRET};
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Config::new("https://crm.example.com", "jane", "app-id")
            .save(&dir.path().join("config.toml"))
            .unwrap();
        let mut state = crate::state::State::open(&dir.path().join("state.sqlite3")).unwrap();
        let id = state.start_run(now).unwrap();
        state
            .finish_run(
                id,
                now,
                3,
                &serde_json::json!({
                    "kinds": {"contacts": {"oro": {"created": 2}, "outlook": {"deleted": 1}}},
                    "fatal": {"message": "Oro refused the API key k3y-from-keyring"},
                    "errors": ["client secret env-s3cret-value was rejected"],
                }),
            )
            .unwrap();
        drop(state);
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(
            logs.join("orosync.2026-11-25.log"),
            "2026-11-25T10:00:00Z  INFO orosync: fine\n\
             2026-11-25T10:00:01Z ERROR orosync: sent Authorization: Bearer eyJhbGciOi.abc\n",
        )
        .unwrap();
        let store = EnvFirst::with_vars(
            MemorySecrets::new(),
            [(
                ORO_CLIENT_SECRET.to_string(),
                "env-s3cret-value".to_string(),
            )]
            .into(),
        );
        store
            .set(ORO_API_KEY, &Secret::new("k3y-from-keyring"))
            .unwrap();
        let r = report(dir.path(), &store, now);
        for secret in ["k3y-from-keyring", "env-s3cret-value", "eyJhbGciOi"] {
            assert!(!r.contains(secret), "{secret} in:\n{r}");
        }
        assert!(r.contains("made at: 2026-11-25T10:00:00Z"), "{r}");
        assert!(r.contains("oro_api_key: stored"), "{r}");
        assert!(r.contains("outlook_refresh_token: absent"), "{r}");
        assert!(r.contains("username = \"jane\""), "{r}");
        assert!(
            r.contains("run 1: started 2026-11-25T10:00:00Z, finished 2026-11-25T10:00:00Z with exit 3; contacts: Oro +2 ~0 -0, Outlook +0 ~0 -1; stopped: Oro refused the API key <redacted>"),
            "{r}"
        );
        assert!(
            r.contains("ERROR orosync: sent Authorization: Bearer <redacted>"),
            "{r}"
        );
        assert!(
            !r.contains("INFO orosync: fine"),
            "only warnings and errors"
        );
    }

    #[test]
    fn a_profile_not_set_up_is_reported_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let r = report(
            &dir.path().join("nothing"),
            &crate::secrets::MemorySecrets::new(),
            Utc::now(),
        );
        assert!(r.contains("no config.toml: not set up yet"), "{r}");
        assert!(r.contains("no run yet"), "{r}");
        assert!(!dir.path().join("nothing").exists(), "reading made nothing");
    }

    #[test]
    fn known_values_are_redacted_anywhere() {
        let r = redact(
            "the server said: key s3cr3t-value is wrong",
            &["s3cr3t-value".into()],
        );
        assert_eq!(r, "the server said: key <redacted> is wrong");
    }
}
