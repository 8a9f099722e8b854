//! Delta queries: follow `@odata.nextLink` to the `@odata.deltaLink`, keep
//! the whole deltaLink as the cursor, and read `@removed` entries.
//!
//! Event delta returns no extended properties and contact delta does not
//! document `$expand`, so the link (and gender) of changed contacts and
//! events is read afterwards with batched GETs. Task delta takes
//! `$expand=linkedResources` directly.

use super::batch::Member;
use super::error::{is_expired_delta, to_store_error};
use super::{item_url_in, GraphClient, PREFER_READ};
use crate::model::{Kind, OutlookItem};
use crate::store::{OutlookChanges, StoreError, StoreResult, Window};
use reqwest::Method;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Every page of a delta round: the entries (in order) and the deltaLink.
async fn pages(
    c: &GraphClient,
    first: &str,
    prefer: Option<&str>,
) -> StoreResult<(Vec<Value>, String)> {
    let mut url = first.to_string();
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
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
        match r.body.get("value") {
            Some(Value::Array(a)) => entries.extend(a.iter().cloned()),
            None | Some(Value::Null) => {}
            Some(_) => {
                return Err(StoreError::Malformed(
                    "delta page whose value is not a list".into(),
                ))
            }
        }
        if let Some(d) = r.body.get("@odata.deltaLink").and_then(Value::as_str) {
            return Ok((entries, d.to_string()));
        }
        match r.body.get("@odata.nextLink").and_then(Value::as_str) {
            // A nextLink seen before would loop for ever.
            Some(n) if !seen.insert(n.to_string()) => {
                return Err(StoreError::Malformed("delta nextLink repeats".into()))
            }
            Some(n) => url = n.to_string(),
            None => {
                return Err(StoreError::Malformed(
                    "delta page without a next or delta link".into(),
                ))
            }
        }
    }
}

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
    let first = match cursor {
        Some(cur) => cur.to_string(),
        None => match kind {
            Kind::Contacts => "/me/contacts/delta".to_string(),
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
    let (entries, delta_link) = pages(c, &first, Some(&paged)).await?;

    // The same id may come more than once; the last word counts.
    let mut order: Vec<String> = Vec::new();
    let mut last: HashMap<String, Value> = HashMap::new();
    for e in entries {
        let Some(id) = e.get("id").and_then(Value::as_str).map(str::to_string) else {
            return Err(StoreError::Malformed(format!(
                "{kind} delta entry without an id"
            )));
        };
        if last.insert(id.clone(), e).is_none() {
            order.push(id);
        }
    }
    let mut out = OutlookChanges {
        full: cursor.is_none(),
        cursor: delta_link,
        ..Default::default()
    };
    let mut present: Vec<Value> = Vec::new();
    for id in order {
        let e = last.remove(&id).expect("recorded");
        if e.get("@removed").is_some() {
            out.removed.push(id);
        } else {
            present.push(e);
        }
    }

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
    let need: Vec<usize> = (0..present.len())
        .filter(|&i| hydrate(&present[i]))
        .collect();
    let mut members = Vec::with_capacity(need.len());
    if !need.is_empty() {
        let collection = c.collection(kind).await?;
        for &i in &need {
            let id = present[i]
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            members.push(Member::get(item_url_in(&collection, kind, id), prefer));
        }
    }
    let answers = c.batch(members).await;
    let mut gone: HashSet<usize> = HashSet::new();
    for (a, &i) in answers.into_iter().zip(need.iter()) {
        match a {
            Ok(a) if (200..300).contains(&a.status) => present[i] = a.body,
            // Deleted between the delta page and the read.
            Ok(a) if a.status == 404 => {
                gone.insert(i);
            }
            Ok(a) => return Err(to_store_error(a.status, &a.body, &format!("GET {kind}"))),
            Err(e) => return Err(e),
        }
    }
    for (i, v) in present.iter().enumerate() {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if gone.contains(&i) {
            out.removed.push(id);
            continue;
        }
        let it: OutlookItem = c.mapper().read(kind, v)?;
        // calendarView/delta may mention events that left the window.
        if !it.recurring && it.item.outside_window(window.from, window.to) {
            out.removed.push(it.id);
        } else {
            out.items.push(it);
        }
    }
    Ok(out)
}
