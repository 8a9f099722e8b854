//! `orosync sync`: one run against the configured servers.

use super::{Failure, SyncArgs};
use crate::app::{App, AppError, SyncRequest};
use crate::plan::{GuardChoice, GuardChoices};
use crate::profile::Profile;
use crate::summary::Summary;
use std::io::{BufRead, IsTerminal, Write};

pub fn run(profile: &Profile, args: SyncArgs) -> Result<(), Failure> {
    let app = App::open(&profile.dir).map_err(app_failure)?;
    let mut req = SyncRequest {
        direction: args.direction,
        kinds: args.kinds.map(|k| k.into_iter().map(Into::into).collect()),
        resync: args.resync,
        dry_run: args.dry_run,
        confirmed: args.yes,
        guard: GuardChoices::all(if args.yes {
            GuardChoice::Delete
        } else if args.keep {
            GuardChoice::Keep
        } else {
            GuardChoice::Ask
        }),
    };
    let rt = super::runtime()?;
    let wait =
        || eprintln!("orosync: another sync of this profile is running; waiting for it to finish…");
    let line = super::progress::ProgressLine::new(std::io::stderr().is_terminal() && !args.json);
    let progress = |p: &crate::engine::Progress| line.update(p);
    let result = rt.block_on(app.sync_reporting(&req, wait, &progress));
    line.finish();
    let summary = match result {
        Err(AppError::NeedsConfirmation { deletes })
            if std::io::stdin().is_terminal() && !args.json =>
        {
            if !confirm(deletes) {
                return Err(Failure::usage(
                    "nothing was changed: the first sync was not confirmed",
                ));
            }
            req.confirmed = true;
            let r = rt.block_on(app.sync_reporting(&req, wait, &progress));
            line.finish();
            r.map_err(app_failure)?
        }
        other => other.map_err(app_failure)?,
    };
    if args.json {
        super::output::json(&summary)?;
    } else {
        super::output::text(&summary_text(&summary))?;
    }
    match summary.exit_code() {
        0 => Ok(()),
        code => Err(Failure {
            code: code as u8,
            message: what_to_do(&summary),
        }),
    }
}

/// Asks on the terminal; true when the user agreed.
fn confirm(deletes: usize) -> bool {
    eprint!(
        "This first sync deletes {deletes} Outlook item(s) that carry an Oro id (they are backed up), \
         then pairs everything again by key. Continue? [y/N] "
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_lowercase().as_str(), "y" | "yes")
}

pub(super) fn app_failure(e: AppError) -> Failure {
    Failure {
        code: e.exit_code() as u8,
        message: e.to_string(),
    }
}

fn what_to_do(s: &Summary) -> String {
    match &s.fatal {
        Some(f) => crate::app::advice::for_fatal(f, crate::app::advice::Shell::Cli),
        None if s.errors.is_empty() && !s.guard.is_empty() => s
            .guard
            .iter()
            .map(|g| g.message())
            .collect::<Vec<_>>()
            .join("; "),
        None => format!(
            "{} item(s) failed (listed above); the next sync retries them",
            s.errors.len()
        ),
    }
}

/// The run in plain words, one line per kind and per notable item.
fn summary_text(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if s.dry_run {
        out.push_str("Dry run: nothing was written.\n");
        for e in s.plan.iter().flatten() {
            let _ = writeln!(
                out,
                "  would {} {} {} {}: {}",
                e.action, e.side, e.kind, e.id, e.reason
            );
        }
    }
    for (kind, k) in &s.kinds {
        let _ = write!(
            out,
            "{kind:<9} Oro: {} created, {} updated   Outlook: {} created, {} updated, {} deleted",
            k.oro.created, k.oro.updated, k.outlook.created, k.outlook.updated, k.outlook.deleted,
        );
        if k.first_sync {
            out.push_str("   (first sync)");
        }
        if k.conflicts > 0 {
            let _ = write!(out, "   {} conflict(s)", k.conflicts);
        }
        if k.failed > 0 {
            let _ = write!(out, "   {} failed", k.failed);
        }
        out.push('\n');
    }
    for c in &s.conflicts {
        let winner = serde_json::to_value(c.winner)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "conflict: {} Oro {} / Outlook {}: {} ({})",
            c.kind, c.oro_id, c.outlook_id, winner, c.setting
        );
    }
    for sk in &s.skipped {
        let _ = writeln!(
            out,
            "skipped: {} {} {}: {}",
            sk.kind, sk.side, sk.id, sk.reason
        );
    }
    for e in &s.errors {
        let _ = writeln!(out, "failed: {} {} {}: {}", e.kind, e.side, e.id, e.message);
    }
    for g in &s.guard {
        let _ = writeln!(
            out,
            "held: {} of {} linked {} are gone from Oro; their Outlook items were not deleted:",
            g.count, g.linked, g.kind
        );
        for i in &g.items {
            let _ = writeln!(
                out,
                "  {} (Oro {}, Outlook {})",
                i.name, i.oro_id, i.outlook_id
            );
        }
    }
    out
}
