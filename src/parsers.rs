//! The parsers that read what servers and users send, as plain functions of
//! bytes, for the fuzz targets (`fuzz/`) and the property tests
//! (`tests/parser_properties.rs`). Each feeds its input through the same
//! functions the clients and the config loader use, and must return (an
//! error is fine) for any input: never panic, never hang.

use crate::config::Config;
use crate::graph::mapping::{html_to_text, Mapper};
use crate::model::Kind;
use chrono_tz::Tz;
use serde_json::Value;

/// A JSON:API document (one resource or a list) as the Oro client reads it,
/// into records of each kind. Returns how many records were read.
pub fn oro_jsonapi(body: &[u8]) -> usize {
    let mut n = 0;
    if let Ok(res) = crate::oro::jsonapi::parse_many(body) {
        for r in &res {
            for kind in [Kind::Contacts, Kind::Tasks] {
                n += usize::from(crate::oro::jsonapi::record(kind, r, Tz::Europe__Berlin).is_ok());
            }
        }
    }
    if let Ok(r) = crate::oro::jsonapi::parse_one(body) {
        for kind in [Kind::Contacts, Kind::Tasks] {
            n += usize::from(crate::oro::jsonapi::record(kind, &r, Tz::UTC).is_ok());
        }
    }
    n
}

/// An answer of Oro's legacy calendar-event API (a list or one event).
pub fn oro_events(body: &[u8]) -> usize {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    let all = match &v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    all.iter()
        .filter(|e| crate::oro::events::record(e, Tz::America__New_York).is_ok())
        .count()
}

/// A Graph list or delta page (`value`), or a single item, read into items
/// of each kind as the Graph client reads them; text bodies through the
/// HTML-to-text conversion.
pub fn graph_response(body: &[u8]) -> usize {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    let entries = match v.get("value") {
        Some(Value::Array(a)) => a.clone(),
        _ => vec![v.clone()],
    };
    let Some(m) = Mapper::new(Tz::Europe__Berlin, "https://crm.example.com") else {
        return 0;
    };
    let mut n = 0;
    for e in &entries {
        for kind in Kind::ALL {
            n += usize::from(m.read(kind, e).is_ok());
        }
        if let Some(html) = e.pointer("/body/content").and_then(Value::as_str) {
            n += html_to_text(html).len().min(1);
        }
    }
    n
}

/// A `config.toml` as the loader reads it (any bytes: the loader rejects
/// what is not UTF-8 the same way).
pub fn config(text: &[u8]) -> bool {
    match std::str::from_utf8(text) {
        Ok(s) => Config::parse(s).is_ok(),
        Err(_) => false,
    }
}
