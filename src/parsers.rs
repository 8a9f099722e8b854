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

/// A `$batch` answer as the Graph client reads it: each of 20 members'
/// answers by id (status, `Retry-After`, body), and a failed member's
/// error class. Returns how many members could be read.
pub fn graph_batch_answer(body: &[u8]) -> usize {
    use crate::graph::batch::{answers_by_id, read_member};
    let Ok(mut v) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    let mut answers = answers_by_id(&mut v);
    let mut n = 0;
    for i in 0..20 {
        if let Ok(a) = read_member(i, answers.remove(&i.to_string())) {
            n += 1;
            if !(200..300).contains(&a.status) {
                let _ = crate::graph::error::to_store_error(a.status, &a.body, "member");
            }
        }
    }
    n
}

/// The pages of a delta round, separated by the byte 0x1E, through the
/// client's own loop: each page's entries reduced (contacts mapped as they
/// come), then on to its nextLink or done at its deltaLink. Returns the
/// pages read before the round ended (done, an error, or no more pages).
pub fn graph_delta_loop(pages: &[u8]) -> usize {
    use crate::graph::delta::{page_step, Entries, PageEnd};
    let Some(m) = Mapper::new(Tz::Europe__Berlin, "https://crm.example.com") else {
        return 0;
    };
    let mut seen = std::collections::HashSet::new();
    let mut entries = Entries::default();
    let mut read = 0;
    for (i, page) in pages.split(|b| *b == 0x1E).enumerate() {
        let Ok(v) = serde_json::from_slice::<Value>(page) else {
            break;
        };
        read += 1;
        // Odd pages as the contacts folder's delta (read again after the
        // round), even ones as To Do's (mapped as they come).
        let kind = if i % 2 == 0 {
            Kind::Tasks
        } else {
            Kind::Contacts
        };
        let hydrate = move |_: &Value| kind == Kind::Contacts;
        let step = page_step(v, &mut seen, &mut |es| {
            es.into_iter()
                .try_for_each(|e| entries.add(kind, e, &hydrate, &m))
        });
        match step {
            Ok(PageEnd::Next(_)) => continue,
            Ok(PageEnd::Done(_)) | Err(_) => break,
        }
    }
    let (ids, removed) = entries.counts();
    assert!(removed <= ids, "more removed than seen");
    read
}

/// A token endpoint's answer, as the Microsoft sign-in and Oro's OAuth
/// read it, under several statuses. Returns how many gave tokens.
pub fn token_answer(body: &[u8]) -> usize {
    let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut n = 0;
    for status in [200, 201, 400, 401, 500] {
        n += usize::from(crate::graph::auth::read_token_answer(status, body, now).is_ok());
        n += usize::from(crate::oro::auth::read_token_answer(status, body, now).is_ok());
    }
    n
}

/// An error answer of either server as its client reads it: Oro's two
/// error shapes and Graph's, for the statuses each client branches on.
/// Returns how many gave a readable reason.
pub fn error_body(body: &[u8]) -> usize {
    let mut n = 0;
    n += usize::from(crate::oro::error::reason(body).is_some());
    for s in [302u16, 400, 401, 403, 404, 409, 410, 422, 429, 500, 503] {
        let status = reqwest::StatusCode::from_u16(s).expect("a status");
        let _ = crate::oro::error::from_status(status, body, "contacts 1");
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            let _ = crate::graph::error::is_expired_delta(s, &v);
            let _ = crate::graph::error::to_store_error(s, &v, "GET /me/contacts");
        }
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        n += usize::from(crate::graph::error::parse_error(&v).is_some());
    }
    n
}
