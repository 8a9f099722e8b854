//! Contacts: Oro `contacts` ↔ Graph `contact`.

use super::{Field, Value};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Graph keeps at most three e-mail addresses on a contact.
pub const OUTLOOK_MAX_EMAILS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
    /// MAPI PidTagGender (0x3A4D): 0 unspecified, 1 female, 2 male.
    pub fn to_mapi(g: Option<Gender>) -> i16 {
        match g {
            None => 0,
            Some(Gender::Female) => 1,
            Some(Gender::Male) => 2,
        }
    }
    pub fn from_mapi(v: i16) -> Option<Gender> {
        match v {
            1 => Some(Gender::Female),
            2 => Some(Gender::Male),
            _ => None,
        }
    }
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub name_prefix: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub name_suffix: Option<String>,
    pub gender: Option<Gender>,
    pub birthday: Option<NaiveDate>,
    pub job_title: Option<String>,
    pub description: Option<String>,
    /// Primary first, as Oro orders them.
    #[serde(default)]
    pub emails: Vec<String>,
    pub primary_phone: Option<String>,
    /// Oro's `fax`; Outlook's business fax (records stored before fax was
    /// mapped have none).
    #[serde(default)]
    pub fax: Option<String>,
}

impl Contact {
    pub fn value(&self, field: Field) -> Value {
        match field {
            Field::NamePrefix => Value::text(self.name_prefix.as_deref()),
            Field::FirstName => Value::text(self.first_name.as_deref()),
            Field::MiddleName => Value::text(self.middle_name.as_deref()),
            Field::LastName => Value::text(self.last_name.as_deref()),
            Field::NameSuffix => Value::text(self.name_suffix.as_deref()),
            Field::Gender => self
                .gender
                .map(|g| Value::Text(g.as_str().into()))
                .unwrap_or(Value::Null),
            Field::Birthday => self.birthday.map(Value::Date).unwrap_or(Value::Null),
            Field::JobTitle => Value::text(self.job_title.as_deref()),
            Field::Description => Value::text(self.description.as_deref()),
            Field::Emails => {
                // Addresses compare case-insensitively; order is kept (the
                // first is the primary one) but blanks and repeats are not.
                let mut seen = std::collections::HashSet::new();
                let list: Vec<String> = self
                    .emails
                    .iter()
                    .map(|e| e.trim().to_lowercase())
                    .filter(|e| !e.is_empty() && seen.insert(e.clone()))
                    .collect();
                if list.is_empty() {
                    Value::Null
                } else {
                    Value::List(list)
                }
            }
            Field::PrimaryPhone => Value::text(self.primary_phone.as_deref()),
            Field::Fax => Value::text(self.fax.as_deref()),
            _ => Value::Null,
        }
    }

    /// Outlook's values written into Oro: Outlook holds at most three
    /// addresses, so they replace Oro's first three and Oro's others stay
    /// (docs/sync-rules.md, "Scope and fields").
    pub fn merged_into_oro(&self, oro: Option<&Contact>) -> Contact {
        let mut out = self.clone();
        if let Some(oro) = oro {
            let mine: Vec<String> = self.emails.iter().map(|e| e.to_lowercase()).collect();
            let extra = oro
                .emails
                .iter()
                .skip(OUTLOOK_MAX_EMAILS)
                .filter(|e| !mine.contains(&e.to_lowercase()))
                .cloned();
            out.emails.extend(extra);
        }
        out
    }

    /// Oro's values as Outlook can hold them (the first three addresses).
    pub fn for_outlook(&self) -> Contact {
        let mut out = self.clone();
        out.emails.truncate(OUTLOOK_MAX_EMAILS);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_emails_replace_oros_first_three_and_keep_the_rest() {
        let oro = Contact {
            emails: vec![
                "a@x".into(),
                "b@x".into(),
                "c@x".into(),
                "d@x".into(),
                "e@x".into(),
            ],
            ..Default::default()
        };
        let outlook = Contact {
            emails: vec!["z@x".into(), "b@x".into()],
            ..Default::default()
        };
        let merged = outlook.merged_into_oro(Some(&oro));
        assert_eq!(merged.emails, vec!["z@x", "b@x", "d@x", "e@x"]);
        assert_eq!(oro.for_outlook().emails.len(), 3);
    }

    #[test]
    fn gender_round_trips_through_mapi() {
        for g in [None, Some(Gender::Male), Some(Gender::Female)] {
            assert_eq!(Gender::from_mapi(Gender::to_mapi(g)), g);
        }
    }
}
