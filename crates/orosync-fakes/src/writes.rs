//! Writes a fake applied through its API (not the `user_*` calls a test
//! makes as a person in the UI).

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Writes {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
}

impl Writes {
    pub fn total(&self) -> usize {
        self.created + self.updated + self.deleted
    }
}
