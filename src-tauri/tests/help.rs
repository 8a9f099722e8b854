//! `orosync-tray --help` prints the usage and exits 0, before anything
//! of the app starts (no display needed); an unknown option points there.

use std::process::Command;

#[test]
fn help_prints_the_usage_and_exits_0() {
    for flag in ["--help", "-h"] {
        let out = Command::new(env!("CARGO_BIN_EXE_orosync-tray"))
            .arg(flag)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text, format!("{}\n", orosync_tray::USAGE), "{flag}");
        assert!(text.starts_with("usage: orosync-tray [--profile DIR]"));
        for option in [
            "--profile DIR",
            "--demo",
            "--settings [TAB]",
            "--zoom FACTOR",
        ] {
            assert!(text.contains(option), "{option} in {text}");
        }
    }
}

#[test]
fn an_unknown_option_points_to_help_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_orosync-tray"))
        .arg("--nope")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("\"--nope\"") && err.contains("--help"),
        "{err}"
    );
}
