//! Instants ⇄ calendar dates in the user's time zone (docs/sync-rules.md, "Dates and
//! time zones").

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant of a local wall-clock time. In a DST fold the earlier one;
/// in a DST gap the first instant after it (that wall time does not exist).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; step forward to the first valid minute.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += chrono::Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            local.and_utc()
        }
    }
}

/// Midnight at the start of `date` in the user's zone.
pub fn midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_to_utc(tz, date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The wall-clock time of an instant in the user's zone.
pub fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_in_a_zone_with_a_gap_at_midnight() {
        // Santiago moves 00:00 → 01:00 on the first Sunday of September 2024.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2024, 9, 8).unwrap();
        let t = midnight(tz, d);
        assert_eq!(local(tz, t).date(), d);
        assert_eq!(t.to_rfc3339(), "2024-09-08T04:00:00+00:00");
    }

    #[test]
    fn midnight_in_berlin_is_the_evening_before_in_utc() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        assert_eq!(midnight(tz, d).to_rfc3339(), "2024-06-30T22:00:00+00:00");
    }
}
