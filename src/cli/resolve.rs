//! `orosync resolve ID --keep oro|outlook`: records the user's choice for a
//! pending conflict. Nothing is written to either server here; the next
//! sync applies the choice (docs/sync-rules.md, "Conflicts").

use super::{history_failure, output, Failure};
use crate::app::{history, AppError};
use crate::model::Side;
use crate::profile::Profile;

pub fn run(profile: &Profile, id: &str, keep: Side) -> Result<(), Failure> {
    let r = history::resolve(profile, id, keep).map_err(|e| match e {
        AppError::Usage(m) => Failure::usage(format!("{m}; `orosync conflicts` lists them")),
        e => history_failure(profile, e),
    })?;
    let which = match keep {
        Side::Oro => "Oro's",
        Side::Outlook => "Outlook's",
    };
    // Read back, so the confirmation names the pair that was chosen.
    let pair = format!(
        "Conflict {} ({}: Oro {} / Outlook {})",
        r.id, r.kind, r.oro_id, r.outlook_id
    );
    output::text(&format!(
        "{pair}: keeping {which} version; it is applied at the next sync.\n"
    ))
}
