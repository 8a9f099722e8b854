//! One run per profile at a time, across processes (docs/sync-rules.md, "Sync type and limits"):
//! the tray and the CLI take an exclusive OS file lock on
//! `<profile>/sync.lock` for the length of a run.
//!
//! An OS lock rather than a pid file: the OS drops it when the process dies,
//! however it dies, so a crash never leaves a stale lock behind.

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// The lock file's name inside the profile folder.
pub const LOCK_FILE: &str = "sync.lock";

/// Held for the length of a run; released on drop (or by the OS when the
/// process exits).
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
    path: PathBuf,
}

impl ProfileLock {
    /// Takes the lock of the profile at `dir`, waiting while another process
    /// (or another handle in this one) holds it. `on_wait` is called once,
    /// before waiting, and only if there is a wait, so the CLI can say
    /// "another sync is running, waiting…".
    pub fn acquire(dir: &Path, on_wait: impl FnOnce()) -> io::Result<ProfileLock> {
        let (file, path) = open(dir)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                on_wait();
                file.lock()?;
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        Ok(ProfileLock { file, path })
    }

    /// Takes the lock if it is free; `Ok(None)` when another holder has it.
    pub fn try_acquire(dir: &Path) -> io::Result<Option<ProfileLock>> {
        let (file, path) = open(dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ProfileLock { file, path })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // Closing the file would release the lock too; unlocking first makes
        // the release independent of when the handle is closed. The file is
        // deliberately left in place: removing it would let a waiter that
        // already opened the old file and a newcomer that creates a new one
        // both hold "the" lock.
        let _ = self.file.unlock();
    }
}

fn open(dir: &Path) -> io::Result<(File, PathBuf)> {
    let path = dir.join(LOCK_FILE);
    // Write access because Windows locks need read or write access; never
    // truncated, as the content is not used.
    // Private like every file of the profile (crate::private_fs).
    let file = crate::private_fs::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    #[test]
    fn try_acquire_fails_while_held_and_succeeds_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = ProfileLock::try_acquire(dir.path()).unwrap().expect("free");
        assert_eq!(held.path(), dir.path().join("sync.lock"));
        // A second handle, as a second process would have.
        assert!(ProfileLock::try_acquire(dir.path()).unwrap().is_none());
        drop(held);
        assert!(ProfileLock::try_acquire(dir.path()).unwrap().is_some());
        assert!(dir.path().join("sync.lock").exists(), "the file stays");
    }

    #[test]
    fn acquire_without_contention_does_not_call_on_wait() {
        let dir = tempfile::tempdir().unwrap();
        let mut waited = false;
        let _l = ProfileLock::acquire(dir.path(), || waited = true).unwrap();
        assert!(!waited);
    }

    #[test]
    fn acquire_waits_for_the_holder_and_says_so_once() {
        let dir = tempfile::tempdir().unwrap();
        let held = ProfileLock::acquire(dir.path(), || panic!("free")).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let path = dir.path().to_path_buf();
        let c = calls.clone();
        let waiter = std::thread::spawn(move || {
            let l = ProfileLock::acquire(&path, || {
                c.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
            tx.send(()).unwrap();
            l
        });
        // The waiter must still be blocked while the lock is held.
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        drop(held);
        rx.recv_timeout(Duration::from_secs(10))
            .expect("acquired after release");
        let second = waiter.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(ProfileLock::try_acquire(dir.path()).unwrap().is_none());
        drop(second);
    }

    #[test]
    fn a_missing_profile_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("nope");
        assert!(ProfileLock::try_acquire(&gone).is_err());
        assert!(ProfileLock::acquire(&gone, || {}).is_err());
    }

    const CHILD_ENV: &str = "OROSYNC_TEST_LOCK_CHILD_DIR";
    const CHILD_READY: &str = "OROSYNC-TEST-CHILD-LOCKED";

    /// Not a test on its own: run by `the_lock_holds_across_processes_and_dies_with_its_holder`
    /// in a child process, where it takes the lock and keeps it until killed.
    #[test]
    fn child_process_holding_the_lock() {
        let Some(dir) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let _l = ProfileLock::try_acquire(Path::new(&dir))
            .unwrap()
            .expect("free in the child");
        println!("{CHILD_READY}");
        // Bounded so that a lost child cannot outlive the test run for long.
        std::thread::sleep(Duration::from_secs(60));
    }

    #[test]
    fn the_lock_holds_across_processes_and_dies_with_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "lock::tests::child_process_holding_the_lock",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains(CHILD_READY));
        assert!(ready, "the child took the lock");

        let blocked = ProfileLock::try_acquire(dir.path()).unwrap();
        // Kill before asserting, so a failure does not leave the child behind.
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(blocked.is_none(), "held by the child");
        let mut waited = false;
        let _l = ProfileLock::acquire(dir.path(), || waited = true).unwrap();
        assert!(!waited, "released by the OS when the child died");
    }
}
