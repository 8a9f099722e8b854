//! Worlds where one side or both are the real HTTP client against a fake
//! server: the scenarios act on the fake's data directly (as a user of
//! Oro's or Outlook's UI would), the sync goes over HTTP. State in a real
//! SQLite file; one manual clock for the fakes' timestamps and the engine.

use super::world::World;
use chrono_tz::Tz;
use orosync::clock::{Clock, ManualClock};
use orosync::engine::{Engine, RunOptions};
use orosync::graph::auth::AuthConfig;
use orosync::graph::{GraphClient, GraphConfig};
use orosync::oro::{OroAuth, OroClient, OroConfig, Secret};
use orosync::secrets::{self, MemorySecrets, SecretStore};
use orosync::settings::SyncSettings;
use orosync::sides::{OroStore, OutlookStore};
use orosync::state::State;
use orosync::summary::Summary;
use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use orosync_testkit::memory::{CrashSwitch, MemoryOro, MemoryOutlook};
use orosync_testkit::{t0, OroUser, OutlookUser};
use orosync_testkit::{MemoryBackups, SavedBackup};
use std::sync::Arc;
use std::time::Duration;

const MEM_ORO_URL: &str = "https://crm.example.com";

/// The Oro side of a world: what the user acts on, and what the engine syncs.
pub trait OroSide {
    type Store: OroStore;
    fn user(&self) -> &dyn OroUser;
    fn store(&self) -> &Self::Store;
}

/// The Outlook side of a world.
pub trait OutlookSide {
    type Store: OutlookStore;
    fn user(&self) -> &dyn OutlookUser;
    fn store(&self) -> &Self::Store;
}

impl OroSide for MemoryOro {
    type Store = MemoryOro;
    fn user(&self) -> &dyn OroUser {
        self
    }
    fn store(&self) -> &MemoryOro {
        self
    }
}

impl OutlookSide for MemoryOutlook {
    type Store = MemoryOutlook;
    fn user(&self) -> &dyn OutlookUser {
        self
    }
    fn store(&self) -> &MemoryOutlook {
        self
    }
}

/// The fake Oro, and the Oro client (WSSE) pointed at it.
pub struct ServedOro {
    pub fake: FakeOro,
    pub client: OroClient,
}

/// The user's zone and the page sizes of a world's servers and clients.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub tz: Tz,
    /// Records per page (Oro client) and items per page (fake Graph);
    /// `None`: the defaults.
    pub page_size: Option<usize>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            tz: Tz::UTC,
            page_size: None,
        }
    }
}

impl ServedOro {
    pub async fn start(clock: &ManualClock, setup: Setup) -> ServedOro {
        let fake = FakeOro::start(FakeOroOptions {
            clock: orosync_testkit::fake_clock(clock),
            time_zone: setup.tz,
            ..Default::default()
        })
        .await
        .expect("fake Oro starts");
        let o = fake.options();
        let mut cfg = OroConfig::new(
            &fake.url(),
            &o.username,
            OroAuth::Wsse {
                api_key: Secret::new(o.api_key.clone()),
            },
        );
        cfg.timeout = Duration::from_secs(10);
        cfg.time_zone = setup.tz;
        if let Some(n) = setup.page_size {
            cfg.page_size = n as u32;
            cfg.id_page_size = n as u32;
        }
        let client = OroClient::new(cfg).expect("Oro client");
        ServedOro { fake, client }
    }
}

impl OroSide for ServedOro {
    type Store = OroClient;
    fn user(&self) -> &dyn OroUser {
        &self.fake
    }
    fn store(&self) -> &OroClient {
        &self.client
    }
}

/// The fake Graph, and the Graph client signed in with a refresh token the
/// fake issued, kept in (memory) secrets as the CLI keeps it in the keyring.
pub struct ServedGraph {
    pub fake: FakeGraph,
    pub client: GraphClient,
}

impl ServedGraph {
    pub async fn start(clock: &ManualClock, oro_url: &str, setup: Setup) -> ServedGraph {
        let defaults = FakeOptions::default();
        let fake = FakeGraph::start(FakeOptions {
            clock: orosync_testkit::fake_clock(clock),
            time_zone: setup.tz,
            page_size: setup.page_size.unwrap_or(defaults.page_size),
            ..defaults
        })
        .await
        .expect("fake Graph starts");
        let secrets = MemorySecrets::new();
        secrets
            .set(
                secrets::OUTLOOK_REFRESH_TOKEN,
                &secrets::Secret::new(fake.issue_refresh_token()),
            )
            .expect("secret stored");
        let auth = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
        let mut cfg = GraphConfig::new(&fake.url(), setup.tz, oro_url);
        cfg.timeout = Duration::from_secs(10);
        let client = GraphClient::with_secrets(cfg, auth, Arc::new(secrets)).expect("Graph client");
        ServedGraph { fake, client }
    }
}

impl OutlookSide for ServedGraph {
    type Store = GraphClient;
    fn user(&self) -> &dyn OutlookUser {
        &self.fake
    }
    fn store(&self) -> &GraphClient {
        &self.client
    }
}

/// A world of two sides, state in SQLite, backups in memory.
pub struct ServedWorld<O, X> {
    pub clock: ManualClock,
    pub oro: O,
    pub outlook: X,
    pub backups: MemoryBackups,
    pub settings: SyncSettings,
    pub dir: tempfile::TempDir,
}

/// The Oro client against the fake Oro; Outlook in memory.
pub type OroHttpWorld = ServedWorld<ServedOro, MemoryOutlook>;
/// Oro in memory; the Graph client against the fake Graph.
pub type GraphHttpWorld = ServedWorld<MemoryOro, ServedGraph>;
/// Both clients against both fakes.
pub type HttpWorld = ServedWorld<ServedOro, ServedGraph>;

fn settings(oro_url: &str) -> SyncSettings {
    SyncSettings {
        oro_url: oro_url.into(),
        ..Default::default()
    }
}

fn world<O, X>(clock: ManualClock, oro: O, outlook: X, oro_url: &str) -> ServedWorld<O, X> {
    ServedWorld {
        clock,
        oro,
        outlook,
        backups: MemoryBackups::default(),
        settings: settings(oro_url),
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

impl OroHttpWorld {
    pub async fn start() -> OroHttpWorld {
        Self::start_with(Setup::default()).await
    }

    pub async fn start_with(setup: Setup) -> OroHttpWorld {
        let clock = ManualClock::new(t0());
        let oro = ServedOro::start(&clock, setup).await;
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let outlook = MemoryOutlook::new(shared, CrashSwitch::default());
        let url = oro.fake.url();
        world(clock, oro, outlook, &url)
    }
}

impl GraphHttpWorld {
    pub async fn start() -> GraphHttpWorld {
        Self::start_with(Setup::default()).await
    }

    pub async fn start_with(setup: Setup) -> GraphHttpWorld {
        let clock = ManualClock::new(t0());
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let oro = MemoryOro::new(shared, CrashSwitch::default());
        let outlook = ServedGraph::start(&clock, MEM_ORO_URL, setup).await;
        world(clock, oro, outlook, MEM_ORO_URL)
    }
}

impl HttpWorld {
    pub async fn start() -> HttpWorld {
        Self::start_with(Setup::default()).await
    }

    pub async fn start_with(setup: Setup) -> HttpWorld {
        let clock = ManualClock::new(t0());
        let oro = ServedOro::start(&clock, setup).await;
        let url = oro.fake.url();
        let outlook = ServedGraph::start(&clock, &url, setup).await;
        world(clock, oro, outlook, &url)
    }
}

impl<O, X> ServedWorld<O, X> {
    pub fn state_path(&self) -> std::path::PathBuf {
        self.dir.path().join("state.sqlite3")
    }
}

impl<O: OroSide, X: OutlookSide> World for ServedWorld<O, X> {
    fn oro(&self) -> &dyn OroUser {
        self.oro.user()
    }
    fn outlook(&self) -> &dyn OutlookUser {
        self.outlook.user()
    }
    fn settings_mut(&mut self) -> &mut SyncSettings {
        &mut self.settings
    }
    async fn sync_with(&mut self, opts: RunOptions) -> Summary {
        let mut state = State::open(&self.state_path()).expect("state opens");
        let engine = Engine {
            oro: self.oro.store(),
            outlook: self.outlook.store(),
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
