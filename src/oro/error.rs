//! Oro's answers → `StoreError` classes (what the engine does next depends
//! on the class, see `StoreError`).

use crate::sides::StoreError;
use reqwest::StatusCode;
use serde_json::Value;

/// Map a non-success answer. `what` names the resource ("contacts 12").
/// A 404 is `NotFound` here; `get` turns it into `Ok(None)` itself.
pub(crate) fn from_status(status: StatusCode, body: &[u8], what: &str) -> StoreError {
    match status.as_u16() {
        401 | 403 => StoreError::Auth(format!(
            "{status} on {what}{}",
            reason(body).map(|r| format!(": {r}")).unwrap_or_default()
        )),
        404 => StoreError::NotFound(what.to_string()),
        400 | 409 | 422 => StoreError::Rejected(
            reason(body).unwrap_or_else(|| format!("{what} refused ({status})")),
        ),
        s if s >= 500 || s == 429 => StoreError::Unavailable(format!("{status} on {what}")),
        _ => StoreError::Malformed(format!("unexpected {status} on {what}")),
    }
}

/// A readable reason from either of Oro's error shapes:
/// JSON:API `{"errors":[{"title","detail","source":{"pointer"|"parameter"}}]}`
/// → "subject: This value should not be blank.", or the legacy REST form
/// tree `{"message","errors":{"children":{"title":{"errors":[..]}}}}`.
pub(crate) fn reason(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let mut parts = Vec::new();
    match v.get("errors") {
        Some(Value::Array(errs)) => {
            for e in errs {
                let detail = e
                    .get("detail")
                    .or_else(|| e.get("title"))
                    .and_then(Value::as_str)
                    .unwrap_or("invalid");
                let src = e.get("source");
                let field = src
                    .and_then(|s| s.get("pointer"))
                    .and_then(Value::as_str)
                    .and_then(|p| p.rsplit('/').find(|seg| !seg.is_empty() && *seg != "data"))
                    .or_else(|| src.and_then(|s| s.get("parameter")).and_then(Value::as_str));
                parts.push(match field {
                    Some(f) => format!("{f}: {detail}"),
                    None => detail.to_string(),
                });
            }
        }
        Some(tree @ Value::Object(_)) => form_errors(tree, "", &mut parts),
        _ => {}
    }
    // Server text: its control characters are escaped before it can reach
    // a terminal or a log (docs/reliability.md, "Hostile servers").
    if parts.is_empty() {
        return v
            .get("message")
            .and_then(Value::as_str)
            .map(crate::server_text::escape);
    }
    Some(crate::server_text::escape(&parts.join("; ")))
}

fn form_errors(node: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(Value::Array(errs)) = node.get("errors") {
        for e in errs.iter().filter_map(Value::as_str) {
            out.push(if path.is_empty() {
                e.to_string()
            } else {
                format!("{path}: {e}")
            });
        }
    }
    if let Some(Value::Object(children)) = node.get("children") {
        for (name, child) in children {
            let p = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            form_errors(child, &p, out);
        }
    }
}

/// A transport failure in words, without the URL (which is ours anyway)
/// and without anything from the request; a refused redirect says where
/// it led.
pub(crate) fn describe_transport(e: &reqwest::Error) -> String {
    crate::net::describe(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_api_errors_read_as_field_and_detail() {
        let body = br#"{"errors":[{"status":"400","title":"not blank constraint","detail":"This value should not be blank.","source":{"pointer":"/data/attributes/subject"}},{"status":"400","title":"x","detail":"Bad.","source":{"pointer":"/data/relationships/taskPriority/data"}}]}"#;
        assert_eq!(
            reason(body).unwrap(),
            "subject: This value should not be blank.; taskPriority: Bad."
        );
        assert!(matches!(
            from_status(StatusCode::BAD_REQUEST, body, "tasks"),
            StoreError::Rejected(_)
        ));
    }

    #[test]
    fn legacy_form_errors_read_as_field_and_detail() {
        let body = br#"{"code":400,"message":"Validation Failed","errors":{"children":{"title":{"errors":["This value should not be blank."]},"end":{}}}}"#;
        assert_eq!(
            reason(body).unwrap(),
            "title: This value should not be blank."
        );
    }

    #[test]
    fn classes() {
        assert!(matches!(
            from_status(StatusCode::FORBIDDEN, b"", "x"),
            StoreError::Auth(_)
        ));
        assert!(matches!(
            from_status(StatusCode::NOT_FOUND, b"", "x"),
            StoreError::NotFound(_)
        ));
        assert!(matches!(
            from_status(StatusCode::BAD_GATEWAY, b"", "x"),
            StoreError::Unavailable(_)
        ));
    }
}
