//! The part of a kind that is synced: events only within a window of whole
//! days. It belongs to the model because the pure planner reads it as well
//! as the stores.

use chrono::{DateTime, Utc};

/// The part of a kind that is synced: events only within a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// A run's event window: whole days [today − past_days, today +
    /// future_days] of the user's zone, from the midnight that starts the
    /// first day to the one that ends the last (docs/fidelity.md, "Microsoft
    /// Graph: calendar window"). Whole days, so the window moves once a day
    /// (and when the settings change), not at every run: a calendar delta,
    /// whose window is fixed when it starts, is started again only then.
    pub fn days_around(
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        past_days: u32,
        future_days: u32,
    ) -> Window {
        let today = now.with_timezone(&tz).date_naive();
        let first = today - chrono::Days::new(past_days as u64);
        let after_last = today + chrono::Days::new(future_days as u64 + 1);
        Window {
            from: super::zone::midnight(tz, first),
            to: super::zone::midnight(tz, after_last),
        }
    }

    /// True when `self` holds all of `other`.
    pub fn covers(&self, other: &Window) -> bool {
        self.from <= other.from && other.to <= self.to
    }

    pub fn around(now: DateTime<Utc>, past_days: u32, future_days: u32) -> Window {
        Window {
            from: now - chrono::Duration::days(past_days as i64),
            to: now + chrono::Duration::days(future_days as i64),
        }
    }
}
