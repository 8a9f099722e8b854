//! One sync run: read both sides, plan each kind, execute, remember.
//!
//! IO happens here and in the stores; every decision is the planner's.

mod backups;
mod execute;

pub use backups::Backups;

use crate::clock::Clock;
use crate::model::{Kind, OroRecord, OutlookItem, Side};
use crate::plan::{
    apply_guard, plan_kind, Candidate, GuardChoice, GuardChoices, GuardNote, KindInput, Plan, Skip,
    PURGE_REASON,
};
use crate::settings::SyncSettings;
use crate::sides::{OroStore, OutlookStore, StoreError, Window};
use crate::state::State;
use crate::summary::{Fatal, Summary};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Options of one run (`orosync sync` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Start over (docs/sync-rules.md, "First sync / resync").
    pub resync: bool,
    /// Plan only: no write anywhere, no state change.
    pub dry_run: bool,
    /// What the user decided about mass deletions, per kind (`--yes`,
    /// `--keep`, the window's Delete / Keep): see [`crate::plan::apply_guard`].
    pub guard: GuardChoices,
}

/// Where a run stands, for a progress display (`orosync sync` on a
/// terminal, the tray). Reported per kind: after reading, and after each
/// write or batch of writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub kind: Kind,
    /// Records read from both sides (changed ones; all on a first sync).
    pub read: usize,
    /// Planned writes done so far (including ones that failed).
    pub written: usize,
    /// Planned writes left.
    pub remaining: usize,
}

/// A progress callback. It must be quick: it runs between writes.
pub type OnProgress<'a> = &'a (dyn Fn(&Progress) + Send + Sync);

/// The callback of runs nobody watches.
pub fn no_progress(_: &Progress) {}

pub struct Engine<'a, O, X> {
    pub oro: &'a O,
    pub outlook: &'a X,
    pub clock: &'a dyn Clock,
    pub backups: &'a dyn Backups,
    pub settings: &'a SyncSettings,
}

fn fatal_of(e: StoreError) -> Fatal {
    match e {
        StoreError::Auth(m) => Fatal::Auth(m),
        other => Fatal::Unavailable(other.to_string()),
    }
}

fn state_fatal(e: crate::state::StateError) -> Fatal {
    Fatal::State(e.to_string())
}

/// An Oro record cannot be read (in the listing, or when the planner asks
/// for it): its pair is held as it is this run. The Outlook side's change
/// for it (an edit, a deletion) is left out of the input; true when there
/// was one, and the run then keeps the Outlook cursor so that change comes
/// again next run (`Reading::held`).
fn hold_unreadable(input: &mut KindInput, oro_id: &str) -> bool {
    let before = (input.outlook_items.len(), input.outlook_removed.len());
    let outlook: BTreeSet<String> = input
        .links
        .iter()
        .filter(|l| l.oro_id == oro_id)
        .map(|l| l.outlook_id.clone())
        .collect();
    input
        .outlook_items
        .retain(|i| !outlook.contains(&i.id) && i.link.as_deref() != Some(oro_id));
    input.outlook_removed.retain(|id| !outlook.contains(id));
    for id in &outlook {
        input.outlook_fetched.remove(id);
    }
    before != (input.outlook_items.len(), input.outlook_removed.len())
}

/// What was read of one kind, before planning.
struct Reading {
    input: KindInput,
    /// Where the next run's Oro listing starts.
    watermark: Option<DateTime<Utc>>,
    cursor: String,
    retried: Vec<(Side, String)>,
    /// Oro records that could not be read (id → why): skipped this run.
    unreadable: BTreeMap<String, String>,
    /// An Outlook change was held back with an unreadable record's pair.
    held: bool,
    /// The event window of this run, which a new calendar delta starts with.
    window: Window,
    /// How many links the kind has in the state (the guard's measure).
    linked: usize,
    /// The Oro ids whose deletion an earlier run held, undecided.
    held_before: BTreeSet<String>,
}

impl<O: OroStore, X: OutlookStore> Engine<'_, O, X> {
    /// Run once over every configured kind. The summary says what happened,
    /// including a fatal error; the run is recorded in the state's history
    /// (not on a dry run).
    pub async fn run(&self, state: &mut State, opts: RunOptions) -> Summary {
        self.run_with_progress(state, opts, &no_progress).await
    }

    /// As [`Engine::run`], telling `progress` where the run stands; the
    /// run itself is the same.
    pub async fn run_with_progress(
        &self,
        state: &mut State,
        opts: RunOptions,
        progress: OnProgress<'_>,
    ) -> Summary {
        let mut summary = Summary::new(self.settings.direction.as_str(), opts.dry_run);
        let run_id = if opts.dry_run {
            None
        } else {
            match state.start_run(self.clock.now()) {
                Ok(id) => Some(id),
                Err(e) => {
                    summary.fatal = Some(state_fatal(e));
                    summary.finish();
                    return summary;
                }
            }
        };
        let mut kinds = self.settings.kinds.clone();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            if let Err(f) = self
                .run_kind(state, kind, opts, &mut summary, run_id, progress)
                .await
            {
                tracing::error!(%kind, error = %f, "run stopped");
                summary.fatal = Some(f);
                break;
            }
        }
        summary.finish();
        if let Some(id) = run_id {
            let json = serde_json::to_value(&summary).unwrap_or_default();
            if let Err(e) = state.finish_run(id, self.clock.now(), summary.exit_code(), &json) {
                summary.fatal.get_or_insert(state_fatal(e));
                summary.finish();
            }
        }
        summary
    }

    /// Plan one kind without writing anything (for previews).
    /// Mass deletions are held as a run without a decision holds them.
    pub async fn preview(&self, state: &State, kind: Kind, resync: bool) -> Result<Plan, Fatal> {
        let mut reading = self.read(state, kind, resync).await?;
        let r = &mut reading;
        let guard = (r.linked, GuardChoice::Ask, &r.held_before);
        self.plan(&mut r.input, &mut r.unreadable, &mut r.held, guard)
            .await
            .map(|(plan, _)| plan)
    }

    async fn read(&self, state: &State, kind: Kind, resync: bool) -> Result<Reading, Fatal> {
        let ks = state.kind_state(kind).map_err(state_fatal)?;
        let first = resync || !ks.first_sync_done;
        let purge = resync || (first && !ks.purge_done);
        let now = self.clock.now();
        let s = self.settings;
        let window =
            Window::days_around(now, s.time_zone, s.events_past_days, s.events_future_days);
        // Graph fixes a calendar delta's window when it starts; once today's
        // window differs (a new day, or other window settings) the delta is
        // started again and both sides are listed whole within the new
        // window, so events that entered it are seen (docs/fidelity.md,
        // "Microsoft Graph: calendar window"). Unchanged pairs compare equal
        // by hash and cost nothing; pairs that left it are out of scope.
        let window_moved =
            kind == Kind::Events && !first && ks.outlook_window.as_ref() != Some(&window);
        if window_moved {
            tracing::info!(%kind, "event window moved: listing the new window in full");
        }

        // Oro: changes since the watermark, or since the oldest unfinished
        // create (docs/sync-rules.md, "Crash safety"), whichever is earlier.
        let since = if first || window_moved {
            None
        } else {
            match (
                ks.oro_watermark,
                state.earliest_intent(kind).map_err(state_fatal)?,
            ) {
                (Some(w), Some(i)) => Some(w.min(i)),
                (w, None) => w,
                (None, Some(_)) => None,
            }
        };
        let oro_records = self
            .oro
            .changed_since(kind, since, &window)
            .await
            .map_err(fatal_of)?;
        let oro_ids: BTreeSet<String> = self
            .oro
            .list_ids(kind, &window)
            .await
            .map_err(fatal_of)?
            .into_iter()
            .collect();
        let mut unreadable = self.oro.take_unreadable(kind);

        let cursor = if first || window_moved {
            None
        } else {
            ks.outlook_cursor.clone()
        };
        let changes = match self.outlook.changes(kind, cursor.as_deref(), &window).await {
            Err(StoreError::CursorExpired) => {
                tracing::info!(%kind, "delta cursor expired: listing everything again");
                self.outlook.changes(kind, None, &window).await
            }
            other => other,
        }
        .map_err(fatal_of)?;

        let mut watermark = oro_records.iter().map(|r| r.updated_at).max();
        if window_moved {
            // Listed whole: the newest record in the new window may be older
            // than what the last run had already read.
            watermark = watermark.max(ks.oro_watermark);
        }
        let mut input = KindInput::new(kind, window);
        input.direction = s.direction;
        input.conflict = s.conflict;
        input.keys = s.keys.of(kind).to_vec();
        input.purge = purge;
        input.first_sync = first;
        if !purge {
            input.pending = state.pending_for_planner(kind).map_err(state_fatal)?;
        }
        if !first {
            input.unlinked = state.unlinked(kind).map_err(state_fatal)?;
        }
        input.oro_records = oro_records;
        input.oro_ids = oro_ids;
        input.outlook_items = changes.items;
        input.outlook_removed = changes.removed.into_iter().collect();
        input.outlook_full = changes.full;

        // Records whose write failed last time are read again.
        let retried = if first {
            vec![]
        } else {
            state.retries(kind).map_err(state_fatal)?
        };
        for (side, id) in &retried {
            match side {
                Side::Oro => match self.oro.get(kind, id).await {
                    Ok(r) => {
                        input.oro_fetched.insert(id.clone(), r);
                    }
                    Err(StoreError::Malformed(m)) => {
                        unreadable.insert(id.clone(), m);
                    }
                    Err(e) => return Err(fatal_of(e)),
                },
                Side::Outlook => {
                    let r = self.outlook.get(kind, id).await.map_err(fatal_of)?;
                    input.outlook_fetched.insert(id.clone(), r);
                }
            }
        }
        let mut linked_count = 0;
        if !purge {
            input.links = if first || input.outlook_full {
                // Everything was listed: every link is in play.
                let links = state.links(kind).map_err(state_fatal)?;
                linked_count = links.len();
                links
            } else {
                let linked = state.linked_oro_ids(kind).map_err(state_fatal)?;
                linked_count = linked.len();
                let mut ids = input.link_ids_needed(&linked);
                // Holding an unreadable record's pair needs its link.
                ids.oro.extend(unreadable.keys().map(String::as_str));
                state
                    .links_touching(kind, ids.oro, ids.outlook)
                    .map_err(state_fatal)?
            };
        }
        // The pairs of unreadable Oro records are held as they are: not
        // written to from Outlook either (what would be overwritten cannot
        // be read, so it could not be backed up). After the links are read:
        // holding finds the pair's Outlook id through its link.
        let mut held = false;
        for id in unreadable.keys() {
            held |= hold_unreadable(&mut input, id);
        }
        Ok(Reading {
            input,
            watermark,
            cursor: changes.cursor,
            retried,
            unreadable,
            held,
            window,
            linked: linked_count,
            held_before: state.held_deletions(kind).map_err(state_fatal)?,
        })
    }

    /// Plan, fetching what the planner (or the deletion guard) asks for,
    /// until it can decide. An Oro record it asks for that cannot be read
    /// is added to `unreadable` and its pair held (see [`hold_unreadable`]).
    /// `guard` is the kind's link count and the user's choice; the plan
    /// comes back with the guard applied, and its note when it held
    /// deletions.
    async fn plan(
        &self,
        input: &mut KindInput,
        unreadable: &mut BTreeMap<String, String>,
        held: &mut bool,
        guard: (usize, GuardChoice, &BTreeSet<String>),
    ) -> Result<(Plan, Option<GuardNote>), Fatal> {
        let kind = input.kind;
        for _ in 0..4 {
            let mut plan = plan_kind(input);
            if plan.needs.is_empty() {
                let note =
                    apply_guard(&mut plan, kind, guard.0, input.first_sync, guard.1, guard.2);
                if plan.needs.is_empty() {
                    return Ok((plan, note));
                }
            }
            for id in &plan.needs.oro {
                match self.oro.get(kind, id).await {
                    Ok(r) => {
                        input.oro_fetched.insert(id.clone(), r);
                    }
                    Err(StoreError::Malformed(m)) => {
                        *held |= hold_unreadable(input, id);
                        unreadable.insert(id.clone(), m);
                    }
                    Err(e) => return Err(fatal_of(e)),
                }
            }
            // Read together: Graph answers 20 per `$batch`.
            let ids: Vec<String> = plan.needs.outlook.iter().cloned().collect();
            let got = self.outlook.get_many(kind, &ids).await;
            for (id, r) in ids.into_iter().zip(got) {
                input.outlook_fetched.insert(id, r.map_err(fatal_of)?);
            }
        }
        Err(Fatal::Unavailable(format!(
            "{kind}: the servers kept answering differently while reading; try again"
        )))
    }

    async fn run_kind(
        &self,
        state: &mut State,
        kind: Kind,
        opts: RunOptions,
        summary: &mut Summary,
        run_id: Option<i64>,
        progress: OnProgress<'_>,
    ) -> Result<(), Fatal> {
        if opts.resync && !opts.dry_run {
            state.begin_resync(kind).map_err(state_fatal)?;
        }
        let mut reading = self.read(state, kind, opts.resync).await?;
        let first = reading.input.first_sync;
        let purge = reading.input.purge;
        let r = &mut reading;
        let held_before = std::mem::take(&mut r.held_before);
        let guard = (r.linked, opts.guard.of(kind), &held_before);
        let (plan, guard_note) = self
            .plan(&mut r.input, &mut r.unreadable, &mut r.held, guard)
            .await?;
        if !opts.dry_run {
            // Remembered until the user decides (Delete and Keep hold
            // nothing) or the records are back.
            let ids = guard_note
                .iter()
                .flat_map(|n| n.items.iter().map(|i| i.oro_id.as_str()));
            state.set_held_deletions(kind, ids).map_err(state_fatal)?;
        }
        if let Some(note) = guard_note {
            tracing::warn!(%kind, count = note.count, linked = note.linked, "mass deletion held: asking");
            summary.guard.push(note);
        }
        let read = reading.input.oro_records.len() + reading.input.outlook_items.len();
        let total = if opts.dry_run { 0 } else { plan.ops.len() };
        progress(&Progress {
            kind,
            read,
            written: 0,
            remaining: total,
        });
        let written = std::sync::atomic::AtomicUsize::new(0);
        let on_done = |n: usize| {
            let w = written.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            progress(&Progress {
                kind,
                read,
                written: w,
                remaining: total.saturating_sub(w),
            });
        };
        let ks = summary.kind_mut(kind);
        ks.first_sync = first;
        ks.conflicts = plan.conflicts.len();
        ks.skipped = plan.skipped.len() + reading.unreadable.len();
        summary.skipped.extend(plan.skipped.iter().cloned());
        summary
            .skipped
            .extend(reading.unreadable.iter().map(|(id, why)| Skip {
                kind,
                side: Side::Oro,
                id: id.clone(),
                reason: format!(
                    "cannot be read ({why}); fix it in Oro, it is synced once it can be read"
                ),
            }));
        summary.conflicts.extend(plan.conflicts.iter().cloned());

        if opts.dry_run {
            let entries = plan.entries();
            let ks = summary.kind_mut(kind);
            for e in &entries {
                let c = ks.side_mut(e.side);
                match e.action.as_str() {
                    "create" => c.created += 1,
                    "delete" => c.deleted += 1,
                    _ => c.updated += 1,
                }
            }
            summary.plan.get_or_insert_with(Vec::new).extend(entries);
            return Ok(());
        }

        let exec = execute::Executor {
            oro: self.oro,
            outlook: self.outlook,
            clock: self.clock,
            backups: self.backups,
            kind,
            retried: Default::default(),
            on_done: &on_done,
        };
        // The purge (first sync) runs, and is marked done, before anything else.
        let split = if purge {
            plan.ops
                .iter()
                .position(|op| op.reason != PURGE_REASON)
                .unwrap_or(plan.ops.len())
        } else {
            0
        };
        let mut ks = summary.kinds.remove(&kind).unwrap_or_default();
        let mut errors = std::mem::take(&mut summary.errors);
        let mut result = exec
            .run(state, &plan.ops[..split], &mut ks, &mut errors)
            .await;
        if result.is_ok() && purge {
            result = state.finish_purge(kind).map_err(state_fatal);
        }
        if result.is_ok() {
            result = exec
                .run(state, &plan.ops[split..], &mut ks, &mut errors)
                .await;
        }
        // Values Oro could not take (a country that names none, a state
        // naming none of the country's regions) were kept as Oro had them.
        let kept = self.oro.take_skipped(kind);
        ks.skipped += kept.len();
        summary.kinds.insert(kind, ks);
        summary.errors = errors;
        summary
            .skipped
            .extend(kept.into_iter().map(|(id, why)| Skip {
                kind,
                side: Side::Oro,
                id,
                reason: why,
            }));
        for c in &plan.conflicts {
            state
                .log_conflict(run_id, c, self.clock.now())
                .map_err(state_fatal)?;
        }
        result?;

        self.remember(state, kind, &reading.input)
            .map_err(state_fatal)?;
        // Retried records that did not fail again leave the list.
        let failed_again = exec.retried.borrow().clone();
        let done: Vec<(Side, String)> = reading
            .retried
            .into_iter()
            .filter(|r| !failed_again.contains(r))
            .filter(|(side, id)| !(*side == Side::Oro && reading.unreadable.contains_key(id)))
            .collect();
        state.clear_retries(kind, &done).map_err(state_fatal)?;
        state.clear_intents(kind).map_err(state_fatal)?;
        // A held pair's Outlook change was left out of this run: keep the
        // Outlook cursor where it was so the next run reads it again (our
        // own writes come back as echoes, which change nothing).
        let cursor = if reading.held {
            None
        } else {
            Some(reading.cursor.as_str())
        };
        // Nor does the Oro watermark pass an unreadable record: the next run
        // must list it again to keep its pair held (its own updatedAt is
        // unknown, so the watermark stays where it was until it is fixed).
        let watermark = if reading.unreadable.is_empty() {
            reading.watermark
        } else {
            None
        };
        // Events: the cursor is saved with the window its delta started
        // with (a kept cursor keeps its window).
        let window = (kind == Kind::Events).then_some(&reading.window);
        state
            .finish_kind_in(kind, watermark, cursor, window)
            .map_err(state_fatal)?;
        Ok(())
    }

    /// Remember the unlinked records seen in this run for later key matches,
    /// and forget those that are linked or gone now.
    fn remember(
        &self,
        state: &mut State,
        kind: Kind,
        input: &KindInput,
    ) -> Result<(), crate::state::StateError> {
        // Only the links of the records seen this run: they are all that
        // is asked below.
        let (linked_oro, linked_outlook) = state.linked_among(
            kind,
            input
                .oro_records
                .iter()
                .chain(input.oro_fetched.values().flatten())
                .map(|r| r.id.as_str()),
            input
                .outlook_items
                .iter()
                .chain(input.outlook_fetched.values().flatten())
                .map(|i| i.id.as_str()),
        )?;
        let mut keep = vec![];
        let mut forget = vec![];
        let oro_seen: Vec<&OroRecord> = input
            .oro_records
            .iter()
            .chain(input.oro_fetched.values().flatten())
            .collect();
        for r in oro_seen {
            if linked_oro.contains(&r.id) || r.recurring || !input.oro_ids.contains(&r.id) {
                forget.push((Side::Oro, r.id.clone()));
            } else {
                keep.push(Candidate::Oro(r.clone()));
            }
        }
        let outlook_seen: Vec<&OutlookItem> = input
            .outlook_items
            .iter()
            .chain(input.outlook_fetched.values().flatten())
            .collect();
        for i in outlook_seen {
            let stamped = i.link.as_deref().is_some_and(|l| !l.trim().is_empty());
            if linked_outlook.contains(&i.id) || stamped || i.recurring {
                forget.push((Side::Outlook, i.id.clone()));
            } else {
                keep.push(Candidate::Outlook(i.clone()));
            }
        }
        for id in &input.outlook_removed {
            forget.push((Side::Outlook, id.clone()));
        }
        for (id, r) in &input.outlook_fetched {
            if r.is_none() {
                forget.push((Side::Outlook, id.clone()));
            }
        }
        for c in state.unlinked(kind)? {
            match c {
                Candidate::Oro(r) if !input.oro_ids.contains(&r.id) => {
                    forget.push((Side::Oro, r.id))
                }
                Candidate::Outlook(i)
                    if input.outlook_full && !input.outlook_items.iter().any(|x| x.id == i.id) =>
                {
                    forget.push((Side::Outlook, i.id))
                }
                _ => {}
            }
        }
        state.remember_unlinked(kind, &keep, &forget)
    }
}
