//! The fake Oro answers contacts and tasks as Oro does where the client can
//! get it wrong: the length and date rules of OroCRM's validation, and the
//! sorters and filters Oro's API offers (only indexed columns). Each test
//! shows the fake refusing what Oro refuses and accepting what Oro accepts,
//! through the client where the client sends it (see `docs/fidelity.md`).

use chrono::{DateTime, NaiveDate, Utc};
use orosync::clock::ManualClock;
use orosync::fakes::oro::{FakeOro, FakeOroOptions};
use orosync::model::{Contact, Item, Kind, Task};
use orosync::oro::{wsse_headers, OroAuth, OroClient, OroConfig, Secret};
use orosync::store::{OroStore, StoreError};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

async fn fake_with(f: impl FnOnce(&mut FakeOroOptions)) -> FakeOro {
    let mut o = FakeOroOptions::default();
    f(&mut o);
    FakeOro::start(o).await.expect("fake Oro starts")
}

fn client(fake: &FakeOro) -> OroClient {
    let o = fake.options();
    let mut c = OroConfig::new(
        &fake.url(),
        &o.username,
        OroAuth::Wsse {
            api_key: Secret::new(o.api_key.clone()),
        },
    );
    c.timeout = Duration::from_secs(5);
    OroClient::new(c).expect("client")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn rejected(e: StoreError) -> String {
    match e {
        StoreError::Rejected(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A signed JSON:API GET of `/api/{path}`: status and document.
async fn get(fake: &FakeOro, path: &str) -> (u16, Value) {
    let o = fake.options().clone();
    let created = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let mut req = reqwest::Client::new()
        .get(format!("{}/api/{path}", fake.url()))
        .header("Accept", "application/vnd.api+json");
    for (k, v) in wsse_headers(
        &o.username,
        &Secret::new(o.api_key.clone()),
        &rand::random::<[u8; 16]>(),
        &created,
    ) {
        req = req.header(k, v);
    }
    let r = req.send().await.expect("answer");
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON document"))
}

fn task(subject: String) -> Item {
    Item::Tasks(Task {
        subject,
        ..Default::default()
    })
}

fn subject(fake: &FakeOro, id: &str) -> String {
    match fake
        .read_record(
            Kind::Tasks,
            &fake.record(Kind::Tasks, id).expect("the task"),
        )
        .item
    {
        Item::Tasks(t) => t.subject,
        other => panic!("not a task: {other:?}"),
    }
}

#[tokio::test]
async fn a_task_subject_over_255_characters_is_refused_by_the_length_rule() {
    let fake = fake_with(|_| {}).await;
    let oro = client(&fake);
    let r = rejected(oro.create(&task("x".repeat(256))).await.unwrap_err());
    assert_eq!(
        r,
        "subject: This value is too long. It should have 255 characters or less."
    );
    assert_eq!(fake.writes().total(), 0);
    // Characters, not bytes: 255 two-byte letters are allowed.
    let id = oro
        .create(&task("é".repeat(255)))
        .await
        .expect("created")
        .id;
    assert_eq!(subject(&fake, &id), "é".repeat(255));
    // An update is held to the same rule, and nothing of it is applied.
    let r = rejected(oro.update(&id, &task("y".repeat(300))).await.unwrap_err());
    assert!(r.contains("255 characters or less"), "{r}");
    assert_eq!(subject(&fake, &id), "é".repeat(255));
}

fn named(first: String, last: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(first),
        last_name: Some(last.into()),
        ..Default::default()
    })
}

#[tokio::test]
async fn contact_names_over_100_characters_are_refused_by_the_length_rule() {
    let fake = fake_with(|_| {}).await;
    let oro = client(&fake);
    let r = rejected(
        oro.create(&named("a".repeat(101), "Lee"))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        r,
        "firstName: This value is too long. It should have 100 characters or less."
    );
    let long_last = Item::Contacts(Contact {
        last_name: Some("ö".repeat(101)),
        ..Default::default()
    });
    let r = rejected(oro.create(&long_last).await.unwrap_err());
    assert!(r.starts_with("lastName: This value is too long"), "{r}");
    assert_eq!(fake.writes().total(), 0);
    let id = oro
        .create(&named("ö".repeat(100), "Lee"))
        .await
        .expect("100 characters are allowed")
        .id;
    assert!(fake.record(Kind::Contacts, &id).is_some());
}

#[tokio::test]
async fn a_birthday_in_the_future_is_refused_and_today_is_accepted() {
    let clock = ManualClock::new(at("2024-05-01T10:00:00Z"));
    let fake = fake_with(|o| o.clock = Arc::new(clock.clone())).await;
    let oro = client(&fake);
    let born = |d: NaiveDate| {
        Item::Contacts(Contact {
            first_name: Some("Ann".into()),
            birthday: Some(d),
            ..Default::default()
        })
    };
    let r = rejected(
        oro.create(&born(NaiveDate::from_ymd_opt(2024, 5, 2).unwrap()))
            .await
            .unwrap_err(),
    );
    assert_eq!(r, "birthday: The birth date cannot be in the future.");
    assert_eq!(fake.writes().total(), 0);
    let today = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let id = oro.create(&born(today)).await.expect("today is allowed").id;
    match fake
        .read_record(Kind::Contacts, &fake.record(Kind::Contacts, &id).unwrap())
        .item
    {
        Item::Contacts(c) => assert_eq!(c.birthday, Some(today)),
        other => panic!("not a contact: {other:?}"),
    }
}

#[tokio::test]
async fn sorting_by_a_field_oro_has_no_sorter_for_is_refused() {
    let fake = fake_with(|_| {}).await;
    fake.user_create(&named("Ann".into(), "Lee"));
    for (path, field) in [
        ("contacts?sort=createdAt", "createdAt"),
        ("contacts?sort=-jobTitle,id", "jobTitle"),
        ("tasks?sort=subject", "subject"),
        ("tasks?sort=createdAt", "createdAt"),
    ] {
        let (status, doc) = get(&fake, path).await;
        assert_eq!(status, 400, "{path}");
        let e = &doc["errors"][0];
        assert_eq!(e["title"], "sort constraint", "{path}");
        assert_eq!(
            e["detail"],
            format!("Sorting by \"{field}\" field is not supported."),
            "{path}"
        );
        assert_eq!(e["source"]["parameter"], "sort", "{path}");
    }
    let (status, doc) = get(&fake, "contacts?sort=createdAt,jobTitle").await;
    assert_eq!(status, 400);
    assert_eq!(
        doc["errors"][0]["detail"],
        "Sorting by \"createdAt, jobTitle\" fields are not supported."
    );
    // What Oro does sort by: the id and indexed columns.
    for path in [
        "contacts?sort=updatedAt,id",
        "contacts?sort=-lastName,firstName",
        "tasks?sort=-dueDate,id",
        "tasks?sort=updatedAt,id",
    ] {
        let (status, doc) = get(&fake, path).await;
        assert_eq!(status, 200, "{path}: {doc}");
    }
}

#[tokio::test]
async fn filtering_by_created_at_is_not_supported() {
    let fake = fake_with(|_| {}).await;
    for ty in ["contacts", "tasks"] {
        let (status, doc) = get(
            &fake,
            &format!("{ty}?filter[createdAt][gte]=2024-01-01T00:00:00Z"),
        )
        .await;
        assert_eq!(status, 400, "{ty}");
        assert_eq!(doc["errors"][0]["title"], "filter constraint");
        assert_eq!(
            doc["errors"][0]["source"]["parameter"],
            "filter[createdAt][gte]"
        );
        let (status, _) = get(
            &fake,
            &format!("{ty}?filter[updatedAt][gte]=2024-01-01T00:00:00Z"),
        )
        .await;
        assert_eq!(status, 200, "{ty}");
    }
}
