//! `orosync status [--json]`: the settings that decide when and how runs
//! happen, the last run, and the conflicts waiting for a choice.

use super::{history_failure, load_config, output, Failure};
use crate::app::history;
use crate::config::{SyncConfig, SyncMode};
use crate::profile::Profile;
use crate::state::RunRecord;
use crate::summary::Summary;
use serde::Serialize;
use serde_json::Value;

/// docs/cli.md, "status --json", field for field and in that order.
#[derive(Debug, Serialize)]
struct StatusJson {
    profile: String,
    mode: &'static str,
    interval_seconds: u32,
    direction: &'static str,
    last_run: Option<LastRunJson>,
    pending_conflicts: usize,
    /// Null until the tray app, which schedules runs, can report its next one.
    next_run_at: Option<String>,
}

#[derive(Debug, Serialize)]
struct LastRunJson {
    started_at: String,
    /// Null (as are `exit` and `summary`) while the run is going on, or
    /// when it was interrupted.
    finished_at: Option<String>,
    exit: Option<i32>,
    summary: Option<Value>,
}

pub fn run(profile: &Profile, json: bool) -> Result<(), Failure> {
    // Status works before the profile is set up: with no config.toml the
    // defaults are shown, as they are what a config without those keys
    // means and what the tray's first-run window starts from. A config that
    // is there but wrong is still an error (exit 2): the next sync would
    // fail on it, and status is where one looks to find out why.
    let config = load_config(profile)?;
    let has_config = config.is_some();
    let sync = config.map(|c| c.sync).unwrap_or_default();

    // A profile that has never synced has no state database: no runs, no
    // conflicts. A conflict whose side is already chosen waits only for
    // the next sync, not for the user, so it is not counted as pending.
    let fail = |e| history_failure(profile, e);
    let last = history::last_run(profile).map_err(fail)?;
    let (pending, chosen) = history::conflict_counts(profile).map_err(fail)?;

    let exposure = profile.exposure();
    if json {
        // The JSON object stays as documented; the warning goes to stderr.
        if let Some(w) = &exposure {
            eprintln!("orosync: warning: {w}");
        }
        return output::json(&StatusJson {
            profile: profile.dir.display().to_string(),
            mode: sync.mode.as_str(),
            interval_seconds: sync.interval_seconds,
            direction: sync.direction.as_str(),
            last_run: last.map(|r| LastRunJson {
                started_at: output::timestamp(&r.started_at),
                finished_at: r.finished_at.as_ref().map(output::timestamp),
                exit: r.exit,
                summary: r.summary,
            }),
            pending_conflicts: pending,
            // Published by a running tray app (null in manual mode, paused,
            // or when none runs).
            next_run_at: crate::tray_status::read(&profile.dir)
                .and_then(|t| t.next_run_at)
                .as_ref()
                .map(output::timestamp),
        });
    }

    let mut out = String::new();
    let mut line = |label: &str, text: &str| {
        out.push_str(&format!("{label:<19}{text}\n"));
    };
    line("Profile:", &profile.dir.display().to_string());
    if !has_config {
        line(
            "Settings:",
            "no config.toml yet; showing the defaults (set up with the tray app)",
        );
    }
    line("Sync:", &describe_settings(&sync));
    match &last {
        None => line("Last run:", "none yet"),
        Some(r) => {
            line("Last run:", &describe_run(r));
            if let Some(counts) = r.summary.as_ref().and_then(describe_counts) {
                line("", &counts);
            }
        }
    }
    let mut conflicts = pending.to_string();
    if pending > 0 {
        conflicts.push_str(" waiting for your choice; see `orosync conflicts`");
    }
    if chosen > 0 {
        conflicts.push_str(&format!(
            " ({chosen} already chosen, applied at the next sync)"
        ));
    }
    line("Pending conflicts:", &conflicts);
    if let Some(w) = &exposure {
        line("Warning:", w);
    }
    output::text(&out)
}

fn describe_settings(s: &SyncConfig) -> String {
    match s.mode {
        SyncMode::Automatic => format!(
            "automatic, every {}, {}",
            output::count(u64::from(s.interval_seconds), "second"),
            s.direction
        ),
        SyncMode::Manual => format!("manual, {}", s.direction),
    }
}

/// When the run started and how it ended.
fn describe_run(r: &RunRecord) -> String {
    let started = output::when(&r.started_at);
    let (Some(finished), Some(exit)) = (r.finished_at, r.exit) else {
        return format!("{started}, did not finish (still running, or interrupted)");
    };
    let took = (finished - r.started_at).num_seconds().max(0);
    let summary = history::summary_of(r);
    let fatal = summary
        .as_ref()
        .and_then(|s| s.fatal.as_ref())
        .map(|f| f.message());
    // Held mass deletions (exit 2): the run finished, and waits for a choice.
    let held: Vec<String> = summary
        .as_ref()
        .map(|s| {
            s.guard
                .iter()
                .map(|n| format!("{} {}", n.count, n.kind))
                .collect()
        })
        .unwrap_or_default();
    let result = match (exit, fatal) {
        (2, None) if !held.is_empty() => format!(
            "finished; deleting {} in Outlook waits for `orosync sync --yes` (or --keep)",
            held.join(", ")
        ),
        // The run's own words about what stopped it say the most.
        (1 | 3 | 4, Some(msg)) => format!("stopped: {msg}"),
        (0, _) => "ok".to_string(),
        (1, None) => "finished, but some items failed (the next run retries them)".to_string(),
        (2, _) => "stopped: a setting or confirmation was missing".to_string(),
        (3, None) => "stopped: sign-in refused (run `orosync login`)".to_string(),
        (4, None) => "stopped: a server could not be reached".to_string(),
        (n, _) => format!("ended with exit status {n}"),
    };
    let dry = summary.is_some_and(|s| s.dry_run);
    format!(
        "{started}, {result}{} (took {})",
        if dry { ", dry run" } else { "" },
        output::count(took as u64, "second")
    )
}

/// The run's writes and problems, summed over kinds, from its summary (the
/// `sync --json` object). Read loosely: the summary may come from another
/// version, and status should still show what it can.
fn describe_counts(summary: &Value) -> Option<String> {
    let s = Summary::from_stored(summary)?;
    // A run stopped before any kind started has nothing to count.
    if s.kinds.is_empty() {
        return None;
    }
    let sum = |f: &dyn Fn(&crate::summary::KindSummary) -> usize| -> u64 {
        s.kinds.values().map(|k| f(k) as u64).sum()
    };
    let side = |of: fn(&crate::summary::KindSummary) -> &crate::summary::Counts, label: &str| {
        format!(
            "{label} {} created, {} updated, {} deleted",
            sum(&|k| of(k).created),
            sum(&|k| of(k).updated),
            sum(&|k| of(k).deleted),
        )
    };
    Some(format!(
        "{}; {}; {}, {} failed, {} skipped",
        side(|k| &k.oro, "Oro:"),
        side(|k| &k.outlook, "Outlook:"),
        output::count(sum(&|k| k.conflicts), "conflict"),
        sum(&|k| k.failed),
        sum(&|k| k.skipped),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_are_summed_over_kinds() {
        let s = json!({"kinds": {
            "contacts": {"oro": {"created": 0, "updated": 2, "deleted": 0},
                         "outlook": {"created": 1, "updated": 0, "deleted": 0},
                         "conflicts": 1, "failed": 0, "skipped": 0},
            "tasks": {"oro": {"created": 3, "updated": 0, "deleted": 1},
                      "outlook": {"created": 0, "updated": 0, "deleted": 0},
                      "conflicts": 0, "failed": 2, "skipped": 1}
        }});
        assert_eq!(
            describe_counts(&s).unwrap(),
            "Oro: 3 created, 2 updated, 1 deleted; Outlook: 1 created, 0 updated, 0 deleted; \
             1 conflict, 2 failed, 1 skipped"
        );
    }

    #[test]
    fn a_summary_without_kinds_shows_no_counts() {
        assert_eq!(describe_counts(&json!({})), None);
        assert_eq!(describe_counts(&json!({"kinds": 3})), None);
        assert_eq!(describe_counts(&json!({"kinds": {}})), None);
    }

    fn run(exit: i32, summary: Value) -> RunRecord {
        let t = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        RunRecord {
            id: 1,
            started_at: t,
            finished_at: Some(t + chrono::Duration::seconds(1)),
            exit: Some(exit),
            summary: Some(summary),
        }
    }

    #[test]
    fn a_stopped_run_says_what_stopped_it() {
        let fatal = json!({"kinds": {}, "fatal": {"class": "unavailable",
            "message": "crm.example.com could not be reached"}});
        assert!(describe_run(&run(4, fatal))
            .ends_with(", stopped: crm.example.com could not be reached (took 1 second)"));
        assert!(describe_run(&run(4, json!({})))
            .ends_with(", stopped: a server could not be reached (took 1 second)"));
        assert!(describe_run(&run(0, json!({"dry_run": true})))
            .ends_with(", ok, dry run (took 1 second)"));
    }
}
