//! What can stop a command of the app (CLI or tray), with the exit status
//! of docs/cli.md ("Exit status") and a line that says what to do.

use crate::config::ConfigError;
use crate::state::StateError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("no configuration at {path}: create it (see README, \"Configuration\") or run `orosync demo`")]
    NoConfig { path: String },
    #[error(
        "this first sync or resync deletes {deletes} Outlook item(s) that carry an Oro id before pairing again; \
         run it on a terminal to confirm, or add --yes"
    )]
    NeedsConfirmation { deletes: usize },
    #[error("{0}")]
    StateTooNew(StateError),
    #[error("{0}")]
    State(StateError),
    /// Not signed in, or the credentials were refused.
    #[error("{0}")]
    SignIn(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Usage(String),
}

impl From<StateError> for AppError {
    fn from(e: StateError) -> Self {
        match e {
            e @ StateError::TooNew { .. } => AppError::StateTooNew(e),
            e => AppError::State(e),
        }
    }
}

impl AppError {
    /// docs/cli.md, "Exit status": 2 usage/configuration/confirmation/newer database,
    /// 3 authentication, 4 unreachable, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Config(_)
            | AppError::NoConfig { .. }
            | AppError::NeedsConfirmation { .. }
            | AppError::StateTooNew(_)
            | AppError::Usage(_) => 2,
            AppError::SignIn(_) => 3,
            AppError::Unreachable(_) => 4,
            AppError::State(_) | AppError::Io(_) => 1,
        }
    }
}
