//! The product's one API, used by the `orosync` CLI and the tray app alike:
//! open a profile, run a sync with its lock, backups and history
//! ([`App`]); the history and the conflicts (list, resolve) in
//! [`history`]; the settings (read, save through the one writer of
//! config.toml) in [`settings`]; the Oro check in [`check`]; signing in
//! in [`login`] and certificate trust in [`trust`]; what to do when a run
//! stopped in [`advice`]. The shells only present what these return. The
//! engine below knows nothing of profiles.

pub mod advice;
pub mod check;
mod clients;
mod error;
pub mod history;
pub mod login;
pub mod settings;
pub mod trust;

pub use clients::{graph_client, oro_client, oro_client_keeping};
pub use error::AppError;

use crate::backup::{self, BackupWriter};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::engine::{no_progress, Engine, OnProgress, RunOptions};
use crate::lock::ProfileLock;
use crate::model::Kind;
use crate::profile::Profile;
use crate::secrets::{EnvFirst, KeyringStore, SecretStore};
use crate::settings::{Direction, SyncSettings};
use crate::sides::{OroStore, OutlookStore};
use crate::state::State;
use crate::summary::Summary;
use std::path::Path;
use std::sync::Arc;

/// One `sync` request: overrides of the config for this run, and flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRequest {
    pub direction: Option<Direction>,
    pub kinds: Option<Vec<Kind>>,
    pub resync: bool,
    pub dry_run: bool,
    /// The user agreed to a first sync's or resync's deletions.
    pub confirmed: bool,
    /// What the user decided about mass deletions, per kind (the guard of
    /// docs/reliability.md "Deletion guard"); undecided kinds ask.
    pub guard: crate::plan::GuardChoices,
}

/// An opened profile with its configuration.
pub struct App {
    pub profile: Profile,
    pub config: Config,
    pub secrets: Arc<dyn SecretStore>,
}

impl App {
    /// Open the profile at `dir` with the secrets of the environment and
    /// the OS keyring.
    pub fn open(dir: &Path) -> Result<App, AppError> {
        let secrets: Arc<dyn SecretStore> =
            Arc::new(EnvFirst::new(KeyringStore::new(dir.display().to_string())));
        Self::open_with(dir, secrets)
    }

    /// A profile that is not set up (no config.toml) is left as it is:
    /// its folder is not created just to say so.
    pub fn open_with(dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<App, AppError> {
        let path = Profile::at(dir).config_path();
        if !path.exists() {
            return Err(AppError::NoConfig {
                path: path.display().to_string(),
            });
        }
        let profile = Profile::open(dir).map_err(|e| {
            AppError::Io(format!(
                "cannot open the profile folder {}: {e}",
                dir.display()
            ))
        })?;
        let path = profile.config_path();
        if !path.exists() {
            return Err(AppError::NoConfig {
                path: path.display().to_string(),
            });
        }
        let config = Config::load(&path)?;
        Ok(App {
            profile,
            config,
            secrets,
        })
    }

    /// The engine's settings for this request.
    pub fn settings(&self, req: &SyncRequest) -> SyncSettings {
        let mut s = self.config.sync_settings();
        if let Some(d) = req.direction {
            s.direction = d;
        }
        if let Some(k) = &req.kinds {
            s.kinds = k.clone();
        }
        s
    }

    pub fn open_state(&self) -> Result<State, AppError> {
        Ok(State::open(&self.profile.state_path())?)
    }

    /// Run a sync against the real servers of the configuration.
    pub async fn sync(
        &self,
        req: &SyncRequest,
        on_wait: impl FnOnce() + Send + 'static,
    ) -> Result<Summary, AppError> {
        self.sync_reporting(req, on_wait, &no_progress).await
    }

    /// As [`App::sync`], telling `progress` where the run stands.
    pub async fn sync_reporting(
        &self,
        req: &SyncRequest,
        on_wait: impl FnOnce() + Send + 'static,
        progress: OnProgress<'_>,
    ) -> Result<Summary, AppError> {
        // The lock first, then the clients: a run that waited for another
        // one must start from the sign-in that run left in the keyring (Oro
        // revoked the one stored when this run started).
        let _lock = self.lock(on_wait).await?;
        let oro = oro_client_keeping(&self.config, self.secrets.clone())?;
        let graph = graph_client(&self.config, self.secrets.clone())?;
        // Each rotated refresh token is stored as soon as it is issued.
        self.sync_locked(&oro, &graph, &SystemClock, req, progress)
            .await
    }

    /// Take the profile's lock (one run per profile at a time), calling
    /// `on_wait` if another run holds it.
    async fn lock(&self, on_wait: impl FnOnce() + Send + 'static) -> Result<ProfileLock, AppError> {
        let dir = self.profile.dir.clone();
        tokio::task::spawn_blocking(move || ProfileLock::acquire(&dir, on_wait))
            .await
            .map_err(|e| AppError::Io(e.to_string()))?
            .map_err(|e| AppError::Io(format!("cannot lock the profile: {e}")))
    }

    /// A run, the profile's lock held by the caller.
    async fn sync_locked<O: OroStore, X: OutlookStore>(
        &self,
        oro: &O,
        outlook: &X,
        clock: &dyn Clock,
        req: &SyncRequest,
        progress: OnProgress<'_>,
    ) -> Result<Summary, AppError> {
        let mut state = self.open_state()?;
        let settings = self.settings(req);
        tracing::info!(
            "sync of {} started: {:?}, kinds {:?}{}{}",
            self.profile.dir.display(),
            settings.direction,
            settings.kinds,
            if req.resync { ", resync" } else { "" },
            if req.dry_run { ", dry run" } else { "" },
        );
        let now = clock.now();
        let writer = BackupWriter::new(self.profile.backups_dir(), now);
        let engine = Engine {
            oro,
            outlook,
            clock,
            backups: &writer,
            settings: &settings,
        };
        if !req.dry_run && !req.confirmed {
            let deletes = self.first_sync_deletes(&engine, &state, req).await?;
            if deletes > 0 {
                return Err(AppError::NeedsConfirmation { deletes });
            }
        }
        let summary = engine
            .run_with_progress(
                &mut state,
                RunOptions {
                    resync: req.resync,
                    dry_run: req.dry_run,
                    guard: req.guard,
                },
                progress,
            )
            .await;
        tracing::info!(
            "sync finished: exit {}, {} write(s), {} conflict(s), {} failed item(s){}",
            summary.exit_code(),
            summary.total_writes(),
            summary.conflicts.len(),
            summary.errors.len(),
            summary
                .fatal
                .as_ref()
                .map(|f| format!(", stopped: {f}"))
                .unwrap_or_default(),
        );
        if !req.dry_run {
            if let Err(e) = backup::prune(&self.profile.backups_dir(), now, backup::KEEP_DAYS) {
                tracing::warn!("old backups could not be pruned: {e}");
            }
        }
        Ok(summary)
    }

    /// How many Outlook items a first sync or resync of `req` would delete.
    pub async fn first_sync_deletes<O: OroStore, X: OutlookStore>(
        &self,
        engine: &Engine<'_, O, X>,
        state: &State,
        req: &SyncRequest,
    ) -> Result<usize, AppError> {
        let mut n = 0;
        for kind in &engine.settings.kinds {
            let first = req.resync || !state.kind_state(*kind)?.first_sync_done;
            if !first {
                continue;
            }
            let plan = engine
                .preview(state, *kind, req.resync)
                .await
                .map_err(fatal_error)?;
            n += plan
                .ops
                .iter()
                .filter(|op| op.reason == crate::plan::PURGE_REASON)
                .count();
        }
        Ok(n)
    }
}

fn fatal_error(f: crate::summary::Fatal) -> AppError {
    match f {
        crate::summary::Fatal::Auth(_) => AppError::SignIn(f.to_string()),
        crate::summary::Fatal::Unavailable(m) => AppError::Unreachable(m),
        crate::summary::Fatal::State(m) => AppError::Io(m),
    }
}
