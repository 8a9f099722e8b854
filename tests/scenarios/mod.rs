//! The rules of docs/sync-rules.md (by rule id) and its per-pair cells as scenarios,
//! written once over [`World`]. Every scenario checks both sides and the
//! state database, and runs a second sync that must write nothing.

#![allow(dead_code)]

pub mod binary;
pub mod http;
pub mod memory;
pub mod world;

use orosync::engine::RunOptions;
use orosync::model::{Address, AddressType, Item, Kind, Priority, Side, Slot};
use orosync::settings::{ConflictSetting, Direction};
use orosync::summary::Summary;
use orosync_testkit::*;
use world::{oro_one, outlook_one, World};

pub const KINDS: [Kind; 3] = [Kind::Contacts, Kind::Tasks, Kind::Events];

fn set(w: &mut impl World, d: Direction) {
    w.settings_mut().direction = d;
}

fn assert_ok(s: &Summary) {
    assert!(s.ok, "run failed: {s:#?}");
}

/// Both sides' write counters, summed.
fn writes(w: &impl World) -> usize {
    w.oro().sync_writes().total() + w.outlook().sync_writes().total()
}

/// A second run with nothing changed writes nothing anywhere.
pub async fn assert_quiet(w: &mut impl World) {
    let before = writes(w);
    let s = w.sync().await;
    assert_ok(&s);
    assert_eq!(s.total_writes(), 0, "a run with no changes wrote: {s:#?}");
    assert_eq!(
        writes(w),
        before,
        "the stores saw writes on a run with no changes"
    );
}

/// The state's links equal the `OroCRM_id`s on the Outlook items, and each
/// links an existing pair; the database passes its checks.
pub fn assert_links_consistent(w: &impl World, kind: Kind) {
    let st = w.state();
    assert!(
        st.check().unwrap().is_empty(),
        "state check: {:?}",
        st.check()
    );
    let links = st.links(kind).unwrap();
    for l in &links {
        let item = outlook_one(w, kind, &l.outlook_id);
        if let Some(item) = item {
            assert_eq!(
                item.link.as_deref(),
                Some(l.oro_id.as_str()),
                "{kind}: link on the item"
            );
        }
    }
    let mut linked: Vec<String> = w
        .outlook()
        .all(kind)
        .into_iter()
        .filter(|i| i.link.is_some())
        .map(|i| i.id)
        .collect();
    linked.sort();
    let mut in_state: Vec<String> = links.iter().map(|l| l.outlook_id.clone()).collect();
    in_state.sort();
    for id in &in_state {
        assert!(
            linked.contains(id),
            "{kind}: state links {id} but the item is gone or unstamped"
        );
    }
}

/// Set up one linked pair per kind with a first bidirectional sync; returns
/// (kind, oro id, outlook id).
pub async fn linked_pairs(w: &mut impl World) -> Vec<(Kind, String, String)> {
    let mut ids = vec![];
    for k in KINDS {
        ids.push((k, w.oro().create(sample(k, "Pat"))));
    }
    let d = w.settings_mut().direction;
    set(w, Direction::OroToOutlook);
    assert_ok(&w.sync().await);
    set(w, d);
    let mut out = vec![];
    for (k, oro_id) in ids {
        let item = w
            .outlook()
            .all(k)
            .into_iter()
            .find(|i| i.link.as_deref() == Some(oro_id.as_str()))
            .expect("created in Outlook");
        out.push((k, oro_id, item.id));
    }
    w.advance_secs(5);
    out
}

// ------------------------------------------------------------------ keys

/// k1: contacts pair by first name, last name, gender and birthday.
pub async fn k1_contact_key_first_last_gender_birthday(w: &mut impl World) {
    let oro = w.oro().create(contact("Ann", "Lee"));
    let mut same = contact("  ANN ", "lee");
    if let Item::Contacts(c) = &mut same {
        c.job_title = Some("CTO".into());
    }
    let same_id = w.outlook().create(same);
    let mut other = contact("Ann", "Lee");
    if let Item::Contacts(c) = &mut other {
        c.birthday = chrono::NaiveDate::from_ymd_opt(1990, 1, 1);
    }
    let other_id = w.outlook().create(other);
    assert_ok(&w.sync().await);
    let paired = outlook_one(w, Kind::Contacts, &same_id).unwrap();
    assert_eq!(
        paired.link.as_deref(),
        Some(oro.as_str()),
        "same key: paired"
    );
    assert_eq!(
        note_of(&paired.item).as_deref(),
        Some("Engineer"),
        "Oro's values won the first pairing"
    );
    let other = outlook_one(w, Kind::Contacts, &other_id).unwrap();
    assert_ne!(
        other.link.as_deref(),
        Some(oro.as_str()),
        "another birthday is another person"
    );
    assert_eq!(
        w.oro().all(Kind::Contacts).len(),
        2,
        "the other contact was created in Oro"
    );
    assert_eq!(
        w.outlook().all(Kind::Contacts).len(),
        2,
        "no duplicate in Outlook"
    );
    assert_links_consistent(w, Kind::Contacts);
    assert_quiet(w).await;
}

/// k2: events pair by title, start, end and all-day.
pub async fn k2_event_key_title_start_end_allday(w: &mut impl World) {
    let oro = w.oro().create(event("Review", 2));
    let oro_allday = w.oro().create(all_day_event("Offsite", 4));
    let same = w.outlook().create(event("review", 2));
    let shifted = w.outlook().create(event("Review", 5));
    let allday = w.outlook().create(all_day_event("OFFSITE", 4));
    assert_ok(&w.sync().await);
    assert_eq!(
        outlook_one(w, Kind::Events, &same).unwrap().link.as_deref(),
        Some(oro.as_str())
    );
    assert_eq!(
        outlook_one(w, Kind::Events, &allday)
            .unwrap()
            .link
            .as_deref(),
        Some(oro_allday.as_str())
    );
    assert_ne!(
        outlook_one(w, Kind::Events, &shifted)
            .unwrap()
            .link
            .as_deref(),
        Some(oro.as_str())
    );
    assert_eq!(w.outlook().all(Kind::Events).len(), 3);
    assert_eq!(
        w.oro().all(Kind::Events).len(),
        3,
        "the shifted event is another event"
    );
    assert_links_consistent(w, Kind::Events);
    assert_quiet(w).await;
}

/// k3: tasks pair by subject and priority.
pub async fn k3_task_key_subject_priority(w: &mut impl World) {
    let oro = w.oro().create(task("Call Bob", Priority::High));
    let same = w.outlook().create(task("call bob", Priority::High));
    let low = w.outlook().create(task("Call Bob", Priority::Low));
    assert_ok(&w.sync().await);
    assert_eq!(
        outlook_one(w, Kind::Tasks, &same).unwrap().link.as_deref(),
        Some(oro.as_str())
    );
    assert_ne!(
        outlook_one(w, Kind::Tasks, &low).unwrap().link.as_deref(),
        Some(oro.as_str())
    );
    assert_eq!(w.oro().all(Kind::Tasks).len(), 2);
    assert_links_consistent(w, Kind::Tasks);
    assert_quiet(w).await;
}

/// id1: every synced Outlook item carries its Oro id in `OroCRM_id`.
pub async fn id1_outlook_items_carry_the_oro_id(w: &mut impl World) {
    for k in KINDS {
        w.oro().create(sample(k, "Oro"));
        w.outlook().create(sample(k, "Outlook"));
    }
    assert_ok(&w.sync().await);
    for k in KINDS {
        let oro_ids: Vec<String> = w.oro().all(k).into_iter().map(|r| r.id).collect();
        assert_eq!(oro_ids.len(), 2, "{k}");
        for item in w.outlook().all(k) {
            let link = item.link.clone().expect("stamped");
            assert!(oro_ids.contains(&link), "{k}: {link} is an Oro id");
        }
        assert_eq!(w.state().link_count(k).unwrap(), 2);
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

// ------------------------------------------------------------------ Oro → Outlook

/// ox1: a record that exists in Outlook gets Oro's mapped values.
pub async fn ox1_existing_in_outlook_gets_oros_values(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for k in KINDS {
        let oro = w.oro().create(sample(k, "Pat"));
        let mut theirs = sample(k, "Pat");
        edit_note(&mut theirs, "stale");
        let x = w.outlook().create(theirs);
        assert_ok(&w.sync().await);
        let item = outlook_one(w, k, &x).unwrap();
        assert_eq!(item.link.as_deref(), Some(oro.as_str()), "{k}");
        assert!(
            item.item.same_as(&oro_one(w, k, &oro).unwrap().item),
            "{k}: Oro's values"
        );
        assert_eq!(w.outlook().all(k).len(), 1, "{k}: updated, not created");
        assert_links_consistent(w, k);
    }
    assert_eq!(
        w.oro().sync_writes().total(),
        0,
        "one-way: nothing written to Oro"
    );
    assert_quiet(w).await;
}

/// ox2: a record missing in Outlook is created there.
pub async fn ox2_missing_in_outlook_is_created(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for k in KINDS {
        w.oro().create(sample(k, "New"));
    }
    let s = w.sync().await;
    assert_ok(&s);
    for k in KINDS {
        let items = w.outlook().all(k);
        assert_eq!(items.len(), 1, "{k}");
        let rec = &w.oro().all(k)[0];
        assert!(items[0].item.same_as(&rec.item));
        assert_eq!(s.kinds[&k].outlook.created, 1);
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// ox3: several matching Outlook items: the earliest created is updated,
/// the others stay untouched and unlinked.
pub async fn ox3_several_matches_one_is_updated(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for k in KINDS {
        let first = w.outlook().create(sample(k, "Twin"));
        w.advance_secs(1);
        let second = w.outlook().create(sample(k, "Twin"));
        let before_second = outlook_one(w, k, &second).unwrap();
        let oro = w.oro().create(sample(k, "Twin"));
        assert_ok(&w.sync().await);
        assert_eq!(
            outlook_one(w, k, &first).unwrap().link.as_deref(),
            Some(oro.as_str()),
            "{k}: earliest"
        );
        assert_eq!(
            outlook_one(w, k, &second).unwrap(),
            before_second,
            "{k}: the other is untouched"
        );
        assert_eq!(w.outlook().all(k).len(), 2);
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// ox4: an update in Oro replaces Outlook's values.
pub async fn ox4_updated_in_oro_replaces_outlook(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().edit(k, &oro, &mut |i| edit_note(i, "from Oro"));
        assert_ok(&w.sync().await);
        assert_eq!(
            note_of(&outlook_one(w, k, &x).unwrap().item).as_deref(),
            Some("from Oro"),
            "{k}"
        );
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// ox5: an update in Outlook stays there and nothing goes to Oro.
pub async fn ox5_updated_in_outlook_stays(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for (k, oro, x) in linked_pairs(w).await {
        let oro_before = oro_one(w, k, &oro).unwrap();
        w.outlook()
            .edit(k, &x, &mut |i| edit_note(i, "from Outlook"));
        let s = w.sync().await;
        assert_ok(&s);
        assert_eq!(s.total_writes(), 0, "{k}");
        assert_eq!(
            note_of(&outlook_one(w, k, &x).unwrap().item).as_deref(),
            Some("from Outlook")
        );
        assert_eq!(
            oro_one(w, k, &oro).unwrap(),
            oro_before,
            "{k}: Oro untouched"
        );
    }
    assert_eq!(w.oro().sync_writes().total(), 0);
    assert_quiet(w).await;
}

/// ox6: a record deleted in Outlook is created again.
pub async fn ox6_deleted_in_outlook_is_created_again(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for (k, oro, x) in linked_pairs(w).await {
        w.outlook().delete(k, &x);
        assert_ok(&w.sync().await);
        let items = w.outlook().all(k);
        assert_eq!(items.len(), 1, "{k}");
        assert_eq!(items[0].link.as_deref(), Some(oro.as_str()));
        assert_ne!(items[0].id, x);
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// ox7: a record deleted in Oro stays in Outlook, unchanged.
pub async fn ox7_deleted_in_oro_outlook_stays(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for (k, oro, x) in linked_pairs(w).await {
        let before = outlook_one(w, k, &x).unwrap();
        w.oro().delete(k, &oro);
        assert_ok(&w.sync().await);
        assert_eq!(outlook_one(w, k, &x).unwrap(), before, "{k}: unchanged");
        assert_eq!(
            w.state().link_count(k).unwrap(),
            0,
            "{k}: the pair is forgotten"
        );
    }
    assert_quiet(w).await;
}

/// oxf: a first sync deletes Outlook items with an `OroCRM_id` first, then
/// matches keys for all Oro records.
pub async fn oxf_first_sync_deletes_linked_then_matches_keys(w: &mut impl World) {
    set(w, Direction::OroToOutlook);
    for k in KINDS {
        let oro = w.oro().create(sample(k, "Kim"));
        let stale = w.outlook().create_linked(sample(k, "Old"), "999");
        let mut unlinked = sample(k, "Kim");
        edit_note(&mut unlinked, "mine");
        let keep = w.outlook().create(unlinked);
        let s = w
            .sync_with(RunOptions {
                resync: true,
                dry_run: false,
                ..Default::default()
            })
            .await;
        assert_ok(&s);
        assert!(
            outlook_one(w, k, &stale).is_none(),
            "{k}: linked item deleted"
        );
        let kept = outlook_one(w, k, &keep).unwrap();
        assert_eq!(
            kept.link.as_deref(),
            Some(oro.as_str()),
            "{k}: matched by key"
        );
        assert_eq!(w.outlook().all(k).len(), 1);
        assert!(
            w.backups()
                .iter()
                .any(|b| b.id == stale && b.action == "delete"),
            "{k}: the deleted item is backed up"
        );
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

// ------------------------------------------------------------------ Outlook → Oro

/// xo1: an item whose `OroCRM_id` names an existing Oro record writes its
/// values to that record.
pub async fn xo1_existing_in_oro_gets_outlooks_values(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    assert_ok(&w.sync().await);
    for k in KINDS {
        let oro = w.oro().create(sample(k, "Lou"));
        let mut mine = sample(k, "Lou");
        edit_note(&mut mine, "Outlook says");
        let x = w.outlook().create_linked(mine, &oro);
        assert_ok(&w.sync().await);
        assert_eq!(
            note_of(&oro_one(w, k, &oro).unwrap().item).as_deref(),
            Some("Outlook says"),
            "{k}"
        );
        assert_eq!(w.oro().all(k).len(), 1, "{k}: no new record");
        assert_eq!(w.state().links(k).unwrap()[0].outlook_id, x);
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// xo2: an item missing in Oro is created there and stamped.
pub async fn xo2_missing_in_oro_is_created(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    for k in KINDS {
        let x = w.outlook().create(sample(k, "Fresh"));
        let s = w.sync().await;
        assert_ok(&s);
        let recs = w.oro().all(k);
        assert_eq!(recs.len(), 1, "{k}");
        assert_eq!(
            outlook_one(w, k, &x).unwrap().link.as_deref(),
            Some(recs[0].id.as_str())
        );
        assert!(recs[0].item.same_as(&outlook_one(w, k, &x).unwrap().item));
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// xo3: an update in Oro is replaced by Outlook's values.
pub async fn xo3_updated_in_oro_is_reverted(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().edit(k, &oro, &mut |i| edit_note(i, "Oro edit"));
        assert_ok(&w.sync().await);
        let rec = oro_one(w, k, &oro).unwrap();
        assert!(
            rec.item.same_as(&outlook_one(w, k, &x).unwrap().item),
            "{k}: Outlook's values"
        );
        assert_ne!(note_of(&rec.item).as_deref(), Some("Oro edit"));
        assert!(
            w.backups()
                .iter()
                .any(|b| b.side == Side::Oro && b.id == oro),
            "{k}: backed up"
        );
    }
    assert_quiet(w).await;
}

/// xo4: an update in Outlook replaces Oro's values.
pub async fn xo4_updated_in_outlook_replaces_oro(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    for (k, oro, x) in linked_pairs(w).await {
        w.outlook()
            .edit(k, &x, &mut |i| edit_note(i, "Outlook edit"));
        assert_ok(&w.sync().await);
        assert_eq!(
            note_of(&oro_one(w, k, &oro).unwrap().item).as_deref(),
            Some("Outlook edit"),
            "{k}"
        );
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// xo5: a record deleted in Outlook stays in Oro.
pub async fn xo5_deleted_in_outlook_oro_stays(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    for (k, oro, x) in linked_pairs(w).await {
        let before = oro_one(w, k, &oro).unwrap();
        w.outlook().delete(k, &x);
        assert_ok(&w.sync().await);
        assert_eq!(oro_one(w, k, &oro).unwrap(), before, "{k}");
        assert!(w.outlook().all(k).is_empty(), "{k}: not created again");
    }
    assert_quiet(w).await;
}

/// xo6: a record deleted in Oro is deleted from Outlook.
pub async fn xo6_deleted_in_oro_deleted_from_outlook(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().delete(k, &oro);
        assert_ok(&w.sync().await);
        assert!(outlook_one(w, k, &x).is_none(), "{k}");
        assert_eq!(w.state().link_count(k).unwrap(), 0);
        assert!(
            w.backups()
                .iter()
                .any(|b| b.id == x && b.action == "delete"),
            "{k}: backed up"
        );
    }
    assert_quiet(w).await;
}

/// xof: on a first sync, items with an `OroCRM_id` are deleted.
pub async fn xof_first_sync_deletes_items_with_an_oro_id(w: &mut impl World) {
    set(w, Direction::OutlookToOro);
    for k in KINDS {
        let oro = w.oro().create(sample(k, "Was"));
        let linked = w.outlook().create_linked(sample(k, "Was"), &oro);
        let fresh = w.outlook().create(sample(k, "Brand"));
        assert_ok(
            &w.sync_with(RunOptions {
                resync: true,
                dry_run: false,
                ..Default::default()
            })
            .await,
        );
        assert!(outlook_one(w, k, &linked).is_none(), "{k}: deleted");
        let fresh = outlook_one(w, k, &fresh).unwrap();
        let link = fresh.link.clone().expect("stamped");
        assert_ne!(link, oro, "{k}: created as a new Oro record");
        assert_eq!(w.oro().all(k).len(), 2, "{k}: the Oro record stays");
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

// ------------------------------------------------------------------ Bidirectional

/// bi1: a record in both (by key) takes Oro's values.
pub async fn bi1_exists_in_both_oros_values_win(w: &mut impl World) {
    for k in KINDS {
        let oro = w.oro().create(sample(k, "Both"));
        let mut theirs = sample(k, "Both");
        edit_note(&mut theirs, "Outlook version");
        let x = w.outlook().create(theirs);
        assert_ok(&w.sync().await);
        let item = outlook_one(w, k, &x).unwrap();
        assert_eq!(item.link.as_deref(), Some(oro.as_str()), "{k}");
        assert!(item.item.same_as(&oro_one(w, k, &oro).unwrap().item), "{k}");
        assert_eq!(w.oro().all(k).len(), 1);
        assert_eq!(w.outlook().all(k).len(), 1);
    }
    assert_quiet(w).await;
}

/// bi2: a record missing in Oro is created there.
pub async fn bi2_missing_in_oro_is_created(w: &mut impl World) {
    assert_ok(&w.sync().await);
    for k in KINDS {
        let x = w.outlook().create(sample(k, "OnlyOutlook"));
        assert_ok(&w.sync().await);
        let recs = w.oro().all(k);
        assert_eq!(recs.len(), 1, "{k}");
        assert_eq!(
            outlook_one(w, k, &x).unwrap().link.as_deref(),
            Some(recs[0].id.as_str())
        );
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// bi3: a record missing in Outlook is created there.
pub async fn bi3_missing_in_outlook_is_created(w: &mut impl World) {
    assert_ok(&w.sync().await);
    for k in KINDS {
        let oro = w.oro().create(sample(k, "OnlyOro"));
        assert_ok(&w.sync().await);
        let items = w.outlook().all(k);
        assert_eq!(items.len(), 1, "{k}");
        assert_eq!(items[0].link.as_deref(), Some(oro.as_str()));
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// bi4: an update in Oro replaces Outlook's values.
pub async fn bi4_updated_in_oro(w: &mut impl World) {
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().edit(k, &oro, &mut |i| edit_note(i, "Oro new"));
        assert_ok(&w.sync().await);
        assert_eq!(
            note_of(&outlook_one(w, k, &x).unwrap().item).as_deref(),
            Some("Oro new"),
            "{k}"
        );
    }
    assert_quiet(w).await;
}

/// bi5: an update in Outlook replaces Oro's values.
pub async fn bi5_updated_in_outlook(w: &mut impl World) {
    for (k, oro, x) in linked_pairs(w).await {
        w.outlook()
            .edit(k, &x, &mut |i| edit_note(i, "Outlook new"));
        assert_ok(&w.sync().await);
        assert_eq!(
            note_of(&oro_one(w, k, &oro).unwrap().item).as_deref(),
            Some("Outlook new"),
            "{k}"
        );
    }
    assert_quiet(w).await;
}

fn fax_of(w: &impl World, side: orosync::model::Side, id: &str) -> Option<String> {
    let item = match side {
        Side::Oro => oro_one(w, Kind::Contacts, id).unwrap().item,
        Side::Outlook => outlook_one(w, Kind::Contacts, id).unwrap().item,
    };
    match item {
        Item::Contacts(c) => c.fax,
        _ => unreachable!(),
    }
}

fn set_fax(i: &mut Item, fax: Option<&str>) {
    if let Item::Contacts(c) = i {
        c.fax = fax.map(str::to_string);
    }
}

/// The fax (Oro's `fax`, Outlook's business fax) syncs both ways and can
/// be cleared; a contact without one stays without one.
pub async fn fax_syncs_both_ways(w: &mut impl World) {
    let mut with = contact("Fay", "Faxer");
    set_fax(&mut with, Some("+49 30 9999"));
    let oro = w.oro().create(with);
    let bare = w.oro().create(contact("Nof", "Axe"));
    assert_ok(&w.sync().await);
    let x = w.outlook().all(Kind::Contacts);
    let find = |id: &str| {
        x.iter()
            .find(|i| i.link.as_deref() == Some(id))
            .unwrap()
            .id
            .clone()
    };
    let (x, x_bare) = (find(&oro), find(&bare));
    assert_eq!(fax_of(w, Side::Outlook, &x).as_deref(), Some("+49 30 9999"));
    assert_eq!(fax_of(w, Side::Outlook, &x_bare), None);
    assert_quiet(w).await;

    w.outlook()
        .edit(Kind::Contacts, &x, &mut |i| set_fax(i, Some("+49 30 1111")));
    assert_ok(&w.sync().await);
    assert_eq!(fax_of(w, Side::Oro, &oro).as_deref(), Some("+49 30 1111"));
    assert_quiet(w).await;

    w.oro()
        .edit(Kind::Contacts, &oro, &mut |i| set_fax(i, None));
    assert_ok(&w.sync().await);
    assert_eq!(fax_of(w, Side::Outlook, &x), None);
    assert_eq!(fax_of(w, Side::Oro, &bare), None);
    assert_quiet(w).await;
}

fn addresses_of(w: &impl World, side: Side, id: &str) -> orosync::model::Contact {
    let item = match side {
        Side::Oro => oro_one(w, Kind::Contacts, id).unwrap().item,
        Side::Outlook => outlook_one(w, Kind::Contacts, id).unwrap().item,
    };
    match item {
        Item::Contacts(c) => c,
        _ => unreachable!(),
    }
}

fn city(c: &orosync::model::Contact, slot: Slot) -> Option<String> {
    c.address(slot).and_then(|a| a.city.clone())
}

fn place(types: &[AddressType], city: &str, country: &str) -> Address {
    Address {
        types: types.iter().copied().collect(),
        street: Some(format!("{city}gasse 1")),
        city: Some(city.into()),
        postal_code: Some("1010".into()),
        country: Some(country.into()),
        ..Address::default()
    }
}

fn set_city(i: &mut Item, slot: Slot, to: &str) {
    if let Item::Contacts(c) = i {
        let n = c
            .addresses
            .iter()
            .position(|a| c.address(slot).is_some_and(|m| std::ptr::eq(m, a)))
            .expect("the slot is filled");
        c.addresses[n].city = Some(to.into());
    }
}

/// Oro's billing address is Outlook's business address, shipping the home
/// address, the first untyped one (lowest id) the other address; Oro's
/// second untyped address is kept and not shown. Edits go both ways, a
/// contact without addresses stays without, and no run after writes.
pub async fn addresses_sync_by_type_both_ways(w: &mut impl World) {
    let mut with = contact("Adam", "Dresse");
    if let Item::Contacts(c) = &mut with {
        c.addresses = vec![
            place(&[AddressType::Billing], "München", "DE"),
            place(&[AddressType::Shipping], "Wien", "AT"),
            place(&[], "Basel", "CH"),
            place(&[], "Douglas", "IM"),
        ];
    }
    let oro = w.oro().create(with);
    let bare = w.oro().create(contact("Ohne", "Adresse"));
    assert_ok(&w.sync().await);
    let x = w.outlook().all(Kind::Contacts);
    let find = |id: &str| {
        x.iter()
            .find(|i| i.link.as_deref() == Some(id))
            .unwrap()
            .id
            .clone()
    };
    let (x, x_bare) = (find(&oro), find(&bare));
    let out = addresses_of(w, Side::Outlook, &x);
    assert_eq!(city(&out, Slot::Billing).as_deref(), Some("München"));
    assert_eq!(city(&out, Slot::Shipping).as_deref(), Some("Wien"));
    assert_eq!(city(&out, Slot::Other).as_deref(), Some("Basel"));
    assert!(addresses_of(w, Side::Outlook, &x_bare).addresses.is_empty());
    assert_quiet(w).await;

    // Outlook's home address edited: Oro's shipping address follows, the
    // unmapped untyped one stays.
    w.outlook().edit(Kind::Contacts, &x, &mut |i| {
        set_city(i, Slot::Shipping, "Graz")
    });
    assert_ok(&w.sync().await);
    let o = addresses_of(w, Side::Oro, &oro);
    assert_eq!(city(&o, Slot::Shipping).as_deref(), Some("Graz"));
    assert_eq!(city(&o, Slot::Billing).as_deref(), Some("München"));
    let cities: Vec<_> = o.addresses.iter().filter_map(|a| a.city.clone()).collect();
    assert!(cities.contains(&"Douglas".to_string()), "{cities:?}");
    assert_eq!(o.addresses.len(), 4);
    assert_quiet(w).await;

    // Oro's billing address edited: Outlook's business address follows.
    w.advance_secs(30);
    w.oro().edit(Kind::Contacts, &oro, &mut |i| {
        set_city(i, Slot::Billing, "Augsburg")
    });
    // An address edit does not move the contact's updatedAt in Oro; the
    // contact is edited too so the change listing shows it.
    w.oro()
        .edit(Kind::Contacts, &oro, &mut |i| edit_note(i, "moved"));
    assert_ok(&w.sync().await);
    let out = addresses_of(w, Side::Outlook, &x);
    assert_eq!(city(&out, Slot::Billing).as_deref(), Some("Augsburg"));
    assert!(addresses_of(w, Side::Oro, &bare).addresses.is_empty());
    assert!(addresses_of(w, Side::Outlook, &x_bare).addresses.is_empty());
    assert_quiet(w).await;
}

async fn both_edited(
    w: &mut impl World,
    setting: ConflictSetting,
    outlook_later: bool,
) -> Vec<(Kind, String, String, Summary)> {
    w.settings_mut().conflict = setting;
    let pairs = linked_pairs(w).await;
    for (k, oro, x) in &pairs {
        if outlook_later {
            w.oro().edit(*k, oro, &mut |i| edit_note(i, "Oro side"));
            w.advance_secs(30);
            w.outlook()
                .edit(*k, x, &mut |i| edit_note(i, "Outlook side"));
        } else {
            w.outlook()
                .edit(*k, x, &mut |i| edit_note(i, "Outlook side"));
            w.advance_secs(30);
            w.oro().edit(*k, oro, &mut |i| edit_note(i, "Oro side"));
        }
    }
    let s = w.sync().await;
    assert_ok(&s);
    assert_eq!(s.conflicts.len(), 3, "one conflict per kind: {s:#?}");
    pairs
        .into_iter()
        .map(|(k, o, x)| (k, o, x, s.clone()))
        .collect()
}

fn assert_both_hold(w: &impl World, k: Kind, oro: &str, x: &str, note: &str) {
    assert_eq!(
        note_of(&oro_one(w, k, oro).unwrap().item).as_deref(),
        Some(note),
        "{k}: Oro"
    );
    assert_eq!(
        note_of(&outlook_one(w, k, x).unwrap().item).as_deref(),
        Some(note),
        "{k}: Outlook"
    );
}

/// bi6, oro-wins: Oro's values replace Outlook's.
pub async fn bi6_updated_in_both_oro_wins(w: &mut impl World) {
    for (k, oro, x, s) in both_edited(w, ConflictSetting::OroWins, true).await {
        assert_both_hold(w, k, &oro, &x, "Oro side");
        assert!(s
            .conflicts
            .iter()
            .any(|c| c.kind == k && c.winner == orosync::plan::Winner::Oro));
    }
    assert_eq!(
        w.state().conflict_log_len().unwrap(),
        3,
        "every conflict is logged"
    );
    assert_quiet(w).await;
}

/// bi6, outlook-wins: Outlook's values replace Oro's.
pub async fn bi6_updated_in_both_outlook_wins(w: &mut impl World) {
    for (k, oro, x, _) in both_edited(w, ConflictSetting::OutlookWins, false).await {
        assert_both_hold(w, k, &oro, &x, "Outlook side");
        assert!(
            w.backups()
                .iter()
                .any(|b| b.side == Side::Oro && b.id == oro),
            "{k}: Oro's version backed up"
        );
    }
    assert_quiet(w).await;
}

/// bi6, newest-wins: the side modified last wins.
pub async fn bi6_updated_in_both_newest_wins_outlook_newer(w: &mut impl World) {
    for (k, oro, x, _) in both_edited(w, ConflictSetting::NewestWins, true).await {
        assert_both_hold(w, k, &oro, &x, "Outlook side");
    }
    assert_quiet(w).await;
}

/// bi6, newest-wins: Oro modified last wins.
pub async fn bi6_updated_in_both_newest_wins_oro_newer(w: &mut impl World) {
    for (k, oro, x, _) in both_edited(w, ConflictSetting::NewestWins, false).await {
        assert_both_hold(w, k, &oro, &x, "Oro side");
    }
    assert_quiet(w).await;
}

/// bi6, ask: the pair is left as it is and pending; not counted again; the
/// user's choice is applied at the next run.
pub async fn bi6_updated_in_both_ask(w: &mut impl World) {
    let pairs = both_edited(w, ConflictSetting::Ask, true).await;
    for (k, oro, x, s) in &pairs {
        assert_eq!(
            note_of(&oro_one(w, *k, oro).unwrap().item).as_deref(),
            Some("Oro side")
        );
        assert_eq!(
            note_of(&outlook_one(w, *k, x).unwrap().item).as_deref(),
            Some("Outlook side")
        );
        assert!(s
            .conflicts
            .iter()
            .all(|c| c.winner == orosync::plan::Winner::Pending));
    }
    let pending = w.state().pending(None).unwrap();
    assert_eq!(pending.len(), 3);
    assert_eq!(
        pending[0].oro[match pending[0].kind {
            Kind::Contacts => "jobTitle",
            _ => "description",
        }],
        serde_json::json!("Oro side")
    );
    // A later run does not count them again and writes nothing.
    let s = w.sync().await;
    assert_ok(&s);
    assert!(
        s.conflicts.is_empty(),
        "pending pairs are not counted again"
    );
    assert_eq!(s.total_writes(), 0);
    // The user keeps Outlook's version for every pair.
    for p in &pending {
        assert!(w.state().resolve(p.id, Side::Outlook).unwrap());
    }
    assert_ok(&w.sync().await);
    for (k, oro, x, _) in &pairs {
        assert_both_hold(w, *k, oro, x, "Outlook side");
    }
    assert!(w.state().pending(None).unwrap().is_empty());
    assert_quiet(w).await;
}

/// bi7: a record deleted in Outlook stays in Oro and is added to Outlook again.
pub async fn bi7_deleted_in_outlook_readded(w: &mut impl World) {
    for (k, oro, x) in linked_pairs(w).await {
        w.outlook().delete(k, &x);
        assert_ok(&w.sync().await);
        assert!(oro_one(w, k, &oro).is_some(), "{k}: stays in Oro");
        let items = w.outlook().all(k);
        assert_eq!(items.len(), 1, "{k}");
        assert_eq!(items[0].link.as_deref(), Some(oro.as_str()));
        assert_links_consistent(w, k);
    }
    assert_quiet(w).await;
}

/// bi8: a record deleted in Oro is deleted from Outlook.
pub async fn bi8_deleted_in_oro_deleted_from_outlook(w: &mut impl World) {
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().delete(k, &oro);
        assert_ok(&w.sync().await);
        assert!(outlook_one(w, k, &x).is_none(), "{k}");
        assert_eq!(w.state().link_count(k).unwrap(), 0);
    }
    assert_quiet(w).await;
}

// ------------------------------------------------------------------ beyond the seed

/// Recurring events are skipped on both sides, reported, never touched.
pub async fn recurring_events_are_skipped_and_untouched(w: &mut impl World) {
    let x = w.outlook().create_recurring(event("Standup", 1));
    let before = outlook_one(w, Kind::Events, &x).unwrap();
    let s = w.sync().await;
    assert_ok(&s);
    assert!(s
        .skipped
        .iter()
        .any(|sk| sk.id == x && sk.reason == "recurring event"));
    assert_eq!(outlook_one(w, Kind::Events, &x).unwrap(), before);
    assert!(w.oro().all(Kind::Events).is_empty());
}

/// Changed alike on both sides: no conflict, nothing written.
pub async fn same_change_on_both_sides_is_not_a_conflict(w: &mut impl World) {
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().edit(k, &oro, &mut |i| edit_note(i, "agreed"));
        w.outlook().edit(k, &x, &mut |i| edit_note(i, "agreed"));
        let s = w.sync().await;
        assert_ok(&s);
        assert!(s.conflicts.is_empty(), "{k}");
        assert_eq!(s.total_writes(), 0, "{k}");
    }
    assert_quiet(w).await;
}

/// Deleted in Oro but edited in Outlook: deleted (backed up), reported as a conflict.
pub async fn deleted_in_oro_edited_in_outlook_is_a_conflict(w: &mut impl World) {
    for (k, oro, x) in linked_pairs(w).await {
        w.oro().delete(k, &oro);
        w.outlook().edit(k, &x, &mut |i| edit_note(i, "lost edit"));
        let s = w.sync().await;
        assert_ok(&s);
        assert_eq!(s.conflicts.len(), 1, "{k}");
        assert!(outlook_one(w, k, &x).is_none());
        let b = w
            .backups()
            .into_iter()
            .find(|b| b.id == x)
            .expect("backed up");
        assert!(
            b.before.to_string().contains("lost edit"),
            "{k}: the edit is in the backup"
        );
    }
    assert_quiet(w).await;
}

/// A dry run plans and reports but writes nothing and changes no state.
pub async fn dry_run_writes_nothing(w: &mut impl World) {
    for k in KINDS {
        w.oro().create(sample(k, "Dry"));
        w.outlook().create(sample(k, "Run"));
    }
    let s = w
        .sync_with(RunOptions {
            resync: false,
            dry_run: true,
            ..Default::default()
        })
        .await;
    assert_ok(&s);
    assert_eq!(writes(w), 0);
    let plan = s.plan.clone().expect("plan listed");
    assert_eq!(
        plan.iter().filter(|e| e.action == "create").count(),
        6,
        "{plan:#?}"
    );
    assert!(w.state().runs(10).unwrap().is_empty(), "no run recorded");
    assert_eq!(w.state().link_count(Kind::Contacts).unwrap(), 0);
    let real = w.sync().await;
    assert_eq!(
        real.total_writes(),
        s.total_writes(),
        "the dry run counted what the run did"
    );
}

// ------------------------------------------------------- key edits

/// One linked pair per kind in direction `d`; then a key edit (docs/sync-rules.md,
/// "Words" (Key)) on Oro (`oro_name`), and 30 s later on Outlook
/// (`outlook_name`); one run. A key edit of a linked pair is an ordinary
/// field update: the pair stays linked by its link, so afterwards each
/// side still holds exactly the one record, under the same ids, with the
/// link unchanged, and Oro holds `want_oro`, Outlook `want_outlook`.
async fn key_edited(
    w: &mut impl World,
    d: Direction,
    oro_name: Option<&str>,
    outlook_name: Option<&str>,
    want_oro: &str,
    want_outlook: &str,
) -> Summary {
    set(w, d);
    let pairs = linked_pairs(w).await;
    for (k, oro, x) in &pairs {
        if let Some(n) = oro_name {
            w.oro().edit(*k, oro, &mut |i| rename(i, n));
        }
        w.advance_secs(30);
        if let Some(n) = outlook_name {
            w.outlook().edit(*k, x, &mut |i| rename(i, n));
        }
    }
    let s = w.sync().await;
    assert_ok(&s);
    for (k, oro, x) in &pairs {
        let records = w.oro().all(*k);
        assert_eq!(records.len(), 1, "{k}: no Oro record added or lost");
        assert_eq!(&records[0].id, oro, "{k}: the same Oro record");
        let items = w.outlook().all(*k);
        assert_eq!(items.len(), 1, "{k}: no Outlook item added or lost");
        assert_eq!(&items[0].id, x, "{k}: the same Outlook item");
        assert_eq!(
            items[0].link.as_deref(),
            Some(oro.as_str()),
            "{k}: still linked by its link"
        );
        assert_eq!(
            name_of(&records[0].item).as_deref(),
            Some(want_oro),
            "{k}: Oro's key"
        );
        assert_eq!(
            name_of(&items[0].item).as_deref(),
            Some(want_outlook),
            "{k}: Outlook's key"
        );
        if want_oro == want_outlook {
            assert!(
                records[0].item.same_as(&items[0].item),
                "{k}: both sides hold the same values: {:?} / {:?}",
                records[0].item,
                items[0].item
            );
        }
        let links = w.state().links(*k).unwrap();
        assert_eq!(links.len(), 1, "{k}: one link");
        assert_eq!(
            (&links[0].oro_id, &links[0].outlook_id),
            (oro, x),
            "{k}: the state keeps the link"
        );
        assert_links_consistent(w, *k);
    }
    s
}

/// ox4: a rename, retitle or move in Oro reaches the linked Outlook item.
pub async fn ox4_key_edit_in_oro_updates_the_linked_item(w: &mut impl World) {
    key_edited(
        w,
        Direction::OroToOutlook,
        Some("Renée"),
        None,
        "Renée",
        "Renée",
    )
    .await;
    assert_eq!(w.oro().sync_writes().total(), 0, "Oro is not written");
    assert_quiet(w).await;
}

/// ox5: a key edit in Outlook stays there; Oro is not written.
pub async fn ox5_key_edit_in_outlook_stays(w: &mut impl World) {
    let s = key_edited(w, Direction::OroToOutlook, None, Some("Zoë"), "Pat", "Zoë").await;
    assert_eq!(s.total_writes(), 0, "nothing written: {s:#?}");
    assert_quiet(w).await;
}

/// ox4 (changed on both sides): Oro's key edit overwrites Outlook's.
pub async fn ox4_key_edits_on_both_sides_oros_values_win(w: &mut impl World) {
    key_edited(
        w,
        Direction::OroToOutlook,
        Some("Renée"),
        Some("Zoë"),
        "Renée",
        "Renée",
    )
    .await;
    assert_eq!(w.oro().sync_writes().total(), 0, "Oro is not written");
    assert_quiet(w).await;
}

/// xo3: a key edit in Oro is undone from the linked Outlook item.
pub async fn xo3_key_edit_in_oro_is_undone(w: &mut impl World) {
    key_edited(
        w,
        Direction::OutlookToOro,
        Some("Renée"),
        None,
        "Pat",
        "Pat",
    )
    .await;
    assert_quiet(w).await;
}

/// xo4: a key edit in Outlook reaches the linked Oro record.
pub async fn xo4_key_edit_in_outlook_updates_the_linked_record(w: &mut impl World) {
    key_edited(w, Direction::OutlookToOro, None, Some("Zoë"), "Zoë", "Zoë").await;
    assert_quiet(w).await;
}

/// xo4 (changed on both sides): Outlook's key edit overwrites Oro's.
pub async fn xo4_key_edits_on_both_sides_outlooks_values_win(w: &mut impl World) {
    key_edited(
        w,
        Direction::OutlookToOro,
        Some("Renée"),
        Some("Zoë"),
        "Zoë",
        "Zoë",
    )
    .await;
    assert_quiet(w).await;
}

/// bi4: a key edit in Oro reaches the linked Outlook item.
pub async fn bi4_key_edit_in_oro_updates_the_linked_item(w: &mut impl World) {
    let s = key_edited(
        w,
        Direction::Bidirectional,
        Some("Renée"),
        None,
        "Renée",
        "Renée",
    )
    .await;
    assert!(s.conflicts.is_empty(), "no conflict: {s:#?}");
    assert_quiet(w).await;
}

/// bi5: a key edit in Outlook reaches the linked Oro record.
pub async fn bi5_key_edit_in_outlook_updates_the_linked_record(w: &mut impl World) {
    let s = key_edited(w, Direction::Bidirectional, None, Some("Zoë"), "Zoë", "Zoë").await;
    assert!(s.conflicts.is_empty(), "no conflict: {s:#?}");
    assert_quiet(w).await;
}

/// bi6: different key edits on both sides are a conflict of the pair (one
/// per kind), settled by the setting (oro-wins by default).
pub async fn bi6_key_edits_on_both_sides_are_a_conflict(w: &mut impl World) {
    let s = key_edited(
        w,
        Direction::Bidirectional,
        Some("Renée"),
        Some("Zoë"),
        "Renée",
        "Renée",
    )
    .await;
    assert_eq!(s.conflicts.len(), 3, "one conflict per kind: {s:#?}");
    assert!(s
        .conflicts
        .iter()
        .all(|c| c.winner == orosync::plan::Winner::Oro));
    assert_quiet(w).await;
}

/// Generates one `#[tokio::test]` per scenario for a world constructor: a
/// future that builds the world (`async { MemWorld::new() }`,
/// `HttpWorld::start()`). Two worker threads, so fake servers answer while
/// a test thread is busy.
#[macro_export]
macro_rules! scenario_tests {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let mut w = $make.await;
                scenarios::$name(&mut w).await;
            }
        )*
    };
}

#[macro_export]
macro_rules! all_scenarios {
    ($make:expr) => {
        $crate::scenario_tests!($make;
            k1_contact_key_first_last_gender_birthday,
            k2_event_key_title_start_end_allday,
            k3_task_key_subject_priority,
            id1_outlook_items_carry_the_oro_id,
            ox1_existing_in_outlook_gets_oros_values,
            ox2_missing_in_outlook_is_created,
            ox3_several_matches_one_is_updated,
            ox4_updated_in_oro_replaces_outlook,
            ox5_updated_in_outlook_stays,
            ox6_deleted_in_outlook_is_created_again,
            ox7_deleted_in_oro_outlook_stays,
            oxf_first_sync_deletes_linked_then_matches_keys,
            xo1_existing_in_oro_gets_outlooks_values,
            xo2_missing_in_oro_is_created,
            xo3_updated_in_oro_is_reverted,
            xo4_updated_in_outlook_replaces_oro,
            xo5_deleted_in_outlook_oro_stays,
            xo6_deleted_in_oro_deleted_from_outlook,
            xof_first_sync_deletes_items_with_an_oro_id,
            bi1_exists_in_both_oros_values_win,
            bi2_missing_in_oro_is_created,
            bi3_missing_in_outlook_is_created,
            bi4_updated_in_oro,
            bi5_updated_in_outlook,
            bi6_updated_in_both_oro_wins,
            bi6_updated_in_both_outlook_wins,
            bi6_updated_in_both_newest_wins_outlook_newer,
            bi6_updated_in_both_newest_wins_oro_newer,
            bi6_updated_in_both_ask,
            bi7_deleted_in_outlook_readded,
            bi8_deleted_in_oro_deleted_from_outlook,
            recurring_events_are_skipped_and_untouched,
            same_change_on_both_sides_is_not_a_conflict,
            deleted_in_oro_edited_in_outlook_is_a_conflict,
            dry_run_writes_nothing,
            fax_syncs_both_ways,
            addresses_sync_by_type_both_ways,
            ox4_key_edit_in_oro_updates_the_linked_item,
            ox5_key_edit_in_outlook_stays,
            ox4_key_edits_on_both_sides_oros_values_win,
            xo3_key_edit_in_oro_is_undone,
            xo4_key_edit_in_outlook_updates_the_linked_record,
            xo4_key_edits_on_both_sides_outlooks_values_win,
            bi4_key_edit_in_oro_updates_the_linked_item,
            bi5_key_edit_in_outlook_updates_the_linked_record,
            bi6_key_edits_on_both_sides_are_a_conflict,
        );
    };
}
