//! The guard over plans made by the planner from data alone (no server).

use super::*;
use crate::model::{OroRecord, OutlookItem};
use crate::plan::{plan_kind, KindInput, Link};
use crate::settings::Direction;
use crate::test_support::{contact, edit_note, t0};
use std::collections::BTreeSet;

/// `linked` linked contacts, the first `gone` of them deleted in Oro; every
/// Outlook item read (so the deletions carry the item and its name).
fn linked_with_gone(linked: usize, gone: usize) -> KindInput {
    let mut inp = KindInput::new(Kind::Contacts, crate::sides::Window::around(t0(), 30, 365));
    inp.keys = crate::settings::Keys::default().of(Kind::Contacts).to_vec();
    for n in 1..=linked {
        let item = contact(&format!("Ann{n}"), "Lee");
        inp.links.push(Link {
            oro_id: n.to_string(),
            outlook_id: format!("X{n}"),
            oro_hash: item.hash(),
            outlook_hash: item.hash(),
            oro_version: None,
            outlook_version: None,
        });
        if n > gone {
            inp.oro_ids.insert(n.to_string());
        }
        inp.outlook_items.push(OutlookItem {
            id: format!("X{n}"),
            created_at: t0(),
            modified_at: t0(),
            link: Some(n.to_string()),
            recurring: false,
            item,
        });
    }
    inp.outlook_full = true;
    inp
}

fn deletes(plan: &Plan) -> usize {
    plan.ops
        .iter()
        .filter(|op| matches!(op.action, Action::DeleteOutlook { .. }))
        .count()
}

fn guarded(inp: &KindInput, choice: GuardChoice) -> (Plan, Option<GuardNote>) {
    let mut plan = plan_kind(inp);
    assert!(plan.needs.is_empty());
    let note = apply_guard(
        &mut plan,
        inp.kind,
        inp.links.len(),
        inp.first_sync,
        choice,
        &BTreeSet::new(),
    );
    (plan, note)
}

#[test]
fn mass_deletion_threshold_is_at_least_ten_and_more_than_half() {
    assert!(!is_mass_deletion(9, 10), "9 of 10: fewer than 10");
    assert!(!is_mass_deletion(10, 20), "10 of 20: exactly half");
    assert!(is_mass_deletion(11, 20));
    assert!(is_mass_deletion(10, 10));
    assert!(is_mass_deletion(10, 19));
}

#[test]
fn guard_holds_eleven_of_twenty_deletions_and_names_them() {
    let (plan, note) = guarded(&linked_with_gone(20, 11), GuardChoice::Ask);
    let note = note.expect("11 of 20 trips the guard");
    assert_eq!((note.kind, note.side), (Kind::Contacts, Side::Oro));
    assert_eq!((note.count, note.linked), (11, 20));
    assert_eq!(deletes(&plan), 0, "nothing is deleted");
    let ids: Vec<&str> = note.items.iter().map(|i| i.oro_id.as_str()).collect();
    assert_eq!(
        ids,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    assert_eq!(note.items[0].name, "Ann1 Lee");
    assert_eq!(note.items[0].outlook_id, "X1");
    assert!(note.message().starts_with(
        "11 of 20 linked contacts are gone from Oro; syncing would delete them in Outlook."
    ));
}

#[test]
fn guard_lets_exactly_half_through() {
    let (plan, note) = guarded(&linked_with_gone(20, 10), GuardChoice::Ask);
    assert_eq!(note, None);
    assert_eq!(deletes(&plan), 10);
}

#[test]
fn guard_lets_nine_of_ten_through() {
    let (plan, note) = guarded(&linked_with_gone(10, 9), GuardChoice::Ask);
    assert_eq!(note, None);
    assert_eq!(deletes(&plan), 9);
}

#[test]
fn guard_never_stops_a_first_sync() {
    let mut inp = linked_with_gone(20, 15);
    inp.first_sync = true;
    let (plan, note) = guarded(&inp, GuardChoice::Ask);
    assert_eq!(note, None);
    assert_eq!(deletes(&plan), 15);
}

#[test]
fn guard_with_delete_confirmed_deletes() {
    let (plan, note) = guarded(&linked_with_gone(20, 15), GuardChoice::Delete);
    assert_eq!(note, None);
    assert_eq!(deletes(&plan), 15);
}

#[test]
fn guard_keeps_the_rest_of_the_plan() {
    let mut inp = linked_with_gone(20, 15);
    // 18 is edited in Oro: its update still goes to Outlook.
    let mut item = contact("Ann18", "Lee");
    edit_note(&mut item, "oro");
    inp.oro_records.push(OroRecord {
        id: "18".into(),
        created_at: t0(),
        updated_at: t0(),
        recurring: false,
        item,
    });
    let (plan, note) = guarded(&inp, GuardChoice::Ask);
    assert!(note.is_some());
    assert_eq!(deletes(&plan), 0);
    assert!(plan.ops.iter().any(
        |op| matches!(&op.action, Action::UpdateOutlook { outlook_id, .. } if outlook_id == "X18")
    ));
}

#[test]
fn guard_keep_creates_the_items_again_in_oro_and_deletes_nothing() {
    for direction in [Direction::Bidirectional, Direction::OutlookToOro] {
        let mut inp = linked_with_gone(20, 12);
        inp.direction = direction;
        let (plan, note) = guarded(&inp, GuardChoice::Keep);
        assert_eq!(note, None, "decided: nothing to ask");
        assert_eq!(deletes(&plan), 0);
        let mut created: Vec<&str> = plan
            .ops
            .iter()
            .filter_map(|op| match &op.action {
                Action::CreateOro { from } => Some(from.id.as_str()),
                _ => None,
            })
            .collect();
        created.sort();
        let mut want: Vec<String> = (1..=12).map(|n| format!("X{n}")).collect();
        want.sort();
        assert_eq!(created, want, "{direction:?}");
    }
}

#[test]
fn guard_asks_for_unread_items_before_it_decides() {
    let mut inp = linked_with_gone(20, 12);
    // An incremental run: only X13..X20 were read.
    inp.outlook_full = false;
    inp.outlook_items
        .retain(|i| i.id.len() == 3 && i.id.as_str() >= "X13");
    let mut plan = plan_kind(&inp);
    assert!(plan.needs.is_empty(), "deleting needs no read");
    assert_eq!(deletes(&plan), 12);
    let note = apply_guard(
        &mut plan,
        Kind::Contacts,
        20,
        false,
        GuardChoice::Ask,
        &BTreeSet::new(),
    );
    assert_eq!(note, None);
    assert_eq!(
        plan.needs.outlook.len(),
        12,
        "the held items are read for their names"
    );
}

#[test]
fn guard_choices_are_per_kind() {
    let c = GuardChoices::default().with(Kind::Tasks, GuardChoice::Keep);
    assert_eq!(c.of(Kind::Tasks), GuardChoice::Keep);
    assert_eq!(c.of(Kind::Contacts), GuardChoice::Ask);
    assert_eq!(
        GuardChoices::all(GuardChoice::Delete).of(Kind::Events),
        GuardChoice::Delete
    );
}

#[test]
fn deletions_held_before_stay_held_below_the_threshold_and_only_those() {
    // 12 of 30 gone: no mass deletion; 3 of them were held by an earlier run.
    let inp = linked_with_gone(30, 12);
    let remembered: BTreeSet<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
    let mut plan = plan_kind(&inp);
    let note = apply_guard(
        &mut plan,
        inp.kind,
        30,
        false,
        GuardChoice::Ask,
        &remembered,
    )
    .expect("the remembered ones are asked for again");
    assert_eq!(note.count, 3);
    let ids: Vec<&str> = note.items.iter().map(|i| i.oro_id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(deletes(&plan), 9, "the other, ordinary deletions go ahead");
    // The user's Delete lets them all go.
    let mut plan = plan_kind(&inp);
    assert!(apply_guard(
        &mut plan,
        inp.kind,
        30,
        false,
        GuardChoice::Delete,
        &remembered
    )
    .is_none());
    assert_eq!(deletes(&plan), 12);
}
