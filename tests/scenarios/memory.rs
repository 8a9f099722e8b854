//! The world over the in-memory stores, with state in a real SQLite file.

use super::world::World;
use orosync::clock::{Clock, ManualClock};
use orosync::engine::{Engine, RunOptions};
use orosync::settings::SyncSettings;
use orosync::state::State;
use orosync::summary::Summary;
use orosync_testkit::memory::{CrashSwitch, MemoryOro, MemoryOutlook};
use orosync_testkit::{t0, OroUser, OutlookUser};
use orosync_testkit::{MemoryBackups, SavedBackup};
use std::sync::Arc;

pub struct MemWorld {
    pub clock: ManualClock,
    pub oro: MemoryOro,
    pub outlook: MemoryOutlook,
    pub crash: CrashSwitch,
    pub backups: MemoryBackups,
    pub settings: SyncSettings,
    pub dir: tempfile::TempDir,
}

impl MemWorld {
    pub fn new() -> Self {
        Self::with_chunk(1)
    }

    /// Outlook writes accepted `n` at a time (like Graph's `$batch`).
    pub fn with_chunk(n: usize) -> Self {
        let clock = ManualClock::new(t0());
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let crash = CrashSwitch::default();
        MemWorld {
            oro: MemoryOro::new(shared.clone(), crash.clone()),
            outlook: MemoryOutlook::new(shared, crash.clone()).with_write_chunk(n),
            clock,
            crash,
            backups: MemoryBackups::default(),
            settings: SyncSettings {
                oro_url: "https://crm.example.com".into(),
                ..Default::default()
            },
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn state_path(&self) -> std::path::PathBuf {
        self.dir.path().join("state.sqlite3")
    }
}

impl World for MemWorld {
    fn oro(&self) -> &dyn OroUser {
        &self.oro
    }
    fn outlook(&self) -> &dyn OutlookUser {
        &self.outlook
    }
    fn settings_mut(&mut self) -> &mut SyncSettings {
        &mut self.settings
    }
    async fn sync_with(&mut self, opts: RunOptions) -> Summary {
        let mut state = State::open(&self.state_path()).expect("state opens");
        let engine = Engine {
            oro: &self.oro,
            outlook: &self.outlook,
            clock: &self.clock,
            backups: &self.backups,
            settings: &self.settings,
        };
        let s = engine.run(&mut state, opts).await;
        self.clock.advance(chrono::Duration::seconds(60));
        s
    }
    fn state(&self) -> State {
        State::open(&self.state_path()).expect("state opens")
    }
    fn backups(&self) -> Vec<SavedBackup> {
        self.backups.entries()
    }
    fn advance_secs(&self, secs: i64) {
        self.clock.advance(chrono::Duration::seconds(secs));
    }
}
