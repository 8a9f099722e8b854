//! The seed-table scenarios with the Graph client against the fake Graph (Oro in memory); state in SQLite.

mod scenarios;

use scenarios::http::GraphHttpWorld;

all_scenarios!(GraphHttpWorld::start());
