//! To Do due dates outside UTC, both clients against both fakes: To Do
//! keeps a due day as that day's midnight in the user's zone and answers it
//! as a UTC instant (docs/fidelity.md). A due day must arrive as the same
//! day on the other side in both directions, and a second run must write
//! nothing (no ping-pong between the two readings of one day).

mod scenarios;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use orosync::model::{Item, Kind, Priority, Task, TaskStatus};
use orosync::settings::Direction;
use orosync_testkit::prelude::*;
use scenarios::http::{HttpWorld, Setup};
use scenarios::world::World;
use serde_json::{json, Value};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The UTC instant of midnight of `d` in `tz`, as To Do answers a due day,
/// worked out here with chrono rather than the client's mapping.
fn todo_midnight(tz: Tz, d: NaiveDate) -> String {
    let t = tz
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .single()
        .unwrap()
        .with_timezone(&Utc);
    // A midnight has no fraction; Graph writes seven digits of one.
    format!("{}.0000000", t.format("%Y-%m-%dT%H:%M:%S"))
}

fn task(subject: &str, due: NaiveDate) -> Item {
    Item::Tasks(Task {
        subject: subject.into(),
        description: None,
        priority: Priority::Normal,
        status: TaskStatus::Open,
        due_date: Some(due),
    })
}

/// The raw To Do task whose title is `subject`.
fn todo_task(w: &HttpWorld, subject: &str) -> Value {
    w.outlook
        .fake
        .all(Kind::Tasks)
        .into_iter()
        .find(|t| t["title"] == subject)
        .unwrap_or_else(|| panic!("To Do has {subject}"))
}

/// Oro's raw `dueDate` of the task whose subject is `subject`.
fn oro_due(w: &HttpWorld, subject: &str) -> String {
    let r = w
        .oro
        .fake
        .all(Kind::Tasks)
        .into_iter()
        .find(|r| r.attr_str("subject") == Some(subject))
        .unwrap_or_else(|| panic!("Oro has {subject}"));
    r.attr_str("dueDate").expect("a due date").to_string()
}

async fn quiet(w: &mut HttpWorld) {
    scenarios::assert_quiet(w).await;
}

/// Oro → To Do, To Do → Oro (a new task and a changed date), then a quiet run.
/// `windows` is the zone's Windows name, as the To Do app sends it.
async fn due_days_cross_both_ways(tz: Tz, windows: &str) {
    let mut w = HttpWorld::start_with(Setup {
        tz,
        page_size: None,
    })
    .await;
    // Both ways (the default, said here because the test depends on it).
    w.settings_mut().direction = Direction::Bidirectional;

    // Oro → To Do: the day the user sees in To Do is the day set in Oro,
    // and an Oro due time of 15:30 local does not move it.
    let oro_id = w.oro.fake.user_create(&task("From Oro", day(2026, 12, 10)));
    let afternoon = tz
        .with_ymd_and_hms(2026, 12, 10, 15, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert!(w.oro.fake.user_edit(Kind::Tasks, &oro_id, |r| {
        r.attributes.insert(
            "dueDate".into(),
            json!(afternoon.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
    }));
    // To Do → Oro: a task the user made in To Do (the app sends midnight of
    // the day in the user's zone).
    w.outlook.fake.user_create(
        Kind::Tasks,
        json!({
            "title": "From To Do",
            "status": "notStarted",
            "importance": "normal",
            "dueDateTime": {"dateTime": "2026-12-24T00:00:00.0000000",
                            "timeZone": windows},
        }),
    );
    let s = w.sync().await;
    assert!(s.ok, "{s:#?}");

    let to_do = todo_task(&w, "From Oro");
    assert_eq!(
        to_do["dueDateTime"],
        json!({"dateTime": todo_midnight(tz, day(2026, 12, 10)), "timeZone": "UTC"}),
        "{tz}: the Oro task's day in To Do"
    );
    // A new task in Oro: 00:00 of the day in the user's zone.
    let midnight_24 = tz
        .with_ymd_and_hms(2026, 12, 24, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        oro_due(&w, "From To Do"),
        midnight_24.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "{tz}: the To Do task's day in Oro"
    );
    quiet(&mut w).await;

    // The user moves the Oro-made task to the 12th in To Do: Oro keeps its
    // 15:30 on the new day.
    let id = to_do["id"].as_str().unwrap().to_string();
    w.advance_secs(60);
    w.outlook.fake.user_edit(&id, |v| {
        v["dueDateTime"] = json!({"dateTime": "2026-12-12T00:00:00.0000000",
            "timeZone": windows});
    });
    let s = w.sync().await;
    assert!(s.ok, "{s:#?}");
    let afternoon_12 = tz
        .with_ymd_and_hms(2026, 12, 12, 15, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        oro_due(&w, "From Oro"),
        afternoon_12.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "{tz}: a changed day keeps Oro's time of day"
    );
    assert_eq!(
        todo_task(&w, "From Oro")["dueDateTime"]["dateTime"],
        json!(todo_midnight(tz, day(2026, 12, 12)))
    );
    quiet(&mut w).await;
}

#[tokio::test]
async fn due_days_cross_both_ways_and_stay_quiet_in_berlin() {
    due_days_cross_both_ways(chrono_tz::Europe::Berlin, "W. Europe Standard Time").await;
}

#[tokio::test]
async fn due_days_cross_both_ways_and_stay_quiet_in_new_york() {
    due_days_cross_both_ways(chrono_tz::America::New_York, "Eastern Standard Time").await;
}
