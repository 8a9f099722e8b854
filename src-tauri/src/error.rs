//! Errors of the tray's commands, sent to the window as their text (as
//! Tauri's plugins do), each saying what to do.

use orosync::app::AppError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("state database: {0}")]
    State(#[from] orosync::state::StateError),
    #[error("{0}")]
    Other(String),
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
