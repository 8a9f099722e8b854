//! Fake servers that behave like the real services, for tests and `orosync demo`.

pub mod graph;
