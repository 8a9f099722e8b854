//! Schema migrations (rusqlite_migration, tracked in `PRAGMA user_version`).
//! Append only: a released migration is never edited.

use rusqlite_migration::{Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(steps())
}

/// How many migrations this version knows (its schema version).
pub fn known() -> usize {
    steps().len()
}

fn steps() -> Vec<M<'static>> {
    vec![
        M::up(
            r#"
CREATE TABLE links (
    kind TEXT NOT NULL,
    oro_id TEXT NOT NULL,
    outlook_id TEXT NOT NULL,
    oro_hash TEXT NOT NULL,
    outlook_hash TEXT NOT NULL,
    oro_version TEXT,
    outlook_version TEXT,
    PRIMARY KEY (kind, oro_id)
);
CREATE UNIQUE INDEX links_by_outlook ON links(kind, outlook_id);

-- Per kind: first-sync progress, Oro watermark, Outlook delta link.
CREATE TABLE kind_state (
    kind TEXT PRIMARY KEY,
    first_sync_done INTEGER NOT NULL DEFAULT 0,
    purge_done INTEGER NOT NULL DEFAULT 0,
    oro_watermark TEXT,
    outlook_cursor TEXT
);

-- Unlinked records seen on either side, so key matching needs no full listing.
CREATE TABLE unlinked (
    kind TEXT NOT NULL,
    side TEXT NOT NULL,
    id TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (kind, side, id)
);

-- Records whose write failed: read again and retried next run.
CREATE TABLE retries (
    kind TEXT NOT NULL,
    side TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (kind, side, id)
);

-- Crash safety for creates in Oro (docs/sync-rules.md, "Crash safety").
CREATE TABLE intents (
    kind TEXT NOT NULL,
    outlook_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (kind, outlook_id)
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    exit INTEGER,
    summary TEXT
);

CREATE TABLE conflict_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER,
    kind TEXT NOT NULL,
    oro_id TEXT NOT NULL,
    outlook_id TEXT NOT NULL,
    setting TEXT NOT NULL,
    winner TEXT NOT NULL,
    detected_at TEXT NOT NULL
);

CREATE TABLE pending_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    oro_id TEXT NOT NULL,
    outlook_id TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    oro_values TEXT NOT NULL,
    outlook_values TEXT NOT NULL,
    resolution TEXT,
    UNIQUE (kind, oro_id)
);
"#,
        ),
        // The window a calendar delta was started with: Graph fixes it in the
        // delta token, so a run whose window differs starts the delta again
        // (docs/fidelity.md, "Microsoft Graph: calendar window"). NULL (a
        // cursor from before this column): unknown, started again once.
        M::up(
            r#"
ALTER TABLE kind_state ADD COLUMN outlook_window_from TEXT;
ALTER TABLE kind_state ADD COLUMN outlook_window_to TEXT;
"#,
        ),
        // Deletions the mass-deletion guard held, by Oro id: held again at
        // every run until the user decides, whatever share of the links
        // they are by then (docs/reliability.md, "Deletion guard").
        M::up(
            r#"
CREATE TABLE held_deletions (
    kind TEXT NOT NULL,
    oro_id TEXT NOT NULL,
    PRIMARY KEY (kind, oro_id)
);
"#,
        ),
    ]
}
