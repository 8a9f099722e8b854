//! The plan: operations in the order they must run, and what it reports.

use crate::model::{Kind, OroRecord, OutlookItem, Side};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What to do. Writes carry the values to write, taken from the source side.
/// Records are boxed: a plan holds one op per record written (100k on a big
/// first sync), and unboxed each op took the size of the largest variant
/// (two whole records): the peak memory of that run.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create the Oro record's values in Outlook, stamped with its id.
    CreateOutlook { from: Box<OroRecord> },
    /// Overwrite the Outlook item with the Oro record's values (and stamp it).
    UpdateOutlook {
        outlook_id: String,
        from: Box<OroRecord>,
        before: Option<Box<OutlookItem>>,
    },
    DeleteOutlook {
        outlook_id: String,
        oro_id: Option<String>,
        before: Option<Box<OutlookItem>>,
    },
    /// Create the Outlook item's values in Oro, then stamp the new id on the item.
    CreateOro { from: Box<OutlookItem> },
    /// Overwrite the Oro record with the Outlook item's values; `stamp` also
    /// writes the Oro id onto the item (a first pairing).
    UpdateOro {
        oro_id: String,
        from: Box<OutlookItem>,
        before: Option<Box<OroRecord>>,
        stamp: bool,
    },
    /// Both sides already agree: remember the pair (stamping the item when
    /// it does not carry the id yet).
    Link {
        oro: Box<OroRecord>,
        outlook: Box<OutlookItem>,
        stamp: bool,
    },
    /// Forget the pair (its records stay as they are).
    Unlink { oro_id: String },
    /// Ask mode: leave both sides, record the conflict for the user.
    Pending {
        oro: Box<OroRecord>,
        outlook: Box<OutlookItem>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub kind: Kind,
    pub action: Action,
    /// Why, in a few words (shown by `--dry-run`).
    pub reason: &'static str,
    /// A pending conflict this op settles, cleared once it succeeds.
    pub clears_pending: Option<i64>,
}

impl Op {
    /// The side written and the id named, for the dry-run listing.
    pub fn entries(&self) -> Vec<PlanEntry> {
        let e = |side: Side, action: &'static str, id: &str| PlanEntry {
            kind: self.kind,
            side,
            action: action.to_string(),
            id: id.to_string(),
            reason: self.reason.to_string(),
        };
        match &self.action {
            Action::CreateOutlook { from } => vec![e(Side::Outlook, "create", &from.id)],
            Action::UpdateOutlook { outlook_id, .. } => {
                vec![e(Side::Outlook, "update", outlook_id)]
            }
            Action::DeleteOutlook { outlook_id, .. } => {
                vec![e(Side::Outlook, "delete", outlook_id)]
            }
            // The new Oro id is stamped on the item right after the create.
            Action::CreateOro { from } => {
                vec![
                    e(Side::Oro, "create", &from.id),
                    e(Side::Outlook, "link", &from.id),
                ]
            }
            Action::UpdateOro {
                oro_id,
                from,
                stamp,
                ..
            } => {
                let mut v = vec![e(Side::Oro, "update", oro_id)];
                if *stamp {
                    v.push(e(Side::Outlook, "link", &from.id));
                }
                v
            }
            Action::Link { outlook, stamp, .. } if *stamp => {
                vec![e(Side::Outlook, "link", &outlook.id)]
            }
            Action::Link { .. } | Action::Unlink { .. } | Action::Pending { .. } => vec![],
        }
    }
}

/// One line of `--dry-run`'s `plan` (docs/cli.md, "sync --json").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEntry {
    pub kind: Kind,
    pub side: Side,
    /// `create`, `update`, `delete` or `link`.
    pub action: String,
    pub id: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Winner {
    Oro,
    Outlook,
    Pending,
}

/// A conflict detected in this run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictNote {
    pub kind: Kind,
    pub oro_id: String,
    pub outlook_id: String,
    pub setting: String,
    pub winner: Winner,
}

/// A record left alone by rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub kind: Kind,
    pub side: Side,
    pub id: String,
    pub reason: String,
}

/// Records the planner must see before it can decide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub oro: BTreeSet<String>,
    pub outlook: BTreeSet<String>,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        self.oro.is_empty() && self.outlook.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub ops: Vec<Op>,
    pub conflicts: Vec<ConflictNote>,
    pub skipped: Vec<Skip>,
    /// First sync: forget every link of the kind before the ops run.
    pub forget_links: bool,
    /// Fetch these and plan again.
    pub needs: Needs,
}

impl Plan {
    pub fn entries(&self) -> Vec<PlanEntry> {
        self.ops.iter().flat_map(Op::entries).collect()
    }
}
