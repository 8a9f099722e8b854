//! Contract tests of the Oro client against the fake Oro: every operation,
//! every error class, both authentication schemes.

mod support;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Duration as TimeDelta, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use orosync::clock::{Clock, ManualClock};
use orosync::model::{Contact, Event, Gender, Item, Kind, Priority, Task, TaskStatus, When};
use orosync::oro::{
    wsse_headers, BrowserLogin, ContactsScope, OAuthTokens, OroAuth, OroClient, OroConfig, Secret,
};
use orosync::sides::{OroStore, StoreError, Window};
use orosync_fakes::oro::{FakeOro, FakeOroOptions, Fault, CONTACTS};
use orosync_testkit::prelude::*;
use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ------------------------------------------------------------ helpers

async fn fake_with(f: impl FnOnce(&mut FakeOroOptions)) -> FakeOro {
    support::fake_oro_with(f).await
}

async fn fake() -> FakeOro {
    fake_with(|_| {}).await
}

fn config(fake: &FakeOro) -> OroConfig {
    support::oro_config(fake, Some(5))
}

fn client(fake: &FakeOro) -> OroClient {
    OroClient::new(config(fake)).expect("client")
}

fn client_with(fake: &FakeOro, f: impl FnOnce(&mut OroConfig)) -> OroClient {
    let mut c = config(fake);
    f(&mut c);
    OroClient::new(c).expect("client")
}

fn window() -> Window {
    Window::around(Utc::now(), 30, 365)
}

fn contact(first: &str, last: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        ..Default::default()
    })
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn berlin() -> Tz {
    "Europe/Berlin".parse().unwrap()
}

fn attrs(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn owned_by(owner: &str, assigned: Option<&str>) -> BTreeMap<String, Option<(String, String)>> {
    let mut m = BTreeMap::new();
    m.insert("owner".into(), Some(("users".into(), owner.into())));
    if let Some(a) = assigned {
        m.insert("assignedTo".into(), Some(("users".into(), a.into())));
    }
    m
}

fn requests_matching(fake: &FakeOro, needle: &str) -> Vec<String> {
    fake.stats()
        .log
        .into_iter()
        .filter(|l| l.contains(needle))
        .collect()
}

// ------------------------------------------------------------ contacts

/// A contact with every mapped field set.
fn every_field() -> Contact {
    Contact {
        name_prefix: Some("Dr.".into()),
        first_name: Some("Ann".into()),
        middle_name: Some("B.".into()),
        last_name: Some("Lee".into()),
        name_suffix: Some("Jr.".into()),
        gender: Some(Gender::Female),
        birthday: Some(date(1973, 3, 7)),
        job_title: Some("CTO".into()),
        description: Some("met at the fair".into()),
        emails: vec!["ann@x.org".into(), "lee@y.org".into()],
        primary_phone: Some("+1 555 0100".into()),
        fax: Some("+1 555 0109".into()),
        // Addresses are their own resource, written after the contact:
        // tests/oro_addresses.rs and the scenarios.
        addresses: vec![],
    }
}

#[tokio::test]
async fn contact_create_get_update_round_trip() {
    let fake = fake().await;
    let oro = client(&fake);
    let item = Item::Contacts(Contact {
        fax: None,
        ..every_field()
    });
    let created = oro.create(&item).await.unwrap();
    assert_eq!(created.item, item);
    assert!(!created.recurring);

    // What Oro stores: lists of {email}/{phone}, owner = the signed-in user.
    let rec = fake.record(Kind::Contacts, &created.id).unwrap();
    assert_eq!(
        rec.attributes["emails"],
        json!([{"email": "ann@x.org"}, {"email": "lee@y.org"}])
    );
    assert_eq!(rec.attributes["phones"], json!([{"phone": "+1 555 0100"}]));
    assert_eq!(rec.attributes["birthday"], json!("1973-03-07"));
    assert_eq!(rec.rel("owner"), Some("1"));
    assert_eq!(fake.writes().created, 1);

    let got = oro.get(Kind::Contacts, &created.id).await.unwrap().unwrap();
    assert_eq!(got.item, item);
    assert_eq!(got.updated_at, created.updated_at);

    // A user adds a second phone in Oro; an update of the primary one keeps it.
    fake.user_edit(Kind::Contacts, &created.id, |r| {
        r.attributes.insert(
            "phones".into(),
            json!([{"phone": "+1 555 0100"}, {"phone": "+1 555 0199"}]),
        );
    });
    let Item::Contacts(mut c) = item.clone() else {
        unreachable!()
    };
    c.gender = None;
    c.birthday = None;
    c.emails = vec!["lee@y.org".into(), "new@z.org".into()];
    c.primary_phone = Some("+1 555 0199".into());
    let updated = oro
        .update(&created.id, &Item::Contacts(c.clone()))
        .await
        .unwrap();
    assert_eq!(updated.item, Item::Contacts(c));
    let rec = fake.record(Kind::Contacts, &created.id).unwrap();
    assert_eq!(
        rec.attributes["phones"],
        json!([{"phone": "+1 555 0199"}, {"phone": "+1 555 0100"}])
    );
    assert_eq!(rec.attributes["gender"], Value::Null);
    assert_eq!(fake.writes().updated, 1);
}

#[tokio::test]
async fn contact_fax_is_oros_fax_attribute_written_read_and_cleared() {
    let fake = fake().await;
    let oro = client(&fake);
    let Item::Contacts(mut c) = contact("Fay", "Fax") else {
        unreachable!()
    };
    c.fax = Some("+49 30 9999".into());
    let created = oro.create(&Item::Contacts(c.clone())).await.unwrap();
    assert_eq!(created.item, Item::Contacts(c.clone()));
    let rec = fake.record(Kind::Contacts, &created.id).unwrap();
    assert_eq!(rec.attributes["fax"], json!("+49 30 9999"));

    // A fax typed in Oro is read.
    fake.user_edit(Kind::Contacts, &created.id, |r| {
        r.attributes.insert("fax".into(), json!("+1 555 0111"));
    });
    let got = oro.get(Kind::Contacts, &created.id).await.unwrap().unwrap();
    let Item::Contacts(g) = &got.item else {
        unreachable!()
    };
    assert_eq!(g.fax.as_deref(), Some("+1 555 0111"));

    // Cleared from Outlook: Oro's fax is emptied.
    c.fax = None;
    oro.update(&created.id, &Item::Contacts(c)).await.unwrap();
    let rec = fake.record(Kind::Contacts, &created.id).unwrap();
    assert_eq!(rec.attributes["fax"], Value::Null);
}

#[tokio::test]
async fn missing_records_get_none_and_update_not_found() {
    let fake = fake().await;
    let oro = client(&fake);
    for kind in Kind::ALL {
        assert_eq!(oro.get(kind, "999").await.unwrap(), None, "{kind}");
    }
    let e = oro.update("999", &contact("A", "B")).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    let t = Item::Tasks(Task {
        subject: "x".into(),
        ..Default::default()
    });
    let e = oro.update("999", &t).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    let ev = Item::Events(Event {
        title: "x".into(),
        description: None,
        when: When::Timed {
            start: Utc::now(),
            end: Utc::now() + TimeDelta::hours(1),
        },
    });
    let e = oro.update("999", &ev).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    assert_eq!(fake.writes().total(), 0);
}

#[tokio::test]
async fn ids_are_percent_escaped_in_urls() {
    let fake = fake().await;
    let oro = client(&fake);
    assert_eq!(oro.get(Kind::Contacts, "1/../2?x=&y").await.unwrap(), None);
    assert_eq!(oro.get(Kind::Events, "3/4").await.unwrap(), None);
    let log = fake.stats().log;
    assert!(
        log.iter()
            .any(|l| l == "GET /api/contacts/1%2F..%2F2%3Fx%3D%26y"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l == "GET /api/rest/latest/calendarevents/3%2F4"),
        "{log:?}"
    );
}

#[tokio::test]
async fn contacts_scope_mine_is_owner_or_assigned_and_all_is_everything() {
    let fake = fake().await;
    let (mine, assigned, other, both) = fake.data(|d| {
        let a = |n: &str| attrs(json!({"firstName": n}));
        (
            d.insert_raw(CONTACTS, a("Mine"), owned_by("1", None)),
            d.insert_raw(CONTACTS, a("Assigned"), owned_by("2", Some("1"))),
            d.insert_raw(CONTACTS, a("Other"), owned_by("2", None)),
            d.insert_raw(CONTACTS, a("Both"), owned_by("1", Some("1"))),
        )
    });
    let oro = client(&fake);
    let ids = |v: Vec<orosync::model::OroRecord>| -> Vec<String> {
        v.into_iter().map(|r| r.id).collect()
    };
    let got = ids(oro
        .changed_since(Kind::Contacts, None, &window())
        .await
        .unwrap());
    let mut want: Vec<String> = [mine, assigned, both].iter().map(u64::to_string).collect();
    let mut sorted = got.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want, "each once: {got:?}");
    let mut listed = oro.list_ids(Kind::Contacts, &window()).await.unwrap();
    listed.sort();
    assert_eq!(listed, want);
    assert!(!requests_matching(&fake, "filter[owner]=1").is_empty());
    assert!(!requests_matching(&fake, "filter[assignedTo]=1").is_empty());

    let all = client_with(&fake, |c| c.contacts_scope = ContactsScope::All);
    let got = ids(all
        .changed_since(Kind::Contacts, None, &window())
        .await
        .unwrap());
    assert_eq!(got.len(), 4);
    assert!(got.contains(&other.to_string()));
    assert_eq!(
        all.list_ids(Kind::Contacts, &window()).await.unwrap().len(),
        4
    );
}

#[tokio::test]
async fn validation_errors_are_rejected_with_a_readable_reason() {
    let fake = fake().await;
    let oro = client(&fake);
    let e = oro
        .create(&Item::Contacts(Contact::default()))
        .await
        .unwrap_err();
    match e {
        StoreError::Rejected(r) => assert!(r.contains("At least one of the fields"), "{r}"),
        other => panic!("{other:?}"),
    }
    let bad_email = Item::Contacts(Contact {
        first_name: Some("A".into()),
        emails: vec!["not-an-address".into()],
        ..Default::default()
    });
    match oro.create(&bad_email).await.unwrap_err() {
        StoreError::Rejected(r) => {
            assert!(
                r.contains("email: This value is not a valid email address."),
                "{r}"
            )
        }
        other => panic!("{other:?}"),
    }
    let no_subject = Item::Tasks(Task {
        subject: "  ".into(),
        ..Default::default()
    });
    match oro.create(&no_subject).await.unwrap_err() {
        StoreError::Rejected(r) => {
            assert_eq!(r, "subject: This value should not be blank.")
        }
        other => panic!("{other:?}"),
    }
    assert!(oro.create(&no_subject).await.unwrap_err().is_item_level());
    assert_eq!(fake.writes().total(), 0);
}

// ------------------------------------------------------------ tasks

#[tokio::test]
async fn task_round_trip_with_due_dates_in_the_users_zone() {
    let fake = fake_with(|o| o.time_zone = berlin()).await;
    let oro = client_with(&fake, |c| c.time_zone = berlin());
    let task = Task {
        subject: "Call Ann".into(),
        description: Some("about the offer".into()),
        priority: Priority::High,
        status: TaskStatus::InProgress,
        due_date: Some(date(2024, 5, 7)),
    };
    let created = oro.create(&Item::Tasks(task.clone())).await.unwrap();
    // Oro's task workflow creates tasks open; the status moves after.
    let created = oro
        .move_task_status(&created.id, task.status)
        .await
        .unwrap();
    assert_eq!(created.item, Item::Tasks(task.clone()));
    let rec = fake.record(Kind::Tasks, &created.id).unwrap();
    // A new due date is 00:00 in the user's zone.
    assert_eq!(rec.attributes["dueDate"], json!("2024-05-06T22:00:00Z"));
    assert_eq!(rec.rel("taskPriority"), Some("high"));
    assert_eq!(rec.rel("status"), Some("in_progress"));
    assert_eq!(rec.rel("owner"), Some("1"));

    // The user sets a time of day in Oro (15:15 in Berlin).
    fake.user_edit(Kind::Tasks, &created.id, |r| {
        r.attributes
            .insert("dueDate".into(), json!("2024-05-07T13:15:00Z"));
    });
    let got = oro.get(Kind::Tasks, &created.id).await.unwrap().unwrap();
    assert_eq!(got.item, Item::Tasks(task.clone()));

    // Outlook moves the date to winter: Oro keeps 15:15 local.
    let moved = Task {
        due_date: Some(date(2024, 12, 3)),
        status: TaskStatus::Closed,
        priority: Priority::Low,
        ..task.clone()
    };
    oro.update(&created.id, &Item::Tasks(moved.clone()))
        .await
        .unwrap();
    let upd = oro
        .move_task_status(&created.id, moved.status)
        .await
        .unwrap();
    assert_eq!(upd.item, Item::Tasks(moved.clone()));
    let rec = fake.record(Kind::Tasks, &created.id).unwrap();
    assert_eq!(rec.attributes["dueDate"], json!("2024-12-03T14:15:00Z"));
    assert_eq!(rec.rel("status"), Some("closed"));
    assert_eq!(rec.rel("taskPriority"), Some("low"));

    // The same date again keeps Oro's exact value; none clears it.
    oro.update(&created.id, &Item::Tasks(moved.clone()))
        .await
        .unwrap();
    let rec = fake.record(Kind::Tasks, &created.id).unwrap();
    assert_eq!(rec.attributes["dueDate"], json!("2024-12-03T14:15:00Z"));
    let cleared = Task {
        due_date: None,
        ..moved
    };
    oro.update(&created.id, &Item::Tasks(cleared))
        .await
        .unwrap();
    let rec = fake.record(Kind::Tasks, &created.id).unwrap();
    assert_eq!(rec.attributes["dueDate"], Value::Null);
}

#[tokio::test]
async fn tasks_are_the_users_own() {
    let fake = fake().await;
    let mine = fake.user_create(&Item::Tasks(Task {
        subject: "mine".into(),
        ..Default::default()
    }));
    fake.data(|d| {
        let mut rels = owned_by("2", None);
        rels.insert(
            "taskPriority".into(),
            Some(("taskpriorities".into(), "normal".into())),
        );
        d.insert_raw(
            orosync_fakes::oro::TASKS,
            attrs(json!({"subject": "theirs"})),
            rels,
        )
    });
    let oro = client(&fake);
    let got = oro
        .changed_since(Kind::Tasks, None, &window())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, mine);
    assert_eq!(
        oro.list_ids(Kind::Tasks, &window()).await.unwrap(),
        vec![mine]
    );
}

// ------------------------------------------------------------ change listing

#[tokio::test]
async fn changed_since_uses_the_watermark_and_sorts_by_updated_at_then_id() {
    let clock = ManualClock::new(at("2024-05-01T10:00:00Z"));
    let c2 = clock.clone();
    let fake = fake_with(move |o| o.clock = orosync_testkit::fake_clock(&c2)).await;
    let a = fake.user_create(&contact("A", "1"));
    clock.advance(TimeDelta::seconds(10));
    let b = fake.user_create(&contact("B", "2"));
    let c = fake.user_create(&contact("C", "3"));
    clock.advance(TimeDelta::seconds(10));
    fake.user_edit(Kind::Contacts, &a, |_| {});
    let oro = client(&fake);

    let all = oro
        .changed_since(Kind::Contacts, None, &window())
        .await
        .unwrap();
    let order: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, vec![b.as_str(), c.as_str(), a.as_str()]);

    // `since` is inclusive (gte): Oro's second precision needs it.
    let since = at("2024-05-01T10:00:10Z");
    let got = oro
        .changed_since(Kind::Contacts, Some(since), &window())
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    let got = oro
        .changed_since(Kind::Contacts, Some(at("2024-05-01T10:00:11Z")), &window())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, a);
    assert_eq!(got[0].updated_at, at("2024-05-01T10:00:20Z"));
    assert_eq!(got[0].created_at, at("2024-05-01T10:00:00Z"));
    let q = requests_matching(&fake, "filter[updatedAt][gte]=2024-05-01T10%3A00%3A11Z");
    assert!(!q.is_empty());
    assert!(q[0].contains("sort=updatedAt,id"), "{q:?}");
}

#[tokio::test]
async fn paging_over_a_set_that_changes_while_read_loses_and_repeats_nothing() {
    let clock = ManualClock::new(at("2024-05-01T10:00:00Z"));
    let c2 = clock.clone();
    let fake = fake_with(move |o| o.clock = orosync_testkit::fake_clock(&c2)).await;
    let mut ids = Vec::new();
    // 12 records a second apart, then 8 in one second (more than a page).
    for i in 0..12 {
        ids.push(fake.user_create(&contact("P", &i.to_string())));
        clock.advance(TimeDelta::seconds(1));
    }
    for i in 0..8 {
        ids.push(fake.user_create(&contact("S", &i.to_string())));
    }
    clock.advance(TimeDelta::seconds(1));
    let first = ids[0].parse::<u64>().unwrap();
    let second = ids[1].parse::<u64>().unwrap();
    let hook_clock = clock.clone();
    let added_id = Arc::new(std::sync::Mutex::new(None));
    let added_out = added_id.clone();
    // While the client reads: after the 1st page a user edits two records
    // already read (they move to the end, shifting every later row back by
    // two pages' worth of page numbers) and adds one.
    fake.on_list(move |d, n| {
        if n == 1 {
            hook_clock.advance(TimeDelta::seconds(5));
            d.user_edit(CONTACTS, first, |r| {
                r.attributes.insert("jobTitle".into(), json!("edited"));
            });
            d.user_edit(CONTACTS, second, |_| {});
            let id = d.user_create(&contact("New", "one"));
            *added_out.lock().unwrap() = Some(id);
        }
    });
    let oro = client(&fake);
    let got = oro
        .changed_since(Kind::Contacts, None, &window())
        .await
        .unwrap();
    let got_ids: Vec<String> = got.iter().map(|r| r.id.clone()).collect();
    let unique: HashSet<&String> = got_ids.iter().collect();
    assert_eq!(unique.len(), got_ids.len(), "repeated: {got_ids:?}");
    let mut want: HashSet<String> = ids.iter().cloned().collect();
    want.insert(added_id.lock().unwrap().unwrap().to_string());
    assert_eq!(unique.len(), want.len(), "lost some: {got_ids:?}");
    assert!(want.iter().all(|id| unique.contains(id)));
    // The edited record comes in its new version, and the order holds.
    let edited = got.iter().find(|r| r.id == ids[0]).unwrap();
    let Item::Contacts(c) = &edited.item else {
        unreachable!()
    };
    assert_eq!(c.job_title.as_deref(), Some("edited"));
    assert!(got
        .windows(2)
        .all(|w| (w[0].updated_at, w[0].id.parse::<u64>().unwrap())
            < (w[1].updated_at, w[1].id.parse::<u64>().unwrap())));
}

#[tokio::test]
async fn id_listing_survives_deletions_while_paging() {
    let fake = fake().await;
    let ids: Vec<String> = (0..13)
        .map(|i| fake.user_create(&contact("I", &i.to_string())))
        .collect();
    let victim = ids[1].parse::<u64>().unwrap();
    fake.on_list(move |d, n| {
        if n == 1 {
            d.user_delete(CONTACTS, victim);
        }
    });
    let oro = client(&fake);
    let got = oro.list_ids(Kind::Contacts, &window()).await.unwrap();
    let want: Vec<String> = ids
        .iter()
        .filter(|i| **i != victim.to_string())
        .cloned()
        .collect();
    // The victim may or may not be listed (it went while we read); no other is lost.
    let without: Vec<String> = got
        .iter()
        .filter(|i| **i != victim.to_string())
        .cloned()
        .collect();
    assert_eq!(without, want);
    assert!(requests_matching(&fake, "fields[contacts]=id").len() >= 3);
}

// ------------------------------------------------------------ events

#[tokio::test]
async fn events_round_trip_through_the_legacy_api() {
    let fake = fake_with(|o| o.time_zone = berlin()).await;
    let oro = client_with(&fake, |c| c.time_zone = berlin());
    let soon = Utc::now().date_naive() + TimeDelta::days(10);
    let all_day = Event {
        title: "Trade fair".into(),
        description: Some("hall 4".into()),
        when: When::AllDay {
            start: soon,
            end: soon + TimeDelta::days(2),
        },
    };
    let created = oro.create(&Item::Events(all_day.clone())).await.unwrap();
    assert_eq!(created.item, Item::Events(all_day.clone()));
    let rec = fake.record(Kind::Events, &created.id).unwrap();
    let midnight = |d: NaiveDate| {
        berlin()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        rec.attributes["start"],
        json!(midnight(soon).format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
    );
    assert_eq!(
        rec.attributes["end"],
        json!(midnight(soon + TimeDelta::days(2))
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string())
    );
    assert_eq!(rec.attributes["allDay"], json!(true));
    assert_eq!(rec.attributes["calendar"], json!(7));
    let post = requests_matching(&fake, "POST /api/rest/latest/calendarevents");
    assert_eq!(post.len(), 1);

    let start = Utc::now().with_timezone(&Utc) + TimeDelta::days(3);
    let start = Utc.timestamp_opt(start.timestamp(), 0).unwrap();
    let timed = Event {
        title: "Lunch".into(),
        description: None,
        when: When::Timed {
            start,
            end: start + TimeDelta::minutes(90),
        },
    };
    let upd = oro
        .update(&created.id, &Item::Events(timed.clone()))
        .await
        .unwrap();
    assert_eq!(upd.item, Item::Events(timed.clone()));
    assert!(upd.updated_at >= created.updated_at);
    assert_eq!(fake.writes().updated, 1);
    let got = oro.get(Kind::Events, &created.id).await.unwrap().unwrap();
    assert_eq!(got.item, Item::Events(timed));
}

#[tokio::test]
async fn event_listing_honours_window_calendar_recurrence_and_watermark() {
    let clock = ManualClock::new(Utc::now() - TimeDelta::hours(1));
    let c2 = clock.clone();
    let fake = fake_with(move |o| o.clock = orosync_testkit::fake_clock(&c2)).await;
    let ev = |title: &str, days: i64| Event {
        title: title.into(),
        description: None,
        when: When::Timed {
            start: Utc::now() + TimeDelta::days(days),
            end: Utc::now() + TimeDelta::days(days) + TimeDelta::hours(1),
        },
    };
    let mut inside = Vec::new();
    for i in 0..7 {
        inside.push(fake.user_create(&Item::Events(ev(&format!("in {i}"), i + 1))));
    }
    let far = fake.user_create(&Item::Events(ev("far future", 900)));
    let series = fake.user_create_recurring_event(&ev("weekly", 2));
    fake.data(|d| {
        // Someone else's calendar: never listed.
        d.insert_raw(
            orosync_fakes::oro::EVENTS,
            attrs(json!({"title": "theirs", "calendar": 99, "start": "2030-01-01T10:00:00+00:00", "end": "2030-01-01T11:00:00+00:00", "allDay": false})),
            BTreeMap::new(),
        )
    });
    clock.advance(TimeDelta::minutes(10));
    fake.user_edit(Kind::Events, &inside[3], |r| {
        r.attributes.insert("title".into(), json!("moved"));
    });
    let oro = client(&fake);
    let w = window();
    let got = oro.changed_since(Kind::Events, None, &w).await.unwrap();
    let got_ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got.len(), 8, "{got_ids:?}");
    assert!(!got_ids.contains(&far.as_str()));
    assert_eq!(got.last().unwrap().id, inside[3]);
    assert!(got.iter().find(|r| r.id == series).unwrap().recurring);
    assert_eq!(got.iter().filter(|r| r.recurring).count(), 1);

    let mut ids = oro.list_ids(Kind::Events, &w).await.unwrap();
    ids.sort();
    let mut want: Vec<String> = inside.clone();
    want.push(series.clone());
    want.sort();
    assert_eq!(ids, want);

    let since = clock.now() - TimeDelta::minutes(1);
    let changed = oro
        .changed_since(Kind::Events, Some(since), &w)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].id, inside[3]);
    let q = requests_matching(&fake, "updatedAt%3E=");
    assert!(
        q.iter()
            .all(|l| l.contains("calendar=7") && l.contains("page=") && l.contains("limit=5")),
        "{q:?}"
    );
}

#[tokio::test]
async fn event_listing_survives_a_deletion_while_paging() {
    let fake = fake().await;
    let ids: Vec<String> = (0..12)
        .map(|i| {
            let start = Utc::now() + TimeDelta::days(i + 1);
            fake.user_create(&Item::Events(Event {
                title: format!("e{i}"),
                description: None,
                when: When::Timed {
                    start,
                    end: start + TimeDelta::hours(1),
                },
            }))
        })
        .collect();
    let victim = ids[1].parse::<u64>().unwrap();
    // After the first page a user deletes an event already read: with page
    // numbers alone, the first event of the next page would be skipped.
    fake.on_list(move |d, n| {
        if n == 1 {
            d.user_delete(orosync_fakes::oro::EVENTS, victim);
        }
    });
    let oro = client(&fake);
    let listed: HashSet<String> = oro
        .list_ids(Kind::Events, &window())
        .await
        .unwrap()
        .into_iter()
        .collect();
    for id in ids.iter().filter(|i| **i != victim.to_string()) {
        assert!(listed.contains(id), "{id} lost: {listed:?}");
    }
    fake.clear_hook();
    // The calendar view answers the window in one response: no pages, and
    // no second pass to compare with.
    let before = fake.stats().list_requests;
    let got = oro
        .changed_since(Kind::Events, None, &window())
        .await
        .unwrap();
    assert_eq!(got.len(), 11);
    assert_eq!(fake.stats().list_requests - before, 1);
}

#[tokio::test]
async fn the_fake_serves_json_api_filters_fields_includes_and_errors() {
    let fake = fake().await;
    for i in 0..4 {
        fake.user_create(&contact("F", &i.to_string()));
    }
    let o = fake.options().clone();
    let http = reqwest::Client::new();
    let get = |q: &str| {
        let mut req = http
            .get(format!("{}/api/contacts?{q}", fake.url()))
            .header("Accept", "application/vnd.api+json");
        for (k, v) in wsse_headers(
            &o.username,
            &Secret::new(o.api_key.clone()),
            &rand_nonce(),
            &created_now(),
        ) {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap() }
    };
    let r = get("filter[id]=2..3&fields[contacts]=lastName,owner&include=owner&page[size]=1").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.api+json");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["data"].as_array().unwrap().len(), 1);
    assert_eq!(doc["data"][0]["id"], "2");
    assert_eq!(doc["data"][0]["attributes"], json!({"lastName": "1"}));
    assert_eq!(
        doc["data"][0]["relationships"]["owner"]["data"],
        json!({"type": "users", "id": "1"})
    );
    assert_eq!(doc["included"][0]["attributes"]["username"], json!("jane"));
    assert!(doc["links"]["next"]
        .as_str()
        .unwrap()
        .contains("page%5Bnumber%5D=2"));
    let doc: Value = get("sort=-id&filter[id][gt]=1").await.json().await.unwrap();
    let ids: Vec<&str> = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["4", "3", "2"]);
    let r = get("filter[nickname]=x").await;
    assert_eq!(r.status(), 400);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["errors"][0]["source"]["parameter"], "filter[nickname]");
}

#[tokio::test]
async fn event_validation_errors_are_rejected_with_the_field() {
    let fake = fake().await;
    let oro = client(&fake);
    let bad = Item::Events(Event {
        title: " ".into(),
        description: None,
        when: When::Timed {
            start: Utc::now(),
            end: Utc::now() + TimeDelta::hours(1),
        },
    });
    match oro.create(&bad).await.unwrap_err() {
        StoreError::Rejected(r) => assert_eq!(r, "title: This value should not be blank."),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.writes().total(), 0);
}

#[tokio::test]
async fn legacy_list_needs_paging_or_an_interval() {
    let fake = fake().await;
    let o = fake.options().clone();
    let http = reqwest::Client::new();
    let mut req = http.get(format!(
        "{}/api/rest/latest/calendarevents?calendar=7",
        fake.url()
    ));
    for (k, v) in wsse_headers(
        &o.username,
        &Secret::new(o.api_key.clone()),
        &rand_nonce(),
        &created_now(),
    ) {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("paging (\"page\" and \"limit\")"));
}

// ------------------------------------------------------------ WSSE

fn rand_nonce() -> [u8; 16] {
    rand::random()
}

fn created_now() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// The documented formula, written out here on its own.
fn documented_digest(nonce_b64: &str, created: &str, key: &str) -> String {
    let mut h = Sha1::new();
    h.update(B64.decode(nonce_b64).unwrap());
    h.update(created.as_bytes());
    h.update(key.as_bytes());
    B64.encode(h.finalize())
}

fn wsse_fields(x: &str) -> BTreeMap<String, String> {
    let rest = x
        .strip_prefix("UsernameToken ")
        .expect("UsernameToken prefix");
    rest.split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect()
}

#[tokio::test]
async fn the_wsse_header_the_client_sends_verifies_under_the_documented_formula() {
    // A bare listener records what the client really sends.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut heads = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let mut len = 0;
            while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                len += s.read(&mut buf[len..]).await.unwrap();
            }
            heads.push(String::from_utf8_lossy(&buf[..len]).to_string());
            s.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        }
        heads
    });
    let key = "c0ffee0123456789abcdef0123456789abcdef01";
    let mut cfg = OroConfig::new(
        &url,
        "jane",
        OroAuth::Wsse {
            api_key: Secret::new(key),
        },
    );
    cfg.max_attempts = 1;
    let oro = OroClient::new(cfg).unwrap();
    for _ in 0..2 {
        let e = oro.get(Kind::Contacts, "1").await.unwrap_err();
        assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
        assert!(!e.to_string().contains(key));
    }
    let heads = server.await.unwrap();
    let mut nonces = HashSet::new();
    for head in heads {
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(": ")?;
                    k.eq_ignore_ascii_case(name).then(|| v.to_string())
                })
                .unwrap_or_else(|| panic!("no {name} in {head}"))
        };
        assert_eq!(header("authorization"), "WSSE profile=\"UsernameToken\"");
        assert_eq!(header("accept"), "application/vnd.api+json");
        let f = wsse_fields(&header("x-wsse"));
        assert_eq!(f["Username"], "jane");
        assert_eq!(B64.decode(&f["Nonce"]).unwrap().len(), 16);
        let created = DateTime::parse_from_rfc3339(&f["Created"]).unwrap();
        assert!(
            (Utc::now() - created.with_timezone(&Utc))
                .num_seconds()
                .abs()
                < 60
        );
        assert_eq!(
            f["PasswordDigest"],
            documented_digest(&f["Nonce"], &f["Created"], key)
        );
        nonces.insert(f["Nonce"].clone());
    }
    assert_eq!(nonces.len(), 2, "a fresh nonce per request");
}

#[tokio::test]
async fn wsse_refusals_are_401_with_the_wsse_challenge() {
    let fake = fake().await;
    let o = fake.options().clone();
    let key = Secret::new(o.api_key.clone());
    let http = reqwest::Client::new();
    let send = |nonce: [u8; 16], created: String, key: Secret| {
        let http = http.clone();
        let url = format!("{}/api/userprofile", fake.url());
        let user = o.username.clone();
        async move {
            let mut req = http.get(url).header("Accept", "application/vnd.api+json");
            for (k, v) in wsse_headers(&user, &key, &nonce, &created) {
                req = req.header(k, v);
            }
            req.send().await.unwrap()
        }
    };
    let nonce = rand_nonce();
    assert_eq!(send(nonce, created_now(), key.clone()).await.status(), 200);
    // Reused nonce.
    let again = send(nonce, created_now(), key.clone()).await;
    assert_eq!(again.status(), 401);
    assert_eq!(
        again.headers()["www-authenticate"],
        "WSSE realm=\"Secured API\", profile=\"UsernameToken\""
    );
    // Created in the future, and older than the lifetime.
    let future = (Utc::now() + TimeDelta::minutes(5))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    assert_eq!(send(rand_nonce(), future, key.clone()).await.status(), 401);
    let old = (Utc::now() - TimeDelta::hours(2))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    assert_eq!(send(rand_nonce(), old, key.clone()).await.status(), 401);
    // Wrong key.
    let bad = send(rand_nonce(), created_now(), Secret::new("wrong")).await;
    assert_eq!(bad.status(), 401);
    // The client maps it to Auth, without retrying a fresh header forever.
    let oro = client_with(&fake, |c| {
        c.auth = OroAuth::Wsse {
            api_key: Secret::new("wrong-key"),
        }
    });
    let before = fake.stats().requests;
    let e = oro.user_id().await.unwrap_err();
    assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
    assert_eq!(fake.stats().requests - before, 1);
    assert!(!format!("{e} {e:?} {oro:?}").contains("wrong-key"));
}

// ------------------------------------------------------------ OAuth 2.0

fn cc_auth(fake: &FakeOro) -> OroAuth {
    OroAuth::ClientCredentials {
        client_id: fake.options().client_id.clone(),
        client_secret: Secret::new(fake.options().client_secret.clone()),
    }
}

#[tokio::test]
async fn client_credentials_get_one_token_and_use_it() {
    let fake = fake().await;
    let oro = client_with(&fake, |c| c.auth = cc_auth(&fake));
    oro.create(&contact("Token", "User")).await.unwrap();
    let ids = oro.list_ids(Kind::Contacts, &window()).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(fake.stats().grants.get("client_credentials"), Some(&1));
    assert_eq!(fake.stats().unauthorized, 0);

    let secret = fake.options().client_secret.clone();
    let bad = client_with(&fake, |c| {
        c.auth = OroAuth::ClientCredentials {
            client_id: fake.options().client_id.clone(),
            client_secret: Secret::new("not-the-secret"),
        }
    });
    let e = bad.user_id().await.unwrap_err();
    assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
    let shown = format!("{e} {e:?} {bad:?} {oro:?}");
    assert!(
        !shown.contains("not-the-secret") && !shown.contains(&secret),
        "{shown}"
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_on_401() {
    let fake = fake().await;
    let oro = client_with(&fake, |c| c.auth = cc_auth(&fake));
    oro.user_id().await.unwrap();
    fake.expire_access_tokens();
    let got = oro.get(Kind::Contacts, "1").await.unwrap();
    assert_eq!(got, None);
    let st = fake.stats();
    assert_eq!(st.grants.get("client_credentials"), Some(&2));
    assert_eq!(st.unauthorized, 1);

    // A 401 that persists after the new token is Auth, after one retry only.
    fake.inject(Fault::Status(401), 5);
    let before = fake.stats().requests;
    let e = oro.get(Kind::Contacts, "1").await.unwrap_err();
    assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
    // Exactly the first 401 and one token request (also refused by the
    // fault), no more.
    assert_eq!(fake.stats().requests - before, 2);
    fake.clear_faults();
}

#[tokio::test]
async fn a_token_near_expiry_is_renewed_before_use() {
    let fake = fake_with(|o| o.token_lifetime = Duration::from_secs(30)).await;
    let oro = client_with(&fake, |c| c.auth = cc_auth(&fake));
    oro.user_id().await.unwrap();
    // 30 s of life is inside the 60 s margin: each request renews first.
    oro.get(Kind::Contacts, "1").await.unwrap();
    let st = fake.stats();
    assert_eq!(st.grants.get("client_credentials"), Some(&2));
    assert_eq!(st.unauthorized, 0);
}

async fn browser_sign_in(fake: &FakeOro, client_id: &str, secret: Option<Secret>) -> OAuthTokens {
    let login = BrowserLogin::start(&fake.url(), client_id, secret, 0)
        .await
        .unwrap();
    let url = login.authorize_url().to_string();
    assert!(url.contains("code_challenge_method=S256"));
    let parsed = url::Url::parse(&url).unwrap();
    let q: BTreeMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["redirect_uri"], login.redirect_uri());
    assert!(login.redirect_uri().starts_with("http://127.0.0.1:"));
    assert_eq!(q["client_id"], client_id);
    // The "browser": follows the fake's redirect to the loopback listener.
    let browser = tokio::spawn(async move {
        let page = reqwest::get(url).await.unwrap();
        assert_eq!(page.status(), 200);
        page.text().await.unwrap()
    });
    let http = reqwest::Client::new();
    let tokens = login.finish(&http, Duration::from_secs(10)).await.unwrap();
    assert!(browser.await.unwrap().contains("signed in"));
    tokens
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh() {
    let fake = fake().await;
    let public = fake.options().public_client_id.clone();
    let tokens = browser_sign_in(&fake, &public, None).await;
    let first_refresh = tokens.refresh_token.clone().expect("a refresh token");
    assert!(tokens.access_token.is_some());
    assert!(format!("{tokens:?}").contains("<redacted>"));
    assert_eq!(fake.stats().grants.get("authorization_code"), Some(&1));

    let oro = client_with(&fake, |c| {
        c.auth = OroAuth::AuthorizationCode {
            client_id: public.clone(),
            client_secret: None,
            tokens,
        }
    });
    assert_eq!(oro.user_id().await.unwrap(), "1");
    fake.expire_access_tokens();
    oro.create(&contact("After", "Refresh")).await.unwrap();
    assert_eq!(fake.stats().grants.get("refresh_token"), Some(&1));
    // The refresh token rotated; the client hands out the new one.
    let now = oro.refresh_token().await.unwrap();
    assert_ne!(now.expose(), first_refresh.expose());

    // A client that starts from a stored refresh token only.
    let stored = client_with(&fake, |c| {
        c.auth = OroAuth::AuthorizationCode {
            client_id: public.clone(),
            client_secret: None,
            tokens: OAuthTokens::from_refresh_token(now.clone()),
        }
    });
    assert_eq!(
        stored
            .list_ids(Kind::Contacts, &window())
            .await
            .unwrap()
            .len(),
        1
    );
    // The user revoked the app: Auth, the user must sign in again.
    fake.revoke_refresh_tokens();
    fake.expire_access_tokens();
    let e = stored.user_id().await;
    assert!(e.is_ok(), "user id is cached: {e:?}");
    let e = stored.get(Kind::Contacts, "1").await.unwrap_err();
    assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
}

#[tokio::test]
async fn confidential_client_auth_code_and_pkce_verification() {
    let fake = fake().await;
    let o = fake.options().clone();
    let tokens = browser_sign_in(
        &fake,
        &o.client_id,
        Some(Secret::new(o.client_secret.clone())),
    )
    .await;
    assert!(tokens.refresh_token.is_some());

    // The fake checks the verifier against the challenge.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let challenge = orosync::oro::pkce_challenge("the-right-verifier-0123456789-0123456789abc");
    let resp = http
        .get(format!("{}/oauth2-token/authorize", fake.url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", o.public_client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("state", "xyz"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: BTreeMap<String, String> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "xyz");
    let exchange = |verifier: &'static str, code: String| {
        let http = http.clone();
        let url = format!("{}/oauth2-token", fake.url());
        let id = o.public_client_id.clone();
        async move {
            http.post(url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", id.as_str()),
                    ("redirect_uri", "http://127.0.0.1:9/callback"),
                    ("code", code.as_str()),
                    ("code_verifier", verifier),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = exchange(
        "a-wrong-verifier-0123456789-0123456789abcdef",
        q["code"].clone(),
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

// ------------------------------------------------------------ faults

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let fake = fake().await;
    let id = fake.user_create(&contact("R", "Etry"));
    let oro = client(&fake);
    oro.user_id().await.unwrap();
    fake.inject(Fault::Status(500), 2);
    let before = fake.stats().requests;
    let got = oro.get(Kind::Contacts, &id).await.unwrap();
    assert!(got.is_some());
    // Two failed tries and the contact, then its addresses' listing.
    assert_eq!(fake.stats().requests - before, 4);
}

#[tokio::test]
async fn persistent_unavailability_ends_as_unavailable_after_four_attempts() {
    let fake = fake().await;
    let oro = client(&fake);
    fake.inject(Fault::Status(503), 10);
    let e = oro.get(Kind::Contacts, "1").await.unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert!(!e.is_item_level());
    assert_eq!(fake.stats().requests, 4);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let fake = fake().await;
    let oro = client(&fake);
    oro.user_id().await.unwrap();
    fake.inject(
        Fault::RetryAfter {
            status: 429,
            secs: 1,
        },
        1,
    );
    let t = Instant::now();
    assert_eq!(oro.get(Kind::Tasks, "5").await.unwrap(), None);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    fake.inject(
        Fault::RetryAfter {
            status: 503,
            secs: 1,
        },
        1,
    );
    let t = Instant::now();
    assert_eq!(oro.get(Kind::Tasks, "5").await.unwrap(), None);
    assert!(t.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn timeouts_are_retried() {
    let fake = fake().await;
    let oro = client_with(&fake, |c| c.timeout = Duration::from_millis(400));
    oro.user_id().await.unwrap();
    fake.inject(Fault::Latency(Duration::from_secs(2)), 1);
    assert_eq!(oro.get(Kind::Contacts, "1").await.unwrap(), None);
    fake.inject(Fault::Latency(Duration::from_secs(2)), 10);
    let e = oro.get(Kind::Contacts, "1").await.unwrap_err();
    match e {
        StoreError::Unavailable(m) => assert!(m.contains("timed out"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_answers_are_malformed() {
    let fake = fake().await;
    let oro = client(&fake);
    oro.user_id().await.unwrap();
    fake.inject(Fault::Malformed, 1);
    let e = oro.get(Kind::Contacts, "1").await.unwrap_err();
    assert!(matches!(e, StoreError::Malformed(_)), "{e:?}");
    fake.inject(Fault::Malformed, 1);
    let e = oro
        .changed_since(Kind::Events, None, &window())
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Malformed(_)), "{e:?}");
}

#[tokio::test]
async fn dropped_connections_are_retried_for_reads_but_not_for_creates() {
    let fake = fake().await;
    let oro = client(&fake);
    oro.user_id().await.unwrap();
    fake.inject(Fault::Drop, 1);
    assert_eq!(
        oro.changed_since(Kind::Contacts, None, &window())
            .await
            .unwrap(),
        vec![]
    );
    // Owner and assignedTo listings, the first sent twice.
    assert_eq!(requests_matching(&fake, "GET /api/contacts?").len(), 3);

    // A create whose answer was lost may have been applied: not sent twice.
    fake.inject(Fault::Drop, 1);
    let e = oro.create(&contact("Once", "Only")).await.unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert_eq!(requests_matching(&fake, "POST /api/contacts").len(), 1);
    fake.inject(Fault::Status(500), 1);
    let e = oro.create(&contact("Once", "Only")).await.unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert_eq!(requests_matching(&fake, "POST /api/contacts").len(), 2);
    // A 503 says nothing was done: that one is retried.
    fake.inject(Fault::Status(503), 1);
    oro.create(&contact("Once", "Only")).await.unwrap();
    assert_eq!(requests_matching(&fake, "POST /api/contacts").len(), 4);
    assert_eq!(fake.writes().created, 1);
}

#[tokio::test]
async fn forbidden_is_auth() {
    let fake = fake().await;
    let oro = client(&fake);
    oro.user_id().await.unwrap();
    fake.inject(Fault::Status(403), 1);
    let e = oro.update("1", &contact("A", "B")).await.unwrap_err();
    assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
    assert!(!e.is_item_level());
    fake.inject(Fault::Status(401), 1);
    let e = oro.get(Kind::Events, "1").await.unwrap_err();
    assert!(matches!(e, StoreError::Auth(_)), "{e:?}");
}

/// The literal attributes and relationships the client writes to Oro for
/// a contact and a task with every mapped field (the fake stores what it
/// accepted, read with its own code): each field's JSON:API name and shape
/// pinned, owner the signed-in user, a new task `open` as the workflow
/// wants, its priority and status as relationships.
#[tokio::test]
async fn a_contact_and_a_task_with_every_field_are_written_as_this_literal_json() {
    let fake = fake().await;
    let oro = client(&fake);
    let contact = Item::Contacts(every_field());
    let id = oro.create(&contact).await.unwrap().id;
    let rec = fake.record(Kind::Contacts, &id).unwrap();
    assert_eq!(
        Value::Object(rec.attributes),
        json!({
            "birthday": "1973-03-07",
            "description": "met at the fair",
            "emails": [{"email": "ann@x.org"}, {"email": "lee@y.org"}],
            "fax": "+1 555 0109",
            "firstName": "Ann",
            "gender": "female",
            "jobTitle": "CTO",
            "lastName": "Lee",
            "middleName": "B.",
            "namePrefix": "Dr.",
            "nameSuffix": "Jr.",
            "phones": [{"phone": "+1 555 0100"}]
        })
    );
    assert_eq!(rec.relationships, owned_by("1", None));

    let task = Item::Tasks(Task {
        subject: "Call back".into(),
        description: Some("Details".into()),
        priority: Priority::High,
        status: TaskStatus::Open,
        due_date: Some(date(2026, 12, 24)),
    });
    let id = oro.create(&task).await.unwrap().id;
    let rec = fake.record(Kind::Tasks, &id).unwrap();
    assert_eq!(
        Value::Object(rec.attributes),
        json!({"description": "Details", "dueDate": "2026-12-24T00:00:00Z", "subject": "Call back"})
    );
    let rels: Vec<(&str, Option<(&str, &str)>)> = rec
        .relationships
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                v.as_ref().map(|(t, i)| (t.as_str(), i.as_str())),
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            ("owner", Some(("users", "1"))),
            ("status", Some(("taskstatuses", "open"))),
            ("taskPriority", Some(("taskpriorities", "high")))
        ]
    );
}

/// The literal fields the client writes to Oro's legacy event API for a
/// timed and an all-day event (the fake stores what its form accepted,
/// read with its own code): the calendar as a number, times in UTC with an
/// explicit offset, an all-day event as the user's midnights, the
/// description as HTML the sanitizer leaves alone, and no recurrence.
#[tokio::test]
async fn a_timed_and_an_all_day_event_are_written_as_this_literal_json() {
    let fake = fake_with(|o| o.time_zone = berlin()).await;
    let oro = client_with(&fake, |c| c.time_zone = berlin());
    let timed = Item::Events(Event {
        title: "Review <Q1> & plan".into(),
        description: Some("Room 4 & 5\nbring \"slides\"".into()),
        when: When::Timed {
            start: at("2026-03-03T09:00:00Z"),
            end: at("2026-03-03T10:30:00Z"),
        },
    });
    let id = oro.create(&timed).await.unwrap().id;
    let rec = fake.record(Kind::Events, &id).unwrap();
    assert_eq!(
        Value::Object(rec.attributes),
        json!({
            "allDay": false,
            "calendar": 7,
            "description": "Room 4 &amp; 5<br>bring \"slides\"",
            "end": "2026-03-03T10:30:00+00:00",
            "recurrence": null,
            "recurringEventId": null,
            "start": "2026-03-03T09:00:00+00:00",
            "title": "Review <Q1> & plan"
        })
    );
    // Across the clock change of 29 March in Berlin: each day's midnight
    // in the user's zone (UTC+1 before, UTC+2 after).
    let all_day = Item::Events(Event {
        title: "Trade fair".into(),
        description: None,
        when: When::AllDay {
            start: date(2026, 3, 28),
            end: date(2026, 3, 30),
        },
    });
    let id = oro.create(&all_day).await.unwrap().id;
    let rec = fake.record(Kind::Events, &id).unwrap();
    assert_eq!(
        Value::Object(rec.attributes),
        json!({
            "allDay": true,
            "calendar": 7,
            "description": "",
            "end": "2026-03-29T22:00:00+00:00",
            "recurrence": null,
            "recurringEventId": null,
            "start": "2026-03-27T23:00:00+00:00",
            "title": "Trade fair"
        })
    );
    let posts = requests_matching(&fake, "POST /api/rest/latest/calendarevents");
    assert_eq!(posts.len(), 2, "{posts:?}");
}
