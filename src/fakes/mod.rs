//! Fake services on loopback ports, for tests and `orosync demo`.

pub mod oro;
