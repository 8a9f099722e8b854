//! Fake services on loopback ports that follow the real services'
//! documentation, for tests and `orosync demo`.

pub mod graph;
pub mod oro;
pub mod stall;
