//! OroSync's engine: keeps OroCRM contacts, tasks and calendar events in
//! sync with Outlook (Microsoft Graph).
//!
//! Decisions are pure ([`plan`]); IO sits at the edges ([`sides`] traits,
//! the [`oro`] and [`graph`] clients, [`state`] in SQLite, [`backup`]
//! files), joined by [`engine`].

pub mod app;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conflict_view;
#[cfg(feature = "demo")]
pub mod demo;
pub mod desktop;
pub mod diagnostics;
pub mod engine;
pub mod graph;
pub mod keys;
pub mod lock;
pub mod model;
pub mod net;
pub mod oro;
pub mod parsers;
pub mod plan;
pub mod private_fs;
pub mod profile;
pub mod reach;
pub mod redirect_listener;
pub mod scheduler;
pub mod secrets;
pub mod server_text;
pub mod settings;
pub mod setup;
pub mod sides;
pub mod state;
pub mod summary;
#[cfg(test)]
mod test_support;
pub mod token_expiry;
pub mod tray_status;
