//! A reference model of docs/sync-rules.md for the property tests: what one
//! run must do to one kind, written straight from the rules' tables
//! ("Oro → Outlook", "Outlook → Oro", "Bidirectional", "Conflicts",
//! "Guards") and the definition of a key ("Words"), without the planner.
//!
//! The model remembers what the rules say a sync remembers — the linked
//! pairs, the values each side had when last synced, which pairs wait for
//! the user — and nothing else. Before a run it is shown both sides as the
//! user left them and says what each side must hold afterwards; after the
//! run [`KindModel::check`] compares that with both sides, the Outlook
//! items' links, the state's links and pending conflicts, and the run's
//! conflicts, then moves on to the ids the servers gave new records.

use chrono::{DateTime, Utc};
use orosync::model::{Item, OroRecord, OutlookItem, When};
use orosync::settings::{ConflictSetting, Direction};
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

/// A record's mapped values in the form the rules compare ("Echoes").
pub type Values = String;

pub fn values(item: &Item) -> Values {
    format!("{:?}", item.comparable())
}

/// "Words" (Key), with the default key fields: text trimmed, runs of white
/// space made one space, NFC and full lower-case mapping (empty equals
/// only empty); instants in UTC to the second; dates as dates.
pub fn key(item: &Item) -> String {
    fn text(s: Option<&str>) -> String {
        let collapsed = s
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let nfc: String = collapsed.nfc().collect();
        nfc.to_lowercase().nfc().collect()
    }
    match item {
        Item::Contacts(c) => format!(
            "{}|{}|{:?}|{:?}",
            text(c.first_name.as_deref()),
            text(c.last_name.as_deref()),
            c.gender,
            c.birthday
        ),
        Item::Tasks(t) => format!("{}|{:?}", text(Some(&t.subject)), t.priority),
        Item::Events(e) => match e.when {
            When::Timed { start, end } => format!(
                "{}|timed|{}|{}",
                text(Some(&e.title)),
                start.timestamp(),
                end.timestamp()
            ),
            When::AllDay { start, end } => {
                format!("{}|all-day|{start}|{end}", text(Some(&e.title)))
            }
        },
    }
}

/// A linked pair as the model remembers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub oro: String,
    pub outlook: String,
    /// Each side's values when last synced.
    pub oro_values: Values,
    pub outlook_values: Values,
    /// A conflict waiting for the user (`ask`).
    pub pending: bool,
}

/// An Oro record after the run: one that existed, or the one created from
/// an Outlook item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OroRef {
    Id(String),
    FromOutlook(String),
}

/// An Outlook item after the run: one that existed, or the one created from
/// an Oro record.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutlookRef {
    Id(String),
    FromOro(String),
}

/// A pair after the run.
#[derive(Clone, Debug)]
pub enum PairAfter {
    /// Left exactly as it was (nothing synced, or held).
    Kept(Pair),
    /// Synced in this run: both sides' values now are the synced ones.
    Synced(OroRef, OutlookRef),
}

/// What one run must leave behind for one kind.
#[derive(Debug, Default)]
pub struct Expected {
    /// Every Oro record that existed, with its values after the run (the
    /// sync never deletes in Oro).
    pub oro: BTreeMap<String, Values>,
    /// New Oro records, by the Outlook item each is created from.
    pub oro_created: BTreeMap<String, Values>,
    /// Every Outlook item that existed: `None` when deleted, else its
    /// values and its `OroCRM_id`.
    pub outlook: BTreeMap<String, Option<(Values, Option<OroRef>)>>,
    /// New Outlook items, by the Oro record each is created from (and
    /// linked to).
    pub outlook_created: BTreeMap<String, Values>,
    pub pairs: Vec<PairAfter>,
    /// Oro ids of the pairs this run reports as conflicts.
    pub conflicts: BTreeSet<String>,
    /// Deletions held by the mass-deletion guard.
    pub held: usize,
    /// Their Oro ids, which the next run holds again.
    pub held_ids: BTreeSet<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Same,
    Changed,
    Gone,
}

/// The model of one kind.
#[derive(Clone, Debug, Default)]
pub struct KindModel {
    /// Linked pairs by Oro id.
    pub pairs: BTreeMap<String, Pair>,
    /// Oro ids whose deletion a run held and the user has not decided on:
    /// "until the user decides, later runs ask again and leave those pairs
    /// alone", whatever share of the links they are by then.
    pub held: BTreeSet<String>,
}

fn oro_id_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

impl KindModel {
    /// What one run in `direction` with `setting` must do, given both sides
    /// as they are before it.
    pub fn run(
        &self,
        direction: Direction,
        setting: ConflictSetting,
        oro: &[OroRecord],
        outlook: &[OutlookItem],
    ) -> Expected {
        let oro_by: BTreeMap<&str, &OroRecord> = oro.iter().map(|r| (r.id.as_str(), r)).collect();
        let out_by: BTreeMap<&str, &OutlookItem> =
            outlook.iter().map(|i| (i.id.as_str(), i)).collect();
        let mut exp = Expected {
            oro: oro
                .iter()
                .map(|r| (r.id.clone(), values(&r.item)))
                .collect(),
            outlook: outlook
                .iter()
                .map(|i| {
                    let link = i.link.clone().filter(|l| !l.is_empty()).map(OroRef::Id);
                    (i.id.clone(), Some((values(&i.item), link)))
                })
                .collect(),
            ..Default::default()
        };

        // Unlinked: no pair, and (Outlook) no OroCRM_id / (Oro) no item links to it.
        let item_links: BTreeSet<&str> = outlook
            .iter()
            .filter_map(|i| i.link.as_deref())
            .filter(|l| !l.is_empty())
            .collect();
        let paired_out: BTreeSet<&str> = self.pairs.values().map(|p| p.outlook.as_str()).collect();
        let mut unlinked_oro: Vec<&OroRecord> = oro
            .iter()
            .filter(|r| !self.pairs.contains_key(&r.id) && !item_links.contains(r.id.as_str()))
            .collect();
        unlinked_oro.sort_by(|a, b| oro_id_order(&a.id, &b.id));
        let mut unlinked_out: Vec<&OutlookItem> = outlook
            .iter()
            .filter(|i| {
                i.link.as_deref().is_none_or(str::is_empty) && !paired_out.contains(i.id.as_str())
            })
            .collect();
        unlinked_out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut taken_oro: BTreeSet<&str> = BTreeSet::new();
        let mut taken_out: BTreeSet<&str> = BTreeSet::new();

        // Unlinked Oro records first, in ascending id: the earliest created
        // unlinked item with the same key is overwritten and stamped, else
        // one is created (ox1–ox3, bi1, bi3).
        if direction != Direction::OutlookToOro {
            for r in &unlinked_oro {
                taken_oro.insert(&r.id);
                let k = key(&r.item);
                match unlinked_out
                    .iter()
                    .find(|i| !taken_out.contains(i.id.as_str()) && key(&i.item) == k)
                {
                    Some(i) => {
                        taken_out.insert(&i.id);
                        exp.outlook.insert(
                            i.id.clone(),
                            Some((values(&r.item), Some(OroRef::Id(r.id.clone())))),
                        );
                        exp.pairs.push(PairAfter::Synced(
                            OroRef::Id(r.id.clone()),
                            OutlookRef::Id(i.id.clone()),
                        ));
                    }
                    None => {
                        exp.outlook_created.insert(r.id.clone(), values(&r.item));
                        exp.pairs.push(PairAfter::Synced(
                            OroRef::Id(r.id.clone()),
                            OutlookRef::FromOro(r.id.clone()),
                        ));
                    }
                }
            }
        }
        // Then the unlinked Outlook items: linked to the unlinked Oro record
        // with the same key (smallest id) and written to it, else created in
        // Oro; stamped either way (xo1, xo2, bi2).
        if direction != Direction::OroToOutlook {
            for i in &unlinked_out {
                if taken_out.contains(i.id.as_str()) {
                    continue;
                }
                let k = key(&i.item);
                let v = values(&i.item);
                match unlinked_oro
                    .iter()
                    .find(|r| !taken_oro.contains(r.id.as_str()) && key(&r.item) == k)
                {
                    Some(r) => {
                        taken_oro.insert(&r.id);
                        exp.oro.insert(r.id.clone(), v.clone());
                        exp.outlook
                            .insert(i.id.clone(), Some((v, Some(OroRef::Id(r.id.clone())))));
                        exp.pairs.push(PairAfter::Synced(
                            OroRef::Id(r.id.clone()),
                            OutlookRef::Id(i.id.clone()),
                        ));
                    }
                    None => {
                        exp.oro_created.insert(i.id.clone(), v.clone());
                        exp.outlook.insert(
                            i.id.clone(),
                            Some((v, Some(OroRef::FromOutlook(i.id.clone())))),
                        );
                        exp.pairs.push(PairAfter::Synced(
                            OroRef::FromOutlook(i.id.clone()),
                            OutlookRef::Id(i.id.clone()),
                        ));
                    }
                }
            }
        }

        // The linked pairs, by the direction's table.
        let seen = |p: &Pair| {
            let os = match oro_by.get(p.oro.as_str()) {
                None => Seen::Gone,
                Some(r) if values(&r.item) == p.oro_values => Seen::Same,
                Some(_) => Seen::Changed,
            };
            let xs = match out_by.get(p.outlook.as_str()) {
                None => Seen::Gone,
                Some(i) if values(&i.item) == p.outlook_values => Seen::Same,
                Some(_) => Seen::Changed,
            };
            (os, xs)
        };
        // "Guards": deletions of Outlook items whose Oro records are gone,
        // more than half of the linked items and at least 10, are held.
        let deleting: BTreeSet<&str> = if direction == Direction::OroToOutlook {
            BTreeSet::new()
        } else {
            self.pairs
                .values()
                .filter(|p| {
                    let (os, xs) = seen(p);
                    os == Seen::Gone && xs != Seen::Gone
                })
                .map(|p| p.oro.as_str())
                .collect()
        };
        let hold = deleting.len() >= 10 && deleting.len() * 2 > self.pairs.len();

        for p in self.pairs.values() {
            let (os, xs) = seen(p);
            if deleting.contains(p.oro.as_str()) && (hold || self.held.contains(&p.oro)) {
                exp.held += 1;
                exp.held_ids.insert(p.oro.clone());
                exp.pairs.push(PairAfter::Kept(p.clone()));
                continue;
            }
            // "Conflicts" (ask): a pending pair stays as it is until the
            // user picks a side, unless a side is gone.
            if p.pending && os != Seen::Gone && xs != Seen::Gone {
                exp.pairs.push(PairAfter::Kept(p.clone()));
                continue;
            }
            let r = oro_by.get(p.oro.as_str());
            let i = out_by.get(p.outlook.as_str());
            let link = || Some(OroRef::Id(p.oro.clone()));
            let to_outlook = |exp: &mut Expected| {
                let r = r.expect("oro side here");
                exp.outlook
                    .insert(p.outlook.clone(), Some((values(&r.item), link())));
                exp.pairs.push(PairAfter::Synced(
                    OroRef::Id(p.oro.clone()),
                    OutlookRef::Id(p.outlook.clone()),
                ));
            };
            let to_oro = |exp: &mut Expected| {
                let i = i.expect("outlook side here");
                exp.oro.insert(p.oro.clone(), values(&i.item));
                exp.pairs.push(PairAfter::Synced(
                    OroRef::Id(p.oro.clone()),
                    OutlookRef::Id(p.outlook.clone()),
                ));
            };
            let recreate = |exp: &mut Expected| {
                let r = r.expect("oro side here");
                exp.outlook_created.insert(p.oro.clone(), values(&r.item));
                exp.pairs.push(PairAfter::Synced(
                    OroRef::Id(p.oro.clone()),
                    OutlookRef::FromOro(p.oro.clone()),
                ));
            };
            let delete_outlook = |exp: &mut Expected| {
                exp.outlook.insert(p.outlook.clone(), None);
            };
            let keep = |exp: &mut Expected| exp.pairs.push(PairAfter::Kept(p.clone()));
            match direction {
                Direction::Bidirectional => match (os, xs) {
                    (Seen::Same, Seen::Same) => keep(&mut exp),
                    (Seen::Same, Seen::Changed) => to_oro(&mut exp),
                    (Seen::Changed, Seen::Same) => to_outlook(&mut exp),
                    (Seen::Changed, Seen::Changed) => {
                        let (r, i) = (r.expect("here"), i.expect("here"));
                        if values(&r.item) == values(&i.item) {
                            // Identical new values: no conflict.
                            exp.pairs.push(PairAfter::Synced(
                                OroRef::Id(p.oro.clone()),
                                OutlookRef::Id(p.outlook.clone()),
                            ));
                        } else {
                            exp.conflicts.insert(p.oro.clone());
                            match setting {
                                ConflictSetting::OroWins => to_outlook(&mut exp),
                                ConflictSetting::OutlookWins => to_oro(&mut exp),
                                ConflictSetting::NewestWins => {
                                    if newer(i.modified_at, r.updated_at) {
                                        to_oro(&mut exp)
                                    } else {
                                        to_outlook(&mut exp)
                                    }
                                }
                                ConflictSetting::Ask => exp.pairs.push(PairAfter::Kept(Pair {
                                    pending: true,
                                    ..p.clone()
                                })),
                            }
                        }
                    }
                    (Seen::Same | Seen::Changed, Seen::Gone) => recreate(&mut exp),
                    (Seen::Gone, Seen::Same) => delete_outlook(&mut exp),
                    (Seen::Gone, Seen::Changed) => {
                        exp.conflicts.insert(p.oro.clone());
                        delete_outlook(&mut exp)
                    }
                    (Seen::Gone, Seen::Gone) => {}
                },
                Direction::OroToOutlook => match (os, xs) {
                    // Deleted in Oro: the Outlook item stays as it is.
                    (Seen::Gone, _) => {}
                    (_, Seen::Gone) => recreate(&mut exp),
                    (Seen::Changed, _) => to_outlook(&mut exp),
                    (Seen::Same, _) => keep(&mut exp),
                },
                Direction::OutlookToOro => match (os, xs) {
                    (Seen::Gone, Seen::Gone) => {}
                    (Seen::Gone, _) => delete_outlook(&mut exp),
                    // Deleted in Outlook: the Oro record stays.
                    (_, Seen::Gone) => {}
                    (Seen::Same, Seen::Same) => keep(&mut exp),
                    _ => to_oro(&mut exp),
                },
            }
        }
        exp
    }

    /// Compares what the run left with `exp` and, when they agree, takes
    /// the run's result as the model's new pairs.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        exp: Expected,
        oro: &[OroRecord],
        outlook: &[OutlookItem],
        state_links: BTreeSet<(String, String)>,
        state_pending: BTreeSet<String>,
        conflicts: BTreeSet<String>,
        held: usize,
    ) -> Result<(), String> {
        let held_ids = exp.held_ids.clone();
        let oro_by: BTreeMap<&str, &OroRecord> = oro.iter().map(|r| (r.id.as_str(), r)).collect();
        let out_by: BTreeMap<&str, &OutlookItem> =
            outlook.iter().map(|i| (i.id.as_str(), i)).collect();

        for (id, v) in &exp.oro {
            let r = oro_by
                .get(id.as_str())
                .ok_or(format!("Oro record {id} was deleted"))?;
            if values(&r.item) != *v {
                return Err(format!(
                    "Oro record {id}: holds {}\n  the rules say {v}",
                    values(&r.item)
                ));
            }
        }
        // New Oro records: each is the one its Outlook item was stamped with.
        let new_oro: BTreeSet<&str> = oro_by
            .keys()
            .copied()
            .filter(|id| !exp.oro.contains_key(*id))
            .collect();
        let mut oro_of: BTreeMap<OroRef, String> = exp
            .oro
            .keys()
            .map(|id| (OroRef::Id(id.clone()), id.clone()))
            .collect();
        let mut stamped_new = BTreeSet::new();
        for (x, v) in &exp.oro_created {
            let item = out_by
                .get(x.as_str())
                .ok_or(format!("Outlook item {x}, created in Oro, is gone"))?;
            let l = item
                .link
                .clone()
                .ok_or(format!("Outlook item {x} was not stamped"))?;
            if !new_oro.contains(l.as_str()) {
                return Err(format!(
                    "Outlook item {x} is stamped {l}, not a new Oro record"
                ));
            }
            let got = values(&oro_by[l.as_str()].item);
            if got != *v {
                return Err(format!(
                    "Oro record {l} created from {x}: holds {got}\n  the rules say {v}"
                ));
            }
            stamped_new.insert(l.clone());
            oro_of.insert(OroRef::FromOutlook(x.clone()), l);
        }
        if stamped_new.len() != new_oro.len() || stamped_new.len() != exp.oro_created.len() {
            return Err(format!(
                "new Oro records {new_oro:?}; the rules create one each from {:?}",
                exp.oro_created.keys().collect::<Vec<_>>()
            ));
        }

        for (id, e) in &exp.outlook {
            match (e, out_by.get(id.as_str())) {
                (None, None) => {}
                (None, Some(_)) => return Err(format!("Outlook item {id} should be deleted")),
                (Some(_), None) => return Err(format!("Outlook item {id} was deleted")),
                (Some((v, link)), Some(i)) => {
                    if values(&i.item) != *v {
                        return Err(format!(
                            "Outlook item {id}: holds {}\n  the rules say {v}",
                            values(&i.item)
                        ));
                    }
                    let want = link.as_ref().map(|l| match l {
                        OroRef::Id(s) => s.clone(),
                        f => oro_of[f].clone(),
                    });
                    if i.link.clone().filter(|l| !l.is_empty()) != want {
                        return Err(format!(
                            "Outlook item {id}: linked to {:?}, the rules say {want:?}",
                            i.link
                        ));
                    }
                }
            }
        }
        // New Outlook items: one per Oro record created or re-created in Outlook.
        let new_out: Vec<&OutlookItem> = outlook
            .iter()
            .filter(|i| !exp.outlook.contains_key(&i.id))
            .collect();
        if new_out.len() != exp.outlook_created.len() {
            return Err(format!(
                "{} new Outlook items; the rules create {} (from {:?})",
                new_out.len(),
                exp.outlook_created.len(),
                exp.outlook_created.keys().collect::<Vec<_>>()
            ));
        }
        let mut out_of: BTreeMap<OutlookRef, String> = BTreeMap::new();
        for (r, v) in &exp.outlook_created {
            let made: Vec<&&OutlookItem> = new_out
                .iter()
                .filter(|i| i.link.as_deref() == Some(r.as_str()))
                .collect();
            let [made] = made.as_slice() else {
                return Err(format!(
                    "{} new Outlook items linked to {r}; the rules create one",
                    made.len()
                ));
            };
            if values(&made.item) != *v {
                return Err(format!(
                    "Outlook item {} created from {r}: holds {}\n  the rules say {v}",
                    made.id,
                    values(&made.item)
                ));
            }
            out_of.insert(OutlookRef::FromOro(r.clone()), made.id.clone());
        }

        // The pairs after the run, in the servers' ids.
        let mut pairs = BTreeMap::new();
        for p in exp.pairs {
            let pair = match p {
                PairAfter::Kept(p) => p,
                PairAfter::Synced(o, x) => {
                    let oro = oro_of[&o].clone();
                    let outlook = match x {
                        OutlookRef::Id(s) => s,
                        f => out_of[&f].clone(),
                    };
                    Pair {
                        oro_values: values(&oro_by[oro.as_str()].item),
                        outlook_values: values(&out_by[outlook.as_str()].item),
                        oro,
                        outlook,
                        pending: false,
                    }
                }
            };
            pairs.insert(pair.oro.clone(), pair);
        }
        let links: BTreeSet<(String, String)> = pairs
            .values()
            .map(|p| (p.oro.clone(), p.outlook.clone()))
            .collect();
        if links != state_links {
            return Err(format!(
                "the state links {state_links:?}\n  the rules link {links:?}"
            ));
        }
        let pending: BTreeSet<String> = pairs
            .values()
            .filter(|p| p.pending)
            .map(|p| p.oro.clone())
            .collect();
        if pending != state_pending {
            return Err(format!(
                "pending conflicts {state_pending:?}, the rules say {pending:?}"
            ));
        }
        if conflicts != exp.conflicts {
            return Err(format!(
                "the run reported conflicts {conflicts:?}, the rules say {:?}",
                exp.conflicts
            ));
        }
        if held != exp.held {
            return Err(format!(
                "the run held {held} deletions, the rules hold {}",
                exp.held
            ));
        }
        self.pairs = pairs;
        self.held = held_ids;
        Ok(())
    }
}

/// newest-wins: Outlook wins only when modified strictly later; "a tie goes
/// to Oro". Oro keeps whole seconds, so Outlook's time is compared at that
/// precision too.
fn newer(outlook: DateTime<Utc>, oro: DateTime<Utc>) -> bool {
    outlook.timestamp() > oro.timestamp()
}
