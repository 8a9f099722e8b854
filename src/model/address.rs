//! A contact's postal address.
//!
//! Addresses are Oro's own resource (`contactaddresses`, with their own ids);
//! a [`super::Contact`] holds them in a list, and three of them are mapped
//! (docs/sync-rules.md "Contact addresses"): the billing one to Outlook's
//! business address, the shipping one to the home address, the first untyped
//! one to the other address. [`Slot`] names those three.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use thiserror::Error;

/// Oro's address types (`addresstypes` ids). One address may hold both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressType {
    Billing,
    Shipping,
}

impl AddressType {
    pub const ALL: [AddressType; 2] = [AddressType::Billing, AddressType::Shipping];

    /// Oro's id of the type (`billing`, `shipping`).
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::Billing => "billing",
            AddressType::Shipping => "shipping",
        }
    }

    /// Oro's id, exactly as Oro writes it; anything else is not a type we know.
    pub fn parse(s: &str) -> Option<AddressType> {
        AddressType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for AddressType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state or province of an address: one of Oro's regions of the
/// country, or free text where Oro has no regions for the country (Oro's
/// `region` and `customRegion` are exclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Region {
    /// Oro's combined code, country first (`DE-BY`).
    Code(String),
    /// Free text (Oro's `customRegion`).
    Text(String),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AddressError {
    /// Not two ASCII letters; the value is the caller's own input, shown so
    /// the user can correct it.
    #[error("country {0:?} is not an ISO 3166-1 alpha-2 code")]
    Country(String),
    #[error("region code {0:?} is not of the form XX-YYY")]
    RegionCode(String),
}

/// One postal address of a contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Oro's id when the address exists in Oro.
    pub oro_id: Option<String>,
    /// Billing and/or shipping, or none; sorted, so equal sets compare equal.
    pub types: BTreeSet<AddressType>,
    pub primary: bool,
    pub street: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case. Oro requires one on every address;
    /// `None` is an address from Outlook whose country is not known yet.
    pub country: Option<String>,
    pub region: Option<Region>,
    /// Oro's (English) name of a [`Region::Code`], filled in by the Oro
    /// client as Outlook shows the state; never written to Oro.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    /// Outlook's country text when it names no country (`country` is then
    /// `None`): kept to compare and report it, never written to Oro.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_text: Option<String>,
}

/// The three addresses that are mapped, in their documented order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// Oro's billing address ↔ Outlook's `businessAddress`.
    Billing,
    /// Oro's shipping address ↔ Outlook's `homeAddress`.
    Shipping,
    /// Oro's first untyped address (lowest id) ↔ Outlook's `otherAddress`.
    Other,
}

impl Slot {
    pub const ALL: [Slot; 3] = [Slot::Billing, Slot::Shipping, Slot::Other];

    /// The name in conflicts (`billingAddress`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Slot::Billing => "billingAddress",
            Slot::Shipping => "shippingAddress",
            Slot::Other => "otherAddress",
        }
    }

    /// Oro's type of the slot; `None` for the untyped one.
    pub fn address_type(self) -> Option<AddressType> {
        match self {
            Slot::Billing => Some(AddressType::Billing),
            Slot::Shipping => Some(AddressType::Shipping),
            Slot::Other => None,
        }
    }

    /// The types an address written for this slot alone carries.
    pub fn types(self) -> BTreeSet<AddressType> {
        self.address_type().into_iter().collect()
    }

    /// Whether `a` fills this slot by its types (the untyped slot: no type).
    pub fn holds(self, a: &Address) -> bool {
        match self.address_type() {
            Some(t) => a.types.contains(&t),
            None => a.types.is_empty(),
        }
    }
}

/// Separates an address's parts in its canonical value: a character no
/// one types, so "street A, city B" never equals "street A\nB, no city".
pub const PART_SEPARATOR: char = '\u{1f}';

impl Address {
    /// Sets the country from an alpha-2 code in any case, trimmed.
    pub fn set_country(&mut self, code: &str) -> Result<(), AddressError> {
        self.country = Some(alpha2(code)?);
        Ok(())
    }

    /// True when the address holds no place at all (only types or primary),
    /// as Outlook reports an address slot it does not use.
    pub fn is_empty(&self) -> bool {
        [&self.street, &self.street2, &self.city, &self.postal_code]
            .iter()
            .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
            && self.country.is_none()
            && self.country_text.is_none()
            && self.region.is_none()
    }
}

impl Address {
    /// The address as compared and hashed (docs/sync-rules.md "Contact
    /// addresses"): street lines (Oro's street and street2, or Outlook's
    /// street), city, postal code, state, country as its English name,
    /// each normalised, joined by [`PART_SEPARATOR`]. The state is Oro's
    /// region name where the client found it (as Outlook shows it), else the
    /// code or free text; the country a text that names none as written.
    pub fn canonical(&self) -> String {
        use super::canonical::normalize_text;
        let norm = |v: Option<&str>| v.map(normalize_text).unwrap_or_default();
        let street = [norm(self.street.as_deref()), norm(self.street2.as_deref())]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let state = match (&self.region, &self.region_name) {
            (Some(Region::Code(_)), Some(name)) => norm(Some(name)),
            (Some(Region::Code(c)), None) => c.clone(),
            (Some(Region::Text(t)), _) => norm(Some(t)),
            (None, _) => String::new(),
        };
        let country = match (&self.country, &self.country_text) {
            (Some(c), _) => super::country::country_name(c)
                .map(str::to_string)
                .unwrap_or_else(|| c.clone()),
            (None, Some(t)) => norm(Some(t)),
            (None, None) => String::new(),
        };
        [
            street,
            norm(self.city.as_deref()),
            norm(self.postal_code.as_deref()),
            state,
            country,
        ]
        .join(&PART_SEPARATOR.to_string())
    }

    /// The same place in another slot: the types of `slot`, no Oro id.
    pub fn for_slot(&self, slot: Slot) -> Address {
        Address {
            oro_id: None,
            types: slot.types(),
            primary: false,
            ..self.clone()
        }
    }
}

impl Region {
    /// A region code checked for Oro's combined form (`DE-BY`: the country's
    /// alpha-2, a hyphen, one to three letters or digits), upper-cased.
    pub fn code(code: &str) -> Result<Region, AddressError> {
        let bad = || AddressError::RegionCode(code.to_string());
        let (country, sub) = code.trim().split_once('-').ok_or_else(bad)?;
        let country = alpha2(country).map_err(|_| bad())?;
        if sub.is_empty() || sub.len() > 3 || !sub.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        Ok(Region::Code(format!(
            "{country}-{}",
            sub.to_ascii_uppercase()
        )))
    }

    /// The country part of a region code; `None` for free text.
    pub fn country(&self) -> Option<&str> {
        match self {
            Region::Code(c) => c.split_once('-').map(|(country, _)| country),
            Region::Text(_) => None,
        }
    }
}

fn alpha2(code: &str) -> Result<String, AddressError> {
    let t = code.trim();
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(AddressError::Country(code.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_can_be_billing_and_shipping_and_types_compare_as_sets() {
        let mut a = Address::default();
        a.types.insert(AddressType::Shipping);
        a.types.insert(AddressType::Billing);
        let mut b = Address::default();
        b.types.insert(AddressType::Billing);
        b.types.insert(AddressType::Shipping);
        assert_eq!(a, b);
        let ids: Vec<&str> = a.types.iter().map(|t| t.as_str()).collect();
        assert_eq!(ids, ["billing", "shipping"]);
    }

    #[test]
    fn address_types_parse_only_oros_ids() {
        assert_eq!(AddressType::parse("billing"), Some(AddressType::Billing));
        assert_eq!(AddressType::parse("shipping"), Some(AddressType::Shipping));
        assert_eq!(AddressType::parse("home"), None);
        assert_eq!(AddressType::parse("Billing"), None);
    }

    #[test]
    fn a_country_is_stored_as_upper_case_alpha2_and_other_forms_are_refused() {
        let mut a = Address::default();
        a.set_country(" de ").unwrap();
        assert_eq!(a.country.as_deref(), Some("DE"));
        for bad in ["DEU", "D", "", "D1", "Ä1"] {
            assert_eq!(
                a.set_country(bad),
                Err(AddressError::Country(bad.to_string()))
            );
        }
        assert_eq!(
            a.country.as_deref(),
            Some("DE"),
            "a refused value changes nothing"
        );
    }

    #[test]
    fn region_codes_take_oros_combined_form() {
        assert_eq!(Region::code("de-by"), Ok(Region::Code("DE-BY".into())));
        assert_eq!(Region::code("US-NY").unwrap().country(), Some("US"));
        assert_eq!(Region::code("AT-9"), Ok(Region::Code("AT-9".into())));
        for bad in ["BY", "DE-", "DEU-BY", "DE-BAYE", "DE-B Y"] {
            assert!(Region::code(bad).is_err(), "{bad}");
        }
        assert_eq!(Region::Text("Isle".into()).country(), None);
    }

    #[test]
    fn an_address_with_only_types_or_blank_text_is_empty() {
        let mut a = Address {
            primary: true,
            street: Some("  ".into()),
            ..Address::default()
        };
        a.types.insert(AddressType::Billing);
        assert!(a.is_empty());
        a.city = Some("Berlin".into());
        assert!(!a.is_empty());
        let b = Address {
            country: Some("DE".into()),
            ..Address::default()
        };
        assert!(!b.is_empty());
    }
}
