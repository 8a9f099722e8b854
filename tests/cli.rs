//! The `orosync` binary run as a process against a temporary `--profile`,
//! checked through its documented interface (docs/cli.md): exit status,
//! stdout (text and JSON) and the one line on stderr.

use chrono::{DateTime, TimeZone, Utc};
use orosync::model::{Contact, Item, Kind, OroRecord, OutlookItem, Side};
use orosync::profile::Profile;
use orosync::state::State;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

/// A profile folder that lives as long as the test.
struct Env {
    _tmp: tempfile::TempDir,
    profile: Profile,
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let profile = Profile::open(tmp.path().join("profile")).unwrap();
        Env { _tmp: tmp, profile }
    }

    fn dir(&self) -> &Path {
        &self.profile.dir
    }

    fn state(&self) -> State {
        State::open(&self.profile.state_path()).unwrap()
    }

    fn write_config(&self, text: &str) {
        std::fs::write(self.profile.config_path(), text).unwrap();
    }

    /// Runs `orosync --profile <dir> <args>`.
    fn run(&self, args: &[&str]) -> Output {
        orosync(self.dir(), args)
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn json(&self, args: &[&str]) -> Value {
        let stdout = self.ok(args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{stdout}"))
    }
}

fn orosync(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orosync"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts the documented failure shape: `code`, nothing on stdout, and
/// exactly one line on stderr, which is returned.
fn failure(out: &Output, code: i32) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(text(&out.stdout), "");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.starts_with("orosync: "), "{stderr}");
    stderr
}

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap()
}

fn contact(first: &str, job: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(first.into()),
        job_title: Some(job.into()),
        ..Default::default()
    })
}

/// A linked contact pair (a pending conflict needs its link) with a
/// pending conflict over its job title; returns the conflict's id.
fn add_conflict(state: &mut State, oro_id: &str, outlook_id: &str) -> i64 {
    let oro = OroRecord {
        id: oro_id.into(),
        created_at: t(0),
        updated_at: t(1),
        recurring: false,
        item: contact("Ann", "CFO"),
    };
    let outlook = OutlookItem {
        id: outlook_id.into(),
        created_at: t(0),
        modified_at: t(2),
        link: Some(oro_id.into()),
        recurring: false,
        item: contact("Ann", "Chief Financial Officer"),
    };
    state.put_link(Kind::Contacts, &oro, &outlook).unwrap();
    state
        .add_pending(
            Kind::Contacts,
            oro_id,
            outlook_id,
            t(10),
            &json!({"jobTitle": "CFO"}),
            &json!({"jobTitle": "Chief Financial Officer"}),
        )
        .unwrap();
    state
        .pending(None)
        .unwrap()
        .into_iter()
        .find(|p| p.oro_id == oro_id)
        .unwrap()
        .id
}

const VALID_CONFIG: &str = r#"
[oro]
url = "https://crm.example.com"
username = "jane"

[outlook]
client_id = "11111111-2222-3333-4444-555555555555"

[sync]
mode = "manual"
interval_seconds = 300
direction = "oro-to-outlook"
"#;

// ------------------------------------------------------------ status

#[test]
fn status_of_an_empty_profile_as_json() {
    let env = Env::new();
    let v = env.json(&["status", "--json"]);
    let profile = env.dir().display().to_string();
    assert_eq!(
        v,
        json!({
            "profile": profile,
            "mode": "automatic",
            "interval_seconds": 120,
            "direction": "bidirectional",
            "last_run": null,
            "pending_conflicts": 0,
            "next_run_at": null
        })
    );
    // Looking does not create the state database.
    assert!(!env.profile.state_path().exists());
}

#[test]
fn status_of_an_empty_profile_as_text() {
    let env = Env::new();
    let out = env.ok(&["status"]);
    assert!(out.contains(&env.dir().display().to_string()), "{out}");
    assert!(out.contains("Last run:          none yet"), "{out}");
    assert!(out.contains("Pending conflicts: 0"), "{out}");
    assert!(
        out.contains("automatic, every 120 seconds, bidirectional"),
        "{out}"
    );
    assert!(out.contains("no config.toml yet"), "{out}");
}

#[test]
fn status_of_a_profile_folder_that_does_not_exist_yet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nowhere");
    let out = orosync(&dir, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["last_run"], Value::Null);
    assert!(!dir.exists(), "status must not create the profile");
}

#[test]
fn status_reads_the_settings_from_the_config() {
    let env = Env::new();
    env.write_config(VALID_CONFIG);
    let v = env.json(&["status", "--json"]);
    assert_eq!(v["mode"], "manual");
    assert_eq!(v["interval_seconds"], 300);
    assert_eq!(v["direction"], "oro-to-outlook");
    assert_eq!(v["next_run_at"], Value::Null);
    let out = env.ok(&["status"]);
    assert!(out.contains("manual, oro-to-outlook"), "{out}");
    assert!(!out.contains("no config.toml"), "{out}");
}

#[test]
fn status_shows_the_next_run_a_running_tray_published() {
    let env = Env::new();
    env.write_config(VALID_CONFIG);
    // This test process stands in for the running tray.
    orosync::tray_status::write(
        env.dir(),
        &orosync::tray_status::TrayStatus {
            pid: std::process::id(),
            next_run_at: Some(t(120)),
        },
    )
    .unwrap();
    let v = env.json(&["status", "--json"]);
    assert_eq!(v["next_run_at"], "2026-09-21T14:15:20Z");
    orosync::tray_status::remove(env.dir());
    assert_eq!(env.json(&["status", "--json"])["next_run_at"], Value::Null);
}

#[test]
fn status_shows_the_last_run() {
    let env = Env::new();
    let summary = json!({
        "ok": true, "dry_run": false, "direction": "bidirectional",
        "kinds": {"contacts": {
            "first_sync": false,
            "oro": {"created": 0, "updated": 2, "deleted": 0},
            "outlook": {"created": 1, "updated": 0, "deleted": 0},
            "conflicts": 1, "failed": 0, "skipped": 0
        }},
        "conflicts": [], "skipped": [], "errors": []
    });
    {
        let mut s = env.state();
        let old = s.start_run(t(0)).unwrap();
        s.finish_run(old, t(1), 1, &json!({"ok": false})).unwrap();
        let id = s.start_run(t(100)).unwrap();
        s.finish_run(id, t(103), 0, &summary).unwrap();
    }
    let v = env.json(&["status", "--json"]);
    assert_eq!(
        v["last_run"],
        json!({
            "started_at": "2026-09-21T14:15:00Z",
            "finished_at": "2026-09-21T14:15:03Z",
            "exit": 0,
            "summary": summary
        })
    );
    assert_eq!(v["pending_conflicts"], 0);

    let out = env.ok(&["status"]);
    assert!(out.contains(", ok (took 3 seconds)"), "{out}");
    assert!(
        out.contains("Oro: 0 created, 2 updated, 0 deleted; Outlook: 1 created, 0 updated, 0 deleted; 1 conflict, 0 failed, 0 skipped"),
        "{out}"
    );
}

#[test]
fn status_shows_a_run_that_did_not_finish() {
    let env = Env::new();
    env.state().start_run(t(0)).unwrap();
    let v = env.json(&["status", "--json"]);
    assert_eq!(
        v["last_run"],
        json!({"started_at": "2026-09-21T14:13:20Z", "finished_at": null, "exit": null, "summary": null})
    );
    assert!(env.ok(&["status"]).contains("did not finish"));
}

#[test]
fn status_counts_the_conflicts_waiting_for_a_choice() {
    let env = Env::new();
    {
        let mut s = env.state();
        add_conflict(&mut s, "61", "AAMk-1");
        let chosen = add_conflict(&mut s, "62", "AAMk-2");
        assert!(s.resolve(chosen, Side::Oro).unwrap());
    }
    let v = env.json(&["status", "--json"]);
    assert_eq!(v["pending_conflicts"], 1);
    let out = env.ok(&["status"]);
    assert!(
        out.contains("Pending conflicts: 1 waiting for your choice; see `orosync conflicts` (1 already chosen, applied at the next sync)"),
        "{out}"
    );
}

// ------------------------------------------------------------ conflicts

#[test]
fn conflicts_of_an_empty_profile() {
    let env = Env::new();
    assert_eq!(env.json(&["conflicts", "--json"]), json!({"conflicts": []}));
    assert_eq!(env.ok(&["conflicts"]), "No pending conflicts.\n");
}

#[test]
fn conflicts_lists_the_pending_pairs_with_both_versions() {
    let env = Env::new();
    let id = add_conflict(&mut env.state(), "61", "AAMk-1");
    let v = env.json(&["conflicts", "--json"]);
    assert_eq!(
        v,
        json!({"conflicts": [{
            "id": id.to_string(),
            "kind": "contacts",
            "oro_id": "61",
            "outlook_id": "AAMk-1",
            "detected_at": "2026-09-21T14:13:30Z",
            "oro": {"jobTitle": "CFO"},
            "outlook": {"jobTitle": "Chief Financial Officer"},
            "resolution": null
        }]})
    );

    let out = env.ok(&["conflicts"]);
    assert!(
        out.contains(&format!(
            "Conflict {id} (contacts): Oro 61 / Outlook AAMk-1"
        )),
        "{out}"
    );
    assert!(out.contains("waiting for your choice"), "{out}");
    assert!(out.contains("field     Oro  Outlook"), "{out}");
    assert!(
        out.contains("jobTitle  CFO  Chief Financial Officer"),
        "{out}"
    );
}

// ------------------------------------------------------------ resolve

#[test]
fn resolve_records_the_choice() {
    let env = Env::new();
    let first = add_conflict(&mut env.state(), "61", "AAMk-1");
    let second = add_conflict(&mut env.state(), "62", "AAMk-2");

    let out = env.ok(&["resolve", &second.to_string(), "--keep", "outlook"]);
    assert!(out.contains("keeping Outlook's version"), "{out}");
    assert!(out.contains("applied at the next sync"), "{out}");

    let rows = env.state().pending(None).unwrap();
    let of = |id: i64| rows.iter().find(|r| r.id == id).unwrap().resolution;
    assert_eq!(of(first), None);
    assert_eq!(of(second), Some(Side::Outlook));

    // A second choice replaces the first.
    env.ok(&["resolve", &second.to_string(), "--keep", "oro"]);
    let rows = env.state().pending(None).unwrap();
    assert_eq!(
        rows.iter().find(|r| r.id == second).unwrap().resolution,
        Some(Side::Oro)
    );

    let v = env.json(&["conflicts", "--json"]);
    assert_eq!(v["conflicts"][1]["resolution"], "oro");
}

#[test]
fn resolve_of_an_unknown_id_exits_2() {
    let env = Env::new();
    // Before any state exists, with state but no such id, and not a number.
    let line = failure(&env.run(&["resolve", "7", "--keep", "oro"]), 2);
    assert!(line.contains("no pending conflict with id \"7\""), "{line}");
    assert!(line.contains("orosync conflicts"), "{line}");

    let id = add_conflict(&mut env.state(), "61", "AAMk-1");
    failure(
        &env.run(&["resolve", &(id + 1).to_string(), "--keep", "oro"]),
        2,
    );
    failure(&env.run(&["resolve", "abc", "--keep", "outlook"]), 2);
    assert_eq!(env.state().pending(None).unwrap()[0].resolution, None);
}

#[test]
fn resolve_needs_a_side() {
    let env = Env::new();
    let line = failure(&env.run(&["resolve", "7", "--keep", "both"]), 2);
    assert!(line.contains("oro, outlook"), "{line}");
    let line = failure(&env.run(&["resolve", "7"]), 2);
    assert!(line.contains("--keep"), "{line}");
}

// ------------------------------------------------------------ errors

#[test]
fn a_bad_value_in_the_config_exits_2_naming_the_key() {
    let env = Env::new();
    env.write_config(&VALID_CONFIG.replace("oro-to-outlook", "sideways"));
    let line = failure(&env.run(&["status"]), 2);
    assert!(line.contains("sync.direction"), "{line}");
    assert!(line.contains("sideways"), "{line}");
    assert!(
        line.contains(&env.profile.config_path().display().to_string()),
        "{line}"
    );
    // The same for scripts.
    failure(&env.run(&["status", "--json"]), 2);
}

#[test]
fn an_unknown_key_in_the_config_exits_2_naming_it() {
    let env = Env::new();
    env.write_config(&format!("{VALID_CONFIG}colour = \"blue\"\n"));
    let line = failure(&env.run(&["status", "--json"]), 2);
    assert!(line.contains("sync.colour"), "{line}");
    assert!(line.contains("unknown key"), "{line}");
}

#[test]
fn a_state_database_from_a_newer_version_exits_2() {
    let env = Env::new();
    {
        let conn = rusqlite::Connection::open(env.profile.state_path()).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["conflicts", "--json"],
        &["resolve", "1", "--keep", "oro"],
    ] {
        let line = failure(&env.run(args), 2);
        assert!(line.contains("newer version"), "{args:?}: {line}");
    }
}

#[test]
fn commands_that_need_a_config_exit_2_with_one_line() {
    let env = Env::new();
    for args in [
        &["sync"][..],
        &[
            "sync",
            "--direction",
            "outlook-to-oro",
            "--kinds",
            "contacts,events",
            "--resync",
            "--yes",
            "--dry-run",
            "--json",
        ],
        &["login", "oro"],
        &["login", "outlook"],
    ] {
        let line = failure(&env.run(args), 2);
        assert!(line.contains("no configuration at"), "{args:?}: {line}");
        assert!(line.contains("config.toml"), "{args:?}: {line}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    for args in [
        &["sync", "--direction", "sideways"][..],
        &["sync", "--kinds", "contacts,notes"],
        &["login", "gmail"],
        &["frobnicate"],
    ] {
        let line = failure(&env.run(args), 2);
        assert!(line.contains("orosync --help"), "{args:?}: {line}");
    }
    let line = failure(&env.run(&["sync", "--kinds", "contacts,notes"]), 2);
    assert!(line.contains("contacts, tasks, events"), "{line}");
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["sync", "--help"], &["--version"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_orosync"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn verbosity_goes_to_stderr_and_is_accepted_anywhere() {
    let env = Env::new();
    let quiet = env.run(&["status"]);
    assert_eq!(text(&quiet.stderr), "", "nothing on stderr by default");
    env.ok(&["-v", "status"]);
    let out = env.run(&["status", "-vv", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("config.toml"),
        "-vv says what it reads: {stderr}"
    );
    // stdout stays the JSON object alone.
    serde_json::from_slice::<Value>(&out.stdout).unwrap();
}

#[test]
fn sync_without_a_config_exits_2_naming_the_file() {
    let env = Env::new();
    let line = failure(
        &env.run(&[
            "sync",
            "--direction",
            "outlook-to-oro",
            "--kinds",
            "contacts,events",
            "--json",
        ]),
        2,
    );
    assert!(line.contains("config.toml"), "{line}");
    assert!(line.contains("no configuration"), "{line}");
}
