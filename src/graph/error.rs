//! Graph's error shape `{"error":{"code","message"}}` and how each answer
//! maps onto [`StoreError`]. Codes are what we branch on, never messages.

use crate::sides::StoreError;
use serde_json::Value;

/// The `code` and `message` of a Graph error body, when it has one.
pub fn parse_error(body: &Value) -> Option<(String, String)> {
    let e = body.get("error")?;
    let code = crate::server_text::escape(e.get("code").and_then(Value::as_str).unwrap_or(""));
    // Server text, shown to the user: control characters escaped
    // (docs/reliability.md, "Hostile servers").
    let message =
        crate::server_text::escape(e.get("message").and_then(Value::as_str).unwrap_or(""));
    Some((code, message))
}

/// Delta codes that mean "the cursor is no longer valid, list again".
pub fn is_expired_delta(status: u16, body: &Value) -> bool {
    if status == 410 {
        return true;
    }
    matches!(
        parse_error(body).map(|(c, _)| c).as_deref(),
        Some("syncStateNotFound" | "resyncRequired" | "SyncStateNotFound" | "ResyncRequired")
    )
}

/// True for answers worth retrying after a wait (throttling and outages).
pub fn is_transient(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Throttling and "service unavailable": the request was refused, not
/// applied, so even a write may be sent again.
pub fn is_refusal(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Map a final (non-retried) failure to the engine's error classes.
/// `what` names the request (method and path) for the message; it never
/// holds a token.
pub fn to_store_error(status: u16, body: &Value, what: &str) -> StoreError {
    let detail = match parse_error(body) {
        Some((code, msg)) if !msg.is_empty() => format!("{what}: {status} {code}: {msg}"),
        Some((code, _)) => format!("{what}: {status} {code}"),
        None => format!("{what}: {status}"),
    };
    match status {
        400 | 409 | 412 | 413 | 422 => StoreError::Rejected(detail),
        401 | 403 => StoreError::Auth(detail),
        404 | 410 => StoreError::NotFound(detail),
        s if s >= 500 || s == 429 => StoreError::Unavailable(detail),
        _ => StoreError::Rejected(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_statuses_to_classes() {
        let b = json!({"error":{"code":"ErrorInvalidProperty","message":"bad"}});
        assert!(
            matches!(to_store_error(400, &b, "POST /me/contacts"), StoreError::Rejected(m) if m.contains("ErrorInvalidProperty"))
        );
        assert!(matches!(to_store_error(401, &b, "x"), StoreError::Auth(_)));
        assert!(matches!(
            to_store_error(404, &b, "x"),
            StoreError::NotFound(_)
        ));
        assert!(matches!(
            to_store_error(503, &json!(null), "x"),
            StoreError::Unavailable(_)
        ));
        assert!(is_expired_delta(
            400,
            &json!({"error":{"code":"syncStateNotFound"}})
        ));
        assert!(is_expired_delta(410, &json!(null)));
        assert!(!is_expired_delta(400, &b));
    }
}
