//! The planner proper: first sync purge, unlinked records (key matching),
//! adopting items that carry an `OroCRM_id` the state does not know, then
//! the linked pairs through [`decide_pair`].

use super::input::{Candidate, KindInput, Link};
use super::ops::{Action, ConflictNote, Op, Plan, Skip, Winner};
use super::pairs::{decide_pair, PairDecision, SideState};
use crate::keys::key_of;
use crate::model::{cmp_oro_ids, Kind, OroRecord, OutlookItem, Side};
use crate::settings::ConflictSetting;
use std::collections::{BTreeMap, BTreeSet};

/// What is known of one side of a pair.
enum Seen<'a, T> {
    Here(&'a T),
    /// Not read this run; unchanged as far as the change feed says.
    Unread,
    Gone,
    /// Exists but outside the event window: out of scope, left alone.
    OutOfScope,
    /// Must be fetched before deciding.
    Unknown,
}

struct Ctx<'a> {
    inp: &'a KindInput,
    oro: BTreeMap<&'a str, &'a OroRecord>,
    outlook: BTreeMap<&'a str, &'a OutlookItem>,
    plan: Plan,
    /// Oro ids linked (or being linked) after this plan.
    oro_linked: BTreeSet<String>,
    /// Outlook ids taken by a link in this plan or the state.
    outlook_linked: BTreeSet<String>,
    /// Links whose Outlook item is gone and was replaced by a stamped item
    /// found in this run (a re-create whose state update was lost).
    superseded: BTreeSet<String>,
}

fn nonempty(link: &Option<String>) -> Option<&str> {
    link.as_deref().filter(|s| !s.trim().is_empty())
}

impl<'a> Ctx<'a> {
    fn new(inp: &'a KindInput) -> Self {
        let mut oro: BTreeMap<&str, &OroRecord> = BTreeMap::new();
        for r in inp
            .oro_records
            .iter()
            .chain(inp.oro_fetched.values().flatten())
        {
            // The same record may be listed twice (watermark overlap): keep the newest.
            match oro.get(r.id.as_str()) {
                Some(old) if old.updated_at > r.updated_at => {}
                _ => {
                    oro.insert(&r.id, r);
                }
            }
        }
        let mut outlook: BTreeMap<&str, &OutlookItem> = BTreeMap::new();
        for i in inp
            .outlook_items
            .iter()
            .chain(inp.outlook_fetched.values().flatten())
        {
            match outlook.get(i.id.as_str()) {
                Some(old) if old.modified_at > i.modified_at => {}
                _ => {
                    outlook.insert(&i.id, i);
                }
            }
        }
        Ctx {
            inp,
            oro,
            outlook,
            plan: Plan::default(),
            oro_linked: BTreeSet::new(),
            outlook_linked: BTreeSet::new(),
            superseded: BTreeSet::new(),
        }
    }

    fn in_window(&self, item: &crate::model::Item) -> bool {
        !item.outside_window(self.inp.window.from, self.inp.window.to)
    }

    fn oro_seen(&self, id: &str) -> Seen<'a, OroRecord> {
        if let Some(r) = self.oro.get(id) {
            if !self.in_window(&r.item) {
                return Seen::OutOfScope;
            }
            return Seen::Here(r);
        }
        if let Some(None) = self.inp.oro_fetched.get(id) {
            return Seen::Gone;
        }
        if self.inp.oro_ids.contains(id) {
            return Seen::Unread;
        }
        // Events: missing from the windowed id list may only mean it left
        // the window, which is not gone (docs/sync-rules.md, "Words"); look first.
        if self.inp.kind == Kind::Events {
            Seen::Unknown
        } else {
            Seen::Gone
        }
    }

    fn outlook_seen(&self, id: &str) -> Seen<'a, OutlookItem> {
        if let Some(i) = self.outlook.get(id) {
            if !self.in_window(&i.item) {
                return Seen::OutOfScope;
            }
            return Seen::Here(i);
        }
        if let Some(None) = self.inp.outlook_fetched.get(id) {
            return Seen::Gone;
        }
        let reported_gone = self.inp.outlook_removed.contains(id) || self.inp.outlook_full;
        if !reported_gone {
            return Seen::Unread;
        }
        if self.inp.kind == Kind::Events {
            Seen::Unknown
        } else {
            Seen::Gone
        }
    }

    fn push(&mut self, action: Action, reason: &'static str, clears: Option<i64>) {
        self.plan.ops.push(Op {
            kind: self.inp.kind,
            action,
            reason,
            clears_pending: clears,
        });
    }

    fn note(&mut self, oro_id: &str, outlook_id: &str, winner: Winner) {
        self.plan.conflicts.push(ConflictNote {
            kind: self.inp.kind,
            oro_id: oro_id.to_string(),
            outlook_id: outlook_id.to_string(),
            setting: self.inp.conflict.as_str().to_string(),
            winner,
        });
    }

    fn skip(&mut self, side: Side, id: &str, reason: &str) {
        self.plan.skipped.push(Skip {
            kind: self.inp.kind,
            side,
            id: id.to_string(),
            reason: reason.to_string(),
        });
    }
}

/// Plan one kind. When the plan's `needs` is not empty, fetch those records
/// into `oro_fetched` / `outlook_fetched` and plan again.
pub fn plan_kind(inp: &KindInput) -> Plan {
    let mut cx = Ctx::new(inp);

    // Recurring events are skipped on both sides, never touched.
    let recurring_oro: Vec<String> = cx
        .oro
        .values()
        .filter(|r| r.recurring)
        .map(|r| r.id.clone())
        .collect();
    let recurring_outlook: Vec<String> = cx
        .outlook
        .values()
        .filter(|i| i.recurring)
        .map(|i| i.id.clone())
        .collect();
    for id in &recurring_oro {
        cx.skip(Side::Oro, id, "recurring event");
        cx.oro.remove(id.as_str());
    }
    for id in &recurring_outlook {
        cx.skip(Side::Outlook, id, "recurring event");
        cx.outlook.remove(id.as_str());
    }

    let links: Vec<&Link> = if inp.purge {
        purge(&mut cx);
        vec![]
    } else {
        let mut l: Vec<&Link> = inp.links.iter().collect();
        l.sort_by(|a, b| cmp_oro_ids(&a.oro_id, &b.oro_id));
        l
    };
    for l in &links {
        cx.oro_linked.insert(l.oro_id.clone());
        cx.outlook_linked.insert(l.outlook_id.clone());
    }

    adopt_stamped(&mut cx);
    if inp.direction.to_outlook() {
        place_unlinked_oro(&mut cx);
    }
    if inp.direction.to_oro() {
        place_unlinked_outlook(&mut cx);
    }
    for l in links {
        pair(&mut cx, l);
    }
    if !cx.plan.needs.is_empty() {
        // Decisions made without the needed records are not to be run.
        cx.plan.ops.clear();
        cx.plan.conflicts.clear();
    }
    cx.plan
}

/// The reason given to the first sync's deletions; the engine runs (and
/// marks done) these before anything else.
pub const PURGE_REASON: &str = "first sync: linked Outlook items are deleted first";

/// First sync / resync step 1: delete every Outlook item of ours.
fn purge(cx: &mut Ctx) {
    cx.plan.forget_links = true;
    let doomed: Vec<&OutlookItem> = cx
        .outlook
        .values()
        .filter(|i| nonempty(&i.link).is_some() && cx.in_window(&i.item))
        .copied()
        .collect();
    for item in doomed {
        cx.outlook.remove(item.id.as_str());
        cx.push(
            Action::DeleteOutlook {
                outlook_id: item.id.clone(),
                oro_id: item.link.clone(),
                before: Some(Box::new(item.clone())),
            },
            PURGE_REASON,
            None,
        );
    }
}

/// Outlook items that carry an `OroCRM_id` the state has no link for: left
/// by a run killed between the create and the state update, or by lost
/// state. Pair them again instead of creating anything twice.
fn adopt_stamped(cx: &mut Ctx) {
    let stamped: Vec<&OutlookItem> = cx
        .outlook
        .values()
        .filter(|i| nonempty(&i.link).is_some() && !cx.outlook_linked.contains(&i.id))
        .copied()
        .collect();
    for item in stamped {
        if !cx.in_window(&item.item) {
            continue;
        }
        let oro_id = nonempty(&item.link).expect("stamped").to_string();
        if cx.oro_linked.contains(&oro_id) {
            let old = cx
                .inp
                .links
                .iter()
                .find(|l| l.oro_id == oro_id && !cx.inp.purge);
            match old.map(|l| (l.outlook_id.clone(), cx.outlook_seen(&l.outlook_id))) {
                // The linked item is gone and this one carries the id: a
                // re-create whose state update was lost. It takes the link.
                Some((_, Seen::Gone)) if !cx.superseded.contains(&oro_id) => {
                    cx.superseded.insert(oro_id.clone());
                }
                Some((old_id, Seen::Unknown)) => {
                    cx.plan.needs.outlook.insert(old_id);
                    continue;
                }
                _ => {
                    cx.skip(
                        Side::Outlook,
                        &item.id,
                        "another Outlook item is already linked to the same Oro record",
                    );
                    continue;
                }
            }
        }
        match cx.oro_seen(&oro_id) {
            Seen::Here(rec) => {
                cx.oro_linked.insert(oro_id.clone());
                cx.outlook_linked.insert(item.id.clone());
                let same = rec.item.same_as(&item.item);
                if same {
                    cx.push(
                        Action::Link {
                            oro: Box::new(rec.clone()),
                            outlook: Box::new(item.clone()),
                            stamp: false,
                        },
                        "Outlook item already carries this Oro id",
                        None,
                    );
                } else if cx.inp.direction.to_outlook() {
                    cx.push(
                        Action::UpdateOutlook {
                            outlook_id: item.id.clone(),
                            from: Box::new(rec.clone()),
                            before: Some(Box::new(item.clone())),
                        },
                        "paired by OroCRM_id: Oro's values replace Outlook's",
                        None,
                    );
                } else {
                    cx.push(
                        Action::UpdateOro {
                            oro_id: rec.id.clone(),
                            from: Box::new(item.clone()),
                            before: Some(Box::new(rec.clone())),
                            stamp: false,
                        },
                        "paired by OroCRM_id: Outlook's values replace Oro's",
                        None,
                    );
                }
            }
            Seen::Unread | Seen::Unknown => {
                cx.oro_linked.insert(oro_id.clone());
                cx.outlook_linked.insert(item.id.clone());
                cx.plan.needs.oro.insert(oro_id);
            }
            Seen::OutOfScope => {
                cx.oro_linked.insert(oro_id);
                cx.outlook_linked.insert(item.id.clone());
            }
            Seen::Gone => {
                cx.outlook_linked.insert(item.id.clone());
                if cx.inp.direction.to_oro() {
                    // Seed, Outlook → Oro step 3: no record with that id in Oro.
                    cx.push(
                        Action::DeleteOutlook {
                            outlook_id: item.id.clone(),
                            oro_id: Some(oro_id),
                            before: Some(Box::new(item.clone())),
                        },
                        "its Oro record no longer exists",
                        None,
                    );
                }
            }
        }
    }
}

fn unlinked_outlook<'a>(cx: &Ctx<'a>) -> Vec<&'a OutlookItem> {
    let inp = cx.inp;
    let mut v: Vec<&OutlookItem> = cx.outlook.values().copied().collect();
    for c in &inp.unlinked {
        if let Candidate::Outlook(i) = c {
            if !cx.outlook.contains_key(i.id.as_str())
                && !inp.outlook_removed.contains(&i.id)
                && !inp.outlook_full
                && !i.recurring
                && !matches!(inp.outlook_fetched.get(&i.id), Some(None))
            {
                v.push(i);
            }
        }
    }
    v.retain(|i| {
        nonempty(&i.link).is_none() && !cx.outlook_linked.contains(&i.id) && cx.in_window(&i.item)
    });
    v.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

fn unlinked_oro<'a>(cx: &Ctx<'a>) -> Vec<&'a OroRecord> {
    let inp = cx.inp;
    let mut v: Vec<&OroRecord> = cx.oro.values().copied().collect();
    for c in &inp.unlinked {
        if let Candidate::Oro(r) = c {
            if !cx.oro.contains_key(r.id.as_str()) && inp.oro_ids.contains(&r.id) && !r.recurring {
                v.push(r);
            }
        }
    }
    v.retain(|r| !cx.oro_linked.contains(&r.id) && cx.in_window(&r.item));
    v.sort_by(|a, b| cmp_oro_ids(&a.id, &b.id));
    v
}

/// Oro → Outlook for unlinked Oro records, in ascending Oro id: take the
/// matching unlinked Outlook item (earliest created, then smallest id) and
/// overwrite it from Oro, or create the item (ox1–ox3, bi1, bi3).
fn place_unlinked_oro(cx: &mut Ctx) {
    let keys = &cx.inp.keys;
    let mut by_key: BTreeMap<String, Vec<&OutlookItem>> = BTreeMap::new();
    for i in unlinked_outlook(cx) {
        // Candidates arrive sorted, so each list is in pick order.
        by_key.entry(key_of(&i.item, keys)).or_default().push(i);
    }
    for rec in unlinked_oro(cx) {
        let key = key_of(&rec.item, keys);
        let pick = by_key.get_mut(&key).and_then(|l| {
            if l.is_empty() {
                None
            } else {
                Some(l.remove(0))
            }
        });
        cx.oro_linked.insert(rec.id.clone());
        match pick {
            Some(item) => {
                cx.outlook_linked.insert(item.id.clone());
                let fresh = cx.outlook.contains_key(item.id.as_str());
                if fresh && rec.item.same_as(&item.item) {
                    cx.push(
                        Action::Link {
                            oro: Box::new(rec.clone()),
                            outlook: Box::new(item.clone()),
                            stamp: true,
                        },
                        "same key and values: linked",
                        None,
                    );
                } else {
                    cx.push(
                        Action::UpdateOutlook {
                            outlook_id: item.id.clone(),
                            from: Box::new(rec.clone()),
                            before: fresh.then(|| Box::new(item.clone())),
                        },
                        "matched by key: Oro's values replace Outlook's",
                        None,
                    );
                }
            }
            None => cx.push(
                Action::CreateOutlook {
                    from: Box::new(rec.clone()),
                },
                "not in Outlook yet",
                None,
            ),
        }
    }
}

/// Outlook → Oro for unlinked Outlook items: link to an unlinked Oro record
/// with the same key (smallest id) and write Outlook's values, or create the
/// record in Oro; either way the id is stamped on the item (xo1, xo2, bi2).
fn place_unlinked_outlook(cx: &mut Ctx) {
    let keys = &cx.inp.keys;
    let mut by_key: BTreeMap<String, Vec<&OroRecord>> = BTreeMap::new();
    for r in unlinked_oro(cx) {
        by_key.entry(key_of(&r.item, keys)).or_default().push(r);
    }
    for item in unlinked_outlook(cx) {
        let key = key_of(&item.item, keys);
        let pick = by_key.get_mut(&key).and_then(|l| {
            if l.is_empty() {
                None
            } else {
                Some(l.remove(0))
            }
        });
        cx.outlook_linked.insert(item.id.clone());
        match pick {
            Some(rec) => {
                cx.oro_linked.insert(rec.id.clone());
                let fresh = cx.oro.contains_key(rec.id.as_str());
                if fresh && rec.item.same_as(&item.item) {
                    cx.push(
                        Action::Link {
                            oro: Box::new(rec.clone()),
                            outlook: Box::new(item.clone()),
                            stamp: true,
                        },
                        "same key and values: linked",
                        None,
                    );
                } else {
                    cx.push(
                        Action::UpdateOro {
                            oro_id: rec.id.clone(),
                            from: Box::new(item.clone()),
                            before: fresh.then(|| Box::new(rec.clone())),
                            stamp: true,
                        },
                        "matched by key: Outlook's values replace Oro's",
                        None,
                    );
                }
            }
            None => cx.push(
                Action::CreateOro {
                    from: Box::new(item.clone()),
                },
                "not in Oro yet",
                None,
            ),
        }
    }
}

fn state_of<T>(seen: &Seen<T>, last_hash: &str, hash: impl Fn(&T) -> String) -> Option<SideState> {
    match seen {
        Seen::Here(r) => Some(if hash(r) == last_hash {
            SideState::Same
        } else {
            SideState::Changed
        }),
        Seen::Unread => Some(SideState::Same),
        Seen::Gone => Some(SideState::Gone),
        Seen::OutOfScope | Seen::Unknown => None,
    }
}

/// One linked pair through the tables.
fn pair(cx: &mut Ctx, link: &Link) {
    if cx.superseded.contains(&link.oro_id) {
        return;
    }
    let oro = cx.oro_seen(&link.oro_id);
    let outlook = cx.outlook_seen(&link.outlook_id);
    let mut unknown = false;
    if matches!(oro, Seen::Unknown) {
        cx.plan.needs.oro.insert(link.oro_id.clone());
        unknown = true;
    }
    if matches!(outlook, Seen::Unknown) {
        cx.plan.needs.outlook.insert(link.outlook_id.clone());
        unknown = true;
    }
    if unknown || matches!(oro, Seen::OutOfScope) || matches!(outlook, Seen::OutOfScope) {
        return;
    }
    let os = state_of(&oro, &link.oro_hash, |r: &OroRecord| r.item.hash()).expect("known");
    let xs = state_of(&outlook, &link.outlook_hash, |i: &OutlookItem| {
        i.item.hash()
    })
    .expect("known");
    let pending = cx
        .inp
        .pending
        .iter()
        .find(|p| p.oro_id == link.oro_id)
        .cloned();

    let here_oro = if let Seen::Here(r) = oro {
        Some(r)
    } else {
        None
    };
    let here_outlook = if let Seen::Here(i) = outlook {
        Some(i)
    } else {
        None
    };

    // A pending conflict (ask mode) stays as it is until the user chooses,
    // unless a side is gone, in which case the table applies.
    if let Some(p) = &pending {
        if os != SideState::Gone && xs != SideState::Gone {
            let Some(choice) = p.resolution else { return };
            let (Some(r), Some(i)) = (here_oro, here_outlook) else {
                if here_oro.is_none() {
                    cx.plan.needs.oro.insert(link.oro_id.clone());
                }
                if here_outlook.is_none() {
                    cx.plan.needs.outlook.insert(link.outlook_id.clone());
                }
                return;
            };
            apply_winner(
                cx,
                link,
                r,
                i,
                choice,
                "conflict resolved by the user",
                Some(p.id),
            );
            return;
        }
    }
    let clears = pending.as_ref().map(|p| p.id);

    // Someone cleared or changed the OroCRM_id on the item: the state's link stands.
    let restamp = here_outlook.is_some_and(|i| nonempty(&i.link) != Some(link.oro_id.as_str()));

    match decide_pair(cx.inp.direction, os, xs) {
        PairDecision::Nothing => {
            if let (true, Some(i)) = (restamp, here_outlook) {
                match here_oro {
                    Some(r) => cx.push(
                        Action::Link {
                            oro: Box::new(r.clone()),
                            outlook: Box::new(i.clone()),
                            stamp: true,
                        },
                        "OroCRM_id restored",
                        clears,
                    ),
                    None => {
                        cx.plan.needs.oro.insert(link.oro_id.clone());
                    }
                }
            }
        }
        PairDecision::OroToOutlook => {
            let r = here_oro.expect("changed side was read");
            to_outlook(
                cx,
                link,
                r,
                here_outlook,
                "updated in Oro: Oro's values replace Outlook's",
                clears,
            );
        }
        PairDecision::OutlookToOro => {
            let Some(i) = here_outlook else {
                cx.plan.needs.outlook.insert(link.outlook_id.clone());
                return;
            };
            to_oro(
                cx,
                link,
                here_oro,
                i,
                "Outlook's values replace Oro's",
                clears,
            );
        }
        PairDecision::RecreateInOutlook => match here_oro {
            Some(r) => cx.push(
                Action::CreateOutlook {
                    from: Box::new(r.clone()),
                },
                "deleted in Outlook: created again from Oro",
                clears,
            ),
            None => {
                cx.plan.needs.oro.insert(link.oro_id.clone());
            }
        },
        PairDecision::DeleteOutlook | PairDecision::DeleteOutlookAsConflict => {
            let conflict = matches!(
                decide_pair(cx.inp.direction, os, xs),
                PairDecision::DeleteOutlookAsConflict
            );
            if conflict {
                cx.note(&link.oro_id, &link.outlook_id, Winner::Oro);
            }
            cx.push(
                Action::DeleteOutlook {
                    outlook_id: link.outlook_id.clone(),
                    oro_id: Some(link.oro_id.clone()),
                    before: here_outlook.cloned().map(Box::new),
                },
                if conflict {
                    "deleted in Oro, edited in Outlook: deleted (backed up)"
                } else {
                    "deleted in Oro: deleted from Outlook"
                },
                clears,
            );
        }
        PairDecision::Forget => cx.push(
            Action::Unlink {
                oro_id: link.oro_id.clone(),
            },
            "one side is gone: the other stays as it is",
            clears,
        ),
        PairDecision::Conflict => {
            let (r, i) = (here_oro.expect("changed"), here_outlook.expect("changed"));
            if r.item.same_as(&i.item) {
                // The same new values on both sides: no conflict.
                cx.push(
                    Action::Link {
                        oro: Box::new(r.clone()),
                        outlook: Box::new(i.clone()),
                        stamp: restamp,
                    },
                    "changed alike on both sides",
                    clears,
                );
                return;
            }
            let winner = match cx.inp.conflict {
                ConflictSetting::OroWins => Side::Oro,
                ConflictSetting::OutlookWins => Side::Outlook,
                // By each side's modification time; a tie goes to Oro.
                ConflictSetting::NewestWins => {
                    // Oro keeps whole seconds; compare both at that precision
                    // so a same-second edit is the documented tie.
                    if i.modified_at.timestamp() > r.updated_at.timestamp() {
                        Side::Outlook
                    } else {
                        Side::Oro
                    }
                }
                ConflictSetting::Ask => {
                    cx.note(&link.oro_id, &link.outlook_id, Winner::Pending);
                    cx.push(
                        Action::Pending {
                            oro: Box::new(r.clone()),
                            outlook: Box::new(i.clone()),
                        },
                        "changed on both sides: waiting for your choice",
                        None,
                    );
                    return;
                }
            };
            cx.note(
                &link.oro_id,
                &link.outlook_id,
                if winner == Side::Oro {
                    Winner::Oro
                } else {
                    Winner::Outlook
                },
            );
            apply_winner(cx, link, r, i, winner, "changed on both sides", clears);
        }
    }
}

fn apply_winner(
    cx: &mut Ctx,
    link: &Link,
    r: &OroRecord,
    i: &OutlookItem,
    winner: Side,
    reason: &'static str,
    clears: Option<i64>,
) {
    match winner {
        Side::Oro => to_outlook(cx, link, r, Some(i), reason, clears),
        Side::Outlook => to_oro(cx, link, Some(r), i, reason, clears),
    }
}

fn to_outlook(
    cx: &mut Ctx,
    link: &Link,
    r: &OroRecord,
    i: Option<&OutlookItem>,
    reason: &'static str,
    clears: Option<i64>,
) {
    match i {
        // Already holds Oro's values: only remember the pair.
        Some(i) if r.item.same_as(&i.item) => cx.push(
            Action::Link {
                oro: Box::new(r.clone()),
                outlook: Box::new(i.clone()),
                stamp: nonempty(&i.link) != Some(r.id.as_str()),
            },
            reason,
            clears,
        ),
        _ => cx.push(
            Action::UpdateOutlook {
                outlook_id: link.outlook_id.clone(),
                from: Box::new(r.clone()),
                before: i.cloned().map(Box::new),
            },
            reason,
            clears,
        ),
    }
}

fn to_oro(
    cx: &mut Ctx,
    link: &Link,
    r: Option<&OroRecord>,
    i: &OutlookItem,
    reason: &'static str,
    clears: Option<i64>,
) {
    let restamp = nonempty(&i.link) != Some(link.oro_id.as_str());
    match r {
        Some(r) if r.item.same_as(&i.item) => cx.push(
            Action::Link {
                oro: Box::new(r.clone()),
                outlook: Box::new(i.clone()),
                stamp: restamp,
            },
            reason,
            clears,
        ),
        _ => cx.push(
            Action::UpdateOro {
                oro_id: link.oro_id.clone(),
                from: Box::new(i.clone()),
                before: r.cloned().map(Box::new),
                stamp: restamp,
            },
            reason,
            clears,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Link, Winner};
    use crate::test_support::{contact, edit_note, t0};

    /// A linked pair changed on both sides, Outlook modified `outlook_ms`
    /// milliseconds after Oro's (whole-second) update.
    fn both_changed(outlook_ms: i64) -> KindInput {
        let mut inp = KindInput::new(Kind::Contacts, crate::sides::Window::around(t0(), 30, 365));
        inp.conflict = ConflictSetting::NewestWins;
        inp.keys = crate::settings::Keys::default().of(Kind::Contacts).to_vec();
        let base = contact("Ann", "Lee");
        inp.links.push(Link {
            oro_id: "1".into(),
            outlook_id: "X".into(),
            oro_hash: base.hash(),
            outlook_hash: base.hash(),
            oro_version: None,
            outlook_version: None,
        });
        inp.oro_ids.insert("1".into());
        let mut oro_item = base.clone();
        edit_note(&mut oro_item, "oro");
        let mut outlook_item = base;
        edit_note(&mut outlook_item, "outlook");
        inp.oro_records.push(OroRecord {
            id: "1".into(),
            created_at: t0(),
            updated_at: t0(),
            recurring: false,
            item: oro_item,
        });
        inp.outlook_items.push(OutlookItem {
            id: "X".into(),
            created_at: t0(),
            modified_at: t0() + chrono::Duration::milliseconds(outlook_ms),
            link: Some("1".into()),
            recurring: false,
            item: outlook_item,
        });
        inp
    }

    #[test]
    fn bi6_newest_wins_a_tie_within_the_second_goes_to_oro() {
        let plan = plan_kind(&both_changed(400));
        assert_eq!(plan.conflicts[0].winner, Winner::Oro);
        assert!(matches!(plan.ops[0].action, Action::UpdateOutlook { .. }));
    }

    #[test]
    fn bi6_newest_wins_a_later_second_goes_to_outlook() {
        let plan = plan_kind(&both_changed(1000));
        assert_eq!(plan.conflicts[0].winner, Winner::Outlook);
        assert!(matches!(plan.ops[0].action, Action::UpdateOro { .. }));
    }

    /// An incremental run gives the planner only the links of what changed
    /// (`KindInput::link_ids_needed`); the plan must be the one it makes
    /// over every link.
    #[test]
    fn a_plan_over_the_needed_links_equals_the_plan_over_all_links() {
        use crate::plan::PendingConflict;
        let window = crate::sides::Window::around(t0(), 30, 365);
        let mut inp = KindInput::new(Kind::Contacts, window);
        inp.keys = crate::settings::Keys::default().of(Kind::Contacts).to_vec();
        let rec = |id: &str, item: crate::model::Item| OroRecord {
            id: id.into(),
            created_at: t0(),
            updated_at: t0(),
            recurring: false,
            item,
        };
        let out = |id: &str, link: Option<&str>, item: crate::model::Item| OutlookItem {
            id: id.into(),
            created_at: t0(),
            modified_at: t0(),
            link: link.map(str::to_string),
            recurring: false,
            item,
        };
        for n in 1..=10 {
            let base = contact(&format!("Ann{n}"), "Lee");
            inp.links.push(Link {
                oro_id: n.to_string(),
                outlook_id: format!("X{n}"),
                oro_hash: base.hash(),
                outlook_hash: base.hash(),
                oro_version: None,
                outlook_version: None,
            });
            if n != 3 {
                // 3 is deleted in Oro.
                inp.oro_ids.insert(n.to_string());
            }
        }
        // 2 edited in Oro, X4 edited in Outlook, X5 deleted in Outlook.
        let mut two = contact("Ann2", "Lee");
        edit_note(&mut two, "oro");
        inp.oro_records.push(rec("2", two));
        let mut four = contact("Ann4", "Lee");
        edit_note(&mut four, "outlook");
        inp.outlook_items.push(out("X4", Some("4"), four));
        inp.outlook_removed.insert("X5".into());
        // A new Outlook item stamped with 6, which X6 holds.
        inp.outlook_items
            .push(out("Y", Some("6"), contact("Ann6", "Lee")));
        // A resolved conflict on 7 (its records must be read).
        inp.pending.push(PendingConflict {
            id: 1,
            oro_id: "7".into(),
            outlook_id: "X7".into(),
            resolution: Some(Side::Oro),
        });
        // A new Oro record matching a new Outlook item by key.
        inp.oro_ids.insert("20".into());
        inp.oro_records.push(rec("20", contact("Bea", "Kim")));
        inp.outlook_items
            .push(out("Z", None, contact("Bea", "Kim")));

        let linked: Vec<String> = inp.links.iter().map(|l| l.oro_id.clone()).collect();
        let ids = inp.link_ids_needed(&linked);
        // The merge pass over ids in byte order finds the same.
        let mut sorted = linked.clone();
        sorted.sort();
        assert_eq!(inp.link_ids_needed(&sorted), ids);
        let mut only = inp.clone();
        only.links.retain(|l| {
            ids.oro.contains(l.oro_id.as_str()) || ids.outlook.contains(l.outlook_id.as_str())
        });
        let kept: Vec<&str> = only.links.iter().map(|l| l.oro_id.as_str()).collect();
        assert_eq!(kept, ["2", "3", "4", "5", "6", "7"]);

        let all = plan_kind(&inp);
        assert!(
            !all.needs.is_empty(),
            "the pending conflict needs its records"
        );
        assert_eq!(plan_kind(&only), all);
        // With the records of 7 read (and of 5, re-created in Outlook from
        // Oro), a plan with writes: still the same.
        for i in [&mut inp, &mut only] {
            i.oro_fetched
                .insert("5".into(), Some(rec("5", contact("Ann5", "Lee"))));
            i.oro_fetched
                .insert("7".into(), Some(rec("7", contact("Ann7", "Lee"))));
            i.outlook_fetched.insert(
                "X7".into(),
                Some(out("X7", Some("7"), contact("Ann7", "Lee"))),
            );
        }
        let all = plan_kind(&inp);
        assert!(all.needs.is_empty(), "{:?}", all.needs);
        assert!(all.ops.len() >= 4, "{:?}", all.ops);
        assert!(!all.skipped.is_empty(), "Y is skipped: X6 holds 6");
        assert_eq!(plan_kind(&only), all);
    }
}
