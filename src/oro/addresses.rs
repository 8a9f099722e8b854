//! Contact addresses through the JSON:API (`contactaddresses`) and Oro's
//! regions of a country: read with the contacts, written after them
//! (docs/sync-rules.md "Contact addresses").
//!
//! Addresses are their own resource in Oro, with no `updatedAt` filter
//! (docs/fidelity.md "Oro: contact addresses"), so they are read for many
//! contacts at once by `filter[owner]`, walked by id.

use super::error::from_status;
use super::http::{Retry, JSON_API};
use super::jsonapi::{self, Resource};
use super::{esc, OroClient, MAX_PAGES};
use crate::model::{cmp_oro_ids, country, Address, AddressType, Item, OroRecord, Region};
use crate::sides::{StoreError, StoreResult};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const ADDRESSES: &str = "contactaddresses";

/// Contacts per listing request: keeps the URL well under the 8 KiB request
/// line common web servers accept (a hundred ids of up to ten digits with
/// escaped commas is about 1.3 KiB).
const OWNERS_PER_REQUEST: usize = 100;

impl OroClient {
    /// Fills in the addresses of the contacts among `records` (one listing
    /// per hundred contacts) with Oro's names of their regions.
    pub(crate) async fn fill_addresses(&self, records: &mut [OroRecord]) -> StoreResult<()> {
        let ids: Vec<String> = records
            .iter()
            .filter(|r| matches!(r.item, Item::Contacts(_)))
            .map(|r| r.id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut all = self.addresses_of(&ids).await?;
        for list in all.values_mut() {
            for a in list.iter_mut() {
                self.name_region(a).await?;
            }
        }
        for r in records.iter_mut() {
            if let Item::Contacts(c) = &mut r.item {
                c.addresses = all.remove(&r.id).unwrap_or_default();
            }
        }
        Ok(())
    }

    /// The contacts with an address updated at or after `since`, each with
    /// its newest such address's `updatedAt`.
    ///
    /// Oro can neither filter nor sort contact addresses by `updatedAt`
    /// (ContactBundle's API config gives the address no such filter, and
    /// ApiBundle adds sorters only for the identifier and indexed columns),
    /// and an address edit leaves its contact's `updatedAt` alone. So every
    /// address is listed with a sparse fieldset (its `updatedAt` and owner
    /// only), walked by id in pages of `id_page_size`: a few hundred bytes
    /// per address instead of the whole address, one request per thousand
    /// addresses by default. A deleted address leaves nothing to list; see
    /// docs/sync-rules.md "Contact addresses" for that limit.
    pub(crate) async fn address_owners_changed_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<BTreeMap<String, chrono::DateTime<chrono::Utc>>> {
        let size = self.config.id_page_size.max(1);
        let mut owners: BTreeMap<String, chrono::DateTime<chrono::Utc>> = BTreeMap::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut q = format!("fields[{ADDRESSES}]=updatedAt,owner&sort=id&page[size]={size}");
            if let Some(a) = &after {
                q.push_str(&format!("&filter[id][gt]={}", esc(a)));
            }
            let page = self.address_list(&q).await?;
            let n = page.len();
            for res in &page {
                if after
                    .as_deref()
                    .is_none_or(|a| cmp_oro_ids(a, &res.id).is_lt())
                {
                    after = Some(res.id.clone());
                }
                let at = res.time("updatedAt")?.unwrap_or(since);
                if let (true, Some(owner)) = (at >= since, res.rel_id("owner")) {
                    let newest = owners.entry(owner).or_insert(at);
                    *newest = (*newest).max(at);
                }
            }
            if n < size as usize {
                return Ok(owners);
            }
        }
        Err(StoreError::Unavailable(format!(
            "{ADDRESSES}: the listing did not end after {MAX_PAGES} pages"
        )))
    }

    /// Oro's regions of `country`, read once per client.
    async fn regions_cached(&self, country: &str) -> StoreResult<Vec<(String, String)>> {
        let mut cache = self.regions.lock().await;
        if let Some(r) = cache.get(country) {
            return Ok(r.clone());
        }
        let r = self.regions_of(country).await?;
        cache.insert(country.to_string(), r.clone());
        Ok(r)
    }

    /// Sets the name Oro gives an address's region code (as Outlook shows it).
    async fn name_region(&self, a: &mut Address) -> StoreResult<()> {
        if let (Some(Region::Code(code)), Some(c)) = (&a.region, &a.country) {
            let regions = self.regions_cached(c).await?;
            a.region_name = regions
                .iter()
                .find(|(k, _)| k == code)
                .map(|(_, n)| n.clone());
        }
        Ok(())
    }

    /// Makes contact `id`'s addresses `wanted` (Outlook's merged over Oro's,
    /// [`crate::model::Contact::merged_into_oro`]): deletes those no longer
    /// wanted, then updates the changed ones, then creates the new ones, so
    /// a type moves the way Oro moves it. A country that names none, or a
    /// state naming none of a country's regions, keeps Oro's value and is
    /// noted as skipped; a new address without a known country is not
    /// created (Oro requires one) and is noted too.
    pub(crate) async fn write_addresses(&self, id: &str, wanted: &[Address]) -> StoreResult<()> {
        let now = self
            .addresses_of(&[id.to_string()])
            .await?
            .remove(id)
            .unwrap_or_default();
        let mut notes: Vec<String> = Vec::new();
        for old in &now {
            if !wanted.iter().any(|w| w.oro_id == old.oro_id) {
                self.delete_address(old.oro_id.as_deref().unwrap_or_default())
                    .await?;
            }
        }
        let mut creates = Vec::new();
        for w in wanted {
            let old = now
                .iter()
                .find(|o| o.oro_id.is_some() && o.oro_id == w.oro_id);
            let mut next = w.clone();
            self.resolve_place(&mut next, old, &mut notes).await?;
            match old {
                Some(old) => {
                    // Compared as Oro stores them (codes, not names): an
                    // address Outlook left alone is not written.
                    let stored = |a: &Address| {
                        (
                            a.street.clone(),
                            a.street2.clone(),
                            a.city.clone(),
                            a.postal_code.clone(),
                            a.country.clone(),
                            a.region.clone(),
                            a.types.clone(),
                        )
                    };
                    if stored(old) != stored(&next) {
                        self.update_address(&next).await?;
                    }
                }
                None if next.country.is_none() => notes.push(format!(
                    "address {:?}: no country Oro knows, not created",
                    w.city.as_deref().unwrap_or_default()
                )),
                None => creates.push(next),
            }
        }
        for c in creates {
            self.create_address(id, &c).await?;
        }
        if !notes.is_empty() {
            let why = format!("addresses: {}; Oro keeps its values", notes.join("; "));
            tracing::warn!(contact = %id, "{why}");
            self.skipped
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.to_string(), why);
        }
        Ok(())
    }

    /// Turns Outlook's country and state text into Oro's codes; what Oro
    /// cannot take is `old`'s value (or none for a new address) and noted.
    async fn resolve_place(
        &self,
        a: &mut Address,
        old: Option<&Address>,
        notes: &mut Vec<String>,
    ) -> StoreResult<()> {
        if a.country.is_none() {
            if let Some(t) = a.country_text.take() {
                notes.push(format!("country {t:?} names no country"));
                a.country = old.and_then(|o| o.country.clone());
                a.region = old.and_then(|o| o.region.clone());
                return Ok(());
            }
        }
        a.country_text = None;
        let Some(c) = a.country.clone() else {
            return Ok(());
        };
        if let Some(Region::Text(state)) = a.region.clone() {
            let regions = self.regions_cached(&c).await?;
            if regions.is_empty() {
                return Ok(()); // free text where Oro has no regions
            }
            match country::region_code(&state, &regions) {
                Some(code) => a.region = Some(Region::Code(code.to_string())),
                None => {
                    notes.push(format!("state {state:?} names none of {c}'s regions"));
                    a.region = old
                        .filter(|o| o.country.as_deref() == Some(&c))
                        .and_then(|o| o.region.clone())
                        .filter(|r| matches!(r, Region::Code(_)));
                }
            }
        }
        a.region_name = None;
        Ok(())
    }

    /// The addresses of each of `contact_ids` (every id present, with an
    /// empty list when it has none), each list by Oro id. One listing per
    /// hundred contacts, more only when their addresses fill more pages.
    pub async fn addresses_of(
        &self,
        contact_ids: &[String],
    ) -> StoreResult<BTreeMap<String, Vec<Address>>> {
        let mut ids: Vec<String> = contact_ids.to_vec();
        ids.sort_by(|a, b| cmp_oro_ids(a, b));
        ids.dedup();
        let mut out: BTreeMap<String, Vec<Address>> =
            ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        let size = self.config.page_size.max(1);
        for chunk in ids.chunks(OWNERS_PER_REQUEST) {
            let owners = chunk.iter().map(|id| esc(id)).collect::<Vec<_>>().join(",");
            let mut after: Option<String> = None;
            let mut done = false;
            for _ in 0..MAX_PAGES {
                // Walking by id rather than page number: an address deleted
                // meanwhile cannot shift a later one out of the listing.
                let mut q = format!("filter[owner]={owners}&sort=id&page[size]={size}");
                if let Some(a) = &after {
                    q.push_str(&format!("&filter[id][gt]={}", esc(a)));
                }
                let page = self.address_list(&q).await?;
                let n = page.len();
                for res in page {
                    after = Some(match after.take() {
                        Some(a) if cmp_oro_ids(&a, &res.id).is_ge() => a,
                        _ => res.id.clone(),
                    });
                    let owner = res.rel_id("owner").ok_or_else(|| {
                        StoreError::Malformed(format!("{ADDRESSES} {}: no owner", res.id))
                    })?;
                    let address = address_from(&res)?;
                    out.get_mut(&owner)
                        .ok_or_else(|| {
                            StoreError::Malformed(format!(
                                "{ADDRESSES} {}: owner {owner} was not asked for",
                                res.id
                            ))
                        })?
                        .push(address);
                }
                if n < size as usize {
                    done = true;
                    break;
                }
            }
            if !done {
                return Err(StoreError::Unavailable(format!(
                    "{ADDRESSES}: the listing did not end after {MAX_PAGES} pages"
                )));
            }
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| {
                cmp_oro_ids(
                    a.oro_id.as_deref().unwrap_or_default(),
                    b.oro_id.as_deref().unwrap_or_default(),
                )
            });
            list.dedup_by(|a, b| a.oro_id == b.oro_id);
        }
        Ok(out)
    }

    /// Creates `address` on the contact. Sent once unless Oro said it did
    /// nothing: a create whose fate is unknown is not repeated
    /// (docs/reliability.md "Hostile servers").
    pub async fn create_address(
        &self,
        contact_id: &str,
        address: &Address,
    ) -> StoreResult<Address> {
        let doc = address_document(address, None, Some(contact_id))?;
        self.address_write(
            Method::POST,
            format!("/api/{ADDRESSES}"),
            &doc,
            Retry::Create,
            "new address",
        )
        .await
    }

    /// Writes all of `address`'s fields over the Oro address it names. The
    /// owner is not sent: Oro ignores it on an update anyway.
    pub async fn update_address(&self, address: &Address) -> StoreResult<Address> {
        let id = address.oro_id.as_deref().ok_or_else(|| {
            StoreError::Rejected("an address without an Oro id cannot be updated".into())
        })?;
        let doc = address_document(address, Some(id), None)?;
        self.address_write(
            Method::PATCH,
            format!("/api/{ADDRESSES}/{}", esc(id)),
            &doc,
            Retry::Idempotent,
            &format!("address {id}"),
        )
        .await
    }

    /// Deletes an address; one already gone (404) counts as deleted, so a
    /// delete repeated after an unknown outcome is harmless.
    pub async fn delete_address(&self, id: &str) -> StoreResult<()> {
        let r = self
            .send(
                Method::DELETE,
                &format!("/api/{ADDRESSES}/{}", esc(id)),
                None,
                JSON_API,
                Retry::Idempotent,
            )
            .await?;
        if r.status.is_success() || r.status.as_u16() == 404 {
            return Ok(());
        }
        Err(from_status(r.status, &r.body, &format!("address {id}")))
    }

    /// Oro's regions of a country as (combined code such as `DE-BY`, English
    /// name), by code; empty for a country Oro has no regions for.
    pub async fn regions_of(&self, country: &str) -> StoreResult<Vec<(String, String)>> {
        let size = self.config.page_size.max(1);
        let mut out = Vec::new();
        for number in 1..=MAX_PAGES {
            let path = format!(
                "/api/regions?filter[country]={}&page[size]={size}&page[number]={number}",
                esc(country)
            );
            let r = self
                .send(Method::GET, &path, None, JSON_API, Retry::Idempotent)
                .await?;
            if !r.status.is_success() {
                return Err(from_status(r.status, &r.body, "regions"));
            }
            let page = jsonapi::parse_many(&r.body)?;
            let n = page.len();
            for res in page {
                let name = text(&res, "name")
                    .ok_or_else(|| StoreError::Malformed(format!("regions {}: no name", res.id)))?;
                out.push((res.id, name));
            }
            if n < size as usize {
                out.sort();
                out.dedup();
                return Ok(out);
            }
        }
        Err(StoreError::Unavailable(format!(
            "regions: the listing did not end after {MAX_PAGES} pages"
        )))
    }

    async fn address_list(&self, query: &str) -> StoreResult<Vec<Resource>> {
        let r = self
            .send(
                Method::GET,
                &format!("/api/{ADDRESSES}?{query}"),
                None,
                JSON_API,
                Retry::Idempotent,
            )
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, ADDRESSES));
        }
        jsonapi::parse_many(&r.body)
    }

    async fn address_write(
        &self,
        method: Method,
        path: String,
        doc: &Value,
        retry: Retry,
        what: &str,
    ) -> StoreResult<Address> {
        let body = serde_json::to_vec(doc).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let r = self
            .send(method, &path, Some((JSON_API, body)), JSON_API, retry)
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, what));
        }
        address_from(&jsonapi::parse_one(&r.body)?)
    }
}

fn text(res: &Resource, name: &str) -> Option<String> {
    match res.attributes.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// An address as Oro renders it (ContactBundle api.yml: `customRegion` is
/// the free-text region, `region` Oro's combined code).
fn address_from(res: &Resource) -> StoreResult<Address> {
    let bad = |why: String| StoreError::Malformed(format!("{ADDRESSES} {}: {why}", res.id));
    let mut types = std::collections::BTreeSet::new();
    if let Some(list) = res
        .relationships
        .get("types")
        .and_then(|t| t.get("data"))
        .and_then(Value::as_array)
    {
        for t in list {
            let id = t.get("id").and_then(Value::as_str).unwrap_or_default();
            // A type Oro has and we do not map is left out rather than
            // failing the contact's addresses.
            if let Some(t) = AddressType::parse(id) {
                types.insert(t);
            }
        }
    }
    let region = match (res.rel_id("region"), text(res, "customRegion")) {
        (Some(code), _) => Some(Region::code(&code).map_err(|e| bad(e.to_string()))?),
        (None, Some(t)) => Some(Region::Text(t)),
        (None, None) => None,
    };
    let mut address = Address {
        oro_id: Some(res.id.clone()),
        types,
        primary: res.attributes.get("primary") == Some(&Value::Bool(true)),
        street: text(res, "street"),
        street2: text(res, "street2"),
        city: text(res, "city"),
        postal_code: text(res, "postalCode"),
        country: None,
        region,
        region_name: None,
        country_text: None,
    };
    if let Some(c) = res.rel_id("country") {
        address.set_country(&c).map_err(|e| bad(e.to_string()))?;
    }
    Ok(address)
}

/// The JSON:API document of a create (`owner` given) or an update (`id`
/// given). Every field is sent, null when empty, so an update clears what
/// the address no longer has.
fn address_document(a: &Address, id: Option<&str>, owner: Option<&str>) -> StoreResult<Value> {
    let country = a
        .country
        .as_deref()
        .ok_or_else(|| StoreError::Rejected("an address needs a country in Oro".into()))?;
    let opt = |v: &Option<String>| v.as_deref().map_or(Value::Null, |s| json!(s));
    let (region, custom) = match &a.region {
        Some(Region::Code(c)) => (json!({"type": "regions", "id": c}), Value::Null),
        Some(Region::Text(t)) => (Value::Null, json!(t)),
        None => (Value::Null, Value::Null),
    };
    let mut rels = Map::new();
    if let Some(o) = owner {
        rels.insert(
            "owner".into(),
            json!({"data": {"type": "contacts", "id": o}}),
        );
    }
    rels.insert(
        "country".into(),
        json!({"data": {"type": "countries", "id": country}}),
    );
    rels.insert("region".into(), json!({ "data": region }));
    rels.insert(
        "types".into(),
        json!({"data": a.types.iter().map(|t| json!({"type": "addresstypes", "id": t.as_str()})).collect::<Vec<_>>()}),
    );
    let mut data = json!({
        "type": ADDRESSES,
        "attributes": {
            "primary": a.primary,
            "street": opt(&a.street),
            "street2": opt(&a.street2),
            "city": opt(&a.city),
            "postalCode": opt(&a.postal_code),
            "customRegion": custom,
        },
        "relationships": rels,
    });
    if let Some(id) = id {
        data["id"] = json!(id);
    }
    Ok(json!({ "data": data }))
}
