//! The pure planner: (stored state, both sides' changes, settings) → an
//! ordered list of operations. No IO, no clock: everything comes in as data,
//! so every rule of docs/sync-rules.md is tested without a server and `--dry-run` is
//! "plan, don't execute".

mod guard;
mod input;
mod ops;
mod pairs;
mod planner;

pub use guard::{
    apply_guard, is_mass_deletion, label, GuardChoice, GuardChoices, GuardItem, GuardNote,
    KEEP_REASON, MIN_DELETES,
};
pub use input::{Candidate, KindInput, Link, LinkIds, PendingConflict};
pub use ops::{Action, ConflictNote, Needs, Op, Plan, PlanEntry, Skip, Winner};
pub use pairs::{decide_pair, PairDecision, SideState};
pub use planner::{plan_kind, PURGE_REASON};
