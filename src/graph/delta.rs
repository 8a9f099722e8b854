//! Delta queries: follow `@odata.nextLink` to the `@odata.deltaLink`, keep
//! the whole deltaLink as the cursor, and read `@removed` entries.
//!
//! Event delta returns no extended properties and contact delta does not
//! document `$expand`, so the link (and gender) of changed contacts and
//! events is read afterwards with batched GETs. Task delta takes
//! `$expand=linkedResources` directly.

use super::batch::Member;
use super::error::{is_expired_delta, to_store_error};
use super::mapping::Mapper;
use super::{enc, item_url_in, GraphClient, PREFER_READ};
use crate::model::{Kind, OutlookItem};
use crate::sides::{OutlookChanges, StoreError, StoreResult, Window};
use reqwest::Method;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Every page of a delta round, handed to `on_page` as it comes (a full
/// listing of 100k items is never held as JSON all at once); the deltaLink.
async fn pages(
    c: &GraphClient,
    first: &str,
    prefer: Option<&str>,
    on_page: &mut dyn FnMut(Vec<Value>) -> StoreResult<()>,
) -> StoreResult<String> {
    let mut url = first.to_string();
    let mut seen = HashSet::new();
    loop {
        let r = c
            .send(Method::GET, &url, None::<&Value>, prefer, true)
            .await?;
        if is_expired_delta(r.status, &r.body) {
            return Err(StoreError::CursorExpired);
        }
        if !r.ok() {
            return Err(to_store_error(r.status, &r.body, "delta"));
        }
        match page_step(r.body, &mut seen, on_page)? {
            PageEnd::Next(n) => url = n,
            PageEnd::Done(d) => return Ok(d),
        }
    }
}

/// Where a delta page leads.
#[derive(Debug, PartialEq, Eq)]
pub enum PageEnd {
    /// Read this page next.
    Next(String),
    /// The round is over; this is the cursor of the next one.
    Done(String),
}

/// One page of a delta round: its entries to `on_page`, then where it
/// leads. `seen` holds the round's nextLinks so far: one seen before would
/// loop for ever. Pure, so the fuzz target runs the same loop.
pub fn page_step(
    mut body: Value,
    seen: &mut HashSet<String>,
    on_page: &mut dyn FnMut(Vec<Value>) -> StoreResult<()>,
) -> StoreResult<PageEnd> {
    match body.get_mut("value").map(Value::take) {
        Some(Value::Array(a)) => on_page(a)?,
        None | Some(Value::Null) => {}
        Some(_) => {
            return Err(StoreError::Malformed(
                "delta page whose value is not a list".into(),
            ))
        }
    }
    if let Some(d) = body.get("@odata.deltaLink").and_then(Value::as_str) {
        return Ok(PageEnd::Done(d.to_string()));
    }
    match body.get("@odata.nextLink").and_then(Value::as_str) {
        Some(n) if !seen.insert(n.to_string()) => {
            Err(StoreError::Malformed("delta nextLink repeats".into()))
        }
        Some(n) => Ok(PageEnd::Next(n.to_string())),
        None => Err(StoreError::Malformed(
            "delta page without a next or delta link".into(),
        )),
    }
}

/// What the last delta entry of an id said.
enum Seen {
    Removed,
    /// Read the item again (its link and gender are not in the delta).
    Hydrate,
    /// The entry as mapped (kept as a result: only the last word may fail the run).
    /// Boxed: most entries are `Hydrate`, and a map of 100k holds them.
    Ready(Box<StoreResult<OutlookItem>>),
}

/// A round's entries so far: the last word of each id, ids in the order
/// first seen.
#[derive(Default)]
pub(crate) struct Entries {
    order: Vec<String>,
    last: HashMap<String, Seen>,
}

impl Entries {
    /// One delta entry: removed, to be read again (`hydrate`), or mapped now.
    pub(crate) fn add(
        &mut self,
        kind: Kind,
        e: Value,
        hydrate: &dyn Fn(&Value) -> bool,
        mapper: &Mapper,
    ) -> StoreResult<()> {
        let Some(id) = e.get("id").and_then(Value::as_str).map(str::to_string) else {
            return Err(StoreError::Malformed(format!(
                "{kind} delta entry without an id"
            )));
        };
        let seen = if e.get("@removed").is_some() {
            Seen::Removed
        } else if hydrate(&e) {
            Seen::Hydrate
        } else {
            Seen::Ready(Box::new(mapper.read(kind, &e)))
        };
        if self.last.insert(id.clone(), seen).is_none() {
            self.order.push(id);
        }
        Ok(())
    }

    /// Ids seen, and of those how many were removed.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let removed = self
            .last
            .values()
            .filter(|s| matches!(s, Seen::Removed))
            .count();
        (self.order.len(), removed)
    }
}

/// What reading an item back gave.
enum Got {
    NotRead,
    Gone,
    Body(Value),
}

/// Items read back per slice (ten `$batch` requests).
const HYDRATE_SLICE: usize = 200;

/// Items per delta page asked of Graph.
const DELTA_PAGE: usize = 200;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(super) async fn changes(
    c: &GraphClient,
    kind: Kind,
    cursor: Option<&str>,
    window: &Window,
) -> StoreResult<OutlookChanges> {
    // A contacts cursor saved before the documented folder path was used
    // (`/me/contacts/delta`) is followed no further: the sync lists the
    // folder again as it does after an expired cursor, and compares by hash.
    if kind == Kind::Contacts && cursor.is_some_and(|cur| !cur.contains("/contactFolders/")) {
        return Err(StoreError::CursorExpired);
    }
    let first = match cursor {
        Some(cur) => cur.to_string(),
        None => match kind {
            Kind::Contacts => format!(
                "/me/contactFolders/{}/contacts/delta",
                enc(&c.default_contact_folder().await?)
            ),
            Kind::Events => format!(
                "/me/calendarView/delta?startDateTime={}&endDateTime={}",
                rfc3339(window.from),
                rfc3339(window.to)
            ),
            Kind::Tasks => format!(
                "{}/delta?$expand=linkedResources",
                c.collection(kind).await?
            ),
        },
    };
    let prefer = (kind == Kind::Events).then_some(PREFER_READ);
    // Graph pages a delta by 10 unless asked for more (it caps the page
    // itself, at 200 for contacts): a full listing or a round after a big
    // run then takes a twentieth of the round trips. Asked on every page.
    let paged = match prefer {
        Some(p) => format!("{p}, odata.maxpagesize={DELTA_PAGE}"),
        None => format!("odata.maxpagesize={DELTA_PAGE}"),
    };

    // Read link and gender of contacts and single events; series instances
    // are skipped by the sync and need no link.
    let hydrate = |v: &Value| match kind {
        Kind::Contacts => true,
        Kind::Events => {
            v.get("type")
                .and_then(Value::as_str)
                .unwrap_or("singleInstance")
                == "singleInstance"
        }
        Kind::Tasks => false,
    };
    // The same id may come more than once; the last word counts. Entries
    // are reduced as their page arrives: an id for those read again
    // afterwards, the mapped item for the others.
    let mut entries = Entries::default();
    let delta_link = pages(c, &first, Some(&paged), &mut |page| {
        page.into_iter()
            .try_for_each(|e| entries.add(kind, e, &hydrate, c.mapper()))
    })
    .await?;
    let Entries { order, mut last } = entries;
    let mut out = OutlookChanges {
        full: cursor.is_none(),
        cursor: delta_link,
        ..Default::default()
    };
    let mut present: Vec<(String, Seen)> = Vec::new();
    for id in order {
        match last.remove(&id).expect("recorded") {
            Seen::Removed => out.removed.push(id),
            seen => present.push((id, seen)),
        }
    }
    let collection = if present.iter().any(|(_, s)| matches!(s, Seen::Hydrate)) {
        Some(c.collection(kind).await?)
    } else {
        None
    };
    // Read back in slices, each mapped before the next is read, so only a
    // slice's answers are held as JSON at once.
    let mut read: Vec<Got> = Vec::with_capacity(HYDRATE_SLICE);
    for slice in present.chunks(HYDRATE_SLICE) {
        let need: Vec<&str> = slice
            .iter()
            .filter(|(_, s)| matches!(s, Seen::Hydrate))
            .map(|(id, _)| id.as_str())
            .collect();
        let members = need
            .iter()
            .map(|id| {
                let collection = collection.as_deref().unwrap_or_default();
                Member::get(item_url_in(collection, kind, id), prefer)
            })
            .collect();
        let mut answers = c.batch(members).await.into_iter();
        for (_, s) in slice {
            if !matches!(s, Seen::Hydrate) {
                read.push(Got::NotRead);
                continue;
            }
            match answers.next().expect("one answer per member") {
                Ok(a) if (200..300).contains(&a.status) => read.push(Got::Body(a.body)),
                // Deleted between the delta page and the read.
                Ok(a) if a.status == 404 => read.push(Got::Gone),
                Ok(a) => return Err(to_store_error(a.status, &a.body, &format!("GET {kind}"))),
                Err(e) => return Err(e),
            }
        }
        for ((id, s), r) in slice.iter().zip(read.drain(..)) {
            let it = match (s, r) {
                (_, Got::Gone) => {
                    out.removed.push(id.clone());
                    continue;
                }
                (_, Got::Body(v)) => c.mapper().read(kind, &v)?,
                (Seen::Ready(it), Got::NotRead) => (**it).clone()?,
                _ => unreachable!("every hydrated entry has an answer"),
            };
            // calendarView/delta may mention events that left the window.
            if !it.recurring && it.item.outside_window(window.from, window.to) {
                out.removed.push(it.id);
            } else {
                out.items.push(it);
            }
        }
    }
    Ok(out)
}
