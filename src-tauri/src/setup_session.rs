//! The first-run setup's draft in progress (an [`orosync::setup::Draft`]:
//! settings in a scratch folder, secrets in memory), held by the app for
//! the setup's commands (`first_run`) and dropped by whoever ends the setup
//! without "Start sync": Cancel, closing the window (`window`), or Quit
//! (`tray`). Down here so those three need not import one another.

use crate::error::{Error, Result};
use orosync::setup::Draft;
use std::sync::Mutex;

/// The draft of the setup in progress, if any.
#[derive(Default)]
pub struct SetupSession(Mutex<Option<Draft>>);

impl SetupSession {
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Draft) -> T) -> Result<T> {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            *g = Some(Draft::new().map_err(|e| Error::Other(e.to_string()))?);
        }
        Ok(f(g.as_ref().expect("set just above")))
    }

    /// Forget the draft: its scratch folder and secrets go.
    pub fn discard(&self) {
        let draft = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if draft.is_some() {
            tracing::info!("first-run setup cancelled; nothing was saved");
        }
    }

    /// Is a setup in progress?
    pub fn active(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The draft went into the profile ("Start sync"): forget it, without
    /// logging a cancel.
    pub(crate) fn discard_after_commit(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}
