//! Where the executor puts a record before it deletes or overwrites it
//! (docs/sync-rules.md, "Backups"). The profile's `backups/` folder in the product; a
//! list in memory for tests.

use crate::model::{Kind, Side};
use std::sync::Mutex;

pub trait Backups {
    /// Save `before` as it was; an error stops that write.
    fn save(
        &self,
        kind: Kind,
        side: Side,
        id: &str,
        action: &str,
        before: &serde_json::Value,
    ) -> std::io::Result<()>;
}

/// One saved record.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupEntry {
    pub kind: Kind,
    pub side: Side,
    pub id: String,
    pub action: String,
    pub before: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct MemoryBackups(pub Mutex<Vec<BackupEntry>>);

impl MemoryBackups {
    pub fn entries(&self) -> Vec<BackupEntry> {
        self.0.lock().expect("backups lock").clone()
    }
}

impl Backups for MemoryBackups {
    fn save(
        &self,
        kind: Kind,
        side: Side,
        id: &str,
        action: &str,
        before: &serde_json::Value,
    ) -> std::io::Result<()> {
        self.0.lock().expect("backups lock").push(BackupEntry {
            kind,
            side,
            id: id.to_string(),
            action: action.to_string(),
            before: before.clone(),
        });
        Ok(())
    }
}
