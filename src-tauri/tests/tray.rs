//! The real tray icon, docked in `trayer` (an XEmbed tray) under Xvfb:
//! right-click it, pick "Sync now", see the run in the profile's history;
//! then pick "Quit" and see the app end. Run with `OROSYNC_TEST_TRAY=1`
//! from scripts/e2e.sh.

mod tray_menu;

use std::path::Path;
use std::process::{Command, Stdio};
use tray_menu::{icon, pick, trayer, wait_for, Kill};

fn runs(profile: &Path) -> usize {
    let path = profile.join("state.sqlite3");
    if !path.exists() {
        return 0;
    }
    orosync::state::State::open(&path)
        .and_then(|s| s.runs(100))
        .map(|r| r.iter().filter(|r| r.exit.is_some()).count())
        .unwrap_or(0)
}

#[test]
fn right_click_sync_now_then_quit() {
    if std::env::var_os("OROSYNC_TEST_TRAY").is_none() {
        eprintln!("skipped: set OROSYNC_TEST_TRAY=1 and run scripts/e2e.sh");
        return;
    }
    let _trayer = trayer();
    let profile = tempfile::tempdir().unwrap();
    let mut app = Kill(
        Command::new(env!("CARGO_BIN_EXE_orosync-tray"))
            .args(["--demo-fresh", "--profile"])
            .arg(profile.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the app"),
    );
    let icon = icon();
    let pid = app.0.id();
    // The first item is "Sync now".
    pick(&icon, pid, &["Down", "Return"]);
    wait_for("a finished run in the history", 60, || {
        (runs(profile.path()) == 1).then_some(())
    });
    // Up from the top wraps to the last item: "Quit".
    pick(&icon, pid, &["Up", "Return"]);
    let status = wait_for("the app to quit", 60, || app.0.try_wait().ok().flatten());
    assert!(status.success(), "{status:?}");
    assert!(
        !profile.path().join("tray.json").exists(),
        "no next run is claimed after Quit"
    );
}
