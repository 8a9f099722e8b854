//! `orosync conflicts [--json]`: the pairs changed on both sides that wait
//! for the user's choice (conflict_resolution = "ask").

use super::{history_failure, output, Failure};
use crate::conflict_view::{readable, ConflictView};
use crate::model::Side;
use crate::profile::Profile;
use crate::state::PendingRow;
use serde::Serialize;
use serde_json::Value;

/// docs/cli.md, "conflicts --json".
#[derive(Debug, Serialize)]
struct ConflictsJson {
    conflicts: Vec<ConflictJson>,
}

#[derive(Debug, Serialize)]
struct ConflictJson {
    /// A string, as documented, so ids may change form without breaking
    /// scripts; `resolve` takes it back as it is.
    id: String,
    kind: &'static str,
    oro_id: String,
    outlook_id: String,
    detected_at: String,
    oro: Value,
    outlook: Value,
    /// Added to the documented fields: the side already chosen with
    /// `resolve` (applied at the next sync), null while undecided.
    resolution: Option<Side>,
}

pub fn run(profile: &Profile, json: bool) -> Result<(), Failure> {
    // No state database: the profile has never synced, so nothing is pending.
    let rows = crate::app::history::conflicts(profile).map_err(|e| history_failure(profile, e))?;
    if json {
        return output::json(&ConflictsJson {
            conflicts: rows
                .into_iter()
                .map(|r| ConflictJson {
                    id: r.id.to_string(),
                    kind: r.kind.as_str(),
                    oro_id: r.oro_id,
                    outlook_id: r.outlook_id,
                    detected_at: output::timestamp(&r.detected_at),
                    oro: readable(&r.oro),
                    outlook: readable(&r.outlook),
                    resolution: r.resolution,
                })
                .collect(),
        });
    }
    output::text(&describe(&rows))
}

/// Each conflict as a heading line and a table of the differing fields,
/// Oro's value next to Outlook's.
fn describe(rows: &[PendingRow]) -> String {
    if rows.is_empty() {
        return "No pending conflicts.\n".into();
    }
    let mut out = String::new();
    for r in rows {
        let state = match r.resolution {
            None => "waiting for your choice".to_string(),
            Some(side) => format!("keeping {}, applied at the next sync", side_name(side)),
        };
        out.push_str(&format!(
            "Conflict {} ({}): Oro {} / Outlook {}, detected {}; {state}\n",
            r.id,
            r.kind,
            r.oro_id,
            r.outlook_id,
            output::when(&r.detected_at)
        ));
        let mut table = vec![vec!["field".to_string(), "Oro".into(), "Outlook".into()]];
        // The view's pairs: addresses one line per differing address.
        for pair in ConflictView::new(r).fields {
            table.push(vec![
                pair.field,
                output::cell(&pair.oro),
                output::cell(&pair.outlook),
            ]);
        }
        out.push_str(&output::table(&table, "  "));
        out.push('\n');
    }
    out.push_str("Choose a side with `orosync resolve ID --keep oro|outlook`; it is applied at the next sync.\n");
    out
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Oro => "Oro's version",
        Side::Outlook => "Outlook's version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conflict_view::field_names;
    use crate::model::Kind;
    use chrono::TimeZone;
    use serde_json::json;

    fn row(oro: Value, outlook: Value) -> PendingRow {
        PendingRow {
            id: 7,
            kind: Kind::Contacts,
            oro_id: "61".into(),
            outlook_id: "AAMk".into(),
            detected_at: chrono::Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
            oro,
            outlook,
            resolution: None,
        }
    }

    #[test]
    fn fields_follow_the_kind_order_then_unknown_ones() {
        let r = row(
            json!({"zzz": 1, "jobTitle": "CFO", "firstName": "Ann"}),
            json!({"jobTitle": "Chief", "lastName": "Lee"}),
        );
        assert_eq!(
            field_names(&r),
            ["firstName", "lastName", "jobTitle", "zzz"]
        );
    }

    #[test]
    fn the_table_shows_both_versions() {
        let text = describe(&[row(
            json!({"jobTitle": "CFO"}),
            json!({"jobTitle": "Chief Financial Officer"}),
        )]);
        assert!(text.starts_with("Conflict 7 (contacts): Oro 61 / Outlook AAMk"));
        assert!(text.contains("  jobTitle  CFO  Chief Financial Officer\n"));
        assert!(text.contains("orosync resolve ID --keep oro|outlook"));
    }
}
