//! The demo's fixed sample data: the same records every time, with no
//! randomness, so what the demo prints can be described in the README and
//! checked by tests.
//!
//! Event dates are the one thing anchored to the day the demo runs: the sync
//! only looks at events from 30 days back to 365 ahead, so fixed calendar
//! dates would drift out of the window. Their offsets from that day are fixed.
//!
//! Each kind has three groups:
//! - records only in Oro (created in Outlook by the first sync);
//! - items only in Outlook (created in Oro by the first sync);
//! - the same record on both sides, not linked yet but with equal keys (the
//!   first sync pairs them by key instead of creating duplicates).

use crate::model::{
    Address, AddressType, Contact, Event, Gender, Item, Priority, Region, Task, TaskStatus, When,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// How many records of each group the demo makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub oro_only: usize,
    pub outlook_only: usize,
    pub both: usize,
}

pub const CONTACTS: Sizes = Sizes {
    oro_only: 180,
    outlook_only: 60,
    both: 20,
};
pub const TASKS: Sizes = Sizes {
    oro_only: 80,
    outlook_only: 30,
    both: 10,
};
pub const EVENTS: Sizes = Sizes {
    oro_only: 80,
    outlook_only: 30,
    both: 10,
};

/// The sample, split by where each record starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub oro_only: Vec<Item>,
    pub outlook_only: Vec<Item>,
    /// Created on both sides, unlinked, equal keys.
    pub both: Vec<Item>,
}

const FIRST: &[(&str, Gender)] = &[
    ("Amelia", Gender::Female),
    ("Oliver", Gender::Male),
    ("Sofia", Gender::Female),
    ("Lucas", Gender::Male),
    ("Hannah", Gender::Female),
    ("Mateo", Gender::Male),
    ("Priya", Gender::Female),
    ("Daniel", Gender::Male),
    ("Chloé", Gender::Female),
    ("Jonas", Gender::Male),
    ("Aisha", Gender::Female),
    ("Henrik", Gender::Male),
    ("Maria", Gender::Female),
    ("Kenji", Gender::Male),
    ("Isabel", Gender::Female),
    ("Tomás", Gender::Male),
    ("Nora", Gender::Female),
    ("Samuel", Gender::Male),
    ("Leila", Gender::Female),
    ("Viktor", Gender::Male),
    ("Grace", Gender::Female),
    ("Rafael", Gender::Male),
    ("Ingrid", Gender::Female),
    ("Arjun", Gender::Male),
    ("Elena", Gender::Female),
    ("Patrick", Gender::Male),
    ("Yuki", Gender::Female),
    ("Marcus", Gender::Male),
    ("Zoë", Gender::Female),
    ("Felix", Gender::Male),
    ("Olga", Gender::Female),
    ("Ethan", Gender::Male),
];

const LAST: &[&str] = &[
    "Anderson",
    "Becker",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hoffmann",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schneider",
    "Tanaka",
    "Usman",
    "Van Dijk",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Novak",
    "Morales",
    "Sato",
    "Bernard",
    "Costa",
];

const COMPANIES: &[&str] = &[
    "Northwind Traders",
    "Contoso",
    "Fabrikam",
    "Acme Logistics",
    "Blue Yonder Airlines",
    "Tailspin Toys",
    "Wide World Importers",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Lucerne Publishing",
    "Coho Winery",
    "Alpine Ski House",
];

const TITLES: &[&str] = &[
    "Account Manager",
    "Purchasing Lead",
    "CFO",
    "Head of Operations",
    "IT Director",
    "Office Manager",
    "Sales Engineer",
    "Procurement Specialist",
    "Marketing Director",
    "CEO",
    "Project Manager",
];

const TASK_VERBS: &[&str] = &[
    "Call back",
    "Send the proposal to",
    "Prepare a quote for",
    "Follow up with",
    "Renew the contract of",
    "Book a site visit at",
    "Check the invoice of",
    "Send samples to",
];

const EVENT_KINDS: &[&str] = &[
    "Intro call with",
    "Product demo for",
    "Quarterly review with",
    "Lunch with",
    "Contract talk with",
    "Onboarding session for",
];

/// Contact number `i`: distinct for every `i` below a few thousand (the
/// birthday alone differs), so keys only match where the sample wants them to.
fn contact(i: usize) -> Item {
    // Coprime strides walk the name lists in an order that looks mixed.
    let (first, gender) = FIRST[(i * 7) % FIRST.len()];
    let last = LAST[(i * 11 + i / FIRST.len()) % LAST.len()];
    let company = COMPANIES[(i * 5) % COMPANIES.len()];
    let domain: String = company
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let local: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let birthday = NaiveDate::from_ymd_opt(1962, 1, 1).expect("valid date")
        + Duration::days(((i * 379) % 14_600) as i64);
    Item::Contacts(Contact {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        gender: Some(gender),
        // Every third contact has no birthday, as in a real address book.
        birthday: (i % 3 != 2).then_some(birthday),
        job_title: Some(TITLES[(i * 3) % TITLES.len()].into()),
        description: i
            .is_multiple_of(4)
            .then(|| format!("Met at the {company} trade fair.")),
        emails: vec![format!("{local}@{domain}.example")],
        primary_phone: Some(format!("+1 555 {:04}", 100 + i)),
        // Every fifth has a fax, synced to Outlook's business fax.
        fax: (i % 5 == 1).then(|| format!("+1 555 {:04}", 5100 + i)),
        addresses: sample_addresses(i),
        ..Default::default()
    })
}

/// Every third contact has a billing address (Outlook's business address),
/// every sixth a shipping one too (the home address), others none.
fn sample_addresses(i: usize) -> Vec<Address> {
    let place =
        |ty: AddressType, street: String, city: &str, code: &str, name: &str, zip: &str| Address {
            types: [ty].into(),
            street: Some(street),
            city: Some(city.into()),
            postal_code: Some(zip.into()),
            country: Some("US".into()),
            region: Some(Region::Code(code.into())),
            region_name: Some(name.into()),
            ..Address::default()
        };
    let mut out = Vec::new();
    if i.is_multiple_of(3) {
        out.push(place(
            AddressType::Billing,
            format!("{} Broadway", 100 + i),
            "New York",
            "US-NY",
            "New York",
            "10001",
        ));
    }
    if i.is_multiple_of(6) {
        out.push(place(
            AddressType::Shipping,
            format!("{} Market Street", 10 + i),
            "San Francisco",
            "US-CA",
            "California",
            "94103",
        ));
    }
    out
}

fn task(i: usize, today: NaiveDate) -> Item {
    let verb = TASK_VERBS[i % TASK_VERBS.len()];
    let company = COMPANIES[(i * 3 + i / TASK_VERBS.len()) % COMPANIES.len()];
    let priority = [Priority::Normal, Priority::High, Priority::Low][i % 3];
    let status = if i % 5 == 4 {
        TaskStatus::InProgress
    } else {
        TaskStatus::Open
    };
    Item::Tasks(Task {
        // The number keeps subjects (a key) unique across the sample.
        subject: format!("{verb} {company} (#{})", 100 + i),
        description: i
            .is_multiple_of(2)
            .then(|| "Notes from the last call are in the account.".into()),
        priority,
        status,
        due_date: (i % 4 != 3).then(|| today + Duration::days((i % 45) as i64 - 5)),
    })
}

fn event(i: usize, today: NaiveDate) -> Item {
    let what = EVENT_KINDS[i % EVENT_KINDS.len()];
    let company = COMPANIES[(i * 7) % COMPANIES.len()];
    // From 20 days back to about 280 ahead: inside the default window.
    let day = today + Duration::days((i * 3) as i64 % 300 - 20);
    let title = format!("{what} {company}");
    if i % 9 == 8 {
        return Item::Events(Event {
            title: format!("Trade fair: {company}"),
            description: None,
            when: When::AllDay {
                start: day,
                end: day + Duration::days(1 + (i % 2) as i64),
            },
        });
    }
    let start: DateTime<Utc> = Utc.from_utc_datetime(
        &day.and_hms_opt(
            8 + (i % 9) as u32,
            if i.is_multiple_of(2) { 0 } else { 30 },
            0,
        )
        .expect("valid time"),
    );
    let minutes = [30, 60, 45, 90][i % 4];
    Item::Events(Event {
        title,
        description: i
            .is_multiple_of(3)
            .then(|| "Agenda: status, next steps, questions.".into()),
        when: When::Timed {
            start,
            end: start + Duration::minutes(minutes),
        },
    })
}

fn groups(sizes: Sizes, make: impl Fn(usize) -> Item) -> Sample {
    let mut n = 0..;
    let mut take =
        |count: usize| -> Vec<Item> { (&mut n).take(count).map(&make).collect::<Vec<_>>() };
    let oro_only = take(sizes.oro_only);
    let outlook_only = take(sizes.outlook_only);
    let both = take(sizes.both);
    Sample {
        oro_only,
        outlook_only,
        both,
    }
}

pub fn contacts() -> Sample {
    groups(CONTACTS, contact)
}

pub fn tasks(today: NaiveDate) -> Sample {
    groups(TASKS, |i| task(i, today))
}

pub fn events(today: NaiveDate) -> Sample {
    groups(EVENTS, |i| event(i, today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::key_of;
    use crate::settings::Keys;
    use std::collections::HashSet;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn the_sample_is_the_same_every_time_and_a_few_hundred_strong() {
        assert_eq!(contacts(), contacts());
        assert_eq!(tasks(today()), tasks(today()));
        assert_eq!(events(today()), events(today()));
        let all = contacts().oro_only.len() + tasks(today()).oro_only.len();
        assert!(all >= 200, "{all}");
    }

    #[test]
    fn keys_are_unique_so_only_the_both_group_pairs() {
        for (kind, s) in [
            (crate::model::Kind::Contacts, contacts()),
            (crate::model::Kind::Tasks, tasks(today())),
            (crate::model::Kind::Events, events(today())),
        ] {
            let keys = Keys::default();
            let fields = keys.of(kind);
            let items: Vec<&Item> = s
                .oro_only
                .iter()
                .chain(&s.outlook_only)
                .chain(&s.both)
                .collect();
            let distinct: HashSet<_> = items.iter().map(|i| key_of(i, fields)).collect();
            assert_eq!(distinct.len(), items.len(), "{kind}: duplicate keys");
        }
    }

    #[test]
    fn some_sample_contacts_have_addresses_and_others_none() {
        let s = contacts();
        let all: Vec<&Item> = s
            .oro_only
            .iter()
            .chain(&s.outlook_only)
            .chain(&s.both)
            .collect();
        let n = |f: &dyn Fn(&Contact) -> bool| {
            all.iter()
                .filter(|i| matches!(i, Item::Contacts(c) if f(c)))
                .count()
        };
        assert!(n(&|c| c.address(crate::model::Slot::Billing).is_some()) > 0);
        assert!(n(&|c| c.address(crate::model::Slot::Shipping).is_some()) > 0);
        assert!(n(&|c| c.addresses.is_empty()) > 0);
    }

    #[test]
    fn some_sample_contacts_have_a_fax_and_others_none() {
        let s = contacts();
        let faxes: Vec<bool> = s
            .oro_only
            .iter()
            .chain(&s.outlook_only)
            .chain(&s.both)
            .map(|i| matches!(i, Item::Contacts(c) if c.fax.is_some()))
            .collect();
        assert!(faxes.iter().any(|f| *f) && faxes.iter().any(|f| !*f));
    }

    #[test]
    fn events_fall_inside_the_default_window() {
        let t = today();
        for it in events(t).oro_only {
            let Item::Events(e) = it else { unreachable!() };
            let d = match e.when {
                When::Timed { start, .. } => start.date_naive(),
                When::AllDay { start, .. } => start,
            };
            assert!(d >= t - Duration::days(30) && d <= t + Duration::days(365));
        }
    }
}
