//! `orosync diagnostics` as a process: the report names where things are
//! and carries no secret, whether it came from the environment or was
//! written into a log line.

use orosync::config::Config;
use std::process::Command;

#[test]
fn diagnostics_print_a_report_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    Config::new("https://crm.example.com", "jane", "app-id")
        .save(&dir.path().join("config.toml"))
        .unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(
        dir.path().join("logs").join("orosync.2026-11-25.log"),
        "2026-11-25T10:00:01Z ERROR orosync: Oro refused env-key-71c3 (wsse)\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_orosync"))
        .args(["--profile", dir.path().to_str().unwrap(), "diagnostics"])
        .env("OROSYNC_ORO_API_KEY", "env-key-71c3")
        .env("OROSYNC_OUTLOOK_REFRESH_TOKEN", "env-refresh-9d0e")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("env-key-71c3") && !text.contains("env-refresh-9d0e"),
        "{text}"
    );
    assert!(text.contains("oro_api_key: from the environment"), "{text}");
    assert!(
        text.contains("ERROR orosync: Oro refused <redacted> (wsse)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("profile: {}", dir.path().display())),
        "{text}"
    );
    assert!(text.contains("url = \"https://crm.example.com\""), "{text}");
}
