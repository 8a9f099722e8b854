//! `orosync resolve ID --keep oro|outlook`: records the user's choice for a
//! pending conflict. Nothing is written to either server here; the next
//! sync applies the choice (docs/sync-rules.md, "Conflicts").

use super::{open_state, output, Failure};
use crate::model::Side;
use crate::profile::Profile;

pub fn run(profile: &Profile, id: &str, keep: Side) -> Result<(), Failure> {
    let unknown = || {
        Failure::usage(format!(
            "no pending conflict with id {id:?}; `orosync conflicts` lists them"
        ))
    };
    // Ids are taken as text (they are strings in `conflicts --json`), so a
    // malformed one is the same "unknown id" as a missing one.
    let Ok(n) = id.trim().parse::<i64>() else {
        return Err(unknown());
    };
    // No state database: never synced, so no conflict can be pending.
    let Some(mut state) = open_state(profile)? else {
        return Err(unknown());
    };
    let fail = |e| super::state_failure(&profile.state_path(), e);
    if !state.resolve(n, keep).map_err(fail)? {
        return Err(unknown());
    }
    // Read back for the confirmation, so it names the pair that was chosen.
    let row = state
        .pending(None)
        .map_err(fail)?
        .into_iter()
        .find(|r| r.id == n);
    let which = match keep {
        Side::Oro => "Oro's",
        Side::Outlook => "Outlook's",
    };
    let pair = match row {
        Some(r) => format!(
            "Conflict {n} ({}: Oro {} / Outlook {})",
            r.kind, r.oro_id, r.outlook_id
        ),
        None => format!("Conflict {n}"),
    };
    output::text(&format!(
        "{pair}: keeping {which} version; it is applied at the next sync.\n"
    ))
}
