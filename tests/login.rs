//! `orosync login`: what can be checked without a human. The sign-in
//! functions of `app::login` against the fakes (device code approved via
//! the fake's API, Oro's browser flow by following its redirect), and the
//! binary reading an API key from a piped stdin.

use orosync::app::login::{login_oro_browser, login_oro_secret, login_outlook_device};
use orosync::app::AppError;
use orosync::config::{Config, OroAuth};
use orosync::secrets::{
    MemorySecrets, Secret, SecretStore, ORO_API_KEY, ORO_CLIENT_SECRET, ORO_REFRESH_TOKEN,
    OUTLOOK_REFRESH_TOKEN,
};
use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn config(oro: &FakeOro, graph: Option<&FakeGraph>) -> Config {
    let mut c = Config::new(&oro.url(), &oro.options().username, "orosync-test");
    if let Some(g) = graph {
        c.outlook.graph_url = g.url();
        c.outlook.login_url = g.login_url();
    }
    c.sync.time_zone = Some(chrono_tz::UTC);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_checked_with_oro_before_it_is_stored() {
    let oro = FakeOro::start(FakeOroOptions::default()).await.unwrap();
    let cfg = config(&oro, None);
    let store = MemorySecrets::new();

    let bad = login_oro_secret(&cfg, Secret::new("not-the-key"), &store).await;
    assert!(matches!(&bad, Err(AppError::SignIn(_))), "{bad:?}");
    assert_eq!(bad.unwrap_err().exit_code(), 3);
    assert_eq!(store.get(ORO_API_KEY).unwrap(), None, "nothing stored");

    let key = oro.options().api_key.clone();
    let user = login_oro_secret(&cfg, Secret::new(key.clone()), &store)
        .await
        .unwrap();
    assert_eq!(user, oro.options().user_id.to_string());
    assert_eq!(store.get(ORO_API_KEY).unwrap().unwrap().expose(), key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_secret_is_stored_under_its_own_name() {
    let oro = FakeOro::start(FakeOroOptions::default()).await.unwrap();
    let mut cfg = config(&oro, None);
    cfg.oro.auth = OroAuth::Oauth2;
    cfg.oro.client_id = oro.options().client_id.clone();
    let store = MemorySecrets::new();
    let secret = oro.options().client_secret.clone();
    login_oro_secret(&cfg, Secret::new(secret.clone()), &store)
        .await
        .unwrap();
    assert_eq!(
        store.get(ORO_CLIENT_SECRET).unwrap().unwrap().expose(),
        secret
    );
    assert_eq!(store.get(ORO_API_KEY).unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oro_browser_sign_in_keeps_a_refresh_token_that_works() {
    let oro = FakeOro::start(FakeOroOptions::default()).await.unwrap();
    let mut cfg = config(&oro, None);
    cfg.oro.auth = OroAuth::Oauth2Browser;
    cfg.oro.client_id = oro.options().public_client_id.clone();
    let store = MemorySecrets::new();
    // The "browser": follow the authorize URL to the loopback redirect.
    let browser = |url: &str| {
        let url = url.to_string();
        tokio::spawn(async move {
            let _ = reqwest::get(url).await;
        });
    };
    login_oro_browser(&cfg, &store, browser, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(store.get(ORO_REFRESH_TOKEN).unwrap().is_some());
    // The stored token opens Oro for the next run.
    let client = orosync::app::oro_client(&cfg, &store).unwrap();
    client.user_id().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outlook_device_code_sign_in_stores_the_refresh_token() {
    let oro = FakeOro::start(FakeOroOptions::default()).await.unwrap();
    let graph = FakeGraph::start(FakeOptions::default()).await.unwrap();
    let cfg = config(&oro, Some(&graph));
    let store = MemorySecrets::new();
    let mut shown = String::new();
    login_outlook_device(&cfg, Arc::new(store.clone()), |dc| {
        shown = dc.message.clone();
        // The user enters the code on the verification page.
        assert!(graph.approve_device(&dc.user_code));
    })
    .await
    .unwrap();
    assert!(shown.contains("enter the code"), "{shown}");
    let rt = store.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap();
    // It works: a Graph client with this store reads the mailbox.
    let before = graph.refreshes();
    let secrets: Arc<dyn SecretStore> = Arc::new(store.clone());
    let client = orosync::app::graph_client(&cfg, secrets).unwrap();
    use orosync::sides::OutlookStore;
    client
        .changes(
            orosync::model::Kind::Contacts,
            None,
            &orosync::sides::Window::around(chrono::Utc::now(), 30, 365),
        )
        .await
        .unwrap();
    assert_eq!(graph.refreshes(), before + 1);
    assert!(!rt.expose().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_device_sign_in_is_exit_3_and_stores_nothing() {
    let oro = FakeOro::start(FakeOroOptions::default()).await.unwrap();
    let graph = FakeGraph::start(FakeOptions::default()).await.unwrap();
    let cfg = config(&oro, Some(&graph));
    let store = MemorySecrets::new();
    let r = login_outlook_device(&cfg, Arc::new(store.clone()), |dc| {
        assert!(graph.decline_device(&dc.user_code));
    })
    .await;
    assert_eq!(r.unwrap_err().exit_code(), 3);
    assert_eq!(store.get(OUTLOOK_REFRESH_TOKEN).unwrap(), None);
}

/// `orosync login oro` with the key on a pipe (stdin not a terminal: one
/// line is read).
fn login_oro_process(dir: &std::path::Path, key: &str, keyring: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orosync"));
    cmd.arg("--profile").arg(dir).args(["login", "oro"]);
    cmd.env_remove("OROSYNC_ORO_API_KEY");
    if !keyring {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{key}").unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_oro_reads_the_key_from_a_pipe_and_checks_it() {
    let oro = FakeOro::start(FakeOroOptions::default()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    config(&oro, None).save(&dir.join("config.toml")).unwrap();

    let d = dir.clone();
    let out = tokio::task::spawn_blocking(move || login_oro_process(&d, "wrong-key", false))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("wrong-key"), "the key is never shown");

    // Right key: with no keyring it cannot be kept, and says what to do.
    let key = oro.options().api_key.clone();
    let (d, k) = (dir.clone(), key.clone());
    let out = tokio::task::spawn_blocking(move || login_oro_process(&d, &k, false))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("keyring") && stderr.contains("OROSYNC_"),
        "{stderr}"
    );
    assert!(!stderr.contains(&key));

    // With a Secret Service (CI runs one under OROSYNC_TEST_KEYRING=1):
    // stored, under the profile's account.
    if std::env::var("OROSYNC_TEST_KEYRING").as_deref() == Ok("1") {
        let (d, k) = (dir.clone(), key.clone());
        let out = tokio::task::spawn_blocking(move || login_oro_process(&d, &k, true))
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ks = orosync::secrets::KeyringStore::new(
            std::path::absolute(&dir).unwrap().display().to_string(),
        );
        assert_eq!(ks.get(ORO_API_KEY).unwrap().unwrap().expose(), key);
        ks.delete(ORO_API_KEY).unwrap();
    }
}
