//! Contract tests of the Graph client against the fake Graph server: every
//! store operation, both sign-in flows, token refresh, throttling and
//! faults, delta expiry, and the field mappings that are easy to get wrong
//! (link, gender, birthday, all-day events, task due dates).

use chrono::{NaiveDate, TimeZone, Utc};
use orosync::clock::{Clock, ManualClock, SystemClock};
use orosync::graph::auth::{AuthConfig, AuthError, BrowserSignIn, DeviceCode, TokenManager};
use orosync::graph::mapping::LINK_PROP;
use orosync::graph::{http_client, GraphClient, GraphConfig};
use orosync::model::{
    AddressType, Contact, Event, Field, Gender, Item, Kind, Priority, Region, Task, TaskStatus,
    Value, When,
};
use orosync::secrets::{MemorySecrets, Secret, SecretStore, OUTLOOK_REFRESH_TOKEN};
use orosync::sides::{OutlookStore, OutlookWrite, StoreError, Window};
use orosync_fakes::graph::{FakeGraph, FakeOptions, Fault, CONTACTS_FOLDER, DEFAULT_LIST};
use orosync_testkit::prelude::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const TZ: chrono_tz::Tz = chrono_tz::Europe::Berlin;

struct Env {
    fake: FakeGraph,
    client: GraphClient,
    secrets: MemorySecrets,
    tokens: Arc<TokenManager>,
}

fn opts() -> FakeOptions {
    FakeOptions {
        time_zone: TZ,
        // These tests check that the client keeps the rotated token.
        single_use_refresh_tokens: true,
        ..Default::default()
    }
}

async fn env_with(opts: FakeOptions, margin: Duration) -> Env {
    env_on(opts, margin, Arc::new(SystemClock)).await
}

/// As [`env_with`], the client's token manager reading `clock`.
async fn env_on(opts: FakeOptions, margin: Duration, clock: Arc<dyn Clock>) -> Env {
    let fake = FakeGraph::start(opts).await.expect("fake starts");
    let secrets = MemorySecrets::new();
    secrets
        .set(
            OUTLOOK_REFRESH_TOKEN,
            &Secret::new(fake.issue_refresh_token()),
        )
        .unwrap();
    let auth = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let tokens = Arc::new(
        TokenManager::new(
            http_client(Duration::from_secs(10)),
            auth,
            Arc::new(secrets.clone()),
        )
        .with_margin(margin)
        .with_clock(clock),
    );
    let mut cfg = GraphConfig::new(&fake.url(), TZ, "https://crm.example.com/");
    cfg.timeout = Duration::from_secs(5);
    let client = GraphClient::new(cfg, tokens.clone()).expect("client");
    Env {
        fake,
        client,
        secrets,
        tokens,
    }
}

async fn env() -> Env {
    env_with(opts(), Duration::from_secs(120)).await
}

fn window() -> Window {
    Window::around(Utc::now(), 30, 365)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn contact(first: &str) -> Contact {
    Contact {
        name_prefix: Some("Dr.".into()),
        first_name: Some(first.into()),
        middle_name: Some("Q".into()),
        last_name: Some("Smith".into()),
        name_suffix: Some("Jr.".into()),
        gender: Some(Gender::Female),
        birthday: Some(d(1990, 6, 1)),
        job_title: Some("Engineer".into()),
        description: Some("Met at the fair\nSecond line".into()),
        emails: vec!["a@x.com".into(), "b@x.com".into(), "c@x.com".into()],
        primary_phone: Some("+49 30 1234".into()),
        fax: None,
        addresses: vec![],
    }
}

fn create(item: Item, link: &str) -> OutlookWrite {
    OutlookWrite::Create {
        item,
        link: link.into(),
    }
}

async fn write_one(
    c: &GraphClient,
    kind: Kind,
    w: OutlookWrite,
) -> Result<Option<orosync::model::OutlookItem>, StoreError> {
    let mut r = c.write(kind, vec![w]).await;
    assert_eq!(r.len(), 1);
    r.remove(0)
}

#[tokio::test]
async fn contact_create_get_update_delete_round_trip() {
    let e = env().await;
    let mut c = contact("Ann");
    c.emails.push("d@x.com".into()); // a fourth address: Graph keeps three
    let made = write_one(
        &e.client,
        Kind::Contacts,
        create(Item::Contacts(c.clone()), "17"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(made.link.as_deref(), Some("17"));
    let Item::Contacts(got) = &made.item else {
        panic!()
    };
    assert_eq!(got, &c.for_outlook());

    // Stored the Graph way: link and gender as extended properties.
    let raw = e.fake.find(&made.id).unwrap();
    assert_eq!(raw["givenName"], "Ann");
    assert_eq!(raw["title"], "Dr.");
    assert_eq!(raw["generation"], "Jr.");
    assert_eq!(raw["personalNotes"], "Met at the fair\nSecond line");
    assert_eq!(raw["businessPhones"], json!(["+49 30 1234"]));
    assert_eq!(raw["emailAddresses"].as_array().unwrap().len(), 3);
    // Midnight in Berlin (summer time) is 22:00 UTC the day before.
    assert_eq!(raw["birthday"], "1990-05-31T22:00:00Z");
    assert_eq!(e.fake.link_of(&made.id).as_deref(), Some("17"));
    assert_eq!(e.fake.gender_of(&made.id), Some(Gender::Female));
    let props = raw["singleValueExtendedProperties"].as_array().unwrap();
    assert!(props
        .iter()
        .any(|p| p["id"] == LINK_PROP && p["value"] == "17"));
    assert!(props
        .iter()
        .any(|p| p["id"] == "Short 0x3A4D" && p["value"] == "1"));

    // get reads the same values back, link and gender included.
    let back = e
        .client
        .get(Kind::Contacts, &made.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.item, made.item);
    assert_eq!(back.link.as_deref(), Some("17"));

    // Update without a link: the answer still knows the link (read back).
    let mut c2 = c.for_outlook();
    c2.gender = Some(Gender::Male);
    c2.middle_name = None;
    c2.birthday = Some(d(1990, 1, 15));
    let up = write_one(
        &e.client,
        Kind::Contacts,
        OutlookWrite::Update {
            id: made.id.clone(),
            item: Some(Item::Contacts(c2.clone())),
            link: None,
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(up.link.as_deref(), Some("17"));
    assert_eq!(up.item, Item::Contacts(c2.clone()));
    assert_eq!(e.fake.gender_of(&made.id), Some(Gender::Male));

    // Delete, delete again (already gone is success), get → None,
    // update of a deleted item → NotFound.
    let del = OutlookWrite::Delete {
        id: made.id.clone(),
    };
    assert_eq!(
        write_one(&e.client, Kind::Contacts, del.clone()).await,
        Ok(None)
    );
    assert_eq!(write_one(&e.client, Kind::Contacts, del).await, Ok(None));
    assert_eq!(e.client.get(Kind::Contacts, &made.id).await, Ok(None));
    let gone = write_one(
        &e.client,
        Kind::Contacts,
        OutlookWrite::Update {
            id: made.id.clone(),
            item: Some(Item::Contacts(c2)),
            link: None,
        },
    )
    .await;
    assert!(matches!(gone, Err(StoreError::NotFound(_))), "{gone:?}");
    assert_eq!(e.fake.writes().created, 1);
    assert_eq!(e.fake.writes().deleted, 1);
}

/// Oro's billing, shipping and untyped addresses are written to the
/// business, home and other address, read back as the same values (the
/// same hash: no echo), and a country Outlook holds as a name or an ISO
/// code in any case reads as the ISO code.
#[tokio::test]
async fn addresses_are_business_home_and_other_written_and_read_back_alike() {
    let e = env().await;
    let place =
        |id: &str, types: &[AddressType], city: &str, country: &str| orosync::model::Address {
            oro_id: Some(id.into()),
            types: types.iter().copied().collect(),
            street: Some(format!("{city}weg 1")),
            city: Some(city.into()),
            postal_code: Some("1010".into()),
            country: Some(country.into()),
            ..Default::default()
        };
    let mut c = contact("Addy");
    c.addresses = vec![
        place("1", &[AddressType::Billing], "Wien", "AT"),
        place("2", &[AddressType::Shipping], "Basel", "CH"),
        place("3", &[], "Hongkong", "HK"),
        // A second untyped address is not mapped.
        place("4", &[], "Douglas", "IM"),
    ];
    let made = write_one(
        &e.client,
        Kind::Contacts,
        create(Item::Contacts(c.clone()), "31"),
    )
    .await
    .unwrap()
    .unwrap();
    let raw = e.fake.find(&made.id).unwrap();
    assert_eq!(raw["businessAddress"]["city"], "Wien");
    assert_eq!(raw["businessAddress"]["countryOrRegion"], "Austria");
    assert_eq!(raw["homeAddress"]["city"], "Basel");
    assert_eq!(raw["otherAddress"]["city"], "Hongkong");
    let back = e
        .client
        .get(Kind::Contacts, &made.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        back.item.value(Field::Addresses),
        Item::Contacts(c.clone()).value(Field::Addresses)
    );
    assert_ne!(back.item.value(Field::Addresses), Value::Null);

    for written in ["Deutschland", "DE", "de", "DEU", "Germany", "germany"] {
        let id = e.fake.user_create(
            Kind::Contacts,
            json!({"givenName": "Max", "businessAddress": {"street": "Marienplatz 1\r\nRathaus",
                "city": "München", "state": "Bayern", "countryOrRegion": written, "postalCode": "80331"}}),
        );
        let read = e.client.get(Kind::Contacts, &id).await.unwrap().unwrap();
        let Item::Contacts(got) = &read.item else {
            panic!()
        };
        let a = got.address(orosync::model::Slot::Billing).expect("billing");
        assert_eq!(a.country.as_deref(), Some("DE"), "{written}");
        assert_eq!(a.street.as_deref(), Some("Marienplatz 1"));
        assert_eq!(a.street2.as_deref(), Some("Rathaus"));
        assert_eq!(a.region, Some(Region::Text("Bayern".into())));
        assert!(got.address(orosync::model::Slot::Shipping).is_none());
    }
}

#[tokio::test]
async fn fax_is_the_business_fax_mapi_property_written_read_and_cleared() {
    let e = env().await;
    let mut c = contact("Fay");
    c.fax = Some("+49 30 9999".into());
    let made = write_one(
        &e.client,
        Kind::Contacts,
        create(Item::Contacts(c.clone()), "21"),
    )
    .await
    .unwrap()
    .unwrap();
    // Graph's contact has no fax property: PidTagBusinessFaxNumber.
    let raw = e.fake.find(&made.id).unwrap();
    assert!(raw.get("fax").is_none() && raw.get("businessFax").is_none());
    let props = raw["singleValueExtendedProperties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["id"] == "String 0x3A24" && p["value"] == "+49 30 9999"),
        "{props:?}"
    );
    // Read back through the $expand, from one item and from the listing.
    let back = e
        .client
        .get(Kind::Contacts, &made.id)
        .await
        .unwrap()
        .unwrap();
    let Item::Contacts(got) = &back.item else {
        panic!()
    };
    assert_eq!(got.fax.as_deref(), Some("+49 30 9999"));

    // A fax typed in Outlook is read.
    let id = e.fake.user_create(
        Kind::Contacts,
        json!({"givenName": "Max",
               "singleValueExtendedProperties": [{"id": "String 0x3A24", "value": "+1 555 0111"}]}),
    );
    let read = e.client.get(Kind::Contacts, &id).await.unwrap().unwrap();
    let Item::Contacts(got) = &read.item else {
        panic!()
    };
    assert_eq!(got.fax.as_deref(), Some("+1 555 0111"));

    // Clearing it leaves no fax to read.
    let mut c2 = c.for_outlook();
    c2.fax = None;
    write_one(
        &e.client,
        Kind::Contacts,
        OutlookWrite::Update {
            id: made.id.clone(),
            item: Some(Item::Contacts(c2)),
            link: None,
        },
    )
    .await
    .unwrap();
    let back = e
        .client
        .get(Kind::Contacts, &made.id)
        .await
        .unwrap()
        .unwrap();
    let Item::Contacts(got) = &back.item else {
        panic!()
    };
    assert_eq!(got.fax, None);
}

#[tokio::test]
async fn stamping_a_link_on_a_users_contact_keeps_its_fields() {
    let e = env().await;
    let id = e.fake.user_create(
        Kind::Contacts,
        json!({"givenName": "Bob", "surname": "Lee",
               "singleValueExtendedProperties": [{"id": "Short 0x3A4D", "value": "2"}]}),
    );
    let up = write_one(
        &e.client,
        Kind::Contacts,
        OutlookWrite::Update {
            id: id.clone(),
            item: None,
            link: Some("99".into()),
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(up.link.as_deref(), Some("99"));
    let Item::Contacts(c) = up.item else { panic!() };
    assert_eq!(c.first_name.as_deref(), Some("Bob"));
    assert_eq!(c.gender, Some(Gender::Male));
    assert_eq!(e.fake.link_of(&id).as_deref(), Some("99"));
}

#[tokio::test]
async fn full_listing_pages_and_delta_reports_changes_and_removals() {
    let e = env().await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(e.fake.user_create_item(
            &Item::Contacts(contact(&format!("P{i}"))),
            (i == 3).then_some("303"),
        ));
    }
    let full = e
        .client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert!(full.full);
    assert_eq!(full.items.len(), 25);
    assert!(full.removed.is_empty());
    let linked = full.items.iter().find(|i| i.id == ids[3]).unwrap();
    assert_eq!(linked.link.as_deref(), Some("303"));
    let Item::Contacts(c) = &linked.item else {
        panic!()
    };
    assert_eq!(c.gender, Some(Gender::Female));
    assert_eq!(c.birthday, Some(d(1990, 6, 1)));
    assert!(full.cursor.contains("deltatoken"));

    // Nothing changed: an empty round.
    let none = e
        .client
        .changes(Kind::Contacts, Some(&full.cursor), &window())
        .await
        .unwrap();
    assert!(!none.full && none.items.is_empty() && none.removed.is_empty());

    e.fake.user_edit(&ids[0], |v| v["jobTitle"] = json!("Boss"));
    e.fake.user_delete(&ids[1]);
    let new_id = e
        .fake
        .user_create_item(&Item::Contacts(contact("New")), None);
    let delta = e
        .client
        .changes(Kind::Contacts, Some(&none.cursor), &window())
        .await
        .unwrap();
    assert!(!delta.full);
    assert_eq!(delta.removed, vec![ids[1].clone()]);
    let mut changed: Vec<&str> = delta.items.iter().map(|i| i.id.as_str()).collect();
    changed.sort();
    let mut want = vec![ids[0].as_str(), new_id.as_str()];
    want.sort();
    assert_eq!(changed, want);
    let edited = delta.items.iter().find(|i| i.id == ids[0]).unwrap();
    let Item::Contacts(c) = &edited.item else {
        panic!()
    };
    assert_eq!(c.job_title.as_deref(), Some("Boss"));
}

#[tokio::test]
async fn expired_delta_token_is_cursor_expired() {
    let e = env().await;
    e.fake.user_create_item(&Item::Contacts(contact("A")), None);
    let full = e
        .client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    e.fake.expire_delta_tokens();
    let r = e
        .client
        .changes(Kind::Contacts, Some(&full.cursor), &window())
        .await;
    assert_eq!(r.unwrap_err(), StoreError::CursorExpired);
    // The engine lists again in full, which works.
    let again = e
        .client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(again.items.len(), 1);
    // The injected form (410 syncStateNotFound on the next delta) too.
    e.fake.inject(Fault::ExpiredDelta, 1);
    let r = e
        .client
        .changes(Kind::Contacts, Some(&again.cursor), &window())
        .await;
    assert_eq!(r.unwrap_err(), StoreError::CursorExpired);
}

#[tokio::test]
async fn all_day_and_timed_events_round_trip() {
    let e = env().await;
    let now = Utc::now();
    let day = (now + chrono::Duration::days(10)).date_naive();
    let all_day = Event {
        title: "Holiday".into(),
        description: Some("Away".into()),
        when: When::AllDay {
            start: day,
            end: day + chrono::Duration::days(2),
        },
    };
    let start = Utc
        .timestamp_opt((now + chrono::Duration::days(3)).timestamp(), 0)
        .unwrap();
    let timed = Event {
        title: "Call".into(),
        description: None,
        when: When::Timed {
            start,
            end: start + chrono::Duration::minutes(45),
        },
    };
    let res = e
        .client
        .write(
            Kind::Events,
            vec![
                create(Item::Events(all_day.clone()), "5"),
                create(Item::Events(timed.clone()), "6"),
            ],
        )
        .await;
    let a = res[0].clone().unwrap().unwrap();
    let t = res[1].clone().unwrap().unwrap();
    assert_eq!(a.item, Item::Events(all_day.clone()));
    assert_eq!(t.item, Item::Events(timed.clone()));
    assert_eq!(a.link.as_deref(), Some("5"));

    // All-day: midnight to midnight in the user's zone, by its Windows name.
    let raw = e.fake.find(&a.id).unwrap();
    assert_eq!(raw["isAllDay"], true);
    assert_eq!(raw["start"]["timeZone"], "W. Europe Standard Time");
    assert_eq!(
        raw["start"]["dateTime"],
        format!("{}T00:00:00.0000000", day.format("%Y-%m-%d"))
    );
    // Timed: UTC.
    let raw = e.fake.find(&t.id).unwrap();
    assert_eq!(raw["start"]["timeZone"], "UTC");
    assert_eq!(
        raw["start"]["dateTime"],
        format!("{}.0000000", start.format("%Y-%m-%dT%H:%M:%S"))
    );

    // Read back through get and through delta.
    assert_eq!(
        e.client
            .get(Kind::Events, &a.id)
            .await
            .unwrap()
            .unwrap()
            .item,
        Item::Events(all_day.clone())
    );
    let full = e
        .client
        .changes(Kind::Events, None, &window())
        .await
        .unwrap();
    assert_eq!(full.items.len(), 2);
    for it in &full.items {
        let want = if it.id == a.id { &all_day } else { &timed };
        assert_eq!(it.item, Item::Events(want.clone()));
        assert!(it.link.is_some(), "event links are read after delta");
    }

    // Moving an event out of the window: delta reports it gone.
    let mut later = timed.clone();
    let far = now + chrono::Duration::days(800);
    later.when = When::Timed {
        start: far,
        end: far + chrono::Duration::hours(1),
    };
    e.fake.user_edit_item(&t.id, &Item::Events(later));
    let delta = e
        .client
        .changes(Kind::Events, Some(&full.cursor), &window())
        .await
        .unwrap();
    assert_eq!(delta.removed, vec![t.id.clone()]);
}

#[tokio::test]
async fn events_outside_the_window_and_series_instances() {
    let e = env().await;
    let far = Utc::now() + chrono::Duration::days(900);
    e.fake.user_create_item(
        &Item::Events(Event {
            title: "Far".into(),
            description: None,
            when: When::Timed {
                start: far,
                end: far + chrono::Duration::hours(1),
            },
        }),
        None,
    );
    let soon = (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT10:00:00");
    let occ = e.fake.user_create(
        Kind::Events,
        json!({"type": "occurrence", "seriesMasterId": "M1",
               "start": {"dateTime": format!("{soon}"), "timeZone": "UTC"},
               "end": {"dateTime": format!("{soon}"), "timeZone": "UTC"}}),
    );
    let full = e
        .client
        .changes(Kind::Events, None, &window())
        .await
        .unwrap();
    assert_eq!(full.items.len(), 1);
    assert_eq!(full.items[0].id, occ);
    assert!(full.items[0].recurring);
}

#[tokio::test]
async fn html_event_bodies_are_read_as_text() {
    let e = env().await;
    let s = Utc::now() + chrono::Duration::days(2);
    let id = e.fake.user_create(
        Kind::Events,
        json!({"subject": "Lunch",
               "body": {"contentType": "html", "content": "<html><body><p>Bring &amp; share</p><div>soup</div></body></html>"},
               "start": {"dateTime": s.format("%Y-%m-%dT12:00:00").to_string(), "timeZone": "UTC"},
               "end": {"dateTime": s.format("%Y-%m-%dT13:00:00").to_string(), "timeZone": "UTC"}}),
    );
    e.fake.html_bodies(true);
    let it = e.client.get(Kind::Events, &id).await.unwrap().unwrap();
    let Item::Events(ev) = it.item else { panic!() };
    assert_eq!(ev.description.as_deref(), Some("Bring & share\nsoup"));
}

fn task(subject: &str, due: Option<NaiveDate>) -> Task {
    Task {
        subject: subject.into(),
        description: Some("Details".into()),
        priority: Priority::High,
        status: TaskStatus::InProgress,
        due_date: due,
    }
}

#[tokio::test]
async fn tasks_live_in_the_default_list_with_a_linked_resource() {
    let e = env().await;
    let t = task("Call back", Some(d(2026, 12, 24)));
    let made = write_one(&e.client, Kind::Tasks, create(Item::Tasks(t.clone()), "42"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(made.item, Item::Tasks(t.clone()));
    assert_eq!(made.link.as_deref(), Some("42"));
    let raw = e.fake.find(&made.id).unwrap();
    assert_eq!(raw["importance"], "high");
    assert_eq!(raw["status"], "inProgress");
    // To Do holds the day as its midnight in Berlin, answered in UTC.
    assert_eq!(
        raw["dueDateTime"],
        json!({"dateTime": "2026-12-23T23:00:00.0000000", "timeZone": "UTC"})
    );
    let lr = &raw["linkedResources"][0];
    assert_eq!(lr["applicationName"], "OroCRM");
    assert_eq!(lr["externalId"], "42");
    assert_eq!(lr["webUrl"], "https://crm.example.com/task/view/42");
    assert_eq!(e.client.default_todo_list().await.unwrap(), DEFAULT_LIST);

    // A due date with a time of day (as To Do may hold it) reads as its date.
    let other = e.fake.user_create(
        Kind::Tasks,
        json!({"title": "Mine", "status": "waitingOnOthers",
               "dueDateTime": {"dateTime": "2027-01-05T00:00:00.0000000", "timeZone": "Pacific Standard Time"}}),
    );
    let full = e
        .client
        .changes(Kind::Tasks, None, &window())
        .await
        .unwrap();
    assert_eq!(full.items.len(), 2);
    let mine = full.items.iter().find(|i| i.id == other).unwrap();
    let Item::Tasks(m) = &mine.item else { panic!() };
    assert_eq!(m.due_date, Some(d(2027, 1, 5)));
    assert_eq!(m.status, TaskStatus::InProgress);
    assert_eq!(mine.link, None);
    assert_eq!(
        full.items
            .iter()
            .find(|i| i.id == made.id)
            .unwrap()
            .link
            .as_deref(),
        Some("42")
    );

    // Stamp a link on the user's task, then change it: one linkedResource.
    for link in ["77", "78"] {
        let up = write_one(
            &e.client,
            Kind::Tasks,
            OutlookWrite::Update {
                id: other.clone(),
                item: None,
                link: Some(link.into()),
            },
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(up.link.as_deref(), Some(link));
    }
    let raw = e.fake.find(&other).unwrap();
    assert_eq!(raw["linkedResources"].as_array().unwrap().len(), 1);
    assert_eq!(raw["linkedResources"][0]["externalId"], "78");

    // Update fields and clear the due date; the link stays.
    let mut t2 = t.clone();
    t2.due_date = None;
    t2.status = TaskStatus::Closed;
    let up = write_one(
        &e.client,
        Kind::Tasks,
        OutlookWrite::Update {
            id: made.id.clone(),
            item: Some(Item::Tasks(t2.clone())),
            link: None,
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(up.item, Item::Tasks(t2));
    assert_eq!(up.link.as_deref(), Some("42"));
    let delta = e
        .client
        .changes(Kind::Tasks, Some(&full.cursor), &window())
        .await
        .unwrap();
    assert_eq!(delta.items.len(), 2);
    assert!(delta.items.iter().all(|i| i.link.is_some()));
}

#[tokio::test]
async fn a_storm_of_429s_is_ridden_out_without_losing_or_doubling_writes() {
    let e = env().await;
    // The batch itself is throttled twice, then 25 member answers are 429
    // or 503 spread over the retries.
    e.fake.inject(Fault::Throttle { retry_after: 0 }, 2);
    e.fake.inject_member(Fault::Throttle { retry_after: 0 }, 15);
    e.fake.inject_member(Fault::Unavailable, 10);
    let writes: Vec<OutlookWrite> = (0..20)
        .map(|i| {
            create(
                Item::Contacts(contact(&format!("S{i}"))),
                &format!("{}", 1000 + i),
            )
        })
        .collect();
    let res = e.client.write(Kind::Contacts, writes).await;
    assert_eq!(res.len(), 20);
    for (i, r) in res.iter().enumerate() {
        let it = r.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(
            it.link,
            Some(format!("{}", 1000 + i)),
            "answers keep their order"
        );
    }
    assert_eq!(e.fake.writes().created, 20);
    let mut links: Vec<String> = e
        .fake
        .items(Kind::Contacts)
        .into_iter()
        .filter_map(|i| i.link)
        .collect();
    links.sort();
    links.dedup();
    assert_eq!(links.len(), 20, "each write applied exactly once");
    assert!(e.fake.member_requests() >= 45);
}

#[tokio::test]
async fn member_errors_stay_with_their_member() {
    let e = env().await;
    e.fake.reject_containing("FORBIDDEN-NAME");
    let gone = e.fake.user_create_item(&Item::Contacts(contact("X")), None);
    e.fake.user_delete(&gone);
    let res = e
        .client
        .write(
            Kind::Contacts,
            vec![
                create(Item::Contacts(contact("FORBIDDEN-NAME")), "1"),
                create(Item::Contacts(contact("Fine")), "2"),
                OutlookWrite::Update {
                    id: gone.clone(),
                    item: Some(Item::Contacts(contact("Y"))),
                    link: None,
                },
                OutlookWrite::Delete { id: gone },
            ],
        )
        .await;
    assert!(
        matches!(&res[0], Err(StoreError::Rejected(m)) if m.contains("ErrorInvalidProperty")),
        "{:?}",
        res[0]
    );
    assert!(res[1].as_ref().unwrap().is_some());
    assert!(matches!(&res[2], Err(StoreError::NotFound(_))));
    assert_eq!(res[3], Ok(None));
}

#[tokio::test]
async fn faults_map_to_the_right_error_classes() {
    let e = env().await;
    let id = e.fake.user_create_item(&Item::Contacts(contact("F")), None);
    // Reads survive 503s and a dropped connection.
    e.fake.inject(Fault::Unavailable, 2);
    e.fake.inject(Fault::Drop, 1);
    assert!(e.client.get(Kind::Contacts, &id).await.unwrap().is_some());
    // An unreadable answer is Malformed.
    e.fake.inject(Fault::Malformed, 1);
    assert!(matches!(
        e.client.get(Kind::Contacts, &id).await,
        Err(StoreError::Malformed(_))
    ));
    // A write batch whose answer was lost is not resent: Unavailable, not applied.
    e.fake.inject(Fault::Drop, 1);
    let res = e
        .client
        .write(
            Kind::Contacts,
            vec![create(Item::Contacts(contact("G")), "3")],
        )
        .await;
    assert!(
        matches!(&res[0], Err(StoreError::Unavailable(_))),
        "{:?}",
        res[0]
    );
    assert_eq!(e.fake.writes().created, 0);
    // Outage that outlasts the retries: Unavailable.
    let mut cfg = e.client.config().clone();
    cfg.max_attempts = 2;
    let short = GraphClient::new(cfg, e.tokens.clone()).unwrap();
    e.fake.inject(Fault::Unavailable, 5);
    assert!(matches!(
        short.get(Kind::Contacts, &id).await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_four_requests_in_flight_while_twelve_wait() {
    let e = env().await;
    let id = e.fake.user_create_item(&Item::Contacts(contact("C")), None);
    // Sign in first, so only Graph requests race below.
    e.client.get(Kind::Contacts, &id).await.unwrap();
    // The fake holds every request until released: the client must then
    // have exactly its limit (4, Outlook's per-mailbox limit) in flight,
    // whatever the machine's speed -- no latency to outlast.
    e.fake.hold_requests();
    let client = e.client.clone();
    let gets = tokio::spawn(async move {
        let gets = (0..12).map(|_| client.get(Kind::Contacts, &id));
        futures_util::future::join_all(gets).await
    });
    let t0 = std::time::Instant::now();
    while e.fake.in_flight() < 4 {
        // A guard against a hang, not a condition of passing.
        assert!(t0.elapsed() < Duration::from_secs(120), "never 4 in flight");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    e.fake.release_requests();
    let all = gets.await.unwrap();
    assert!(all.iter().all(|r| r.as_ref().unwrap().is_some()));
    assert_eq!(e.fake.peak_in_flight(), 4, "the client's limit, no more");
}

#[tokio::test]
async fn access_token_is_refreshed_before_expiry_and_rotated() {
    // The fake's tokens live an hour; the client's clock is moved instead
    // of waiting, and the fake would still take the old token: a second
    // refresh can only come from the client's own "expires soon" rule.
    let o = FakeOptions {
        access_token_ttl: Duration::from_secs(3600),
        ..opts()
    };
    let clock = ManualClock::new(Utc::now());
    let e = env_on(o, Duration::from_secs(120), Arc::new(clock.clone())).await;
    let first_rt = e.secrets.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap();
    e.client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(e.fake.refreshes(), 1);
    let second_rt = e.secrets.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap();
    assert_ne!(first_rt, second_rt, "the rotated refresh token is kept");
    // Outside the 2-minute margin the token held is used again.
    clock.advance(chrono::Duration::seconds(3600 - 121));
    e.client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(e.fake.refreshes(), 1, "a token 121 s from expiry is kept");
    // Inside it, the client refreshes before the token dies in flight.
    clock.advance(chrono::Duration::seconds(2));
    e.client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(
        e.fake.refreshes(),
        2,
        "a token 119 s from expiry is renewed"
    );
    assert_ne!(
        e.secrets.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap(),
        second_rt,
        "rotated again"
    );
    // The used refresh token no longer works.
    let auth = AuthConfig::new(&e.fake.login_url(), "common", "orosync-tests");
    let old =
        orosync::graph::auth::refresh(&http_client(Duration::from_secs(5)), &auth, &first_rt).await;
    assert!(matches!(old, Err(AuthError::Refused(m)) if m.starts_with("invalid_grant")));
}

#[tokio::test]
async fn a_401_refreshes_once_and_a_dead_refresh_token_is_auth() {
    let e = env().await;
    e.client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(e.fake.refreshes(), 1);
    e.fake.expire_access_tokens();
    e.client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(e.fake.refreshes(), 2);
    // Tokens revoked for good: the user must sign in again.
    e.fake.expire_access_tokens();
    e.secrets
        .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("rt-revoked"))
        .unwrap();
    let r = e.client.changes(Kind::Contacts, None, &window()).await;
    match r {
        Err(StoreError::Auth(m)) => assert!(!m.contains("rt-revoked"), "no secret in errors"),
        other => panic!("expected Auth, got {other:?}"),
    }
    // Nobody signed in at all.
    e.secrets.delete(OUTLOOK_REFRESH_TOKEN).unwrap();
    e.fake.expire_access_tokens();
    assert!(matches!(
        e.client.get(Kind::Contacts, "x").await,
        Err(StoreError::Auth(_))
    ));
}

#[tokio::test]
async fn browser_sign_in_with_pkce_on_loopback() {
    let fake = FakeGraph::start(opts()).await.unwrap();
    let cfg = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let http = http_client(Duration::from_secs(5));
    let flow = BrowserSignIn::start(&cfg, 0).await.unwrap();
    assert!(flow.redirect_uri().starts_with("http://localhost:"));
    let url = flow.authorize_url().to_string();
    assert!(url.contains("code_challenge_method=S256"));
    // The "browser": the fake signs the user in and redirects to the loopback.
    let browser = async {
        let page = reqwest::get(&url).await.unwrap();
        assert_eq!(page.status(), 200);
        page.text().await.unwrap()
    };
    let (page, tokens) = tokio::join!(browser, flow.finish(&http, Duration::from_secs(10)));
    assert!(page.contains("sign-in finished"));
    let tokens = tokens.unwrap();
    assert!(tokens.refresh_token.is_some());
    let shown = format!("{tokens:?}");
    assert!(
        !shown.contains(tokens.access_token.expose()),
        "Debug never shows tokens"
    );

    // The tokens work against Graph.
    let secrets = MemorySecrets::new();
    let tm = Arc::new(TokenManager::new(
        http.clone(),
        cfg,
        Arc::new(secrets.clone()),
    ));
    tm.save(&tokens).await.unwrap();
    let client = GraphClient::new(GraphConfig::new(&fake.url(), TZ, "https://crm"), tm).unwrap();
    client.changes(Kind::Tasks, None, &window()).await.unwrap();
    assert_eq!(fake.refreshes(), 0, "the signed-in access token was used");
    assert!(secrets.get(OUTLOOK_REFRESH_TOKEN).unwrap().is_some());
}

#[tokio::test]
async fn device_code_sign_in_waits_for_approval() {
    let fake = FakeGraph::start(opts()).await.unwrap();
    let cfg = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let http = http_client(Duration::from_secs(5));
    let dc = DeviceCode::start(&http, &cfg).await.unwrap();
    assert!(dc.message.contains(&dc.user_code));
    let before = fake.token_requests();
    let poll = dc.poll(&http, &cfg);
    // Approved once the fake has answered one poll "pending" (a condition,
    // not a guess at how long the poll takes): then exactly one more poll
    // gets the tokens.
    let approve = async {
        while fake.token_requests() == before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(fake.approve_device(&dc.user_code));
    };
    let (tokens, ()) = tokio::join!(poll, approve);
    let tokens = tokens.unwrap();
    assert!(tokens.refresh_token.is_some());
    assert_eq!(
        fake.token_requests() - before,
        2,
        "one poll while pending, one that got the tokens"
    );

    let dc = DeviceCode::start(&http, &cfg).await.unwrap();
    assert!(fake.decline_device(&dc.user_code));
    assert_eq!(dc.poll(&http, &cfg).await.unwrap_err(), AuthError::Declined);
}

#[tokio::test]
async fn fake_filters_on_the_extended_property_and_pages_lists() {
    let e = env().await;
    for i in 0..12 {
        e.fake.user_create_item(
            &Item::Contacts(contact(&format!("L{i}"))),
            Some(&format!("{i}")),
        );
    }
    let token = e.tokens.access_token().await.unwrap();
    let http = http_client(Duration::from_secs(5));
    let filter = format!(
        "singleValueExtendedProperties/Any(ep: ep/id eq '{LINK_PROP}' and ep/value eq '7')"
    );
    let r: serde_json::Value = http
        .get(format!("{}/me/contacts", e.fake.url()))
        .query(&[("$filter", filter.as_str()), ("$select", "givenName")])
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v = r["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["givenName"], "L7");
    assert!(v[0].get("surname").is_none(), "$select applies");

    let page: serde_json::Value = http
        .get(format!("{}/me/contacts?$top=5", e.fake.url()))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 5);
    assert!(page["@odata.nextLink"].as_str().unwrap().contains("skip=5"));
    let unauth = http
        .get(format!("{}/me/contacts", e.fake.url()))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
}

#[tokio::test]
async fn batch_dependencies_fail_with_424() {
    let e = env().await;
    let token = e.tokens.access_token().await.unwrap();
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/me/contacts/missing"},
        {"id": "2", "method": "POST", "url": "/me/contacts", "dependsOn": ["1"],
         "headers": {"Content-Type": "application/json"}, "body": {"givenName": "Z"}},
    ]});
    let r: serde_json::Value = http_client(Duration::from_secs(5))
        .post(format!("{}/$batch", e.fake.url()))
        .bearer_auth(token.expose())
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status = |id: &str| {
        r["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()["status"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(status("1"), 404);
    assert_eq!(status("2"), 424);
    assert_eq!(e.fake.writes().created, 0);
}

#[tokio::test]
async fn a_next_link_that_repeats_is_malformed_not_a_loop() {
    let e = env().await;
    e.fake.inject(Fault::LoopingNextLink, 3);
    let r = e.client.changes(Kind::Contacts, None, &window()).await;
    assert!(matches!(r, Err(StoreError::Malformed(m)) if m.contains("repeats")));
}

#[tokio::test]
async fn device_page_approves_a_code_for_the_demo() {
    let fake = FakeGraph::start(opts()).await.unwrap();
    let cfg = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let http = http_client(Duration::from_secs(5));
    let dc = DeviceCode::start(&http, &cfg).await.unwrap();
    let page = http
        .get(&dc.verification_uri)
        .query(&[("user_code", dc.user_code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::new());
    let client = GraphClient::with_secrets(
        GraphConfig::new(&fake.url(), TZ, "https://crm"),
        cfg.clone(),
        secrets.clone(),
    )
    .unwrap();
    let tokens = dc.poll(&http, &cfg).await.unwrap();
    client.tokens().save(&tokens).await.unwrap();
    assert!(secrets.get(OUTLOOK_REFRESH_TOKEN).unwrap().is_some());
    client.changes(Kind::Events, None, &window()).await.unwrap();
}

#[tokio::test]
async fn a_write_member_that_timed_out_at_the_gateway_is_not_resent() {
    let e = env().await;
    e.fake.inject_member(Fault::GatewayTimeout, 1);
    let res = e
        .client
        .write(
            Kind::Contacts,
            vec![
                create(Item::Contacts(contact("T1")), "1"),
                create(Item::Contacts(contact("T2")), "2"),
            ],
        )
        .await;
    assert!(
        matches!(&res[0], Err(StoreError::Unavailable(_))),
        "{:?}",
        res[0]
    );
    assert!(res[1].as_ref().unwrap().is_some());
    assert_eq!(e.fake.member_requests(), 2, "no member was sent twice");
}

#[tokio::test]
async fn a_refresh_token_from_the_environment_rotates_in_memory_only() {
    use orosync::secrets::EnvFirst;
    use std::collections::HashMap;
    let fake = FakeGraph::start(opts()).await.unwrap();
    let keyring = MemorySecrets::new();
    let vars = HashMap::from([(
        OUTLOOK_REFRESH_TOKEN.to_string(),
        fake.issue_refresh_token(),
    )]);
    let secrets: Arc<dyn SecretStore> = Arc::new(EnvFirst::with_vars(keyring.clone(), vars));
    let auth = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let client = GraphClient::with_secrets(
        GraphConfig::new(&fake.url(), TZ, "https://crm"),
        auth,
        secrets,
    )
    .unwrap();
    client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    // A second refresh must use the rotated token (the first is spent).
    fake.expire_access_tokens();
    client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(fake.refreshes(), 2);
    assert_eq!(
        keyring.get(OUTLOOK_REFRESH_TOKEN).unwrap(),
        None,
        "nothing written to the keyring"
    );
}

/// A `tracing` writer into a shared buffer, to look for secrets in logs.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The capture below is a subscriber for this thread only, and tracing
/// caches per call site, process-wide, whether anyone listens: another test
/// hitting a call site first at the same instant can leave this one's
/// capture empty. So the check runs alone, in a process of its own.
#[test]
fn no_token_reaches_logs_errors_or_debug_output() {
    const ALONE: &str = "OROSYNC_TEST_LOG_CHECK_ALONE";
    if std::env::var_os(ALONE).is_some() {
        // This process runs only this test: check here.
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(no_token_in_logs());
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "no_token_reaches_logs_errors_or_debug_output",
            "--test-threads=1",
        ])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the check did not run: {stdout}"
    );
}

async fn no_token_in_logs() {
    let log = Captured::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let e = env().await;
    let rt = e.secrets.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap();
    let id = e
        .fake
        .user_create_item(&Item::Contacts(contact("Log")), None);
    e.fake.inject(Fault::Unavailable, 1);
    e.fake.inject_member(Fault::Throttle { retry_after: 0 }, 1);
    e.client.get(Kind::Contacts, &id).await.unwrap();
    let at = e.tokens.access_token().await.unwrap();
    e.fake.expire_access_tokens();
    let res = e
        .client
        .write(
            Kind::Contacts,
            vec![create(Item::Contacts(contact("L2")), "8")],
        )
        .await;
    assert!(res[0].is_ok());
    let at2 = e.tokens.access_token().await.unwrap();
    let debug = format!("{:?} {:?} {:?}", e.client, e.tokens, res);
    let logs = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("503"), "the retry was logged: {logs}");
    for secret in [rt.expose(), at.expose(), at2.expose()] {
        assert!(!logs.contains(secret), "a token in the logs");
        assert!(!debug.contains(secret), "a token in Debug output");
    }
}

/// A request straight to the fake with the client's access token: the
/// status and JSON body (`null` when empty).
async fn raw(
    e: &Env,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
    prefer: Option<&str>,
) -> (u16, serde_json::Value) {
    let token = e.tokens.access_token().await.unwrap();
    let mut req = http_client(Duration::from_secs(5))
        .request(method, format!("{}{path}", e.fake.url()))
        .bearer_auth(token.expose());
    if let Some(p) = prefer {
        req = req.header("Prefer", p);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    let v = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, v)
}

#[tokio::test]
async fn a_contacts_cursor_on_the_undocumented_path_is_started_again() {
    let e = env().await;
    let old = format!(
        "{}/me/contacts/delta?$deltatoken=from-an-older-version",
        e.fake.url()
    );
    let r = e
        .client
        .changes(Kind::Contacts, Some(&old), &window())
        .await;
    assert!(matches!(r, Err(StoreError::CursorExpired)), "{r:?}");
    let log: Vec<String> = e.fake.request_log().into_iter().map(|(r, _)| r).collect();
    assert!(
        !log.iter().any(|r| r.starts_with("GET /me/contacts/delta")),
        "{log:?}"
    );
}

#[tokio::test]
async fn contact_delta_reads_the_default_folder_by_its_documented_path() {
    let e = env().await;
    let id = e
        .fake
        .user_create_item(&Item::Contacts(contact("Folder")), None);
    let full = e
        .client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(full.items.len(), 1);
    assert_eq!(full.items[0].id, id);
    let log: Vec<String> = e.fake.request_log().into_iter().map(|(r, _)| r).collect();
    assert!(
        log.iter().any(|r| r == "GET /me/contactFolders/contacts"),
        "the default folder is looked up: {log:?}"
    );
    let documented = format!("GET /me/contactFolders/{CONTACTS_FOLDER}/contacts/delta");
    assert!(log.contains(&documented), "{log:?}");
    assert!(
        !log.iter().any(|r| r == "GET /me/contacts/delta"),
        "{log:?}"
    );
    // The cursor keeps to the documented path, and the next round works.
    assert!(full.cursor.contains(&format!(
        "/me/contactFolders/{CONTACTS_FOLDER}/contacts/delta"
    )));
    let next = e
        .client
        .changes(Kind::Contacts, Some(&full.cursor), &window())
        .await
        .unwrap();
    assert!(next.items.is_empty() && next.removed.is_empty());
    // The folder is looked up once per client.
    let lookups = e
        .fake
        .request_log()
        .iter()
        .filter(|(r, _)| r == "GET /me/contactFolders/contacts")
        .count();
    assert_eq!(lookups, 1);

    // The undocumented path is refused as an unknown segment.
    let (status, body) = raw(&e, reqwest::Method::GET, "/me/contacts/delta", None, None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
    // The default folder is not among the folders listed under it.
    let (status, body) = raw(&e, reqwest::Method::GET, "/me/contactFolders", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], json!([]));
    // A contact names its folder.
    assert_eq!(e.fake.find(&id).unwrap()["parentFolderId"], CONTACTS_FOLDER);
}

#[tokio::test]
async fn todo_answers_a_due_day_as_midnight_in_its_zone_in_utc_whatever_prefer_asks() {
    let e = env().await;
    let made = write_one(
        &e.client,
        Kind::Tasks,
        create(Item::Tasks(task("Due", Some(d(2026, 3, 30)))), "9"),
    )
    .await
    .unwrap()
    .unwrap();
    let Item::Tasks(t) = &made.item else { panic!() };
    assert_eq!(t.due_date, Some(d(2026, 3, 30)));
    // Midnight of the 30th in Berlin (summer time from the 29th), in UTC,
    // even when another zone is asked for.
    let path = format!("/me/todo/lists/{DEFAULT_LIST}/tasks/{}", made.id);
    let (status, v) = raw(
        &e,
        reqwest::Method::GET,
        &path,
        None,
        Some("outlook.timezone=\"Pacific Standard Time\""),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        v["dueDateTime"],
        json!({"dateTime": "2026-03-29T22:00:00.0000000", "timeZone": "UTC"})
    );
    // To Do drops a time of day: 18:45 in New York is the 2nd's midnight there.
    let (status, v) = raw(
        &e,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"dueDateTime": {"dateTime": "2026-04-02T18:45:00", "timeZone": "Eastern Standard Time"}})),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        v["dueDateTime"],
        json!({"dateTime": "2026-04-02T04:00:00.0000000", "timeZone": "UTC"})
    );
    // A zone Graph does not know is refused, and nothing changes.
    let (status, _) = raw(
        &e,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"dueDateTime": {"dateTime": "2026-04-09T00:00:00", "timeZone": "Middle Earth Time"}})),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        e.fake.find(&made.id).unwrap()["dueDateTime"]["dateTime"],
        "2026-04-02T04:00:00.0000000"
    );
}

#[tokio::test]
async fn the_fake_holds_contact_addresses_to_graphs_physical_address_type() {
    let e = env().await;
    // physicalAddress has countryOrRegion, not country; a refused write
    // stores nothing.
    for bad in [
        json!({"givenName": "Ann", "businessAddress": {"street": "Hauptstr. 1", "country": "DE"}}),
        json!({"givenName": "Ann", "homeAddress": {"postalCode": 80331}}),
        json!({"givenName": "Ann", "otherAddress": "Hauptstr. 1, München"}),
    ] {
        let (status, body) = raw(
            &e,
            reqwest::Method::POST,
            "/me/contacts",
            Some(bad.clone()),
            None,
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["code"], "RequestBodyRead", "{bad}");
    }
    assert!(e.fake.all(Kind::Contacts).is_empty());
    let good = json!({"givenName": "Ann", "businessAddress": {
        "street": "Hauptstr. 1\nHinterhaus", "city": "München", "state": "Bayern",
        "countryOrRegion": "Germany", "postalCode": "80331"}});
    let (status, body) = raw(&e, reqwest::Method::POST, "/me/contacts", Some(good), None).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["businessAddress"]["countryOrRegion"], "Germany");
}

#[tokio::test]
async fn the_fake_refuses_a_property_the_type_does_not_have() {
    let e = env().await;
    // `nickname` for contact's `nickName`: Graph answers 400, not a
    // contact without the field.
    let (status, body) = raw(
        &e,
        reqwest::Method::POST,
        "/me/contacts",
        Some(json!({"givenName": "Ann", "nickname": "Annie"})),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "RequestBodyRead");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'nickname'"));
    let (status, _) = raw(
        &e,
        reqwest::Method::POST,
        "/me/events",
        Some(json!({"subject": "x", "allDay": true})),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let tasks = format!("/me/todo/lists/{DEFAULT_LIST}/tasks");
    let (status, _) = raw(
        &e,
        reqwest::Method::POST,
        &tasks,
        Some(json!({"title": "x", "due": "2026-01-01"})),
        None,
    )
    .await;
    assert_eq!(status, 400);
    // An inline linkedResource is a linkedResource: `url` is not `webUrl`.
    let (status, _) = raw(
        &e,
        reqwest::Method::POST,
        &tasks,
        Some(json!({"title": "x", "linkedResources": [{"applicationName": "A", "url": "u"}]})),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e.fake.writes().created, 0);
    // What the client writes is all known to Graph.
    let made = write_one(
        &e.client,
        Kind::Contacts,
        create(Item::Contacts(contact("Known")), "1"),
    )
    .await
    .unwrap();
    assert!(made.is_some());
}

#[tokio::test]
async fn a_batch_write_without_a_content_type_or_body_is_refused_whole() {
    let e = env().await;
    for member in [
        json!({"id": "1", "method": "POST", "url": "/me/contacts", "body": {"givenName": "Z"}}),
        json!({"id": "1", "method": "PATCH", "url": "/me/contacts/x",
               "headers": {"Content-Type": "application/json"}}),
        json!({"method": "GET", "url": "/me/contacts"}),
    ] {
        let body = json!({"requests": [
            {"id": "0", "method": "POST", "url": "/me/contacts",
             "headers": {"content-type": "application/json"}, "body": {"givenName": "Y"}},
            member,
        ]});
        let (status, r) = raw(&e, reqwest::Method::POST, "/$batch", Some(body), None).await;
        assert_eq!(status, 400, "{r}");
        assert_eq!(r["error"]["code"], "BadRequest");
    }
    // Nothing of a refused batch ran.
    assert_eq!(e.fake.writes().created, 0);
}

#[tokio::test]
async fn the_fake_refuses_a_value_its_property_cannot_hold() {
    let e = env().await;
    let tasks = format!("/me/todo/lists/{DEFAULT_LIST}/tasks");
    for (path, body) in [
        (tasks.as_str(), json!({"title": "x", "status": "waiting"})),
        (tasks.as_str(), json!({"title": "x", "importance": "High"})),
        (
            tasks.as_str(),
            json!({"title": "x", "body": {"contentType": "markdown", "content": "*"}}),
        ),
        (
            "/me/contacts",
            json!({"givenName": "x", "birthday": "1990-06-01"}),
        ),
        (
            "/me/events",
            json!({"subject": "x", "body": {"contentType": "Text", "content": ""}}),
        ),
    ] {
        let (status, r) = raw(&e, reqwest::Method::POST, path, Some(body.clone()), None).await;
        assert_eq!(status, 400, "{body}: {r}");
        assert_eq!(r["error"]["code"], "RequestBodyRead");
    }
    assert_eq!(e.fake.writes().created, 0);
}

#[tokio::test]
async fn a_fifth_request_in_flight_against_the_mailbox_is_throttled() {
    let e = env().await;
    // A token first: sign-in is not the mailbox's and is not held.
    e.tokens.access_token().await.unwrap();
    e.fake.hold_requests();
    let mut held = Vec::new();
    for _ in 0..4 {
        let e_url = e.fake.url();
        let token = e.tokens.access_token().await.unwrap();
        held.push(tokio::spawn(async move {
            http_client(Duration::from_secs(30))
                .get(format!("{e_url}/me/contacts"))
                .bearer_auth(token.expose())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    // Wait on the fake's own count (polled), not on time, until all four
    // are in.
    while e.fake.in_flight() < 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let token = e.tokens.access_token().await.unwrap();
    let fifth = http_client(Duration::from_secs(5))
        .get(format!("{}/me/contacts", e.fake.url()))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(fifth.status(), 429);
    assert!(fifth.headers().get("retry-after").is_some());
    let body: serde_json::Value = fifth.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ApplicationThrottled");
    e.fake.release_requests();
    for h in held {
        assert_eq!(h.await.unwrap(), 200);
    }
}

#[tokio::test]
async fn the_fake_refuses_contact_lists_and_event_times_graph_would_refuse() {
    let e = env().await;
    let four: Vec<_> = (0..4)
        .map(|i| json!({"address": format!("{i}@x.com")}))
        .collect();
    for (path, body, code) in [
        (
            "/me/contacts",
            json!({"givenName": "x", "emailAddresses": four}),
            "ErrorInvalidArgument",
        ),
        (
            "/me/contacts",
            json!({"givenName": "x", "businessPhones": ["1", "2", "3"]}),
            "ErrorInvalidArgument",
        ),
        (
            "/me/events",
            json!({"subject": "x",
            "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Middle Earth Time"},
            "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "UTC"}}),
            "TimeZoneNotSupportedException",
        ),
        (
            "/me/events",
            json!({"subject": "x", "isAllDay": true,
            "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-02T00:00:00", "timeZone": "UTC"}}),
            "ErrorPropertyValidationFailure",
        ),
    ] {
        let (status, r) = raw(&e, reqwest::Method::POST, path, Some(body.clone()), None).await;
        assert_eq!(status, 400, "{body}: {r}");
        assert_eq!(r["error"]["code"], code);
    }
    assert_eq!(e.fake.writes().created, 0);
}

#[tokio::test]
async fn without_the_well_known_name_a_contacts_parent_folder_names_the_default_folder() {
    let e = env().await;
    e.fake.folder_ids_only(true);
    // Nothing names the folder yet: a clear error, no undocumented path.
    let r = e.client.changes(Kind::Contacts, None, &window()).await;
    assert!(
        matches!(&r, Err(StoreError::NotFound(m)) if m.contains("default contacts folder")),
        "{r:?}"
    );
    let id = e
        .fake
        .user_create_item(&Item::Contacts(contact("Parent")), None);
    let full = e
        .client
        .changes(Kind::Contacts, None, &window())
        .await
        .unwrap();
    assert_eq!(full.items.len(), 1);
    assert_eq!(full.items[0].id, id);
    let log: Vec<String> = e.fake.request_log().into_iter().map(|(r, _)| r).collect();
    assert!(
        log.contains(&format!(
            "GET /me/contactFolders/{CONTACTS_FOLDER}/contacts/delta"
        )),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|r| r == "GET /me/contacts/delta"),
        "{log:?}"
    );
}

/// What the fake Graph holds for an item the client created, less what the
/// server adds (ids, the event type, times, change keys) and the fake's own
/// bookkeeping:
/// the literal body the client wrote, extended properties in id order.
async fn written(e: &Env, kind: Kind, item: Item, link: &str) -> serde_json::Value {
    let made = write_one(&e.client, kind, create(item, link))
        .await
        .unwrap()
        .unwrap();
    let mut raw = e.fake.find(&made.id).unwrap();
    let obj = raw.as_object_mut().unwrap();
    obj.retain(|k, _| {
        !k.starts_with('_')
            && !matches!(
                k.as_str(),
                "id" | "type"
                    | "createdDateTime"
                    | "lastModifiedDateTime"
                    | "changeKey"
                    | "parentFolderId"
                    | "@odata.etag"
            )
    });
    if let Some(props) = obj.get_mut("singleValueExtendedProperties") {
        let props = props.as_array_mut().unwrap();
        props.sort_by_key(|p| p["id"].as_str().unwrap_or("").to_string());
    }
    // The linked resource's id is the server's.
    if let Some(lrs) = obj.get_mut("linkedResources") {
        for lr in lrs.as_array_mut().unwrap() {
            lr.as_object_mut().unwrap().remove("id");
        }
    }
    // Collections the fake keeps for every item, empty unless written.
    obj.retain(|k, v| {
        !(matches!(
            k.as_str(),
            "linkedResources" | "singleValueExtendedProperties"
        ) && v.as_array().is_some_and(|a| a.is_empty()))
    });
    raw
}

/// The literal JSON the client writes for a contact with every mapped
/// field, as Graph documents the contact resource: the fakes read with
/// their own code, and this pins each field's name and shape.
#[tokio::test]
async fn a_contact_with_every_field_is_written_as_this_literal_json() {
    let e = env().await;
    let mut c = contact("Ann");
    c.fax = Some("+49 30 9999".into());
    // Oro's one address both billing and shipping, with a region Oro named.
    c.addresses = vec![orosync::model::Address {
        oro_id: Some("5".into()),
        types: [AddressType::Billing, AddressType::Shipping].into(),
        street: Some("Hauptstraße 1".into()),
        street2: Some("Hinterhaus".into()),
        city: Some("München".into()),
        postal_code: Some("80331".into()),
        country: Some("DE".into()),
        region: Some(Region::Code("DE-BY".into())),
        region_name: Some("Bayern".into()),
        ..Default::default()
    }];
    let got = written(&e, Kind::Contacts, Item::Contacts(c), "17").await;
    let munich = json!({"street": "Hauptstraße 1\nHinterhaus", "city": "München",
        "state": "Bayern", "countryOrRegion": "Germany", "postalCode": "80331"});
    assert_eq!(
        got,
        json!({
            "businessAddress": munich,
            "homeAddress": munich,
            "otherAddress": {"street": "", "city": "", "state": "", "countryOrRegion": "", "postalCode": ""},
            "birthday": "1990-05-31T22:00:00Z",
            "businessPhones": ["+49 30 1234"],
            "displayName": "Ann Q Smith",
            "emailAddresses": [
                {"address": "a@x.com", "name": "a@x.com"},
                {"address": "b@x.com", "name": "b@x.com"},
                {"address": "c@x.com", "name": "c@x.com"}
            ],
            "generation": "Jr.",
            "givenName": "Ann",
            "jobTitle": "Engineer",
            "middleName": "Q",
            "personalNotes": "Met at the fair\nSecond line",
            "singleValueExtendedProperties": [
                {"id": "Short 0x3A4D", "value": "1"},
                {"id": "String 0x3A24", "value": "+49 30 9999"},
                {"id": "String {001c5db1-a402-44c2-91c3-2185e6e31d60} Name OroCRM_id", "value": "17"}
            ],
            "surname": "Smith",
            "title": "Dr."
        })
    );
}

/// The same for a To Do task: its link is a linked resource, its due date
/// the day's midnight in the user's zone (Berlin) in UTC.
#[tokio::test]
async fn a_task_with_every_field_is_written_as_this_literal_json() {
    let e = env().await;
    let t = task("Call back", Some(d(2026, 12, 24)));
    let got = written(&e, Kind::Tasks, Item::Tasks(t), "42").await;
    assert_eq!(
        got,
        json!({
            "body": {"content": "Details", "contentType": "text"},
            "dueDateTime": {"dateTime": "2026-12-23T23:00:00.0000000", "timeZone": "UTC"},
            "importance": "high",
            "linkedResources": [{
                "applicationName": "OroCRM",
                "displayName": "OroCRM task 42",
                "externalId": "42",
                "webUrl": "https://crm.example.com/task/view/42"
            }],
            "status": "inProgress",
            "title": "Call back"
        })
    );
}

/// The same for a timed and an all-day event: a timed one in UTC, an
/// all-day one as dates at midnight in the user's zone by its Windows name.
#[tokio::test]
async fn events_timed_and_all_day_are_written_as_this_literal_json() {
    let e = env().await;
    let timed = Event {
        title: "Quarterly review".into(),
        description: Some("Room 4\nBring figures".into()),
        when: When::Timed {
            start: Utc.with_ymd_and_hms(2027, 3, 3, 9, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2027, 3, 3, 10, 30, 0).unwrap(),
        },
    };
    let link = "String {001c5db1-a402-44c2-91c3-2185e6e31d60} Name OroCRM_id";
    assert_eq!(
        written(&e, Kind::Events, Item::Events(timed), "7").await,
        json!({
            "body": {"content": "Room 4\nBring figures", "contentType": "text"},
            "end": {"dateTime": "2027-03-03T10:30:00.0000000", "timeZone": "UTC"},
            "isAllDay": false,
            "singleValueExtendedProperties": [{"id": link, "value": "7"}],
            "start": {"dateTime": "2027-03-03T09:00:00.0000000", "timeZone": "UTC"},
            "subject": "Quarterly review"
        })
    );
    let all_day = Event {
        title: "Holiday".into(),
        description: None,
        when: When::AllDay {
            start: d(2027, 3, 29),
            end: d(2027, 3, 31),
        },
    };
    assert_eq!(
        written(&e, Kind::Events, Item::Events(all_day), "8").await,
        json!({
            "body": {"content": "", "contentType": "text"},
            "end": {"dateTime": "2027-03-31T00:00:00.0000000", "timeZone": "W. Europe Standard Time"},
            "isAllDay": true,
            "singleValueExtendedProperties": [{"id": link, "value": "8"}],
            "start": {"dateTime": "2027-03-29T00:00:00.0000000", "timeZone": "W. Europe Standard Time"},
            "subject": "Holiday"
        })
    );
}
