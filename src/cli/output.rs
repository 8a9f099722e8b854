//! Printing for the commands: JSON and text on stdout, times, table cells.

use super::Failure;
use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use std::io::{self, Write};

/// Writes `text` to stdout. A reader that went away (`orosync status |
/// head -1`) is not an error: what was wanted has been read.
///
/// Control characters other than line breaks are written as visible escapes:
/// the text carries what servers sent (names, ids, error reasons), and a
/// terminal must not be steered by them (`crate::server_text`).
pub fn text(text: &str) -> Result<(), Failure> {
    let text = crate::server_text::escape_lines(text);
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::failed(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Writes `value` as one JSON object (pretty-printed, then a newline).
pub fn json(value: &impl Serialize) -> Result<(), Failure> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::failed(format!("cannot format the JSON output: {e}")))?;
    s.push('\n');
    text(&s)
}

/// The JSON form of a time, as the state keeps it: RFC 3339 in UTC, seconds.
pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A time for people: the local clock, with the zone's offset so it is
/// unambiguous when the output is pasted elsewhere.
pub fn when(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// `n thing` / `n things`.
pub fn count(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// Longest text shown in a table cell; the JSON output has the full value.
const CELL_MAX_CHARS: usize = 40;

/// A field value as a table cell: text as it is, no value as `(empty)`,
/// lists joined by commas, on one line and cut to [`CELL_MAX_CHARS`].
pub fn cell(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let s = match v {
        Value::Null => return "(empty)".into(),
        Value::String(s) if s.is_empty() => return "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => return "(empty)".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    // A description can hold several lines; a cell holds one.
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > CELL_MAX_CHARS {
        let cut: String = one_line.chars().take(CELL_MAX_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// Rows laid out in columns padded to their widest cell (in characters),
/// each line prefixed with `indent`.
pub fn table(rows: &[Vec<String>], indent: &str) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = indent.to_string();
        for (c, s) in row.iter().enumerate() {
            line.push_str(s);
            if c + 1 < row.len() {
                let pad = widths[c] - s.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_are_one_short_line() {
        assert_eq!(cell(&json!(null)), "(empty)");
        assert_eq!(cell(&json!("")), "(empty)");
        assert_eq!(cell(&json!([])), "(empty)");
        assert_eq!(cell(&json!("CFO")), "CFO");
        assert_eq!(cell(&json!(["a@x.org", "b@x.org"])), "a@x.org, b@x.org");
        assert_eq!(cell(&json!(true)), "true");
        assert_eq!(cell(&json!("two\nlines")), "two lines");
        let long = cell(&json!("é".repeat(100)));
        assert_eq!(long.chars().count(), CELL_MAX_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn table_pads_columns_by_characters() {
        let rows = vec![
            vec!["field".to_string(), "Oro".into(), "Outlook".into()],
            vec!["jobTitle".to_string(), "Café".into(), "x".into()],
        ];
        assert_eq!(
            table(&rows, "  "),
            "  field     Oro   Outlook\n  jobTitle  Café  x\n"
        );
    }

    #[test]
    fn counts_are_singular_or_plural() {
        assert_eq!(count(0, "conflict"), "0 conflicts");
        assert_eq!(count(1, "conflict"), "1 conflict");
        assert_eq!(count(2, "conflict"), "2 conflicts");
    }
}
