//! The fake Oro answers contacts and tasks as Oro does where the client can
//! get it wrong: the length and date rules of OroCRM's validation, and the
//! sorters and filters Oro's API offers (only indexed columns). Each test
//! shows the fake refusing what Oro refuses and accepting what Oro accepts,
//! through the client where the client sends it (see `docs/fidelity.md`).

mod support;

mod scenarios;

use chrono::{DateTime, NaiveDate, Utc};
use orosync::clock::ManualClock;
use orosync::model::{Contact, Item, Kind, Task};
use orosync::oro::{wsse_headers, OroClient, Secret};
use orosync::sides::{OroStore, StoreError};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use orosync_testkit::prelude::*;
use scenarios::http::OroHttpWorld;
use scenarios::world::World;
use serde_json::{json, Value};

async fn fake_with(f: impl FnOnce(&mut FakeOroOptions)) -> FakeOro {
    support::fake_oro_with(f).await
}

fn client(fake: &FakeOro) -> OroClient {
    OroClient::new(support::oro_config(fake, None)).expect("client")
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
    send(fake, reqwest::Method::GET, path, None).await
}

/// A signed JSON:API request with an optional document.
async fn send(
    fake: &FakeOro,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let ct = body.as_ref().map(|_| "application/vnd.api+json");
    send_with(fake, method, path, "application/vnd.api+json", ct, body).await
}

/// A signed request with these `Accept` and `Content-Type` headers.
async fn send_with(
    fake: &FakeOro,
    method: reqwest::Method,
    path: &str,
    accept: &str,
    content_type: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let o = fake.options().clone();
    let created = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/api/{path}", fake.url()))
        .header("Accept", accept);
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
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
    let fake = fake_with(|o| o.clock = orosync_testkit::fake_clock(&clock)).await;
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

fn with_emails(emails: &[&str]) -> Item {
    Item::Contacts(Contact {
        first_name: Some("Ann".into()),
        emails: emails.iter().map(|e| e.to_string()).collect(),
        ..Default::default()
    })
}

#[tokio::test]
async fn each_address_is_held_to_the_strict_email_rule() {
    let fake = fake_with(|_| {}).await;
    let oro = client(&fake);
    for bad in [
        "ann..lee@example.com",
        "ann lee@example.com",
        "ann@example..com",
    ] {
        let r = rejected(
            oro.create(&with_emails(&["ann@example.com", bad]))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            r, "email: This value is not a valid email address.",
            "{bad}"
        );
    }
    assert_eq!(fake.writes().total(), 0);
    // A second address only needs the strict rule: no dot in the domain,
    // a UTF-8 local part are fine there.
    let id = oro
        .create(&with_emails(&[
            "ann@example.com",
            "ann@localhost",
            "jörg@example.de",
        ]))
        .await
        .expect("strict accepts these")
        .id;
    match fake
        .read_record(Kind::Contacts, &fake.record(Kind::Contacts, &id).unwrap())
        .item
    {
        Item::Contacts(c) => assert_eq!(
            c.emails,
            vec!["ann@example.com", "ann@localhost", "jörg@example.de"]
        ),
        other => panic!("not a contact: {other:?}"),
    }
}

#[tokio::test]
async fn the_primary_email_is_held_to_the_html5_email_rule() {
    let fake = fake_with(|_| {}).await;
    let oro = client(&fake);
    // The client sends the first address as primaryEmail: Oro holds it to
    // the html5 rule (ASCII, a dotted domain).
    for first in ["ann@localhost", "jörg@example.de"] {
        let r = rejected(
            oro.create(&with_emails(&[first, "ann@example.com"]))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            r, "primaryEmail: This value is not a valid email address.",
            "{first}"
        );
    }
    assert_eq!(fake.writes().total(), 0);
}

fn contact_doc(attributes: Value) -> Value {
    json!({"data": {"type": "contacts", "attributes": attributes}})
}

#[tokio::test]
async fn the_primary_email_must_be_one_of_the_emails_sent_with_it() {
    let fake = fake_with(|_| {}).await;
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(contact_doc(json!({
            "firstName": "Ann",
            "emails": [{"email": "ann@example.com"}],
            "primaryEmail": "lee@example.com"
        }))),
    )
    .await;
    assert_eq!(status, 400, "{doc}");
    assert_eq!(doc["errors"][0]["title"], "primary item constraint");
    assert_eq!(doc["errors"][0]["detail"], "Unknown primary email address.");
    assert_eq!(
        doc["errors"][0]["source"]["pointer"],
        "/data/attributes/primaryEmail"
    );
    // A list with no primary at all breaks the rule that one is primary.
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(contact_doc(json!({
            "firstName": "Ann",
            "emails": [{"email": "ann@example.com"}, {"email": "lee@example.com"}]
        }))),
    )
    .await;
    assert_eq!(status, 400, "{doc}");
    assert_eq!(
        doc["errors"][0]["detail"],
        "One of the emails must be set as primary."
    );
    assert_eq!(
        doc["errors"][0]["source"]["pointer"],
        "/data/attributes/emails"
    );
    assert_eq!(fake.writes().total(), 0);
    // The primary among the list: stored, and read back first.
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(contact_doc(json!({
            "firstName": "Ann",
            "emails": [{"email": "ann@example.com"}, {"email": "lee@example.com"}],
            "primaryEmail": "lee@example.com"
        }))),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["data"]["attributes"]["primaryEmail"], "lee@example.com");
}

#[tokio::test]
async fn a_new_primary_phone_sent_alone_replaces_the_old_primary_number() {
    let fake = fake_with(|_| {}).await;
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(contact_doc(json!({
            "firstName": "Ann",
            "phones": [{"phone": "111"}, {"phone": "222"}],
            "primaryPhone": "111"
        }))),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let id = doc["data"]["id"].as_str().unwrap().to_string();
    // The client updates a contact with its primary number alone.
    let oro = client(&fake);
    let changed = Item::Contacts(Contact {
        first_name: Some("Ann".into()),
        primary_phone: Some("333".into()),
        ..Default::default()
    });
    oro.update(&id, &changed).await.expect("updated");
    let rec = fake.record(Kind::Contacts, &id).unwrap();
    assert_eq!(
        rec.attributes["phones"],
        json!([{"phone": "333"}, {"phone": "222"}])
    );
    // A number already on the contact becomes primary; none is lost.
    let (status, doc) = send(
        &fake,
        reqwest::Method::PATCH,
        &format!("contacts/{id}"),
        Some(
            json!({"data": {"type": "contacts", "id": id, "attributes": {"primaryPhone": "222"}}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["data"]["attributes"]["primaryPhone"], "222");
    let rec = fake.record(Kind::Contacts, &id).unwrap();
    assert_eq!(
        rec.attributes["phones"],
        json!([{"phone": "222"}, {"phone": "333"}])
    );
}

#[tokio::test]
async fn json_api_media_types_with_parameters_are_refused_as_oro_does() {
    let fake = fake_with(|_| {}).await;
    let get = reqwest::Method::GET;
    let (status, doc) = send_with(
        &fake,
        get.clone(),
        "contacts",
        "application/vnd.api+json; ext=bulk",
        None,
        None,
    )
    .await;
    assert_eq!(status, 406);
    assert_eq!(
        doc["errors"][0]["detail"],
        "The \"Accept\" request header should contains at least one instance of JSON:API media type without any parameters."
    );
    // One instance without parameters is enough.
    let (status, _) = send_with(
        &fake,
        get,
        "contacts",
        "application/vnd.api+json; ext=bulk, application/vnd.api+json",
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, doc) = send_with(
        &fake,
        reqwest::Method::POST,
        "contacts",
        "application/vnd.api+json",
        Some("application/vnd.api+json; charset=utf-8"),
        Some(contact_doc(json!({"firstName": "Ann"}))),
    )
    .await;
    assert_eq!(status, 415);
    assert_eq!(
        doc["errors"][0]["detail"],
        "The \"Content-Type\" request header should contain JSON:API media type without any parameters."
    );
    assert_eq!(fake.writes().total(), 0);
}

#[tokio::test]
async fn a_document_of_another_type_or_id_is_a_409_conflict_with_oros_words() {
    let fake = fake_with(|_| {}).await;
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(json!({"data": {"type": "tasks", "attributes": {"subject": "Call"}}})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(doc["errors"][0]["title"], "conflict constraint");
    assert_eq!(
        doc["errors"][0]["detail"],
        "The 'type' property of the primary data object should match the requested resource"
    );
    assert_eq!(doc["errors"][0]["source"]["pointer"], "/data/type");
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(contact_doc(json!({"firstName": "Ann"}))),
    )
    .await;
    assert_eq!(status, 201);
    let id = doc["data"]["id"].as_str().unwrap().to_string();
    let (status, doc) = send(
        &fake,
        reqwest::Method::PATCH,
        &format!("contacts/{id}"),
        Some(json!({"data": {"type": "contacts", "id": "999", "attributes": {"firstName": "Bo"}}})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        doc["errors"][0]["detail"],
        "The 'id' property of the primary data object should match 'id' parameter of the query string"
    );
    assert_eq!(doc["errors"][0]["source"]["pointer"], "/data/id");
}

#[tokio::test]
async fn an_updated_at_filter_takes_oros_datetime_forms_only() {
    let fake = fake_with(|_| {}).await;
    let (status, doc) = get(
        &fake,
        "tasks?filter[updatedAt][gte]=2024-05-01T10:00:00.123Z",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        doc["errors"][0]["detail"],
        "Expected datetime value. Given \"2024-05-01T10:00:00.123Z\"."
    );
    let (status, doc) = get(&fake, "tasks?filter[id][gt]=x").await;
    assert_eq!(status, 400);
    assert_eq!(
        doc["errors"][0]["detail"],
        "Expected integer value. Given \"x\"."
    );
    for ok in [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.12Z",
        // An unescaped `+` arrives as a space; Oro reads it as `+`.
        "2024-05-01T10:00:00+02:00",
        "2024-05-01T10:00:00%2B02:00",
    ] {
        let (status, doc) = get(&fake, &format!("tasks?filter[updatedAt][gte]={ok}")).await;
        assert_eq!(status, 200, "{ok}: {doc}");
    }
}

/// A GET of the user profile signed with this key and nonce: the status.
async fn signed_with(fake: &FakeOro, key: &str, nonce: &[u8; 16]) -> u16 {
    let o = fake.options();
    let created = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let mut req = reqwest::Client::new()
        .get(format!("{}/api/userprofile", fake.url()))
        .header("Accept", "application/vnd.api+json");
    for (k, v) in wsse_headers(&o.username, &Secret::new(key.to_string()), nonce, &created) {
        req = req.header(k, v);
    }
    req.send().await.expect("answer").status().as_u16()
}

#[tokio::test]
async fn a_wsse_nonce_is_spent_even_by_a_request_with_a_wrong_digest() {
    let fake = fake_with(|_| {}).await;
    let key = fake.options().api_key.clone();
    let nonce: [u8; 16] = rand::random();
    assert_eq!(signed_with(&fake, "not-the-key", &nonce).await, 401);
    // The same nonce with the right key: Oro has seen it already.
    assert_eq!(signed_with(&fake, &key, &nonce).await, 401);
    assert_eq!(fake.stats().unauthorized, 2);
    // A fresh nonce with the right key passes.
    assert_eq!(signed_with(&fake, &key, &rand::random()).await, 200);
}

#[tokio::test]
async fn unknown_fields_are_one_extra_fields_error_that_names_them() {
    let fake = fake_with(|_| {}).await;
    let (status, doc) = send(
        &fake,
        reqwest::Method::POST,
        "contacts",
        Some(json!({"data": {
            "type": "contacts",
            "attributes": {"firstName": "Ann", "nickname": "A", "email": "ann@example.com"},
            "relationships": {"department": {"data": {"type": "departments", "id": "1"}}}
        }})),
    )
    .await;
    assert_eq!(status, 400, "{doc}");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert_eq!(errors[0]["title"], "extra fields constraint");
    assert_eq!(
        errors[0]["detail"],
        "This form should not contain extra fields: \"department\", \"email\", \"nickname\"."
    );
    assert!(errors[0].get("source").is_none(), "{doc}");
    assert_eq!(fake.writes().total(), 0);
}

#[tokio::test]
async fn outlook_contacts_oro_refuses_fail_alone_with_oros_reason_and_stay_in_outlook() {
    let mut w = OroHttpWorld::start().await;
    let long = w.outlook.user_create(named("a".repeat(101), "Lee"));
    let no_tld = w.outlook.user_create(with_emails(&["ann@localhost"]));
    let fine = w.outlook.user_create(named("Bo".into(), "Lee"));
    for run in 0..2 {
        let s = w.sync().await;
        assert!(s.fatal.is_none(), "run {run}: {s:#?}");
        let mut errors: Vec<(String, String)> = s
            .errors
            .iter()
            .map(|e| (e.id.clone(), e.message.clone()))
            .collect();
        errors.sort();
        let mut want = vec![long.clone(), no_tld.clone()];
        want.sort();
        assert_eq!(
            errors.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
            want,
            "run {run}: {s:#?}"
        );
        let reason = |id: &str| errors.iter().find(|e| e.0 == id).unwrap().1.clone();
        assert!(
            reason(&long).contains("firstName: This value is too long"),
            "{}",
            reason(&long)
        );
        assert!(
            reason(&no_tld).contains("primaryEmail: This value is not a valid email address."),
            "{}",
            reason(&no_tld)
        );
    }
    // The accepted one is in Oro, the refused ones are not, and Outlook
    // keeps all three unchanged.
    let in_oro = fake_names(&w);
    assert_eq!(in_oro, vec!["Bo".to_string()]);
    let outlook = w.outlook.all(Kind::Contacts);
    assert_eq!(outlook.len(), 3);
    assert!(outlook.iter().any(|i| i.id == fine && i.link.is_some()));
    assert!(outlook
        .iter()
        .filter(|i| i.id == long || i.id == no_tld)
        .all(|i| i.link.is_none()));
}

fn fake_names(w: &OroHttpWorld) -> Vec<String> {
    w.oro
        .fake
        .records(Kind::Contacts)
        .into_iter()
        .filter_map(|r| match r.item {
            Item::Contacts(c) => c.first_name,
            _ => None,
        })
        .collect()
}
