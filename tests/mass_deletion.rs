//! The mass-deletion guard (docs/reliability.md "Deletion guard") through
//! `orosync sync` as a process against the fake servers: more than half of
//! a kind's linked items gone from Oro (and at least 10) deletes nothing of
//! that kind, exits 2 with one line naming the count, the kind and the
//! side, says so in `--json` and `--dry-run`, asks again on every run until
//! `--yes` deletes or `--keep` keeps; the other kinds sync meanwhile.

mod support;

use orosync::model::{Kind, Priority};
use orosync_testkit::prelude::*;
use orosync_testkit::{contact, task};
use serde_json::Value;
use support::World;

/// 20 linked contacts and a linked task, after a first sync.
async fn twenty_linked_contacts() -> (World, Vec<String>) {
    let w = World::new().await;
    let ids: Vec<String> = (1..=20)
        .map(|n| w.oro.user_create(&contact(&format!("Ann{n:02}"), "Lee")))
        .collect();
    w.oro.user_create(&task("Call Bob", Priority::High));
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(w.graph.items(Kind::Contacts).len(), 20);
    (w, ids)
}

fn summary(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mass_deletion_asks_until_decided_and_yes_deletes() {
    let (w, ids) = twenty_linked_contacts().await;
    for id in &ids[..11] {
        assert!(w.oro.user_delete(Kind::Contacts, id));
    }
    // Another kind's change goes on while contacts wait.
    let task_id = w.oro.records(Kind::Tasks)[0].id.clone();
    assert!(w.oro.user_edit_item(Kind::Tasks, &task_id, |i| {
        orosync_testkit::edit_note(i, "edited in Oro")
    }));

    let before = w.picture().outlook;
    let r = w.run(&["sync", "--json"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("orosync: "))
        .collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].starts_with(
            "orosync: 11 of 20 linked contacts are gone from Oro; syncing would delete them in Outlook. \
             Run again with --yes to delete them"
        ),
        "{}",
        lines[0]
    );
    let s = summary(&r.stdout);
    assert_eq!(s["ok"], false);
    let g = &s["guard"][0];
    assert_eq!(
        (&g["kind"], &g["side"], &g["count"], &g["linked"]),
        (
            &Value::from("contacts"),
            &Value::from("oro"),
            &Value::from(11),
            &Value::from(20)
        )
    );
    assert_eq!(g["items"].as_array().unwrap().len(), 11);
    assert_eq!(g["items"][0]["name"], "Ann01 Lee");
    assert_eq!(s["kinds"]["contacts"]["outlook"]["deleted"], 0);
    assert_eq!(s["kinds"]["tasks"]["outlook"]["updated"], 1, "tasks synced");
    let after = w.picture().outlook;
    assert_eq!(
        after.iter().filter(|l| l.starts_with("contacts")).count(),
        20,
        "no contact deleted"
    );
    assert_ne!(before, after, "the task's edit reached Outlook");

    // `orosync status` says the last run waits for a choice.
    let st = w.run(&["status"]).await;
    assert!(
        st.stdout
            .contains("deleting 11 contacts in Outlook waits for `orosync sync --yes`"),
        "{}",
        st.stdout
    );

    // Undecided: the next run asks again and changes nothing.
    let picture = w.picture();
    let r = w.run(&["sync", "--json"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(summary(&r.stdout)["guard"][0]["count"], 11);
    assert_eq!(w.picture(), picture);

    // A dry run shows it too.
    let r = w.run(&["sync", "--dry-run"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("held: 11 of 20 linked contacts"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Ann01 Lee"), "{}", r.stdout);
    assert_eq!(w.picture(), picture);

    // --yes: deleted.
    let r = w.run(&["sync", "--json", "--yes"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        summary(&r.stdout)["kinds"]["contacts"]["outlook"]["deleted"],
        11
    );
    assert_eq!(w.graph.items(Kind::Contacts).len(), 9);
    let r = w.run(&["sync", "--json"]).await;
    assert_eq!(r.code, 0, "decided: {}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mass_deletion_keep_creates_the_items_again_in_oro() {
    let (w, ids) = twenty_linked_contacts().await;
    for id in &ids[..12] {
        assert!(w.oro.user_delete(Kind::Contacts, id));
    }
    let r = w.run(&["sync", "--json", "--keep"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = summary(&r.stdout);
    assert_eq!(s["kinds"]["contacts"]["oro"]["created"], 12);
    assert_eq!(s["kinds"]["contacts"]["outlook"]["deleted"], 0);
    assert_eq!(w.oro.records(Kind::Contacts).len(), 20);
    assert_eq!(w.graph.items(Kind::Contacts).len(), 20);
    assert!(
        !w.picture()
            .outlook
            .iter()
            .any(|l| l.contains("missing Oro record")),
        "every Outlook contact points at an Oro record"
    );
    assert!(w.doubly_linked().is_empty());
    // Nothing left to ask.
    let r = w.run(&["sync", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(summary(&r.stdout).get("guard").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_half_gone_is_deleted_without_asking() {
    let (w, ids) = twenty_linked_contacts().await;
    for id in &ids[..10] {
        assert!(w.oro.user_delete(Kind::Contacts, id));
    }
    let r = w.run(&["sync", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        summary(&r.stdout)["kinds"]["contacts"]["outlook"]["deleted"],
        10
    );
}
