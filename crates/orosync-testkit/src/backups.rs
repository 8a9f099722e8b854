//! The engine's backups kept in a list, for tests: what a run saved before
//! it deleted or overwrote a record (the product writes files,
//! `orosync::backup`).

use orosync::model::{Kind, Side};
use std::sync::Mutex;

/// One saved record.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedBackup {
    pub kind: Kind,
    pub side: Side,
    pub id: String,
    pub action: String,
    pub before: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct MemoryBackups(pub Mutex<Vec<SavedBackup>>);

impl MemoryBackups {
    pub fn entries(&self) -> Vec<SavedBackup> {
        self.0.lock().expect("backups lock").clone()
    }
}

impl orosync::engine::Backups for MemoryBackups {
    fn save(
        &self,
        kind: Kind,
        side: Side,
        id: &str,
        action: &str,
        before: &serde_json::Value,
    ) -> std::io::Result<()> {
        self.0.lock().expect("backups lock").push(SavedBackup {
            kind,
            side,
            id: id.to_string(),
            action: action.to_string(),
            before: before.clone(),
        });
        Ok(())
    }
}
