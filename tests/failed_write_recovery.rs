//! A run that fails at each write position in turn (an error injected by
//! the in-memory stores before or after the write lands; the process is
//! not killed, so the engine's own error path runs), then repeated,
//! reaches the result of an uninterrupted run with no record created twice.
//! Real SIGKILLs of the binary are `tests/kill_trials.rs`.

mod scenarios;

use orosync::model::{Kind, Priority};
use orosync::settings::Direction;
use orosync_testkit::*;
use scenarios::memory::MemWorld;
use scenarios::world::World;

/// Records of both sides, ids left out: what the user sees.
fn picture(w: &MemWorld) -> (Vec<String>, Vec<String>) {
    let mut oro = vec![];
    let mut outlook = vec![];
    for k in Kind::ALL {
        oro.extend(
            w.oro
                .all(k)
                .iter()
                .map(|r| format!("{k}:{}", r.item.hash())),
        );
        outlook.extend(
            w.outlook
                .all(k)
                .iter()
                .map(|i| format!("{k}:{}", i.item.hash())),
        );
    }
    oro.sort();
    outlook.sort();
    (oro, outlook)
}

/// No duplicates and the database consistent; with `settled`, every link
/// also matches its item (after a complete run; a failed one may have
/// linked a record whose `OroCRM_id` the next run stamps), and in
/// bidirectional mode both sides of each pair agree.
fn assert_sound(w: &MemWorld, label: &str, settled: bool) {
    let st = w.state();
    assert!(st.check().unwrap().is_empty(), "{label}: {:?}", st.check());
    for k in Kind::ALL {
        let items = w.outlook.all(k);
        let mut links: Vec<&str> = items.iter().filter_map(|i| i.link.as_deref()).collect();
        let n = links.len();
        links.sort();
        links.dedup();
        assert_eq!(
            links.len(),
            n,
            "{label}: {k}: two Outlook items carry one Oro id"
        );
        if !settled {
            continue;
        }
        for l in st.links(k).unwrap() {
            let item = items
                .iter()
                .find(|i| i.id == l.outlook_id)
                .expect("linked item exists");
            assert_eq!(
                item.link.as_deref(),
                Some(l.oro_id.as_str()),
                "{label}: {k}"
            );
            let rec = w.oro.find(k, &l.oro_id).expect("linked record exists");
            if w.settings.direction == Direction::Bidirectional {
                assert!(
                    rec.item.same_as(&item.item),
                    "{label}: {k}: linked pair agrees"
                );
            }
        }
    }
}

/// Work for a first sync: creates both ways and key matches, all kinds.
fn first_sync_world(direction: Direction) -> MemWorld {
    let mut w = MemWorld::new();
    w.settings_mut().direction = direction;
    w.oro.user_create(contact("Ann", "Lee"));
    w.oro.user_create(contact("Bo", "Chen"));
    w.oro.user_create(task("Call Bob", Priority::High));
    w.oro.user_create(event("Review", 2));
    w.outlook.user_create(contact("ann", "LEE"));
    w.outlook.user_create(contact("Cy", "Diaz"));
    w.outlook.user_create(task("Write memo", Priority::Low));
    w.outlook.user_create(event("Lunch", 3));
    w.outlook.user_create_linked(contact("Old", "Link"), "999");
    w
}

/// Work for a later sync: updates, deletions, re-creates and creates.
async fn later_sync_world(direction: Direction) -> MemWorld {
    let mut w = MemWorld::new();
    w.settings_mut().direction = Direction::Bidirectional;
    let mut ids = vec![];
    for k in Kind::ALL {
        for n in ["A", "B", "C"] {
            ids.push((k, w.oro.user_create(sample(k, n))));
        }
    }
    assert!(w.sync().await.ok);
    w.settings_mut().direction = direction;
    w.advance_secs(30);
    for (i, (k, id)) in ids.iter().enumerate() {
        let item = w
            .outlook
            .all(*k)
            .into_iter()
            .find(|x| x.link.as_deref() == Some(id))
            .unwrap();
        match i % 3 {
            0 => w.oro.user_edit(*k, id, |it| edit_note(it, "edited in Oro")),
            1 => w
                .outlook
                .user_edit(*k, &item.id, |it| edit_note(it, "edited in Outlook")),
            _ => w.outlook.user_delete(*k, &item.id),
        }
    }
    w.oro.user_delete(Kind::Tasks, &ids[4].1);
    for k in Kind::ALL {
        w.outlook.user_create(sample(k, "New in Outlook"));
        w.oro.user_create(sample(k, "New in Oro"));
    }
    w
}

async fn trials(direction: Direction, later: bool) -> usize {
    let make = || async {
        if later {
            later_sync_world(direction).await
        } else {
            first_sync_world(direction)
        }
    };
    let mut reference = make().await;
    let s = reference.sync().await;
    assert!(s.ok, "{s:#?}");
    let expected = picture(&reference);
    let writes = reference.oro.writes().total() + reference.outlook.writes().total();
    assert!(writes > 0);
    let mut n = 0;
    for pos in 0..writes + 1 {
        for after in [false, true] {
            let mut w = make().await;
            w.crash.arm(pos, after);
            let failed = w.sync().await;
            w.crash.disarm();
            assert_sound(
                &w,
                &format!("{direction} after a failure at {pos}/{after}"),
                false,
            );
            let s = w.sync().await;
            assert!(
                s.ok,
                "{direction}: repeat after a failure at {pos}/{after}: {s:#?} (failed run: {:?})",
                failed.fatal
            );
            let label = format!(
                "{direction} failure at write {pos} ({})",
                if after { "after" } else { "before" }
            );
            let got = picture(&w);
            if got != expected {
                let diff = |a: &Vec<String>, b: &Vec<String>| -> (Vec<String>, Vec<String>) {
                    let mut extra = a.clone();
                    let mut missing = b.clone();
                    for x in b {
                        if let Some(p) = extra.iter().position(|y| y == x) {
                            extra.remove(p);
                        }
                    }
                    for x in a {
                        if let Some(p) = missing.iter().position(|y| y == x) {
                            missing.remove(p);
                        }
                    }
                    (extra, missing)
                };
                panic!(
                    "{label}: end state differs from an uninterrupted run\n  Oro (extra, missing): {:?}\n  Outlook (extra, missing): {:?}",
                    diff(&got.0, &expected.0),
                    diff(&got.1, &expected.1)
                );
            }
            assert_sound(&w, &label, true);
            let quiet = w.sync().await;
            assert_eq!(
                quiet.total_writes(),
                0,
                "{label}: third run writes nothing: {quiet:#?}"
            );
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn first_sync_failed_at_any_write_repeats_to_the_same_result_bidirectional() {
    assert!(trials(Direction::Bidirectional, false).await > 10);
}

#[tokio::test]
async fn first_sync_failed_at_any_write_repeats_to_the_same_result_oro_to_outlook() {
    assert!(trials(Direction::OroToOutlook, false).await > 4);
}

#[tokio::test]
async fn first_sync_failed_at_any_write_repeats_to_the_same_result_outlook_to_oro() {
    assert!(trials(Direction::OutlookToOro, false).await > 4);
}

#[tokio::test]
async fn later_sync_failed_at_any_write_repeats_to_the_same_result_bidirectional() {
    assert!(trials(Direction::Bidirectional, true).await > 10);
}

#[tokio::test]
async fn later_sync_failed_at_any_write_repeats_to_the_same_result_oro_to_outlook() {
    assert!(trials(Direction::OroToOutlook, true).await > 4);
}

#[tokio::test]
async fn later_sync_failed_at_any_write_repeats_to_the_same_result_outlook_to_oro() {
    assert!(trials(Direction::OutlookToOro, true).await > 4);
}
