//! The tray's managed state and its run loop: the library's [`Scheduler`]
//! says when, the library's [`App`] runs the sync, and this file only joins
//! them to timers, the tray icon and notifications.

use crate::dto::{stamp, StatusDto, TrayState};
use crate::notify::{self, Notice, Notifier};
use chrono::{DateTime, Utc};
use orosync::app::advice::{self, Shell};
use orosync::app::{history, App, AppError, SyncRequest};
use orosync::config::{Config, SyncMode};
use orosync::model::Kind;
use orosync::plan::{GuardChoice, GuardChoices, GuardNote};
use orosync::profile::Profile;
use orosync::scheduler::{Action, Outcome, Reason, Schedule, Scheduler};
use orosync::secrets::SecretStore;
use orosync::summary::{Fatal, Summary};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// How the last run ended, as the tray shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LastRun {
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
    /// "3 changes", "failed", ...
    pub result: String,
    /// What went wrong, with what to do.
    pub error: Option<String>,
}

struct Inner {
    sched: Scheduler,
    /// A confirmed resync is asked for; coalesced like any request.
    resync: bool,
    /// The first-run setup's "Start sync": its preview showed (and the
    /// user accepted) what the first sync deletes.
    first_sync_confirmed: bool,
    last: Option<LastRun>,
    pending_conflicts: usize,
    /// The user's Delete / Keep for held mass deletions, for the next run
    /// (coalesced like any request).
    guard: GuardChoices,
    /// Mass deletions the last run held, waiting for Delete or Keep.
    held: Vec<GuardNote>,
    /// The servers were unreachable at the last check (no error shown).
    offline_reason: Option<String>,
}

/// The tray's state, managed by Tauri (`State<'_, Tray>`).
pub struct Tray {
    pub profile_dir: PathBuf,
    pub secrets: Arc<dyn SecretStore>,
    pub notifier: Arc<dyn Notifier>,
    inner: Mutex<Inner>,
    wake: tokio::sync::Notify,
    /// What `tray.json` says now, to write it only on change.
    published: Mutex<Option<Option<DateTime<Utc>>>>,
}

/// The outcome of one run, for the icon and the notification.
#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub summary: Option<Summary>,
    pub notice: Option<Notice>,
}

impl Tray {
    pub fn new(
        profile_dir: PathBuf,
        secrets: Arc<dyn SecretStore>,
        notifier: Arc<dyn Notifier>,
    ) -> Tray {
        let schedule = match Config::load(&Profile::at(&profile_dir).config_path()) {
            Ok(c) => Schedule::new(c.sync.mode, c.sync.interval_seconds),
            // No (valid) settings yet: nothing runs on its own until they are saved.
            Err(_) => Schedule::new(SyncMode::Manual, 120),
        };
        if let Some(w) = orosync::private_fs::exposure(&profile_dir) {
            tracing::warn!("{w}");
        }
        let pending = pending_count(&profile_dir);
        let last = last_run(&profile_dir);
        let held = held_deletions(&profile_dir);
        Tray {
            profile_dir,
            secrets,
            notifier,
            inner: Mutex::new(Inner {
                sched: Scheduler::new(schedule, Utc::now()),
                resync: false,
                first_sync_confirmed: false,
                last,
                pending_conflicts: pending,
                guard: GuardChoices::default(),
                held,
                offline_reason: None,
            }),
            wake: tokio::sync::Notify::new(),
            published: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the tray down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn config_path(&self) -> PathBuf {
        Profile::at(&self.profile_dir).config_path()
    }

    /// The tray app's own log file ("Open log" in the menu, the About tab).
    pub fn log_path(&self) -> PathBuf {
        orosync::profile::Profile::at(&self.profile_dir)
            .logs_dir()
            .join("tray.log")
    }

    /// Open the profile with this tray's secrets.
    pub fn app(&self) -> Result<App, AppError> {
        App::open_with(&self.profile_dir, self.secrets.clone())
    }

    /// Is the profile set up (a config.toml saved by the first-run setup
    /// or the settings window)? Until then nothing runs: there is nothing
    /// to sync, and the profile folder is not the tray's to create.
    pub fn is_set_up(&self) -> bool {
        self.config_path().exists()
    }

    /// "Sync now": a run now, or one follow-up after the current run.
    /// Ignored (false) while the profile is not set up.
    pub fn request_sync(&self) -> bool {
        if !self.is_set_up() {
            tracing::info!("Sync now ignored: the profile is not set up yet");
            return false;
        }
        let follow_up = self.lock().sched.request();
        self.wake.notify_one();
        follow_up
    }

    /// A confirmed resync at the next run (now, or after the current one).
    pub fn request_resync(&self) {
        let mut g = self.lock();
        g.resync = true;
        g.sched.request();
        drop(g);
        self.wake.notify_one();
    }

    /// The first sync, now, with its deletions confirmed (the setup
    /// showed them in its preview).
    pub fn request_first_sync(&self) {
        let mut g = self.lock();
        g.first_sync_confirmed = true;
        g.sched.request();
        drop(g);
        self.wake.notify_one();
    }

    /// The user's Delete or Keep for a kind's held deletions: applied by a
    /// run now (or right after the current one).
    pub fn decide_held(&self, kind: Kind, choice: GuardChoice) {
        let mut g = self.lock();
        g.guard = g.guard.with(kind, choice);
        g.sched.request();
        drop(g);
        self.wake.notify_one();
    }

    /// Mass deletions held by the last run, waiting for the user.
    pub fn held(&self) -> Vec<GuardNote> {
        self.lock().held.clone()
    }

    /// Pause or resume automatic runs; only a profile that is set up and
    /// syncs automatically has any to pause.
    pub fn set_paused(&self, paused: bool) {
        if paused && !self.can_pause() {
            return;
        }
        self.lock().sched.set_paused(paused, Utc::now());
        self.wake.notify_one();
    }

    /// Is "Pause automatic sync" offered? Not before the setup, and not in
    /// manual mode, where nothing runs on its own (unless it is paused
    /// already: then Resume is offered).
    pub fn can_pause(&self) -> bool {
        self.is_paused()
            || (self.is_set_up() && self.lock().sched.schedule().mode == SyncMode::Automatic)
    }

    pub fn is_paused(&self) -> bool {
        self.lock().sched.is_paused()
    }

    pub fn is_running(&self) -> bool {
        self.lock().sched.is_running()
    }

    pub fn follow_up_pending(&self) -> bool {
        self.lock().sched.follow_up_pending()
    }

    /// Saved settings take effect now.
    pub fn settings_changed(&self, c: &Config) {
        self.lock().sched.set_schedule(
            Schedule::new(c.sync.mode, c.sync.interval_seconds),
            Utc::now(),
        );
        self.wake.notify_one();
    }

    pub fn schedule(&self) -> Schedule {
        self.lock().sched.schedule()
    }

    pub fn refresh_conflicts(&self) {
        let n = pending_count(&self.profile_dir);
        self.lock().pending_conflicts = n;
    }

    pub fn state(&self) -> TrayState {
        let g = self.lock();
        if g.sched.is_running() {
            TrayState::Syncing
        } else if matches!(g.last.as_ref().map(|l| l.outcome), Some(Outcome::Failed)) {
            TrayState::Error
        } else if g.pending_conflicts > 0 || !g.held.is_empty() {
            TrayState::Conflicts
        } else if g.sched.is_offline() {
            TrayState::Offline
        } else if g.sched.is_paused() {
            TrayState::Paused
        } else {
            TrayState::Idle
        }
    }

    /// The disabled status line of the menu, also the tooltip's second line.
    pub fn status_line(&self) -> String {
        let state = self.state();
        if state != TrayState::Syncing && !self.is_set_up() {
            return "Not set up yet".into();
        }
        let g = self.lock();
        if state == TrayState::Syncing {
            return "Syncing…".into();
        }
        let mut line = match &g.last {
            None => "Not synced yet".to_string(),
            Some(l) => format!(
                "Last sync {}: {}",
                l.at.with_timezone(&chrono::Local).format("%H:%M"),
                l.result
            ),
        };
        if g.sched.is_paused() {
            line.push_str(" · automatic sync paused");
        }
        if g.offline_reason.is_some() {
            line.push_str(" · offline");
        }
        if g.pending_conflicts > 0 {
            line.push_str(&format!(" · {} to resolve", g.pending_conflicts));
        }
        let held: usize = g.held.iter().map(|h| h.count).sum();
        if held > 0 {
            line.push_str(&format!(" · {held} deletions to confirm"));
        }
        line
    }

    pub fn status(&self) -> StatusDto {
        let state = self.state();
        let last = self.status_line();
        let g = self.lock();
        StatusDto {
            state,
            last,
            paused: g.sched.is_paused(),
            running: g.sched.is_running(),
            mode: g.sched.schedule().mode.as_str().into(),
            next_run_at: g.sched.next_run_at().as_ref().map(stamp),
            pending_conflicts: g.pending_conflicts,
            error: g
                .last
                .as_ref()
                .and_then(|l| l.error.clone())
                .or_else(|| g.offline_reason.clone()),
            profile: self.profile_dir.display().to_string(),
        }
    }

    /// Tell `orosync status` when the next run is (`<profile>/tray.json`),
    /// when that changed.
    pub fn publish(&self) {
        // Not set up yet: the profile folder is not ours to create (a
        // cancelled first-run setup leaves nothing behind).
        if !self.config_path().exists() {
            return;
        }
        let next = {
            let g = self.lock();
            if g.sched.is_paused() {
                None
            } else {
                g.sched.next_run_at()
            }
        };
        let mut last = self.published.lock().unwrap_or_else(|e| e.into_inner());
        if *last == Some(next) {
            return;
        }
        let status = orosync::tray_status::TrayStatus {
            pid: std::process::id(),
            next_run_at: next,
        };
        match orosync::tray_status::write(&self.profile_dir, &status) {
            Ok(()) => *last = Some(next),
            Err(e) => tracing::debug!("tray.json not written: {e}"),
        }
    }

    /// The app quits: no next run any more.
    pub fn unpublish(&self) {
        orosync::tray_status::remove(&self.profile_dir);
    }

    /// One step of the loop: what the scheduler wants now, with the cheap
    /// online check done here. `Some(reason)` when a run should start.
    pub async fn next_action(&self) -> Action {
        let action = self.lock().sched.poll(Utc::now());
        if action != Action::CheckOnline {
            return action;
        }
        let reach = match Config::load(&self.config_path()) {
            // A config problem is for the run to report, not "offline".
            Err(_) => Ok(()),
            Ok(c) => orosync::reach::check(&c).await,
        };
        let (action, asked) = {
            let mut g = self.lock();
            let asked = match reach {
                Ok(()) => {
                    g.offline_reason = None;
                    g.sched.online();
                    None
                }
                Err(why) => {
                    tracing::info!("offline: {why}");
                    let reason = format!("Offline: {why}. OroSync tries again on its own.");
                    g.offline_reason = Some(reason.clone());
                    // The user's "Sync now" is not run: say so, as for a
                    // run that found the servers gone (docs/tray.md).
                    g.sched.offline(Utc::now()).then_some(reason)
                }
            };
            (g.sched.poll(Utc::now()), asked)
        };
        if let Some(reason) = asked {
            let notice = notify::notice_for(
                Outcome::Offline,
                None,
                Some(&reason),
                true,
                Reason::Requested,
            );
            if let Some(n) = notice {
                self.show(n).await;
            }
        }
        action
    }

    /// Show a notification; a failure is logged and changes nothing else.
    async fn show(&self, n: Notice) {
        let notifier = self.notifier.clone();
        let sent = tokio::task::spawn_blocking(move || notifier.show(&n)).await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("notification not shown: {e}"),
            Err(e) => tracing::warn!("notification not shown: {e}"),
        }
    }

    /// Wait until `until`, or until something changes.
    pub async fn wait(&self, until: Option<DateTime<Utc>>) {
        let sleep = async {
            match until {
                Some(t) => {
                    let d = (t - Utc::now()).to_std().unwrap_or_default();
                    tokio::time::sleep(d).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            _ = self.wake.notified() => {}
        }
    }

    /// Run one sync (the scheduler already counts it as running), record
    /// the outcome, and send its notification. A failed notification is
    /// logged and never fails the run.
    pub async fn run(&self, reason: Reason) -> Report {
        let (resync, first, guard) = {
            let mut g = self.lock();
            (
                std::mem::take(&mut g.resync),
                std::mem::take(&mut g.first_sync_confirmed),
                std::mem::take(&mut g.guard),
            )
        };
        let req = SyncRequest {
            resync,
            confirmed: resync || first,
            guard,
            ..Default::default()
        };
        let result = match self.app() {
            Ok(app) => sync_on_own_thread(app, req).await,
            Err(e) => Err(e),
        };
        let (outcome, summary, error) = classify(result);
        // A Delete / Keep that no finished run applied (offline, failed)
        // waits for the next run, unless the user decided again meanwhile.
        if outcome != Outcome::Done {
            let mut g = self.lock();
            if g.guard == GuardChoices::default() {
                g.guard = guard;
            }
        }
        let now = Utc::now();
        let failures_before = self.lock().sched.failures();
        // A finished run says what is held now; one that stopped says nothing.
        let held_before = self.held();
        let held_now = match (&summary, outcome) {
            (Some(s), Outcome::Done) => s.guard.clone(),
            _ => held_before.clone(),
        };
        self.lock().held = held_now.clone();
        let result_text = match (&summary, outcome) {
            (Some(s), Outcome::Done) => changes(s),
            (_, Outcome::Offline) => "servers unreachable".into(),
            _ => "failed".into(),
        };
        {
            let mut g = self.lock();
            g.sched.finished(outcome, now);
            if outcome == Outcome::Offline {
                g.offline_reason = error.clone();
            } else {
                g.offline_reason = None;
            }
            g.last = Some(LastRun {
                at: now,
                outcome,
                result: result_text,
                error: if outcome == Outcome::Failed {
                    error.clone()
                } else {
                    None
                },
            });
        }
        self.refresh_conflicts();
        // One failure notification per streak, unless the user asked.
        let first_failure = failures_before == 0 || reason == Reason::Requested;
        // Held deletions are announced when they change or when the user
        // asked for the run, not at every automatic run while they wait.
        let guard_notice = (held_now != held_before || reason == Reason::Requested)
            .then(|| notify::guard_notice(&held_now))
            .flatten();
        let notice = guard_notice.or_else(|| {
            notify::notice_for(
                outcome,
                summary.as_ref(),
                error.as_deref(),
                first_failure,
                reason,
            )
        });
        if let Some(n) = &notice {
            self.show(n.clone()).await;
        }
        Report {
            outcome,
            summary,
            notice,
        }
    }
}

/// `App::sync` on a thread of its own (`blocking`): the engine's future
/// holds the SQLite connection across awaits, so it is not `Send`.
pub async fn sync_on_own_thread(app: App, req: SyncRequest) -> Result<Summary, AppError> {
    crate::blocking::on_own_thread("the sync", move || async move {
        app.sync(&req, || {
            tracing::info!("another sync of this profile is running; waiting for it")
        })
        .await
    })
    .await
}

/// A run's result as the scheduler sees it, with the summary and the error
/// text (which says what to do).
fn classify(r: Result<Summary, AppError>) -> (Outcome, Option<Summary>, Option<String>) {
    let advice = |f: &Fatal| Some(advice::for_fatal(f, Shell::Tray));
    match r {
        Ok(s) => match &s.fatal {
            None => (Outcome::Done, Some(s), None),
            Some(f @ Fatal::Unavailable(_)) => {
                let m = advice(f);
                (Outcome::Offline, Some(s), m)
            }
            Some(f @ (Fatal::Auth(_) | Fatal::State(_))) => {
                let m = advice(f);
                (Outcome::Failed, Some(s), m)
            }
        },
        Err(e) => {
            let outcome = match e {
                AppError::Unreachable(_) => Outcome::Offline,
                _ => Outcome::Failed,
            };
            (outcome, None, Some(advice::for_error(&e, Shell::Tray)))
        }
    }
}

/// "3 changes", "no changes", "2 changes, 1 failed".
pub fn changes(s: &Summary) -> String {
    let mut t = writes_in_words(s.total_writes());
    if !s.errors.is_empty() {
        t.push_str(&format!(", {} failed", s.errors.len()));
    }
    t
}

/// The last finished run of the history (another process's, or ours
/// before a restart), as the tray shows it.
fn last_run(dir: &std::path::Path) -> Option<LastRun> {
    let r = history::last_run(&Profile::at(dir)).ok()??;
    let (at, exit) = (r.finished_at?, r.exit?);
    let summary = history::summary_of(&r);
    let (outcome, result) = match exit {
        // 2: the run finished with mass deletions held for the user.
        0..=2 => (
            Outcome::Done,
            writes_in_words(summary.map_or(0, |s| s.total_writes())),
        ),
        4 => (Outcome::Offline, "servers unreachable".to_string()),
        _ => (Outcome::Failed, "failed".to_string()),
    };
    Some(LastRun {
        at,
        outcome,
        result,
        error: None,
    })
}

/// "3 changes", "no changes": the writes alone (a restart shows the last
/// run's writes, not its failures).
fn writes_in_words(n: usize) -> String {
    match n {
        0 => "no changes".to_string(),
        1 => "1 change".to_string(),
        n => format!("{n} changes"),
    }
}

/// The mass deletions the last finished run held (from its summary in
/// the history), so they are listed after a restart too.
fn held_deletions(dir: &std::path::Path) -> Vec<GuardNote> {
    history::held_deletions(&Profile::at(dir)).unwrap_or_default()
}

fn pending_count(dir: &std::path::Path) -> usize {
    history::conflict_counts(&Profile::at(dir))
        .map(|(waiting, _)| waiting)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_is_offline_not_failure() {
        let (o, _, e) = classify(Err(AppError::Unreachable("oro.example: refused".into())));
        assert_eq!(o, Outcome::Offline);
        assert!(e.unwrap().contains("tries again"));
        let (o, _, e) = classify(Err(AppError::SignIn("refused".into())));
        assert_eq!(o, Outcome::Failed);
        assert!(e.is_some());
    }

    #[test]
    fn changes_in_words() {
        let mut s = Summary::new("bidirectional", false);
        assert_eq!(changes(&s), "no changes");
        s.kind_mut(orosync::model::Kind::Tasks).oro.created = 2;
        assert_eq!(changes(&s), "2 changes");
    }
}
