//! The seed-table scenarios once more, entirely through the `orosync`
//! binary: both servers real (the fakes over HTTP), state in the profile's
//! SQLite file, backups in its folder.

mod scenarios;

use scenarios::binary::BinaryWorld;

all_scenarios!(BinaryWorld::start());
