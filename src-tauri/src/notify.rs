//! Desktop notifications (docs/sync-rules.md, "Conflicts": one per run with
//! conflicts; a failed run says what to do). Deciding what to say is pure
//! and tested here; showing it goes through notify-rust, whose failure is
//! only logged by the caller.

use orosync::plan::{GuardNote, Winner};
use orosync::scheduler::{Outcome, Reason};
use orosync::summary::Summary;
use std::sync::Arc;

/// What a notification says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
    /// Opening the settings window on this tab makes sense.
    pub tab: &'static str,
}

/// Shows notices; the desktop's, or a test's.
pub trait Notifier: Send + Sync {
    fn show(&self, n: &Notice) -> Result<(), String>;
}

/// Called with the notice's tab when the user activates a notification.
pub type OnActivate = Arc<dyn Fn(&'static str) + Send + Sync>;

/// The desktop's notification server (`org.freedesktop.Notifications` on
/// Linux), through notify-rust. Activating a notification (where the
/// server supports actions) opens the settings window on its tab.
#[derive(Default)]
pub struct Desktop {
    pub on_activate: Option<OnActivate>,
}

impl Notifier for Desktop {
    fn show(&self, n: &Notice) -> Result<(), String> {
        let mut note = notify_rust::Notification::new();
        note.appname("OroSync")
            .summary(&n.summary)
            .body(&n.body)
            .icon("view-refresh")
            .timeout(notify_rust::Timeout::Milliseconds(10_000));
        if self.on_activate.is_some() {
            note.action("default", "Open settings");
        }
        let handle = note.show().map_err(|e| e.to_string())?;
        #[cfg(all(unix, not(target_os = "macos")))]
        if let Some(cb) = self.on_activate.clone() {
            let tab = n.tab;
            // Waits until the notification is activated or closed; the
            // server closes it after the timeout.
            std::thread::spawn(move || {
                handle.wait_for_action(|action| {
                    if action == "default" {
                        cb(tab)
                    }
                })
            });
        }
        // Elsewhere the handle has no actions to wait for (on Windows it is `()`).
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = handle;
        Ok(())
    }
}

/// Notifications are switched off (tests of other things, `--no-notify`).
pub struct Silent;

impl Notifier for Silent {
    fn show(&self, _: &Notice) -> Result<(), String> {
        Ok(())
    }
}

/// The one notification a run deserves, if any:
/// - conflicts: "N conflicts, Oro won" / "N conflicts need your choice";
/// - a failed run: what went wrong and what to do, once per streak of
///   failures (`first_failure`) so an outage is not a storm;
/// - offline: nothing, unless the user asked for this run.
pub fn notice_for(
    outcome: Outcome,
    summary: Option<&Summary>,
    error: Option<&str>,
    first_failure: bool,
    reason: Reason,
) -> Option<Notice> {
    match outcome {
        Outcome::Done => summary.and_then(conflict_notice),
        Outcome::Failed if first_failure => Some(Notice {
            summary: "OroSync: the sync failed".into(),
            body: error
                .unwrap_or("The sync stopped. Open Settings → History for details.")
                .to_string(),
            tab: "connection",
        }),
        Outcome::Offline if reason == Reason::Requested => Some(Notice {
            summary: "OroSync: servers unreachable".into(),
            body: error
                .unwrap_or("Oro or Outlook cannot be reached; OroSync tries again on its own.")
                .to_string(),
            tab: "history",
        }),
        _ => None,
    }
}

/// Mass deletions held for the user (docs/reliability.md "Deletion
/// guard"): what is gone from where, and where to decide.
pub fn guard_notice(held: &[GuardNote]) -> Option<Notice> {
    let first = held.first()?;
    let what: Vec<String> = held
        .iter()
        .map(|g| format!("{} of {} linked {}", g.count, g.linked, g.kind))
        .collect();
    Some(Notice {
        summary: format!(
            "OroSync: {} deleted in Oro, not deleted in Outlook",
            if held.len() == 1 {
                format!("{} {}", first.count, first.kind)
            } else {
                "many records".to_string()
            }
        ),
        body: format!(
            "{} are gone from Oro. Open Settings → Conflicts to delete their Outlook items or keep them.",
            what.join(", ")
        ),
        tab: "conflicts",
    })
}

fn conflict_notice(s: &Summary) -> Option<Notice> {
    let n = s.conflicts.len();
    if n == 0 {
        return None;
    }
    let count = |w: Winner| s.conflicts.iter().filter(|c| c.winner == w).count();
    let (pending, oro, outlook) = (
        count(Winner::Pending),
        count(Winner::Oro),
        count(Winner::Outlook),
    );
    let conflicts = |n: usize| {
        if n == 1 {
            "1 conflict".to_string()
        } else {
            format!("{n} conflicts")
        }
    };
    let summary = if pending == n {
        if n == 1 {
            "1 conflict needs your choice".to_string()
        } else {
            format!("{n} conflicts need your choice")
        }
    } else if oro == n {
        format!("{}, Oro won", conflicts(n))
    } else if outlook == n {
        format!("{}, Outlook won", conflicts(n))
    } else {
        format!(
            "{}: Oro won {oro}, Outlook won {outlook}, {pending} need your choice",
            conflicts(n)
        )
    };
    let body = if pending > 0 {
        "Open Settings → Conflicts to keep Oro's or Outlook's version.".to_string()
    } else {
        "Both sides were changed; the other version is in the backups folder.".to_string()
    };
    Some(Notice {
        summary: format!("OroSync: {summary}"),
        body,
        tab: "conflicts",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orosync::model::Kind;
    use orosync::plan::ConflictNote;

    fn with_conflicts(winners: &[Winner]) -> Summary {
        let mut s = Summary::new("bidirectional", false);
        for (i, w) in winners.iter().enumerate() {
            s.conflicts.push(ConflictNote {
                kind: Kind::Contacts,
                oro_id: i.to_string(),
                outlook_id: format!("AA{i}"),
                setting: "oro-wins".into(),
                winner: *w,
            });
        }
        s
    }

    #[test]
    fn conflicts_say_how_many_and_who_won() {
        let n = |w: &[Winner]| {
            notice_for(
                Outcome::Done,
                Some(&with_conflicts(w)),
                None,
                true,
                Reason::Interval,
            )
            .map(|n| n.summary)
        };
        assert_eq!(n(&[]), None, "no conflicts, no notification");
        assert_eq!(
            n(&[Winner::Oro, Winner::Oro]).unwrap(),
            "OroSync: 2 conflicts, Oro won"
        );
        assert_eq!(
            n(&[Winner::Outlook]).unwrap(),
            "OroSync: 1 conflict, Outlook won"
        );
        assert_eq!(
            n(&[Winner::Pending, Winner::Pending, Winner::Pending]).unwrap(),
            "OroSync: 3 conflicts need your choice"
        );
    }

    #[test]
    fn failures_once_per_streak_and_offline_only_when_asked() {
        let f =
            |first, reason| notice_for(Outcome::Failed, None, Some("sign in again"), first, reason);
        assert_eq!(f(true, Reason::Interval).unwrap().body, "sign in again");
        assert_eq!(f(false, Reason::Interval), None);
        let o = |reason| notice_for(Outcome::Offline, None, None, true, reason);
        assert_eq!(o(Reason::Interval), None);
        assert_eq!(o(Reason::Startup), None);
        assert!(o(Reason::Requested).is_some());
    }
}
