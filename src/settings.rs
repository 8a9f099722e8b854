//! Sync settings as the engine sees them (parsed from `config.toml` by
//! [`crate::config`]).

use crate::model::{Field, Kind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    OroToOutlook,
    OutlookToOro,
    #[default]
    Bidirectional,
}

impl Direction {
    pub const NAMES: &'static [&'static str] =
        &["oro-to-outlook", "outlook-to-oro", "bidirectional"];
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::OroToOutlook => "oro-to-outlook",
            Direction::OutlookToOro => "outlook-to-oro",
            Direction::Bidirectional => "bidirectional",
        }
    }
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "oro-to-outlook" => Some(Direction::OroToOutlook),
            "outlook-to-oro" => Some(Direction::OutlookToOro),
            "bidirectional" => Some(Direction::Bidirectional),
            _ => None,
        }
    }
    /// Whether this direction carries Oro's records to Outlook.
    pub fn to_outlook(self) -> bool {
        self != Direction::OutlookToOro
    }
    /// Whether this direction carries Outlook's items to Oro.
    pub fn to_oro(self) -> bool {
        self != Direction::OroToOutlook
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictSetting {
    #[default]
    OroWins,
    OutlookWins,
    NewestWins,
    Ask,
}

impl ConflictSetting {
    pub const NAMES: &'static [&'static str] = &["oro-wins", "outlook-wins", "newest-wins", "ask"];
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictSetting::OroWins => "oro-wins",
            ConflictSetting::OutlookWins => "outlook-wins",
            ConflictSetting::NewestWins => "newest-wins",
            ConflictSetting::Ask => "ask",
        }
    }
    pub fn parse(s: &str) -> Option<ConflictSetting> {
        Self::NAMES
            .iter()
            .zip([
                Self::OroWins,
                Self::OutlookWins,
                Self::NewestWins,
                Self::Ask,
            ])
            .find(|(n, _)| **n == s)
            .map(|(_, v)| v)
    }
}

impl fmt::Display for ConflictSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Key fields per kind (docs/sync-rules.md, "Words" (Key); defaults of Oro's add-in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys(pub BTreeMap<Kind, Vec<Field>>);

impl Default for Keys {
    fn default() -> Self {
        let mut m = BTreeMap::new();
        m.insert(
            Kind::Contacts,
            vec![
                Field::FirstName,
                Field::LastName,
                Field::Gender,
                Field::Birthday,
            ],
        );
        m.insert(Kind::Tasks, vec![Field::Subject, Field::TaskPriority]);
        m.insert(
            Kind::Events,
            vec![Field::Title, Field::Start, Field::End, Field::AllDay],
        );
        Keys(m)
    }
}

impl Keys {
    pub fn of(&self, kind: Kind) -> &[Field] {
        self.0.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What one run of the engine needs to know.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncSettings {
    pub direction: Direction,
    pub conflict: ConflictSetting,
    pub kinds: Vec<Kind>,
    pub keys: Keys,
    pub events_past_days: u32,
    pub events_future_days: u32,
    /// The user's zone: the event window is whole days in it, so it moves
    /// once a day (docs/fidelity.md, "Microsoft Graph: calendar window").
    pub time_zone: chrono_tz::Tz,
    /// Oro's base URL, for the `webUrl` of To Do linked resources.
    pub oro_url: String,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            direction: Direction::Bidirectional,
            conflict: ConflictSetting::OroWins,
            kinds: Kind::ALL.to_vec(),
            keys: Keys::default(),
            events_past_days: 30,
            events_future_days: 365,
            time_zone: chrono_tz::Tz::UTC,
            oro_url: String::new(),
        }
    }
}
