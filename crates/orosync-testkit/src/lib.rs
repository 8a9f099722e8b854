//! What tests need to act as a user on either side, whatever the store
//! behind it: the in-memory stores, or the fake servers (acted on directly,
//! as a user of Oro's or Outlook's UI would, while the sync reaches them
//! over HTTP). The seed-table scenarios are written once against these traits.
//!
//! The fakes (crate `orosync-fakes`) speak JSON only; the model values
//! tests work with are turned into that JSON and read back from it by this
//! crate's own code ([`oro_json`], [`graph_json`]), never by the client's
//! mapping, so the two cannot share a misunderstanding of an API.

pub mod backups;
pub use backups::{MemoryBackups, SavedBackup};
pub mod closed_port;
pub mod graph_json;
pub mod memory;
pub mod oro_json;
mod text;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
pub use memory::{MemoryOro, MemoryOutlook, WriteCounts};
use orosync::model::{
    Contact, Event, Gender, Item, Kind, OroRecord, OutlookItem, Priority, Task, TaskStatus, When,
};
use orosync_fakes::graph::FakeGraph;
use orosync_fakes::oro::{FakeOro, FakeRecord};

/// The traits that let tests act on the fakes in model values.
pub mod prelude {
    pub use super::{FakeDataItems, FakeGraphItems, FakeOroItems};
}
use std::sync::Arc;

/// The fakes' clock reading a test's clock (the same time on both sides).
pub fn fake_clock<C>(clock: &C) -> Arc<dyn orosync_fakes::Clock>
where
    C: orosync::clock::Clock + Clone + 'static,
{
    let c = clock.clone();
    Arc::new(move || c.now())
}

/// A person's work in Oro's UI in model values, on the fake Oro: turned
/// into Oro's JSON and read back from it by this crate ([`oro_json`]).
pub trait FakeOroItems {
    /// A user creates a record; returns its id.
    fn user_create(&self, item: &Item) -> String;
    /// A user creates a recurring (weekly) event; returns its id.
    fn user_create_recurring_event(&self, e: &Event) -> String;
    /// A user edits a record's values in Oro's UI; only the attributes and
    /// relationships whose values change are stored (a due date's time of
    /// day, a contact's other phones stay). False when absent.
    fn user_edit_item(&self, kind: Kind, id: &str, f: impl FnOnce(&mut Item)) -> bool;
    /// A stored record as the API answers it, read into the model in the
    /// user's zone.
    fn read_record(&self, kind: Kind, r: &FakeRecord) -> OroRecord;
    /// Every record of a kind read into the model (all owners, all
    /// calendars, no window), in id order.
    fn records(&self, kind: Kind) -> Vec<OroRecord>;
}

impl FakeOroItems for FakeOro {
    fn user_create(&self, item: &Item) -> String {
        let (tz, me) = self.data(|d| (d.time_zone(), d.user_id().to_string()));
        let id = self.user_create_json(item.kind(), &oro_json::create_doc(item, tz, &me));
        if let Item::Contacts(c) = item {
            for a in &c.addresses {
                self.user_add_address(&id, |f| oro_json::fill_address(f, a))
                    .expect("the contact exists");
            }
        }
        id
    }

    fn user_create_recurring_event(&self, e: &Event) -> String {
        let tz = self.data(|d| d.time_zone());
        self.user_create_json(Kind::Events, &oro_json::series_doc(e, tz))
    }

    fn user_edit_item(&self, kind: Kind, id: &str, f: impl FnOnce(&mut Item)) -> bool {
        let Some(rec) = self.record(kind, id) else {
            return false;
        };
        let before = self.read_record(kind, &rec).item;
        let mut after = before.clone();
        f(&mut after);
        if before == after {
            return true;
        }
        // Addresses are their own records in Oro's UI: removed, edited and
        // added one by one.
        if let (Item::Contacts(b), Item::Contacts(a)) = (&before, &after) {
            for old in &b.addresses {
                let id = old.oro_id.clone().unwrap_or_default();
                match a.addresses.iter().find(|n| n.oro_id == old.oro_id) {
                    None => assert!(self.user_delete_address(&id)),
                    Some(new) if new != old => {
                        assert!(self.user_edit_address(&id, |f| oro_json::fill_address(f, new)))
                    }
                    Some(_) => {}
                }
            }
            for new in a.addresses.iter().filter(|n| n.oro_id.is_none()) {
                self.user_add_address(id, |f| oro_json::fill_address(f, new));
            }
        }
        let (tz, me) = self.data(|d| (d.time_zone(), d.user_id().to_string()));
        let (old_attrs, old_rels) = oro_json::fields(&before, tz, &me);
        let (new_attrs, new_rels) = oro_json::fields(&after, tz, &me);
        self.user_edit(kind, id, |r| {
            for (k, v) in new_attrs {
                if old_attrs.get(&k) != Some(&v) {
                    r.attributes.insert(k, v);
                }
            }
            for (k, v) in new_rels {
                if old_rels.get(&k) != Some(&v) {
                    r.relationships.insert(k, v);
                }
            }
        })
    }

    fn read_record(&self, kind: Kind, r: &FakeRecord) -> OroRecord {
        let tz = self.data(|d| d.time_zone());
        let mut rec = oro_json::read(&self.render(kind, r), tz);
        if let Item::Contacts(c) = &mut rec.item {
            let mut list = self.addresses_of(&rec.id);
            list.sort_by_key(|a| a.id);
            c.addresses = list.iter().map(oro_json::read_address).collect();
        }
        rec
    }

    fn records(&self, kind: Kind) -> Vec<OroRecord> {
        self.all(kind)
            .iter()
            .map(|r| self.read_record(kind, r))
            .collect()
    }
}

/// A person creating a record in model values while the fake's lock is
/// held (inside `FakeOro::data` or an `on_list` hook).
pub trait FakeDataItems {
    /// A user creates a record; returns its id.
    fn user_create(&mut self, item: &Item) -> u64;
}

impl FakeDataItems for orosync_fakes::oro::FakeData {
    fn user_create(&mut self, item: &Item) -> u64 {
        let doc = oro_json::create_doc(item, self.time_zone(), &self.user_id().to_string());
        self.user_create_json(item.kind(), &doc)
    }
}

/// A person's work in Outlook in model values, on the fake Graph: turned
/// into Graph's JSON and read back from it by this crate ([`graph_json`]).
pub trait FakeGraphItems {
    /// A user creates an item, optionally already linked to an Oro record.
    fn user_create_item(&self, item: &Item, link: Option<&str>) -> String;
    /// A user creates a weekly recurring event (a series master).
    fn user_create_series(&self, item: &Item) -> String;
    /// A user sets an item's values.
    fn user_edit_item(&self, id: &str, item: &Item);
    /// Every item of a kind read into the model (in the mailbox's zone).
    fn items(&self, kind: Kind) -> Vec<OutlookItem>;
    /// The Oro id an item is linked to, as stored.
    fn link_of(&self, id: &str) -> Option<String>;
    /// A contact's gender, as stored.
    fn gender_of(&self, id: &str) -> Option<Gender>;
}

impl FakeGraphItems for FakeGraph {
    fn user_create_item(&self, item: &Item, link: Option<&str>) -> String {
        let body = graph_json::body(item, link, true, self.time_zone());
        self.user_create(item.kind(), body)
    }

    fn user_create_series(&self, item: &Item) -> String {
        self.user_create(
            Kind::Events,
            graph_json::series_body(item, self.time_zone()),
        )
    }

    fn user_edit_item(&self, id: &str, item: &Item) {
        self.user_patch(id, graph_json::body(item, None, false, self.time_zone()));
    }

    fn items(&self, kind: Kind) -> Vec<OutlookItem> {
        let tz = self.time_zone();
        self.all(kind)
            .iter()
            .map(|v| graph_json::read(v, tz))
            .collect()
    }

    fn link_of(&self, id: &str) -> Option<String> {
        let v = self.find(id)?;
        let tasks = v.get("_kind").and_then(serde_json::Value::as_str) == Some("tasks");
        graph_json::link(&v, tasks)
    }

    fn gender_of(&self, id: &str) -> Option<Gender> {
        graph_json::gender(&self.find(id)?)
    }
}

/// A person using Oro.
pub trait OroUser {
    fn create(&self, item: Item) -> String;
    fn edit(&self, kind: Kind, id: &str, f: &mut dyn FnMut(&mut Item));
    fn delete(&self, kind: Kind, id: &str);
    fn all(&self, kind: Kind) -> Vec<OroRecord>;
    /// Writes made by the sync so far.
    fn sync_writes(&self) -> WriteCounts;
}

/// A person using Outlook.
pub trait OutlookUser {
    fn create(&self, item: Item) -> String;
    fn create_linked(&self, item: Item, oro_id: &str) -> String;
    fn create_recurring(&self, item: Item) -> String;
    fn edit(&self, kind: Kind, id: &str, f: &mut dyn FnMut(&mut Item));
    fn delete(&self, kind: Kind, id: &str);
    fn all(&self, kind: Kind) -> Vec<OutlookItem>;
    fn sync_writes(&self) -> WriteCounts;
}

impl OroUser for MemoryOro {
    fn create(&self, item: Item) -> String {
        self.user_create(item)
    }
    fn edit(&self, kind: Kind, id: &str, f: &mut dyn FnMut(&mut Item)) {
        self.user_edit(kind, id, f)
    }
    fn delete(&self, kind: Kind, id: &str) {
        self.user_delete(kind, id)
    }
    fn all(&self, kind: Kind) -> Vec<OroRecord> {
        MemoryOro::all(self, kind)
    }
    fn sync_writes(&self) -> WriteCounts {
        self.writes()
    }
}

impl OutlookUser for MemoryOutlook {
    fn create(&self, item: Item) -> String {
        self.user_create(item)
    }
    fn create_linked(&self, item: Item, oro_id: &str) -> String {
        self.user_create_linked(item, oro_id)
    }
    fn create_recurring(&self, item: Item) -> String {
        self.user_create_recurring(item)
    }
    fn edit(&self, kind: Kind, id: &str, f: &mut dyn FnMut(&mut Item)) {
        self.user_edit(kind, id, f)
    }
    fn delete(&self, kind: Kind, id: &str) {
        self.user_delete(kind, id)
    }
    fn all(&self, kind: Kind) -> Vec<OutlookItem> {
        MemoryOutlook::all(self, kind)
    }
    fn sync_writes(&self) -> WriteCounts {
        self.writes()
    }
}

/// Oro as the fake server holds it; records read by this crate.
impl OroUser for FakeOro {
    fn create(&self, item: Item) -> String {
        self.user_create(&item)
    }
    fn edit(&self, kind: Kind, id: &str, f: &mut dyn FnMut(&mut Item)) {
        assert!(self.user_edit_item(kind, id, f), "{kind} {id} exists");
    }
    fn delete(&self, kind: Kind, id: &str) {
        assert!(self.user_delete(kind, id), "{kind} {id} exists");
    }
    fn all(&self, kind: Kind) -> Vec<OroRecord> {
        self.records(kind)
    }
    fn sync_writes(&self) -> WriteCounts {
        let w = self.writes();
        WriteCounts {
            created: w.created,
            updated: w.updated,
            deleted: w.deleted,
        }
    }
}

/// Outlook as the fake Graph holds it; items read by this crate.
impl OutlookUser for FakeGraph {
    fn create(&self, item: Item) -> String {
        self.user_create_item(&item, None)
    }
    fn create_linked(&self, item: Item, oro_id: &str) -> String {
        self.user_create_item(&item, Some(oro_id))
    }
    fn create_recurring(&self, item: Item) -> String {
        self.user_create_series(&item)
    }
    fn edit(&self, kind: Kind, id: &str, f: &mut dyn FnMut(&mut Item)) {
        let mut item = self
            .items(kind)
            .into_iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("{kind} {id} exists"))
            .item;
        f(&mut item);
        self.user_edit_item(id, &item);
    }
    fn delete(&self, _kind: Kind, id: &str) {
        self.user_delete(id);
    }
    fn all(&self, kind: Kind) -> Vec<OutlookItem> {
        self.items(kind)
    }
    fn sync_writes(&self) -> WriteCounts {
        let w = self.writes();
        WriteCounts {
            created: w.created,
            updated: w.updated,
            deleted: w.deleted,
        }
    }
}

/// A fixed instant near the tests' clock, `days` and `hours` after it.
pub fn at(days: i64, hours: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, hours, 0, 0).unwrap() + chrono::Duration::days(days)
}

/// The tests' start time.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

pub fn contact(first: &str, last: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        gender: Some(Gender::Female),
        birthday: NaiveDate::from_ymd_opt(1980, 5, 17),
        job_title: Some("Engineer".into()),
        emails: vec![format!("{}@example.com", first.to_lowercase())],
        primary_phone: Some("+1 555 0100".into()),
        ..Default::default()
    })
}

pub fn task(subject: &str, priority: Priority) -> Item {
    Item::Tasks(Task {
        subject: subject.into(),
        description: Some("Prepare the numbers".into()),
        priority,
        status: TaskStatus::Open,
        due_date: NaiveDate::from_ymd_opt(2026, 12, 10),
    })
}

pub fn event(title: &str, day: i64) -> Item {
    Item::Events(Event {
        title: title.into(),
        description: Some("Room 4".into()),
        when: When::Timed {
            start: at(day, 10),
            end: at(day, 11),
        },
    })
}

pub fn all_day_event(title: &str, day: i64) -> Item {
    let d = at(day, 0).date_naive();
    Item::Events(Event {
        title: title.into(),
        description: None,
        when: When::AllDay {
            start: d,
            end: d.succ_opt().unwrap(),
        },
    })
}

/// A sample item of `kind` named `name`.
pub fn sample(kind: Kind, name: &str) -> Item {
    match kind {
        Kind::Contacts => contact(name, "Sample"),
        Kind::Tasks => task(name, Priority::Normal),
        Kind::Events => event(name, 3),
    }
}

/// An edit a user would make: changes a non-key field.
pub fn edit_note(item: &mut Item, note: &str) {
    match item {
        Item::Contacts(c) => c.job_title = Some(note.into()),
        Item::Tasks(t) => t.description = Some(note.into()),
        Item::Events(e) => e.description = Some(note.into()),
    }
}

/// The value `edit_note` sets, read back.
pub fn note_of(item: &Item) -> Option<String> {
    match item {
        Item::Contacts(c) => c.job_title.clone(),
        Item::Tasks(t) => t.description.clone(),
        Item::Events(e) => e.description.clone(),
    }
}

/// A key edit a user would make to a linked pair (docs/sync-rules.md,
/// "Words" (Key)): for every field of `keys` this helper knows, a new value
/// derived from `name` — a contact's first and last name and primary email,
/// a task's subject, an event's title; an event's start and end move by
/// `shift_hours` (whole days for an all-day event). The rules treat it as an
/// ordinary field update of the pair, which stays linked by its link.
pub fn edit_key(item: &mut Item, keys: &[orosync::model::Field], name: &str, shift_hours: i64) {
    use orosync::model::Field;
    match item {
        Item::Contacts(c) => {
            if keys.contains(&Field::FirstName) {
                c.first_name = Some(name.into());
            }
            if keys.contains(&Field::LastName) {
                c.last_name = Some(format!("{name} Jr"));
            }
            // The primary email is a key only where `[keys]` makes it one;
            // a rename changes it either way, as a person's new name does.
            let local: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            let email = format!("{local}.renamed@example.com");
            match c.emails.first_mut() {
                Some(first) => *first = email,
                None => c.emails.push(email),
            }
        }
        Item::Tasks(t) => {
            if keys.contains(&Field::Subject) {
                t.subject = name.into();
            }
        }
        Item::Events(e) => {
            if keys.contains(&Field::Title) {
                e.title = name.into();
            }
            if keys.contains(&Field::Start) || keys.contains(&Field::End) {
                e.when = match e.when {
                    When::Timed { start, end } => When::Timed {
                        start: start + chrono::Duration::hours(shift_hours),
                        end: end + chrono::Duration::hours(shift_hours),
                    },
                    When::AllDay { start, end } => {
                        let days = chrono::Duration::days(shift_hours.signum());
                        When::AllDay {
                            start: start + days,
                            end: end + days,
                        }
                    }
                };
            }
        }
    }
}

/// The default keys' edit: [`edit_key`] with the add-in's default key
/// fields of the item's kind.
pub fn rename(item: &mut Item, name: &str) {
    let keys = orosync::settings::Keys::default();
    let kind = item.kind();
    edit_key(item, keys.of(kind), name, 1);
}

/// The value [`rename`] sets, read back: a contact's first name, a task's
/// subject, an event's title.
pub fn name_of(item: &Item) -> Option<String> {
    match item {
        Item::Contacts(c) => c.first_name.clone(),
        Item::Tasks(t) => Some(t.subject.clone()),
        Item::Events(e) => Some(e.title.clone()),
    }
}
