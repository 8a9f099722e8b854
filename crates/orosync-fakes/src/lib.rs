//! Fake services on loopback ports that follow the real services'
//! documentation, for OroSync's tests and `orosync demo`.
//!
//! This crate does not depend on the `orosync` client: it speaks JSON in
//! each server's own format and keeps its own small types (the resource
//! names, write counters, the clock, PKCE), so a mistake in the client's
//! understanding of the APIs is not shared by the servers it is tested
//! against.

pub mod clock;
pub mod graph;
pub mod oro;
mod pkce;
mod resource;
pub mod stall;
mod writes;

pub use clock::{Clock, SystemClock};
pub use resource::Resource;
pub use writes::Writes;
