//! Contacts: Oro `contacts` ↔ Graph `contact`.

use super::address::{Address, Slot};
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
    /// Postal addresses. From Oro: all of the contact's, by Oro id (three
    /// of them are mapped, see [`Slot`]); from Outlook: one per non-empty
    /// slot, typed as the slot. Records stored before addresses were
    /// mapped have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
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
            Field::Addresses => {
                // One entry per slot, "" where the slot is empty; Null when
                // all are, so a contact without addresses hashes as before.
                let list: Vec<String> = Slot::ALL
                    .iter()
                    .map(|s| self.address(*s).map(Address::canonical).unwrap_or_default())
                    .collect();
                if list.iter().all(String::is_empty) {
                    Value::Null
                } else {
                    Value::List(list)
                }
            }
            _ => Value::Null,
        }
    }

    /// The address mapped to `slot`: the first (by Oro id, the list's
    /// order) holding its type, or for the untyped slot the first without
    /// one; an address holding no place at all counts as none.
    pub fn address(&self, slot: Slot) -> Option<&Address> {
        self.addresses
            .iter()
            .find(|a| slot.holds(a) && !a.is_empty())
    }

    /// Outlook's values written into Oro: Outlook holds at most three
    /// addresses, so they replace Oro's first three and Oro's others stay
    /// (docs/sync-rules.md, "Scope and fields"). Outlook's addresses replace
    /// the mapped ones and Oro's other addresses stay (see
    /// [`merged_addresses`]).
    pub fn merged_into_oro(&self, oro: Option<&Contact>) -> Contact {
        let mut out = self.clone();
        out.addresses = merged_addresses(self, oro);
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

    /// Oro's values as Outlook can hold them (the first three e-mail
    /// addresses; one postal address per slot, an address that is both
    /// billing and shipping in both).
    pub fn for_outlook(&self) -> Contact {
        let mut out = self.clone();
        out.emails.truncate(OUTLOOK_MAX_EMAILS);
        out.addresses = Slot::ALL
            .iter()
            .filter_map(|s| self.address(*s).map(|a| a.for_slot(*s)))
            .collect();
        out
    }
}

/// Oro's addresses after Outlook's are written over them: every Oro address
/// that fills no slot stays as it is; one that fills slots takes Outlook's
/// place for the first of them Outlook has (unchanged when Outlook's equals
/// it), is gone when Outlook has none of them; a slot Outlook fills that no
/// Oro address (left) does is a new address. An address Oro holds as both
/// billing and shipping stays one while Outlook's business and home are the
/// same place. Sorted: Oro's by id, then the new ones by slot.
fn merged_addresses(outlook: &Contact, oro: Option<&Contact>) -> Vec<Address> {
    let empty = Contact::default();
    let oro = oro.unwrap_or(&empty);
    let theirs = |s: Slot| outlook.address(s);
    let mut out: Vec<Address> = Vec::new();
    let mut filled: Vec<Slot> = Vec::new();
    for a in &oro.addresses {
        let slots: Vec<Slot> = Slot::ALL
            .into_iter()
            .filter(|s| oro.address(*s).is_some_and(|m| std::ptr::eq(m, a)))
            .collect();
        if slots.is_empty() {
            out.push(a.clone());
            continue;
        }
        let Some(first) = slots.iter().copied().find(|s| theirs(*s).is_some()) else {
            continue; // Outlook cleared every slot it filled.
        };
        let place = theirs(first).expect("found above");
        // The slots this address keeps: those where Outlook has the same place.
        let keep: Vec<Slot> = slots
            .iter()
            .copied()
            .filter(|s| theirs(*s).is_some_and(|t| t.canonical() == place.canonical()))
            .collect();
        let mut next = if place.canonical() == a.canonical() {
            a.clone()
        } else {
            Address {
                oro_id: a.oro_id.clone(),
                primary: a.primary,
                region_name: None,
                ..place.clone()
            }
        };
        next.types = keep.iter().filter_map(|s| s.address_type()).collect();
        filled.extend(keep);
        out.push(next);
    }
    for s in Slot::ALL {
        if filled.contains(&s) {
            continue;
        }
        if let Some(t) = theirs(s) {
            out.push(Address {
                region_name: None,
                ..t.for_slot(s)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AddressType;

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

    fn place(id: Option<&str>, types: &[AddressType], city: &str) -> Address {
        Address {
            oro_id: id.map(str::to_string),
            types: types.iter().copied().collect(),
            city: Some(city.into()),
            country: Some("DE".into()),
            ..Address::default()
        }
    }

    #[test]
    fn a_contact_without_addresses_hashes_as_before_addresses_were_mapped() {
        let c = Contact {
            first_name: Some("Ann".into()),
            ..Default::default()
        };
        let item = crate::model::Item::Contacts(c.clone());
        assert_eq!(item.value(Field::Addresses), Value::Null);
        let before: Vec<(Field, Value)> = item
            .values()
            .into_iter()
            .filter(|(f, _)| *f != Field::Addresses)
            .collect();
        assert_eq!(item.hash(), super::super::canonical::hash_values(&before));
        let with = crate::model::Item::Contacts(Contact {
            addresses: vec![place(Some("1"), &[AddressType::Billing], "Köln")],
            ..c
        });
        assert_ne!(with.hash(), item.hash());
    }

    #[test]
    fn billing_shipping_and_the_first_untyped_address_are_mapped_the_others_kept() {
        let oro = Contact {
            addresses: vec![
                place(Some("1"), &[], "Bonn"),
                place(Some("2"), &[AddressType::Billing], "Köln"),
                place(Some("3"), &[], "Essen"),
                place(Some("4"), &[AddressType::Shipping], "Ulm"),
            ],
            ..Default::default()
        };
        let out = oro.for_outlook();
        let cities: Vec<_> = out
            .addresses
            .iter()
            .map(|a| a.city.clone().unwrap())
            .collect();
        assert_eq!(cities, ["Köln", "Ulm", "Bonn"]);
        // Outlook edits the business address and clears the other one.
        let outlook = Contact {
            addresses: vec![
                place(None, &[AddressType::Billing], "Aachen"),
                place(None, &[AddressType::Shipping], "Ulm"),
            ],
            ..Default::default()
        };
        let merged = outlook.merged_into_oro(Some(&oro)).addresses;
        let got: Vec<(Option<&str>, &str)> = merged
            .iter()
            .map(|a| (a.oro_id.as_deref(), a.city.as_deref().unwrap()))
            .collect();
        // Bonn (the mapped untyped one) is gone, Essen (unmapped) kept.
        assert_eq!(
            got,
            [
                (Some("2"), "Aachen"),
                (Some("3"), "Essen"),
                (Some("4"), "Ulm")
            ]
        );
        assert!(merged[0].types.contains(&AddressType::Billing));
    }

    #[test]
    fn one_oro_address_for_billing_and_shipping_splits_when_outlook_differs() {
        let oro = Contact {
            addresses: vec![place(
                Some("9"),
                &[AddressType::Billing, AddressType::Shipping],
                "Jena",
            )],
            ..Default::default()
        };
        let same = oro.for_outlook();
        assert_eq!(same.merged_into_oro(Some(&oro)).addresses, oro.addresses);
        let outlook = Contact {
            addresses: vec![
                place(None, &[AddressType::Billing], "Jena"),
                place(None, &[AddressType::Shipping], "Gera"),
            ],
            ..Default::default()
        };
        let merged = outlook.merged_into_oro(Some(&oro)).addresses;
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].oro_id.as_deref(), Some("9"));
        assert_eq!(merged[0].types, [AddressType::Billing].into());
        assert_eq!(merged[1].oro_id, None);
        assert_eq!(merged[1].city.as_deref(), Some("Gera"));
        assert_eq!(merged[1].types, [AddressType::Shipping].into());
    }

    #[test]
    fn gender_round_trips_through_mapi() {
        for g in [None, Some(Gender::Male), Some(Gender::Female)] {
            assert_eq!(Gender::from_mapi(Gender::to_mapi(g)), g);
        }
    }
}
