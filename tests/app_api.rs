//! The one API the CLI and the tray call (`orosync::app`), against the fake
//! servers over loopback: the Oro check, the Outlook sign-in policy, and
//! the one writer of config.toml, which keeps the user's comments whether
//! the CLI (`login oro --trust-fingerprint`) or the tray's settings window
//! (`app::settings::save`) changes the file.

mod support;

use orosync::app::check::OroCheck;
use orosync::app::login::{login_outlook, OutlookMethod, OutlookPrompt, OutlookSignedIn};
use orosync::app::{settings, App, AppError};
use orosync::config::{Config, SyncMode};
use orosync::profile::Profile;
use orosync::secrets::{MemorySecrets, Secret, SecretStore, ORO_API_KEY, OUTLOOK_REFRESH_TOKEN};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use support::*;

/// The profile of `w` opened with only `api_key` as its Oro secret.
fn app(w: &World, api_key: &str) -> App {
    let secrets = MemorySecrets::new();
    secrets.set(ORO_API_KEY, &Secret::new(api_key)).unwrap();
    App::open_with(w.profile(), Arc::new(secrets)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_oro_names_the_user_oro_accepts() {
    let w = World::new().await;
    let a = app(&w, &w.api_key());
    match a.check_oro().await.unwrap() {
        OroCheck::Connected { user } => {
            assert_eq!(user, w.oro.options().user_id.to_string());
            let line = orosync::app::check::connected_message(&a.config, &user);
            assert!(line.contains(&w.oro.options().username), "{line}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_oro_with_a_refused_key_is_a_sign_in_error() {
    let w = World::new().await;
    let e = app(&w, "not-the-key").check_oro().await.unwrap_err();
    assert!(matches!(e, AppError::SignIn(_)), "{e:?}");
    assert_eq!(e.exit_code(), 3);
    assert!(!e.to_string().contains("not-the-key"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_oro_while_a_sync_holds_the_lock_sends_nothing_and_asks_to_retry() {
    let w = World::new().await;
    let a = app(&w, &w.api_key());
    let _held = orosync::lock::ProfileLock::try_acquire(w.profile())
        .unwrap()
        .expect("free");
    let before = w.oro.stats().requests;
    let e = a.check_oro().await.unwrap_err();
    assert!(
        e.to_string().contains("A sync of this profile is running"),
        "{e}"
    );
    assert_eq!(w.oro.stats().requests, before, "no request reached Oro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_oro_stops_at_an_untrusted_certificate_before_any_request() {
    let w = World::new().await;
    let front = TlsFront::start(port_of(&w.oro.url())).await;
    let text = w.config_text("").replace(&w.oro.url(), &front.url());
    std::fs::write(Profile::at(w.profile()).config_path(), text).unwrap();
    match app(&w, &w.api_key()).check_oro().await.unwrap() {
        OroCheck::Certificate(orosync::oro::tls::Probe::Untrusted { certificate, .. }) => {
            assert_eq!(certificate.fingerprint, front.fingerprint());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.oro.stats().requests, 0, "no request reached Oro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_oro_with_the_server_down_is_unreachable() {
    let w = World::new().await;
    let a = app(&w, &w.api_key());
    let mut cfg = a.config.clone();
    // A port nothing listens on: one just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    cfg.oro.url = format!("http://127.0.0.1:{port}");
    let down = App { config: cfg, ..a };
    let e = down.check_oro().await.unwrap_err();
    assert!(matches!(e, AppError::Unreachable(_)), "{e:?}");
    assert_eq!(e.exit_code(), 4);
}

/// The Outlook sign-in of `w`'s config into a fresh store, answering the
/// prompt as a user would: following the page (a browser) or approving
/// the code at the fake identity platform.
async fn sign_in(
    w: &World,
    method: OutlookMethod,
    can_open_browser: bool,
) -> (
    Result<OutlookSignedIn, AppError>,
    Vec<&'static str>,
    MemorySecrets,
) {
    let cfg = Config::load(&Profile::at(w.profile()).config_path()).unwrap();
    let store = MemorySecrets::new();
    let mut prompts = vec![];
    let r = login_outlook(
        &cfg,
        Arc::new(store.clone()),
        method,
        can_open_browser,
        |p| match p {
            OutlookPrompt::Browser(url) => {
                prompts.push("browser");
                let url = url.to_string();
                tokio::spawn(async move {
                    let _ = reqwest::get(url).await;
                });
            }
            OutlookPrompt::DeviceCode(dc) => {
                prompts.push("device");
                assert!(w.graph.approve_device(&dc.user_code));
            }
        },
        Duration::from_secs(30),
    )
    .await;
    (r, prompts, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outlook_sign_in_without_a_browser_uses_the_device_code() {
    let w = World::new().await;
    let (r, prompts, store) = sign_in(&w, OutlookMethod::Auto, false).await;
    assert_eq!(r.unwrap(), OutlookSignedIn::DeviceCode);
    assert_eq!(prompts, ["device"]);
    assert!(store.get(OUTLOOK_REFRESH_TOKEN).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outlook_sign_in_where_a_browser_opens_goes_through_the_browser() {
    let w = World::new().await;
    let (r, prompts, store) = sign_in(&w, OutlookMethod::Auto, true).await;
    assert_eq!(r.unwrap(), OutlookSignedIn::Browser);
    assert_eq!(prompts, ["browser"]);
    assert!(store.get(OUTLOOK_REFRESH_TOKEN).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_sign_in_method_overrides_what_the_session_offers() {
    let w = World::new().await;
    let (r, prompts, _) = sign_in(&w, OutlookMethod::DeviceCode, true).await;
    assert_eq!(r.unwrap(), OutlookSignedIn::DeviceCode);
    assert_eq!(prompts, ["device"]);
    let (r, prompts, _) = sign_in(&w, OutlookMethod::Browser, false).await;
    assert_eq!(r.unwrap(), OutlookSignedIn::Browser);
    assert_eq!(prompts, ["browser"]);
}

const TOP: &str = "# Jane's settings: ask IT before changing the server.";
const ORO_NOTE: &str = "# the company CRM, behind the VPN";
const SYNC_NOTE: &str = "events_past_days = 30  # a month back is enough";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_toml_keeps_its_comments_through_the_cli_pin_and_the_tray_settings_save() {
    let w = World::new().await;
    let front = TlsFront::start(port_of(&w.oro.url())).await;
    let profile = Profile::at(w.profile());
    let text = format!("{TOP}\n{}", w.config_text(SYNC_NOTE))
        .replace(&w.oro.url(), &front.url())
        .replacen("username", &format!("{ORO_NOTE}\nusername"), 1);
    std::fs::write(profile.config_path(), &text).unwrap();

    // The CLI: `orosync login oro --trust-fingerprint` pins the certificate.
    let fp = front.fingerprint();
    let mut cmd = w.command(&["login", "oro", "--trust-fingerprint", &fp.to_string()]);
    cmd.env_remove("OROSYNC_ORO_API_KEY").stdin(Stdio::piped());
    let key = w.api_key();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = writeln!(child.stdin.take().unwrap(), "{key}");
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Pinned"), "{stderr}");
    let after_cli = std::fs::read_to_string(profile.config_path()).unwrap();
    for kept in [TOP, ORO_NOTE, SYNC_NOTE] {
        assert!(
            after_cli.contains(kept),
            "{kept:?} lost by the CLI:\n{after_cli}"
        );
    }
    assert_eq!(
        Config::load(&profile.config_path())
            .unwrap()
            .oro
            .tls_fingerprint,
        Some(fp)
    );

    // The tray: the settings window's save (mode changed in the window).
    let (mut cfg, exists) = settings::current(&profile).unwrap();
    assert!(exists);
    cfg.sync.mode = SyncMode::Manual;
    settings::save(&profile, &cfg).unwrap();
    let after_tray = std::fs::read_to_string(profile.config_path()).unwrap();
    for kept in [TOP, ORO_NOTE, SYNC_NOTE, "time_zone = \"UTC\""] {
        assert!(
            after_tray.contains(kept),
            "{kept:?} lost by the tray:\n{after_tray}"
        );
    }
    assert!(after_tray.contains("mode = \"manual\""), "{after_tray}");
    assert_eq!(Config::load(&profile.config_path()).unwrap(), cfg);
    // Only what changed was written: the defaults are not spelled out.
    assert!(!after_tray.contains("interval_seconds"), "{after_tray}");
}
