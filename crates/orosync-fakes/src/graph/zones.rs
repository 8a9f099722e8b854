//! Dates, zones and bodies as the fake Graph reads what clients send it.
//! The fake parses with its own code, never the client's mapping: a bug
//! shared by both would agree with itself and no test would see it.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

/// A `timeZone` of a dateTimeTimeZone: Graph takes Windows names (Exchange
/// keeps zones that way), "UTC", and IANA names (microsoft-graph-docs-contrib
/// api-reference/v1.0/resources/datetimetimezone.md). An empty or missing
/// name is UTC.
pub fn zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() || name.eq_ignore_ascii_case("utc") {
        return Some(Tz::UTC);
    }
    if let Ok(w) = name.parse::<windows_timezones::WindowsTimezone>() {
        return Some(Tz::from(w));
    }
    name.parse::<Tz>().ok()
}

/// Graph's `dateTime` text: a wall-clock time without an offset, with up
/// to seven fractional digits.
pub fn wall_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.len() <= 7 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (w, f)
        }
        Some(_) => return None,
        None => (s, ""),
    };
    let t = NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M:%S").ok()?;
    let nanos: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(t + Duration::nanoseconds(nanos))
}

/// A wall-clock time of `tz` as an instant: a time a DST jump skips is
/// taken an hour later, an ambiguous one as its first occurrence.
pub fn at(tz: Tz, t: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .map(|d| d.with_timezone(&Utc))
}

/// A dateTimeTimeZone as an instant; `None` when the time or zone is not
/// one Graph would take.
pub fn instant(v: &Value) -> Option<DateTime<Utc>> {
    let tz = zone(v.get("timeZone").and_then(Value::as_str).unwrap_or(""))?;
    at(tz, wall_time(v.get("dateTime")?.as_str()?)?)
}

/// Graph's `dateTime` text, seven fractional digits as Graph writes them.
pub fn text(t: NaiveDateTime) -> String {
    format!(
        "{}.{:07}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.and_utc().timestamp_subsec_nanos() / 100
    )
}

/// How To Do keeps a task's `dueDateTime`: a due *day*. The time of day is
/// dropped (microsoft-graph-docs-contrib issue #2136: any time comes back
/// as 00:00), the day is held as its midnight in the zone it was given in,
/// and it is answered as that instant in UTC whatever `Prefer:
/// outlook.timezone` asks (microsoft-graph-docs issues #6982, #16991;
/// RogerSelwyn/MS365-ToDo #29: the 24th given in UTC-10 comes back as
/// `2024-10-24T10:00:00` UTC, given in UTC+14 as `2024-10-23T10:00:00`).
/// `Err` names what Graph would refuse.
pub fn todo_due(v: &Value) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let name = v.get("timeZone").and_then(Value::as_str).unwrap_or("");
    let tz =
        zone(name).ok_or_else(|| format!("A valid TimeZone value must be specified: {name}"))?;
    let written = v
        .get("dateTime")
        .and_then(Value::as_str)
        .and_then(wall_time)
        .ok_or("dueDateTime needs a dateTime")?;
    let midnight = written.date().and_hms_opt(0, 0, 0).expect("midnight");
    let t = at(tz, midnight).ok_or("no midnight on that day")?;
    Ok(json!({"dateTime": text(t.naive_utc()), "timeZone": "UTC"}))
}

/// The plain text Exchange answers for an HTML body when text is asked
/// for: tags dropped, a line break for `<br>` and the end of a block, the
/// common entities decoded.
pub fn html_as_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let from = lower
        .find("<body")
        .and_then(|i| lower[i..].find('>').map(|j| i + j + 1))
        .unwrap_or(0);
    let to = lower.rfind("</body>").unwrap_or(html.len()).max(from);
    let mut out = String::new();
    let mut rest = &html[from..to];
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
        let tag = rest[open + 1..close.saturating_sub(1).max(open + 1)].to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let ends_block = tag.starts_with('/') && matches!(name.as_str(), "p" | "div" | "li" | "tr");
        if name == "br" || ends_block {
            out.push('\n');
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_keeps_the_day_at_midnight_in_the_zone_given_and_answers_utc() {
        // The examples of RogerSelwyn/MS365-ToDo #29, with zones of those offsets.
        let due = |d: &str, z: &str| todo_due(&json!({"dateTime": d, "timeZone": z})).unwrap();
        assert_eq!(
            due("2024-10-24T00:00:00", "Hawaiian Standard Time"),
            json!({"dateTime": "2024-10-24T10:00:00.0000000", "timeZone": "UTC"})
        );
        assert_eq!(
            due("2024-10-24T00:00:00.0000000", "Line Islands Standard Time"),
            json!({"dateTime": "2024-10-23T10:00:00.0000000", "timeZone": "UTC"})
        );
        // A time of day is dropped (#2136).
        assert_eq!(
            due("2020-07-25T04:10:00.0005112", "UTC"),
            json!({"dateTime": "2020-07-25T00:00:00.0000000", "timeZone": "UTC"})
        );
        assert!(
            todo_due(&json!({"dateTime": "2024-10-24T00:00:00", "timeZone": "Mars/Olympus"}))
                .is_err()
        );
        assert!(todo_due(&json!({"dateTime": "24.10.2024", "timeZone": "UTC"})).is_err());
        assert_eq!(todo_due(&Value::Null).unwrap(), Value::Null);
    }

    #[test]
    fn wall_times_take_up_to_seven_digits() {
        assert!(wall_time("2026-01-01T10:00:00.1234567").is_some());
        assert!(wall_time("2026-01-01T10:00:00.12345678").is_none());
        assert!(wall_time("2026-01-01 10:00:00").is_none());
    }
}
