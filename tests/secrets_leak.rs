//! Secrets (issue 7, docs/cli.md, "Secrets"): a full sync, twice, with
//! known secrets in the environment and the most verbose logging, then
//! every file in the profile (logs, the SQLite database and its WAL,
//! config, backups), stdout and stderr are searched for them: none may
//! appear, whole or as their base64.

mod support;

use base64::Engine as _;
use orosync_fakes::graph::FakeOptions;
use orosync_fakes::oro::FakeOroOptions;
use support::{run_command, World};

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn needles(secret: &str) -> Vec<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        secret.as_bytes().to_vec(),
        b64.encode(secret).into_bytes(),
        // A long secret's middle also counts (a truncated log line).
        secret.as_bytes()[4..secret.len() - 4].to_vec(),
    ]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_file_or_output_of_a_full_sync() {
    let api_key = "orosync-api-key-3f9c1e7a55d2b8604c1e";
    let oro = FakeOroOptions {
        api_key: api_key.into(),
        ..Default::default()
    };
    let w = World::with(oro, FakeOptions::default(), "").await;
    w.seed_first();
    // Refresh tokens rotate: each run gets its own, all are searched for.
    let mut refresh_tokens = vec![];
    let mut outputs = vec![];
    for (i, direction) in ["bidirectional", "bidirectional"].iter().enumerate() {
        let refresh = w.graph.issue_refresh_token();
        refresh_tokens.push(refresh.clone());
        let mut cmd = w.command_with(
            &["-vv", "sync", "--yes", "--json", "--direction", direction],
            api_key,
            &refresh,
        );
        // Every module's most detailed level, the HTTP stack's included.
        cmd.env("RUST_LOG", "trace");
        let r = run_command(cmd).await;
        assert_eq!(r.code, 0, "run {i}: {}", r.stderr);
        outputs.push((format!("stdout of run {i}"), r.stdout.into_bytes()));
        outputs.push((format!("stderr of run {i}"), r.stderr.into_bytes()));
        if i == 0 {
            w.edit_after_first();
        }
    }
    // A refused secret's error path too.
    let refresh = w.graph.issue_refresh_token();
    refresh_tokens.push(refresh.clone());
    let r = run_command(w.command_with(
        &["-vv", "sync", "--yes"],
        "wrong-key-0123456789abcdef",
        &refresh,
    ))
    .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    outputs.push(("stderr of a refused key".into(), r.stderr.into_bytes()));
    let n_outputs = outputs.len();

    let mut all = vec![];
    files(w.profile(), &mut all);
    let names: Vec<String> = all.iter().map(|p| p.display().to_string()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("state.sqlite3")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with("config.toml")),
        "{names:?}"
    );
    for p in &all {
        outputs.push((p.display().to_string(), std::fs::read(p).unwrap()));
    }
    let mut checked = 0;
    let mut secrets = vec![api_key.to_string(), "wrong-key-0123456789abcdef".into()];
    secrets.extend(refresh_tokens);
    for secret in &secrets {
        for n in needles(secret) {
            for (what, bytes) in &outputs {
                checked += 1;
                assert!(!contains(bytes, &n), "a secret is in {what}");
            }
        }
    }
    eprintln!(
        "secrets: {} outputs and {} files searched ({checked} searches): {names:?}",
        n_outputs,
        all.len()
    );
}

/// The environment of the browser opener `orosync login outlook` starts
/// (and so of the browser): the opener here is a stand-in `xdg-open` first
/// on the PATH that writes its environment to a file. The secrets of
/// OroSync's environment must not be in it.
#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_environment_of_the_browser_opener() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};
    let w = World::new().await;
    let bin = tempfile::tempdir().unwrap();
    let dump = bin.path().join("opener.env");
    let opener = bin.path().join("xdg-open");
    std::fs::write(
        &opener,
        "#!/bin/sh\nenv > \"$OPENER_DUMP.tmp\"\nmv \"$OPENER_DUMP.tmp\" \"$OPENER_DUMP\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let api_key = w.api_key();
    let refresh = w.graph.issue_refresh_token();
    let client_secret = "orosync-client-secret-5a1d9e0c7b3f2a68";
    let mut cmd = w.command_with(&["login", "outlook"], &api_key, &refresh);
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{}:{path}", bin.path().display()))
        .env("DISPLAY", ":99")
        .env("OROSYNC_ORO_CLIENT_SECRET", client_secret)
        .env(
            "OROSYNC_ORO_REFRESH_TOKEN",
            "orosync-oro-refresh-77c2e9a1b4d0f35e",
        )
        .env("OPENER_DUMP", &dump);
    let mut child = support::spawn_quiet(cmd);
    // The sign-in waits for the browser's redirect, which never comes: the
    // opener's file is what this test waits for, then the sign-in is ended.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dump.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("orosync login ended ({status}) before opening the browser");
        }
        assert!(Instant::now() < deadline, "the browser opener never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let env = std::fs::read(&dump).unwrap();
    assert!(
        contains(&env, b"OPENER_DUMP="),
        "the file is the opener's environment"
    );
    for var in orosync::secrets::ENV_VARS.iter().map(|(_, v)| *v) {
        assert!(
            !contains(&env, format!("{var}=").as_bytes()),
            "{var} reached the browser opener"
        );
    }
    for secret in [api_key.as_str(), refresh.as_str(), client_secret] {
        for n in needles(secret) {
            assert!(!contains(&env, &n), "a secret reached the browser opener");
        }
    }
}
