//! OroSync's engine: keeps OroCRM contacts, tasks and calendar events in
//! sync with Outlook (Microsoft Graph).
//!
//! Decisions are pure ([`plan`]); IO sits at the edges ([`store`] traits,
//! [`state`] in SQLite), joined by [`engine`].

pub mod clock;
pub mod fakes;
pub mod graph;
pub mod keys;
pub mod model;
pub mod secrets;
pub mod settings;
pub mod store;
