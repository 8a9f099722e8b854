//! Property-based state machine in the spirit of vdirsyncer's: random
//! creates, edits and deletes on both sides between runs, every direction
//! and conflict setting, checked against the sync's invariants; over the
//! in-memory stores, and over both real clients against the fake servers.

mod scenarios;

use orosync::model::{Item, Kind};
use orosync::settings::{ConflictSetting, Direction};
use orosync_testkit::{edit_note, sample};
use proptest::prelude::*;
use scenarios::http::HttpWorld;
use scenarios::memory::MemWorld;
use scenarios::world::World;

#[derive(Clone, Debug)]
enum Step {
    OroCreate(Kind, u8),
    OroEdit(usize, u8),
    OroDelete(usize),
    OutlookCreate(Kind, u8),
    OutlookEdit(usize, u8),
    OutlookDelete(usize),
    Sync,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Contacts), Just(Kind::Tasks), Just(Kind::Events)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (kind(), 0u8..4).prop_map(|(k, n)| Step::OroCreate(k, n)),
        (any::<usize>(), 0u8..3).prop_map(|(i, n)| Step::OroEdit(i, n)),
        any::<usize>().prop_map(Step::OroDelete),
        (kind(), 0u8..4).prop_map(|(k, n)| Step::OutlookCreate(k, n)),
        (any::<usize>(), 0u8..3).prop_map(|(i, n)| Step::OutlookEdit(i, n)),
        any::<usize>().prop_map(Step::OutlookDelete),
        Just(Step::Sync),
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

const NAMES: [&str; 4] = ["Ann", "Bo", "Cy", "Di"];

fn comparable_sorted(items: Vec<&Item>) -> Vec<String> {
    let mut v: Vec<String> = items
        .iter()
        .map(|i| format!("{:?}", i.comparable()))
        .collect();
    v.sort();
    v
}

async fn check(
    mut w: impl World,
    direction: Direction,
    setting: ConflictSetting,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    w.settings_mut().direction = direction;
    w.settings_mut().conflict = setting;
    for step in steps.into_iter().chain([Step::Sync]) {
        w.advance_secs(7);
        match step {
            Step::OroCreate(k, n) => {
                w.oro().create(sample(k, NAMES[n as usize]));
            }
            Step::OroEdit(i, n) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.oro().all(*k)).collect();
                if !all.is_empty() {
                    let r = &all[i % all.len()];
                    w.oro().edit(r.item.kind(), &r.id, &mut |it| {
                        edit_note(it, &format!("oro {n}"))
                    });
                }
            }
            Step::OroDelete(i) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.oro().all(*k)).collect();
                if !all.is_empty() {
                    let r = &all[i % all.len()];
                    w.oro().delete(r.item.kind(), &r.id);
                }
            }
            Step::OutlookCreate(k, n) => {
                w.outlook().create(sample(k, NAMES[n as usize]));
            }
            Step::OutlookEdit(i, n) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.outlook().all(*k)).collect();
                if !all.is_empty() {
                    let r = &all[i % all.len()];
                    w.outlook().edit(r.item.kind(), &r.id, &mut |it| {
                        edit_note(it, &format!("outlook {n}"))
                    });
                }
            }
            Step::OutlookDelete(i) => {
                let all: Vec<_> = Kind::ALL.iter().flat_map(|k| w.outlook().all(*k)).collect();
                if !all.is_empty() {
                    let r = &all[i % all.len()];
                    w.outlook().delete(r.item.kind(), &r.id);
                }
            }
            Step::Sync => {
                let oro_before = w.oro().sync_writes();
                let outlook_before = w.outlook().sync_writes();
                let s = w.sync().await;
                prop_assert!(s.ok, "run failed: {s:#?}");
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
                    // After a bidirectional run with nothing pending, both sides hold the same records.
                    if direction == Direction::Bidirectional && pending == 0 {
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
                // A second run with no changes writes nothing.
                let again = w.sync().await;
                prop_assert!(again.ok);
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
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(check(MemWorld::new(), direction, setting, steps))?;
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
