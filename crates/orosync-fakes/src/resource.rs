//! The three kinds of record the fakes serve, by the names tests use for
//! them: `contacts`, `tasks`, `events` (Oro's legacy name `calendarevents`
//! is taken too).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Contacts,
    Tasks,
    Events,
}

impl Resource {
    pub const ALL: [Resource; 3] = [Resource::Contacts, Resource::Tasks, Resource::Events];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Contacts => "contacts",
            Resource::Tasks => "tasks",
            Resource::Events => "events",
        }
    }

    /// The resource a name stands for, if any.
    pub fn named(name: &str) -> Option<Resource> {
        match name {
            "contacts" => Some(Resource::Contacts),
            "tasks" => Some(Resource::Tasks),
            "events" | "calendarevents" => Some(Resource::Events),
            _ => None,
        }
    }

    /// The resource a test names; a name the fakes do not serve is a
    /// mistake in the test, not a case to answer.
    pub fn of(name: impl AsRef<str>) -> Resource {
        let name = name.as_ref();
        Resource::named(name).unwrap_or_else(|| panic!("the fakes serve no {name:?}"))
    }
}

impl AsRef<str> for Resource {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
