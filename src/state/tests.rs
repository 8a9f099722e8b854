use super::*;
use crate::model::{Contact, Item};
use chrono::TimeZone;

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap()
}

fn contact(first: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(first.into()),
        ..Default::default()
    })
}

fn oro(id: &str) -> OroRecord {
    OroRecord {
        id: id.into(),
        created_at: t(0),
        updated_at: t(1),
        recurring: false,
        item: contact("Ann"),
    }
}

fn outlook(id: &str) -> OutlookItem {
    OutlookItem {
        id: id.into(),
        created_at: t(0),
        modified_at: t(2),
        link: None,
        recurring: false,
        item: contact("Ann"),
    }
}

#[test]
fn links_round_trip_and_replace_by_either_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = State::open(&dir.path().join("state.sqlite3")).unwrap();
    s.put_link(Kind::Contacts, &oro("1"), &outlook("A"))
        .unwrap();
    s.put_link(Kind::Contacts, &oro("1"), &outlook("B"))
        .unwrap();
    let links = s.links(Kind::Contacts).unwrap();
    assert_eq!(
        links.len(),
        1,
        "a re-created Outlook item replaces the old link"
    );
    assert_eq!(links[0].outlook_id, "B");
    assert_eq!(links[0].oro_hash, contact("Ann").hash());
    assert_eq!(links[0].oro_version, Some(t(1)));
    assert!(s.links(Kind::Tasks).unwrap().is_empty());
    assert!(s.check().unwrap().is_empty());
}

#[test]
fn kind_state_tracks_first_sync_watermark_and_cursor() {
    let mut s = State::in_memory().unwrap();
    assert_eq!(s.kind_state(Kind::Events).unwrap(), KindState::default());
    s.finish_kind(
        Kind::Events,
        Some(t(5)),
        Some("https://graph/delta?$deltatoken=x"),
    )
    .unwrap();
    let k = s.kind_state(Kind::Events).unwrap();
    assert!(k.first_sync_done && k.purge_done);
    assert_eq!(k.oro_watermark, Some(t(5)));
    // A later run that read nothing keeps the old watermark.
    s.finish_kind(Kind::Events, None, None).unwrap();
    assert_eq!(
        s.kind_state(Kind::Events).unwrap().oro_watermark,
        Some(t(5))
    );
    s.begin_resync(Kind::Events).unwrap();
    assert_eq!(s.kind_state(Kind::Events).unwrap(), KindState::default());
}

#[test]
fn pending_conflicts_resolve_and_clear() {
    let mut s = State::in_memory().unwrap();
    s.put_link(Kind::Contacts, &oro("61"), &outlook("A"))
        .unwrap();
    let v = serde_json::json!({"jobTitle": "CFO"});
    s.add_pending(Kind::Contacts, "61", "A", t(3), &v, &v)
        .unwrap();
    let p = s.pending(None).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].oro, v);
    assert!(s.resolve(p[0].id, Side::Outlook).unwrap());
    assert!(!s.resolve(p[0].id + 100, Side::Oro).unwrap(), "unknown id");
    assert_eq!(
        s.pending_for_planner(Kind::Contacts).unwrap()[0].resolution,
        Some(Side::Outlook)
    );
    s.clear_pending(p[0].id).unwrap();
    assert!(s.pending(None).unwrap().is_empty());
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE future(x); PRAGMA user_version = 7;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = State::open(&path).err().expect("refused");
    assert!(matches!(err, StateError::TooNew { found: 7, .. }), "{err}");
    assert!(err.to_string().contains("newer version"), "{err}");
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the file is not modified"
    );
}

#[test]
fn runs_are_listed_newest_first() {
    let mut s = State::in_memory().unwrap();
    let a = s.start_run(t(0)).unwrap();
    s.finish_run(a, t(1), 0, &serde_json::json!({"ok": true}))
        .unwrap();
    let b = s.start_run(t(2)).unwrap();
    let runs = s.runs(10).unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![b, a]);
    assert_eq!(runs[1].exit, Some(0));
    assert_eq!(runs[0].finished_at, None);
}

#[test]
fn unlinked_cache_and_retries_round_trip() {
    let mut s = State::in_memory().unwrap();
    s.remember_unlinked(
        Kind::Contacts,
        &[Candidate::Oro(oro("5")), Candidate::Outlook(outlook("X"))],
        &[],
    )
    .unwrap();
    assert_eq!(s.unlinked(Kind::Contacts).unwrap().len(), 2);
    s.remember_unlinked(Kind::Contacts, &[], &[(Side::Oro, "5".into())])
        .unwrap();
    assert_eq!(
        s.unlinked(Kind::Contacts).unwrap(),
        vec![Candidate::Outlook(outlook("X"))]
    );
    s.add_retry(Kind::Tasks, Side::Oro, "9").unwrap();
    s.add_retry(Kind::Tasks, Side::Oro, "9").unwrap();
    assert_eq!(
        s.retries(Kind::Tasks).unwrap(),
        vec![(Side::Oro, "9".to_string())]
    );
    s.clear_retries(Kind::Tasks, &[(Side::Oro, "9".into())])
        .unwrap();
    assert!(s.retries(Kind::Tasks).unwrap().is_empty());
}

#[test]
fn links_touching_reads_only_the_links_of_the_given_ids() {
    let mut s = State::in_memory().unwrap();
    for n in 1..=5 {
        s.put_link(
            Kind::Contacts,
            &oro(&n.to_string()),
            &outlook(&format!("X{n}")),
        )
        .unwrap();
    }
    // Another kind's link is not read.
    s.put_link(Kind::Tasks, &oro("1"), &outlook("T1")).unwrap();
    let mut ids = s.linked_oro_ids(Kind::Contacts).unwrap();
    ids.sort();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    let got = s
        .links_touching(Kind::Contacts, ["4", "2", "9", "2"], ["X2", "X5", "T1"])
        .unwrap();
    let pairs: Vec<(&str, &str)> = got
        .iter()
        .map(|l| (l.oro_id.as_str(), l.outlook_id.as_str()))
        .collect();
    assert_eq!(pairs, [("2", "X2"), ("4", "X4"), ("5", "X5")]);
    assert_eq!(got[0], s.links(Kind::Contacts).unwrap()[1]);
    // Ids only: which of these are linked (T1 is a task's Outlook id).
    let (oro, outlook) = s
        .linked_among(Kind::Contacts, ["1", "9"], ["X2", "T1", "X7"])
        .unwrap();
    assert_eq!(oro.into_iter().collect::<Vec<_>>(), ["1"]);
    assert_eq!(outlook.into_iter().collect::<Vec<_>>(), ["X2"]);
}

#[test]
fn the_delta_window_is_saved_with_its_cursor() {
    let mut s = State::in_memory().unwrap();
    let w = Window {
        from: t(0),
        to: t(86_400),
    };
    s.finish_kind_in(
        Kind::Events,
        None,
        Some("https://graph/delta?$deltatoken=a"),
        Some(&w),
    )
    .unwrap();
    assert_eq!(s.kind_state(Kind::Events).unwrap().outlook_window, Some(w));
    // A run that keeps the cursor keeps its window too.
    s.finish_kind_in(Kind::Events, None, None, None).unwrap();
    assert_eq!(s.kind_state(Kind::Events).unwrap().outlook_window, Some(w));
    s.begin_resync(Kind::Events).unwrap();
    assert_eq!(s.kind_state(Kind::Events).unwrap().outlook_window, None);
}

#[test]
fn a_cursor_saved_before_windows_were_kept_has_no_window_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite3");
    {
        // Schema 1 as the previous version left it.
        let mut c = rusqlite::Connection::open(&path).unwrap();
        migrations::migrations().to_version(&mut c, 1).unwrap();
        c.execute(
            "INSERT INTO kind_state(kind, first_sync_done, purge_done, outlook_cursor)
             VALUES ('events', 1, 1, 'https://graph/delta?$deltatoken=old')",
            [],
        )
        .unwrap();
    }
    let s = State::open(&path).unwrap();
    let k = s.kind_state(Kind::Events).unwrap();
    assert_eq!(
        k.outlook_cursor.as_deref(),
        Some("https://graph/delta?$deltatoken=old")
    );
    assert_eq!(
        k.outlook_window, None,
        "unknown: the next run starts the delta again"
    );
}
