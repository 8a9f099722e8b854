//! The fake's contact addresses (OroCRM `ContactAddress`, API resource
//! `contactaddresses`): stored as Oro stores them, written with Oro's rules.
//!
//! Sources (oroinc/crm ContactBundle, oroinc/platform AddressBundle):
//! - the resource: ContactBundle `Resources/config/oro/api.yml` (`createdAt`/
//!   `updatedAt` are the entity's `created`/`updated`, `customRegion` is its
//!   `regionText`, the owner cannot be changed by an update) and the shape of
//!   `Tests/Functional/Api/RestJsonApi/responses/get_contact_address.yml`;
//! - validation: ContactBundle `Resources/config/validation.yml` (`country`
//!   and `owner` not blank, `ValidRegion`, `RegionText`), AddressBundle
//!   `Resources/config/validation.yml` (lengths) and
//!   `Resources/translations/validators.en.yml` (the words);
//! - what a write does to the contact's other addresses: AddressBundle
//!   `Api/Processor/FixTypesOfAddresses.php` and `FixPrimaryAddresses.php`
//!   (wired for `ContactAddress` in ContactBundle `services_api.yml`), i.e.
//!   `Form/EventListener/FixAddressesTypesSubscriber.php` and
//!   `FixAddressesPrimarySubscriber.php`;
//! - timestamps: `AbstractAddress` `PrePersist`/`PreUpdate` callbacks. An
//!   address's change does not touch its contact (ContactBundle
//!   `EventListener/ContactListener.php` runs on the contact's own update).

use super::dictionary;
use super::validate::{at, ApiErr};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const CONTACT_ADDRESSES: &str = "contactaddresses";

/// The text attributes of a contact address with their `Length(max)`
/// (AddressBundle `Resources/config/validation.yml`, `AbstractAddress`).
pub(super) const TEXT_ATTRS: [(&str, usize); 12] = [
    ("label", 255),
    ("street", 500),
    ("street2", 500),
    ("city", 255),
    ("postalCode", 255),
    ("organization", 255),
    ("namePrefix", 255),
    ("firstName", 255),
    ("middleName", 255),
    ("lastName", 255),
    ("nameSuffix", 255),
    ("customRegion", 255),
];

/// One contact address as the fake holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeAddress {
    pub id: u64,
    /// The contact (`owner`).
    pub owner: u64,
    /// The text attributes by API name (`street`, `customRegion`, …); a
    /// missing one is null.
    pub attributes: Map<String, Value>,
    pub primary: bool,
    /// ISO alpha-2; `None` only in data a test stored raw.
    pub country: Option<String>,
    /// Oro's combined code (`DE-BY`).
    pub region: Option<String>,
    /// `billing`, `shipping`.
    pub types: BTreeSet<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FakeAddress {
    pub fn attr_str(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(Value::as_str)
    }

    /// Everything Doctrine would compare to decide on an update (the
    /// timestamps aside).
    fn same_values(&self, other: &FakeAddress) -> bool {
        FakeAddress {
            created_at: other.created_at,
            updated_at: other.updated_at,
            ..self.clone()
        } == *other
    }
}

/// All addresses of the fake, by id.
#[derive(Default)]
pub struct FakeAddresses {
    rows: BTreeMap<u64, FakeAddress>,
    next_id: u64,
}

impl FakeAddresses {
    pub fn get(&self, id: u64) -> Option<&FakeAddress> {
        self.rows.get(&id)
    }

    /// Every address in id order.
    pub fn iter(&self) -> impl Iterator<Item = &FakeAddress> {
        self.rows.values()
    }

    /// A contact's addresses as Oro lists them in the contact's `addresses`
    /// (ContactBundle `Entity/Contact.php`: `OrderBy(primary DESC)`, then
    /// by id).
    pub fn of(&self, owner: u64) -> Vec<&FakeAddress> {
        let mut v: Vec<&FakeAddress> = self.rows.values().filter(|a| a.owner == owner).collect();
        v.sort_by_key(|a| (!a.primary, a.id));
        v
    }

    /// Store an address as given (no rule applied): what a database can
    /// hold. Its id is the next one; both timestamps are `now`.
    pub fn insert_raw(&mut self, mut a: FakeAddress, now: DateTime<Utc>) -> u64 {
        self.next_id += 1;
        a.id = self.next_id;
        a.created_at = now;
        a.updated_at = now;
        self.rows.insert(a.id, a);
        self.next_id
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        self.rows.remove(&id).is_some()
    }

    /// A contact is deleted: its addresses go with it (ContactBundle
    /// `Entity/ContactAddress.php`, `owner` joined `onDelete: CASCADE`).
    pub(super) fn remove_owner(&mut self, owner: u64) {
        self.rows.retain(|_, a| a.owner != owner);
    }

    /// Store `a` (new when its id is 0) after Oro's fixes on the owner's
    /// other addresses: the types `a` has are taken from the others, and
    /// `a` being primary makes the others not primary, while a contact
    /// without a primary address gets `a` as its primary. Every address
    /// whose values change gets `updatedAt` = `now` (`PreUpdate`; a changed
    /// `types` collection schedules the update too); one written with its
    /// values unchanged keeps it. Returns the stored address's id.
    pub(super) fn save(&mut self, mut a: FakeAddress, now: DateTime<Utc>) -> u64 {
        let others: Vec<u64> = self
            .rows
            .values()
            .filter(|o| o.owner == a.owner && o.id != a.id)
            .map(|o| o.id)
            .collect();
        if a.primary {
            for id in &others {
                self.change(*id, now, |o| o.primary = false);
            }
        } else if !others
            .iter()
            .any(|id| self.rows.get(id).is_some_and(|o| o.primary))
        {
            a.primary = true;
        }
        if !a.types.is_empty() {
            for id in &others {
                let types = a.types.clone();
                self.change(*id, now, |o| o.types.retain(|t| !types.contains(t)));
            }
        }
        if a.id == 0 {
            return self.insert_raw(a, now);
        }
        let id = a.id;
        match self.rows.get(&id) {
            Some(old) if old.same_values(&a) => {}
            Some(_) => {
                a.updated_at = now;
                self.rows.insert(id, a);
            }
            None => {}
        }
        id
    }

    fn change(&mut self, id: u64, now: DateTime<Utc>, f: impl FnOnce(&mut FakeAddress)) {
        if let Some(o) = self.rows.get_mut(&id) {
            let before = o.clone();
            f(o);
            if !o.same_values(&before) {
                o.updated_at = now;
            }
        }
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An address as a JSON:API resource object (the attributes and
/// relationships of ContactBundle `responses/get_contact_address.yml`);
/// `fields` is a sparse fieldset.
pub(super) fn render(a: &FakeAddress, fields: Option<&[String]>) -> Value {
    let mut attrs = Map::new();
    attrs.insert("primary".into(), json!(a.primary));
    for (name, _) in TEXT_ATTRS {
        attrs.insert(
            name.into(),
            a.attributes.get(name).cloned().unwrap_or(Value::Null),
        );
    }
    attrs.insert("createdAt".into(), json!(fmt_time(a.created_at)));
    attrs.insert("updatedAt".into(), json!(fmt_time(a.updated_at)));
    let one = |ty: &str, id: &Option<String>| match id {
        Some(id) => json!({"data": {"type": ty, "id": id}}),
        None => json!({ "data": null }),
    };
    let mut rels = Map::new();
    rels.insert(
        "owner".into(),
        json!({"data": {"type": "contacts", "id": a.owner.to_string()}}),
    );
    rels.insert(
        "types".into(),
        json!({"data": a.types.iter().map(|t| json!({"type": "addresstypes", "id": t})).collect::<Vec<_>>()}),
    );
    rels.insert("country".into(), one("countries", &a.country));
    rels.insert("region".into(), one("regions", &a.region));
    if let Some(f) = fields {
        attrs.retain(|k, _| f.contains(k));
        rels.retain(|k, _| f.contains(k));
    }
    let mut out = json!({
        "type": CONTACT_ADDRESSES,
        "id": a.id.to_string(),
        "links": {"self": format!("/api/{CONTACT_ADDRESSES}/{}", a.id)},
    });
    if !attrs.is_empty() {
        out["attributes"] = Value::Object(attrs);
    }
    if !rels.is_empty() {
        out["relationships"] = Value::Object(rels);
    }
    out
}

/// The `addresses` relationship of a contact: its addresses as Oro orders
/// them.
pub(super) fn contact_relationship(book: &FakeAddresses, contact: u64) -> Value {
    let data: Vec<Value> = book
        .of(contact)
        .iter()
        .map(|a| json!({"type": CONTACT_ADDRESSES, "id": a.id.to_string()}))
        .collect();
    json!({ "data": data })
}

/// Symfony's `Length` violation (validators.en.xlf, plural form).
fn too_long(max: usize) -> String {
    format!("This value is too long. It should have {max} characters or less.")
}

/// The id of a relationship's resource identifier of type `want`, or None
/// when the object is not one.
fn identifier(o: &Value, want: &str) -> Option<String> {
    if o.get("type").and_then(Value::as_str) != Some(want) {
        return None;
    }
    o.get("id").and_then(Value::as_str).map(str::to_string)
}

const NOT_EXIST: &str = "The entity does not exist.";

/// Apply a request's attributes and relationships to `a` (a new address
/// when `creating`) with Oro's rules; `contact_exists` tells whether a
/// contact id is one. The errors point into the request; nothing is
/// stored here.
pub(super) fn apply(
    a: &mut FakeAddress,
    data: &Value,
    creating: bool,
    contact_exists: &dyn Fn(u64) -> bool,
) -> Vec<ApiErr> {
    let mut errs = Vec::new();
    let empty = Map::new();
    let attrs = data
        .get("attributes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let rels = data
        .get("relationships")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut extra: Vec<&str> = Vec::new();
    for (k, v) in attrs {
        let ptr = format!("/data/attributes/{k}");
        if k == "primary" {
            match v {
                Value::Bool(b) => a.primary = *b,
                _ => errs.push(at(
                    "form constraint",
                    "This value should be of type boolean.",
                    &ptr,
                )),
            }
            continue;
        }
        let Some((_, max)) = TEXT_ATTRS.iter().find(|(n, _)| n == k) else {
            // `createdAt`/`updatedAt` are read-only: extra on a write, as
            // any name the resource does not have.
            extra.push(k);
            continue;
        };
        match v {
            Value::Null | Value::String(_) => {
                if v.as_str().is_some_and(|s| s.chars().count() > *max) {
                    errs.push(at("length constraint", too_long(*max), &ptr));
                }
                a.attributes.insert(k.clone(), v.clone());
            }
            _ => errs.push(at(
                "form constraint",
                "This value should be of type string.",
                &ptr,
            )),
        }
    }
    for (k, v) in rels {
        let ptr = format!("/data/relationships/{k}/data");
        let Some(data) = v.get("data") else {
            // platform ApiBundle `Request/JsonApi/AbstractBaseRequestDataValidator.php`
            // `validateRequired`, pointing at the missing property.
            errs.push(at(
                "request data constraint",
                "The 'data' property is required",
                &ptr,
            ));
            continue;
        };
        match k.as_str() {
            // A null owner is left to the not-blank check below.
            "owner" => match data {
                Value::Null => {}
                o => {
                    match identifier(o, "contacts").and_then(|id| id.parse::<u64>().ok()) {
                        Some(id) if contact_exists(id) => {
                            // ContactBundle api.yml: on an update the owner
                            // field is `mapped: false`, the value is read and
                            // dropped (`testTryToUpdateOwner` answers 200
                            // with the old owner).
                            if creating {
                                a.owner = id;
                            }
                        }
                        _ => errs.push(at("form constraint", NOT_EXIST, &ptr)),
                    }
                }
            },
            "country" => match data {
                Value::Null => a.country = None,
                o => match identifier(o, "countries") {
                    Some(id) if dictionary::country(&id).is_some() => a.country = Some(id),
                    _ => errs.push(at("form constraint", NOT_EXIST, &ptr)),
                },
            },
            "region" => match data {
                Value::Null => a.region = None,
                o => match identifier(o, "regions") {
                    Some(id) if dictionary::region(&id).is_some() => a.region = Some(id),
                    _ => errs.push(at("form constraint", NOT_EXIST, &ptr)),
                },
            },
            "types" => match data {
                Value::Array(list) => {
                    let mut types = BTreeSet::new();
                    for (i, o) in list.iter().enumerate() {
                        match identifier(o, "addresstypes") {
                            Some(id) if dictionary::ADDRESS_TYPES.iter().any(|t| t.0 == id) => {
                                types.insert(id);
                            }
                            _ => errs.push(at("form constraint", NOT_EXIST, &format!("{ptr}/{i}"))),
                        }
                    }
                    a.types = types;
                }
                _ => errs.push(at("form constraint", "This value is not valid.", &ptr)),
            },
            _ => extra.push(k),
        }
    }
    if !extra.is_empty() {
        // One violation on the whole form, as for contacts (validate.rs).
        extra.sort_unstable();
        errs.push(ApiErr {
            title: "extra fields constraint",
            detail: format!(
                "This form should not contain extra fields: \"{}\".",
                extra.join("\", \"")
            ),
            pointer: None,
            parameter: None,
        });
    }
    errs.extend(entity_rules(a, creating));
    errs
}

/// The entity's own constraints (ContactBundle validation.yml on
/// `ContactAddress`), on the address as the request left it.
fn entity_rules(a: &FakeAddress, creating: bool) -> Vec<ApiErr> {
    let mut errs = Vec::new();
    if creating && a.owner == 0 {
        errs.push(at(
            "not blank constraint",
            "This value should not be blank.",
            "/data/relationships/owner/data",
        ));
    }
    let country = a.country.as_deref().and_then(dictionary::country);
    if country.is_none() {
        errs.push(at(
            "not blank constraint",
            "This value should not be blank.",
            "/data/relationships/country/data",
        ));
    }
    if let (Some(c), Some(r)) = (country, a.region.as_deref()) {
        // ValidRegionValidator: the region must be one of the country's.
        if !c.regions.iter().any(|x| x.0 == r) {
            let name = dictionary::region(r).map(|x| x.2).unwrap_or(r);
            errs.push(ApiErr {
                title: "valid region constraint",
                detail: format!("Region {name} does not belong to country {}", c.name),
                pointer: None,
                parameter: None,
            });
        }
    }
    let text = a.attr_str("customRegion").is_some_and(|t| !t.is_empty());
    if text && country.is_some_and(|c| c.has_regions()) {
        // RegionTextValidator: free text only where Oro has no regions.
        errs.push(ApiErr {
            title: "region text constraint",
            detail: "Custom region can be used only for countries without predefined regions."
                .into(),
            pointer: None,
            parameter: None,
        });
    }
    errs
}

/// A new, empty address (no owner yet).
pub(super) fn blank(now: DateTime<Utc>) -> FakeAddress {
    FakeAddress {
        id: 0,
        owner: 0,
        attributes: TEXT_ATTRS
            .iter()
            .map(|(n, _)| (n.to_string(), Value::Null))
            .collect(),
        primary: false,
        country: None,
        region: None,
        types: BTreeSet::new(),
        created_at: now,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + i64::from(s), 0).unwrap()
    }

    fn addr(owner: u64, types: &[&str], primary: bool) -> FakeAddress {
        FakeAddress {
            owner,
            country: Some("DE".into()),
            types: types.iter().map(|t| t.to_string()).collect(),
            primary,
            ..blank(t(0))
        }
    }

    #[test]
    fn a_new_typed_address_takes_the_type_from_the_contacts_other_address() {
        let mut book = FakeAddresses::default();
        let old = book.save(addr(1, &["billing", "shipping"], false), t(0));
        let elsewhere = book.save(addr(2, &["billing"], false), t(0));
        let new = book.save(addr(1, &["shipping"], false), t(5));
        assert_eq!(
            book.get(new).unwrap().types,
            ["shipping".to_string()].into()
        );
        let old = book.get(old).unwrap();
        assert_eq!(old.types, ["billing".to_string()].into());
        assert_eq!(old.updated_at, t(5), "losing a type is an update");
        // Another contact's address keeps its types.
        assert_eq!(book.get(elsewhere).unwrap().types.len(), 1);
    }

    #[test]
    fn the_first_address_becomes_primary_and_a_primary_one_takes_it_over() {
        let mut book = FakeAddresses::default();
        let first = book.save(addr(1, &[], false), t(0));
        assert!(book.get(first).unwrap().primary);
        let second = book.save(addr(1, &[], false), t(1));
        assert!(!book.get(second).unwrap().primary);
        let third = book.save(addr(1, &[], true), t(2));
        assert!(book.get(third).unwrap().primary);
        assert!(!book.get(first).unwrap().primary);
        assert_eq!(book.get(first).unwrap().updated_at, t(2));
        // Un-setting the only primary one leaves it primary.
        let mut again = book.get(third).unwrap().clone();
        again.primary = false;
        book.save(again, t(3));
        assert!(book.get(third).unwrap().primary);
        assert_eq!(
            book.of(1).iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![third, first, second],
            "primary first, then by id"
        );
    }

    #[test]
    fn an_unchanged_write_keeps_updated_at() {
        let mut book = FakeAddresses::default();
        let id = book.save(addr(1, &["billing"], true), t(0));
        let same = book.get(id).unwrap().clone();
        book.save(same, t(9));
        assert_eq!(book.get(id).unwrap().updated_at, t(0));
    }

    fn rules(a: &FakeAddress) -> Vec<(String, String)> {
        entity_rules(a, false)
            .into_iter()
            .map(|e| (e.title.to_string(), e.detail))
            .collect()
    }

    #[test]
    fn region_and_free_text_follow_oros_address_constraints() {
        let mut a = addr(1, &[], false);
        a.region = Some("US-NY".into());
        assert_eq!(
            rules(&a),
            vec![(
                "valid region constraint".to_string(),
                "Region New York does not belong to country Germany".to_string()
            )]
        );
        a.region = Some("DE-BY".into());
        assert!(rules(&a).is_empty());
        a.region = None;
        a.attributes.insert("customRegion".into(), json!("Bavaria"));
        assert_eq!(rules(&a)[0].0, "region text constraint");
        a.country = Some("IM".into());
        assert!(rules(&a).is_empty(), "free text where Oro has no regions");
        a.country = None;
        assert_eq!(rules(&a)[0].0, "not blank constraint");
    }
}
