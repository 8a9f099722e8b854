//! The seed-table scenarios with the Oro client against the fake Oro (Outlook in memory); state in SQLite.

mod scenarios;

use scenarios::http::OroHttpWorld;

all_scenarios!(OroHttpWorld::start());
