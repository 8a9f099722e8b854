//! What the planner is given for one kind.

use crate::model::Field;
use crate::model::Window;
use crate::model::{Kind, OroRecord, OutlookItem};
use crate::settings::{ConflictSetting, Direction};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A stored link: what was last synced for a pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub oro_id: String,
    pub outlook_id: String,
    /// Hash of the mapped fields as last synced, per side (docs/sync-rules.md, "Echoes").
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

/// The ids whose stored links the planner must be given (see
/// [`KindInput::link_ids_needed`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LinkIds<'a> {
    pub oro: BTreeSet<&'a str>,
    pub outlook: BTreeSet<&'a str>,
}

impl KindInput {
    /// Which links the planner needs when Outlook was not listed in full
    /// (`outlook_full` false, no first sync): a link neither of whose ids
    /// appears below is unchanged on both sides as far as both change feeds
    /// and Oro's id listing say, so the planner would do nothing with it.
    /// That keeps an incremental run proportional to the changes: only
    /// their links are read, plus `linked_oro_ids` (every linked Oro id,
    /// ids only) for deletion detection against `oro_ids`.
    ///
    /// Needed: the links of every record read or fetched on either side, of
    /// the Oro ids stamped on Outlook items read (adoption looks for the
    /// link already holding that id), of remembered unlinked records (key
    /// matching must not pick a linked one), of pending conflicts, and of
    /// linked Oro ids missing from `oro_ids` (gone, or an event that left
    /// the window).
    /// `linked_oro_ids` may come in any order; sorted (as
    /// [`crate::state::State::linked_oro_ids`] gives them) is faster.
    pub fn link_ids_needed<'a>(&'a self, linked_oro_ids: &'a [String]) -> LinkIds<'a> {
        let mut ids = LinkIds::default();
        for r in self
            .oro_records
            .iter()
            .chain(self.oro_fetched.values().flatten())
        {
            ids.oro.insert(&r.id);
        }
        ids.oro.extend(self.oro_fetched.keys().map(String::as_str));
        for i in self
            .outlook_items
            .iter()
            .chain(self.outlook_fetched.values().flatten())
        {
            ids.outlook.insert(&i.id);
            if let Some(l) = i.link.as_deref() {
                ids.oro.insert(l);
            }
        }
        ids.outlook
            .extend(self.outlook_fetched.keys().map(String::as_str));
        ids.outlook
            .extend(self.outlook_removed.iter().map(String::as_str));
        for c in &self.unlinked {
            match c {
                Candidate::Oro(r) => ids.oro.insert(&r.id),
                Candidate::Outlook(i) => ids.outlook.insert(&i.id),
            };
        }
        for p in &self.pending {
            ids.oro.insert(&p.oro_id);
            ids.outlook.insert(&p.outlook_id);
        }
        if linked_oro_ids.is_sorted() {
            // Both in byte order: one merge pass, no lookup per id.
            let mut listed = self.oro_ids.iter().peekable();
            for id in linked_oro_ids {
                while listed.next_if(|l| *l < id).is_some() {}
                if listed.peek() != Some(&id) {
                    ids.oro.insert(id);
                }
            }
        } else {
            ids.oro.extend(
                linked_oro_ids
                    .iter()
                    .filter(|id| !self.oro_ids.contains(*id))
                    .map(String::as_str),
            );
        }
        ids
    }
}
