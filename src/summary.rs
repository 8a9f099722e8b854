//! The run summary: `sync --json`'s object (docs/cli.md, "sync --json"), kept in the run
//! history and shown by the tray.

use crate::model::{Kind, Side};
use crate::plan::{ConflictNote, GuardNote, PlanEntry, Skip};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl Summary {
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
