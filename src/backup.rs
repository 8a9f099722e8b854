//! docs/sync-rules.md, "Backups": before a run deletes or overwrites a
//! record on either side, it writes the record as it was to the profile's
//! `backups/`, one JSON file per run, kept [`KEEP_DAYS`] days.
//!
//! A file is a JSON array with one entry per line:
//!
//! ```text
//! [{"run":"…","kind":"contacts","side":"oro","id":"17","action":"delete","before":{…}}
//! ,{"run":"…",…}
//! ]
//! ```
//!
//! Each append rewrites only the closing `]` and is fsynced before
//! [`BackupWriter::record`] returns, so after every record the file is valid
//! JSON and the entry is on disk before the caller touches the record. A run
//! killed in the middle of an append leaves at worst a torn last line, which
//! [`read_all`] skips.
//!
//! No clock is read here: the run's start and "now" are passed in.

use crate::model::{Kind, Side};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How long backups are kept.
pub const KEEP_DAYS: u32 = 30;

/// File names are the run's start in UTC, sortable and valid on every OS
/// (no `:`), plus `-N` when two runs start in the same millisecond.
const NAME_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";
const EXTENSION: &str = "json";

/// One record as it was before the run changed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupEntry {
    /// When the run that wrote it started.
    pub run: DateTime<Utc>,
    pub kind: Kind,
    /// The system the record lives in.
    pub side: Side,
    /// Its id in that system.
    pub id: String,
    /// What the run was about to do to it, e.g. `delete` or `update`.
    pub action: String,
    /// The record as it was, as that side's client read it.
    pub before: serde_json::Value,
}

/// Writes one run's backup file; the file is created with the first record,
/// so runs that change nothing leave no file.
#[derive(Debug)]
pub struct BackupWriter {
    dir: PathBuf,
    run_started_at: DateTime<Utc>,
    open: Mutex<Option<OpenFile>>,
}

#[derive(Debug)]
struct OpenFile {
    file: File,
    path: PathBuf,
    /// Length of the complete content; everything after it is a torn append.
    len: u64,
}

impl BackupWriter {
    /// A writer for the run that started at `run_started_at`; no IO yet.
    pub fn new(backups_dir: impl Into<PathBuf>, run_started_at: DateTime<Utc>) -> BackupWriter {
        BackupWriter {
            dir: backups_dir.into(),
            run_started_at,
            open: Mutex::new(None),
        }
    }

    /// Appends the record `id` of `kind` on `side` as it was `before` the
    /// run's `action`, and returns once it is on disk. On error the caller
    /// must not go on with the action: the record would not be backed up.
    pub fn record(
        &self,
        kind: Kind,
        side: Side,
        id: &str,
        action: &str,
        before: &serde_json::Value,
    ) -> io::Result<()> {
        let entry = BackupEntry {
            run: self.run_started_at,
            kind,
            side,
            id: id.to_string(),
            action: action.to_string(),
            before: before.clone(),
        };
        // Compact JSON escapes newlines inside strings, so an entry is one line.
        let line = serde_json::to_string(&entry).map_err(io::Error::other)?;

        // A panic while the lock was held cannot leave `len` ahead of what is
        // on disk (it only moves after a successful sync), so the state is
        // still usable.
        let mut guard = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(self.create()?);
        }
        let open = guard.as_mut().expect("just opened");

        let (at, chunk) = if open.len == 0 {
            (0, format!("[{line}\n]\n"))
        } else {
            // Overwrite the closing "]\n".
            (open.len - 2, format!(",{line}\n]\n"))
        };
        let new_len = at + chunk.len() as u64;
        open.file.seek(SeekFrom::Start(at))?;
        open.file.write_all(chunk.as_bytes())?;
        // Drops whatever an earlier failed append may have left beyond the
        // new end, so the file is valid JSON again.
        open.file.set_len(new_len)?;
        open.file.sync_data()?;
        open.len = new_len;
        Ok(())
    }

    /// The run's file, once something was recorded.
    pub fn path(&self) -> Option<PathBuf> {
        let guard = self.open.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|o| o.path.clone())
    }

    fn create(&self) -> io::Result<OpenFile> {
        crate::profile::create_private_dir(&self.dir)?;
        let stem = self.run_started_at.format(NAME_FORMAT).to_string();
        for n in 1..=1000 {
            let name = if n == 1 {
                format!("{stem}.{EXTENSION}")
            } else {
                format!("{stem}-{n}.{EXTENSION}")
            };
            let path = self.dir.join(name);
            let mut opts = OpenOptions::new();
            // create_new: never append to or clobber another run's backup.
            opts.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            match opts.open(&path) {
                Ok(file) => {
                    sync_dir(&self.dir)?;
                    return Ok(OpenFile { file, path, len: 0 });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "too many backup files for the run started at {stem} in {}",
                self.dir.display()
            ),
        ))
    }
}

/// Makes a new file's directory entry durable, so the file survives a power
/// loss along with its content.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The run start a backup file's name encodes; `None` for files that are not
/// ours, which are never read or removed.
fn run_of(path: &Path) -> Option<DateTime<Utc>> {
    if path.extension()?.to_str()? != EXTENSION {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let time = match stem.split_once('-') {
        Some((t, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => t,
        Some(_) => return None,
        None => stem,
    };
    NaiveDateTime::parse_from_str(time, NAME_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

/// Our backup files in `backups_dir`, oldest first; none if it is missing.
fn backup_files(backups_dir: &Path) -> io::Result<Vec<(DateTime<Utc>, PathBuf)>> {
    let entries = match std::fs::read_dir(backups_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if let Some(run) = run_of(&path) {
            if entry.file_type()?.is_file() {
                files.push((run, path));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Removes backup files of runs that started more than `keep_days` days
/// before `now`; returns how many were removed. Other files are left alone.
pub fn prune(backups_dir: &Path, now: DateTime<Utc>, keep_days: u32) -> io::Result<usize> {
    let cutoff = now - Duration::days(i64::from(keep_days));
    let mut removed = 0;
    for (run, path) in backup_files(backups_dir)? {
        if run < cutoff {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                // Pruned concurrently by another process: the goal is met.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Every entry of every backup file, oldest run first and in the order
/// written; a torn last line (a killed run) is skipped.
pub fn read_all(backups_dir: &Path) -> io::Result<Vec<BackupEntry>> {
    let mut out = Vec::new();
    for (_, path) in backup_files(backups_dir)? {
        let bytes = std::fs::read(&path)?;
        if let Ok(entries) = serde_json::from_slice::<Vec<BackupEntry>>(&bytes) {
            out.extend(entries);
            continue;
        }
        // Not valid JSON as a whole: recover the complete lines.
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let body = line
                .strip_prefix('[')
                .or_else(|| line.strip_prefix(','))
                .unwrap_or(line);
            if let Ok(entry) = serde_json::from_str::<BackupEntry>(body) {
                out.push(entry);
            }
        }
    }
    Ok(out)
}

/// The engine writes its backups through this writer in the product.
impl crate::engine::Backups for BackupWriter {
    fn save(
        &self,
        kind: Kind,
        side: Side,
        id: &str,
        action: &str,
        before: &serde_json::Value,
    ) -> std::io::Result<()> {
        self.record(kind, side, id, action, before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn nothing_recorded_leaves_no_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("backups");
        let w = BackupWriter::new(&dir, at(2026, 1, 2, 3, 4, 5));
        assert_eq!(w.path(), None);
        drop(w);
        assert!(!dir.exists());
        assert_eq!(read_all(&dir).unwrap(), vec![]);
    }

    #[test]
    fn every_append_leaves_valid_json_with_all_entries_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("backups");
        let run = at(2026, 11, 25, 20, 18, 50) + Duration::milliseconds(123);
        let w = BackupWriter::new(&dir, run);
        let befores = [
            json!({"firstName": "Ann", "notes": "line 1\nline 2 ] ,"}),
            json!({"subject": "Call", "n": [1, 2, 3]}),
            json!(null),
        ];
        for (i, before) in befores.iter().enumerate() {
            let side = if i % 2 == 0 { Side::Oro } else { Side::Outlook };
            w.record(Kind::Contacts, side, &i.to_string(), "delete", before)
                .unwrap();
            let path = w.path().unwrap();
            let parsed: Vec<BackupEntry> =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(parsed.len(), i + 1);
            assert_eq!(&parsed[i].before, before);
        }
        let path = w.path().unwrap();
        assert_eq!(path, dir.join("20261125T201850.123Z.json"));
        let all = read_all(&dir).unwrap();
        assert_eq!(
            all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["0", "1", "2"]
        );
        assert_eq!(
            all[1],
            BackupEntry {
                run,
                kind: Kind::Contacts,
                side: Side::Outlook,
                id: "1".into(),
                action: "delete".into(),
                before: befores[1].clone(),
            }
        );
        // One entry per line, for people reading the file.
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 4);
    }

    #[test]
    fn a_torn_last_append_loses_only_that_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let w = BackupWriter::new(tmp.path(), at(2026, 3, 1, 0, 0, 0));
        for id in ["a", "b"] {
            w.record(Kind::Tasks, Side::Outlook, id, "update", &json!({"id": id}))
                .unwrap();
        }
        let path = w.path().unwrap();
        drop(w);
        // What a kill in the middle of the third append leaves.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.truncate(text.len() - 2);
        text.push_str(",{\"run\":\"2026-03-01T00:00:00Z\",\"kind\":\"ta");
        std::fs::write(&path, text).unwrap();
        let ids: Vec<String> = read_all(tmp.path())
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn runs_starting_at_the_same_moment_get_their_own_files() {
        let tmp = tempfile::tempdir().unwrap();
        let run = at(2026, 5, 5, 5, 5, 5);
        let one = BackupWriter::new(tmp.path(), run);
        let two = BackupWriter::new(tmp.path(), run);
        one.record(Kind::Events, Side::Oro, "1", "delete", &json!(1))
            .unwrap();
        two.record(Kind::Events, Side::Oro, "2", "delete", &json!(2))
            .unwrap();
        one.record(Kind::Events, Side::Oro, "3", "delete", &json!(3))
            .unwrap();
        assert_ne!(one.path(), two.path());
        assert_eq!(
            two.path().unwrap().file_name().unwrap(),
            "20260505T050505.000Z-2.json"
        );
        let mut ids: Vec<String> = read_all(tmp.path())
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        ids.sort();
        assert_eq!(ids, ["1", "2", "3"]);
    }

    #[test]
    fn the_writer_is_shared_between_threads() {
        let tmp = tempfile::tempdir().unwrap();
        let w = BackupWriter::new(tmp.path(), at(2026, 1, 1, 0, 0, 0));
        std::thread::scope(|s| {
            for t in 0..4 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..25 {
                        w.record(
                            Kind::Tasks,
                            Side::Oro,
                            &format!("{t}-{i}"),
                            "update",
                            &json!(i),
                        )
                        .unwrap();
                    }
                });
            }
        });
        let parsed: Vec<BackupEntry> =
            serde_json::from_slice(&std::fs::read(w.path().unwrap()).unwrap()).unwrap();
        assert_eq!(parsed.len(), 100);
    }

    #[test]
    fn prune_removes_only_our_files_older_than_the_window() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let now = at(2026, 11, 25, 12, 0, 0);
        for (days_ago, id) in [(31, "old"), (30, "edge"), (29, "recent"), (0, "today")] {
            let w = BackupWriter::new(dir, now - Duration::days(days_ago));
            w.record(Kind::Contacts, Side::Oro, id, "delete", &json!({}))
                .unwrap();
        }
        let old_twin = BackupWriter::new(dir, now - Duration::days(31));
        old_twin
            .record(Kind::Contacts, Side::Oro, "old-2", "delete", &json!({}))
            .unwrap();
        for foreign in [
            "notes.txt",
            "20200101T000000.000Z.json.bak",
            "restore.json",
            "20200101T000000.000Z-x.json",
        ] {
            std::fs::write(dir.join(foreign), "keep me").unwrap();
        }
        std::fs::create_dir(dir.join("20200101T000000.000Z.json")).unwrap();

        assert_eq!(prune(dir, now, KEEP_DAYS).unwrap(), 2);
        let ids: Vec<String> = read_all(dir).unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["edge", "recent", "today"]);
        for foreign in [
            "notes.txt",
            "20200101T000000.000Z.json.bak",
            "restore.json",
            "20200101T000000.000Z-x.json",
            "20200101T000000.000Z.json",
        ] {
            assert!(dir.join(foreign).exists(), "{foreign}");
        }
        assert_eq!(prune(dir, now, KEEP_DAYS).unwrap(), 0);
        // keep_days = 0 keeps only runs that started at `now` or later.
        assert_eq!(prune(dir, now, 0).unwrap(), 2);
        let ids: Vec<String> = read_all(dir).unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["today"]);
        assert_eq!(prune(&dir.join("missing"), now, KEEP_DAYS).unwrap(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn backups_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("backups");
        let w = BackupWriter::new(&dir, at(2026, 1, 1, 0, 0, 0));
        w.record(Kind::Contacts, Side::Oro, "1", "delete", &json!({}))
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&w.path().unwrap()), 0o600);
    }

    #[test]
    fn an_unwritable_folder_is_an_error_for_the_caller() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("backups");
        std::fs::write(&file, "").unwrap();
        let w = BackupWriter::new(&file, at(2026, 1, 1, 0, 0, 0));
        assert!(w
            .record(Kind::Contacts, Side::Oro, "1", "delete", &json!({}))
            .is_err());
    }

    const CHILD_ENV: &str = "OROSYNC_TEST_BACKUP_CHILD_DIR";

    /// Not a test on its own: run by `a_killed_run_leaves_a_readable_file` in
    /// a child process, which records until it is killed.
    #[test]
    fn child_process_recording_until_killed() {
        let Some(dir) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let w = BackupWriter::new(PathBuf::from(dir), at(2026, 1, 1, 0, 0, 0));
        let big = "x".repeat(4096);
        for i in 0..200_000 {
            w.record(
                Kind::Contacts,
                Side::Oro,
                &i.to_string(),
                "delete",
                &json!({ "pad": big }),
            )
            .unwrap();
            if i == 0 {
                println!("OROSYNC-TEST-CHILD-RECORDING");
            }
        }
    }

    #[test]
    fn a_killed_run_leaves_a_readable_file() {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let tmp = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "backup::tests::child_process_recording_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let started = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("OROSYNC-TEST-CHILD-RECORDING"));
        std::thread::sleep(std::time::Duration::from_millis(100));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(started);
        let entries = read_all(tmp.path()).unwrap();
        assert!(!entries.is_empty());
        // Complete, in order, with no gaps: each entry was on disk before the
        // next was begun.
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.id, i.to_string());
        }
    }
}
