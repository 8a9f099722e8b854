//! The world where every sync is the `orosync` binary, run as a process
//! against both fake servers over HTTP, with the profile's `config.toml`,
//! its SQLite state and its `backups/` folder: the whole product path.

use super::http::{HttpWorld, Setup};
use super::world::World;
use orosync::engine::RunOptions;
use orosync::settings::SyncSettings;
use orosync::state::State;
use orosync::summary::Summary;
use orosync_testkit::SavedBackup;
use orosync_testkit::{OroUser, OutlookUser};
use std::path::PathBuf;

/// The servers and users of an [`HttpWorld`]; the sync is the binary.
pub struct BinaryWorld {
    pub inner: HttpWorld,
}

impl BinaryWorld {
    pub async fn start() -> BinaryWorld {
        BinaryWorld {
            inner: HttpWorld::start_with(Setup::default()).await,
        }
    }

    fn profile(&self) -> PathBuf {
        self.inner.dir.path().to_path_buf()
    }

    /// `config.toml` from the world's settings, as a user would write it.
    fn write_config(&self) {
        let s: &SyncSettings = &self.inner.settings;
        let kinds: Vec<String> = s.kinds.iter().map(|k| format!("\"{k}\"")).collect();
        let cfg = format!(
            r#"[oro]
url = "{oro}"
username = "{user}"
auth = "wsse"

[outlook]
client_id = "orosync-tests"
graph_url = "{graph}"
login_url = "{login}"

[sync]
mode = "manual"
direction = "{direction}"
conflict_resolution = "{conflict}"
kinds = [{kinds}]
time_zone = "UTC"
# The scenarios' dates follow the test clock, not today's: a window wide
# enough that the wall clock never moves them out of it.
events_past_days = 36500
events_future_days = 36500
"#,
            oro = self.inner.oro.fake.url(),
            user = self.inner.oro.fake.options().username,
            graph = self.inner.outlook.fake.url(),
            login = self.inner.outlook.fake.login_url(),
            direction = s.direction,
            conflict = s.conflict,
            kinds = kinds.join(", "),
        );
        std::fs::write(self.profile().join("config.toml"), cfg).expect("config written");
    }
}

impl World for BinaryWorld {
    fn oro(&self) -> &dyn OroUser {
        self.inner.oro()
    }
    fn outlook(&self) -> &dyn OutlookUser {
        self.inner.outlook()
    }
    fn settings_mut(&mut self) -> &mut SyncSettings {
        self.inner.settings_mut()
    }
    async fn sync_with(&mut self, opts: RunOptions) -> Summary {
        self.write_config();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_orosync"));
        cmd.arg("--profile")
            .arg(self.profile())
            .args(["sync", "--json", "--yes"]);
        if opts.resync {
            cmd.arg("--resync");
        }
        if opts.dry_run {
            cmd.arg("--dry-run");
        }
        cmd.env(
            "OROSYNC_ORO_API_KEY",
            &self.inner.oro.fake.options().api_key,
        );
        cmd.env(
            "OROSYNC_OUTLOOK_REFRESH_TOKEN",
            self.inner.outlook.fake.issue_refresh_token(),
        );
        // Secrets come from the environment only: no keyring in this world.
        cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("orosync runs"))
            .await
            .expect("joined");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let summary: Summary = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "orosync printed no summary ({e}); exit {:?}\nstdout: {stdout}\nstderr: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            out.status.code(),
            Some(summary.exit_code()),
            "the exit status matches the summary"
        );
        self.inner.advance_secs(60);
        summary
    }
    fn state(&self) -> State {
        State::open(&self.profile().join("state.sqlite3")).expect("state opens")
    }
    fn backups(&self) -> Vec<SavedBackup> {
        let dir = self.profile().join("backups");
        if !dir.exists() {
            return vec![];
        }
        orosync::backup::read_all(&dir)
            .expect("backups readable")
            .into_iter()
            .map(|b| SavedBackup {
                kind: b.kind,
                side: b.side,
                id: b.id,
                action: b.action,
                before: b.before,
            })
            .collect()
    }
    fn advance_secs(&self, secs: i64) {
        self.inner.advance_secs(secs);
    }
}
