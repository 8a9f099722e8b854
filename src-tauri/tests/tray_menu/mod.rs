//! The real tray icon under Xvfb, docked in `trayer` (an XEmbed tray),
//! and its menu driven with xdotool: what tests/tray.rs and the first-run
//! test share. Needs trayer and xdotool (scripts/e2e.sh).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Kill(pub Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .expect("xdotool");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
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
pub fn pick(icon: &str, app: u32, keys: &[&str]) {
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

/// A tray for the icons to dock in, until dropped.
pub fn trayer() -> Kill {
    Kill(
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
    )
}

/// The docked icon's window, once it is there.
pub fn icon() -> String {
    wait_for("the docked tray icon", 60, || {
        let ids = xdotool(&["search", "--classname", "tray-icon tray app main-tray"]);
        ids.lines().next().map(str::to_string)
    })
}
