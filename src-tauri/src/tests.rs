//! The menu handler and the commands on Tauri's mock runtime, against a
//! profile in a temporary folder (and, for runs, the fake servers).

use super::*;
use crate::dto::TrayState;
use orosync::config::{Config, SyncMode};
use orosync::secrets::MemorySecrets;
use orosync_testkit::closed_port::ClosedPort;
use orosync_testkit::prelude::*;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// The app on the mock runtime, with no window yet.
fn app_without_window(
    dir: &std::path::Path,
    secrets: Arc<dyn orosync::secrets::SecretStore>,
) -> App<MockRuntime> {
    let tray = Tray::new(dir.to_path_buf(), secrets, Arc::new(notify::Silent));
    create_app(mock_builder(), tray)
        .build(mock_context(noop_assets()))
        .expect("mock app")
}

fn app_for(
    dir: &std::path::Path,
    secrets: Arc<dyn orosync::secrets::SecretStore>,
) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = app_without_window(dir, secrets);
    let webview = WebviewWindowBuilder::new(&app, tray::SETTINGS_LABEL, Default::default())
        .build()
        .expect("mock window");
    (app, webview)
}

fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // On Linux the IPC URL of the mock must be this one.
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

/// A profile whose Oro (and Microsoft) URL is a port held closed: nothing
/// is reached, every time. Keep the port for as long as the test runs.
#[must_use = "the port is closed only while it is held"]
fn write_config(dir: &std::path::Path, mode: SyncMode, interval: u32) -> ClosedPort {
    let closed = ClosedPort::new();
    let mut c = Config::new(&closed.url(), "jane", "app");
    c.outlook.graph_url = closed.url();
    c.outlook.login_url = closed.url();
    c.sync.mode = mode;
    c.sync.interval_seconds = interval;
    c.save(&dir.join("config.toml")).unwrap();
    closed
}

#[test]
fn menu_sync_now_requests_a_run_and_coalesces_during_one() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let (app, _w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let tray = h.state::<Tray>();
    tray::handle_menu_event(h, tray::ids::SYNC_NOW);
    // The scheduler now wants a run (after its cheap online check).
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The profile's servers are on a port held closed: the check finds
    // them offline and the request is answered without a run or an error.
    assert_eq!(rt.block_on(tray.next_action()), Action::Wait(None));
    assert_eq!(tray.state(), TrayState::Offline);
    assert!(tray.status().error.unwrap().contains("Offline"));
    assert!(!tray.is_running());
}

#[test]
fn menu_pause_toggles_and_relabels() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Automatic, 120);
    let (app, _w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let tray = h.state::<Tray>();
    assert!(!tray.is_paused());
    assert_eq!(tray::pause_text(tray.is_paused()), "Pause automatic sync");
    tray::handle_menu_event(h, tray::ids::PAUSE);
    assert!(tray.is_paused());
    assert_eq!(tray.state(), TrayState::Paused);
    assert_eq!(tray::pause_text(tray.is_paused()), "Resume automatic sync");
    assert_eq!(tray.status().next_run_at, None);
    assert_eq!(
        orosync::tray_status::read(dir.path()).unwrap().next_run_at,
        None
    );
    tray::handle_menu_event(h, tray::ids::PAUSE);
    assert!(!tray.is_paused());
    assert!(tray.status().next_run_at.is_some());
    assert!(
        orosync::tray_status::read(dir.path())
            .unwrap()
            .next_run_at
            .is_some(),
        "published for `orosync status`"
    );
    // Unknown ids are ignored.
    tray::handle_menu_event(h, "nonsense");
}

#[test]
fn menu_settings_opens_one_window() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_without_window(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    assert!(h.get_webview_window(tray::SETTINGS_LABEL).is_none());
    tray::handle_menu_event(h, tray::ids::SETTINGS);
    assert!(h.get_webview_window(tray::SETTINGS_LABEL).is_some());
    tray::handle_menu_event(h, tray::ids::SETTINGS);
    assert_eq!(h.webview_windows().len(), 1, "focused, not opened twice");
}

#[test]
fn settings_are_validated_by_the_library_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Automatic, 120);
    let (app, w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    let view = invoke(&w, "get_settings", json!({})).unwrap();
    assert_eq!(view["exists"], true);
    assert_eq!(view["settings"]["mode"], "automatic");
    assert!(view["choices"]["fields"]["contacts"]
        .as_array()
        .unwrap()
        .contains(&json!("jobTitle")));
    let mut s = view["settings"].clone();

    s["interval_seconds"] = json!("10");
    let r = invoke(&w, "save_settings", json!({ "settings": s })).unwrap();
    assert_eq!(r["saved"], false);
    assert_eq!(r["errors"][0]["key"], "sync.interval_seconds");
    let c = Config::load(&dir.path().join("config.toml")).unwrap();
    assert_eq!(c.sync.interval_seconds, 120, "nothing saved");

    s["interval_seconds"] = json!("600");
    s["mode"] = json!("manual");
    let r = invoke(&w, "save_settings", json!({ "settings": s })).unwrap();
    assert_eq!(r["saved"], true, "{r}");
    let c = Config::load(&dir.path().join("config.toml")).unwrap();
    assert_eq!(
        (c.sync.mode, c.sync.interval_seconds),
        (SyncMode::Manual, 600)
    );
    // Effective at once: the scheduler is in manual mode now.
    let tray = app.state::<Tray>();
    assert_eq!(tray.schedule().mode, SyncMode::Manual);
    assert_eq!(
        invoke(&w, "get_status", json!({})).unwrap()["next_run_at"],
        Value::Null
    );
}

#[test]
fn sync_now_command_coalesces_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let (app, w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    assert_eq!(invoke(&w, "sync_now", json!({})).unwrap(), json!(false));
    let tray = app.state::<Tray>();
    assert!(!tray.follow_up_pending());
}

#[test]
fn history_and_conflicts_are_empty_before_the_first_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    assert_eq!(invoke(&w, "get_history", json!({})).unwrap(), json!([]));
    assert_eq!(invoke(&w, "get_conflicts", json!({})).unwrap(), json!([]));
    let view = invoke(&w, "get_settings", json!({})).unwrap();
    assert_eq!(view["exists"], false);
    let err = invoke(
        &w,
        "resolve_conflict",
        json!({"id": "1", "keep": "sideways"}),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("oro or outlook"), "{err}");
}

/// A whole run through the commands against the fake servers: "Sync now",
/// the run, the history row with the demo's documented counts; then a
/// conflict in ask mode resolved from the window.
#[test]
fn sync_now_against_the_fakes_shows_the_run_in_the_history() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // `--demo-fresh`: the demo's servers and sample, no run made yet.
    let servers = rt
        .block_on(orosync::demo::Demo::start_in(dir.path()))
        .unwrap();
    let (app, w) = app_for(dir.path(), servers.secrets());
    let tray = app.state::<Tray>();
    invoke(&w, "sync_now", json!({})).unwrap();
    let reason = match rt.block_on(tray.next_action()) {
        Action::Run(r) => r,
        other => panic!("expected a run, got {other:?}"),
    };
    let report = rt.block_on(tray.run(reason));
    assert_eq!(report.outcome, orosync::scheduler::Outcome::Done);
    let history = invoke(&w, "get_history", json!({})).unwrap();
    let row = &history[0];
    assert_eq!(row["ok"], true, "{row}");
    for (kind, oro, outlook) in orosync::demo::first_sync_creates() {
        let k = row["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == kind.as_str())
            .unwrap();
        assert_eq!(k["oro_created"], oro, "{kind}");
        assert_eq!(k["outlook_created"], outlook, "{kind}");
    }
    let writes = report.summary.as_ref().unwrap().total_writes();
    assert!(
        tray.status_line().contains(&format!("{writes} changes")),
        "{}",
        tray.status_line()
    );

    // Ask mode, then a pair changed on both sides: pending, shown side by side.
    let mut s = invoke(&w, "get_settings", json!({})).unwrap()["settings"].clone();
    s["conflict_resolution"] = json!("ask");
    assert_eq!(
        invoke(&w, "save_settings", json!({ "settings": s })).unwrap()["saved"],
        true
    );
    servers.edit_as_a_user();
    tray.request_sync();
    let Action::Run(reason) = rt.block_on(tray.next_action()) else {
        panic!("a run")
    };
    let report = rt.block_on(tray.run(reason));
    assert_eq!(
        report.notice.unwrap().summary,
        "OroSync: 1 conflict needs your choice"
    );
    assert_eq!(tray.state(), TrayState::Conflicts);
    let conflicts = invoke(&w, "get_conflicts", json!({})).unwrap();
    assert_eq!(conflicts.as_array().unwrap().len(), 1);
    let c = &conflicts[0];
    let job = c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "jobTitle")
        .unwrap();
    assert_eq!(
        (job["oro"].as_str(), job["outlook"].as_str()),
        (Some("Chief Financial Officer"), Some("Finance Director"))
    );

    // Keep Outlook's; the next run applies it and both sides agree.
    invoke(
        &w,
        "resolve_conflict",
        json!({"id": c["id"], "keep": "outlook"}),
    )
    .unwrap();
    let Action::Run(reason) = rt.block_on(tray.next_action()) else {
        panic!("resolving asks for a run")
    };
    rt.block_on(tray.run(reason));
    assert_eq!(invoke(&w, "get_conflicts", json!({})).unwrap(), json!([]));
    let oro_id = c["oro_id"].as_str().unwrap();
    let rec = servers
        .oro
        .record(orosync::model::Kind::Contacts, oro_id)
        .unwrap();
    assert_eq!(rec.attr_str("jobTitle"), Some("Finance Director"));
    assert_eq!(tray.state(), TrayState::Idle);
}

/// "Sign in" on the Microsoft account tab, by device code, against the
/// fake Graph: the window is sent the code, the user approves it (here,
/// through the fake's API), and the token is kept in the profile's store.
#[test]
fn sign_in_by_device_code_keeps_the_token() {
    use tauri::Listener;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let demo = Arc::new(
        rt.block_on(orosync::demo::Demo::start_in(dir.path()))
            .unwrap(),
    );
    let secrets = demo.secrets();
    let (app, w) = app_for(dir.path(), secrets.clone());
    invoke(&w, "sign_out_outlook", json!({})).unwrap();
    assert_eq!(
        invoke(&w, "get_settings", json!({})).unwrap()["outlook_signed_in"],
        false
    );

    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let tx = std::sync::Mutex::new(tx);
    app.listen_any(commands::SIGN_IN_EVENT, move |e| {
        let _ = tx
            .lock()
            .unwrap()
            .send(serde_json::from_str(e.payload()).unwrap());
    });
    // The user, reading the code in the window and entering it.
    let user = {
        let demo = demo.clone();
        std::thread::spawn(move || {
            let step = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
            assert!(demo.graph.approve_device(step["code"].as_str().unwrap()));
            step
        })
    };
    let msg = invoke(&w, "sign_in_outlook", json!({"method": "device"})).unwrap();
    assert_eq!(msg, "Signed in to Microsoft.");
    let step = user.join().unwrap();
    assert_eq!(step["method"], "device");
    assert!(step["url"].as_str().unwrap().starts_with("http"), "{step}");
    assert!(step["message"]
        .as_str()
        .unwrap()
        .contains(step["code"].as_str().unwrap()));
    assert!(secrets
        .get(orosync::secrets::OUTLOOK_REFRESH_TOKEN)
        .unwrap()
        .is_some());
    assert_eq!(
        invoke(&w, "get_settings", json!({})).unwrap()["outlook_signed_in"],
        true
    );

    // A declined code stores nothing and says so.
    invoke(&w, "sign_out_outlook", json!({})).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let tx = std::sync::Mutex::new(tx);
    let id = app.listen_any(commands::SIGN_IN_EVENT, move |e| {
        let _ = tx
            .lock()
            .unwrap()
            .send(serde_json::from_str(e.payload()).unwrap());
    });
    let user = {
        let demo = demo.clone();
        std::thread::spawn(move || {
            // The first listener is still there; this one sees the new code.
            let step = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
            assert!(demo.graph.decline_device(step["code"].as_str().unwrap()));
        })
    };
    let err = invoke(&w, "sign_in_outlook", json!({"method": "device"})).unwrap_err();
    user.join().unwrap();
    app.unlisten(id);
    assert!(err.as_str().unwrap().contains("declined"), "{err}");
    assert!(secrets
        .get(orosync::secrets::OUTLOOK_REFRESH_TOKEN)
        .unwrap()
        .is_none());

    let err = invoke(&w, "sign_in_outlook", json!({"method": "pigeon"})).unwrap_err();
    assert!(err.as_str().unwrap().contains("browser or device"), "{err}");
}

/// "Sign in" by browser: the page is opened (here, the fake's redirect
/// followed as a browser would), the token comes back on loopback and is
/// kept; the window was told where the page is.
#[test]
fn sign_in_by_browser_keeps_the_token() {
    use tauri::Listener;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let demo = rt
        .block_on(orosync::demo::Demo::start_in(dir.path()))
        .unwrap();
    let secrets = demo.secrets();
    let (app, w) = app_for(dir.path(), secrets.clone());
    invoke(&w, "sign_out_outlook", json!({})).unwrap();
    let handle = rt.handle().clone();
    app.manage(commands::BrowserOpener(Arc::new(move |url: &str| {
        let url = url.to_string();
        handle.spawn(async move {
            let _ = reqwest::get(url).await;
        });
        Ok(())
    })));
    let steps = Arc::new(std::sync::Mutex::new(vec![]));
    let seen = steps.clone();
    app.listen_any(commands::SIGN_IN_EVENT, move |e| {
        seen.lock()
            .unwrap()
            .push(serde_json::from_str::<Value>(e.payload()).unwrap());
    });
    let msg = invoke(&w, "sign_in_outlook", json!({})).unwrap();
    assert_eq!(msg, "Signed in to Microsoft.");
    let steps = steps.lock().unwrap().clone();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["method"], "browser");
    assert!(
        steps[0]["url"]
            .as_str()
            .unwrap()
            .starts_with(&demo.login_url),
        "{steps:?}"
    );
    assert!(secrets
        .get(orosync::secrets::OUTLOOK_REFRESH_TOKEN)
        .unwrap()
        .is_some());
}

#[test]
fn args() {
    let p = |v: &[&str]| Args::parse(v.iter().map(|s| s.to_string()));
    assert_eq!(p(&[]).unwrap(), Args::default());
    let a = p(&["--demo", "--profile", "/tmp/x"]).unwrap();
    assert!(a.demo);
    assert_eq!(a.profile.as_deref(), Some(std::path::Path::new("/tmp/x")));
    assert!(p(&["--nope"]).is_err());
    assert_eq!(p(&["--zoom", "2"]).unwrap().zoom, Some(2.0));
    assert!(p(&["--zoom", "90"]).is_err());
    let f = p(&["--demo-fresh"]).unwrap();
    assert!(f.demo && f.demo_fresh);
    assert_eq!(p(&["--settings"]).unwrap().settings.as_deref(), Some(""));
    assert_eq!(
        p(&["--settings", "history"]).unwrap().settings.as_deref(),
        Some("history")
    );
    assert!(p(&["--profile"]).is_err());
    assert!(p(&["--help"]).unwrap().help);
    assert!(p(&["-h"]).unwrap().help);
    assert!(!p(&["--demo"]).unwrap().help);
}

/// The settings window's "Start OroSync when I log in": the commands write
/// and remove the same XDG autostart entry as the tray menu, naming this
/// binary and the `--profile` the app was launched with.
#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn window_start_at_login_writes_and_removes_the_autostart_entry() {
    let config_home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let (app, w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    app.manage(tray::LaunchProfile(Some(dir.path().to_path_buf())));
    // This test's folder, not the user's: passed in, not set in the
    // environment the tests running beside it share.
    app.manage(crate::autostart::AutostartHome(Some(
        config_home.path().to_path_buf(),
    )));
    let entry = crate::autostart::entry_path(config_home.path());

    let off = json!({"available": true, "enabled": false});
    assert_eq!(invoke(&w, "get_autostart", json!({})).unwrap(), off);
    let on = invoke(&w, "set_autostart", json!({"enabled": true})).unwrap();
    assert_eq!(on, json!({"available": true, "enabled": true}));
    let text = std::fs::read_to_string(&entry).unwrap();
    let exe = std::env::current_exe().unwrap();
    let exec = format!(
        "Exec=\"{}\" --profile \"{}\"\n",
        exe.display(),
        dir.path().display()
    );
    assert!(text.contains(&exec), "{text}");
    assert_eq!(invoke(&w, "get_autostart", json!({})).unwrap(), on);

    assert_eq!(
        invoke(&w, "set_autostart", json!({"enabled": false})).unwrap(),
        off
    );
    assert!(!entry.exists());
}

/// A self-signed TLS front for a plain-HTTP server on loopback, whose
/// certificate can be replaced; returns its port.
struct TlsFront {
    port: u16,
    current: Arc<std::sync::Mutex<(tokio_rustls::TlsAcceptor, Vec<u8>)>>,
}

fn self_signed() -> (tokio_rustls::TlsAcceptor, Vec<u8>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = ck.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(der.clone())], key)
    .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(cfg)), der)
}

impl TlsFront {
    async fn start(backend: u16) -> TlsFront {
        let current = Arc::new(std::sync::Mutex::new(self_signed()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cur = current.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = cur.lock().unwrap().0.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if let Ok(mut plain) =
                        tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
        TlsFront { port, current }
    }

    fn fingerprint(&self) -> String {
        orosync::oro::tls::Fingerprint::of(&self.current.lock().unwrap().1).to_string()
    }

    fn replace_certificate(&self) {
        *self.current.lock().unwrap() = self_signed();
    }
}

/// "Test connection" against a self-signed Oro: the certificate is shown
/// (nothing sent to Oro), "Trust this certificate" pins exactly the one
/// shown and tests again over the pin; a different fingerprint is refused;
/// a certificate replaced later is shown as changed, naming both.
#[test]
fn an_untrusted_oro_certificate_is_shown_then_trusted_and_tested_again() {
    use orosync::secrets::SecretStore;
    use orosync_fakes::oro::{FakeOro, FakeOroOptions};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let oro = rt
        .block_on(FakeOro::start(FakeOroOptions::default()))
        .unwrap();
    let backend: u16 = oro.url().rsplit(':').next().unwrap().parse().unwrap();
    let front = rt.block_on(TlsFront::start(backend));
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::new(
        &format!("https://localhost:{}", front.port),
        &oro.options().username,
        "app",
    );
    // Reachable loopback addresses, so the offline check passes.
    c.outlook.graph_url = oro.url();
    c.outlook.login_url = oro.url();
    let path = dir.path().join("config.toml");
    c.save(&path).unwrap();
    let comment = "# kept when the pin is written";
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{comment}\n{text}")).unwrap();
    let secrets = MemorySecrets::new();
    secrets
        .set(
            orosync::secrets::ORO_API_KEY,
            &orosync::secrets::Secret::new(oro.options().api_key.clone()),
        )
        .unwrap();
    let (_app, w) = app_for(dir.path(), Arc::new(secrets));
    let fp = front.fingerprint();

    let r = invoke(&w, "test_connection", json!({})).unwrap();
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["certificate"]["state"], "untrusted", "{r}");
    assert_eq!(r["certificate"]["fingerprint"], fp.as_str());
    assert!(r["certificate"]["subject"]
        .as_str()
        .unwrap()
        .contains("CN="));
    assert_eq!(oro.stats().requests, 0, "nothing was sent to Oro");
    let p = invoke(&w, "probe_oro_certificate", json!({})).unwrap();
    assert_eq!(p["state"], "untrusted");
    assert_eq!(p["fingerprint"], fp.as_str());

    // Not what the server presents: refused, nothing written.
    let mut other = orosync::oro::tls::Fingerprint::parse(&fp).unwrap();
    other.0[0] ^= 1;
    let e = invoke(
        &w,
        "trust_oro_certificate",
        json!({ "fingerprint": other.to_string() }),
    )
    .unwrap_err();
    assert!(e.as_str().unwrap().contains("nothing was pinned"), "{e}");
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("tls_fingerprint"));

    let r = invoke(&w, "trust_oro_certificate", json!({ "fingerprint": fp })).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["message"].as_str().unwrap().contains("Connected"), "{r}");
    assert!(r.get("certificate").is_none(), "{r}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(comment), "{text}");
    assert_eq!(
        Config::load(&path)
            .unwrap()
            .oro
            .tls_fingerprint
            .unwrap()
            .to_string(),
        fp
    );
    assert!(oro.stats().requests > 0);
    assert_eq!(
        invoke(&w, "probe_oro_certificate", json!({})).unwrap()["state"],
        "pinned"
    );

    front.replace_certificate();
    let new = front.fingerprint();
    let before = oro.stats().requests;
    let r = invoke(&w, "test_connection", json!({})).unwrap();
    assert_eq!(r["ok"], false);
    assert_eq!(r["certificate"]["state"], "changed", "{r}");
    assert_eq!(r["certificate"]["pinned"], fp.as_str());
    assert_eq!(r["certificate"]["fingerprint"], new.as_str());
    let m = r["message"].as_str().unwrap();
    assert!(m.contains(&fp) && m.contains(&new), "{m}");
    assert_eq!(
        oro.stats().requests,
        before,
        "a changed certificate gets nothing"
    );
}
#[path = "command_list_tests.rs"]
mod command_list_tests;
#[path = "first_run_tests.rs"]
mod first_run_tests;
#[path = "layers_tests.rs"]
mod layers_tests;
#[cfg(unix)]
#[path = "window_tests.rs"]
mod window_tests;

/// The deletion guard in the tray: a run that would delete more than half
/// of the linked contacts holds them, notifies once, and the window lists
/// them by name; Keep creates them again in Oro, Delete deletes them in
/// Outlook; a kind or choice that is not one is refused.
#[test]
fn held_mass_deletions_are_notified_listed_and_decided_in_the_window() {
    use orosync::model::Kind;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let servers = rt
        .block_on(orosync::demo::Demo::start_in(dir.path()))
        .unwrap();
    for n in 1..=12 {
        servers
            .oro
            .user_create(&orosync_testkit::contact(&format!("Held{n:02}"), "Gone"));
    }
    let (app, w) = app_for(dir.path(), servers.secrets());
    let tray = app.state::<Tray>();
    let run = |tray: &Tray| {
        let Action::Run(reason) = rt.block_on(tray.next_action()) else {
            panic!("a run was asked for")
        };
        rt.block_on(tray.run(reason))
    };
    invoke(&w, "sync_now", json!({})).unwrap();
    assert_eq!(run(&tray).outcome, orosync::scheduler::Outcome::Done);
    assert_eq!(
        invoke(&w, "get_held_deletions", json!({})).unwrap(),
        json!([])
    );

    // Every linked contact is deleted in Oro.
    let linked = servers.oro.records(Kind::Contacts);
    assert!(linked.len() >= 12);
    for r in &linked {
        servers.oro.user_delete(Kind::Contacts, &r.id);
    }
    let in_outlook = servers.graph.items(Kind::Contacts).len();
    tray.request_sync();
    let report = run(&tray);
    let notice = report.notice.expect("a notification");
    assert_eq!(notice.tab, "conflicts");
    assert!(
        notice.body.starts_with(&format!(
            "{n} of {n} linked contacts are gone from Oro",
            n = linked.len()
        )),
        "{}",
        notice.body
    );
    assert_eq!(
        servers.graph.items(Kind::Contacts).len(),
        in_outlook,
        "nothing deleted"
    );
    assert_eq!(tray.state(), TrayState::Conflicts);
    let held = invoke(&w, "get_held_deletions", json!({})).unwrap();
    assert_eq!(held[0]["kind"], "contacts");
    assert_eq!(held[0]["side"], "oro");
    let names: Vec<&str> = held[0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), linked.len());
    assert!(names.contains(&"Held01 Gone"), "{names:?}");

    // An automatic rerun asks again, silently.
    let report = rt.block_on(tray.run(orosync::scheduler::Reason::Interval));
    assert_eq!(
        report.notice, None,
        "no second notification for the same deletions"
    );
    assert_eq!(invoke(&w, "get_held_deletions", json!({})).unwrap(), held);

    for bad in [
        json!({"kind": "contacts", "choice": "maybe"}),
        json!({"kind": "notes", "choice": "keep"}),
        json!({"kind": "tasks", "choice": "keep"}),
    ] {
        assert!(
            invoke(&w, "decide_held_deletions", bad.clone()).is_err(),
            "{bad}"
        );
    }

    // Keep, decided while Oro cannot be reached: the run that could not
    // finish applies nothing and the decision waits for the next run.
    invoke(
        &w,
        "decide_held_deletions",
        json!({"kind": "contacts", "choice": "keep"}),
    )
    .unwrap();
    servers
        .oro
        .inject(orosync_fakes::oro::Fault::Status(503), 1000);
    let report = run(&tray);
    assert_eq!(report.outcome, orosync::scheduler::Outcome::Offline);
    assert!(servers.oro.records(Kind::Contacts).is_empty());
    servers.oro.clear_faults();

    // Kept: created again in Oro, nothing deleted, nothing held.
    tray.request_sync();
    let report = run(&tray);
    assert_eq!(
        report.summary.unwrap().kinds[&Kind::Contacts].oro.created,
        linked.len()
    );
    assert_eq!(servers.oro.records(Kind::Contacts).len(), linked.len());
    assert_eq!(servers.graph.items(Kind::Contacts).len(), in_outlook);
    assert_eq!(
        invoke(&w, "get_held_deletions", json!({})).unwrap(),
        json!([])
    );

    // Deleted in Oro again; Delete: deleted in Outlook.
    for r in servers.oro.records(Kind::Contacts) {
        servers.oro.user_delete(Kind::Contacts, &r.id);
    }
    tray.request_sync();
    assert!(run(&tray).notice.is_some());
    invoke(
        &w,
        "decide_held_deletions",
        json!({"kind": "contacts", "choice": "delete"}),
    )
    .unwrap();
    run(&tray);
    assert_eq!(
        servers.graph.items(Kind::Contacts).len(),
        in_outlook - linked.len()
    );
    assert_eq!(
        invoke(&w, "get_held_deletions", json!({})).unwrap(),
        json!([])
    );
    assert_eq!(tray.state(), TrayState::Idle);
}

/// The tray's log is private to the user (0600), whatever the umask.
#[cfg(unix)]
#[test]
fn the_trays_log_is_created_private() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt;
    use tracing_subscriber::fmt::MakeWriter;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let log = ProfileLog(dir.path().to_path_buf());
    log.make_writer().write_all(b"a line\n").unwrap();
    let path = dir.path().join("logs").join("tray.log");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// Issue 21, "Broken today" 3: "Test connection" tests what is typed.
/// A URL typed but not saved is the one tried; a key typed is tried from
/// memory and kept nowhere; without settings the saved ones are tested.
#[test]
fn test_connection_tests_the_typed_settings_and_key() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let servers = rt
        .block_on(orosync::demo::Demo::start_in(dir.path()))
        .unwrap();
    let secrets = servers.secrets();
    let (_app, w) = app_for(dir.path(), secrets.clone());
    let saved = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let typed = invoke(&w, "get_settings", json!({})).unwrap()["settings"].clone();

    let r = invoke(&w, "test_connection", json!({})).unwrap();
    assert_eq!(r["ok"], true, "the saved settings connect: {r}");

    let closed = ClosedPort::new();
    let mut other = typed.clone();
    other["oro_url"] = json!(closed.url());
    let r = invoke(&w, "test_connection", json!({ "settings": other })).unwrap();
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains(&closed.port().to_string()),
        "{r}"
    );

    let r = invoke(
        &w,
        "test_connection",
        json!({ "settings": typed, "secret": "not-the-key" }),
    )
    .unwrap();
    assert_eq!(r["ok"], false, "the typed key is the one tried: {r}");
    assert!(!r["message"].as_str().unwrap().contains("not-the-key"));

    let mut bad = typed.clone();
    bad["oro_url"] = json!("ftp://crm.example.com");
    let r = invoke(&w, "test_connection", json!({ "settings": bad })).unwrap();
    assert_eq!(r["ok"], false);
    assert!(r["message"].as_str().unwrap().contains("oro.url"), "{r}");

    assert_eq!(
        std::fs::read_to_string(dir.path().join("config.toml")).unwrap(),
        saved,
        "a test saves nothing"
    );
    assert_eq!(
        secrets
            .get(orosync::secrets::ORO_API_KEY)
            .unwrap()
            .unwrap()
            .expose(),
        servers.oro.options().api_key,
        "the typed key was kept nowhere"
    );
}

/// Issue 21, "Broken today" 2: the Connection tab's key is checked with
/// Oro, then kept in the profile's secret store; a refused one is said
/// next to its field and keeps nothing; the window is told only whether
/// one is kept, and config.toml never has it.
#[test]
fn the_oro_key_typed_in_the_window_is_checked_then_kept() {
    use orosync::secrets::{Secret, SecretStore, ORO_API_KEY};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let servers = rt
        .block_on(orosync::demo::Demo::start_in(dir.path()))
        .unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let (_app, w) = app_for(dir.path(), secrets.clone());
    let view = invoke(&w, "get_settings", json!({})).unwrap();
    assert_eq!(view["oro_secret_stored"], false);
    let typed = view["settings"].clone();

    let r = invoke(
        &w,
        "save_oro_secret",
        json!({ "settings": typed, "secret": "not-the-key" }),
    )
    .unwrap();
    assert_eq!(r["saved"], false, "{r}");
    assert_eq!(r["errors"][0]["key"], "oro.secret", "{r}");
    assert!(secrets.get(ORO_API_KEY).unwrap().is_none());

    let key = servers.oro.options().api_key.clone();
    let r = invoke(
        &w,
        "save_oro_secret",
        json!({ "settings": typed, "secret": key }),
    )
    .unwrap();
    assert_eq!(r["saved"], true, "{r}");
    assert_eq!(
        secrets.get(ORO_API_KEY).unwrap(),
        Some(Secret::new(key.clone()))
    );
    let view = invoke(&w, "get_settings", json!({})).unwrap();
    assert_eq!(view["oro_secret_stored"], true);
    assert!(!view.to_string().contains(&key), "never sent to the window");
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(!config.contains(&key), "{config}");
}

/// Issue 21, "Broken today" 5: before the first-run setup is done there is
/// nothing to sync or pause: the menu's Sync now and Pause are not
/// offered, and if picked anyway they change nothing and create no
/// profile folder (Cancel leaves nothing behind).
#[test]
fn sync_now_and_pause_are_not_offered_before_the_setup() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("orosync").join("default");
    let (app, w) = app_for(&dir, Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let tray = h.state::<Tray>();
    assert_eq!(tray::offered(&tray), (false, false), "(Sync now, Pause)");
    tray::handle_menu_event(h, tray::ids::SYNC_NOW);
    tray::handle_menu_event(h, tray::ids::PAUSE);
    assert!(!tray.is_paused());
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(
        rt.block_on(tray.next_action()),
        Action::Wait(None),
        "no run"
    );
    assert_eq!(invoke(&w, "sync_now", json!({})).unwrap(), json!(false));
    assert!(!tray.follow_up_pending());
    assert!(!root.path().join("orosync").exists(), "no profile folder");
    assert_eq!(tray.status_line(), "Not set up yet");

    // Set up, automatic: both offered; manual: Pause is not.
    std::fs::create_dir_all(&dir).unwrap();
    let _closed = write_config(&dir, SyncMode::Automatic, 120);
    tray.settings_changed(&Config::load(&dir.join("config.toml")).unwrap());
    assert_eq!(tray::offered(&tray), (true, true));
    let _closed = write_config(&dir, SyncMode::Manual, 120);
    tray.settings_changed(&Config::load(&dir.join("config.toml")).unwrap());
    assert_eq!(tray::offered(&tray), (true, false));
}

/// Issue 21, item 11: while paused, the status line (the menu's, the
/// tooltip's and the window's header) says so.
#[test]
fn a_paused_tray_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Automatic, 120);
    let app = app_without_window(dir.path(), Arc::new(MemorySecrets::new()));
    let h = app.handle();
    let tray = h.state::<Tray>();
    assert!(!tray.status_line().contains("paused"));
    tray::handle_menu_event(h, tray::ids::PAUSE);
    assert_eq!(tray.status_line(), "Not synced yet · automatic sync paused");
    assert!(tray.status().last.contains("paused"));
}

/// Issue 21, "Broken today" 4: the icon for offline is not Paused's.
#[test]
fn the_offline_icon_is_not_the_paused_one() {
    use crate::dto::TrayState::*;
    let states = [Idle, Syncing, Error, Conflicts, Paused, Offline];
    for (i, a) in states.iter().enumerate() {
        for b in &states[i + 1..] {
            assert_ne!(
                tray::icon(*a).rgba(),
                tray::icon(*b).rgba(),
                "{a:?} and {b:?} look the same"
            );
        }
    }
}

/// A notifier that keeps what it is asked to show.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<notify::Notice>>);

impl notify::Notifier for Recorder {
    fn show(&self, n: &notify::Notice) -> Result<(), String> {
        self.0.lock().unwrap().push(n.clone());
        Ok(())
    }
}

/// Issue 21, "Broken today" 4: a "Sync now" that finds the servers
/// unreachable is answered by a notification (once); an automatic check
/// that finds them so is not.
#[test]
fn sync_now_while_offline_is_notified_once() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Automatic, 120);
    let recorder = Arc::new(Recorder::default());
    let tray = Tray::new(
        dir.path().to_path_buf(),
        Arc::new(MemorySecrets::new()),
        recorder.clone(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The start-up run's check: offline, nobody asked.
    assert!(matches!(
        rt.block_on(tray.next_action()),
        Action::Wait(Some(_))
    ));
    assert!(recorder.0.lock().unwrap().is_empty());
    tray.request_sync();
    assert!(matches!(
        rt.block_on(tray.next_action()),
        Action::Wait(Some(_))
    ));
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].summary, "OroSync: servers unreachable");
    assert!(seen[0].body.contains("tries again"), "{}", seen[0].body);
    assert_eq!(tray.state(), TrayState::Offline);
}
