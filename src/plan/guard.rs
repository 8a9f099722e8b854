//! The mass-deletion guard (docs/reliability.md "Deletion guard"): a pure
//! step over a finished plan. Outside a first sync or resync, a plan that
//! would delete more than half of a kind's linked Outlook items (and at
//! least [`MIN_DELETES`]) because their Oro records are gone deletes none of
//! them unless the user decided: the deletions are taken out of the plan and
//! reported, so the run asks instead; the rest of the plan runs as usual.
//!
//! Oro records are never deleted by a sync (only Outlook items are), so the
//! side whose records went missing is always Oro and the side that would
//! lose items is always Outlook.

use super::ops::{Action, Op, Plan};
use crate::model::{Item, Kind, OutlookItem, Side};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Fewer deletions than this never trip the guard: on a small mailbox half
/// of the links is a handful of ordinary deletions.
pub const MIN_DELETES: usize = 10;

/// What the user decided about a kind's held deletions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardChoice {
    /// Nothing decided: hold the deletions and ask.
    #[default]
    Ask,
    /// Delete them (`--yes`, the window's Delete).
    Delete,
    /// Keep the Outlook items: create each again in Oro (the rule every
    /// direction that deletes applies to an Outlook item without an Oro
    /// record) and link it to the new record (`--keep`, the window's Keep).
    Keep,
}

/// The user's choice per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuardChoices([GuardChoice; 3]);

impl GuardChoices {
    /// The same choice for every kind.
    pub fn all(choice: GuardChoice) -> Self {
        GuardChoices([choice; 3])
    }

    /// `choice` for `kind`, the others as they are.
    pub fn with(mut self, kind: Kind, choice: GuardChoice) -> Self {
        self.0[index(kind)] = choice;
        self
    }

    pub fn of(&self, kind: Kind) -> GuardChoice {
        self.0[index(kind)]
    }
}

fn index(kind: Kind) -> usize {
    match kind {
        Kind::Contacts => 0,
        Kind::Tasks => 1,
        Kind::Events => 2,
    }
}

/// One held deletion, as the window lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardItem {
    pub oro_id: String,
    pub outlook_id: String,
    /// The Outlook item's name (contact) or title (task, event).
    pub name: String,
}

/// A tripped guard: `count` of `linked` linked items of `kind` are gone
/// from `side` (Oro), and deleting their partners in Outlook was held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardNote {
    pub kind: Kind,
    /// The side whose records went missing.
    pub side: Side,
    pub count: usize,
    pub linked: usize,
    /// Sorted by Oro id (and Outlook id).
    pub items: Vec<GuardItem>,
}

impl GuardNote {
    /// The one line the CLI prints and the tray notifies.
    pub fn message(&self) -> String {
        let kind = self.kind.as_str();
        format!(
            "{} of {} linked {kind} are gone from Oro; syncing would delete them in Outlook. \
             Run again with --yes to delete them, or with --keep to keep them in Outlook \
             (they are created again in Oro); nothing of them was changed",
            self.count, self.linked
        )
    }
}

/// True when deleting `count` of `linked` linked items is a mass deletion:
/// at least [`MIN_DELETES`] and more than half (exactly half is not).
pub fn is_mass_deletion(count: usize, linked: usize) -> bool {
    count >= MIN_DELETES && count * 2 > linked
}

/// The deletions the guard weighs: Outlook items deleted because their Oro
/// record is gone. The first sync's purge is confirmed on its own.
fn is_guarded(op: &Op) -> bool {
    matches!(op.action, Action::DeleteOutlook { .. }) && op.reason != super::PURGE_REASON
}

/// A short human name for an item: the contact's name, else the title.
pub fn label(item: &Item) -> String {
    match item {
        Item::Contacts(c) => {
            let parts: Vec<&str> = [&c.first_name, &c.middle_name, &c.last_name]
                .into_iter()
                .filter_map(|p| p.as_deref())
                .filter(|p| !p.trim().is_empty())
                .collect();
            if parts.is_empty() {
                "(no name)".to_string()
            } else {
                parts.join(" ")
            }
        }
        Item::Tasks(t) => t.subject.clone(),
        Item::Events(e) => e.title.clone(),
    }
}

/// Apply the guard to `plan` (one kind's, decided: no `needs`). `linked` is
/// how many links the kind has in the state; `first_sync` is true on a
/// first sync or resync, which the guard never stops.
///
/// - Below the threshold, or `Delete`: the plan is unchanged.
/// - `Ask`: every guarded deletion (and the conflict noted with it) leaves
///   the plan; the returned note says what was held.
/// - `Keep`: every guarded deletion becomes a create in Oro from the
///   Outlook item, which relinks it (nothing is deleted on either side);
///   nothing is returned, nothing was held.
///
/// Held or kept items whose Outlook values were not read this run are
/// asked for in `plan.needs` (for their names, and the values `Keep`
/// creates); the caller fetches them and plans again.
pub fn apply_guard(
    plan: &mut Plan,
    kind: Kind,
    linked: usize,
    first_sync: bool,
    choice: GuardChoice,
    remembered: &BTreeSet<String>,
) -> Option<GuardNote> {
    if first_sync || choice == GuardChoice::Delete {
        return None;
    }
    let count = plan.ops.iter().filter(|op| is_guarded(op)).count();
    // Items stamped with a gone Oro id but never linked in the state also
    // count: the guard never says "12 of 8".
    let linked = linked.max(count);
    // A mass deletion holds every guarded deletion; below the threshold,
    // those an earlier run held stay held until the user decides (the
    // share may have dropped since: new links, some records back).
    let all = is_mass_deletion(count, linked);
    let is_held = |op: &Op| {
        is_guarded(op)
            && (all
                || matches!(&op.action, Action::DeleteOutlook { oro_id: Some(id), .. } if remembered.contains(id)))
    };
    let count = plan.ops.iter().filter(|op| is_held(op)).count();
    if count == 0 {
        return None;
    }
    let mut items = vec![];
    let mut unread = BTreeSet::new();
    for op in plan.ops.iter().filter(|op| is_held(op)) {
        let Action::DeleteOutlook {
            outlook_id,
            oro_id,
            before,
        } = &op.action
        else {
            unreachable!("guarded ops are deletions");
        };
        match before {
            Some(item) => items.push(GuardItem {
                oro_id: oro_id.clone().unwrap_or_default(),
                outlook_id: outlook_id.clone(),
                name: label(&item.item),
            }),
            None => {
                unread.insert(outlook_id.clone());
            }
        }
    }
    if !unread.is_empty() {
        plan.needs.outlook.extend(unread);
        return None;
    }
    items.sort_by(|a, b| {
        crate::model::cmp_oro_ids(&a.oro_id, &b.oro_id)
            .then_with(|| a.outlook_id.cmp(&b.outlook_id))
    });
    let held: BTreeSet<(String, String)> = items
        .iter()
        .map(|i| (i.oro_id.clone(), i.outlook_id.clone()))
        .collect();
    match choice {
        GuardChoice::Ask => {
            plan.ops.retain(|op| !is_held(op));
            plan.conflicts
                .retain(|c| !held.contains(&(c.oro_id.clone(), c.outlook_id.clone())));
            held_note(kind, count, linked, items)
        }
        GuardChoice::Keep => {
            plan.conflicts
                .retain(|c| !held.contains(&(c.oro_id.clone(), c.outlook_id.clone())));
            for op in plan.ops.iter_mut().filter(|op| is_held(op)) {
                let Action::DeleteOutlook {
                    before: Some(item), ..
                } = &op.action
                else {
                    unreachable!("every held item was read");
                };
                let from: Box<OutlookItem> = item.clone();
                op.action = Action::CreateOro { from };
                op.reason = KEEP_REASON;
            }
            // Decided: nothing is held, nothing to ask.
            None
        }
        GuardChoice::Delete => unreachable!("returned above"),
    }
}

fn held_note(kind: Kind, count: usize, linked: usize, items: Vec<GuardItem>) -> Option<GuardNote> {
    Some(GuardNote {
        kind,
        side: Side::Oro,
        count,
        linked,
        items,
    })
}

/// Why a kept item is created in Oro (shown by `--dry-run`).
pub const KEEP_REASON: &str = "gone from Oro, kept by the user: created again in Oro";

#[cfg(test)]
mod tests;
