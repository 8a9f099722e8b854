//! `orosync sync` as a process against the fake Oro and fake Graph on
//! loopback: the JSON summary, the exit codes from their real causes, and
//! `--dry-run`.

use orosync::model::Kind;
use orosync_testkit::prelude::*;
use orosync_testkit::sample;
use std::path::Path;
use std::process::Command;

mod support;

/// Both fakes (the shared test support), for profiles in temporary folders.
type Servers = support::World;

async fn servers() -> Servers {
    support::World::new().await
}

fn write_config(dir: &Path, s: &Servers, extra: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.toml"), s.config_text(extra)).unwrap();
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn orosync(dir: &Path, s: &Servers, api_key: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orosync"));
    cmd.arg("--profile").arg(dir).args(args);
    cmd.env("OROSYNC_ORO_API_KEY", api_key);
    cmd.env(
        "OROSYNC_OUTLOOK_REFRESH_TOKEN",
        s.graph.issue_refresh_token(),
    );
    // No keyring in these tests: secrets come from the environment only.
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_json_counts_equal_the_writes_the_servers_saw() {
    let s = servers().await;
    for k in Kind::ALL {
        s.oro.user_create(&sample(k, "FromOro"));
        s.graph.user_create_item(&sample(k, "FromOutlook"), None);
    }
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let key = s.oro.options().api_key.clone();
    let r = orosync(dir.path(), &s, &key, &["sync", "--json"]).await;
    assert_eq!(r.code, 0, "stderr: {}\nstdout: {}", r.stderr, r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    assert_eq!(v["ok"], true);
    // No progress line when stderr is not a terminal.
    assert!(!r.stderr.contains("remaining"), "{}", r.stderr);
    let sum = |side: &str, what: &str| -> u64 {
        v["kinds"]
            .as_object()
            .unwrap()
            .values()
            .map(|k| k[side][what].as_u64().unwrap())
            .sum()
    };
    let ow = s.oro.writes();
    let gw = s.graph.writes();
    assert_eq!(sum("oro", "created") as usize, ow.created);
    assert_eq!(sum("oro", "updated") as usize, ow.updated);
    assert_eq!(sum("outlook", "created") as usize, gw.created);
    assert_eq!(sum("outlook", "updated") as usize, gw.updated);
    assert_eq!(sum("outlook", "deleted") as usize, gw.deleted);
    assert_eq!(ow.created, 3, "each Outlook item created in Oro");
    assert_eq!(gw.created, 3, "each Oro record created in Outlook");
    // The run is in the history.
    let st = orosync(dir.path(), &s, &key, &["status", "--json"]).await;
    let st: serde_json::Value = serde_json::from_str(&st.stdout).unwrap();
    assert_eq!(st["last_run"]["exit"], 0);
    // A second run writes nothing.
    let r2 = orosync(dir.path(), &s, &key, &["sync", "--json"]).await;
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert_eq!(s.oro.writes(), ow);
    assert_eq!(s.graph.writes(), gw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_on_either_side() {
    let s = servers().await;
    s.oro.user_create(&sample(Kind::Contacts, "Ann"));
    s.graph.user_create_item(&sample(Kind::Tasks, "Memo"), None);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let key = s.oro.options().api_key.clone();
    let r = orosync(dir.path(), &s, &key, &["sync", "--dry-run", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    assert!(v["plan"].as_array().unwrap().len() >= 2, "{v}");
    assert_eq!(s.oro.writes().total(), 0);
    assert_eq!(s.graph.writes().total(), 0);
    assert!(
        !dir.path().join("state.sqlite3").exists() || {
            let st = orosync::state::State::open(&dir.path().join("state.sqlite3")).unwrap();
            st.runs(10).unwrap().is_empty()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_2_for_a_bad_config_key() {
    let s = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "direction = \"sideways\"");
    let r = orosync(dir.path(), &s, "x", &["sync"]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("sync.direction"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_oro_refuses_the_credentials() {
    let s = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let r = orosync(dir.path(), &s, "not-the-key", &["sync", "--yes"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("login"), "says what to do: {}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_4_when_a_server_cannot_be_reached() {
    let s = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    // Point Oro at a loopback port held closed for the whole test (a port
    // bound and dropped could be taken by anyone before the run connects).
    let closed = orosync_testkit::closed_port::ClosedPort::new();
    let text = std::fs::read_to_string(dir.path().join("config.toml"))
        .unwrap()
        .replace(&s.oro.url(), &closed.url());
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    let key = s.oro.options().api_key.clone();
    let r = orosync(dir.path(), &s, &key, &["sync", "--yes"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_1_when_the_server_rejects_one_item() {
    let s = servers().await;
    s.graph
        .user_create_item(&sample(Kind::Contacts, "Good"), None);
    // A task with a blank subject: Oro answers 400 with a pointer.
    s.graph.user_create_item(
        &orosync_testkit::task(" ", orosync::model::Priority::Low),
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let key = s.oro.options().api_key.clone();
    let r = orosync(dir.path(), &s, &key, &["sync", "--json"]).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stderr, r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["kind"], "tasks");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("subject"),
        "{v}"
    );
    assert_eq!(s.oro.writes().created, 1, "the good contact went through");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_off_a_terminal_needs_yes_only_when_it_would_delete() {
    let s = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let key = s.oro.options().api_key.clone();
    // Nothing linked yet, so nothing to delete: no --yes needed.
    let r = orosync(dir.path(), &s, &key, &["sync", "--resync"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    s.oro.user_create(&sample(Kind::Contacts, "Ann"));
    let r = orosync(dir.path(), &s, &key, &["sync"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(s.graph.writes().created, 1);

    // Now a resync would delete the linked Outlook item: refused off a
    // terminal (the test's stdin is not one), one line naming --yes.
    let before = s.graph.writes();
    let r = orosync(dir.path(), &s, &key, &["sync", "--resync"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert_eq!(s.graph.writes(), before, "nothing deleted");

    let r = orosync(
        dir.path(),
        &s,
        &key,
        &["sync", "--resync", "--yes", "--json"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(s.graph.writes().deleted, 1, "the purge ran");
    assert_eq!(s.graph.all(Kind::Contacts).len(), 1, "and created it again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_of_one_profile_run_one_after_the_other() {
    let s = servers().await;
    for i in 0..5 {
        s.oro
            .user_create(&sample(Kind::Contacts, &format!("Oro{i}")));
        s.graph
            .user_create_item(&sample(Kind::Tasks, &format!("Outlook{i}")), None);
    }
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let key = s.oro.options().api_key.clone();
    // The first run holds the lock while Oro holds its first write (applied,
    // answer held); the second starts only then, and the held write goes
    // only once the second says it waits. No latency to outlast, no race.
    let stall = s.oro.write_stall_handle();
    stall.arm(1, orosync_fakes::stall::StallAt::AfterApply);
    let first = {
        let (d, k) = (dir.path().to_path_buf(), key.clone());
        let rt = s.graph.issue_refresh_token();
        std::thread::spawn(move || command(&d, &k, &rt, &["sync", "--yes"]).output().unwrap())
    };
    let t0 = std::time::Instant::now();
    while !stall.holding() {
        // A guard against a hang, not a condition of passing.
        assert!(
            t0.elapsed().as_secs() < 120,
            "the first sync never reached its first Oro write"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        orosync::lock::ProfileLock::try_acquire(dir.path())
            .unwrap()
            .is_none(),
        "the first sync holds the lock"
    );
    let (said_waiting, waiting) = std::sync::mpsc::channel();
    let second = {
        let (d, k) = (dir.path().to_path_buf(), key.clone());
        let rt = s.graph.issue_refresh_token();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut child = command(&d, &k, &rt, &["sync", "--yes"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stderr = Vec::new();
            for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
                let line = line.unwrap();
                if line.contains("waiting") {
                    let _ = said_waiting.send(());
                }
                stderr.push(line);
            }
            (child.wait().unwrap(), stderr.join("\n"))
        })
    };
    // Released once the second waits (or has ended, which the asserts
    // below then report).
    let _ = waiting.recv();
    stall.release();
    let (a, (b_status, b_err)) =
        tokio::task::spawn_blocking(move || (first.join().unwrap(), second.join().unwrap()))
            .await
            .unwrap();
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(b_status.code(), Some(0), "{b_err}");
    assert!(
        b_err.contains("waiting"),
        "the second says it waits: {b_err}"
    );
    // No record twice on either side.
    assert_eq!(s.oro.all(Kind::Contacts).len(), 5);
    assert_eq!(s.oro.all(Kind::Tasks).len(), 5);
    assert_eq!(s.graph.all(Kind::Contacts).len(), 5);
    assert_eq!(s.graph.all(Kind::Tasks).len(), 5);
}

/// The binary with the secrets in its environment and no keyring.
fn command(dir: &Path, api_key: &str, refresh: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orosync"));
    cmd.arg("--profile").arg(dir).args(args);
    cmd.env("OROSYNC_ORO_API_KEY", api_key);
    cmd.env("OROSYNC_OUTLOOK_REFRESH_TOKEN", refresh);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    cmd
}

/// No secret in the log files, the state database, the config, the
/// backups, or what the command prints, even at -vv.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_state_config_backups_or_output() {
    let s = servers().await;
    let ann = s.oro.user_create(&sample(Kind::Contacts, "Ann"));
    s.graph.user_create_item(&sample(Kind::Tasks, "Memo"), None);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &s, "");
    let key = s.oro.options().api_key.clone();
    let refresh = s.graph.issue_refresh_token();
    let run = |args: &'static [&'static str]| {
        let (d, k, r) = (dir.path().to_path_buf(), key.clone(), refresh.clone());
        tokio::task::spawn_blocking(move || command(&d, &k, &r, args).output().unwrap())
    };
    let mut printed = Vec::new();
    for args in [&["-vv", "sync", "--json"][..], &["-vv", "sync"]] {
        let out = run(args).await.unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.extend(out.stdout);
        printed.extend(out.stderr);
        // An edit on both sides, so the next run overwrites and backs up.
        s.oro.user_edit(Kind::Contacts, &ann, |r| {
            r.attributes
                .insert("jobTitle".into(), serde_json::json!("CFO"));
        });
    }
    // A refused run prints its error too.
    let bad = {
        let (d, r) = (dir.path().to_path_buf(), refresh.clone());
        tokio::task::spawn_blocking(move || {
            command(&d, "wrong-key-for-this-test", &r, &["-vv", "sync"])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(bad.status.code(), Some(3));
    printed.extend(bad.stdout);
    printed.extend(bad.stderr);

    let mut files = vec![];
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    let logs: Vec<_> = files
        .iter()
        .filter(|f| f.starts_with(dir.path().join("logs")))
        .collect();
    assert!(!logs.is_empty(), "a log file: {files:?}");
    let log_text: String = logs
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(
        log_text.contains("sync finished"),
        "the log says what ran: {log_text}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(dir.path().join("backups"))),
        "backups were written: {files:?}"
    );
    for secret in [&key, &refresh, &"wrong-key-for-this-test".to_string()] {
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a secret in {}",
                f.display()
            );
        }
        assert!(
            !String::from_utf8_lossy(&printed).contains(secret.as_str()),
            "a secret in the output"
        );
    }
}
