//! The profile's run history and the conflicts waiting for the user, for
//! `orosync status`, `conflicts` and `resolve` and the tray's windows
//! alike. Reading never creates the state database: a profile that has
//! never synced has no runs and no conflicts.

use super::AppError;
use crate::model::Side;
use crate::plan::GuardNote;
use crate::profile::Profile;
use crate::state::{PendingRow, RunRecord, State};
use crate::summary::Summary;

/// The profile's state database if there is one; `None` when the profile
/// has never synced (the first sync creates it).
pub fn existing_state(profile: &Profile) -> Result<Option<State>, AppError> {
    let path = profile.state_path();
    if !path.exists() {
        tracing::debug!("no state database at {}", path.display());
        return Ok(None);
    }
    tracing::debug!("opening {}", path.display());
    Ok(Some(State::open(&path)?))
}

/// The most recent runs, newest first, at most `limit`.
pub fn runs(profile: &Profile, limit: usize) -> Result<Vec<RunRecord>, AppError> {
    match existing_state(profile)? {
        None => Ok(vec![]),
        Some(state) => Ok(state.runs(limit)?),
    }
}

/// The most recent run (finished or not).
pub fn last_run(profile: &Profile) -> Result<Option<RunRecord>, AppError> {
    Ok(runs(profile, 1)?.into_iter().next())
}

/// A run's summary as kept in the history (see [`Summary::from_stored`]).
pub fn summary_of(run: &RunRecord) -> Option<Summary> {
    run.summary.as_ref().and_then(Summary::from_stored)
}

/// The mass deletions the last run held (docs/reliability.md "Deletion
/// guard"), from its summary: they wait for Delete or Keep across
/// restarts.
pub fn held_deletions(profile: &Profile) -> Result<Vec<GuardNote>, AppError> {
    Ok(last_run(profile)?
        .as_ref()
        .and_then(summary_of)
        .map(|s| s.guard)
        .unwrap_or_default())
}

/// The pending conflicts, those already decided (applied at the next
/// sync) among them, in the order the state keeps them.
pub fn conflicts(profile: &Profile) -> Result<Vec<PendingRow>, AppError> {
    match existing_state(profile)? {
        None => Ok(vec![]),
        Some(state) => Ok(state.pending(None)?),
    }
}

/// How many conflicts wait for the user's choice, and how many are
/// chosen already and wait only for the next sync.
pub fn conflict_counts(profile: &Profile) -> Result<(usize, usize), AppError> {
    let rows = conflicts(profile)?;
    let chosen = rows.iter().filter(|r| r.resolution.is_some()).count();
    Ok((rows.len() - chosen, chosen))
}

/// Record the user's choice for the pending conflict `id` (the text of
/// `conflicts --json`'s id, or of the tray's list). Nothing is written to
/// either server here; the next sync applies it (docs/sync-rules.md,
/// "Conflicts"). Returns the conflict as it is now, to name the pair.
pub fn resolve(profile: &Profile, id: &str, keep: Side) -> Result<PendingRow, AppError> {
    let unknown = || AppError::Usage(format!("no pending conflict with id {id:?}"));
    // Ids are taken as text (they are strings in `conflicts --json`), so a
    // malformed one is the same "unknown id" as a missing one.
    let Ok(n) = id.trim().parse::<i64>() else {
        return Err(unknown());
    };
    // No state database: never synced, so no conflict can be pending.
    let Some(mut state) = existing_state(profile)? else {
        return Err(unknown());
    };
    if !state.resolve(n, keep)? {
        return Err(unknown());
    }
    state
        .pending(None)?
        .into_iter()
        .find(|r| r.id == n)
        .ok_or_else(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use serde_json::json;

    fn profile() -> (tempfile::TempDir, Profile) {
        let dir = tempfile::tempdir().unwrap();
        let p = Profile::open(dir.path()).unwrap();
        (dir, p)
    }

    fn at(s: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_profile_that_never_synced_has_no_history_and_none_is_created() {
        let (_d, p) = profile();
        assert!(runs(&p, 10).unwrap().is_empty());
        assert!(last_run(&p).unwrap().is_none());
        assert!(conflicts(&p).unwrap().is_empty());
        assert_eq!(conflict_counts(&p).unwrap(), (0, 0));
        assert!(held_deletions(&p).unwrap().is_empty());
        assert!(!p.state_path().exists());
    }

    #[test]
    fn runs_come_newest_first_with_their_summaries_typed() {
        let (_d, p) = profile();
        let mut state = State::open(&p.state_path()).unwrap();
        let mut s = Summary::new("bidirectional", false);
        s.kind_mut(Kind::Tasks).outlook.created = 3;
        for i in 0..3 {
            let id = state.start_run(at(i)).unwrap();
            state
                .finish_run(id, at(i + 1), 0, &serde_json::to_value(&s).unwrap())
                .unwrap();
        }
        drop(state);
        let rs = runs(&p, 2).unwrap();
        assert_eq!(rs.len(), 2);
        assert!(rs[0].id > rs[1].id);
        assert_eq!(summary_of(&rs[0]).unwrap(), s);
        assert_eq!(summary_of(&rs[0]).unwrap().total_writes(), 3);
    }

    #[test]
    fn a_stored_summary_of_another_version_is_read_loosely() {
        let partial = json!({"kinds": {"tasks": {"oro": {"created": 2}}},
                             "fatal": {"class": "unavailable", "message": "crm down"}});
        let s = Summary::from_stored(&partial).unwrap();
        assert_eq!(s.total_writes(), 2);
        assert_eq!(s.fatal.unwrap().message(), "crm down");
        assert_eq!(Summary::from_stored(&json!({})).unwrap().total_writes(), 0);
        assert!(Summary::from_stored(&json!({"kinds": 3})).is_none());
        assert!(Summary::from_stored(&json!([1])).is_none());
    }

    #[test]
    fn the_last_runs_held_deletions_are_listed() {
        let (_d, p) = profile();
        let mut state = State::open(&p.state_path()).unwrap();
        let mut s = Summary::new("bidirectional", false);
        s.guard.push(GuardNote {
            kind: Kind::Contacts,
            side: Side::Oro,
            count: 12,
            linked: 20,
            items: vec![],
        });
        let id = state.start_run(at(0)).unwrap();
        state
            .finish_run(id, at(1), 2, &serde_json::to_value(&s).unwrap())
            .unwrap();
        drop(state);
        assert_eq!(held_deletions(&p).unwrap(), s.guard);
    }

    fn with_conflicts(p: &Profile) -> Vec<i64> {
        let mut state = State::open(&p.state_path()).unwrap();
        for n in 1..=2 {
            state
                .add_pending(
                    Kind::Contacts,
                    &format!("{n}"),
                    &format!("AAM{n}"),
                    at(n),
                    &json!({"firstName": "Ann"}),
                    &json!({"firstName": "Anne"}),
                )
                .unwrap();
        }
        state.pending(None).unwrap().iter().map(|r| r.id).collect()
    }

    #[test]
    fn resolve_records_the_choice_and_counts_move_from_waiting_to_chosen() {
        let (_d, p) = profile();
        let ids = with_conflicts(&p);
        assert_eq!(conflict_counts(&p).unwrap(), (2, 0));
        let row = resolve(&p, &format!(" {} ", ids[0]), Side::Outlook).unwrap();
        assert_eq!((row.id, row.resolution), (ids[0], Some(Side::Outlook)));
        assert_eq!(conflict_counts(&p).unwrap(), (1, 1));
        let listed = conflicts(&p).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(
            listed.iter().find(|r| r.id == ids[1]).unwrap().resolution,
            None
        );
    }

    #[test]
    fn an_unknown_or_malformed_id_is_a_usage_error_and_changes_nothing() {
        let (_d, p) = profile();
        for id in ["7", "x"] {
            let e = resolve(&p, id, Side::Oro).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("no pending conflict with id"), "{e}");
        }
        assert!(!p.state_path().exists(), "nothing is created");
        let ids = with_conflicts(&p);
        let e = resolve(&p, &(ids[1] + 100).to_string(), Side::Oro).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(conflict_counts(&p).unwrap(), (2, 0));
    }
}
