//! Contacts and tasks through the JSON:API: change listing by `updatedAt`
//! watermark, id listing, get, create, update.

use super::error::from_status;
use super::http::{Retry, JSON_API};
use super::jsonapi::{self, format_time, type_of, Resource};
use super::{esc, ContactsScope, OroClient, MAX_PAGES};
use crate::model::{Item, Kind, OroRecord, Task, TaskStatus};
use crate::sides::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use reqwest::Method;
use std::collections::HashMap;

impl OroClient {
    /// The relationship filters that select the user's records. Oro ANDs
    /// filters, so "owner OR assignedTo" is one listing per filter, merged.
    async fn scopes(&self, kind: Kind) -> StoreResult<Vec<Option<(&'static str, String)>>> {
        Ok(match (kind, self.config.contacts_scope) {
            (Kind::Contacts, ContactsScope::All) => vec![None],
            (Kind::Contacts, ContactsScope::Mine) => {
                let me = self.user_id().await?;
                vec![Some(("owner", me.clone())), Some(("assignedTo", me))]
            }
            _ => vec![Some(("owner", self.user_id().await?))],
        })
    }

    async fn get_list(&self, kind: Kind, query: &str) -> StoreResult<Vec<Resource>> {
        let ty = type_of(kind);
        let r = self
            .send(
                Method::GET,
                &format!("/api/{ty}?{query}"),
                None,
                JSON_API,
                Retry::Idempotent,
            )
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, ty));
        }
        jsonapi::parse_many(&r.body)
    }

    /// Records updated at or after `since`, in (updatedAt, id) order.
    ///
    /// Deep page numbers over a set that changes while it is read skip or
    /// repeat rows (an edited record moves to the end and shifts the rest),
    /// so each next request starts again from the newest `updatedAt` seen,
    /// page 1; only when a whole page shares one second (more records than
    /// a page in the same second) does it step to the next page of that
    /// second. Records seen twice are merged by id, newest version kept.
    async fn changed_in(
        &self,
        kind: Kind,
        since: Option<DateTime<Utc>>,
        scope: &Option<(&'static str, String)>,
        into: &mut Merged,
    ) -> StoreResult<()> {
        let ty = type_of(kind);
        let size = self.config.page_size.max(1);
        let mut cursor = since;
        let mut page = 1u32;
        for _ in 0..MAX_PAGES {
            let mut q = String::new();
            if let Some(c) = cursor {
                q.push_str(&format!("filter[updatedAt][gte]={}&", esc(&format_time(c))));
            }
            if let Some((rel, id)) = scope {
                q.push_str(&format!("filter[{rel}]={}&", esc(id)));
            }
            q.push_str(&format!(
                "sort=updatedAt,id&page[size]={size}&page[number]={page}"
            ));
            let list = self.get_list(kind, &q).await?;
            let n = list.len();
            let mut newest = None;
            for res in &list {
                let rec = match jsonapi::record(kind, res, self.config.time_zone) {
                    Ok(r) => r,
                    Err(StoreError::Malformed(m)) => {
                        // Left out; its pair stays as it is until the record
                        // is fixed (the id listing still has it).
                        self.note_unreadable(kind, &res.id, &m);
                        newest = newest.max(res.time("updatedAt").ok().flatten());
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                newest = newest.max(Some(rec.updated_at));
                merge(into, rec);
            }
            if n < size as usize {
                return Ok(());
            }
            if newest <= cursor {
                page += 1;
            } else {
                cursor = newest;
                page = 1;
            }
        }
        Err(StoreError::Unavailable(format!(
            "{ty}: the listing did not settle after {MAX_PAGES} pages"
        )))
    }

    pub(crate) async fn resources_changed(
        &self,
        kind: Kind,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<OroRecord>> {
        let mut all = Merged::default();
        for scope in self.scopes(kind).await? {
            self.changed_in(kind, since, &scope, &mut all).await?;
        }
        if let (Kind::Contacts, Some(since)) = (kind, since) {
            // An address edit does not move its contact's updatedAt: the
            // contacts whose addresses changed are read as well.
            // Such a contact counts as changed when its address was: its
            // updatedAt is the newer of its own and its addresses', so the
            // watermark passes the address edit as it passes contact edits.
            let owners = self.address_owners_changed_since(since).await?;
            let missing: Vec<String> = owners
                .keys()
                .filter(|id| !all.at.contains_key(*id))
                .cloned()
                .collect();
            for rec in self.contacts_by_id(&missing).await? {
                merge(&mut all, rec);
            }
            for rec in all.records.iter_mut() {
                if let Some(at) = owners.get(&rec.id) {
                    rec.updated_at = rec.updated_at.max(*at);
                }
            }
        }
        let mut out = all.records;
        super::sort_records(&mut out);
        if kind == Kind::Contacts {
            self.fill_addresses(&mut out).await?;
        }
        Ok(out)
    }

    /// The contacts among `ids` that are in the user's scope, read by
    /// `filter[id]` a hundred at a time (per scope).
    async fn contacts_by_id(&self, ids: &[String]) -> StoreResult<Vec<OroRecord>> {
        let mut ids = ids.to_vec();
        ids.sort_by(|a, b| crate::model::cmp_oro_ids(a, b));
        ids.dedup();
        let mut out = Merged::default();
        for chunk in ids.chunks(100) {
            let list = chunk.iter().map(|i| esc(i)).collect::<Vec<_>>().join(",");
            for scope in self.scopes(Kind::Contacts).await? {
                let mut q = format!("filter[id]={list}&page[size]={}", chunk.len());
                if let Some((rel, id)) = &scope {
                    q.push_str(&format!("&filter[{rel}]={}", esc(id)));
                }
                for res in self.get_list(Kind::Contacts, &q).await? {
                    match jsonapi::record(Kind::Contacts, &res, self.config.time_zone) {
                        Ok(rec) => merge(&mut out, rec),
                        Err(StoreError::Malformed(m)) => {
                            self.note_unreadable(Kind::Contacts, &res.id, &m)
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(out.records)
    }

    /// Ids only (sparse fieldset), walking by `filter[id][gt]` so records
    /// deleted meanwhile cannot shift later ones out of the listing.
    pub(crate) async fn resource_ids(&self, kind: Kind) -> StoreResult<Vec<String>> {
        let ty = type_of(kind);
        let size = self.config.id_page_size.max(1);
        let mut ids: Vec<String> = Vec::new();
        for scope in self.scopes(kind).await? {
            let mut after: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let mut q = format!("fields[{ty}]=id&sort=id&page[size]={size}");
                if let Some(a) = &after {
                    q.push_str(&format!("&filter[id][gt]={}", esc(a)));
                }
                if let Some((rel, id)) = &scope {
                    q.push_str(&format!("&filter[{rel}]={}", esc(id)));
                }
                let list = self.get_list(kind, &q).await?;
                let n = list.len();
                let max = list
                    .iter()
                    .map(|r| r.id.clone())
                    .max_by(|a, b| crate::model::cmp_oro_ids(a, b));
                ids.extend(list.into_iter().map(|r| r.id));
                if n < size as usize || max.is_none() {
                    break;
                }
                after = max;
            }
        }
        ids.sort_by(|a, b| crate::model::cmp_oro_ids(a, b));
        ids.dedup();
        Ok(ids)
    }

    async fn resource_raw(&self, kind: Kind, id: &str) -> StoreResult<Option<Resource>> {
        let ty = type_of(kind);
        let r = self
            .send(
                Method::GET,
                &format!("/api/{ty}/{}", esc(id)),
                None,
                JSON_API,
                Retry::Idempotent,
            )
            .await?;
        if r.status.as_u16() == 404 {
            return Ok(None);
        }
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, &format!("{ty} {id}")));
        }
        jsonapi::parse_one(&r.body).map(Some)
    }

    pub(crate) async fn resource_get(
        &self,
        kind: Kind,
        id: &str,
    ) -> StoreResult<Option<OroRecord>> {
        match self.resource_raw(kind, id).await? {
            None => Ok(None),
            Some(res) => {
                let mut rec = [jsonapi::record(kind, &res, self.config.time_zone)?];
                self.fill_addresses(&mut rec).await?;
                let [rec] = rec;
                Ok(Some(rec))
            }
        }
    }

    pub(crate) async fn resource_create(&self, item: &Item) -> StoreResult<OroRecord> {
        let kind = item.kind();
        let me = self.user_id().await?;
        let doc = match item {
            Item::Contacts(c) => jsonapi::contact_document(c, None, Some(&me)),
            Item::Tasks(t) => {
                let due = jsonapi::due_to_oro(t.due_date, None, self.config.time_zone);
                // Created open, the one status Oro's task workflow accepts
                // on a create; the engine moves it on (task_flow.rs).
                let open = Task {
                    status: TaskStatus::Open,
                    ..t.clone()
                };
                jsonapi::task_document(&open, None, Some(&me), due)
            }
            Item::Events(_) => return Err(StoreError::Rejected("events are not JSON:API".into())),
        };
        let rec = self.write(Method::POST, kind, None, &doc).await?;
        self.with_addresses(rec, item).await
    }

    /// After a contact's own write: its addresses as `item` wants them,
    /// then the record with the addresses Oro now holds.
    async fn with_addresses(&self, rec: OroRecord, item: &Item) -> StoreResult<OroRecord> {
        let Item::Contacts(c) = item else {
            return Ok(rec);
        };
        self.write_addresses(&rec.id, &c.addresses).await?;
        let mut one = [rec];
        self.fill_addresses(&mut one).await?;
        let [rec] = one;
        Ok(rec)
    }

    pub(crate) async fn resource_update(&self, id: &str, item: &Item) -> StoreResult<OroRecord> {
        let kind = item.kind();
        let doc = match item {
            Item::Contacts(c) => jsonapi::contact_document(c, Some(id), None),
            Item::Tasks(t) => {
                // The previous dueDate decides the time of day of a new date.
                let prev = self
                    .resource_raw(kind, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("tasks {id}")))?;
                let due =
                    jsonapi::due_to_oro(t.due_date, prev.time("dueDate")?, self.config.time_zone);
                // Oro's status stays: a change of it in the same request
                // would make Oro's task workflow refuse the whole request;
                // the engine moves it afterwards (task_flow.rs).
                let kept = Task {
                    status: jsonapi::task_status(&prev)?,
                    ..t.clone()
                };
                jsonapi::task_document(&kept, Some(id), None, due)
            }
            Item::Events(_) => return Err(StoreError::Rejected("events are not JSON:API".into())),
        };
        let rec = self.write(Method::PATCH, kind, Some(id), &doc).await?;
        self.with_addresses(rec, item).await
    }

    async fn write(
        &self,
        method: Method,
        kind: Kind,
        id: Option<&str>,
        doc: &serde_json::Value,
    ) -> StoreResult<OroRecord> {
        let ty = type_of(kind);
        let (path, retry, what) = match id {
            Some(id) => (
                format!("/api/{ty}/{}", esc(id)),
                Retry::Idempotent,
                format!("{ty} {id}"),
            ),
            None => (format!("/api/{ty}"), Retry::Create, format!("new {ty}")),
        };
        let body = serde_json::to_vec(doc).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let r = self
            .send(method, &path, Some((JSON_API, body)), JSON_API, retry)
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, &what));
        }
        if r.status.as_u16() == 204 || r.body.is_empty() {
            // An update may answer 204 No Content: read it back.
            if let Some(id) = id {
                return self
                    .resource_get(kind, id)
                    .await?
                    .ok_or(StoreError::NotFound(what));
            }
        }
        jsonapi::record(kind, &jsonapi::parse_one(&r.body)?, self.config.time_zone)
    }
}

/// Records listed so far, each id once. The records stay in one vector
/// (the index maps an id to its place): a map of whole records turned into
/// a vector at the end held both at once, the peak memory of a first sync
/// of 100k contacts.
#[derive(Default)]
struct Merged {
    records: Vec<OroRecord>,
    at: HashMap<String, usize>,
}

fn merge(into: &mut Merged, rec: OroRecord) {
    match into.at.get(&rec.id) {
        Some(&i) => {
            if into.records[i].updated_at < rec.updated_at {
                into.records[i] = rec;
            }
        }
        None => {
            into.at.insert(rec.id.clone(), into.records.len());
            into.records.push(rec);
        }
    }
}
