//! Private files (docs/reliability.md "Private files"): everything a sync
//! creates in the profile (the state database and its -wal and -shm, the
//! log, the run lock, backups, their folders) and what the tray writes
//! there for `orosync status` is the user's alone: files 0600, folders
//! 0700, whatever the umask. The test runs with umask 000, so a file
//! created without an explicit mode would be world-writable.
#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::{run_command, World};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        out.push(p.clone());
        if p.is_dir() {
            walk(&p, out);
        }
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every path under `dir` but `config.toml` (written by this test):
/// files 0600, folders 0700.
fn assert_private(dir: &Path, what: &str) -> Vec<String> {
    let mut all = vec![];
    walk(dir, &mut all);
    let mut seen = vec![];
    for p in all {
        let rel = p.strip_prefix(dir).unwrap().display().to_string();
        if rel == "config.toml" {
            continue;
        }
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{what}: {rel} is {:o}", mode(&p));
        seen.push(rel);
    }
    seen.sort();
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_a_sync_creates_in_the_profile_is_private_whatever_the_umask() {
    // The only test of this binary: the process-wide umask harms no other.
    unsafe { libc::umask(0) };
    let w = World::new().await;
    w.seed_first();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    w.edit_after_first();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    let seen = assert_private(w.profile(), "after two syncs");
    for want in ["state.sqlite3", "sync.lock", "logs", "backups"] {
        assert!(seen.iter().any(|s| s == want), "{want} missing: {seen:?}");
    }
    assert!(
        seen.iter().any(|s| s.starts_with("logs/orosync.")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.starts_with("backups/") && s.ends_with(".json")),
        "the second sync backed up what it changed: {seen:?}"
    );

    // The database's -wal and -shm exist while it is open.
    let state = orosync::state::State::open(&w.profile().join("state.sqlite3")).unwrap();
    state.links(orosync::model::Kind::Contacts).unwrap();
    let seen = assert_private(w.profile(), "with the state open");
    for want in ["state.sqlite3-wal", "state.sqlite3-shm"] {
        assert!(seen.iter().any(|s| s == want), "{want} missing: {seen:?}");
    }
    drop(state);

    // The settings as the tray's window saves them (over the test's own
    // world-readable file: narrowed).
    let config = w.profile().join("config.toml");
    orosync::config::Config::load(&config)
        .unwrap()
        .save(&config)
        .unwrap();
    assert_eq!(mode(&config), 0o600, "config.toml as saved");

    // What a running tray publishes for `orosync status`.
    orosync::tray_status::write(
        w.profile(),
        &orosync::tray_status::TrayStatus {
            pid: std::process::id(),
            next_run_at: None,
        },
    )
    .unwrap();
    let seen = assert_private(w.profile(), "with the tray's status");
    assert!(seen.iter().any(|s| s == "tray.json"), "{seen:?}");

    // A profile folder others can read is reported by `orosync status`
    // (this one was made by the test under umask 000).
    std::fs::set_permissions(w.profile(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let r = run_command(w.command(&["status"])).await;
    assert!(
        !r.stderr.contains("can be read by other users"),
        "{}",
        r.stderr
    );
    std::fs::set_permissions(w.profile(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = run_command(w.command(&["status"])).await;
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("can be read by other users"),
        "{}{}",
        r.stdout,
        r.stderr
    );

    // The demo's throw-away profile is private too.
    let scratch = tempfile::tempdir().unwrap();
    let demo_dir = scratch.path().join("demo-profile");
    let demo = orosync::demo::Demo::start_in(&demo_dir).await.unwrap();
    assert_eq!(mode(&demo_dir), 0o700, "the demo's profile folder");
    assert_eq!(
        mode(&demo_dir.join("config.toml")),
        0o600,
        "the demo's config.toml"
    );
    drop(demo);
}
