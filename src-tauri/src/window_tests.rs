//! The settings window in its own process: the dispatcher answers as the
//! in-process window's IPC does, and the host runs a window process's
//! calls, forwards events, brings it to the front, closes it, and notices
//! it gone. The window processes here are small scripts speaking the
//! protocol, so the tray's side is tested without a display; the real
//! window process is driven through WebDriver in `tests/e2e.rs`.

use super::*;
use crate::dispatch::COMMANDS;
use crate::window::host::WindowHost;
use crate::window::protocol::{ToWindow, WindowSpec};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn dispatch(h: &AppHandle<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    tauri::async_runtime::block_on(crate::dispatch::dispatch(h, cmd, &args))
}

/// A stand-in window process: `body` runs with `$OUT` set to a file in
/// `dir`; it is started as `script --window SPEC`, as the tray starts the
/// real one.
fn window_script(dir: &Path, body: &str) -> (PathBuf, PathBuf) {
    let out = dir.join("window.out");
    let script = dir.join("window.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nOUT='{}'\nprintf '%s\\n' \"$@\" > \"$OUT.args\"\n{body}\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, out)
}

/// Wait for `ok` (a minute at most, so that only a hang fails).
fn wait_for(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The lines the script wrote, once there are `n`, as messages.
fn messages(out: &Path, n: usize) -> Vec<ToWindow> {
    let read = || std::fs::read_to_string(out).unwrap_or_default();
    wait_for(&format!("{n} line(s) in {}", out.display()), || {
        read().lines().count() >= n
    });
    read()
        .lines()
        .map(|l| ToWindow::parse(l).unwrap())
        .collect()
}

#[test]
fn every_command_of_the_window_reaches_the_dispatcher() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let not_found = |cmd: &str| Value::String(format!("command {cmd} not found"));
    // Each with no arguments: those that need some refuse, naming the
    // argument; none is unknown. (copy_diagnostics needs the clipboard
    // plugin, which the mock app has not; the first-run WebDriver test
    // copies through a window process.)
    for cmd in COMMANDS.iter().filter(|c| **c != "copy_diagnostics") {
        let r = dispatch(h, cmd, json!({}));
        assert_ne!(r, Err(not_found(cmd)), "{cmd} is not dispatched");
    }
    assert_eq!(
        dispatch(h, "delete_everything", json!({})),
        Err(not_found("delete_everything"))
    );
    let e = dispatch(h, "set_autostart", json!({})).unwrap_err();
    assert!(
        e.as_str().unwrap().contains("`enabled`"),
        "a missing argument is named: {e}"
    );
}

#[test]
fn a_window_process_gets_the_same_answers_as_the_in_process_window() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Automatic, 120);
    let (app, w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let mut bad = invoke(&w, "get_settings", json!({})).unwrap()["settings"].clone();
    bad["interval_seconds"] = json!("5");
    let calls = [
        ("get_settings", json!({})),
        ("get_status", json!({})),
        ("get_history", json!({"limit": 5})),
        ("get_conflicts", json!({})),
        ("about", json!({})),
        ("setup_view", json!({})),
        ("get_autostart", json!({})),
        ("save_settings", json!({ "settings": bad })),
        ("resolve_conflict", json!({"id": "1", "keep": "neither"})),
        ("resolve_conflict", json!({"id": "x", "keep": "oro"})),
    ];
    for (cmd, args) in calls {
        let here = invoke(&w, cmd, args.clone());
        let there = dispatch(h, cmd, args.clone());
        assert_eq!(there, here, "{cmd} {args}");
    }
    // The refused save did not save.
    let saved = Config::load(&dir.path().join("config.toml")).unwrap();
    assert_eq!(saved.sync.interval_seconds, 120);
}

#[test]
fn the_host_runs_a_window_processs_calls_and_sends_it_events() {
    let dir = tempfile::tempdir().unwrap();
    // No config.toml: the window is the first-run setup.
    let profile = dir.path().join("profile");
    std::fs::create_dir(&profile).unwrap();
    let app = app_without_window(&profile, Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let (script, out) = window_script(
        dir.path(),
        r#"printf '%s\n' "${CARGO_PKG_NAME-unset}" > "$OUT.env"
echo "a library's noise on stdout"
echo 'orosync-window {"call":{"id":1,"cmd":"get_status","args":{}}}'
echo 'orosync-window {"call":{"id":2,"cmd":"resolve_conflict","args":{"id":"x","keep":"neither"}}}'
i=0
while [ $i -lt 3 ] && read -r line; do echo "$line" >> "$OUT"; i=$((i+1)); done"#,
    );
    // What the tray set for itself only (GDK_GL) is not the window's; this
    // one is set for the test by cargo.
    assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
    h.manage(WindowHost::new(script).unsetting(vec!["CARGO_PKG_NAME"]));
    // A setup in progress goes when its window does, as on closing the
    // in-process window.
    let session = h.state::<crate::first_run::SetupSession>();
    session.with(|_| ()).unwrap();
    assert!(session.active());

    window::open(h, Some("history")).unwrap();
    let args = || std::fs::read_to_string(out.with_extension("out.args")).unwrap_or_default();
    wait_for("the window's arguments", || args().lines().count() == 2);
    let args = args();
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines[0], "--window");
    let spec: WindowSpec = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(
        spec,
        WindowSpec {
            page: "setup.html".into(),
            title: window::SETUP_TITLE.into(),
            zoom: None,
        }
    );
    // Both answers (in either order) came back before the event is sent,
    // so the event is the last line.
    messages(&out, 2);
    // Written before its calls were sent.
    let env = std::fs::read_to_string(out.with_extension("out.env")).unwrap();
    assert_eq!(env, "unset\n", "the window's environment");
    window::emit(h, "status", json!({"line": "Synced 2 minutes ago"}));
    let got = messages(&out, 3);
    let status = h.state::<Tray>().status();
    let mut replies: Vec<&ToWindow> = got[..2].iter().collect();
    replies.sort_by_key(|m| match m {
        ToWindow::Reply { id, .. } => *id,
        _ => u64::MAX,
    });
    assert_eq!(
        replies,
        [
            &ToWindow::Reply {
                id: 1,
                result: Ok(serde_json::to_value(status).unwrap()),
            },
            &ToWindow::Reply {
                id: 2,
                result: Err(json!("keep: \"neither\" is not oro or outlook")),
            },
        ]
    );
    assert_eq!(
        got[2],
        ToWindow::Event {
            name: "status".into(),
            payload: json!({"line": "Synced 2 minutes ago"}),
        }
    );
    // The script ends: the host notices, and the draft is gone.
    wait_for("the host to see the window go", || {
        !h.state::<WindowHost>().is_open() && !session.active()
    });
}

/// No secret of the tray's environment reaches the window's process (nor
/// WebKit's under it): the script writes what it was given.
///
/// The secret must be in this process's environment from its start:
/// setting it here would race with the tests running beside it (which
/// read the environment, and whose children inherit it). So the test runs
/// itself again as a child process of the test binary, with the secret in
/// that child's environment, and the check is made there.
#[test]
fn the_window_process_gets_no_secret_of_the_environment() {
    const SECRET: &str = "window-test-secret-9d2c41";
    const TEST: &str = "tests::window_tests::the_window_process_gets_no_secret_of_the_environment";
    if std::env::var("OROSYNC_ORO_CLIENT_SECRET").as_deref() != Ok(SECRET) {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([TEST, "--exact", "--test-threads=1", "--nocapture"])
            .env("OROSYNC_ORO_CLIENT_SECRET", SECRET)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&child.stdout);
        assert!(
            child.status.success(),
            "{out}{}",
            String::from_utf8_lossy(&child.stderr)
        );
        // The child ran this very test, not an empty filter.
        assert!(out.contains("1 passed"), "{out}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let app = app_without_window(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let (script, out) = window_script(
        dir.path(),
        r#"env > "$OUT.env.tmp"; mv "$OUT.env.tmp" "$OUT.env""#,
    );
    h.manage(WindowHost::new(script));
    window::open(h, None).unwrap();
    let path = out.with_extension("out.env");
    wait_for("the window's environment", || path.exists());
    let env = std::fs::read_to_string(&path).unwrap();
    assert!(env.contains("PATH="), "{env}");
    assert!(!env.contains("OROSYNC_ORO_CLIENT_SECRET"), "{env}");
    assert!(!env.contains(SECRET), "{env}");
}

#[test]
fn a_second_open_brings_the_window_forward_and_close_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let app = app_without_window(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let (script, out) = window_script(
        dir.path(),
        r#"while read -r line; do
  echo "$line" >> "$OUT"
  [ "$line" = '"close"' ] && exit 0
done"#,
    );
    h.manage(WindowHost::new(script));
    window::open(h, None).unwrap();
    let first = h.state::<WindowHost>().pid();
    assert!(first.is_some());
    window::open(h, Some("about")).unwrap();
    assert_eq!(h.state::<WindowHost>().pid(), first, "one process, not two");
    window::set_title(h, window::SETTINGS_TITLE);
    window::close(h);
    assert_eq!(
        messages(&out, 3),
        [
            ToWindow::Show {
                tab: Some("about".into())
            },
            ToWindow::Title {
                title: window::SETTINGS_TITLE.into()
            },
            ToWindow::Close,
        ]
    );
    wait_for("the window process to end", || {
        !h.state::<WindowHost>().is_open()
    });
}

#[test]
fn quitting_ends_a_window_process_that_does_not_close() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let app = app_without_window(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    // Reads nothing and never ends by itself.
    let (script, _out) = window_script(dir.path(), "exec sleep 600");
    h.manage(WindowHost::new(script));
    window::open(h, None).unwrap();
    let pid = h.state::<WindowHost>().pid().unwrap();
    // Quit returns (the process's 600 s are not waited for), however slow
    // the machine: the deadline is only there so a hang fails the test.
    let (done, quit) = std::sync::mpsc::channel();
    let h2 = h.clone();
    std::thread::spawn(move || {
        tray::before_exit(&h2);
        let _ = done.send(());
    });
    quit.recv_timeout(Duration::from_secs(120))
        .expect("Quit ended the window process instead of waiting for it");
    assert!(!h.state::<WindowHost>().is_open());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the window process {pid} was ended and reaped"
    );
}

#[test]
fn a_window_process_that_cannot_start_leaves_the_window_in_the_trays_process() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let app = app_without_window(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    // As after an upgrade replaced the program: "/usr/bin/orosync-tray (deleted)".
    h.manage(WindowHost::new(dir.path().join("orosync-tray (deleted)")));
    window::open(h, Some("history")).unwrap();
    assert!(h.get_webview_window(tray::SETTINGS_LABEL).is_some());
    assert!(!h.state::<WindowHost>().is_open());
    // Asked again: the same window, brought forward, not a second one.
    window::open(h, None).unwrap();
    assert_eq!(h.webview_windows().len(), 1);
}
