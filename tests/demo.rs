//! The built-in demo, as a library (what the tray's `--demo` uses) and as
//! `orosync demo` run as a process.

use orosync::demo::Demo;
use orosync::model::Kind;
use orosync_testkit::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_creates_updates_a_deletion_and_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start_in(dir.path()).await.unwrap();
    let report = demo.run().await.unwrap();
    let first = &report.first;
    assert!(first.ok, "{first:?}");
    let c = &first.kinds[&Kind::Contacts];
    let s = orosync::demo::sample::CONTACTS;
    assert_eq!(
        c.outlook.created, s.oro_only,
        "Oro-only contacts reach Outlook"
    );
    assert_eq!(
        c.oro.created, s.outlook_only,
        "Outlook-only contacts reach Oro"
    );
    // Outlook updates: the link stamped on items just created in Oro, and
    // the pairs matched by key taking Oro's values.
    assert_eq!(c.outlook.updated, s.outlook_only + s.both);
    // No duplicates: every record once on each side.
    assert_eq!(
        demo.oro.all(Kind::Contacts).len(),
        s.oro_only + s.outlook_only + s.both
    );
    assert_eq!(
        demo.graph.all(Kind::Contacts).len(),
        s.oro_only + s.outlook_only + s.both
    );

    let second = &report.second;
    assert!(second.ok, "{second:?}");
    assert_eq!(second.conflicts.len(), 1, "{second:?}");
    let c2 = &second.kinds[&Kind::Contacts];
    assert_eq!(c2.outlook.deleted, 1, "the Oro deletion reached Outlook");
    assert_eq!(c2.oro.created, 1, "the new Outlook contact reached Oro");
    assert!(c2.oro.updated >= 1 && c2.outlook.updated >= 1, "{c2:?}");
    assert_eq!(second.kinds[&Kind::Tasks].outlook.updated, 1);
    assert_eq!(second.kinds[&Kind::Events].oro.updated, 1);
    let text = report.describe();
    assert!(text.contains("conflict"), "{text}");
    assert!(text.contains("deleted in Outlook"), "{text}");

    // The config points at the fakes and holds no secret.
    let cfg = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(cfg.contains(&demo.oro_url) && cfg.contains(&demo.graph_url));
    for line in demo.env_exports() {
        let value = line.split('\'').nth(1).unwrap();
        assert!(!cfg.contains(value), "a secret in config.toml");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_oro_faxes_reach_outlooks_business_fax() {
    use orosync::model::Item;
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start_in(dir.path()).await.unwrap();
    let report = demo.run().await.unwrap();
    assert!(report.first.ok, "{:?}", report.first);
    let fax_of = |i: &Item| match i {
        Item::Contacts(c) => c.fax.clone(),
        _ => None,
    };
    let oro: std::collections::BTreeMap<String, Option<String>> = demo
        .oro
        .records(Kind::Contacts)
        .into_iter()
        .map(|r| (r.id, fax_of(&r.item)))
        .collect();
    let outlook = demo.graph.items(Kind::Contacts);
    let mut with_fax = 0;
    for x in &outlook {
        let id = x.link.as_ref().expect("every contact linked");
        assert_eq!(fax_of(&x.item), oro[id], "contact {id}");
        with_fax += usize::from(fax_of(&x.item).is_some());
    }
    assert!(with_fax > 0, "the sample has faxes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_oro_addresses_reach_outlooks_business_and_home_address() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start_in(dir.path()).await.unwrap();
    let report = demo.run().await.unwrap();
    assert!(report.first.ok, "{:?}", report.first);
    let mut with = 0;
    for x in demo.graph.all(Kind::Contacts) {
        let id = x["id"].as_str().unwrap();
        let Some(oro) = demo.graph.link_of(id) else {
            continue;
        };
        let list = demo.oro.addresses_of(&oro);
        let of = |t: &str| list.iter().find(|a| a.types.contains(t));
        for (prop, ty) in [("businessAddress", "billing"), ("homeAddress", "shipping")] {
            let city = x[prop]["city"].as_str().unwrap_or_default();
            match of(ty) {
                Some(a) => {
                    assert_eq!(Some(city), a.attr_str("city"), "{oro} {prop}");
                    assert_eq!(x[prop]["countryOrRegion"], "United States of America");
                    with += 1;
                }
                None => assert_eq!(city, "", "{oro} {prop}"),
            }
        }
    }
    assert!(with > 0, "the sample has addresses");
}

/// `orosync demo` as a user runs it: the servers stay up, and the printed
/// profile and `export` lines are all a second `orosync sync` needs.
#[test]
fn a_second_orosync_sync_works_against_the_running_demo() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_orosync"))
        .arg("demo")
        // The profile goes under this test's temporary folder.
        .env("TMPDIR", tmp.path())
        // No keyring here: the demo must print the export lines.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        printed.push_str(&line);
        if line.contains("Ctrl-C") {
            break;
        }
        line.clear();
    }
    let profile = printed
        .lines()
        .find_map(|l| l.strip_prefix("Profile folder: "))
        .unwrap_or_else(|| panic!("no profile line in:\n{printed}"))
        .trim()
        .to_string();
    assert!(
        profile.starts_with(tmp.path().to_str().unwrap()),
        "{profile}"
    );
    let exports: Vec<(String, String)> = printed
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.trim_matches('\'').to_string())
        })
        .collect();
    assert_eq!(exports.len(), 2, "API key and refresh token:\n{printed}");

    let second = Command::new(env!("CARGO_BIN_EXE_orosync"))
        .args(["--profile", &profile, "sync", "--json"])
        .envs(exports.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}\n{stdout}",
        String::from_utf8_lossy(&second.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["ok"], true);
    // Nothing changed since the demo's second sync: no writes.
    for k in v["kinds"].as_object().unwrap().values() {
        for side in ["oro", "outlook"] {
            for what in ["created", "updated", "deleted"] {
                assert_eq!(k[side][what], 0, "{v}");
            }
        }
    }
    // The demo's secrets are in no file of the profile.
    for (_, secret) in &exports {
        for f in walk(std::path::Path::new(&profile)) {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret.as_str()),
                "a secret in {}",
                f.display()
            );
        }
    }
}

#[test]
fn demo_no_wait_stops_after_the_second_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_orosync"))
        .args(["demo", "--no-wait"])
        .env("TMPDIR", tmp.path())
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Second sync:"), "{stdout}");
    assert!(stdout.contains("conflict"), "{stdout}");
    assert!(
        stdout.contains("Oro:            http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Graph:          http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(!stdout.contains("Ctrl-C"), "{stdout}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// With a Secret Service (CI runs one under OROSYNC_TEST_KEYRING=1), the
/// demo's secrets go to the keyring and a second process needs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_keyring_the_second_sync_needs_no_variables() {
    if std::env::var("OROSYNC_TEST_KEYRING").as_deref() != Ok("1") {
        eprintln!("skipped: set OROSYNC_TEST_KEYRING=1 with a Secret Service running");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start_in(dir.path()).await.unwrap();
    demo.run().await.unwrap();
    assert_eq!(
        demo.hand_off_secrets(),
        orosync::demo::SecretsHandOff::Keyring
    );
    let profile = demo.profile_dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_orosync"))
            .arg("--profile")
            .arg(&profile)
            .args(["sync", "--json"])
            .env_remove("OROSYNC_ORO_API_KEY")
            .env_remove("OROSYNC_OUTLOOK_REFRESH_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use orosync::secrets::SecretStore;
    let ks = orosync::secrets::KeyringStore::new(demo.profile_dir.display().to_string());
    for (name, _) in orosync::secrets::ENV_VARS {
        ks.delete(name).unwrap();
    }
}

/// The progress hook sees each kind read, then its writes counted down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reports_reads_and_writes_counted_down_per_kind() {
    use orosync::engine::Progress;
    use std::sync::Mutex;
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start_in(dir.path()).await.unwrap();
    let app = demo.app().unwrap();
    let seen: Mutex<Vec<Progress>> = Mutex::new(vec![]);
    let record = |p: &Progress| seen.lock().unwrap().push(*p);
    let req = orosync::app::SyncRequest {
        confirmed: true,
        ..Default::default()
    };
    let summary = app.sync_reporting(&req, || {}, &record).await.unwrap();
    assert!(summary.ok);
    let seen = seen.into_inner().unwrap();
    for kind in Kind::ALL {
        let of: Vec<&Progress> = seen.iter().filter(|p| p.kind == kind).collect();
        assert!(of.len() >= 2, "{kind}: {of:?}");
        let total = of[0].remaining;
        assert_eq!(of[0].written, 0);
        assert!(of[0].read > 0 && total > 0, "{kind}: {:?}", of[0]);
        assert!(of.iter().all(|p| p.written + p.remaining == total));
        assert!(of.windows(2).all(|w| w[0].written <= w[1].written));
        assert_eq!(of.last().unwrap().remaining, 0, "{kind}");
        let k = &summary.kinds[&kind];
        assert!(total >= k.oro.created + k.outlook.created, "{kind}");
    }
}
