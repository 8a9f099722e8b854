//! Contact addresses through both clients against both fake servers
//! (docs/sync-rules.md "Contact addresses"): what Oro holds is read from the
//! fake Oro's own records, what Outlook holds from the fake Graph's JSON.

mod scenarios;

use orosync::conflict_view::ConflictView;
use orosync::model::{Address, AddressType, Item, Kind, Region};
use orosync::settings::ConflictSetting;
use orosync_fakes::oro::FakeAddress;
use orosync_testkit::*;
use scenarios::http::HttpWorld;
use scenarios::world::World;
use serde_json::json;

fn with_addresses(first: &str, list: Vec<Address>) -> Item {
    let mut c = contact(first, "Adressat");
    if let Item::Contacts(x) = &mut c {
        x.addresses = list;
    }
    c
}

fn billing(city: &str, country: &str, state: Option<&str>) -> Address {
    Address {
        types: [AddressType::Billing].into(),
        street: Some("Marienplatz 1".into()),
        city: Some(city.into()),
        postal_code: Some("80331".into()),
        country_text: Some(country.into()),
        region: state.map(|s| Region::Text(s.into())),
        ..Address::default()
    }
}

/// An Oro-side billing address in Munich, region DE-BY.
fn munich() -> Address {
    Address {
        types: [AddressType::Billing].into(),
        street: Some("Marienplatz 1".into()),
        city: Some("München".into()),
        postal_code: Some("80331".into()),
        country: Some("DE".into()),
        region: Some(Region::Code("DE-BY".into())),
        ..Address::default()
    }
}

fn oro_addresses(w: &HttpWorld, oro_id: &str) -> Vec<FakeAddress> {
    w.oro.fake.addresses_of(oro_id)
}

fn linked_oro_id(w: &HttpWorld, outlook_id: &str) -> String {
    w.outlook.fake.link_of(outlook_id).expect("linked")
}

async fn quiet(w: &mut HttpWorld) {
    let s = w.sync().await;
    assert!(s.ok, "{s:#?}");
    assert_eq!(s.total_writes(), 0, "a run after wrote: {s:#?}");
}

/// Outlook's country written as a name in German or English or as an ISO
/// alpha-2 or alpha-3 code, and a state named as Oro names the region
/// ("Bayern"), reach Oro as the country's code and Oro's region.
#[tokio::test]
async fn countries_as_names_or_iso_codes_and_oros_region_names_reach_oro_as_codes() {
    let mut w = HttpWorld::start().await;
    let spellings = ["Deutschland", "DE", "DEU", "Germany", "germany"];
    let ids: Vec<String> = spellings
        .iter()
        .map(|c| {
            w.outlook.fake.user_create_item(
                &with_addresses(c, vec![billing("München", c, Some("Bayern"))]),
                None,
            )
        })
        .collect();
    let s = w.sync().await;
    assert!(s.ok && s.skipped.is_empty(), "{s:#?}");
    for (spelling, x) in spellings.iter().zip(&ids) {
        let oro = linked_oro_id(&w, x);
        let list = oro_addresses(&w, &oro);
        assert_eq!(list.len(), 1, "{spelling}");
        assert_eq!(list[0].country.as_deref(), Some("DE"), "{spelling}");
        assert_eq!(list[0].region.as_deref(), Some("DE-BY"), "{spelling}");
        assert!(list[0].types.contains("billing"), "{spelling}");
        assert_eq!(list[0].attr_str("city"), Some("München"));
    }
    quiet(&mut w).await;

    // An Outlook edit of another field writes the contact, not its
    // unchanged address.
    w.advance_secs(30);
    w.outlook
        .fake
        .user_patch(&ids[0], json!({"jobTitle": "Brauer"}));
    let before = w.oro.fake.stats().log.len();
    let s = w.sync().await;
    assert!(s.ok && s.total_writes() == 1, "{s:#?}");
    let log = w.oro.fake.stats().log;
    let address_writes: Vec<&String> = log[before..]
        .iter()
        .filter(|l| l.contains("/api/contactaddresses") && !l.starts_with("GET"))
        .collect();
    assert!(address_writes.is_empty(), "{address_writes:#?}");
    quiet(&mut w).await;
}

/// A state that names none of a country's regions, and a country text that
/// names no country, leave Oro's values as they were; the contact is
/// reported under `skipped` naming the field, the rest of it is written.
#[tokio::test]
async fn a_state_or_country_oro_cannot_take_keeps_oros_value_and_is_reported_skipped() {
    let mut w = HttpWorld::start().await;
    let oro = w
        .oro
        .fake
        .user_create(&with_addresses("Sepp", vec![munich()]));
    assert!(w.sync().await.ok);
    let x = w
        .outlook
        .fake
        .items(Kind::Contacts)
        .into_iter()
        .find(|i| i.link.as_deref() == Some(oro.as_str()))
        .unwrap()
        .id;
    let raw = w.outlook.fake.find(&x).unwrap();
    assert_eq!(raw["businessAddress"]["state"], "Bayern");
    assert_eq!(raw["businessAddress"]["countryOrRegion"], "Germany");

    w.advance_secs(30);
    w.outlook.fake.user_patch(
        &x,
        json!({"jobTitle": "Wirt", "businessAddress": {"street": "Marienplatz 1", "city": "Augsburg",
            "state": "Atlantis", "countryOrRegion": "Germany", "postalCode": "86150"}}),
    );
    let s = w.sync().await;
    assert!(s.ok, "{s:#?}");
    let a = &oro_addresses(&w, &oro)[0];
    assert_eq!(a.attr_str("city"), Some("Augsburg"), "the rest is written");
    // The backup of the Oro contact before the update holds its address.
    let backup = w
        .backups()
        .into_iter()
        .find(|b| b.id == oro && b.action == "update")
        .expect("Oro's contact backed up before the update");
    assert!(
        backup.before.to_string().contains("München"),
        "{}",
        backup.before
    );
    assert_eq!(a.region.as_deref(), Some("DE-BY"), "Oro's region stays");
    assert!(
        s.skipped
            .iter()
            .any(|k| k.id == oro && k.reason.contains("state") && k.reason.contains("Atlantis")),
        "{:#?}",
        s.skipped
    );

    w.advance_secs(30);
    w.outlook.fake.user_patch(
        &x,
        json!({"jobTitle": "Koch", "businessAddress": {"street": "Marienplatz 1", "city": "Augsburg",
            "state": "Bayern", "countryOrRegion": "Narnia", "postalCode": "86150"}}),
    );
    let s = w.sync().await;
    assert!(s.ok, "{s:#?}");
    let a = &oro_addresses(&w, &oro)[0];
    assert_eq!(a.country.as_deref(), Some("DE"), "Oro's country stays");
    assert!(
        s.skipped
            .iter()
            .any(|k| k.id == oro && k.reason.contains("country") && k.reason.contains("Narnia")),
        "{:#?}",
        s.skipped
    );
    quiet(&mut w).await;
}

/// Outlook's business address edited while Oro's billing address changed:
/// a conflict decided by the setting (Oro wins here), and with "ask" the
/// conflict view shows both billing addresses, one line each.
#[tokio::test]
async fn an_address_edited_on_both_sides_is_a_conflict_per_setting() {
    for setting in [ConflictSetting::OroWins, ConflictSetting::Ask] {
        let mut w = HttpWorld::start().await;
        w.settings_mut().conflict = setting;
        let oro = w
            .oro
            .fake
            .user_create(&with_addresses("Toni", vec![munich()]));
        assert!(w.sync().await.ok);
        let x = w
            .outlook
            .fake
            .items(Kind::Contacts)
            .into_iter()
            .find(|i| i.link.as_deref() == Some(oro.as_str()))
            .unwrap()
            .id;
        w.advance_secs(30);
        let id = oro_addresses(&w, &oro)[0].id.to_string();
        assert!(w.oro.fake.user_edit_address(&id, |a| {
            a.attributes.insert("city".into(), json!("Nürnberg"));
        }));
        // The contact itself is edited too: an address edit alone does not
        // move the contact's updatedAt.
        w.oro
            .fake
            .user_edit_item(Kind::Contacts, &oro, |i| edit_note(i, "Oro"));
        w.advance_secs(30);
        w.outlook.fake.user_patch(
            &x,
            json!({"businessAddress": {"street": "Marienplatz 1", "city": "Passau",
                "state": "Bayern", "countryOrRegion": "Germany", "postalCode": "94032"}}),
        );
        let s = w.sync().await;
        assert!(s.ok, "{s:#?}");
        assert_eq!(s.conflicts.len(), 1, "{setting:?}: {s:#?}");
        let outlook_city = || {
            w.outlook.fake.find(&x).unwrap()["businessAddress"]["city"]
                .as_str()
                .unwrap()
                .to_string()
        };
        match setting {
            ConflictSetting::OroWins => {
                assert_eq!(outlook_city(), "Nürnberg");
                assert_eq!(
                    oro_addresses(&w, &oro)[0].attr_str("city"),
                    Some("Nürnberg")
                );
            }
            _ => {
                assert_eq!(outlook_city(), "Passau", "nothing written while asked");
                let pending = w.state().pending(None).unwrap();
                assert_eq!(pending.len(), 1);
                let view = ConflictView::new(&pending[0]);
                let b = view
                    .fields
                    .iter()
                    .find(|f| f.field == "billingAddress")
                    .expect("the billing address differs");
                assert_eq!(
                    b.oro,
                    json!("Marienplatz 1, Nürnberg, 80331, Bayern, Germany")
                );
                assert_eq!(
                    b.outlook,
                    json!("Marienplatz 1, Passau, 94032, Bayern, Germany")
                );
            }
        }
        quiet(&mut w).await;
    }
}

/// An address edited in Oro alone (its contact's updatedAt does not move)
/// reaches Outlook at the next run. What it costs: each run after the first
/// lists every address once with a sparse fieldset (updatedAt and owner,
/// one request per thousand), and reads in full only the addresses of the
/// contacts listed as changed (those at the watermark's second, as always,
/// and those whose addresses changed), not every contact's.
#[tokio::test]
async fn an_oro_address_edit_alone_reaches_outlook_reading_only_that_contacts_addresses() {
    let mut w = HttpWorld::start().await;
    let ids: Vec<String> = (0..6)
        .map(|i| {
            w.oro
                .fake
                .user_create(&with_addresses(&format!("P{i}"), vec![munich()]))
        })
        .collect();
    assert!(w.sync().await.ok);
    // A later contact moves the watermark past the first six.
    w.advance_secs(60);
    let later = w.oro.fake.user_create(&contact("Spät", "Er"));
    assert!(w.sync().await.ok);
    let address_reads = |w: &HttpWorld, from: usize| -> (usize, Vec<String>) {
        let log = w.oro.fake.stats().log;
        let to_addresses: Vec<&String> = log[from..]
            .iter()
            .filter(|l| l.contains("/api/contactaddresses"))
            .collect();
        let sparse = to_addresses
            .iter()
            .filter(|l| l.contains("fields[contactaddresses]=updatedAt,owner"))
            .count();
        let full = to_addresses
            .iter()
            .filter_map(|l| l.split("filter[owner]=").nth(1))
            .map(|rest| {
                rest.split('&')
                    .next()
                    .unwrap_or_default()
                    .replace("%2C", ",")
            })
            .collect();
        (sparse, full)
    };

    w.advance_secs(30);
    let target = &ids[3];
    let a = oro_addresses(&w, target)[0].id.to_string();
    assert!(w.oro.fake.user_edit_address(&a, |f| {
        f.attributes.insert("city".into(), json!("Regensburg"));
    }));
    let before = w.oro.fake.stats().log.len();
    let s = w.sync().await;
    assert!(s.ok, "{s:#?}");
    assert_eq!(s.total_writes(), 1, "one Outlook update: {s:#?}");
    let x = w
        .outlook
        .fake
        .items(Kind::Contacts)
        .into_iter()
        .find(|i| i.link.as_deref() == Some(target.as_str()))
        .unwrap()
        .id;
    assert_eq!(
        w.outlook.fake.find(&x).unwrap()["businessAddress"]["city"],
        "Regensburg"
    );
    // One sparse listing; in full only the edited contact's addresses and
    // those of the contact at the watermark, not the other five.
    let (sparse, full) = address_reads(&w, before);
    assert_eq!(sparse, 1);
    assert_eq!(full, vec![format!("{target},{later}")]);
    quiet(&mut w).await;
    // The watermark passed the address edit: the next run reads only the
    // contact at the watermark in full.
    let before = w.oro.fake.stats().log.len();
    quiet(&mut w).await;
    assert_eq!(address_reads(&w, before), (1, vec![target.clone()]));
}
