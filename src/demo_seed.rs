//! Sample data on the fake servers and a throw-away profile pointed at
//! them: what the tray's `--demo` runs against, and what the tray's tests
//! use. (`orosync demo`, INTERFACES.md "Demo", can build on this.)
//!
//! The data is fixed, so the first bidirectional sync always makes the
//! same writes: see [`FIRST_SYNC`]. [`DemoServers::story`] is the demo's
//! two runs with a user's edits between them.

use crate::app::{App, AppError, SyncRequest};
use crate::config::{Config, SyncMode};
use crate::fakes::graph::{FakeGraph, FakeOptions};
use crate::fakes::oro::{FakeOro, FakeOroOptions};
use crate::model::{Item, Kind, Priority};
use crate::secrets::{self, MemorySecrets, Secret, SecretStore};
use crate::summary::Summary;
use crate::testkit::{contact, event, task};
use std::path::Path;

/// The sample records made in Oro.
pub fn oro_samples() -> Vec<Item> {
    vec![
        contact("Ann", "Archer"),
        contact("Ben", "Brooks"),
        contact("Cleo", "Chen"),
        task("Prepare the Q4 report", Priority::High),
        task("Call the supplier", Priority::Normal),
        event("Team meeting", 2),
        event("Customer visit", 5),
    ]
}

/// The sample items made in Outlook.
pub fn outlook_samples() -> Vec<Item> {
    vec![
        contact("Dana", "Diaz"),
        contact("Eli", "Evans"),
        task("Book the venue", Priority::Low),
        event("Dentist", 4),
    ]
}

/// Writes of the first bidirectional sync of all kinds, per kind:
/// (created in Oro, created in Outlook).
pub const FIRST_SYNC: [(Kind, usize, usize); 3] = [
    (Kind::Contacts, 2, 3),
    (Kind::Tasks, 1, 2),
    (Kind::Events, 1, 2),
];

/// The fake Oro and fake Graph, running on loopback with the samples.
pub struct DemoServers {
    pub oro: FakeOro,
    pub graph: FakeGraph,
}

impl DemoServers {
    /// Start both fakes and fill them with the samples.
    pub async fn start() -> std::io::Result<DemoServers> {
        let oro = FakeOro::start(FakeOroOptions::default()).await?;
        let graph = FakeGraph::start(FakeOptions::default()).await?;
        for item in oro_samples() {
            oro.user_create(&item);
        }
        for item in outlook_samples() {
            graph.user_create_item(&item, None);
        }
        Ok(DemoServers { oro, graph })
    }

    /// A configuration pointed at the fakes, in `mode`.
    pub fn config(&self, mode: SyncMode) -> Config {
        let mut c = Config::new(
            &self.oro.url(),
            &self.oro.options().username,
            "orosync-demo",
        );
        c.outlook.graph_url = self.graph.url();
        c.outlook.login_url = self.graph.login_url();
        c.sync.mode = mode;
        c.sync.time_zone = Some(chrono_tz::Tz::UTC);
        c
    }

    /// Write [`config`](Self::config) as `dir`/config.toml (creating `dir`).
    pub fn write_profile(&self, dir: &Path, mode: SyncMode) -> Result<(), crate::app::AppError> {
        let profile = crate::profile::Profile::open(dir)
            .map_err(|e| crate::app::AppError::Io(format!("{}: {e}", dir.display())))?;
        self.config(mode).save(&profile.config_path())?;
        Ok(())
    }

    /// The fakes' credentials, in memory (never in a keyring or a file).
    pub fn secrets(&self) -> MemorySecrets {
        let s = MemorySecrets::new();
        let put = |name: &str, v: String| {
            let _ = s.set(name, &Secret::new(v));
        };
        put(secrets::ORO_API_KEY, self.oro.options().api_key.clone());
        put(
            secrets::OUTLOOK_REFRESH_TOKEN,
            self.graph.issue_refresh_token(),
        );
        s
    }

    /// After a first sync: the user edits the same contact ("Ann Archer")
    /// on both sides, to different job titles — one conflict at the next
    /// bidirectional run. Returns (Oro id, Outlook id) of the pair.
    pub fn edit_both_sides(&self) -> Option<(String, String)> {
        let oro = self
            .oro
            .all(Kind::Contacts)
            .into_iter()
            .find(|r| r.attr_str("firstName") == Some("Ann"))?;
        let oro_id = oro.id.to_string();
        let outlook_id = self
            .graph
            .all(Kind::Contacts)
            .into_iter()
            .filter_map(|v| v["id"].as_str().map(str::to_string))
            .find(|id| self.graph.link_of(id).as_deref() == Some(oro_id.as_str()))?;
        self.oro.user_edit(Kind::Contacts, &oro_id, |r| {
            r.attributes.insert("jobTitle".into(), "CFO".into());
        });
        self.graph.user_edit(&outlook_id, |v| {
            v["jobTitle"] = "Chief Financial Officer".into();
        });
        Some((oro_id, outlook_id))
    }

    /// INTERFACES.md "Demo": a first bidirectional sync, then edits the
    /// way a user would — the same contact on both sides (a conflict), a
    /// contact changed in Oro (an update), a task deleted in Oro (a
    /// deletion) — and a second sync. Returns both runs' summaries.
    pub async fn story(&self, app: &App) -> Result<Vec<Summary>, AppError> {
        let req = SyncRequest {
            confirmed: true,
            ..Default::default()
        };
        let first = app.sync(&req, || {}).await?;
        self.edit_both_sides();
        let find = |kind: Kind, attr: &str, value: &str| {
            self.oro
                .all(kind)
                .into_iter()
                .find(|r| r.attr_str(attr) == Some(value))
                .map(|r| r.id.to_string())
        };
        if let Some(ben) = find(Kind::Contacts, "firstName", "Ben") {
            self.oro.user_edit(Kind::Contacts, &ben, |r| {
                r.attributes
                    .insert("jobTitle".into(), "Head of Sales".into());
            });
        }
        if let Some(task) = find(Kind::Tasks, "subject", "Call the supplier") {
            self.oro.user_delete(Kind::Tasks, &task);
        }
        let second = app.sync(&req, || {}).await?;
        Ok(vec![first, second])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn first_sync_makes_the_documented_writes_then_one_conflict() {
        let servers = DemoServers::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        servers.write_profile(dir.path(), SyncMode::Manual).unwrap();
        let app = App::open_with(dir.path(), Arc::new(servers.secrets())).unwrap();
        let s = app.sync(&SyncRequest::default(), || {}).await.unwrap();
        assert!(s.ok, "{s:?}");
        for (kind, oro, outlook) in FIRST_SYNC {
            let k = &s.kinds[&kind];
            assert_eq!((k.oro.created, k.outlook.created), (oro, outlook), "{kind}");
        }
        assert!(servers.edit_both_sides().is_some());
        let s = app.sync(&SyncRequest::default(), || {}).await.unwrap();
        assert_eq!(s.conflicts.len(), 1, "{s:?}");
        assert_eq!(s.kinds[&Kind::Contacts].conflicts, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_story_shows_creates_updates_a_deletion_and_a_conflict() {
        let servers = DemoServers::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut c = servers.config(SyncMode::Manual);
        c.sync.conflict_resolution = crate::settings::ConflictSetting::Ask;
        crate::profile::Profile::open(dir.path()).unwrap();
        c.save(&dir.path().join("config.toml")).unwrap();
        let app = App::open_with(dir.path(), Arc::new(servers.secrets())).unwrap();
        let runs = servers.story(&app).await.unwrap();
        let second = &runs[1];
        assert!(second.ok, "{second:?}");
        let contacts = &second.kinds[&Kind::Contacts];
        assert_eq!(contacts.conflicts, 1);
        assert_eq!(contacts.outlook.updated, 1, "Ben's new title");
        assert_eq!(second.kinds[&Kind::Tasks].outlook.deleted, 1);
        assert_eq!(app.open_state().unwrap().pending(None).unwrap().len(), 1);
    }
}
