//! The per-profile state in SQLite (`state.sqlite3`): links with per-side
//! hashes and versions, watermarks and delta cursors, run history, the
//! conflict log and pending conflicts, and the journal that makes a killed
//! run safe to repeat. Secrets never go here.
//!
//! Every write is its own small transaction (a savepoint), made right after
//! the server write it records, so a run killed at any instant leaves a
//! consistent state. The writes that record one answered `$batch` may share
//! one transaction ([`State::in_transaction`]): they are recorded after the
//! batch landed, as each would be alone, for one commit instead of twenty.

mod migrations;

use crate::model::Window;
use crate::model::{Kind, OroRecord, OutlookItem, Side};
use crate::plan::{Candidate, Link, PendingConflict};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::SchemaVersion;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the state database {path} was written by a newer version of OroSync (schema {found}, \
         this version knows {known}); upgrade OroSync"
    )]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("state database holds a record it cannot read: {0}")]
    Corrupt(String),
}

pub type StateResult<T> = Result<T, StateError>;

/// Per-kind progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindState {
    pub first_sync_done: bool,
    pub purge_done: bool,
    pub oro_watermark: Option<DateTime<Utc>>,
    pub outlook_cursor: Option<String>,
    /// Events: the window `outlook_cursor`'s delta was started with (Graph
    /// keeps it in the token); `None` when unknown.
    pub outlook_window: Option<Window>,
}

/// A run as recorded in the history.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit: Option<i32>,
    pub summary: Option<serde_json::Value>,
}

/// A pending conflict with the differing values, for `conflicts --json`.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingRow {
    pub id: i64,
    pub kind: Kind,
    pub oro_id: String,
    pub outlook_id: String,
    pub detected_at: DateTime<Utc>,
    pub oro: serde_json::Value,
    pub outlook: serde_json::Value,
    pub resolution: Option<Side>,
}

pub struct State {
    conn: Connection,
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse_ts(s: &str) -> StateResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StateError::Corrupt(format!("timestamp {s:?}: {e}")))
}

fn kind_of(s: &str) -> StateResult<Kind> {
    Kind::parse(s).ok_or_else(|| StateError::Corrupt(format!("kind {s:?}")))
}

fn side_of(s: &str) -> Option<Side> {
    match s {
        "oro" => Some(Side::Oro),
        "outlook" => Some(Side::Outlook),
        _ => None,
    }
}

type LinkRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn link_row(r: &rusqlite::Row) -> rusqlite::Result<LinkRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// Ids as one `rarray` parameter.
fn id_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> std::rc::Rc<Vec<rusqlite::types::Value>> {
    std::rc::Rc::new(
        ids.into_iter()
            .map(|id| rusqlite::types::Value::Text(id.to_string()))
            .collect(),
    )
}

fn link_of((oro_id, outlook_id, oro_hash, outlook_hash, ov, xv): LinkRow) -> StateResult<Link> {
    Ok(Link {
        oro_id,
        outlook_id,
        oro_hash,
        outlook_hash,
        oro_version: ov.as_deref().map(parse_ts).transpose()?,
        outlook_version: xv.as_deref().map(parse_ts).transpose()?,
    })
}

impl State {
    /// Open (creating if needed) the state database at `path`.
    pub fn open(path: &Path) -> StateResult<State> {
        // Created private before SQLite opens it: SQLite creates a new
        // database 0644 (minus the umask) and gives its -wal and -shm files
        // the database's mode.
        crate::private_fs::touch(path)
            .map_err(|e| StateError::Corrupt(format!("cannot create {}: {e}", path.display())))?;
        let conn = Connection::open(path)?;
        Self::init(conn, &path.display().to_string())
    }

    /// A database in memory, for tests of code that only needs a state.
    pub fn in_memory() -> StateResult<State> {
        Self::init(Connection::open_in_memory()?, ":memory:")
    }

    fn init(mut conn: Connection, path: &str) -> StateResult<State> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // `IN rarray(?)`: a list of ids as one parameter (links_touching).
        rusqlite::vtab::array::load_module(&conn)?;
        let m = migrations::migrations();
        let known = migrations::known();
        // Refuse, before touching anything, a database from a newer version.
        let found: usize =
            conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if found > known {
            return Err(StateError::TooNew {
                path: path.to_string(),
                found,
                known,
            });
        }
        if let SchemaVersion::Outside(v) = m.current_version(&conn)? {
            return Err(StateError::TooNew {
                path: path.to_string(),
                found: v.get(),
                known,
            });
        }
        // WAL: readers (the tray's status) never block the sync's writes,
        // and each small commit is cheap.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        m.to_latest(&mut conn)?;
        Ok(State { conn })
    }

    /// `PRAGMA integrity_check` plus our own invariants; empty when sound.
    pub fn check(&self) -> StateResult<Vec<String>> {
        let mut problems = vec![];
        let ic: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ic != "ok" {
            problems.push(ic);
        }
        let dup: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM (SELECT kind, outlook_id FROM links GROUP BY kind, outlook_id HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )?;
        if dup > 0 {
            problems.push(format!("{dup} Outlook items linked twice"));
        }
        let stray: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM pending_conflicts p WHERE NOT EXISTS
               (SELECT 1 FROM links l WHERE l.kind = p.kind AND l.oro_id = p.oro_id)",
            [],
            |r| r.get(0),
        )?;
        if stray > 0 {
            problems.push(format!("{stray} pending conflicts without a link"));
        }
        Ok(problems)
    }

    /// Run `f` in one transaction, committed whatever `f` returns: what
    /// `f` recorded before failing stays recorded, as it would with one
    /// commit per write. The outer error is the state's own (the commit).
    pub fn in_transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut State) -> Result<T, E>,
    ) -> StateResult<Result<T, E>> {
        self.conn.execute_batch("BEGIN")?;
        let r = f(self);
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        Ok(r)
    }

    // ------------------------------------------------------------ kinds

    pub fn kind_state(&self, kind: Kind) -> StateResult<KindState> {
        let row = self
            .conn
            .query_row(
                "SELECT first_sync_done, purge_done, oro_watermark, outlook_cursor,
                        outlook_window_from, outlook_window_to
                 FROM kind_state WHERE kind = ?1",
                [kind.as_str()],
                |r| {
                    Ok((
                        r.get::<_, bool>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((done, purged, wm, cursor, wfrom, wto)) = row else {
            return Ok(KindState::default());
        };
        let outlook_window = match (wfrom, wto) {
            (Some(f), Some(t)) => Some(Window {
                from: parse_ts(&f)?,
                to: parse_ts(&t)?,
            }),
            _ => None,
        };
        Ok(KindState {
            first_sync_done: done,
            purge_done: purged,
            oro_watermark: wm.as_deref().map(parse_ts).transpose()?,
            outlook_cursor: cursor,
            outlook_window,
        })
    }

    fn ensure_kind(&self, kind: Kind) -> StateResult<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO kind_state(kind) VALUES (?1)",
            [kind.as_str()],
        )?;
        Ok(())
    }

    /// Start over for a kind (`--resync`): the next run is a first sync.
    pub fn begin_resync(&mut self, kind: Kind) -> StateResult<()> {
        self.ensure_kind(kind)?;
        self.conn.execute(
            "UPDATE kind_state SET first_sync_done = 0, purge_done = 0, oro_watermark = NULL, outlook_cursor = NULL,
               outlook_window_from = NULL, outlook_window_to = NULL WHERE kind = ?1",
            [kind.as_str()],
        )?;
        Ok(())
    }

    /// The purge of a first sync is done: forget every link of the kind,
    /// atomically with the mark, so a killed run never purges twice.
    pub fn finish_purge(&mut self, kind: Kind) -> StateResult<()> {
        self.ensure_kind(kind)?;
        let tx = self.conn.savepoint()?;
        tx.execute("DELETE FROM links WHERE kind = ?1", [kind.as_str()])?;
        tx.execute(
            "DELETE FROM pending_conflicts WHERE kind = ?1",
            [kind.as_str()],
        )?;
        tx.execute("DELETE FROM unlinked WHERE kind = ?1", [kind.as_str()])?;
        tx.execute(
            "UPDATE kind_state SET purge_done = 1 WHERE kind = ?1",
            [kind.as_str()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A run of the kind completed: save where the next one starts.
    pub fn finish_kind(
        &mut self,
        kind: Kind,
        watermark: Option<DateTime<Utc>>,
        cursor: Option<&str>,
    ) -> StateResult<()> {
        self.finish_kind_in(kind, watermark, cursor, None)
    }

    /// As [`State::finish_kind`], with the window the cursor's delta was
    /// started with (events). The window is saved with the cursor, in the
    /// same statement: a kept cursor keeps its window.
    pub fn finish_kind_in(
        &mut self,
        kind: Kind,
        watermark: Option<DateTime<Utc>>,
        cursor: Option<&str>,
        window: Option<&Window>,
    ) -> StateResult<()> {
        self.ensure_kind(kind)?;
        self.conn.execute(
            "UPDATE kind_state SET first_sync_done = 1, purge_done = 1,
               oro_watermark = COALESCE(?2, oro_watermark),
               outlook_window_from = CASE WHEN ?3 IS NULL THEN outlook_window_from ELSE ?4 END,
               outlook_window_to = CASE WHEN ?3 IS NULL THEN outlook_window_to ELSE ?5 END,
               outlook_cursor = COALESCE(?3, outlook_cursor)
             WHERE kind = ?1",
            params![
                kind.as_str(),
                watermark.as_ref().map(ts),
                cursor,
                window.map(|w| ts(&w.from)),
                window.map(|w| ts(&w.to)),
            ],
        )?;
        Ok(())
    }

    // ------------------------------------------------------------ links

    pub fn links(&self, kind: Kind) -> StateResult<Vec<Link>> {
        let mut st = self.conn.prepare_cached(
            "SELECT oro_id, outlook_id, oro_hash, outlook_hash, oro_version, outlook_version
             FROM links WHERE kind = ?1",
        )?;
        let rows = st.query_map([kind.as_str()], link_row)?;
        let mut out = vec![];
        for row in rows {
            out.push(link_of(row?)?);
        }
        Ok(out)
    }

    /// The Oro ids whose Outlook deletion the guard held and the user has
    /// not decided on yet.
    pub fn held_deletions(&self, kind: Kind) -> StateResult<std::collections::BTreeSet<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT oro_id FROM held_deletions WHERE kind = ?1")?;
        let rows = st.query_map([kind.as_str()], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What this run held for `kind` (empty: nothing held, or decided).
    pub fn set_held_deletions<'a>(
        &mut self,
        kind: Kind,
        oro_ids: impl IntoIterator<Item = &'a str>,
    ) -> StateResult<()> {
        let tx = self.conn.savepoint()?;
        tx.execute(
            "DELETE FROM held_deletions WHERE kind = ?1",
            [kind.as_str()],
        )?;
        for id in oro_ids {
            tx.execute(
                "INSERT OR IGNORE INTO held_deletions (kind, oro_id) VALUES (?1, ?2)",
                [kind.as_str(), id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The Oro ids of every link of `kind`, and nothing else of the links:
    /// what deletion detection compares Oro's id listing against. One scan
    /// of the primary key's index, not of the link rows; in byte order (the
    /// index's), so the comparison is one merge pass.
    pub fn linked_oro_ids(&self, kind: Kind) -> StateResult<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT oro_id FROM links WHERE kind = ?1 ORDER BY oro_id")?;
        let rows = st.query_map([kind.as_str()], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The links of `kind` whose Oro id is in `oro_ids` or whose Outlook id
    /// is in `outlook_ids`, each once, sorted by Oro id (byte order): one
    /// query over the ids as a list, through the two indexes, so an
    /// incremental run reads the links of what changed and not all of them.
    pub fn links_touching<'a>(
        &self,
        kind: Kind,
        oro_ids: impl IntoIterator<Item = &'a str>,
        outlook_ids: impl IntoIterator<Item = &'a str>,
    ) -> StateResult<Vec<Link>> {
        let mut st = self.conn.prepare_cached(
            "SELECT oro_id, outlook_id, oro_hash, outlook_hash, oro_version, outlook_version
             FROM links WHERE kind = ?1 AND oro_id IN rarray(?2)
             UNION
             SELECT oro_id, outlook_id, oro_hash, outlook_hash, oro_version, outlook_version
             FROM links WHERE kind = ?1 AND outlook_id IN rarray(?3)
             ORDER BY 1",
        )?;
        let rows = st.query_map(
            params![kind.as_str(), id_list(oro_ids), id_list(outlook_ids)],
            link_row,
        )?;
        let mut out = vec![];
        for row in rows {
            out.push(link_of(row?)?);
        }
        Ok(out)
    }

    /// Which of `oro_ids` and of `outlook_ids` are linked now (ids only).
    pub fn linked_among<'a>(
        &self,
        kind: Kind,
        oro_ids: impl IntoIterator<Item = &'a str>,
        outlook_ids: impl IntoIterator<Item = &'a str>,
    ) -> StateResult<(BTreeSet<String>, BTreeSet<String>)> {
        let mut st = self.conn.prepare_cached(
            "SELECT 'oro', oro_id FROM links WHERE kind = ?1 AND oro_id IN rarray(?2)
             UNION ALL
             SELECT 'outlook', outlook_id FROM links WHERE kind = ?1 AND outlook_id IN rarray(?3)",
        )?;
        let rows = st.query_map(
            params![kind.as_str(), id_list(oro_ids), id_list(outlook_ids)],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )?;
        let (mut oro, mut outlook) = (BTreeSet::new(), BTreeSet::new());
        for row in rows {
            let (side, id) = row?;
            if side == "oro" {
                oro.insert(id);
            } else {
                outlook.insert(id);
            }
        }
        Ok((oro, outlook))
    }

    pub fn link_count(&self, kind: Kind) -> StateResult<usize> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM links WHERE kind = ?1",
            [kind.as_str()],
            |r| r.get::<_, i64>(0),
        )? as usize)
    }

    /// Record a pair as synced now, replacing any earlier link of either id.
    pub fn put_link(
        &mut self,
        kind: Kind,
        oro: &OroRecord,
        outlook: &OutlookItem,
    ) -> StateResult<()> {
        let oro_hash = oro.item.hash();
        // After a create or an overwrite both sides hold the same values:
        // hashed once (hashing is a tenth of a first sync's CPU).
        let outlook_hash = if outlook.item == oro.item {
            oro_hash.clone()
        } else {
            outlook.item.hash()
        };
        let tx = self.conn.savepoint()?;
        // Cached statements: this runs once per record written.
        tx.prepare_cached(
            "DELETE FROM links WHERE kind = ?1 AND (oro_id = ?2 OR outlook_id = ?3)",
        )?
        .execute(params![kind.as_str(), oro.id, outlook.id])?;
        tx.prepare_cached(
            "INSERT INTO links(kind, oro_id, outlook_id, oro_hash, outlook_hash, oro_version, outlook_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            kind.as_str(),
            oro.id,
            outlook.id,
            oro_hash,
            outlook_hash,
            ts(&oro.updated_at),
            ts(&outlook.modified_at)
        ])?;
        tx.prepare_cached(
            "DELETE FROM unlinked WHERE kind = ?1 AND ((side = 'oro' AND id = ?2) OR (side = 'outlook' AND id = ?3))",
        )?
        .execute(params![kind.as_str(), oro.id, outlook.id])?;
        tx.prepare_cached("DELETE FROM intents WHERE kind = ?1 AND outlook_id = ?2")?
            .execute(params![kind.as_str(), outlook.id])?;
        tx.commit()?;
        Ok(())
    }

    /// Update only the Outlook side of an existing link (after a stamp).
    pub fn touch_outlook(
        &mut self,
        kind: Kind,
        oro_id: &str,
        outlook: &OutlookItem,
    ) -> StateResult<()> {
        self.conn.execute(
            "UPDATE links SET outlook_id = ?3, outlook_hash = ?4, outlook_version = ?5 WHERE kind = ?1 AND oro_id = ?2",
            params![kind.as_str(), oro_id, outlook.id, outlook.item.hash(), ts(&outlook.modified_at)],
        )?;
        Ok(())
    }

    /// Oro holds only part of what Outlook asked for (a task whose status
    /// is still to move): the link's Outlook side counts as not synced, so
    /// the next run sees the Outlook item changed and writes it again, while
    /// Oro's side stays as recorded (no conflict with our own write).
    pub fn mark_outlook_unsynced(&mut self, kind: Kind, oro_id: &str) -> StateResult<()> {
        self.conn.execute(
            "UPDATE links SET outlook_hash = '' WHERE kind = ?1 AND oro_id = ?2",
            params![kind.as_str(), oro_id],
        )?;
        Ok(())
    }

    pub fn delete_link(&mut self, kind: Kind, oro_id: &str) -> StateResult<()> {
        let tx = self.conn.savepoint()?;
        tx.execute(
            "DELETE FROM links WHERE kind = ?1 AND oro_id = ?2",
            params![kind.as_str(), oro_id],
        )?;
        tx.execute(
            "DELETE FROM pending_conflicts WHERE kind = ?1 AND oro_id = ?2",
            params![kind.as_str(), oro_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn delete_link_by_outlook(&mut self, kind: Kind, outlook_id: &str) -> StateResult<()> {
        let oro_id: Option<String> = self
            .conn
            .query_row(
                "SELECT oro_id FROM links WHERE kind = ?1 AND outlook_id = ?2",
                params![kind.as_str(), outlook_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(oro_id) = oro_id {
            self.delete_link(kind, &oro_id)?;
        }
        self.conn.execute(
            "DELETE FROM unlinked WHERE kind = ?1 AND side = 'outlook' AND id = ?2",
            params![kind.as_str(), outlook_id],
        )?;
        Ok(())
    }

    // ------------------------------------------------------------ unlinked cache

    pub fn unlinked(&self, kind: Kind) -> StateResult<Vec<Candidate>> {
        let mut st = self.conn.prepare_cached(
            "SELECT side, record FROM unlinked WHERE kind = ?1 ORDER BY side, id",
        )?;
        let rows = st.query_map([kind.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = vec![];
        for row in rows {
            let (side, json) = row?;
            let c = match side.as_str() {
                "oro" => Candidate::Oro(
                    serde_json::from_str(&json).map_err(|e| StateError::Corrupt(e.to_string()))?,
                ),
                _ => Candidate::Outlook(
                    serde_json::from_str(&json).map_err(|e| StateError::Corrupt(e.to_string()))?,
                ),
            };
            out.push(c);
        }
        Ok(out)
    }

    /// Replace what is remembered of unlinked records seen in this run.
    pub fn remember_unlinked(
        &mut self,
        kind: Kind,
        keep: &[Candidate],
        forget: &[(Side, String)],
    ) -> StateResult<()> {
        let tx = self.conn.savepoint()?;
        {
            let mut del = tx
                .prepare_cached("DELETE FROM unlinked WHERE kind = ?1 AND side = ?2 AND id = ?3")?;
            for (side, id) in forget {
                del.execute(params![kind.as_str(), side.as_str(), id])?;
            }
            let mut ins = tx.prepare_cached(
                "INSERT OR REPLACE INTO unlinked(kind, side, id, record) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in keep {
                let (side, id, json) = match c {
                    Candidate::Oro(r) => ("oro", &r.id, serde_json::to_string(r)),
                    Candidate::Outlook(i) => ("outlook", &i.id, serde_json::to_string(i)),
                };
                let json = json.map_err(|e| StateError::Corrupt(e.to_string()))?;
                ins.execute(params![kind.as_str(), side, id, json])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    // ------------------------------------------------------------ retries, intents

    pub fn retries(&self, kind: Kind) -> StateResult<Vec<(Side, String)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT side, id FROM retries WHERE kind = ?1 ORDER BY side, id")?;
        let rows = st.query_map([kind.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = vec![];
        for row in rows {
            let (side, id) = row?;
            if let Some(side) = side_of(&side) {
                out.push((side, id));
            }
        }
        Ok(out)
    }

    pub fn add_retry(&mut self, kind: Kind, side: Side, id: &str) -> StateResult<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO retries(kind, side, id) VALUES (?1, ?2, ?3)",
            params![kind.as_str(), side.as_str(), id],
        )?;
        Ok(())
    }

    pub fn clear_retries(&mut self, kind: Kind, done: &[(Side, String)]) -> StateResult<()> {
        let tx = self.conn.savepoint()?;
        for (side, id) in done {
            tx.execute(
                "DELETE FROM retries WHERE kind = ?1 AND side = ?2 AND id = ?3",
                params![kind.as_str(), side.as_str(), id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Journal a create in Oro before it is sent.
    pub fn add_intent(
        &mut self,
        kind: Kind,
        outlook_id: &str,
        at: DateTime<Utc>,
    ) -> StateResult<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO intents(kind, outlook_id, started_at) VALUES (?1, ?2, ?3)",
            params![kind.as_str(), outlook_id, ts(&at)],
        )?;
        Ok(())
    }

    /// The earliest unfinished create in Oro, if any.
    pub fn earliest_intent(&self, kind: Kind) -> StateResult<Option<DateTime<Utc>>> {
        let s: Option<String> = self.conn.query_row(
            "SELECT MIN(started_at) FROM intents WHERE kind = ?1",
            [kind.as_str()],
            |r| r.get(0),
        )?;
        s.as_deref().map(parse_ts).transpose()
    }

    pub fn clear_intents(&mut self, kind: Kind) -> StateResult<()> {
        self.conn
            .execute("DELETE FROM intents WHERE kind = ?1", [kind.as_str()])?;
        Ok(())
    }

    // ------------------------------------------------------------ conflicts

    pub fn add_pending(
        &mut self,
        kind: Kind,
        oro_id: &str,
        outlook_id: &str,
        at: DateTime<Utc>,
        oro_values: &serde_json::Value,
        outlook_values: &serde_json::Value,
    ) -> StateResult<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO pending_conflicts(kind, oro_id, outlook_id, detected_at, oro_values, outlook_values)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                kind.as_str(),
                oro_id,
                outlook_id,
                ts(&at),
                oro_values.to_string(),
                outlook_values.to_string()
            ],
        )?;
        Ok(())
    }

    pub fn pending(&self, kind: Option<Kind>) -> StateResult<Vec<PendingRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, kind, oro_id, outlook_id, detected_at, oro_values, outlook_values, resolution
             FROM pending_conflicts WHERE ?1 IS NULL OR kind = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([kind.map(|k| k.as_str())], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, k, oro_id, outlook_id, at, ov, xv, res) = row?;
            out.push(PendingRow {
                id,
                kind: kind_of(&k)?,
                oro_id,
                outlook_id,
                detected_at: parse_ts(&at)?,
                oro: serde_json::from_str(&ov).map_err(|e| StateError::Corrupt(e.to_string()))?,
                outlook: serde_json::from_str(&xv)
                    .map_err(|e| StateError::Corrupt(e.to_string()))?,
                resolution: res.as_deref().and_then(side_of),
            });
        }
        Ok(out)
    }

    pub fn pending_for_planner(&self, kind: Kind) -> StateResult<Vec<PendingConflict>> {
        Ok(self
            .pending(Some(kind))?
            .into_iter()
            .map(|p| PendingConflict {
                id: p.id,
                oro_id: p.oro_id,
                outlook_id: p.outlook_id,
                resolution: p.resolution,
            })
            .collect())
    }

    /// The user's choice for a pending conflict; false when there is no such id.
    pub fn resolve(&mut self, id: i64, keep: Side) -> StateResult<bool> {
        let n = self.conn.execute(
            "UPDATE pending_conflicts SET resolution = ?2 WHERE id = ?1",
            params![id, keep.as_str()],
        )?;
        Ok(n == 1)
    }

    pub fn clear_pending(&mut self, id: i64) -> StateResult<()> {
        self.conn
            .execute("DELETE FROM pending_conflicts WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn log_conflict(
        &mut self,
        run_id: Option<i64>,
        note: &crate::plan::ConflictNote,
        at: DateTime<Utc>,
    ) -> StateResult<()> {
        let winner = serde_json::to_value(note.winner)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.conn.execute(
            "INSERT INTO conflict_log(run_id, kind, oro_id, outlook_id, setting, winner, detected_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![run_id, note.kind.as_str(), note.oro_id, note.outlook_id, note.setting, winner, ts(&at)],
        )?;
        Ok(())
    }

    pub fn conflict_log_len(&self) -> StateResult<usize> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM conflict_log", [], |r| {
                r.get::<_, i64>(0)
            })? as usize)
    }

    // ------------------------------------------------------------ runs

    pub fn start_run(&mut self, at: DateTime<Utc>) -> StateResult<i64> {
        self.conn
            .execute("INSERT INTO runs(started_at) VALUES (?1)", [ts(&at)])?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        exit: i32,
        summary: &serde_json::Value,
    ) -> StateResult<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, exit = ?3, summary = ?4 WHERE id = ?1",
            params![id, ts(&at), exit, summary.to_string()],
        )?;
        Ok(())
    }

    /// The most recent runs, newest first.
    pub fn runs(&self, limit: usize) -> StateResult<Vec<RunRecord>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, started_at, finished_at, exit, summary FROM runs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<i32>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, s, f, exit, summary) = row?;
            out.push(RunRecord {
                id,
                started_at: parse_ts(&s)?,
                finished_at: f.as_deref().map(parse_ts).transpose()?,
                exit,
                summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
