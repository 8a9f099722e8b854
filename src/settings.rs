//! Sync settings as the engine sees them (parsed from `config.toml` by
//! [`crate::config`]).

use crate::model::{Field, Kind};
use std::collections::BTreeMap;

/// A name that is not one of a setting's values (`FromStr` of the enums
/// below and of [`crate::config`]'s).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not one of {}", allowed.join(", "))]
pub struct UnknownName {
    pub given: String,
    pub allowed: &'static [&'static str],
}

// A setting's value is one name of a closed list (`config.toml`, the
// settings window, `--direction`). Every such enum is declared this one
// way: `NAMES` (in the documented order), `as_str`, `parse` (`None` for
// another name), `FromStr` (naming the allowed values), `Display`, and
// serde under the same names.
macro_rules! setting_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::settings::UnknownName;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::settings::UnknownName {
                    given: s.to_string(),
                    allowed: $name::NAMES,
                })
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use setting_enum;

setting_enum!(
    /// Which way records go (docs/sync-rules.md, "Sync type and limits").
    Direction {
        OroToOutlook = "oro-to-outlook",
        OutlookToOro = "outlook-to-oro",
        #[default]
        Bidirectional = "bidirectional",
    }
);

impl Direction {
    /// Whether this direction carries Oro's records to Outlook.
    pub fn to_outlook(self) -> bool {
        self != Direction::OutlookToOro
    }
    /// Whether this direction carries Outlook's items to Oro.
    pub fn to_oro(self) -> bool {
        self != Direction::OroToOutlook
    }
}

setting_enum!(
    /// Who wins a pair changed on both sides (docs/sync-rules.md, "Conflicts").
    ConflictSetting {
        #[default]
        OroWins = "oro-wins",
        OutlookWins = "outlook-wins",
        NewestWins = "newest-wins",
        Ask = "ask",
    }
);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ContactsScope, OroAuth, SyncMode};

    /// Each setting's names read back through `FromStr`, print through
    /// `Display` and serde, and a wrong name is refused naming the values.
    fn one_style<T>(names: &[&str])
    where
        T: std::str::FromStr<Err = UnknownName>
            + std::fmt::Display
            + serde::Serialize
            + serde::de::DeserializeOwned
            + PartialEq
            + std::fmt::Debug,
    {
        for n in names {
            let v: T = n.parse().unwrap();
            assert_eq!(v.to_string(), *n);
            assert_eq!(serde_json::to_value(&v).unwrap(), serde_json::json!(n));
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(n)).unwrap(),
                v
            );
        }
        let e = "nonsense".parse::<T>().unwrap_err();
        assert_eq!(e.allowed, names);
        assert!(e.to_string().contains(&names.join(", ")), "{e}");
        assert!(serde_json::from_value::<T>(serde_json::json!("nonsense")).is_err());
    }

    #[test]
    fn every_setting_enum_has_the_same_names_in_every_form() {
        one_style::<Direction>(Direction::NAMES);
        one_style::<ConflictSetting>(ConflictSetting::NAMES);
        one_style::<OroAuth>(OroAuth::NAMES);
        one_style::<SyncMode>(SyncMode::NAMES);
        one_style::<ContactsScope>(ContactsScope::NAMES);
        assert_eq!(
            Direction::NAMES,
            ["oro-to-outlook", "outlook-to-oro", "bidirectional"]
        );
        assert_eq!(
            ConflictSetting::NAMES,
            ["oro-wins", "outlook-wins", "newest-wins", "ask"]
        );
    }
}
