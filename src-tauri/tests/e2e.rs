//! End to end through WebDriver: tauri-driver + WebKitWebDriver drive the
//! real app (`--demo-fresh`, so against the fake Oro and fake Graph in the app's
//! process) under Xvfb. Run with `OROSYNC_TEST_E2E=1` from scripts/e2e.sh,
//! which provides the display and the D-Bus session.

// WebKitWebDriver, Xvfb and process groups: Linux only.
#![cfg(target_os = "linux")]

use fantoccini::{Client, ClientBuilder, Locator};
use orosync::config::{Config, SyncMode};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver(Child);

impl Drop for Driver {
    /// tauri-driver leaves WebKitWebDriver (and the app) behind when it is
    /// killed alone: end its whole process group.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

fn enabled() -> bool {
    std::env::var_os("OROSYNC_TEST_E2E").is_some()
}

async fn start(profile: &Path, demo: &str) -> (Driver, Client) {
    // Two TLS back-ends are in the build; WebDriver is plain HTTP on
    // loopback, but fantoccini's builder wants one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = std::env::var("TAURI_DRIVER_PORT").unwrap_or_else(|_| "4444".into());
    let driver =
        Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
            .args(["--port", &port])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("tauri-driver on the PATH (cargo install tauri-driver --locked)");
    let driver = Driver(driver);
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "tauri:options": {
                "application": env!("CARGO_BIN_EXE_orosync-tray"),
                "args": [demo, "--profile", profile.to_str().unwrap()],
            }
        }))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return (driver, c),
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for tauri-driver: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

/// Wait until the element's text satisfies `ok`; returns that text.
async fn wait_text(c: &Client, loc: Locator<'_>, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(e) = c.find(loc).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting on {loc:?}; last text {last:?}");
}

async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click #{id}: {e}"));
}

async fn type_into(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// The first number of a "created / updated / deleted" cell.
fn created(cell: &str) -> u64 {
    cell.split('/').next().unwrap().trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_persist_and_sync_now_shows_the_run() {
    if !enabled() {
        eprintln!("skipped: set OROSYNC_TEST_E2E=1 and run scripts/e2e.sh");
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start(profile.path(), "--demo-fresh").await;
    let outcome = scenario(&c, profile.path()).await;
    let _ = c.close().await;
    outcome
}

async fn scenario(c: &Client, profile: &Path) {
    wait_text(c, Locator::Id("status"), |t| t.contains("Not synced yet")).await;
    let config = || Config::load(&profile.join("config.toml")).unwrap();

    // Connection tab: the test button signs in to the (fake) Oro.
    click(c, "test-connection").await;
    let t = wait_text(c, Locator::Id("test-result"), |t| {
        t.starts_with("Connected")
    })
    .await;
    assert!(t.contains("as jane"), "{t}");
    assert_eq!(
        config().sync.mode,
        SyncMode::Manual,
        "the demo starts manual"
    );

    // Sync tab: a bad interval is refused inline, naming the key's problem.
    click(c, "tab-sync").await;
    click(c, "mode-automatic").await;
    type_into(c, "interval_seconds", "5").await;
    click(c, "save").await;
    let err = wait_text(c, Locator::Id("err-sync.interval_seconds"), |t| {
        !t.is_empty()
    })
    .await;
    assert!(err.contains("sync.interval_seconds"), "{err}");
    assert_eq!(config().sync.interval_seconds, 120, "nothing saved");

    // A good one is saved to the profile's config.toml.
    type_into(c, "interval_seconds", "600").await;
    click(c, "save").await;
    wait_text(c, Locator::Id("save-result"), |t| t == "Saved.").await;
    let saved = config();
    assert_eq!(
        (saved.sync.mode, saved.sync.interval_seconds),
        (SyncMode::Automatic, 600)
    );

    // Sync now: the history shows the run with the demo's counts.
    click(c, "sync-now").await;
    click(c, "tab-history").await;
    for (kind, oro, outlook) in orosync::demo::first_sync_creates() {
        let row = format!("#history tbody tr[data-kind=\"{kind}\"]");
        let oro_cell =
            wait_text(c, Locator::Css(&format!("{row} td.oro")), |t| !t.is_empty()).await;
        let outlook_cell = c
            .find(Locator::Css(&format!("{row} td.outlook")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            (created(&oro_cell), created(&outlook_cell)),
            (oro as u64, outlook as u64),
            "{kind}: Oro {oro_cell}, Outlook {outlook_cell}"
        );
    }
    let result = c
        .find(Locator::Css("#history tbody tr td:nth-child(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(result, "ok");
    wait_text(c, Locator::Id("status"), |t| t.contains("Last sync")).await;

    // Resync preview: every linked Outlook item would be deleted and made again.
    // Every record of the sample is linked after the first sync: the
    // one-sided ones copied over, and the pairs matched by key.
    use orosync::demo::sample::{CONTACTS, EVENTS, TASKS};
    let total: usize = [CONTACTS, TASKS, EVENTS]
        .iter()
        .map(|s| s.oro_only + s.outlook_only + s.both)
        .sum();
    click(c, "tab-resync").await;
    click(c, "resync-preview").await;
    let text = wait_text(c, Locator::Id("preview-text"), |t| !t.is_empty()).await;
    assert!(
        text.contains(&format!("deletes {total} Outlook item(s)")),
        "{text}"
    );
    click(c, "resync-cancel").await;
    wait_text(c, Locator::Id("resync-result"), |t| {
        t == "Nothing was changed."
    })
    .await;
}

/// `--demo` leaves one conflict pending (ask mode): keep Outlook's version
/// from the window; the run that follows writes it to Oro, and the
/// conflict is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_resolved_in_the_window_is_applied_by_the_next_run() {
    if !enabled() {
        eprintln!("skipped: set OROSYNC_TEST_E2E=1 and run scripts/e2e.sh");
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start(profile.path(), "--demo").await;
    resolve(&c, profile.path()).await;
    let _ = c.close().await;
}

async fn resolve(c: &Client, profile: &Path) {
    wait_text(c, Locator::Id("status"), |t| t.contains("1 to resolve")).await;
    click(c, "tab-conflicts").await;
    let table = wait_text(c, Locator::Css(".conflict table"), |t| {
        t.contains("jobTitle")
    })
    .await;
    assert!(
        table.contains("Chief Financial Officer") && table.contains("Finance Director"),
        "{table}"
    );
    let runs_before = orosync::state::State::open(&profile.join("state.sqlite3"))
        .unwrap()
        .runs(10)
        .unwrap()
        .len();
    c.find(Locator::Css(".conflict button.keep-outlook"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The choice asks for a run; after it nothing is pending any more.
    wait_text(c, Locator::Id("conflicts-empty"), |t| {
        t == "No pending conflicts."
    })
    .await;
    wait_text(c, Locator::Id("status"), |t| {
        t.contains("Last sync") && !t.contains("to resolve")
    })
    .await;
    let state = orosync::state::State::open(&profile.join("state.sqlite3")).unwrap();
    let runs = state.runs(10).unwrap();
    assert_eq!(runs.len(), runs_before + 1);
    assert!(state.pending(None).unwrap().is_empty());
    let last = runs[0].summary.as_ref().unwrap();
    assert_eq!(
        last["kinds"]["contacts"]["oro"]["updated"], 1,
        "Outlook's version was written to Oro: {last}"
    );
    click(c, "tab-history").await;
    let first_row = wait_text(c, Locator::Css("#history tbody tr"), |t| !t.is_empty()).await;
    assert!(first_row.contains("0 / 1 / 0"), "{first_row}");
}

/// "Start OroSync when I log in" on the Sync tab writes the XDG autostart
/// entry naming this binary, and unticking it removes the entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_from_the_sync_tab() {
    if !enabled() {
        eprintln!("skipped: set OROSYNC_TEST_E2E=1 and run scripts/e2e.sh");
        return;
    }
    // scripts/e2e.sh points XDG_CONFIG_HOME at its throw-away folder.
    let config_home =
        std::env::var_os("XDG_CONFIG_HOME").expect("XDG_CONFIG_HOME (scripts/e2e.sh)");
    let entry = Path::new(&config_home).join("autostart/orosync-tray.desktop");
    let _ = std::fs::remove_file(&entry);
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start(profile.path(), "--demo-fresh").await;
    let outcome = start_at_login(&c, &entry).await;
    let _ = c.close().await;
    outcome
}

async fn start_at_login(c: &Client, entry: &Path) {
    click(c, "tab-sync").await;
    click(c, "autostart").await;
    wait_text(c, Locator::Id("autostart-result"), |t| {
        t.contains("will start when you log in")
    })
    .await;
    let text = std::fs::read_to_string(entry).expect("the autostart entry");
    let exec = format!("Exec=\"{}\"\n", env!("CARGO_BIN_EXE_orosync-tray"));
    assert!(text.contains(&exec), "{text}");
    click(c, "autostart").await;
    wait_text(c, Locator::Id("autostart-result"), |t| {
        t.contains("will not start")
    })
    .await;
    assert!(!entry.exists());
}
