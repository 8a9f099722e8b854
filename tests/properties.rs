//! Property-based state machine in the spirit of vdirsyncer's: random
//! creates, edits (of key fields too) and deletes on both sides between
//! runs, every direction and conflict setting. After every run both sides,
//! the Outlook items' links, the state's links and pending conflicts and the
//! run's conflicts are compared with a reference model of
//! docs/sync-rules.md (`sync_model`), besides the sync's invariants; over
//! the in-memory stores, and over both real clients against the fake
//! servers. See docs/testing.md, "The model in the property tests".

mod scenarios;
mod sync_model;

use chrono::{NaiveDate, TimeZone, Utc};
use orosync::model::{Contact, Event, Gender, Item, Kind, Priority, Task, TaskStatus, When};
use orosync::settings::{ConflictSetting, Direction, Keys};
use orosync_testkit::{edit_key, edit_note};
use proptest::prelude::*;
use scenarios::http::HttpWorld;
use scenarios::memory::MemWorld;
use scenarios::world::World;
use std::collections::BTreeSet;
use sync_model::KindModel;

#[derive(Clone, Debug)]
enum Step {
    OroCreate(Item),
    /// Many records at once, so a run writes them in batches.
    OroCreateMany(Vec<Item>),
    OroEdit(usize, String),
    OroKeyEdit(usize, String, i64),
    OroDelete(usize),
    OutlookCreate(Item),
    OutlookCreateMany(Vec<Item>),
    OutlookEdit(usize, String),
    OutlookKeyEdit(usize, String, i64),
    OutlookDelete(usize),
    /// A linked pair edited on both sides (a key edit when `key`), Oro
    /// first unless `outlook_first`: a conflict unless the values agree.
    BothEdit {
        pair: usize,
        oro: String,
        outlook: String,
        key: bool,
        outlook_first: bool,
    },
    /// Many Oro records deleted at once (the mass-deletion guard).
    OroDeleteMany(usize, usize),
    Sync,
}

/// Names that collide by key ("Ann", " ann ", "ANN"), Unicode in and out
/// of the ASCII fast path (full lower-case mapping of 'İ', 'ẞ').
const NAMES: [&str; 10] = [
    "Ann",
    "  ann ",
    "ANN",
    "Bo",
    "Zoë",
    "ZOË",
    "Łukasz",
    "İlkay",
    "STRAẞE",
    "Ōsaka  Tarō",
];

fn name() -> impl Strategy<Value = String> {
    proptest::sample::select(NAMES.to_vec()).prop_map(str::to_string)
}

/// Free text: empty, white space only, Unicode, several lines.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_string()),
        Just(" \t\n ".to_string()),
        Just("note".to_string()),
        Just("Grüße, 👋 — ça va?".to_string()),
        Just("two\nlines".to_string()),
        "[a-zé ]{0,12}",
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), text().prop_map(Some)]
}

fn contact() -> impl Strategy<Value = Item> {
    (
        name(),
        prop_oneof![Just(None), Just(Some("Lee".to_string())), opt_text()],
        prop_oneof![
            Just(None),
            Just(Some(Gender::Female)),
            Just(Some(Gender::Male))
        ],
        prop_oneof![Just(None), Just(NaiveDate::from_ymd_opt(1980, 5, 17))],
        opt_text(),
        proptest::collection::vec(
            proptest::sample::select(vec!["a@example.com", "b@example.org", "zoe@example.net"]),
            0..3,
        ),
    )
        .prop_map(|(first, last, gender, birthday, job, emails)| {
            let mut emails: Vec<String> = emails.into_iter().map(str::to_string).collect();
            emails.dedup();
            Item::Contacts(Contact {
                first_name: Some(first),
                last_name: last,
                gender,
                birthday,
                job_title: job,
                emails,
                ..Default::default()
            })
        })
}

fn task() -> impl Strategy<Value = Item> {
    (
        name(),
        opt_text(),
        prop_oneof![
            Just(Priority::Low),
            Just(Priority::Normal),
            Just(Priority::High)
        ],
        prop_oneof![
            Just(None),
            (10u32..20).prop_map(|d| NaiveDate::from_ymd_opt(2026, 12, d))
        ],
    )
        .prop_map(|(subject, description, priority, due_date)| {
            Item::Tasks(Task {
                subject,
                description,
                priority,
                status: TaskStatus::Open,
                due_date,
            })
        })
}

/// Zones the timed events are entered in (half-hour and 45-minute offsets,
/// both hemispheres' summer time).
const ZONES: [chrono_tz::Tz; 4] = [
    chrono_tz::UTC,
    chrono_tz::Asia::Kolkata,
    chrono_tz::America::New_York,
    chrono_tz::Pacific::Chatham,
];

fn event() -> impl Strategy<Value = Item> {
    let timed = (
        proptest::sample::select(ZONES.to_vec()),
        1u32..6,
        0u32..24,
        prop_oneof![Just(0u32), Just(30), Just(45)],
        1i64..4,
    )
        .prop_map(|(tz, day, hour, minute, hours)| {
            let start = tz
                .with_ymd_and_hms(2026, 12, day, hour, minute, 0)
                .earliest()
                .expect("no gap in December")
                .with_timezone(&Utc);
            When::Timed {
                start,
                end: start + chrono::Duration::hours(hours),
            }
        });
    let all_day = (1u32..6, 1u64..3).prop_map(|(day, days)| {
        let start = NaiveDate::from_ymd_opt(2026, 12, day).expect("date");
        When::AllDay {
            start,
            end: start + chrono::Days::new(days),
        }
    });
    (name(), opt_text(), prop_oneof![timed, all_day]).prop_map(|(title, description, when)| {
        Item::Events(Event {
            title,
            description,
            when,
        })
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![contact(), task(), event()]
}

fn many() -> impl Strategy<Value = Vec<Item>> {
    prop_oneof![
        proptest::collection::vec(contact(), 10..25),
        proptest::collection::vec(task(), 10..25),
        proptest::collection::vec(event(), 10..25),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let shift = prop_oneof![Just(1i64), Just(-1), Just(25)];
    prop_oneof![
        3 => item().prop_map(Step::OroCreate),
        1 => many().prop_map(Step::OroCreateMany),
        2 => (any::<usize>(), text()).prop_map(|(i, n)| Step::OroEdit(i, n)),
        2 => (any::<usize>(), name(), shift.clone()).prop_map(|(i, n, h)| Step::OroKeyEdit(i, n, h)),
        2 => any::<usize>().prop_map(Step::OroDelete),
        3 => item().prop_map(Step::OutlookCreate),
        1 => many().prop_map(Step::OutlookCreateMany),
        2 => (any::<usize>(), text()).prop_map(|(i, n)| Step::OutlookEdit(i, n)),
        2 => (any::<usize>(), name(), shift).prop_map(|(i, n, h)| Step::OutlookKeyEdit(i, n, h)),
        2 => any::<usize>().prop_map(Step::OutlookDelete),
        3 => (any::<usize>(), name(), name(), any::<bool>(), any::<bool>()).prop_map(
            |(pair, oro, outlook, key, outlook_first)| Step::BothEdit {
                pair,
                oro,
                outlook,
                key,
                outlook_first,
            }
        ),
        1 => (any::<usize>(), 5usize..20).prop_map(|(i, n)| Step::OroDeleteMany(i, n)),
        3 => Just(Step::Sync),
    ]
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::Bidirectional),
        Just(Direction::OroToOutlook),
        Just(Direction::OutlookToOro)
    ]
}

fn conflict() -> impl Strategy<Value = ConflictSetting> {
    prop_oneof![
        Just(ConflictSetting::OroWins),
        Just(ConflictSetting::OutlookWins),
        Just(ConflictSetting::NewestWins),
        Just(ConflictSetting::Ask)
    ]
}

fn comparable_sorted(items: Vec<&Item>) -> Vec<String> {
    let mut v: Vec<String> = items
        .iter()
        .map(|i| format!("{:?}", i.comparable()))
        .collect();
    v.sort();
    v
}

/// One run, checked against the model for every kind.
async fn run_checked(
    w: &mut impl World,
    models: &mut [KindModel; 3],
    direction: Direction,
    setting: ConflictSetting,
) -> Result<orosync::summary::Summary, TestCaseError> {
    let expected: Vec<_> = Kind::ALL
        .iter()
        .zip(models.iter())
        .map(|(k, m)| m.run(direction, setting, &w.oro().all(*k), &w.outlook().all(*k)))
        .collect();
    let s = w.sync().await;
    // A run whose deletions the guard holds asks the user (not ok, exit 2);
    // any other run must succeed.
    prop_assert!(
        s.errors.is_empty() && s.fatal.is_none() && s.ok == s.guard.is_empty(),
        "run failed: {s:#?}"
    );
    for ((k, m), exp) in Kind::ALL.iter().zip(models.iter_mut()).zip(expected) {
        let st = w.state();
        let links: BTreeSet<(String, String)> = st
            .links(*k)
            .unwrap()
            .into_iter()
            .map(|l| (l.oro_id, l.outlook_id))
            .collect();
        let pending: BTreeSet<String> = st
            .pending(Some(*k))
            .unwrap()
            .into_iter()
            .map(|p| p.oro_id)
            .collect();
        let conflicts: BTreeSet<String> = s
            .conflicts
            .iter()
            .filter(|c| c.kind == *k)
            .map(|c| c.oro_id.clone())
            .collect();
        let held = s
            .guard
            .iter()
            .filter(|g| g.kind == *k)
            .map(|g| g.count)
            .sum();
        if let Err(e) = m.check(
            exp,
            &w.oro().all(*k),
            &w.outlook().all(*k),
            links,
            pending,
            conflicts,
            held,
        ) {
            return Err(TestCaseError::fail(format!(
                "{k}: the run and the rules disagree: {e}\nrun: {s:#?}"
            )));
        }
    }
    Ok(s)
}

fn pick<T>(all: &[T], i: usize) -> Option<&T> {
    (!all.is_empty()).then(|| &all[i % all.len()])
}

async fn check(
    mut w: impl World,
    direction: Direction,
    setting: ConflictSetting,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    w.settings_mut().direction = direction;
    w.settings_mut().conflict = setting;
    let keys = Keys::default();
    let mut models: [KindModel; 3] = Default::default();
    for step in steps.into_iter().chain([Step::Sync]) {
        w.advance_secs(7);
        match step {
            Step::OroCreate(item) => {
                w.oro().create(item);
            }
            Step::OroCreateMany(items) => {
                for item in items {
                    w.oro().create(item);
                }
            }
            Step::OroEdit(i, n) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.oro().all(*k)).collect();
                if let Some(r) = pick(&all, i) {
                    w.oro()
                        .edit(r.item.kind(), &r.id, &mut |it| edit_note(it, &n));
                }
            }
            Step::OroKeyEdit(i, n, h) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.oro().all(*k)).collect();
                if let Some(r) = pick(&all, i) {
                    let k = r.item.kind();
                    w.oro()
                        .edit(k, &r.id, &mut |it| edit_key(it, keys.of(k), &n, h));
                }
            }
            Step::OroDelete(i) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.oro().all(*k)).collect();
                if let Some(r) = pick(&all, i) {
                    w.oro().delete(r.item.kind(), &r.id);
                }
            }
            Step::OutlookCreate(item) => {
                w.outlook().create(item);
            }
            Step::OutlookCreateMany(items) => {
                for item in items {
                    w.outlook().create(item);
                }
            }
            Step::OutlookEdit(i, n) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.outlook().all(*k)).collect();
                if let Some(r) = pick(&all, i) {
                    w.outlook()
                        .edit(r.item.kind(), &r.id, &mut |it| edit_note(it, &n));
                }
            }
            Step::OutlookKeyEdit(i, n, h) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.outlook().all(*k)).collect();
                if let Some(r) = pick(&all, i) {
                    let k = r.item.kind();
                    w.outlook()
                        .edit(k, &r.id, &mut |it| edit_key(it, keys.of(k), &n, h));
                }
            }
            Step::OutlookDelete(i) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.outlook().all(*k)).collect();
                if let Some(r) = pick(&all, i) {
                    w.outlook().delete(r.item.kind(), &r.id);
                }
            }
            Step::BothEdit {
                pair,
                oro,
                outlook,
                key,
                outlook_first,
            } => {
                // Pairs as the Outlook items say: linked, with the Oro record there.
                let pairs: Vec<(Kind, String, String)> = Kind::ALL
                    .iter()
                    .flat_map(|k| {
                        let oro_ids: BTreeSet<String> =
                            w.oro().all(*k).into_iter().map(|r| r.id).collect();
                        w.outlook()
                            .all(*k)
                            .into_iter()
                            .filter_map(|i| Some((*k, i.link?, i.id)))
                            .filter(|(_, l, _)| oro_ids.contains(l))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                if let Some((k, oro_id, x)) = pick(&pairs, pair).cloned() {
                    let ks = keys.of(k);
                    let mut on_oro = |it: &mut Item| {
                        if key {
                            edit_key(it, ks, &oro, 1)
                        } else {
                            edit_note(it, &oro)
                        }
                    };
                    let mut on_outlook = |it: &mut Item| {
                        if key {
                            edit_key(it, ks, &outlook, 1)
                        } else {
                            edit_note(it, &outlook)
                        }
                    };
                    if outlook_first {
                        w.outlook().edit(k, &x, &mut on_outlook);
                        w.advance_secs(3);
                        w.oro().edit(k, &oro_id, &mut on_oro);
                    } else {
                        w.oro().edit(k, &oro_id, &mut on_oro);
                        w.advance_secs(3);
                        w.outlook().edit(k, &x, &mut on_outlook);
                    }
                }
            }
            Step::OroDeleteMany(i, n) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.oro().all(*k)).collect();
                for j in 0..n.min(all.len()) {
                    let r = &all[(i + j) % all.len()];
                    w.oro().delete(r.item.kind(), &r.id);
                }
            }
            Step::Sync => {
                let oro_before = w.oro().sync_writes();
                let outlook_before = w.outlook().sync_writes();
                let s = run_checked(&mut w, &mut models, direction, setting).await?;
                // A one-way run never writes to the side it must not write to.
                if direction == Direction::OroToOutlook {
                    prop_assert_eq!(
                        w.oro().sync_writes(),
                        oro_before,
                        "oro-to-outlook wrote to Oro"
                    );
                }
                if direction == Direction::OutlookToOro {
                    // Only stamping the Oro id and the documented deletions.
                    prop_assert_eq!(
                        w.outlook().sync_writes().created,
                        outlook_before.created,
                        "outlook-to-oro created in Outlook"
                    );
                }
                // Never two Outlook items for one Oro record.
                for k in Kind::ALL {
                    let items = w.outlook().all(k);
                    let mut links: Vec<&str> =
                        items.iter().filter_map(|i| i.link.as_deref()).collect();
                    let n = links.len();
                    links.sort();
                    links.dedup();
                    prop_assert_eq!(links.len(), n, "{}: an Oro record has two Outlook items", k);
                    let st = w.state();
                    prop_assert!(st.check().unwrap().is_empty());
                    let pending = st.pending(Some(k)).unwrap().len();
                    // After a bidirectional run with nothing pending or
                    // held by the deletion guard, both sides hold the same records.
                    if direction == Direction::Bidirectional && pending == 0 && s.guard.is_empty() {
                        let oro = w.oro().all(k);
                        prop_assert_eq!(
                            comparable_sorted(oro.iter().map(|r| &r.item).collect()),
                            comparable_sorted(items.iter().map(|i| &i.item).collect()),
                            "{}: sides differ after a bidirectional run",
                            k
                        );
                        prop_assert!(
                            items.iter().all(|i| i.link.is_some()),
                            "{}: an item is unlinked",
                            k
                        );
                    }
                }
                // A second run with no changes writes nothing, and the model
                // agrees: deletions the guard held stay held (the state
                // remembers them), they are not run by a later run.
                let again = run_checked(&mut w, &mut models, direction, setting).await?;
                prop_assert_eq!(again.total_writes(), 0, "second run wrote: {:#?}", again);
            }
        }
    }
    Ok(())
}

fn cases(default: u32) -> u32 {
    std::env::var("OROSYNC_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(96),
        .. ProptestConfig::default()
    })]

    #[test]
    fn random_edits_between_runs_keep_the_invariants(
        direction in direction(),
        setting in conflict(),
        chunk in prop_oneof![Just(1usize), Just(20)],
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(check(MemWorld::with_chunk(chunk), direction, setting, steps))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(16),
        .. ProptestConfig::default()
    })]

    /// The same with both real clients against both fake servers.
    #[test]
    fn random_edits_between_runs_keep_the_invariants_over_http(
        direction in direction(),
        setting in conflict(),
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            check(HttpWorld::start().await, direction, setting, steps).await
        })?;
    }
}

/// docs/reliability.md, "Deletion guard": "Until the user decides every run
/// holds them again and asks again: the pairs stay linked and untouched."
/// Found by the model: when the run that held the deletions also linked
/// new pairs, the next run measured the share against the larger link
/// count and deleted the held items without the user deciding. Held
/// deletions are now remembered in the state.
#[tokio::test]
async fn held_deletions_stay_held_when_the_share_drops() {
    let mut w = MemWorld::new();
    w.settings_mut().direction = Direction::OutlookToOro;
    for n in 0..10 {
        w.outlook()
            .create(orosync_testkit::contact(&format!("First{n}"), "Held"));
    }
    assert!(w.sync().await.ok);
    for r in w.oro().all(Kind::Contacts) {
        w.oro().delete(Kind::Contacts, &r.id);
    }
    for n in 0..10 {
        w.outlook()
            .create(orosync_testkit::contact(&format!("Second{n}"), "New"));
    }
    let held = w.sync().await;
    assert_eq!(held.guard.len(), 1, "the 10 deletions are held: {held:#?}");
    assert_eq!(held.guard[0].count, 10);
    let again = w.sync().await;
    assert_eq!(
        again.kinds[&Kind::Contacts].outlook.deleted,
        0,
        "held deletions went ahead without the user deciding: {again:#?}"
    );
    assert_eq!(again.guard.len(), 1, "and are asked for again");
    assert_eq!((again.guard[0].count, again.guard[0].linked), (10, 20));
    assert_eq!(w.outlook().all(Kind::Contacts).len(), 20, "nothing deleted");
}
