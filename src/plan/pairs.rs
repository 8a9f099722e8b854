//! the per-pair tables of docs/sync-rules.md, one function: for a linked pair, what happened
//! on each side since the last sync → what to do. One arm per table cell.

use crate::settings::Direction;

/// What happened to one side of a linked pair since the last sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideState {
    Same,
    Changed,
    Gone,
}

/// A cell of the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairDecision {
    Nothing,
    /// Oro's values → Outlook.
    OroToOutlook,
    /// Outlook's values → Oro.
    OutlookToOro,
    /// Create it in Outlook again from Oro.
    RecreateInOutlook,
    DeleteOutlook,
    /// Delete the Outlook item and report a conflict (its edit is lost, backed up).
    DeleteOutlookAsConflict,
    /// Changed on both sides: the conflict setting decides.
    Conflict,
    /// Nothing left to do: forget the pair.
    Forget,
}

pub fn decide_pair(direction: Direction, oro: SideState, outlook: SideState) -> PairDecision {
    use PairDecision::*;
    use SideState::{Changed as C, Gone as G, Same as S};
    match direction {
        // docs/sync-rules.md, "Oro → Outlook (one-way)"
        Direction::OroToOutlook => match (oro, outlook) {
            (S, S) => Nothing,
            (S, C) => Nothing, // the Outlook edit stays, nothing goes to Oro (ox5)
            (S, G) => RecreateInOutlook, // ox6
            (C, S) | (C, C) => OroToOutlook, // ox4
            (C, G) => RecreateInOutlook,
            (G, S) | (G, C) => Forget, // the item stays, unchanged (ox7)
            (G, G) => Forget,
        },
        // docs/sync-rules.md, "Outlook → Oro (one-way)"
        Direction::OutlookToOro => match (oro, outlook) {
            (S, S) => Nothing,
            (S, C) => OutlookToOro,           // xo4
            (S, G) | (C, G) => Forget,        // the Oro record stays (xo5)
            (C, S) | (C, C) => OutlookToOro,  // xo3: the Oro edit is reverted
            (G, S) | (G, C) => DeleteOutlook, // xo6
            (G, G) => Forget,
        },
        // docs/sync-rules.md, "Bidirectional"
        Direction::Bidirectional => match (oro, outlook) {
            (S, S) => Nothing,
            (S, C) => OutlookToOro,               // bi5
            (S, G) | (C, G) => RecreateInOutlook, // bi7
            (C, S) => OroToOutlook,               // bi4
            (C, C) => Conflict,                   // bi6
            (G, S) => DeleteOutlook,              // bi8
            (G, C) => DeleteOutlookAsConflict,
            (G, G) => Forget,
        },
    }
}
