//! When runs happen (docs/sync-rules.md, "Sync type and limits"), as a pure state machine: the
//! caller tells it the time and what happened, it answers whether a run is
//! due and when the next one is. No clock, no threads, no IO, so the tray
//! (or a future `orosync watch`) drives it and tests step it by hand.
//!
//! - Automatic mode: a run at start-up, then one every interval.
//! - Manual mode: a run only when asked ([`Scheduler::request`]).
//! - A request during a run is coalesced into one follow-up run.
//! - A failed run is retried at the next interval, then with a growing
//!   backoff (doubling, capped at [`MAX_BACKOFF`] or the interval if longer).
//! - Offline (the configured servers cannot be reached) is not a failure:
//!   the caller re-checks cheaply every [`OFFLINE_RECHECK`] and runs when
//!   they answer again; no run, no error, no notification meanwhile.
//! - Changed settings take effect at once: a new interval re-times the next
//!   run from the last one.

use crate::config::SyncMode;
use chrono::{DateTime, Duration, Utc};

/// How often an offline app looks again whether the servers answer.
pub const OFFLINE_RECHECK: Duration = Duration::seconds(30);
/// The longest wait after repeated failures (unless the interval is longer).
pub const MAX_BACKOFF: Duration = Duration::hours(1);

/// What the scheduler needs of the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub mode: SyncMode,
    pub interval: Duration,
}

impl Schedule {
    pub fn new(mode: SyncMode, interval_seconds: u32) -> Schedule {
        Schedule {
            mode,
            interval: Duration::seconds(i64::from(interval_seconds.max(1))),
        }
    }
}

/// Why a run starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The first automatic run after start-up.
    Startup,
    /// The interval elapsed (or the backoff after a failure).
    Interval,
    /// The user asked (tray menu, settings window).
    Requested,
}

/// How a run ended, as far as scheduling is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Finished; items that failed are retried by the engine next time.
    Done,
    /// Stopped by an error (sign-in refused, a server failing, state).
    Failed,
    /// The configured servers could not be reached: wait for them.
    Offline,
}

/// What the caller should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start a run (the scheduler now counts it as running).
    Run(Reason),
    /// Check cheaply whether the servers answer, then call
    /// [`Scheduler::online`] or [`Scheduler::offline`].
    CheckOnline,
    /// Nothing until this time (or until told of a change); `None`: until told.
    Wait(Option<DateTime<Utc>>),
}

#[derive(Clone, Debug)]
pub struct Scheduler {
    schedule: Schedule,
    paused: bool,
    running: bool,
    /// A user request waiting (possibly for the current run to end).
    requested: bool,
    /// The next automatic run; `None` in manual mode or while paused.
    next_auto: Option<DateTime<Utc>>,
    /// Start-up run not yet made.
    startup_pending: bool,
    last_finished: Option<DateTime<Utc>>,
    failures: u32,
    /// While offline: when to look again.
    offline_until: Option<DateTime<Utc>>,
    /// The servers were probed and answered: the due run may start.
    online_checked: bool,
}

impl Scheduler {
    pub fn new(schedule: Schedule, now: DateTime<Utc>) -> Scheduler {
        let auto = schedule.mode == SyncMode::Automatic;
        Scheduler {
            schedule,
            paused: false,
            running: false,
            requested: false,
            next_auto: auto.then_some(now),
            startup_pending: auto,
            last_finished: None,
            failures: 0,
            offline_until: None,
            online_checked: false,
        }
    }

    pub fn schedule(&self) -> Schedule {
        self.schedule
    }
    pub fn is_running(&self) -> bool {
        self.running
    }
    pub fn is_paused(&self) -> bool {
        self.paused
    }
    pub fn is_offline(&self) -> bool {
        self.offline_until.is_some()
    }
    /// Failed runs in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }
    /// A follow-up run is waiting for the current one to end.
    pub fn follow_up_pending(&self) -> bool {
        self.running && self.requested
    }

    /// When the next automatic run is due (`status --json`'s `next_run_at`);
    /// `None` in manual mode or while paused.
    pub fn next_run_at(&self) -> Option<DateTime<Utc>> {
        if self.paused {
            return None;
        }
        self.next_auto
    }

    /// The user asks for a run. During a run this only marks one follow-up
    /// run, however often it is asked. Returns true when it started a
    /// follow-up (i.e. a run is going on), false when it will run now.
    pub fn request(&mut self) -> bool {
        self.requested = true;
        // A request is a good moment to look again whether we are online.
        self.offline_until = self.offline_until.map(|_| DateTime::<Utc>::MIN_UTC);
        self.running
    }

    /// Pause or resume automatic runs; requests still run while paused.
    pub fn set_paused(&mut self, paused: bool, now: DateTime<Utc>) {
        if self.paused == paused {
            return;
        }
        self.paused = paused;
        if !paused && self.schedule.mode == SyncMode::Automatic {
            // Resuming: catch up at once if a run was due while paused.
            let due = self.due_after_last(now);
            self.next_auto = Some(due.min(self.next_auto.unwrap_or(due)).max(now));
        }
    }

    /// New settings, effective now.
    pub fn set_schedule(&mut self, schedule: Schedule, now: DateTime<Utc>) {
        if schedule == self.schedule {
            return;
        }
        let was_auto = self.schedule.mode == SyncMode::Automatic;
        self.schedule = schedule;
        self.next_auto = match schedule.mode {
            SyncMode::Manual => None,
            // Switched on: the first automatic run one interval from now.
            SyncMode::Automatic if !was_auto => Some(now + schedule.interval),
            // A new interval: re-timed from the last run, never in the past.
            SyncMode::Automatic => Some(self.due_after_last(now).max(now)),
        };
        if schedule.mode == SyncMode::Manual {
            self.startup_pending = false;
        }
    }

    fn due_after_last(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.last_finished {
            Some(t) => t + self.wait_after(self.failures),
            None => now,
        }
    }

    /// The wait before the next automatic run after `failures` failed runs
    /// in a row.
    pub fn wait_after(&self, failures: u32) -> Duration {
        let interval = self.schedule.interval;
        if failures <= 1 {
            return interval;
        }
        let cap = MAX_BACKOFF.max(interval);
        let factor = 1i32 << (failures - 1).min(16);
        interval.checked_mul(factor).unwrap_or(cap).min(cap)
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: DateTime<Utc>) -> Action {
        if self.running {
            return Action::Wait(None);
        }
        let auto_due = !self.paused && self.next_auto.is_some_and(|t| t <= now);
        if !(self.requested || auto_due) {
            return Action::Wait(self.wake_at());
        }
        if let Some(until) = self.offline_until {
            if until > now {
                return Action::Wait(Some(until));
            }
        }
        if !self.online_checked {
            return Action::CheckOnline;
        }
        self.online_checked = false;
        self.running = true;
        let reason = if self.requested {
            Reason::Requested
        } else if std::mem::take(&mut self.startup_pending) {
            Reason::Startup
        } else {
            Reason::Interval
        };
        self.requested = false;
        Action::Run(reason)
    }

    fn wake_at(&self) -> Option<DateTime<Utc>> {
        if self.paused {
            None
        } else {
            self.next_auto
        }
    }

    /// The probe found the servers answering: the due run may start.
    pub fn online(&mut self) {
        self.offline_until = None;
        self.online_checked = true;
    }

    /// The probe found them unreachable: look again in [`OFFLINE_RECHECK`].
    /// A pending user request is dropped; true when there was one, so the
    /// caller tells the user (once) that the run they asked for did not
    /// start.
    pub fn offline(&mut self, now: DateTime<Utc>) -> bool {
        self.offline_until = Some(now + OFFLINE_RECHECK);
        self.online_checked = false;
        std::mem::take(&mut self.requested)
    }

    /// The run started by [`poll`](Self::poll) ended.
    pub fn finished(&mut self, outcome: Outcome, now: DateTime<Utc>) {
        self.running = false;
        self.last_finished = Some(now);
        match outcome {
            Outcome::Done => {
                self.failures = 0;
                self.offline_until = None;
            }
            Outcome::Failed => self.failures = self.failures.saturating_add(1),
            Outcome::Offline => {
                self.offline_until = Some(now + OFFLINE_RECHECK);
            }
        }
        if self.schedule.mode == SyncMode::Automatic {
            let wait = match outcome {
                Outcome::Offline => Duration::zero(),
                _ => self.wait_after(self.failures),
            };
            self.next_auto = Some(now + wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn auto(interval: u32) -> Schedule {
        Schedule::new(SyncMode::Automatic, interval)
    }

    /// Poll at `now`, answering the online check with `online`.
    fn step(s: &mut Scheduler, now: DateTime<Utc>, online: bool) -> Action {
        match s.poll(now) {
            Action::CheckOnline => {
                if online {
                    s.online();
                } else {
                    let _ = s.offline(now);
                }
                s.poll(now)
            }
            a => a,
        }
    }

    #[test]
    fn automatic_runs_at_start_then_every_interval() {
        let mut s = Scheduler::new(auto(120), t(0));
        assert_eq!(step(&mut s, t(0), true), Action::Run(Reason::Startup));
        assert_eq!(s.poll(t(1)), Action::Wait(None), "nothing while running");
        s.finished(Outcome::Done, t(5));
        assert_eq!(s.next_run_at(), Some(t(125)));
        assert_eq!(step(&mut s, t(100), true), Action::Wait(Some(t(125))));
        assert_eq!(step(&mut s, t(125), true), Action::Run(Reason::Interval));
    }

    #[test]
    fn manual_never_runs_on_its_own() {
        let mut s = Scheduler::new(Schedule::new(SyncMode::Manual, 30), t(0));
        for secs in [0, 30, 3600, 86_400 * 7] {
            assert_eq!(step(&mut s, t(secs), true), Action::Wait(None));
        }
        assert_eq!(s.next_run_at(), None);
        assert!(!s.request());
        assert_eq!(step(&mut s, t(10), true), Action::Run(Reason::Requested));
        s.finished(Outcome::Done, t(11));
        assert_eq!(step(&mut s, t(100_000), true), Action::Wait(None));
    }

    #[test]
    fn requests_during_a_run_coalesce_into_one_follow_up() {
        let mut s = Scheduler::new(Schedule::new(SyncMode::Manual, 120), t(0));
        s.request();
        assert_eq!(step(&mut s, t(0), true), Action::Run(Reason::Requested));
        assert!(s.request(), "a run is going on: follow-up");
        assert!(s.request());
        assert!(s.request());
        assert!(s.follow_up_pending());
        s.finished(Outcome::Done, t(3));
        assert_eq!(step(&mut s, t(3), true), Action::Run(Reason::Requested));
        s.finished(Outcome::Done, t(4));
        assert_eq!(
            step(&mut s, t(5), true),
            Action::Wait(None),
            "three requests during one run made exactly one follow-up run"
        );
    }

    #[test]
    fn failures_back_off_and_success_resets() {
        let mut s = Scheduler::new(auto(60), t(0));
        assert_eq!(step(&mut s, t(0), true), Action::Run(Reason::Startup));
        s.finished(Outcome::Failed, t(0));
        assert_eq!(
            s.next_run_at(),
            Some(t(60)),
            "first retry at the next interval"
        );
        assert_eq!(step(&mut s, t(60), true), Action::Run(Reason::Interval));
        s.finished(Outcome::Failed, t(60));
        assert_eq!(s.next_run_at(), Some(t(180)), "then twice the interval");
        step(&mut s, t(180), true);
        s.finished(Outcome::Failed, t(180));
        assert_eq!(s.next_run_at(), Some(t(420)), "then four times");
        for _ in 0..20 {
            let due = s.next_run_at().unwrap();
            assert!(matches!(step(&mut s, due, true), Action::Run(_)));
            s.finished(Outcome::Failed, due);
        }
        let last = s.last_finished.unwrap();
        assert_eq!(s.next_run_at(), Some(last + MAX_BACKOFF), "capped");
        let due = s.next_run_at().unwrap();
        step(&mut s, due, true);
        s.finished(Outcome::Done, due);
        assert_eq!(s.failures(), 0);
        assert_eq!(s.next_run_at(), Some(due + Duration::seconds(60)));
    }

    #[test]
    fn backoff_never_shortens_a_long_interval() {
        let s = Scheduler::new(auto(86_400), t(0));
        for n in 0..40 {
            assert_eq!(s.wait_after(n), Duration::seconds(86_400));
        }
    }

    #[test]
    fn offline_rechecks_cheaply_without_running() {
        let mut s = Scheduler::new(auto(120), t(0));
        assert_eq!(s.poll(t(0)), Action::CheckOnline);
        assert!(!s.offline(t(0)), "an automatic run: nobody to tell");
        assert!(s.is_offline());
        // Polled often (e.g. woken by timers): no run and no new check
        // before the re-check time.
        for secs in 1..30 {
            assert_eq!(s.poll(t(secs)), Action::Wait(Some(t(30))));
        }
        assert_eq!(s.poll(t(30)), Action::CheckOnline);
        s.offline(t(30));
        assert_eq!(s.poll(t(59)), Action::Wait(Some(t(60))));
        assert_eq!(s.failures(), 0, "offline is not a failure");
        assert_eq!(s.poll(t(60)), Action::CheckOnline);
        s.online();
        assert!(!s.is_offline());
        assert_eq!(s.poll(t(60)), Action::Run(Reason::Startup));
    }

    #[test]
    fn a_run_that_finds_the_servers_gone_waits_for_them() {
        let mut s = Scheduler::new(auto(600), t(0));
        step(&mut s, t(0), true);
        s.finished(Outcome::Offline, t(2));
        assert_eq!(s.failures(), 0);
        assert_eq!(s.poll(t(10)), Action::Wait(Some(t(32))));
        assert_eq!(s.poll(t(32)), Action::CheckOnline);
    }

    #[test]
    fn a_request_while_offline_checks_again_at_once() {
        let mut s = Scheduler::new(Schedule::new(SyncMode::Manual, 600), t(0));
        s.request();
        assert_eq!(s.poll(t(0)), Action::CheckOnline);
        assert!(
            s.offline(t(0)),
            "the user's request was dropped: they are told"
        );
        assert_eq!(s.poll(t(1)), Action::Wait(None), "the request was answered");
        s.request();
        assert_eq!(s.poll(t(2)), Action::CheckOnline);
    }

    #[test]
    fn settings_changes_take_effect_without_restart() {
        let mut s = Scheduler::new(auto(600), t(0));
        step(&mut s, t(0), true);
        s.finished(Outcome::Done, t(0));
        assert_eq!(s.next_run_at(), Some(t(600)));
        // Shorter interval: re-timed from the last run.
        s.set_schedule(auto(60), t(10));
        assert_eq!(s.next_run_at(), Some(t(60)));
        // Shorter than the time already passed: due now, not in the past.
        s.set_schedule(auto(30), t(45));
        assert_eq!(s.next_run_at(), Some(t(45)));
        // Manual: nothing scheduled.
        s.set_schedule(Schedule::new(SyncMode::Manual, 30), t(50));
        assert_eq!(s.next_run_at(), None);
        assert_eq!(step(&mut s, t(5000), true), Action::Wait(None));
        // Back to automatic: the first run one interval later.
        s.set_schedule(auto(120), t(5000));
        assert_eq!(s.next_run_at(), Some(t(5120)));
    }

    #[test]
    fn paused_skips_automatic_runs_but_not_requests() {
        let mut s = Scheduler::new(auto(60), t(0));
        step(&mut s, t(0), true);
        s.finished(Outcome::Done, t(0));
        s.set_paused(true, t(1));
        assert_eq!(s.next_run_at(), None);
        assert_eq!(step(&mut s, t(500), true), Action::Wait(None));
        s.request();
        assert_eq!(step(&mut s, t(501), true), Action::Run(Reason::Requested));
        s.finished(Outcome::Done, t(502));
        s.set_paused(false, t(1000));
        assert_eq!(s.next_run_at(), Some(t(1000)), "overdue: at once");
        assert_eq!(step(&mut s, t(1000), true), Action::Run(Reason::Interval));
    }
}
