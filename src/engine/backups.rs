//! Where the executor puts a record before it deletes or overwrites it
//! (docs/sync-rules.md, "Backups"). The profile's `backups/` folder in the product; a
//! list in memory for tests.

use crate::model::{Kind, Side};

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
