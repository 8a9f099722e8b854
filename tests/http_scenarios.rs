//! The seed-table scenarios with both clients against both fake servers;
//! state in SQLite.

mod scenarios;

use scenarios::http::HttpWorld;

all_scenarios!(HttpWorld::start());

/// The same in a zone 13 hours ahead of UTC in December (all-day dates and
/// due dates cross the date line), with pages of two on both servers.
mod auckland {
    use super::scenarios;
    use super::scenarios::http::{HttpWorld, Setup};
    crate::all_scenarios!(HttpWorld::start_with(Setup {
        tz: chrono_tz::Pacific::Auckland,
        page_size: Some(2),
    }));
}
