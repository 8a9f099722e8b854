//! The fake's HTTP side of contact addresses and of Oro's address
//! dictionaries: `contactaddresses` (listing with Oro's filters, get,
//! create, update, delete), the contacts' `addresses` relationship and
//! `include=addresses`, and the read-only `countries`, `regions` and
//! `addresstypes` (platform AddressBundle `Resources/config/oro/api.yml`,
//! `Tests/Functional/Api/RestJsonApi/RegionTest.php`: no writes).

use super::addresses::{self, FakeAddress, FakeAddresses, CONTACT_ADDRESSES};
use super::data::CONTACTS;
use super::dictionary::{self, Country};
use super::jsonapi::{check_accept, errors, not_found, read_doc, read_new_doc};
use super::query::Op;
use super::validate::{at, param, ApiErr};
use super::{api_error, json_api, Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(super) const COUNTRIES: &str = "countries";
pub(super) const REGIONS: &str = "regions";
pub(super) const ADDRESS_TYPES: &str = "addresstypes";

/// Oro's read-only address dictionaries.
pub(super) fn is_dictionary(ty: &str) -> bool {
    [COUNTRIES, REGIONS, ADDRESS_TYPES].contains(&ty)
}

/// A write to a dictionary: Oro has no such action (`RegionTest`
/// `testTryToCreate`: 405, allowed "OPTIONS, GET").
pub(super) fn read_only() -> Response {
    let mut r = api_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed http exception",
        "Method Not Allowed",
        None,
    );
    r.headers_mut().insert(
        axum::http::header::ALLOW,
        axum::http::HeaderValue::from_static("OPTIONS, GET"),
    );
    r
}

// ------------------------------------------------------------ dictionaries

fn country_resource(c: &Country) -> Value {
    let regions: Vec<Value> = c
        .regions
        .iter()
        .map(|r| json!({"type": REGIONS, "id": r.0}))
        .collect();
    json!({
        "type": COUNTRIES,
        "id": c.iso2,
        "attributes": {"iso3Code": c.iso3, "name": c.name},
        "relationships": {"regions": {"data": regions}},
    })
}

fn region_resource(c: &Country, r: &(&str, &str, &str)) -> Value {
    json!({
        "type": REGIONS,
        "id": r.0,
        "attributes": {"code": r.1, "name": r.2},
        "relationships": {"country": {"data": {"type": COUNTRIES, "id": c.iso2}}},
    })
}

fn type_resource(t: &(&str, &str)) -> Value {
    json!({"type": ADDRESS_TYPES, "id": t.0, "attributes": {"label": t.1}})
}

/// One dictionary entry by id.
pub(super) fn dictionary_one(ty: &str, id: &str, headers: &HeaderMap) -> Response {
    if let Err(r) = check_accept(headers) {
        return r;
    }
    let v = match ty {
        COUNTRIES => dictionary::country(id).map(country_resource),
        REGIONS => dictionary::region(id).and_then(|(c, _, _)| {
            c.regions
                .iter()
                .find(|r| r.0 == id)
                .map(|r| region_resource(c, r))
        }),
        _ => dictionary::ADDRESS_TYPES
            .iter()
            .find(|t| t.0 == id)
            .map(type_resource),
    };
    match v {
        Some(v) => json_api(StatusCode::OK, json!({ "data": v })),
        None => not_found(),
    }
}

/// A dictionary listing: `filter[id]` on any, `filter[country]` on regions
/// (both lists, AddressBundle api.yml `allow_array`), by id, paged.
pub(super) fn dictionary_list(ty: &str, raw: &str, headers: &HeaderMap) -> Response {
    if let Err(r) = check_accept(headers) {
        return r;
    }
    let mut ids: Option<Vec<String>> = None;
    let mut countries: Option<Vec<String>> = None;
    let mut page = Page::default();
    let mut errs = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()).into_owned() {
        let list = || Some(v.split(',').map(str::to_string).collect::<Vec<_>>());
        match k.as_str() {
            "filter[id]" => ids = list(),
            "filter[country]" if ty == REGIONS => countries = list(),
            _ if k.starts_with("filter[") => errs.push(param(
                "filter constraint",
                "The filter is not supported.",
                &k,
            )),
            _ => {
                page.read(&k, &v, &mut errs);
            }
        }
    }
    if !errs.is_empty() {
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    let keep = |id: &str| ids.as_ref().is_none_or(|l| l.iter().any(|x| x == id));
    let mut all: Vec<(String, Value)> = match ty {
        COUNTRIES => dictionary::COUNTRIES
            .iter()
            .map(|c| (c.iso2.to_string(), country_resource(c)))
            .collect(),
        REGIONS => dictionary::COUNTRIES
            .iter()
            .filter(|c| {
                countries
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|x| x == c.iso2))
            })
            .flat_map(|c| {
                c.regions
                    .iter()
                    .map(move |r| (r.0.to_string(), region_resource(c, r)))
            })
            .collect(),
        _ => dictionary::ADDRESS_TYPES
            .iter()
            .map(|t| (t.0.to_string(), type_resource(t)))
            .collect(),
    };
    all.retain(|(id, _)| keep(id));
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let (data, more) = page.cut(all.into_iter().map(|(_, v)| v).collect());
    json_api(StatusCode::OK, page.document(ty, raw, data, more))
}

// ------------------------------------------------------------ paging

/// `page[size]` (10 by default, -1 for all) and `page[number]`, as the
/// fake's other listings read them (query.rs).
struct Page {
    size: Option<usize>,
    number: usize,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            size: Some(10),
            number: 1,
        }
    }
}

impl Page {
    /// Reads a paging parameter; false when `k` is none.
    fn read(&mut self, k: &str, v: &str, errs: &mut Vec<ApiErr>) -> bool {
        match k {
            "page[size]" => match v.parse::<i64>() {
                Ok(-1) => self.size = None,
                Ok(n) if n > 0 => self.size = Some(n as usize),
                _ => errs.push(param(
                    "page size constraint",
                    "Expected a positive integer or -1.",
                    k,
                )),
            },
            "page[number]" => match v.parse::<usize>() {
                Ok(n) if n > 0 => self.number = n,
                _ => errs.push(param(
                    "page number constraint",
                    "Expected a positive integer.",
                    k,
                )),
            },
            _ => return false,
        }
        true
    }

    /// This page of `all` and whether more follow.
    fn cut<T>(&self, all: Vec<T>) -> (Vec<T>, bool) {
        match self.size {
            None => (all, false),
            Some(n) => {
                let start = (self.number - 1).saturating_mul(n);
                let more = start.saturating_add(n) < all.len();
                (all.into_iter().skip(start).take(n).collect(), more)
            }
        }
    }

    fn document(&self, ty: &str, raw: &str, data: Vec<Value>, more: bool) -> Value {
        let mut body = json!({"data": data, "links": {"self": format!("/api/{ty}?{raw}")}});
        if more {
            let next: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(
                    url::form_urlencoded::parse(raw.as_bytes())
                        .into_owned()
                        .filter(|(k, _)| k != "page[number]"),
                )
                .append_pair("page[number]", &(self.number + 1).to_string())
                .finish();
            body["links"]["next"] = json!(format!("/api/{ty}?{next}"));
        }
        body
    }
}

// ------------------------------------------------------------ contactaddresses

/// A `contactaddresses` filter. Oro makes filters for the identifier, for
/// indexed columns and for indexed (to-one) associations (platform
/// ApiBundle `Processor/GetConfig/CompleteFilters.php`): `id`, `owner`,
/// `country`, `region`; ContactBundle api.yml adds `customRegion`. There is
/// no `updatedAt` filter: the address table has no index on `updated`.
enum Filter {
    Id(Op, Vec<u64>),
    Owner(Vec<u64>),
    Country(Vec<String>),
    Region(Vec<String>),
    CustomRegion(String),
}

impl Filter {
    fn matches(&self, a: &FakeAddress) -> bool {
        match self {
            Filter::Id(Op::Eq, ids) => ids.contains(&a.id),
            Filter::Id(Op::Neq, ids) => !ids.contains(&a.id),
            Filter::Id(op, ids) => ids.iter().all(|x| op.holds(a.id.cmp(x))),
            Filter::Owner(ids) => ids.contains(&a.owner),
            Filter::Country(l) => a.country.as_ref().is_some_and(|c| l.contains(c)),
            Filter::Region(l) => a.region.as_ref().is_some_and(|r| l.contains(r)),
            Filter::CustomRegion(t) => a.attr_str("customRegion") == Some(t.as_str()),
        }
    }
}

struct AddressQuery {
    filters: Vec<Filter>,
    page: Page,
    desc: bool,
    fields: Option<Vec<String>>,
    include: Vec<String>,
}

fn parse_query(raw: &str) -> Result<AddressQuery, Vec<ApiErr>> {
    let mut q = AddressQuery {
        filters: Vec::new(),
        page: Page::default(),
        desc: false,
        fields: None,
        include: Vec::new(),
    };
    let mut errs = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()).into_owned() {
        if let Some(rest) = k.strip_prefix("filter[") {
            let (name, op) = match rest.split_once("][") {
                Some((n, o)) => (n, o.trim_end_matches(']')),
                None => (rest.trim_end_matches(']'), "eq"),
            };
            let Some(op) = Op::parse(op) else {
                errs.push(param(
                    "filter constraint",
                    format!("The operator \"{op}\" is not supported."),
                    &k,
                ));
                continue;
            };
            let strings = || v.split(',').map(str::to_string).collect::<Vec<_>>();
            let numbers = |errs: &mut Vec<ApiErr>| {
                let mut out = Vec::new();
                for part in v.split(',') {
                    match part.parse::<u64>() {
                        Ok(n) => out.push(n),
                        Err(_) => errs.push(param(
                            "filter constraint",
                            format!("Expected integer value. Given \"{part}\"."),
                            &k,
                        )),
                    }
                }
                out
            };
            match (name, op) {
                ("id", _) => {
                    let ids = numbers(&mut errs);
                    q.filters.push(Filter::Id(op, ids));
                }
                ("owner", Op::Eq) => {
                    let ids = numbers(&mut errs);
                    q.filters.push(Filter::Owner(ids));
                }
                ("country", Op::Eq) => q.filters.push(Filter::Country(strings())),
                ("region", Op::Eq) => q.filters.push(Filter::Region(strings())),
                ("customRegion", Op::Eq) => q.filters.push(Filter::CustomRegion(v.clone())),
                ("owner" | "country" | "region" | "customRegion", _) => errs.push(param(
                    "filter constraint",
                    format!("The operator \"{}\" is not supported.", op.name()),
                    &k,
                )),
                _ => errs.push(param(
                    "filter constraint",
                    "The filter is not supported.",
                    &k,
                )),
            }
        } else if q.page.read(&k, &v, &mut errs) {
            continue;
        } else if k == "sort" {
            // Sorters: the identifier (the fake's only indexed column that
            // Oro would sort by, query.rs `sortable`).
            match v.as_str() {
                "id" => q.desc = false,
                "-id" => q.desc = true,
                _ => {
                    let fields: Vec<&str> = v
                        .split(',')
                        .map(|f| f.trim_start_matches('-'))
                        .filter(|f| *f != "id")
                        .collect();
                    errs.push(param(
                        "sort constraint",
                        format!(
                            "Sorting by \"{}\" field{} not supported.",
                            fields.join(", "),
                            if fields.len() == 1 { " is" } else { "s are" }
                        ),
                        &k,
                    ));
                }
            }
        } else if k == format!("fields[{CONTACT_ADDRESSES}]") {
            q.fields = Some(v.split(',').map(str::to_string).collect());
        } else if k == "include" {
            for name in v.split(',') {
                if ["owner", "country", "region", "types"].contains(&name) {
                    q.include.push(name.to_string());
                } else {
                    // platform ApiBundle `Processor/Shared/ValidateIncludedFields`.
                    errs.push(param(
                        "include constraint",
                        format!("The relationship \"{name}\" does not exist."),
                        &k,
                    ));
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(q)
    } else {
        Err(errs)
    }
}

/// The resources `include` asks for, once each, in (type, id) order.
fn included(s: &Shared, rows: &[&FakeAddress], include: &[String]) -> Vec<Value> {
    let mut out: BTreeMap<(String, String), Value> = BTreeMap::new();
    let d = s.data.lock().expect("data");
    for a in rows {
        for name in include {
            match name.as_str() {
                "owner" => {
                    if let Some(c) = d.get(CONTACTS, a.owner) {
                        let mut v = super::jsonapi::render(CONTACTS, c, None);
                        v["relationships"]["addresses"] =
                            addresses::contact_relationship(&d.addresses, a.owner);
                        out.insert((CONTACTS.into(), a.owner.to_string()), v);
                    }
                }
                "country" => {
                    if let Some(c) = a.country.as_deref().and_then(dictionary::country) {
                        out.insert((COUNTRIES.into(), c.iso2.into()), country_resource(c));
                    }
                }
                "region" => {
                    if let Some((c, code, name)) = a.region.as_deref().and_then(dictionary::region)
                    {
                        let id = a.region.clone().unwrap_or_default();
                        out.insert(
                            (REGIONS.into(), id.clone()),
                            region_resource(c, &(id.as_str(), code, name)),
                        );
                    }
                }
                _ => {
                    for t in &a.types {
                        if let Some(t) = dictionary::ADDRESS_TYPES.iter().find(|x| x.0 == t) {
                            out.insert((ADDRESS_TYPES.into(), t.0.into()), type_resource(t));
                        }
                    }
                }
            }
        }
    }
    out.into_values().collect()
}

pub(super) fn list(s: &Shared, raw: &str, headers: &HeaderMap) -> Response {
    if let Err(r) = check_accept(headers) {
        return r;
    }
    let q = match parse_query(raw) {
        Ok(q) => q,
        Err(e) => return errors(StatusCode::BAD_REQUEST, e),
    };
    let rows: Vec<FakeAddress> = {
        let d = s.data.lock().expect("data");
        let mut rows: Vec<FakeAddress> = d
            .addresses
            .iter()
            .filter(|a| q.filters.iter().all(|f| f.matches(a)))
            .cloned()
            .collect();
        if q.desc {
            rows.reverse();
        }
        rows
    };
    let (page, more) = q.page.cut(rows);
    let data = page
        .iter()
        .map(|a| addresses::render(a, q.fields.as_deref()))
        .collect();
    let mut body = q.page.document(CONTACT_ADDRESSES, raw, data, more);
    if !q.include.is_empty() {
        let refs: Vec<&FakeAddress> = page.iter().collect();
        body["included"] = json!(included(s, &refs, &q.include));
    }
    s.after_list();
    json_api(StatusCode::OK, body)
}

pub(super) fn get_one(s: &Shared, id: &str, headers: &HeaderMap) -> Response {
    if let Err(r) = check_accept(headers) {
        return r;
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    match s.data.lock().expect("data").addresses.get(id) {
        Some(a) => json_api(StatusCode::OK, json!({"data": addresses::render(a, None)})),
        None => not_found(),
    }
}

pub(super) fn create(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let data = match read_new_doc(headers, body, CONTACT_ADDRESSES) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut d = s.data.lock().expect("data");
    let now = d.now();
    let mut a = addresses::blank(now);
    let errs = {
        let exists = |id: u64| d.get(CONTACTS, id).is_some();
        addresses::apply(&mut a, &data, true, &exists)
    };
    if !errs.is_empty() {
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    let id = d.addresses.save(a, now);
    d.writes.created += 1;
    let a = d.addresses.get(id).expect("just stored");
    json_api(
        StatusCode::CREATED,
        json!({"data": addresses::render(a, None)}),
    )
}

pub(super) fn update(s: &Shared, id: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let data = match read_doc(headers, body, CONTACT_ADDRESSES) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Ok(num) = id.parse::<u64>() else {
        return not_found();
    };
    if data.get("id").and_then(Value::as_str) != Some(id) {
        return errors(StatusCode::CONFLICT, vec![at("conflict constraint", "The 'id' property of the primary data object should match 'id' parameter of the query string", "/data/id")]);
    }
    let mut d = s.data.lock().expect("data");
    let now = d.now();
    let Some(mut a) = d.addresses.get(num).cloned() else {
        return not_found();
    };
    let errs = {
        let exists = |id: u64| d.get(CONTACTS, id).is_some();
        addresses::apply(&mut a, &data, false, &exists)
    };
    if !errs.is_empty() {
        // The whole request is refused: nothing of it is stored.
        return errors(StatusCode::BAD_REQUEST, errs);
    }
    d.addresses.save(a, now);
    d.writes.updated += 1;
    let a = d.addresses.get(num).expect("exists");
    json_api(StatusCode::OK, json!({"data": addresses::render(a, None)}))
}

/// Deleting the primary address leaves the others as they are, none of
/// them primary: Oro has no processor for it (ContactBundle
/// `services_api.yml` fixes primaries on writes of an address only).
pub(super) fn delete(s: &Shared, id: &str) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let mut d = s.data.lock().expect("data");
    if d.addresses.remove(id) {
        d.writes.deleted += 1;
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

/// A contact's resource gets its `addresses` relationship (Oro lists every
/// relationship of a resource unless a sparse fieldset leaves it out).
pub(super) fn add_contact_relationship(
    book: &FakeAddresses,
    v: &mut Value,
    id: u64,
    fields: Option<&[String]>,
) {
    if fields.is_some_and(|f| !f.iter().any(|x| x == "addresses")) {
        return;
    }
    if !v.get("relationships").is_some_and(Value::is_object) {
        v["relationships"] = json!({});
    }
    v["relationships"]["addresses"] = addresses::contact_relationship(book, id);
}

/// The addresses of these contacts, for `include=addresses` on contacts.
pub(super) fn included_for_contacts(book: &FakeAddresses, contacts: &[u64]) -> Vec<Value> {
    let mut rows: Vec<&FakeAddress> = contacts.iter().flat_map(|c| book.of(*c)).collect();
    rows.sort_by_key(|a| a.id);
    rows.dedup_by_key(|a| a.id);
    rows.iter().map(|a| addresses::render(a, None)).collect()
}
