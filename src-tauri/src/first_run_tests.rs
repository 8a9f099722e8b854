//! The first-run setup's and the About tab's commands on Tauri's mock
//! runtime: the Oro check, the Microsoft sign-in, the preview and "Start
//! sync" against the demo's fake servers, and Cancel leaving nothing.

use super::*;
use orosync::demo::{sample, Demo};
use orosync::model::Kind;
use orosync::secrets::{Secret, SecretStore, ORO_API_KEY, OUTLOOK_REFRESH_TOKEN};
use orosync::setup::SECRET_NAMES;
use std::path::Path;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The fakes with the demo's sample, plus one Outlook contact that carries
/// an Oro id (from an earlier sync): a first sync deletes it.
fn servers(rt: &tokio::runtime::Runtime, dir: &Path) -> Arc<Demo> {
    let demo = rt.block_on(Demo::start_in(dir)).unwrap();
    let linked = &sample::contacts().oro_only[0];
    demo.graph.user_create_item(linked, Some("987654"));
    Arc::new(demo)
}

/// What a user types into the setup, pointed at the fakes.
fn form(demo: &Demo) -> Value {
    json!({
        "settings": {
            "oro_url": demo.oro_url,
            "oro_username": demo.oro.options().username,
            "oro_auth": "wsse",
            "oro_client_id": "",
            "outlook_client_id": orosync::demo::DEMO_CLIENT_ID,
            "outlook_tenant": "common",
            "mode": "manual",
            "interval_seconds": "300",
            "direction": "bidirectional",
            "conflict_resolution": "oro-wins",
            "kinds": ["contacts", "tasks", "events"],
            "contacts_scope": "all",
            "events_past_days": "30",
            "events_future_days": "365",
            "keys": {},
        },
        "graph_url": demo.graph_url,
        "login_url": demo.login_url,
    })
}

/// Sign in by device code, approving the code the window is sent.
fn sign_in(app: &App<MockRuntime>, w: &WebviewWindow<MockRuntime>, demo: &Arc<Demo>, form: &Value) {
    use tauri::Listener;
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
            let step = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
            assert!(demo.graph.approve_device(step["code"].as_str().unwrap()));
        })
    };
    let msg = invoke(
        w,
        "setup_sign_in_outlook",
        json!({"form": form, "method": "device"}),
    )
    .unwrap();
    user.join().unwrap();
    app.unlisten(id);
    assert_eq!(msg, "Signed in to Microsoft.");
}

fn stored(store: &dyn SecretStore) -> Vec<&'static str> {
    SECRET_NAMES
        .iter()
        .copied()
        .filter(|n| store.get(n).unwrap().is_some())
        .collect()
}

#[test]
fn setup_is_offered_only_without_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let (_app, w) = app_for(&profile, Arc::new(MemorySecrets::new()));
    let view = invoke(&w, "setup_view", json!({})).unwrap();
    assert_eq!(view["needed"], true);
    assert_eq!(
        view["defaults"]["graph_url"],
        orosync::config::OutlookConfig::DEFAULT_GRAPH_URL,
        "Microsoft's endpoints unless changed"
    );
    assert_eq!(view["defaults"]["settings"]["direction"], "bidirectional");
    assert!(!profile.exists(), "looking made nothing");
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let (_app, w) = app_for(dir.path(), Arc::new(MemorySecrets::new()));
    assert_eq!(
        invoke(&w, "setup_view", json!({})).unwrap()["needed"],
        false
    );
}

#[test]
fn oro_check_names_what_is_wrong() {
    let rt = runtime();
    let fakes = tempfile::tempdir().unwrap();
    let demo = servers(&rt, fakes.path());
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let (_app, w) = app_for(&profile, Arc::new(MemorySecrets::new()));
    let mut f = form(&demo);

    let r = invoke(
        &w,
        "setup_check_oro",
        json!({"form": f, "secret": "not-the-key"}),
    )
    .unwrap();
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["problem"], "sign-in");
    assert_eq!(r["key"], "oro.secret");
    assert!(!r["message"].as_str().unwrap().contains("not-the-key"));

    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": ""})).unwrap();
    assert_eq!((&r["ok"], &r["key"]), (&json!(false), &json!("oro.secret")));

    f["settings"]["oro_url"] = json!("ftp://crm.example.com");
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": "x"})).unwrap();
    assert_eq!(
        (&r["problem"], &r["key"]),
        (&json!("settings"), &json!("oro.url"))
    );

    // A port held closed: unreachable, said as such.
    let closed = orosync_testkit::closed_port::ClosedPort::new();
    f["settings"]["oro_url"] = json!(closed.url());
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": "x"})).unwrap();
    assert_eq!(r["problem"], "unreachable", "{r}");

    let f = form(&demo);
    let key = demo.oro.options().api_key.clone();
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": key})).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["message"].as_str().unwrap().contains(&demo.oro_url));
    assert!(!profile.exists(), "a check writes nothing into the profile");
    // Tauri's mock app is never dropped: cancel, so the draft goes.
    invoke(&w, "setup_cancel", json!({})).unwrap();
}

#[test]
fn cancel_leaves_nothing_behind() {
    let rt = runtime();
    let fakes = tempfile::tempdir().unwrap();
    let demo = servers(&rt, fakes.path());
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("orosync").join("default");
    let store = Arc::new(MemorySecrets::new());
    let (app, w) = app_for(&profile, store.clone());
    let f = form(&demo);
    let key = demo.oro.options().api_key.clone();
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": key})).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    sign_in(&app, &w, &demo, &f);
    let p = invoke(&w, "setup_preview", json!({ "form": f })).unwrap();
    assert!(p["preview"]["creates"].as_u64().unwrap() > 0, "{p}");
    assert!(app.state::<first_run::SetupSession>().active());

    invoke(&w, "setup_cancel", json!({})).unwrap();
    assert!(!app.state::<first_run::SetupSession>().active());
    assert!(!dir.path().join("orosync").exists(), "no profile folder");
    assert!(stored(store.as_ref()).is_empty(), "no secret kept");
    // Nothing runs on its own and nothing is published for `status`.
    let tray = app.state::<Tray>();
    tray::refresh(app.handle());
    assert_eq!(rt.block_on(tray.next_action()), Action::Wait(None));
    assert!(!dir.path().join("orosync").exists());
}

/// The whole setup through its commands: the preview is the engine's
/// plan (with the linked Outlook contact the first sync deletes), "Start
/// sync" writes config.toml and the secrets, and the first sync runs with
/// exactly the counts previewed.
#[test]
fn start_saves_everything_and_runs_the_previewed_first_sync() {
    let rt = runtime();
    let fakes = tempfile::tempdir().unwrap();
    let demo = servers(&rt, fakes.path());
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let store = Arc::new(MemorySecrets::new());
    let (app, w) = app_for(&profile, store.clone());
    let f = form(&demo);
    let key = demo.oro.options().api_key.clone();
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": key})).unwrap();
    assert_eq!(r["ok"], true, "{r}");

    // Without the Microsoft sign-in the preview says what is missing.
    let err = invoke(&w, "setup_preview", json!({ "form": f })).unwrap_err();
    assert!(err.as_str().unwrap().contains("sign"), "{err}");
    // Nor is anything saved: a profile is only written whole.
    let r = invoke(&w, "setup_start", json!({ "form": f })).unwrap();
    assert_eq!(r["saved"], false, "{r}");
    assert_eq!(r["errors"][0]["key"], "outlook.client_id", "{r}");
    assert!(!profile.exists() && stored(store.as_ref()).is_empty());
    sign_in(&app, &w, &demo, &f);

    // A refused setting is named and nothing is saved.
    let mut bad = f.clone();
    bad["settings"]["interval_seconds"] = json!("5");
    let r = invoke(&w, "setup_preview", json!({ "form": bad })).unwrap();
    assert_eq!(r["errors"][0]["key"], "sync.interval_seconds");
    let r = invoke(&w, "setup_start", json!({ "form": bad })).unwrap();
    assert_eq!(r["saved"], false);
    assert!(!profile.exists());

    let p = invoke(&w, "setup_preview", json!({ "form": f })).unwrap();
    let preview = p["preview"].clone();
    let contacts = preview["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "contacts")
        .unwrap()
        .clone();
    assert_eq!(contacts["outlook_deleted"], 1, "the linked item: {preview}");
    assert_eq!(preview["outlook_deletes"], 1);
    for (kind, oro, outlook) in orosync::demo::first_sync_creates() {
        let k = preview["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == kind.as_str())
            .unwrap();
        assert_eq!(k["oro_created"], oro, "{kind}");
        // The deleted linked contact comes back as the Oro record it
        // pairs with by key, one of those created anyway.
        assert_eq!(k["outlook_created"], outlook, "{kind}");
    }
    assert!(!profile.exists(), "the preview ran in the draft");
    assert!(stored(store.as_ref()).is_empty());

    let r = invoke(&w, "setup_start", json!({ "form": f })).unwrap();
    assert_eq!(r["saved"], true, "{r}");
    let c = Config::load(&profile.join("config.toml")).unwrap();
    assert_eq!(c.oro.url, demo.oro_url);
    assert_eq!(c.outlook.graph_url, demo.graph_url);
    assert_eq!(c.sync.mode, SyncMode::Manual);
    assert_eq!(stored(store.as_ref()), [ORO_API_KEY, OUTLOOK_REFRESH_TOKEN]);
    let text = std::fs::read_to_string(profile.join("config.toml")).unwrap();
    assert!(!text.contains(&demo.oro.options().api_key));
    assert!(!app.state::<first_run::SetupSession>().active());
    // A second setup of a set-up profile is refused.
    assert_eq!(
        invoke(&w, "setup_view", json!({})).unwrap()["needed"],
        false
    );

    // The first sync was asked for, its deletion confirmed by the setup.
    let tray = app.state::<Tray>();
    let Action::Run(reason) = rt.block_on(tray.next_action()) else {
        panic!("Start sync asks for a run")
    };
    let report = rt.block_on(tray.run(reason));
    assert_eq!(
        report.outcome,
        orosync::scheduler::Outcome::Done,
        "{report:?}"
    );
    let history = invoke(&w, "get_history", json!({})).unwrap();
    let row = &history[0];
    assert_eq!(row["ok"], true, "{row}");
    let by_kind = |v: &Value| {
        let mut k = v.as_array().unwrap().clone();
        k.sort_by_key(|k| k["kind"].as_str().unwrap().to_string());
        k
    };
    assert_eq!(
        by_kind(&row["kinds"]),
        by_kind(&preview["kinds"]),
        "the run did what was previewed"
    );
    assert!(demo
        .graph
        .items(Kind::Contacts)
        .iter()
        .all(|it| it.link.as_deref() != Some("987654")));
    let writes = report.summary.as_ref().unwrap().total_writes();
    assert!(tray.status_line().contains(&format!("{writes} changes")));
    assert_eq!(tray.state(), TrayState::Idle);
}

#[test]
fn diagnostics_carry_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let closed = write_config(dir.path(), SyncMode::Manual, 120);
    let store = Arc::new(MemorySecrets::new());
    store
        .set(ORO_API_KEY, &Secret::new("wsse-key-5f2a9c"))
        .unwrap();
    store
        .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("M.R3_BAY.refresh-77"))
        .unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("orosync.2026-11-25.log"),
        "2026-11-25T10:00:00Z  INFO orosync: sync started\n\
         2026-11-25T10:00:01Z ERROR orosync: Oro refused key wsse-key-5f2a9c for jane\n\
         2026-11-25T10:00:02Z  WARN orosync: token M.R3_BAY.refresh-77 expired\n",
    )
    .unwrap();
    let (_app, w) = app_for(dir.path(), store);
    let about = invoke(&w, "about", json!({})).unwrap();
    assert_eq!(about["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(about["profile"], dir.path().display().to_string());
    let report = invoke(&w, "get_diagnostics", json!({})).unwrap();
    let report = report.as_str().unwrap();
    for secret in ["wsse-key-5f2a9c", "M.R3_BAY.refresh-77"] {
        assert!(!report.contains(secret), "{secret} in:\n{report}");
    }
    assert!(report.contains("ERROR orosync: Oro refused key <redacted> for jane"));
    assert!(report.contains("oro_api_key: stored"), "{report}");
    let url = format!("url = \"{}\"", closed.url());
    assert!(report.contains(&url), "{report}");
}

/// The OAuth2 client-credentials method: the client id and secret are
/// checked against Oro, and the secret is kept under its own name.
#[test]
fn oro_check_by_oauth2_client_credentials() {
    let rt = runtime();
    let fakes = tempfile::tempdir().unwrap();
    let demo = servers(&rt, fakes.path());
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let store = Arc::new(MemorySecrets::new());
    let (app, w) = app_for(&profile, store.clone());
    let mut f = form(&demo);
    f["settings"]["oro_auth"] = json!("oauth2");
    f["settings"]["oro_client_id"] = json!(demo.oro.options().client_id);
    let wrong = invoke(&w, "setup_check_oro", json!({"form": f, "secret": "nope"})).unwrap();
    assert_eq!(wrong["problem"], "sign-in", "{wrong}");
    let secret = demo.oro.options().client_secret.clone();
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": secret})).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    sign_in(&app, &w, &demo, &f);
    assert_eq!(
        invoke(&w, "setup_start", json!({ "form": f })).unwrap()["saved"],
        true
    );
    assert_eq!(
        stored(store.as_ref()),
        [orosync::secrets::ORO_CLIENT_SECRET, OUTLOOK_REFRESH_TOKEN]
    );
    let c = Config::load(&profile.join("config.toml")).unwrap();
    assert_eq!(c.oro.auth, orosync::config::OroAuth::Oauth2);
}

#[test]
fn about_in_the_tray_menu_opens_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let _closed = write_config(dir.path(), SyncMode::Manual, 120);
    let tray = Tray::new(
        dir.path().to_path_buf(),
        Arc::new(MemorySecrets::new()),
        Arc::new(notify::Silent),
    );
    let app = create_app(mock_builder(), tray)
        .build(mock_context(noop_assets()))
        .unwrap();
    let h = app.handle();
    tray::handle_menu_event(h, tray::ids::ABOUT);
    assert!(h.get_webview_window(tray::SETTINGS_LABEL).is_some());
}

/// `oauth2-browser`: "Check" opens Oro's sign-in page (here, a stand-in
/// browser that follows the fake's redirect back to the loopback port)
/// and keeps the refresh token in the draft, then in the profile's store.
#[test]
fn oro_check_by_browser_sign_in() {
    let rt = runtime();
    let fakes = tempfile::tempdir().unwrap();
    let demo = servers(&rt, fakes.path());
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let store = Arc::new(MemorySecrets::new());
    let (app, w) = app_for(&profile, store.clone());
    let opened = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = opened.clone();
    let handle = rt.handle().clone();
    app.manage(commands::BrowserOpener(Arc::new(move |url: &str| {
        seen.lock().unwrap().push(url.to_string());
        let url = url.to_string();
        handle.spawn(async move {
            let _ = reqwest::get(url).await;
        });
        Ok(())
    })));
    let mut f = form(&demo);
    f["settings"]["oro_auth"] = json!("oauth2-browser");
    f["settings"]["oro_client_id"] = json!(demo.oro.options().public_client_id);
    let r = invoke(&w, "setup_check_oro", json!({"form": f})).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    let opened = opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].starts_with(&demo.oro_url), "{opened:?}");
    assert!(
        stored(store.as_ref()).is_empty(),
        "only in the draft so far"
    );
    sign_in(&app, &w, &demo, &f);
    let r = invoke(&w, "setup_start", json!({ "form": f })).unwrap();
    assert_eq!(r["saved"], true, "{r}");
    assert_eq!(
        stored(store.as_ref()),
        [orosync::secrets::ORO_REFRESH_TOKEN, OUTLOOK_REFRESH_TOKEN]
    );
}

/// A self-signed Oro server: "Check" shows its certificate before any
/// secret is sent; trusting it (the window sends the fingerprint back)
/// checks again over the pin, and Start sync saves that pin.
#[test]
fn a_self_signed_oro_is_trusted_in_the_setup() {
    let rt = runtime();
    let fakes = tempfile::tempdir().unwrap();
    let demo = servers(&rt, fakes.path());
    let backend: u16 = demo.oro_url.rsplit(':').next().unwrap().parse().unwrap();
    let front = rt.block_on(TlsFront::start(backend));
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let (app, w) = app_for(&profile, Arc::new(MemorySecrets::new()));
    let mut f = form(&demo);
    f["settings"]["oro_url"] = json!(format!("https://localhost:{}", front.port));
    let key = demo.oro.options().api_key.clone();
    let before = demo.oro.stats().requests;
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": key})).unwrap();
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["problem"], "certificate");
    assert_eq!(r["certificate"]["state"], "untrusted");
    let fp = front.fingerprint();
    assert_eq!(r["certificate"]["fingerprint"], fp.as_str());
    assert_eq!(demo.oro.stats().requests, before, "no secret was sent");

    f["tls_fingerprint"] = json!(fp);
    let r = invoke(&w, "setup_check_oro", json!({"form": f, "secret": key})).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    sign_in(&app, &w, &demo, &f);
    let r = invoke(&w, "setup_start", json!({ "form": f })).unwrap();
    assert_eq!(r["saved"], true, "{r}");
    let c = Config::load(&profile.join("config.toml")).unwrap();
    assert_eq!(c.oro.tls_fingerprint.unwrap().to_string(), fp);
}
