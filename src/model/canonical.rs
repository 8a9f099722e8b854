//! Field names, canonical values, normalisation for hashing and for keys.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// A mapped field, named by Oro's attribute name (docs/cli.md, "config.toml").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    // contacts
    NamePrefix,
    FirstName,
    MiddleName,
    LastName,
    NameSuffix,
    Gender,
    Birthday,
    JobTitle,
    Description,
    Emails,
    PrimaryPhone,
    Fax,
    /// The three mapped postal addresses as one field (docs/sync-rules.md
    /// "Contact addresses"); conflicts show them one per slot.
    Addresses,
    // tasks (description shared)
    Subject,
    TaskPriority,
    Status,
    DueDate,
    // events (description shared)
    Title,
    Start,
    End,
    AllDay,
}

pub const FIELDS_CONTACTS: &[Field] = &[
    Field::NamePrefix,
    Field::FirstName,
    Field::MiddleName,
    Field::LastName,
    Field::NameSuffix,
    Field::Gender,
    Field::Birthday,
    Field::JobTitle,
    Field::Description,
    Field::Emails,
    Field::PrimaryPhone,
    Field::Fax,
    Field::Addresses,
];
pub const FIELDS_TASKS: &[Field] = &[
    Field::Subject,
    Field::Description,
    Field::TaskPriority,
    Field::Status,
    Field::DueDate,
];
pub const FIELDS_EVENTS: &[Field] = &[
    Field::Title,
    Field::Description,
    Field::Start,
    Field::End,
    Field::AllDay,
];

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::NamePrefix => "namePrefix",
            Field::FirstName => "firstName",
            Field::MiddleName => "middleName",
            Field::LastName => "lastName",
            Field::NameSuffix => "nameSuffix",
            Field::Gender => "gender",
            Field::Birthday => "birthday",
            Field::JobTitle => "jobTitle",
            Field::Description => "description",
            Field::Emails => "emails",
            Field::PrimaryPhone => "primaryPhone",
            Field::Fax => "fax",
            Field::Addresses => "addresses",
            Field::Subject => "subject",
            Field::TaskPriority => "taskPriority",
            Field::Status => "status",
            Field::DueDate => "dueDate",
            Field::Title => "title",
            Field::Start => "start",
            Field::End => "end",
            Field::AllDay => "allDay",
        }
    }

    /// The field of `fields` with this Oro attribute name.
    pub fn parse_in(fields: &[Field], name: &str) -> Option<Field> {
        fields.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A field's value in normalised form (docs/sync-rules.md, "Echoes"): text as trimmed
/// NFC plain text with `\n` line ends, dates as dates, instants in UTC to
/// the second, lists in a stable order, absent = empty = `Null`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Text(String),
    Date(NaiveDate),
    /// Seconds since the Unix epoch, UTC.
    Instant(i64),
    List(Vec<String>),
}

impl Value {
    /// Canonical text: `None` and blank text are `Null`.
    pub fn text(s: Option<&str>) -> Value {
        match s.map(normalize_text) {
            Some(t) if !t.is_empty() => Value::Text(t),
            _ => Value::Null,
        }
    }

    /// Human-readable form for conflict listings and plans.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Text(t) => t.clone().into(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string().into(),
            Value::Instant(s) => chrono::DateTime::from_timestamp(*s, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default()
                .into(),
            Value::List(l) => l.clone().into(),
        }
    }

    /// The value as it takes part in a key (docs/sync-rules.md, "Words" (Key)): text trimmed,
    /// inner white space collapsed, NFC, lower-cased with full Unicode case
    /// mapping; empty equals only empty.
    pub fn key_part(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Text(t) => key_text(t),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::Instant(s) => s.to_string(),
            Value::List(l) => l
                .iter()
                .map(|s| key_text(s))
                .collect::<Vec<_>>()
                .join("\u{1e}"),
        }
    }
}

/// Text as hashed: NFC, `\r\n` and `\r` turned into `\n`, trailing white
/// space of each line and of the whole removed. Graph and Oro both rewrite
/// line ends and trailing blanks, so those are never a change.
pub fn normalize_text(s: &str) -> String {
    // Every record is hashed after each read and write, so the common cases
    // skip copies: ASCII is already NFC, and one line needs no re-joining.
    let s: Cow<str> = if s.is_ascii() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    };
    let s: Cow<str> = if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        s
    };
    if !s.contains('\n') {
        return s.trim().to_string();
    }
    let lines: Vec<&str> = s.lines().map(|l| l.trim_end()).collect();
    lines.join("\n").trim().to_string()
}

/// Text as compared in keys.
pub fn key_text(s: &str) -> String {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_ascii() {
        // ASCII is NFC, and its full case mapping is the ASCII one.
        return collapsed.to_ascii_lowercase();
    }
    let nfc: String = collapsed.nfc().collect();
    // `to_lowercase` applies Unicode's full case mapping (e.g. 'İ' → "i̇").
    let lower = nfc.to_lowercase();
    lower.nfc().collect()
}

/// Fields mapped after hashes were first stored (see [`hash_values`]).
const LATER_FIELDS: &[Field] = &[Field::Fax, Field::Addresses];

/// A stable 128-bit hash of canonical values, as 32 hex digits.
pub fn hash_values(values: &[(Field, Value)]) -> String {
    // serde_json of the (name, value) pairs is a stable, unambiguous encoding.
    // Fields mapped after the first release take part only when set, so the
    // hashes stored before they were mapped stay valid: a record without a
    // fax or an address is not a change after an upgrade.
    let pairs: Vec<(&str, &Value)> = values
        .iter()
        .filter(|(f, v)| !(LATER_FIELDS.contains(f) && *v == Value::Null))
        .map(|(f, v)| (f.name(), v))
        .collect();
    let bytes = serde_json::to_vec(&pairs).expect("values serialise");
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_trims_collapses_and_folds_case() {
        assert_eq!(key_text("  Anna \t  Maria\n"), "anna maria");
        assert_eq!(key_text("STRASSE"), key_text("strasse"));
        // NFC: e + combining acute equals é
        assert_eq!(key_text("Jose\u{301}"), key_text("José"));
        assert_eq!(key_text("ÀÉÎ"), "àéî");
    }

    #[test]
    fn fast_paths_agree_with_the_general_rule() {
        for t in [
            "",
            "  ",
            "a",
            " Ann  ",
            "a\r\nb ",
            "x \n y\n",
            "\r",
            "İstanbul\n x",
            "Jose\u{301} ",
        ] {
            let general = {
                let s: String = t.nfc().collect();
                let s = s.replace("\r\n", "\n").replace('\r', "\n");
                let lines: Vec<&str> = s.lines().map(|l| l.trim_end()).collect();
                lines.join("\n").trim().to_string()
            };
            assert_eq!(normalize_text(t), general, "{t:?}");
            let collapsed = t.split_whitespace().collect::<Vec<_>>().join(" ");
            let nfc: String = collapsed.nfc().collect();
            let key: String = nfc.to_lowercase().nfc().collect();
            assert_eq!(key_text(t), key, "{t:?}");
        }
    }

    #[test]
    fn blank_text_is_null() {
        assert_eq!(Value::text(Some("   ")), Value::Null);
        assert_eq!(Value::text(None), Value::Null);
        assert_eq!(Value::text(Some(" a\r\nb ")), Value::Text("a\nb".into()));
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let a = [(Field::FirstName, Value::Text("Ann".into()))];
        let b = [(Field::FirstName, Value::Text("Anne".into()))];
        assert_eq!(hash_values(&a), hash_values(&a));
        assert_ne!(hash_values(&a), hash_values(&b));
        assert_eq!(hash_values(&a).len(), 32);
    }

    #[test]
    fn an_empty_fax_leaves_the_hash_as_it_was_before_fax_was_mapped() {
        let before = [(Field::FirstName, Value::Text("Ann".into()))];
        let without = [
            (Field::FirstName, Value::Text("Ann".into())),
            (Field::Fax, Value::Null),
        ];
        let with = [
            (Field::FirstName, Value::Text("Ann".into())),
            (Field::Fax, Value::Text("+49 30 1".into())),
        ];
        assert_eq!(hash_values(&before), hash_values(&without));
        assert_ne!(hash_values(&before), hash_values(&with));
    }
}
