//! The seed-table scenarios with both clients against both fake servers; state in SQLite.

mod scenarios;

use scenarios::http::HttpWorld;

all_scenarios!(HttpWorld::start());
