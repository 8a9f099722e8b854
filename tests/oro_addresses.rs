//! The fake Oro's contact addresses over HTTP, as OroCRM's own functional
//! tests exercise the real `contactaddresses` resource (ContactBundle
//! `Tests/Functional/Api/RestJsonApi/ContactAddressTest.php`, platform
//! AddressBundle `AddressCountryAndRegionTestTrait`/`PrimaryAddressTestTrait`).

mod support;

use chrono::Utc;
use orosync::clock::ManualClock;
use orosync::model::{Address, AddressType, Contact, Item, Kind, Region};
use orosync::oro::{wsse_headers, Secret};
use orosync::sides::StoreError;
use orosync_fakes::oro::{FakeOro, Fault};
use orosync_testkit::prelude::*;
use serde_json::{json, Value};

const MEDIA: &str = "application/vnd.api+json";

async fn fake() -> FakeOro {
    support::fake_oro_with(|_| {}).await
}

fn contact(fake: &FakeOro, last: &str) -> String {
    fake.user_create(&Item::Contacts(Contact {
        last_name: Some(last.into()),
        ..Default::default()
    }))
}

/// One signed request; the answer's status and JSON body (null if none).
async fn call(fake: &FakeOro, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let o = fake.options();
    let http = reqwest::Client::new();
    let mut req = http
        .request(method.parse().unwrap(), format!("{}{path}", fake.url()))
        .header("Accept", MEDIA);
    let created = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    for (k, v) in wsse_headers(
        &o.username,
        &Secret::new(o.api_key.clone()),
        &rand::random::<[u8; 16]>(),
        &created,
    ) {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.header("Content-Type", MEDIA).body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn new_address(owner: &str, country: &str, extra: Value) -> Value {
    let mut d = json!({"data": {"type": "contactaddresses",
    "attributes": {"street": "Hauptstraße 1", "city": "München", "postalCode": "80331"},
    "relationships": {
        "owner": {"data": {"type": "contacts", "id": owner}},
        "country": {"data": {"type": "countries", "id": country}},
    }}});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            d["data"]["relationships"][k] = v;
        }
    }
    d
}

fn region(id: &str) -> Value {
    json!({"region": {"data": {"type": "regions", "id": id}}})
}

fn errors(doc: &Value) -> Vec<(String, String)> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["title"].as_str().unwrap().to_string(),
                e["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_address_is_created_read_and_shown_on_its_contact() {
    let fake = fake().await;
    let c = contact(&fake, "Huber");
    let (status, doc) = call(
        &fake,
        "POST",
        "/api/contactaddresses",
        Some(new_address(&c, "DE", region("DE-BY"))),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let a = &doc["data"];
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["attributes"]["city"], "München");
    assert_eq!(a["attributes"]["customRegion"], Value::Null);
    assert_eq!(
        a["attributes"]["primary"], true,
        "a contact's first address"
    );
    assert!(a["attributes"]["createdAt"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(a["relationships"]["region"]["data"]["id"], "DE-BY");
    assert_eq!(a["relationships"]["types"]["data"], json!([]));
    let (_, got) = call(&fake, "GET", &format!("/api/contactaddresses/{id}"), None).await;
    assert_eq!(got["data"], doc["data"]);
    let (_, contact_doc) = call(
        &fake,
        "GET",
        &format!("/api/contacts/{c}?include=addresses"),
        None,
    )
    .await;
    assert_eq!(
        contact_doc["data"]["relationships"]["addresses"]["data"],
        json!([{"type": "contactaddresses", "id": id}])
    );
    let (_, listed) = call(
        &fake,
        "GET",
        &format!("/api/contacts?filter[id]={c}&include=addresses"),
        None,
    )
    .await;
    assert_eq!(listed["included"][0]["id"], id.as_str());
}

#[tokio::test]
async fn addresses_are_listed_by_a_list_of_contacts_country_and_region() {
    let fake = fake().await;
    let (a, b, other) = (
        contact(&fake, "A"),
        contact(&fake, "B"),
        contact(&fake, "C"),
    );
    for (owner, country, reg) in [
        (&a, "DE", Some("DE-BY")),
        (&b, "US", Some("US-NY")),
        (&other, "DE", Some("DE-BE")),
        (&a, "IM", None),
    ] {
        let extra = reg.map(region).unwrap_or(json!({}));
        let (s, d) = call(
            &fake,
            "POST",
            "/api/contactaddresses",
            Some(new_address(owner, country, extra)),
        )
        .await;
        assert_eq!(s, 201, "{d}");
    }
    let ids = |doc: &Value| -> Vec<String> {
        doc["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let q = format!("/api/contactaddresses?filter[owner]={a},{b}&sort=id&page[size]=2");
    let (_, p1) = call(&fake, "GET", &q, None).await;
    assert_eq!(ids(&p1), vec!["1", "2"]);
    assert!(p1["links"]["next"].is_string());
    let (_, p2) = call(&fake, "GET", &format!("{q}&filter[id][gt]=2"), None).await;
    assert_eq!(ids(&p2), vec!["4"]);
    let (_, de) = call(
        &fake,
        "GET",
        "/api/contactaddresses?filter[country]=DE",
        None,
    )
    .await;
    assert_eq!(ids(&de), vec!["1", "3"]);
    let (_, ny) = call(
        &fake,
        "GET",
        "/api/contactaddresses?filter[region]=US-NY",
        None,
    )
    .await;
    assert_eq!(ids(&ny), vec!["2"]);
    // The address table has no index on `updated`: Oro has no such filter.
    let (s, doc) = call(
        &fake,
        "GET",
        "/api/contactaddresses?filter[updatedAt][gte]=2020-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        doc["errors"][0]["source"]["parameter"],
        "filter[updatedAt][gte]"
    );
}

#[tokio::test]
async fn country_is_required_and_the_region_must_be_the_countrys() {
    let fake = fake().await;
    let c = contact(&fake, "Huber");
    let mut no_country = new_address(&c, "DE", json!({}));
    no_country["data"]["relationships"]
        .as_object_mut()
        .unwrap()
        .remove("country");
    let (s, doc) = call(&fake, "POST", "/api/contactaddresses", Some(no_country)).await;
    assert_eq!(s, 400);
    assert_eq!(
        doc["errors"][0]["source"]["pointer"],
        "/data/relationships/country/data"
    );
    assert_eq!(errors(&doc)[0].0, "not blank constraint");
    let (s, doc) = call(
        &fake,
        "POST",
        "/api/contactaddresses",
        Some(new_address(&c, "DE", region("US-NY"))),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&doc),
        vec![(
            "valid region constraint".to_string(),
            "Region New York does not belong to country Germany".to_string()
        )]
    );
    let (s, _) = call(
        &fake,
        "POST",
        "/api/contactaddresses",
        Some(new_address(&c, "XX", json!({}))),
    )
    .await;
    assert_eq!(s, 400, "an unknown country");
    assert!(fake.addresses_of(&c).is_empty(), "nothing stored");
    assert_eq!(fake.writes().total(), 0);
}

#[tokio::test]
async fn free_text_region_is_refused_where_oro_has_regions() {
    let fake = fake().await;
    let c = contact(&fake, "Huber");
    let mut with_text = new_address(&c, "DE", json!({}));
    with_text["data"]["attributes"]["customRegion"] = json!("Bavaria");
    let (s, doc) = call(
        &fake,
        "POST",
        "/api/contactaddresses",
        Some(with_text.clone()),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&doc),
        vec![(
            "region text constraint".to_string(),
            "Custom region can be used only for countries without predefined regions.".to_string()
        )]
    );
    with_text["data"]["relationships"]["country"]["data"]["id"] = json!("IM");
    let (s, doc) = call(&fake, "POST", "/api/contactaddresses", Some(with_text)).await;
    assert_eq!(s, 201, "{doc}");
    assert_eq!(doc["data"]["attributes"]["customRegion"], "Bavaria");
}

#[tokio::test]
async fn a_new_billing_address_takes_the_type_and_a_primary_one_takes_primary() {
    let fake = fake().await;
    let c = contact(&fake, "Huber");
    let old = fake
        .user_add_address(&c, |a| {
            a.country = Some("DE".into());
            a.types = ["billing".to_string(), "shipping".to_string()].into();
        })
        .unwrap();
    assert!(fake.address(&old).unwrap().primary);
    let (s, doc) = call(
        &fake,
        "POST",
        "/api/contactaddresses",
        Some(new_address(
            &c,
            "AT",
            json!({"types": {"data": [{"type": "addresstypes", "id": "billing"}]}}),
        )),
    )
    .await;
    assert_eq!(s, 201, "{doc}");
    let new = doc["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        doc["data"]["relationships"]["types"]["data"],
        json!([{"type": "addresstypes", "id": "billing"}])
    );
    assert_eq!(doc["data"]["attributes"]["primary"], false);
    let old_now = fake.address(&old).unwrap();
    assert_eq!(old_now.types, ["shipping".to_string()].into());
    let (s, _) = call(
        &fake,
        "PATCH",
        &format!("/api/contactaddresses/{new}"),
        Some(json!({"data": {"type": "contactaddresses", "id": new, "attributes": {"primary": true}}})),
    )
    .await;
    assert_eq!(s, 200);
    assert!(!fake.address(&old).unwrap().primary);
    let order: Vec<String> = fake
        .addresses_of(&c)
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(order, vec![new, old], "the primary one first");
}

#[tokio::test]
async fn an_update_cannot_move_an_address_to_another_contact() {
    let fake = fake().await;
    let (c, other) = (contact(&fake, "A"), contact(&fake, "B"));
    let id = fake
        .user_add_address(&c, |a| a.country = Some("DE".into()))
        .unwrap();
    let (s, doc) = call(
        &fake,
        "PATCH",
        &format!("/api/contactaddresses/{id}"),
        Some(json!({"data": {"type": "contactaddresses", "id": id,
            "relationships": {"owner": {"data": {"type": "contacts", "id": other}}}}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        doc["data"]["relationships"]["owner"]["data"]["id"],
        c.as_str()
    );
}

#[tokio::test]
async fn an_address_change_leaves_its_contacts_updated_at() {
    let clock = ManualClock::new(Utc::now());
    let fake = support::fake_oro_with(|o| o.clock = orosync_testkit::fake_clock(&clock)).await;
    let c = contact(&fake, "Huber");
    let before = fake.record(Kind::Contacts, &c).unwrap().updated_at;
    let id = fake
        .user_add_address(&c, |a| a.country = Some("DE".into()))
        .unwrap();
    clock.advance(chrono::TimeDelta::seconds(60));
    let (s, _) = call(
        &fake,
        "PATCH",
        &format!("/api/contactaddresses/{id}"),
        Some(
            json!({"data": {"type": "contactaddresses", "id": id, "attributes": {"city": "Köln"}}}),
        ),
    )
    .await;
    assert_eq!(s, 200);
    let a = fake.address(&id).unwrap();
    assert_eq!(a.attr_str("city"), Some("Köln"));
    assert_eq!(a.updated_at, before + chrono::TimeDelta::seconds(60));
    assert_eq!(fake.record(Kind::Contacts, &c).unwrap().updated_at, before);
}

#[tokio::test]
async fn deleting_a_contact_deletes_its_addresses_and_an_address_deletes_alone() {
    let fake = fake().await;
    let (c, keep) = (contact(&fake, "A"), contact(&fake, "B"));
    let gone = fake
        .user_add_address(&c, |a| a.country = Some("DE".into()))
        .unwrap();
    let kept = fake
        .user_add_address(&keep, |a| a.country = Some("DE".into()))
        .unwrap();
    let second = fake
        .user_add_address(&keep, |a| a.country = Some("US".into()))
        .unwrap();
    let (s, _) = call(&fake, "DELETE", &format!("/api/contacts/{c}"), None).await;
    assert_eq!(s, 204);
    assert!(fake.address(&gone).is_none());
    let (s, _) = call(
        &fake,
        "DELETE",
        &format!("/api/contactaddresses/{kept}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    // Oro fixes primaries on writes only: the other one is not made primary.
    assert!(!fake.address(&second).unwrap().primary);
    let (s, _) = call(
        &fake,
        "DELETE",
        &format!("/api/contactaddresses/{kept}"),
        None,
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn oros_regions_are_listed_by_country_and_are_read_only() {
    let fake = fake().await;
    let (s, doc) = call(
        &fake,
        "GET",
        "/api/regions?filter[country]=DE&page[size]=-1",
        None,
    )
    .await;
    assert_eq!(s, 200);
    let regions = doc["data"].as_array().unwrap();
    assert_eq!(regions.len(), 16);
    let by = regions.iter().find(|r| r["id"] == "DE-BY").unwrap();
    assert_eq!(by["attributes"], json!({"code": "BY", "name": "Bayern"}));
    let (s, doc) = call(&fake, "GET", "/api/countries/IM", None).await;
    assert_eq!(s, 200);
    assert_eq!(doc["data"]["attributes"]["name"], "Isle of Man");
    let (s, _) = call(
        &fake,
        "POST",
        "/api/regions",
        Some(json!({"data": {"type": "regions"}})),
    )
    .await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn a_street_over_500_characters_is_refused_by_the_length_rule() {
    let fake = fake().await;
    let c = contact(&fake, "Huber");
    let mut long = new_address(&c, "DE", json!({}));
    long["data"]["attributes"]["street"] = json!("ß".repeat(501));
    let (s, doc) = call(&fake, "POST", "/api/contactaddresses", Some(long.clone())).await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&doc),
        vec![(
            "length constraint".to_string(),
            "This value is too long. It should have 500 characters or less.".to_string()
        )]
    );
    assert_eq!(
        doc["errors"][0]["source"]["pointer"],
        "/data/attributes/street"
    );
    long["data"]["attributes"]["street"] = json!("ß".repeat(500));
    let (s, _) = call(&fake, "POST", "/api/contactaddresses", Some(long)).await;
    assert_eq!(s, 201, "500 characters (1000 bytes) pass");
}

// ------------------------------------------------------------ the client

fn client(fake: &FakeOro, page_size: u32) -> orosync::oro::OroClient {
    orosync::oro::OroClient::new(support::oro_config(fake, Some(page_size))).expect("client")
}

fn place(country: &str, city: &str) -> Address {
    let mut a = Address {
        city: Some(city.into()),
        street: Some("Hauptstraße 1".into()),
        postal_code: Some("80331".into()),
        ..Address::default()
    };
    a.set_country(country).unwrap();
    a
}

fn list_requests(fake: &FakeOro) -> usize {
    fake.stats()
        .log
        .iter()
        .filter(|l| l.starts_with("GET /api/contactaddresses?"))
        .count()
}

#[tokio::test]
async fn addresses_of_many_contacts_take_one_request_per_hundred_contacts() {
    let fake = fake().await;
    let oro = client(&fake, 100);
    let contacts: Vec<String> = (0..150).map(|i| contact(&fake, &format!("C{i}"))).collect();
    let (first, last) = (&contacts[0], &contacts[149]);
    let a = oro
        .create_address(first, &place("DE", "München"))
        .await
        .unwrap();
    let b = oro
        .create_address(last, &place("US", "Albany"))
        .await
        .unwrap();
    let c = oro
        .create_address(first, &place("IM", "Douglas"))
        .await
        .unwrap();
    let before = list_requests(&fake);
    let map = oro.addresses_of(&contacts).await.unwrap();
    assert_eq!(
        list_requests(&fake) - before,
        2,
        "150 contacts are two chunks"
    );
    assert_eq!(map.len(), 150, "every contact asked for is in the answer");
    assert_eq!(map[first], vec![a, c]);
    assert_eq!(map[last], vec![b]);
    assert!(map[&contacts[1]].is_empty());
}

#[tokio::test]
async fn addresses_of_walk_pages_by_id_when_a_chunk_has_more_than_a_page() {
    let fake = fake().await;
    let oro = client(&fake, 2);
    let (x, y) = (contact(&fake, "X"), contact(&fake, "Y"));
    let mut made = Vec::new();
    for (owner, city) in [(&x, "A"), (&y, "B"), (&x, "C"), (&y, "D"), (&x, "E")] {
        made.push(oro.create_address(owner, &place("IM", city)).await.unwrap());
    }
    let before = list_requests(&fake);
    let map = oro
        .addresses_of(&[y.clone(), x.clone(), y.clone()])
        .await
        .unwrap();
    assert_eq!(
        list_requests(&fake) - before,
        3,
        "five addresses, pages of two"
    );
    let cities =
        |id: &str| -> Vec<String> { map[id].iter().map(|a| a.city.clone().unwrap()).collect() };
    assert_eq!(cities(&x), ["A", "C", "E"]);
    assert_eq!(cities(&y), ["B", "D"]);
    let log = fake.stats().log;
    assert!(
        log.iter()
            .any(|l| l.contains("filter%5Bid%5D%5Bgt%5D=") || l.contains("filter[id][gt]=")),
        "later pages start after the last id seen: {log:?}"
    );
}

#[tokio::test]
async fn an_address_is_created_updated_and_deleted_through_the_client() {
    let fake = fake().await;
    let oro = client(&fake, 10);
    let owner = contact(&fake, "Huber");
    let mut want = place("de", "München");
    want.region = Some(Region::code("DE-BY").unwrap());
    want.types = [AddressType::Billing, AddressType::Shipping].into();
    let made = oro.create_address(&owner, &want).await.unwrap();
    let id = made.oro_id.clone().expect("an id");
    assert_eq!(made.types, want.types, "one address holds both types");
    assert!(made.primary, "Oro makes a contact's first address primary");
    assert_eq!(made.region, want.region);
    assert_eq!(made.country.as_deref(), Some("DE"));

    // To a country without Oro regions, with free text; street2 cleared.
    let mut moved = made.clone();
    moved.set_country("IM").unwrap();
    moved.region = Some(Region::Text("Garff".into()));
    moved.street = None;
    moved.types = [AddressType::Shipping].into();
    let updated = oro.update_address(&moved).await.unwrap();
    assert_eq!(updated.region, Some(Region::Text("Garff".into())));
    assert_eq!(updated.street, None);
    assert_eq!(updated.types, moved.types);
    let log = fake.stats().log;
    assert!(log
        .iter()
        .any(|l| l.starts_with(&format!("PATCH /api/contactaddresses/{id}"))));
    assert_eq!(
        oro.addresses_of(std::slice::from_ref(&owner))
            .await
            .unwrap()[&owner],
        vec![updated]
    );

    oro.delete_address(&id).await.unwrap();
    oro.delete_address(&id)
        .await
        .expect("a delete of an address already gone is Ok");
    assert!(oro
        .addresses_of(std::slice::from_ref(&owner))
        .await
        .unwrap()[&owner]
        .is_empty());
}

#[tokio::test]
async fn an_address_without_a_country_is_refused_before_anything_is_sent() {
    let fake = fake().await;
    let oro = client(&fake, 10);
    let owner = contact(&fake, "Huber");
    let before = fake.stats().requests;
    let err = oro
        .create_address(
            &owner,
            &Address {
                city: Some("Wien".into()),
                ..Address::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err}");
    assert_eq!(fake.stats().requests, before);
}

#[tokio::test]
async fn an_address_create_answered_504_is_not_sent_again() {
    let fake = fake().await;
    let oro = client(&fake, 10);
    let owner = contact(&fake, "Huber");
    fake.inject_writes(Fault::Status(504), 3);
    let err = oro
        .create_address(&owner, &place("DE", "Köln"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(err.to_string().contains("may have been created"), "{err}");
    let posts = fake
        .stats()
        .log
        .iter()
        .filter(|l| l.starts_with("POST /api/contactaddresses"))
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn regions_of_a_country_are_oros_codes_and_names_across_pages() {
    let fake = fake().await;
    let oro = client(&fake, 5);
    let de = oro.regions_of("DE").await.unwrap();
    assert_eq!(de.len(), 16, "Germany's sixteen Länder, over four pages");
    assert!(de.contains(&("DE-BY".to_string(), "Bayern".to_string())));
    let mut sorted = de.clone();
    sorted.sort();
    assert_eq!(de, sorted);
    assert!(oro.regions_of("IM").await.unwrap().is_empty());
}
