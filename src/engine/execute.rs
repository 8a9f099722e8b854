//! The executor: runs a plan's operations through the two stores, backing
//! up what it deletes or overwrites, and records each write in the state
//! right after it lands, so a run stopped anywhere repeats safely.

use super::backups::Backups;
use crate::clock::Clock;
use crate::model::{Item, Kind, OroRecord, OutlookItem, Side};
use crate::plan::{Action, Op};
use crate::sides::{OroStore, OutlookStore, OutlookWrite, StoreError, StoreResult};
use crate::state::State;
use crate::summary::{Fatal, ItemError, KindSummary};
use std::collections::HashMap;

pub(super) struct Executor<'a, O, X> {
    pub oro: &'a O,
    pub outlook: &'a X,
    pub clock: &'a dyn Clock,
    pub backups: &'a dyn Backups,
    pub kind: Kind,
    /// Records put on the retry list by this run's failures.
    pub retried: std::cell::RefCell<Vec<(Side, String)>>,
    /// Told how many ops were just done (for progress).
    pub on_done: &'a (dyn Fn(usize) + Send + Sync),
}

/// What one op's failure means for the run.
enum Failure {
    Item(Side, String, String),
    Fatal(Fatal),
}

fn classify(side: Side, id: &str, e: StoreError) -> Failure {
    match e {
        StoreError::Auth(m) => Failure::Fatal(Fatal::Auth(m)),
        StoreError::Unavailable(m) => Failure::Fatal(Fatal::Unavailable(m)),
        StoreError::CursorExpired => {
            Failure::Fatal(Fatal::Unavailable("change cursor expired".into()))
        }
        e => Failure::Item(side, id.to_string(), e.to_string()),
    }
}

fn state_err(e: crate::state::StateError) -> Failure {
    Failure::Fatal(Fatal::State(e.to_string()))
}

/// The values Outlook can hold of an Oro record.
fn for_outlook(item: &Item) -> Item {
    match item {
        Item::Contacts(c) => Item::Contacts(c.for_outlook()),
        other => other.clone(),
    }
}

/// Outlook's values as written to Oro, keeping what Outlook cannot hold.
fn for_oro(from: &Item, before: Option<&OroRecord>) -> Item {
    match (from, before.map(|r| &r.item)) {
        (Item::Contacts(c), Some(Item::Contacts(old))) => {
            Item::Contacts(c.merged_into_oro(Some(old)))
        }
        _ => from.clone(),
    }
}

impl<O: OroStore, X: OutlookStore> Executor<'_, O, X> {
    /// Run `ops` in order. Item failures are reported and retried next run;
    /// a fatal one stops here with the state consistent.
    pub async fn run(
        &self,
        state: &mut State,
        ops: &[Op],
        sum: &mut KindSummary,
        errors: &mut Vec<ItemError>,
    ) -> Result<(), Fatal> {
        let chunk = self.outlook.write_chunk().max(1);
        let mut i = 0;
        while i < ops.len() {
            if !is_outlook_write(&ops[i].action) {
                self.one_recorded(state, &ops[i], sum, errors).await?;
                (self.on_done)(1);
                i += 1;
                continue;
            }
            let (batch, others, next) = gather(ops, i, chunk);
            let batch: Vec<&Op> = batch.into_iter().map(|k| &ops[k]).collect();
            let n = batch.len();
            settle(self.outlook_batch(state, &batch, sum, errors).await)?;
            (self.on_done)(n);
            for k in others {
                self.one_recorded(state, &ops[k], sum, errors).await?;
                (self.on_done)(1);
            }
            i = next;
        }
        Ok(())
    }

    /// One op that is not an Outlook write, its item failure recorded.
    async fn one_recorded(
        &self,
        state: &mut State,
        op: &Op,
        sum: &mut KindSummary,
        errors: &mut Vec<ItemError>,
    ) -> Result<(), Fatal> {
        let r = match self.one(state, op, sum).await {
            Err(Failure::Item(side, id, message)) => {
                self.failed(state, op, side, id, message, sum, errors)
            }
            other => other,
        };
        settle(r)
    }

    #[allow(clippy::too_many_arguments)]
    fn failed(
        &self,
        state: &mut State,
        op: &Op,
        side: Side,
        id: String,
        message: String,
        sum: &mut KindSummary,
        errors: &mut Vec<ItemError>,
    ) -> Result<(), Failure> {
        tracing::warn!(kind = %self.kind, %side, %id, %message, "item failed");
        sum.failed += 1;
        errors.push(ItemError {
            kind: self.kind,
            side,
            id,
            message,
        });
        // Read both records again next run, whatever the change feeds say.
        for (s, id) in involved(op) {
            state.add_retry(self.kind, s, &id).map_err(state_err)?;
            self.retried.borrow_mut().push((s, id));
        }
        Ok(())
    }

    fn backup(
        &self,
        side: Side,
        id: &str,
        action: &str,
        before: &impl serde::Serialize,
    ) -> Result<(), Failure> {
        let value = serde_json::to_value(before)
            .map_err(|e| Failure::Item(side, id.into(), e.to_string()))?;
        self.backups
            .save(self.kind, side, id, action, &value)
            .map_err(|e| {
                Failure::Item(side, id.into(), format!("backup could not be written: {e}"))
            })
    }

    async fn outlook_before(
        &self,
        id: &str,
        given: &Option<Box<OutlookItem>>,
        fetched: &mut HashMap<String, StoreResult<Option<OutlookItem>>>,
    ) -> Result<Option<OutlookItem>, Failure> {
        match given {
            Some(i) => Ok(Some((**i).clone())),
            None if fetched.contains_key(id) => fetched
                .remove(id)
                .expect("checked")
                .map_err(|e| classify(Side::Outlook, id, e)),
            None => self
                .outlook
                .get(self.kind, id)
                .await
                .map_err(|e| classify(Side::Outlook, id, e)),
        }
    }

    async fn oro_before(
        &self,
        id: &str,
        given: &Option<Box<OroRecord>>,
    ) -> Result<Option<OroRecord>, Failure> {
        match given {
            Some(r) => Ok(Some((**r).clone())),
            None => self
                .oro
                .get(self.kind, id)
                .await
                .map_err(|e| classify(Side::Oro, id, e)),
        }
    }

    /// A run of Create/Update/DeleteOutlook ops, sent as one batch.
    async fn outlook_batch(
        &self,
        state: &mut State,
        ops: &[&Op],
        sum: &mut KindSummary,
        errors: &mut Vec<ItemError>,
    ) -> Result<(), Failure> {
        // The items to back up that the plan does not hold, read in one go.
        let missing: Vec<String> = ops
            .iter()
            .filter_map(|op| match &op.action {
                Action::UpdateOutlook {
                    outlook_id,
                    before: None,
                    ..
                }
                | Action::DeleteOutlook {
                    outlook_id,
                    before: None,
                    ..
                } => Some(outlook_id.clone()),
                _ => None,
            })
            .collect();
        let mut fetched: HashMap<String, StoreResult<Option<OutlookItem>>> = HashMap::new();
        if missing.len() > 1 {
            let got = self.outlook.get_many(self.kind, &missing).await;
            fetched.extend(missing.into_iter().zip(got));
        }
        let mut writes = vec![];
        let mut sent: Vec<&Op> = vec![];
        for &op in ops {
            let prepared = self.prepare_outlook(state, op, &mut fetched).await;
            match prepared {
                Ok(Some(w)) => {
                    writes.push(w);
                    sent.push(op);
                }
                Ok(None) => {}
                Err(Failure::Item(side, id, m)) => {
                    self.failed(state, op, side, id, m, sum, errors)?
                }
                Err(f) => return Err(f),
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        let results = self.outlook.write(self.kind, writes).await;
        // Record the batch's answers in one transaction: each write is still
        // recorded only after it landed, with one commit per batch.
        state
            .in_transaction(|state| self.record_batch(state, sent, results, sum, errors))
            .map_err(state_err)?
    }

    /// Record a batch's answers, in the order of its ops.
    fn record_batch(
        &self,
        state: &mut State,
        sent: Vec<&Op>,
        results: Vec<crate::sides::WriteResult>,
        sum: &mut KindSummary,
        errors: &mut Vec<ItemError>,
    ) -> Result<(), Failure> {
        let mut fatal = None;
        for (op, result) in sent.into_iter().zip(results) {
            match result {
                Ok(item) => {
                    if let Err(f) = self.outlook_done(state, op, item, sum) {
                        match f {
                            Failure::Item(side, id, m) => {
                                self.failed(state, op, side, id, m, sum, errors)?
                            }
                            f => return Err(f),
                        }
                    }
                }
                Err(e) => match classify(Side::Outlook, &outlook_id_of(op), e) {
                    // Record the others of the batch first: they may have landed.
                    Failure::Fatal(f) => fatal = fatal.or(Some(f)),
                    Failure::Item(side, id, m) => {
                        self.failed(state, op, side, id, m, sum, errors)?
                    }
                },
            }
        }
        match fatal {
            Some(f) => Err(Failure::Fatal(f)),
            None => Ok(()),
        }
    }

    /// Back up what the write replaces and build the write; `None` when
    /// there is nothing left to do (deleting an item already gone).
    async fn prepare_outlook(
        &self,
        state: &mut State,
        op: &Op,
        fetched: &mut HashMap<String, StoreResult<Option<OutlookItem>>>,
    ) -> Result<Option<OutlookWrite>, Failure> {
        match &op.action {
            Action::CreateOutlook { from } => Ok(Some(OutlookWrite::Create {
                item: for_outlook(&from.item),
                link: from.id.clone(),
            })),
            Action::UpdateOutlook {
                outlook_id,
                from,
                before,
            } => {
                let before = self.outlook_before(outlook_id, before, fetched).await?;
                let Some(before) = before else {
                    return Err(Failure::Item(
                        Side::Outlook,
                        outlook_id.clone(),
                        "the Outlook item was deleted meanwhile".into(),
                    ));
                };
                self.backup(Side::Outlook, outlook_id, "update", &before)?;
                Ok(Some(OutlookWrite::Update {
                    id: outlook_id.clone(),
                    item: Some(for_outlook(&from.item)),
                    link: Some(from.id.clone()),
                }))
            }
            Action::DeleteOutlook {
                outlook_id, before, ..
            } => {
                match self.outlook_before(outlook_id, before, fetched).await? {
                    Some(before) => {
                        self.backup(Side::Outlook, outlook_id, "delete", &before)?;
                        Ok(Some(OutlookWrite::Delete {
                            id: outlook_id.clone(),
                        }))
                    }
                    None => {
                        // Already gone: only the state is left to update.
                        state
                            .delete_link_by_outlook(self.kind, outlook_id)
                            .map_err(state_err)?;
                        Ok(None)
                    }
                }
            }
            _ => unreachable!("only Outlook writes are batched"),
        }
    }

    fn outlook_done(
        &self,
        state: &mut State,
        op: &Op,
        item: Option<OutlookItem>,
        sum: &mut KindSummary,
    ) -> Result<(), Failure> {
        match &op.action {
            Action::CreateOutlook { from } | Action::UpdateOutlook { from, .. } => {
                let item = item.ok_or_else(|| {
                    Failure::Item(
                        Side::Outlook,
                        outlook_id_of(op),
                        "the server returned no item".into(),
                    )
                })?;
                state.put_link(self.kind, from, &item).map_err(state_err)?;
                if matches!(op.action, Action::CreateOutlook { .. }) {
                    sum.outlook.created += 1;
                } else {
                    sum.outlook.updated += 1;
                }
            }
            Action::DeleteOutlook { outlook_id, .. } => {
                state
                    .delete_link_by_outlook(self.kind, outlook_id)
                    .map_err(state_err)?;
                sum.outlook.deleted += 1;
            }
            _ => unreachable!("only Outlook writes are batched"),
        }
        if let Some(p) = op.clears_pending {
            state.clear_pending(p).map_err(state_err)?;
        }
        Ok(())
    }

    async fn stamp(&self, item: &OutlookItem, oro_id: &str) -> Result<OutlookItem, Failure> {
        let mut r = self
            .outlook
            .write(
                self.kind,
                vec![OutlookWrite::Update {
                    id: item.id.clone(),
                    item: None,
                    link: Some(oro_id.to_string()),
                }],
            )
            .await;
        match r.pop() {
            Some(Ok(Some(i))) => Ok(i),
            Some(Ok(None)) | None => Err(Failure::Item(
                Side::Outlook,
                item.id.clone(),
                "no answer to the link write".into(),
            )),
            Some(Err(e)) => Err(classify(Side::Outlook, &item.id, e)),
        }
    }

    /// A task written to Oro with its other fields but not its status
    /// (Oro's task workflow moves a status only through transitions, see
    /// docs/fidelity.md): move the status now. The link, already recorded
    /// with what Oro holds, first marks Outlook's side not synced, so a run
    /// stopped here or a refused move leaves a pair whose Outlook side looks
    /// changed: the next run writes it again (no duplicate, no conflict with
    /// our own write). A refused move fails this item only.
    async fn move_status(
        &self,
        state: &mut State,
        rec: &OroRecord,
        outlook: &OutlookItem,
    ) -> Result<(), Failure> {
        let (Item::Tasks(held), Item::Tasks(wanted)) = (&rec.item, &outlook.item) else {
            return Ok(());
        };
        if held.status == wanted.status {
            return Ok(());
        }
        state
            .mark_outlook_unsynced(self.kind, &rec.id)
            .map_err(state_err)?;
        let moved = self
            .oro
            .move_task_status(&rec.id, wanted.status)
            .await
            .map_err(|e| classify(Side::Oro, &rec.id, e))?;
        // Counted once, with the create or update it completes.
        state
            .put_link(self.kind, &moved, outlook)
            .map_err(state_err)?;
        Ok(())
    }

    /// Any op that is not a plain Outlook write.
    async fn one(&self, state: &mut State, op: &Op, sum: &mut KindSummary) -> Result<(), Failure> {
        let kind = self.kind;
        match &op.action {
            Action::CreateOro { from } => {
                // Journal the intent first: a run killed between the create
                // and the state update finds the record again by key.
                state
                    .add_intent(kind, &from.id, self.clock.now())
                    .map_err(state_err)?;
                let rec = self
                    .oro
                    .create(&from.item)
                    .await
                    .map_err(|e| classify(Side::Oro, &from.id, e))?;
                sum.oro.created += 1;
                state.put_link(kind, &rec, from).map_err(state_err)?;
                let stamped = self.stamp(from, &rec.id).await?;
                sum.outlook.updated += 1;
                state
                    .touch_outlook(kind, &rec.id, &stamped)
                    .map_err(state_err)?;
                self.move_status(state, &rec, &stamped).await?;
            }
            Action::UpdateOro {
                oro_id,
                from,
                before,
                stamp,
            } => {
                let Some(before) = self.oro_before(oro_id, before).await? else {
                    return Err(Failure::Item(
                        Side::Oro,
                        oro_id.clone(),
                        "the Oro record was deleted meanwhile".into(),
                    ));
                };
                self.backup(Side::Oro, oro_id, "update", &before)?;
                let rec = self
                    .oro
                    .update(oro_id, &for_oro(&from.item, Some(&before)))
                    .await
                    .map_err(|e| classify(Side::Oro, oro_id, e))?;
                sum.oro.updated += 1;
                state.put_link(kind, &rec, from).map_err(state_err)?;
                let mut outlook = (**from).clone();
                if *stamp {
                    outlook = self.stamp(from, &rec.id).await?;
                    sum.outlook.updated += 1;
                    state
                        .touch_outlook(kind, &rec.id, &outlook)
                        .map_err(state_err)?;
                }
                self.move_status(state, &rec, &outlook).await?;
            }
            Action::Link {
                oro,
                outlook,
                stamp,
            } => {
                state.put_link(kind, oro, outlook).map_err(state_err)?;
                if *stamp {
                    let stamped = self.stamp(outlook, &oro.id).await?;
                    sum.outlook.updated += 1;
                    state
                        .touch_outlook(kind, &oro.id, &stamped)
                        .map_err(state_err)?;
                }
            }
            Action::Unlink { oro_id } => state.delete_link(kind, oro_id).map_err(state_err)?,
            Action::Pending { oro, outlook } => {
                let mut ov = serde_json::Map::new();
                let mut xv = serde_json::Map::new();
                for (f, a, b) in oro.item.differing(&outlook.item) {
                    ov.insert(f.name().into(), a.to_json());
                    xv.insert(f.name().into(), b.to_json());
                }
                state
                    .add_pending(
                        kind,
                        &oro.id,
                        &outlook.id,
                        self.clock.now(),
                        &ov.into(),
                        &xv.into(),
                    )
                    .map_err(state_err)?;
            }
            _ => unreachable!("Outlook writes go through outlook_batch"),
        }
        if let Some(p) = op.clears_pending {
            state.clear_pending(p).map_err(state_err)?;
        }
        Ok(())
    }
}

/// How many other ops an Outlook write may overtake to fill a batch.
const LOOKAHEAD: usize = 100;

/// The Outlook writes of one batch, from `ops[start]` (an Outlook write) on:
/// up to `chunk` of them, overtaking ops of other records (each pair's
/// outcome does not depend on another pair's), so that changes on both
/// sides, interleaved in id order, still go out 20 to a `$batch` instead of
/// one. A write never overtakes an op that involves one of its records.
/// Returns the batch, the overtaken ops (in plan order, run after the
/// batch), and where to go on.
fn gather(ops: &[Op], start: usize, chunk: usize) -> (Vec<usize>, Vec<usize>, usize) {
    let mut batch = vec![start];
    let mut others = vec![];
    let mut held: std::collections::HashSet<(Side, String)> = Default::default();
    let mut j = start + 1;
    while j < ops.len() && batch.len() < chunk && others.len() < LOOKAHEAD {
        let involved = involved(&ops[j]);
        if !is_outlook_write(&ops[j].action) {
            held.extend(involved);
            others.push(j);
        } else if involved.iter().any(|r| held.contains(r)) {
            break;
        } else {
            batch.push(j);
        }
        j += 1;
    }
    // Overtaken ops at the end, with no write after them, keep their place.
    while others.last() == Some(&(j - 1)) {
        others.pop();
        j -= 1;
    }
    (batch, others, j)
}

/// An op's or a batch's result for the run: only a fatal failure stops it
/// (item failures are recorded where they happen).
fn settle(r: Result<(), Failure>) -> Result<(), Fatal> {
    match r {
        Ok(()) => Ok(()),
        Err(Failure::Fatal(f)) => Err(f),
        Err(Failure::Item(..)) => unreachable!("item failures are recorded where they happen"),
    }
}

fn is_outlook_write(a: &Action) -> bool {
    matches!(
        a,
        Action::CreateOutlook { .. } | Action::UpdateOutlook { .. } | Action::DeleteOutlook { .. }
    )
}

fn outlook_id_of(op: &Op) -> String {
    match &op.action {
        Action::CreateOutlook { from } => from.id.clone(),
        Action::UpdateOutlook { outlook_id, .. } | Action::DeleteOutlook { outlook_id, .. } => {
            outlook_id.clone()
        }
        _ => String::new(),
    }
}

/// The records an op reads or writes, by side.
fn involved(op: &Op) -> Vec<(Side, String)> {
    match &op.action {
        Action::CreateOutlook { from } => vec![(Side::Oro, from.id.clone())],
        Action::UpdateOutlook {
            outlook_id, from, ..
        } => {
            vec![
                (Side::Oro, from.id.clone()),
                (Side::Outlook, outlook_id.clone()),
            ]
        }
        Action::DeleteOutlook { outlook_id, .. } => vec![(Side::Outlook, outlook_id.clone())],
        Action::CreateOro { from } => vec![(Side::Outlook, from.id.clone())],
        Action::UpdateOro { oro_id, from, .. } => vec![
            (Side::Oro, oro_id.clone()),
            (Side::Outlook, from.id.clone()),
        ],
        Action::Link { oro, outlook, .. } | Action::Pending { oro, outlook } => {
            vec![
                (Side::Oro, oro.id.clone()),
                (Side::Outlook, outlook.id.clone()),
            ]
        }
        Action::Unlink { oro_id } => vec![(Side::Oro, oro_id.clone())],
    }
}
