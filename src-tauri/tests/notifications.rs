//! Notifications on a private D-Bus session, with a fake
//! `org.freedesktop.Notifications` server recording what it is sent.
//! Needs a session bus of its own: run with `OROSYNC_TEST_DBUS=1` inside
//! `dbus-run-session` (scripts/e2e.sh does).

use orosync::demo::Demo;
use orosync::scheduler::{Action, Outcome};
use orosync::secrets::{self, Secret, SecretStore};
use orosync_tray::notify::Desktop;
use orosync_tray::runner::Tray;
use std::sync::{Arc, Mutex};

mod notification_server;
use notification_server::FakeServer;

fn enabled() -> bool {
    std::env::var_os("OROSYNC_TEST_DBUS").is_some()
}

async fn run_once(tray: &Tray) -> orosync_tray::runner::Report {
    tray.request_sync();
    match tray.next_action().await {
        Action::Run(reason) => tray.run(reason).await,
        other => panic!("expected a run, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_notification_per_run_with_conflicts_and_one_for_a_failed_run() {
    if !enabled() {
        eprintln!("skipped: set OROSYNC_TEST_DBUS=1 and run inside dbus-run-session");
        return;
    }
    let server = FakeServer::default();
    let seen = server.seen.clone();
    let _conn = notification_server::serve(server).await;

    let dir = tempfile::tempdir().unwrap();
    let servers = Demo::start_in(dir.path()).await.unwrap();
    let secrets = servers.secrets();
    let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
    let tx = Mutex::new(tx);
    let desktop = Desktop {
        on_activate: Some(Arc::new(move |tab| {
            let _ = tx.lock().unwrap().send(tab);
        })),
    };
    let tray = Tray::new(dir.path().to_path_buf(), secrets.clone(), Arc::new(desktop));

    // A first sync with no conflict: no notification.
    let r = run_once(&tray).await;
    assert_eq!(r.outcome, Outcome::Done);
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );

    // The demo's edits, one contact changed on both sides: one conflict, Oro wins.
    servers.edit_as_a_user();
    let r = run_once(&tray).await;
    assert_eq!(r.outcome, Outcome::Done);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "exactly one notification: {seen:?}");
        assert_eq!(seen[0].0, "OroSync: 1 conflict, Oro won");
    }
    // The user clicks it: the app is told to open the Conflicts tab. The
    // app listens for the click on a thread of its own, which may not have
    // subscribed yet: click again until it is heard (a minute at most).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let rx = Arc::new(Mutex::new(rx));
    let tab = loop {
        _conn
            .emit_signal(
                None::<()>,
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications",
                "ActionInvoked",
                &(1u32, "default"),
            )
            .await
            .unwrap();
        let rx = rx.clone();
        let heard = tokio::task::spawn_blocking(move || {
            rx.lock()
                .unwrap()
                .recv_timeout(std::time::Duration::from_millis(200))
        })
        .await
        .unwrap();
        match heard {
            Ok(tab) => break tab,
            Err(_) if std::time::Instant::now() < deadline => continue,
            Err(e) => panic!("the click on the notification was never heard: {e}"),
        }
    };
    assert_eq!(
        tab, "conflicts",
        "activating the notification opens the Conflicts tab"
    );

    // Oro refuses the API key: the failed run says what to do, once.
    secrets
        .set(secrets::ORO_API_KEY, &Secret::new("not-the-key"))
        .unwrap();
    let r = run_once(&tray).await;
    assert_eq!(r.outcome, Outcome::Failed);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1].0, "OroSync: the sync failed");
    assert!(
        seen[1].1.contains("sign"),
        "says to sign in again: {}",
        seen[1].1
    );
}

/// With no notification server at all the run still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_notification_never_fails_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let servers = Demo::start_in(dir.path()).await.unwrap();
    let tray = Tray::new(
        dir.path().to_path_buf(),
        servers.secrets(),
        Arc::new(Broken),
    );
    run_once(&tray).await;
    servers.edit_as_a_user();
    let r = run_once(&tray).await;
    assert_eq!(r.outcome, Outcome::Done);
    assert!(
        r.notice.is_some(),
        "a notice was due, and its failure was only logged"
    );
}

struct Broken;
impl orosync_tray::notify::Notifier for Broken {
    fn show(&self, _: &orosync_tray::notify::Notice) -> Result<(), String> {
        Err("no notification server".into())
    }
}
