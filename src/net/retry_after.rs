//! `Retry-After` in both of its forms (RFC 9110 §10.2.3): delta-seconds, or
//! an HTTP-date, read against the server's own `Date` when it sent one (so
//! a skewed clock on either side does not matter), else against `now`.

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};
use std::time::Duration;

/// The wait a response asks for, uncapped (callers cap it); a date in the
/// past is no wait. `None` when there is no readable header.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let server_now = headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(http_date);
    parse(value, server_now.unwrap_or(now))
}

/// One `Retry-After` value (also a `$batch` member's header) against `now`.
pub fn parse(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = http_date(v)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP-date in any of the three forms a recipient must accept:
/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
pub fn http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, s).unwrap()
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = at(10, 0, 0);
        assert_eq!(parse(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse("Sun, 01 Mar 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse("Sunday, 01-Mar-26 10:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse("Sun Mar  1 10:00:05 2026", now),
            Some(Duration::from_secs(5))
        );
        // In the past: no wait, not an error.
        assert_eq!(
            parse("Sun, 01 Mar 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse("soon", now), None);
        assert_eq!(parse("-3", now), None);
    }

    #[test]
    fn an_http_date_is_read_against_the_servers_date() {
        let mut h = HeaderMap::new();
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 01 Mar 2026 10:00:20 GMT"),
        );
        // Our clock is an hour off; the server's Date is what counts.
        h.insert(
            DATE,
            HeaderValue::from_static("Sun, 01 Mar 2026 10:00:00 GMT"),
        );
        assert_eq!(retry_after(&h, at(11, 0, 0)), Some(Duration::from_secs(20)));
        // Without a Date: against the injected clock.
        h.remove(DATE);
        assert_eq!(retry_after(&h, at(10, 0, 15)), Some(Duration::from_secs(5)));
    }
}
