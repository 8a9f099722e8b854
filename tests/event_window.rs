//! The event window moves (docs/fidelity.md, "Microsoft Graph: calendar
//! window"): each run's window is whole days around today in the user's
//! zone; Graph fixes a calendar delta's window in its token, so a delta
//! whose window is not today's is started again, and both sides' events that
//! entered the window sync while those that left it stay as they are.
//! Both clients against both fake servers, state in SQLite.

mod scenarios;

use orosync::model::{Item, Kind};
use orosync_testkit::event;
use scenarios::http::HttpWorld;
use scenarios::world::World;
use scenarios::{assert_links_consistent, assert_quiet};

const DAY: i64 = 86_400;

fn titles_in_oro(w: &HttpWorld) -> Vec<String> {
    let mut v: Vec<String> = w
        .oro()
        .all(Kind::Events)
        .into_iter()
        .map(|r| title(&r.item))
        .collect();
    v.sort();
    v
}

fn titles_in_outlook(w: &HttpWorld) -> Vec<String> {
    let mut v: Vec<String> = w
        .outlook()
        .all(Kind::Events)
        .into_iter()
        .map(|i| title(&i.item))
        .collect();
    v.sort();
    v
}

fn title(i: &Item) -> String {
    match i {
        Item::Events(e) => e.title.clone(),
        other => panic!("not an event: {other:?}"),
    }
}

fn events_only(w: &mut HttpWorld, past: u32, future: u32) {
    let s = w.settings_mut();
    s.kinds = vec![Kind::Events];
    s.events_past_days = past;
    s.events_future_days = future;
}

/// (created in Oro, created in Outlook, deleted anywhere) by a run.
fn creates_and_deletes(s: &orosync::summary::Summary) -> (usize, usize, usize) {
    let k = &s.kinds[&Kind::Events];
    (
        k.oro.created,
        k.outlook.created,
        k.oro.deleted + k.outlook.deleted,
    )
}

async fn sync_ok(w: &mut HttpWorld) -> orosync::summary::Summary {
    let s = w.sync().await;
    assert!(s.ok, "run failed: {s:#?}");
    s
}

/// The clock is 2026-11-25 09:00 UTC; `event(_, d)` is on 2026-12-01 + d.
/// With 10 days ahead the first window ends at 2026-12-06 00:00, so events
/// on 12-11 are beyond it; ten days later they are inside.
#[tokio::test]
async fn events_created_beyond_the_first_window_sync_once_the_window_reaches_them() {
    let mut w = HttpWorld::start().await;
    events_only(&mut w, 30, 10);
    w.outlook().create(event("Kickoff", 2));
    w.oro().create(event("Review", 3));
    sync_ok(&mut w).await;
    assert_eq!(titles_in_oro(&w), ["Kickoff", "Review"]);

    // Created after the first sync, beyond its window's end.
    w.outlook().create(event("Outlook later", 10));
    w.oro().create(event("Oro later", 10));
    let s = sync_ok(&mut w).await;
    assert_eq!(s.total_writes(), 0, "outside the window: {s:#?}");
    assert_eq!(titles_in_oro(&w), ["Kickoff", "Oro later", "Review"]);
    assert_eq!(
        titles_in_outlook(&w),
        ["Kickoff", "Outlook later", "Review"]
    );

    // Ten days on, both are in the window and reach the other side, once.
    w.advance_secs(10 * DAY);
    let s = sync_ok(&mut w).await;
    assert_eq!(
        titles_in_oro(&w),
        ["Kickoff", "Oro later", "Outlook later", "Review"]
    );
    assert_eq!(
        titles_in_outlook(&w),
        ["Kickoff", "Oro later", "Outlook later", "Review"]
    );
    assert_eq!(
        creates_and_deletes(&s),
        (1, 1, 0),
        "one create on each side: {s:#?}"
    );
    assert_links_consistent(&w, Kind::Events);
    assert_quiet(&mut w).await;
}

#[tokio::test]
async fn widening_the_window_syncs_the_events_newly_inside_it() {
    let mut w = HttpWorld::start().await;
    events_only(&mut w, 30, 10);
    w.outlook().create(event("Near", 2));
    w.outlook().create(event("Far in Outlook", 40));
    w.oro().create(event("Far in Oro", 41));
    sync_ok(&mut w).await;
    assert_eq!(titles_in_oro(&w), ["Far in Oro", "Near"]);
    assert_quiet(&mut w).await;

    w.settings_mut().events_future_days = 365;
    let s = sync_ok(&mut w).await;
    assert_eq!(
        creates_and_deletes(&s),
        (1, 1, 0),
        "one create on each side: {s:#?}"
    );
    assert_eq!(titles_in_oro(&w), ["Far in Oro", "Far in Outlook", "Near"]);
    assert_eq!(
        titles_in_outlook(&w),
        ["Far in Oro", "Far in Outlook", "Near"]
    );
    assert_links_consistent(&w, Kind::Events);
    assert_quiet(&mut w).await;
}

/// A linked pair on 12-04 leaves a window of 2 days back when the clock
/// reaches 12-07: out of scope, so neither side is deleted or written, and
/// its link is kept; an event entering the window at the same run syncs.
#[tokio::test]
async fn an_event_that_left_the_window_is_kept_on_both_sides() {
    let mut w = HttpWorld::start().await;
    events_only(&mut w, 2, 10);
    w.oro().create(event("Past soon", 3));
    sync_ok(&mut w).await;
    assert_eq!(titles_in_outlook(&w), ["Past soon"]);
    w.outlook().create(event("Entering", 12));
    assert_quiet(&mut w).await;

    w.advance_secs(12 * DAY);
    let s = sync_ok(&mut w).await;
    assert_eq!(
        creates_and_deletes(&s),
        (1, 0, 0),
        "only the entering event: {s:#?}"
    );
    assert_eq!(s.kinds[&Kind::Events].oro.updated, 0, "{s:#?}");
    assert_eq!(titles_in_oro(&w), ["Entering", "Past soon"]);
    assert_eq!(titles_in_outlook(&w), ["Entering", "Past soon"]);
    assert_eq!(w.state().links(Kind::Events).unwrap().len(), 2);
    assert!(w.backups().is_empty(), "nothing overwritten or deleted");
    assert_links_consistent(&w, Kind::Events);
    assert_quiet(&mut w).await;
}

/// Narrowing the window takes linked events out of scope: nothing is
/// deleted or written on either side.
#[tokio::test]
async fn narrowing_the_window_deletes_nothing() {
    let mut w = HttpWorld::start().await;
    events_only(&mut w, 30, 365);
    w.oro().create(event("Soon", 1));
    w.outlook().create(event("Later", 60));
    sync_ok(&mut w).await;
    assert_eq!(titles_in_oro(&w), ["Later", "Soon"]);

    w.settings_mut().events_future_days = 10;
    let s = sync_ok(&mut w).await;
    assert_eq!(s.total_writes(), 0, "{s:#?}");
    assert_eq!(titles_in_oro(&w), ["Later", "Soon"]);
    assert_eq!(titles_in_outlook(&w), ["Later", "Soon"]);
    assert_eq!(w.state().links(Kind::Events).unwrap().len(), 2);
    assert_quiet(&mut w).await;
}

/// The window restarts the delta once a day at most: runs later the same
/// day keep the delta link (and so write nothing and read only changes).
#[tokio::test]
async fn the_delta_is_kept_while_the_day_lasts_and_started_again_the_next_day() {
    let mut w = HttpWorld::start().await;
    events_only(&mut w, 30, 10);
    w.outlook().create(event("Kickoff", 2));
    sync_ok(&mut w).await;
    let first = w.state().kind_state(Kind::Events).unwrap();
    let window = first.outlook_window.expect("the delta's window is saved");
    assert!(first.outlook_cursor.is_some());
    w.advance_secs(3600);
    sync_ok(&mut w).await;
    let same_day = w.state().kind_state(Kind::Events).unwrap();
    assert_eq!(same_day.outlook_window, Some(window));
    w.advance_secs(DAY);
    sync_ok(&mut w).await;
    let next_day = w.state().kind_state(Kind::Events).unwrap();
    let moved = next_day.outlook_window.expect("saved");
    assert_eq!(moved.from - window.from, chrono::Duration::days(1));
    assert_eq!(moved.to - window.to, chrono::Duration::days(1));
    assert_ne!(next_day.outlook_cursor, first.outlook_cursor);
}

/// The fake Graph as Graph documents calendarView delta ("Get incremental
/// changes to events in a calendar view": the delta and next links are state
/// tokens that encode startDateTime and endDateTime of the first request):
/// a wider window added to the delta link later changes nothing.
#[tokio::test]
async fn the_fake_graph_keeps_the_first_requests_window_in_the_delta_link() {
    use orosync::clock::ManualClock;
    use orosync::sides::{OutlookStore, Window};
    use orosync_testkit::{t0, OutlookUser};
    use scenarios::http::{ServedGraph, Setup};

    let clock = ManualClock::new(t0());
    let g = ServedGraph::start(&clock, "https://crm.example.com", Setup::default()).await;
    let narrow = Window::days_around(t0(), chrono_tz::Tz::UTC, 30, 10);
    let wide = Window::days_around(t0(), chrono_tz::Tz::UTC, 30, 365);
    let first = g.client.changes(Kind::Events, None, &narrow).await.unwrap();
    assert!(first.items.is_empty());
    let far = g.fake.create(event("Far", 40));
    let near = g.fake.create(event("Near", 2));
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let widened = format!(
        "{}&startDateTime={}&endDateTime={}",
        first.cursor,
        fmt(wide.from),
        fmt(wide.to)
    );
    let next = g
        .client
        .changes(Kind::Events, Some(&widened), &wide)
        .await
        .unwrap();
    let ids: Vec<&str> = next.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [near.as_str()], "only the first window's events");
    assert!(!ids.contains(&far.as_str()));
}

/// Whole days of the user's zone: in Auckland (UTC+13 in November) the
/// clock's 2026-11-25 09:00 UTC is already 22:00 on the 25th, and the
/// window runs from that zone's midnights.
#[test]
fn the_window_is_whole_days_of_the_users_zone() {
    use chrono::TimeZone;
    use orosync::sides::Window;
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let w = Window::days_around(now, chrono_tz::Pacific::Auckland, 2, 3);
    // 2026-11-23 00:00 and 2026-11-29 00:00 in Auckland (NZDT, UTC+13).
    assert_eq!(
        w.from,
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 11, 0, 0)
            .unwrap()
    );
    assert_eq!(
        w.to,
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 11, 0, 0)
            .unwrap()
    );
    // Any time of the same local day gives the same window.
    let later = now + chrono::Duration::minutes(119);
    assert_eq!(
        Window::days_around(later, chrono_tz::Pacific::Auckland, 2, 3),
        w
    );
    let next_day = now + chrono::Duration::minutes(121);
    assert_ne!(
        Window::days_around(next_day, chrono_tz::Pacific::Auckland, 2, 3),
        w
    );
}
