//! The real tray icon, docked in `trayer` (an XEmbed tray) under Xvfb:
//! right-click it, pick "Sync now", see the run in the profile's history;
//! then pick "Quit" and see the app end. Run with `OROSYNC_TEST_TRAY=1`
//! from scripts/e2e.sh.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .expect("xdotool");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

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

/// How many windows of process `pid` are on screen (the docked icon's,
/// and the menu's while it is open).
fn visible_windows(pid: u32) -> usize {
    xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()])
        .lines()
        .count()
}

/// Open the icon's menu and press `keys` in it, once the menu is on
/// screen. Keys pressed before the menu took the keyboard are lost, and
/// the menu stays open with nothing picked: then it is closed and opened
/// again. (A picked item closes the menu.)
fn pick(icon: &str, app: u32, keys: &[&str]) {
    for _ in 0..5 {
        let before = visible_windows(app);
        xdotool(&["mousemove", "--window", icon, "8", "8", "click", "3"]);
        wait_for("the menu to open", 30, || {
            (visible_windows(app) > before).then_some(())
        });
        for k in keys {
            xdotool(&["key", k]);
        }
        let closed = Instant::now() + Duration::from_secs(30);
        while Instant::now() < closed {
            if visible_windows(app) <= before {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        xdotool(&["key", "Escape"]);
        wait_for("the menu to close", 30, || {
            (visible_windows(app) <= before).then_some(())
        });
    }
    panic!("the menu never took the keys {keys:?}");
}

#[test]
fn right_click_sync_now_then_quit() {
    if std::env::var_os("OROSYNC_TEST_TRAY").is_none() {
        eprintln!("skipped: set OROSYNC_TEST_TRAY=1 and run scripts/e2e.sh");
        return;
    }
    let _trayer = Kill(
        Command::new("trayer")
            .args([
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
            ])
            .args([
                "--height",
                "24",
                "--SetDockType",
                "true",
                "--transparent",
                "false",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("trayer"),
    );
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
    let icon = wait_for("the docked tray icon", 60, || {
        let ids = xdotool(&["search", "--classname", "tray-icon tray app main-tray"]);
        ids.lines().next().map(str::to_string)
    });
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
