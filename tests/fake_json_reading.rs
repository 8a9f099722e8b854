//! The tests read and write the fakes' JSON with their own code
//! (`orosync_testkit::graph_json`, `oro_json`), not the client's mapping.
//! Two independent readings must agree on what each side writes: what the
//! client writes to Graph reads back as the same values in the tests'
//! reading, and what a test's user writes reads back the same in the
//! client's, in zones either side of UTC and at the date line.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use orosync::graph::mapping::Mapper;
use orosync::model::{Contact, Event, Gender, Item, Kind, Priority, Task, TaskStatus, When};
use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use orosync_testkit::prelude::*;

const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn items() -> Vec<Item> {
    vec![
        Item::Contacts(Contact {
            name_prefix: Some("Dr.".into()),
            first_name: Some("Zoë".into()),
            middle_name: Some("M".into()),
            last_name: Some("Ångström".into()),
            name_suffix: Some("Jr.".into()),
            gender: Some(Gender::Male),
            birthday: Some(day(1980, 1, 1)),
            job_title: Some("Engineer".into()),
            description: Some("two\nlines".into()),
            emails: vec!["z@example.com".into(), "z2@example.com".into()],
            primary_phone: Some("+49 30 1234".into()),
            fax: Some("+49 30 9999".into()),
            addresses: vec![],
        }),
        Item::Contacts(Contact {
            first_name: Some("Only".into()),
            ..Default::default()
        }),
        Item::Tasks(Task {
            subject: "Call back & confirm <now>".into(),
            description: Some("Numbers\nfor Q4".into()),
            priority: Priority::High,
            status: TaskStatus::InProgress,
            due_date: Some(day(2026, 12, 31)),
        }),
        Item::Tasks(Task {
            subject: "No due day".into(),
            description: None,
            priority: Priority::Low,
            status: TaskStatus::Closed,
            due_date: None,
        }),
        Item::Events(Event {
            title: "Timed".into(),
            description: Some("Room 4".into()),
            when: When::Timed {
                start: Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap(),
                end: Utc.with_ymd_and_hms(2026, 12, 2, 0, 30, 0).unwrap(),
            },
        }),
        Item::Events(Event {
            title: "All day, two days".into(),
            description: None,
            when: When::AllDay {
                start: day(2026, 3, 28),
                end: day(2026, 3, 30),
            },
        }),
    ]
}

async fn graph(tz: Tz) -> FakeGraph {
    FakeGraph::start(FakeOptions {
        time_zone: tz,
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn what_the_client_writes_to_graph_reads_the_same_in_the_tests_reading() {
    for zone in ZONES {
        let tz: Tz = zone.parse().unwrap();
        let fake = graph(tz).await;
        let client = Mapper::new(tz, "https://crm.example.com").unwrap();
        for item in items() {
            let id = fake.user_create(
                item.kind(),
                client.write_body(Some(&item), Some("42"), true),
            );
            let read = fake
                .items(item.kind())
                .into_iter()
                .find(|i| i.id == id)
                .unwrap();
            assert_eq!(read.item, item, "{zone}");
            assert_eq!(read.link.as_deref(), Some("42"), "{zone}");
        }
    }
}

#[tokio::test]
async fn what_a_tests_user_writes_to_graph_reads_the_same_in_the_clients_reading() {
    for zone in ZONES {
        let tz: Tz = zone.parse().unwrap();
        let fake = graph(tz).await;
        let client = Mapper::new(tz, "https://crm.example.com").unwrap();
        for item in items() {
            let id = fake.user_create_item(&item, Some("7"));
            let v = fake.find(&id).unwrap();
            let read = client.read(item.kind(), &v).unwrap();
            assert_eq!(read.item, item, "{zone}: {v}");
            assert_eq!(read.link.as_deref(), Some("7"), "{zone}");
        }
    }
}

#[tokio::test]
async fn a_users_oro_records_read_back_as_entered_in_every_zone() {
    for zone in ZONES {
        let tz: Tz = zone.parse().unwrap();
        let fake = FakeOro::start(FakeOroOptions {
            time_zone: tz,
            ..Default::default()
        })
        .await
        .unwrap();
        for item in items() {
            let id = fake.user_create(&item);
            let read = fake
                .records(item.kind())
                .into_iter()
                .find(|r| r.id == id)
                .unwrap();
            assert_eq!(read.item, item, "{zone}");
            assert!(!read.recurring);
        }
        let series = fake.user_create_recurring_event(&Event {
            title: "Weekly".into(),
            description: None,
            when: When::AllDay {
                start: day(2026, 3, 30),
                end: day(2026, 3, 31),
            },
        });
        let r = fake.records(Kind::Events);
        assert!(r.iter().any(|r| r.id == series && r.recurring), "{zone}");
    }
}
