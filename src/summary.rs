//! The run summary: `sync --json`'s object (docs/cli.md, "sync --json"), kept in the run
//! history and shown by the tray.

use crate::model::{Kind, Side};
use crate::plan::{ConflictNote, GuardNote, PlanEntry, Skip};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts and per-kind summaries read back from the history default what a
/// summary of another version lacks to 0 (see [`Summary::from_stored`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.created + self.updated + self.deleted
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KindSummary {
    pub first_sync: bool,
    pub oro: Counts,
    pub outlook: Counts,
    pub conflicts: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl KindSummary {
    pub fn side_mut(&mut self, side: Side) -> &mut Counts {
        match side {
            Side::Oro => &mut self.oro,
            Side::Outlook => &mut self.outlook,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    pub kind: Kind,
    pub side: Side,
    pub id: String,
    pub message: String,
}

/// Why a run stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "class", content = "message", rename_all = "lowercase")]
pub enum Fatal {
    #[error("authentication refused: {0}; sign in again with `orosync login`")]
    Auth(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("state database: {0}")]
    State(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub ok: bool,
    pub dry_run: bool,
    pub direction: String,
    pub kinds: BTreeMap<Kind, KindSummary>,
    pub conflicts: Vec<ConflictNote>,
    pub skipped: Vec<Skip>,
    pub errors: Vec<ItemError>,
    /// Mass deletions held until the user decides (docs/reliability.md
    /// "Deletion guard"): the run asks (exit 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guard: Vec<GuardNote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<PlanEntry>>,
    /// What stopped the run, when something did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatal: Option<Fatal>,
}

impl Fatal {
    /// The run's own words about what stopped it, without the advice of
    /// the `Display` text.
    pub fn message(&self) -> &str {
        match self {
            Fatal::Auth(m) | Fatal::Unavailable(m) | Fatal::State(m) => m,
        }
    }
}

impl Summary {
    /// A summary kept in the run history (the JSON of
    /// [`crate::state::RunRecord::summary`]), read loosely: it may come
    /// from another version, so a field it lacks takes its empty value
    /// rather than losing the whole summary. `None` when it is not a
    /// summary at all.
    pub fn from_stored(stored: &serde_json::Value) -> Option<Summary> {
        let mut full = serde_json::json!({
            "ok": false,
            "dry_run": false,
            "direction": "",
            "kinds": {},
            "conflicts": [],
            "skipped": [],
            "errors": [],
        });
        let (Some(base), Some(given)) = (full.as_object_mut(), stored.as_object()) else {
            return None;
        };
        for (k, v) in given {
            base.insert(k.clone(), v.clone());
        }
        serde_json::from_value(full).ok()
    }

    pub fn new(direction: &str, dry_run: bool) -> Self {
        Summary {
            ok: true,
            dry_run,
            direction: direction.to_string(),
            kinds: BTreeMap::new(),
            conflicts: vec![],
            skipped: vec![],
            errors: vec![],
            guard: vec![],
            plan: dry_run.then(Vec::new),
            fatal: None,
        }
    }

    pub fn kind_mut(&mut self, kind: Kind) -> &mut KindSummary {
        self.kinds.entry(kind).or_default()
    }

    /// Exit status: 3 auth, 4 unreachable, 1 some items
    /// failed, 2 a mass deletion waits for the user's decision, 0 ok.
    pub fn exit_code(&self) -> i32 {
        match &self.fatal {
            Some(Fatal::Auth(_)) => 3,
            Some(Fatal::Unavailable(_)) => 4,
            Some(Fatal::State(_)) => 1,
            None if !self.errors.is_empty() => 1,
            None if !self.guard.is_empty() => 2,
            None => 0,
        }
    }

    /// Set `ok` from the outcome; call once the run is over.
    pub fn finish(&mut self) {
        self.ok = self.exit_code() == 0;
    }

    pub fn total_writes(&self) -> usize {
        self.kinds
            .values()
            .map(|k| k.oro.total() + k.outlook.total())
            .sum()
    }
}
