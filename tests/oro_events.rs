//! Oro's calendar events as OroCalendarBundle serves them (docs/fidelity.md,
//! "Oro: calendar events"): the paged legacy list has no order, the
//! calendar view (start/end) sorts and does not page, and descriptions are
//! sanitized HTML. The client lists every event once and descriptions do
//! not ping-pong.

mod support;

mod scenarios;

use chrono::{Duration as TimeDelta, Utc};
use orosync::model::{Event, Item, Kind, When};
use orosync::oro::{wsse_headers, OroClient, Secret};
use orosync::sides::{OroStore, Window};
use orosync_fakes::oro::FakeOro;
use orosync_testkit::event;
use orosync_testkit::prelude::*;
use scenarios::http::HttpWorld;
use scenarios::world::World;
use scenarios::{assert_links_consistent, assert_quiet};
use serde_json::{json, Value};
use std::collections::BTreeSet;

async fn fake() -> FakeOro {
    support::fake_oro_with(|_| {}).await
}

fn client(fake: &FakeOro) -> OroClient {
    OroClient::new(support::oro_config(fake, Some(5))).expect("client")
}

/// A signed GET of the legacy API, answered as JSON.
async fn get(fake: &FakeOro, path_and_query: &str) -> Value {
    let o = fake.options().clone();
    let created = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let mut req = reqwest::Client::new().get(format!("{}{path_and_query}", fake.url()));
    for (k, v) in wsse_headers(
        &o.username,
        &Secret::new(o.api_key.clone()),
        &rand::random::<[u8; 16]>(),
        &created,
    ) {
        req = req.header(k, v);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn ids_of(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

fn timed(title: &str, days: i64) -> Item {
    let start = Utc::now() + TimeDelta::days(days);
    Item::Events(Event {
        title: title.into(),
        description: None,
        when: When::Timed {
            start,
            end: start + TimeDelta::hours(1),
        },
    })
}

fn window() -> Window {
    Window::around(Utc::now(), 30, 365)
}

#[tokio::test]
async fn the_fakes_paged_event_list_has_no_stable_order_and_the_calendar_view_sorts_by_start() {
    let fake = fake().await;
    // Created latest-first: id order is the reverse of start order.
    let mut created = vec![];
    for i in (0..12).rev() {
        created.push(fake.user_create(&timed(&format!("e{i}"), i + 1)));
    }
    let cal = fake.options().calendar_id;
    let mut paged = vec![];
    for page in 1..=3 {
        let q = format!("/api/rest/latest/calendarevents?calendar={cal}&page={page}&limit=5");
        let first = get(&fake, &q).await;
        assert_eq!(
            get(&fake, &q).await,
            first,
            "the same request answers the same"
        );
        paged.extend(ids_of(&first));
    }
    assert_eq!(paged.len(), 12);
    let distinct: BTreeSet<u64> = paged.iter().copied().collect();
    assert!(
        distinct.len() < 12,
        "pages in one order would list each event once: {paged:?}"
    );

    // The calendar view: every event of the interval at once, by start,
    // whatever updatedAt filter comes with it.
    let from = (Utc::now() - TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let to = (Utc::now() + TimeDelta::days(30)).format("%Y-%m-%dT%H:%M:%SZ");
    let view = get(
        &fake,
        &format!(
            "/api/rest/latest/calendarevents?calendar={cal}&start={from}&end={to}&updatedAt%3E=2100-01-01T00:00:00Z"
        ),
    )
    .await;
    let mut by_start: Vec<u64> = created.iter().map(|id| id.parse().unwrap()).collect();
    by_start.reverse();
    assert_eq!(ids_of(&view), by_start);
    // Each event names its calendar's provider, as CalendarManager does.
    assert!(view
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["calendarAlias"] == "user"));
}

#[tokio::test]
async fn the_fakes_calendar_view_leaves_out_an_event_ending_exactly_at_its_end() {
    // CalendarEventRepository::addTimeIntervalFilter as Oro writes it.
    let fake = fake().await;
    let id = fake.user_create(&Item::Events(Event {
        title: "Ends at the end".into(),
        description: None,
        when: When::Timed {
            start: "2030-01-01T10:00:00Z".parse().unwrap(),
            end: "2030-01-01T12:00:00Z".parse().unwrap(),
        },
    }));
    let cal = fake.options().calendar_id;
    let q = |end: &str| {
        format!(
            "/api/rest/latest/calendarevents?calendar={cal}&start=2030-01-01T00:00:00Z&end={end}"
        )
    };
    assert!(ids_of(&get(&fake, &q("2030-01-01T12:00:00Z")).await).is_empty());
    assert_eq!(
        ids_of(&get(&fake, &q("2030-01-01T13:00:00Z")).await),
        [id.parse::<u64>().unwrap()]
    );
}

#[tokio::test]
async fn the_client_lists_every_event_once_whatever_order_oro_pages_in() {
    let fake = fake().await;
    let mut want = BTreeSet::new();
    for i in 0..23 {
        want.insert(fake.user_create(&timed(&format!("e{i}"), i + 1)));
    }
    // Outside the window: not listed.
    fake.user_create(&timed("far", 900));
    let oro = client(&fake);
    let ids = oro.list_ids(Kind::Events, &window()).await.unwrap();
    assert_eq!(ids.len(), 23, "{ids:?}");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), want);
    let changed = oro
        .changed_since(Kind::Events, None, &window())
        .await
        .unwrap();
    let got: Vec<&str> = changed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got.len(), 23, "each once: {got:?}");
    assert_eq!(
        got.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        want
    );
}

#[tokio::test]
async fn the_fake_sanitizes_event_descriptions_as_oro_does() {
    let fake = fake().await;
    let id = fake.user_create(&event("Plain", 2));
    fake.user_edit(Kind::Events, &id, |r| {
        r.attributes.insert(
            "description".into(),
            json!("Tom & Jerry <script>x()</script><b>bold</b>"),
        );
    });
    let v = get(&fake, &format!("/api/rest/latest/calendarevents/{id}")).await;
    assert_eq!(v["description"], "Tom &amp; Jerry <b>bold</b>");
}

const HTMLISH: &str = "Agenda: <b>budget</b> & plans\nLine 2\n\n  indented <i>x</i> 1 < 2";

fn description(i: &Item) -> Option<String> {
    match i {
        Item::Events(e) => e.description.clone(),
        _ => None,
    }
}

#[tokio::test]
async fn an_html_ish_description_from_outlook_syncs_once_and_stays_as_written() {
    let mut w = HttpWorld::start().await;
    w.settings_mut().kinds = vec![Kind::Events];
    let mut ev = event("Budget", 2);
    if let Item::Events(e) = &mut ev {
        e.description = Some(HTMLISH.into());
    }
    let outlook_id = w.outlook().create(ev);
    assert!(w.sync().await.ok);
    let oro = w.oro().all(Kind::Events);
    assert_eq!(oro.len(), 1);
    assert_eq!(description(&oro[0].item).as_deref(), Some(HTMLISH));
    // Oro holds it as HTML that shows the same text.
    let stored = w.oro.fake.record(Kind::Events, &oro[0].id).unwrap();
    assert_eq!(
        stored.attributes["description"],
        "Agenda: &lt;b&gt;budget&lt;/b&gt; &amp; plans<br>Line 2<br><br>  indented &lt;i&gt;x&lt;/i&gt; 1 &lt; 2"
    );
    assert_quiet(&mut w).await;
    assert_quiet(&mut w).await;

    // An Oro edit of another field goes to Outlook without touching the text.
    let oro_id = oro[0].id.clone();
    w.oro().edit(Kind::Events, &oro_id, &mut |i| {
        if let Item::Events(e) = i {
            e.title = "Budget 2027".into();
        }
    });
    w.advance_secs(5);
    let s = w.sync().await;
    assert!(s.ok);
    let item = w
        .outlook()
        .all(Kind::Events)
        .into_iter()
        .find(|i| i.id == outlook_id)
        .unwrap();
    assert_eq!(description(&item.item).as_deref(), Some(HTMLISH));
    assert_links_consistent(&w, Kind::Events);
    assert_quiet(&mut w).await;
}

#[tokio::test]
async fn a_description_written_in_oros_editor_reaches_outlook_as_text_and_stays_quiet() {
    let mut w = HttpWorld::start().await;
    w.settings_mut().kinds = vec![Kind::Events];
    let id = w.oro().create(event("Board", 2));
    w.oro.fake.user_edit(Kind::Events, &id, |r| {
        r.attributes.insert(
            "description".into(),
            json!("<p>Hello &amp; welcome</p>\n<p>Second <strong>line</strong></p>"),
        );
    });
    assert!(w.sync().await.ok);
    let items = w.outlook().all(Kind::Events);
    assert_eq!(items.len(), 1);
    assert_eq!(
        description(&items[0].item).as_deref(),
        Some("Hello & welcome\nSecond line")
    );
    assert_quiet(&mut w).await;
    assert_quiet(&mut w).await;
}
