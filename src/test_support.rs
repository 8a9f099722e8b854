//! The few sample values the library's own unit tests share. (Integration
//! tests use the `orosync-testkit` crate; a unit test cannot, since that
//! crate's `orosync` would be a second copy of this one.)

use crate::model::{Contact, Gender, Item};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

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

/// An edit a user would make: changes a non-key field.
pub fn edit_note(item: &mut Item, note: &str) {
    match item {
        Item::Contacts(c) => c.job_title = Some(note.into()),
        Item::Tasks(t) => t.description = Some(note.into()),
        Item::Events(e) => e.description = Some(note.into()),
    }
}
