//! A world: Oro, Outlook, a profile's state, and a way to run a sync.
//! Implemented over the in-memory stores, the fake servers over HTTP and the
//! binary; the scenarios never know which.

use orosync::engine::RunOptions;
use orosync::model::{Kind, OroRecord, OutlookItem};
use orosync::settings::SyncSettings;
use orosync::state::State;
use orosync::summary::Summary;
use orosync_testkit::SavedBackup;
use orosync_testkit::{OroUser, OutlookUser};

#[allow(async_fn_in_trait)]
pub trait World {
    fn oro(&self) -> &dyn OroUser;
    fn outlook(&self) -> &dyn OutlookUser;
    fn settings_mut(&mut self) -> &mut SyncSettings;
    /// Run one sync; the clock moves on a minute afterwards.
    async fn sync_with(&mut self, opts: RunOptions) -> Summary;
    /// The profile's state database, opened for inspection.
    fn state(&self) -> State;
    fn backups(&self) -> Vec<SavedBackup>;
    /// Let time pass (between a user's edits).
    fn advance_secs(&self, secs: i64);

    async fn sync(&mut self) -> Summary {
        self.sync_with(RunOptions::default()).await
    }
}

pub fn oro_one(w: &impl World, kind: Kind, id: &str) -> Option<OroRecord> {
    w.oro().all(kind).into_iter().find(|r| r.id == id)
}

pub fn outlook_one(w: &impl World, kind: Kind, id: &str) -> Option<OutlookItem> {
    w.outlook().all(kind).into_iter().find(|r| r.id == id)
}
