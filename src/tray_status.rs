//! What a running tray app publishes for `orosync status` (docs/cli.md, "status --json":
//! `next_run_at` is null in manual mode or when no tray app is running):
//! `<profile>/tray.json`, rewritten by the tray whenever its schedule
//! changes and removed when it quits. A file left by a tray that died is
//! ignored: its process id no longer runs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "tray.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrayStatus {
    pub pid: u32,
    pub next_run_at: Option<DateTime<Utc>>,
}

pub fn path(profile_dir: &Path) -> PathBuf {
    profile_dir.join(FILE_NAME)
}

/// Write atomically (temporary file, rename).
pub fn write(profile_dir: &Path, status: &TrayStatus) -> std::io::Result<()> {
    let tmp = profile_dir.join(format!("{FILE_NAME}.tmp"));
    crate::private_fs::write(
        &tmp,
        &serde_json::to_vec(status).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, path(profile_dir))
}

pub fn remove(profile_dir: &Path) {
    let _ = std::fs::remove_file(path(profile_dir));
}

/// The running tray's status, if a tray of this profile is running.
pub fn read(profile_dir: &Path) -> Option<TrayStatus> {
    let bytes = std::fs::read(path(profile_dir)).ok()?;
    let s: TrayStatus = serde_json::from_slice(&bytes).ok()?;
    is_running(s.pid).then_some(s)
}

/// Whether process `pid` runs. Where that cannot be told cheaply, assume it does.
fn is_running(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn written_by_a_running_process_read_back_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        let s = TrayStatus {
            pid: std::process::id(),
            next_run_at: Some(Utc.timestamp_opt(1_800_000_000, 0).unwrap()),
        };
        write(dir.path(), &s).unwrap();
        assert_eq!(read(dir.path()), Some(s));
        remove(dir.path());
        assert_eq!(read(dir.path()), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_left_by_a_dead_tray_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        write(
            dir.path(),
            &TrayStatus {
                pid,
                next_run_at: None,
            },
        )
        .unwrap();
        assert_eq!(read(dir.path()), None);
    }
}
