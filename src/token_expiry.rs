//! When a token handed out by Oro or Microsoft expires, from the
//! `expires_in` (seconds) of the answer. The number is the server's: a
//! broken or hostile one may send `9223372036854775807` or `-5`, which
//! `chrono` cannot add to a date (it panics). It is clamped to what a
//! token can sensibly live: a token claimed to last longer is renewed after
//! [`MAX_SECS`] (and at once after a 401 in any case). See
//! `docs/reliability.md`, "Hostile servers".

use chrono::{DateTime, TimeDelta, Utc};

/// One day: Microsoft's access tokens live about an hour, Oro's an hour
/// by default; refreshing after a day at the latest costs nothing.
pub const MAX_SECS: i64 = 24 * 3600;

/// `now + expires_in`, with `expires_in` clamped to `0..=MAX_SECS`.
pub fn expires_at(now: DateTime<Utc>, expires_in: i64) -> DateTime<Utc> {
    now + TimeDelta::seconds(expires_in.clamp(0, MAX_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_or_negative_lifetime_is_clamped_instead_of_panicking() {
        let now = Utc::now();
        assert_eq!(
            expires_at(now, i64::MAX),
            now + TimeDelta::seconds(MAX_SECS)
        );
        assert_eq!(expires_at(now, i64::MIN), now);
        assert_eq!(expires_at(now, 3600), now + TimeDelta::seconds(3600));
    }
}
