//! What the planner is given for one kind.

use crate::model::Field;
use crate::model::{Kind, OroRecord, OutlookItem};
use crate::settings::{ConflictSetting, Direction};
use crate::store::Window;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A stored link: what was last synced for a pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub oro_id: String,
    pub outlook_id: String,
    /// Hash of the mapped fields as last synced, per side (SYNC.md "Echoes").
    pub oro_hash: String,
    pub outlook_hash: String,
    pub oro_version: Option<DateTime<Utc>>,
    pub outlook_version: Option<DateTime<Utc>>,
}

/// A conflict left for the user (ask mode), with their choice once made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingConflict {
    pub id: i64,
    pub oro_id: String,
    pub outlook_id: String,
    pub resolution: Option<crate::model::Side>,
}

/// An unlinked record remembered from an earlier run, so a key match can
/// find it without listing everything again.
#[derive(Clone, Debug, PartialEq)]
pub enum Candidate {
    Oro(OroRecord),
    Outlook(OutlookItem),
}

/// Everything the planner needs for one kind.
#[derive(Clone, Debug)]
pub struct KindInput {
    pub kind: Kind,
    pub direction: Direction,
    pub conflict: ConflictSetting,
    pub keys: Vec<Field>,
    /// First sync or resync whose purge of linked Outlook items is still to do.
    pub purge: bool,
    /// First sync or resync in progress: both sides were listed in full.
    pub first_sync: bool,
    pub links: Vec<Link>,
    pub pending: Vec<PendingConflict>,
    /// Oro records changed since the watermark (all on a first sync), plus
    /// any fetched because a rule or a retry needed them.
    pub oro_records: Vec<OroRecord>,
    /// Every Oro id in scope now; a linked id missing here is gone.
    pub oro_ids: BTreeSet<String>,
    /// Outlook items changed since the cursor (all on a full listing), plus fetched ones.
    pub outlook_items: Vec<OutlookItem>,
    pub outlook_removed: BTreeSet<String>,
    /// `outlook_items` is the whole content: a linked id not in it is gone.
    pub outlook_full: bool,
    /// Remembered unlinked records of either side.
    pub unlinked: Vec<Candidate>,
    /// Results of fetches the planner asked for ([`super::Needs`]); `None` = not found.
    pub oro_fetched: BTreeMap<String, Option<OroRecord>>,
    pub outlook_fetched: BTreeMap<String, Option<OutlookItem>>,
    pub window: Window,
}

impl KindInput {
    pub fn new(kind: Kind, window: Window) -> Self {
        KindInput {
            kind,
            direction: Direction::Bidirectional,
            conflict: ConflictSetting::OroWins,
            keys: vec![],
            purge: false,
            first_sync: false,
            links: vec![],
            pending: vec![],
            oro_records: vec![],
            oro_ids: BTreeSet::new(),
            outlook_items: vec![],
            outlook_removed: BTreeSet::new(),
            outlook_full: false,
            unlinked: vec![],
            oro_fetched: BTreeMap::new(),
            outlook_fetched: BTreeMap::new(),
            window,
        }
    }
}
