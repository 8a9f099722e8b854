//! What tests need to act as a user on either side, whatever the store
//! behind it: the in-memory stores, or the fake servers (acted on directly,
//! as a user of Oro's or Outlook's UI would, while the sync reaches them
//! over HTTP). The seed-table scenarios are written once against these traits.

use crate::fakes::graph::FakeGraph;
use crate::fakes::oro::FakeOro;
use crate::model::{
    Contact, Event, Gender, Item, Kind, OroRecord, OutlookItem, Priority, Task, TaskStatus, When,
};
use crate::store::memory::{MemoryOro, MemoryOutlook, WriteCounts};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

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

/// Oro as the fake server holds it; records read with the client's parser.
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

/// Outlook as the fake Graph holds it; items read with the client's mapping.
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
