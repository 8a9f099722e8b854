//! Files and folders private to the user: the profile holds personal data
//! from both systems (records, names, logs), so every file OroSync creates
//! in it is 0600 and every folder 0700 on unix, set when the file is
//! created whatever the umask (docs/reliability.md "Hostile servers" and
//! "Private files"). Elsewhere the OS's per-user folders already keep
//! others out, and these helpers only create.

use chrono::{DateTime, NaiveDate, Utc};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Mode of every file OroSync creates in a profile.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every folder OroSync creates in a profile.
pub const DIR_MODE: u32 = 0o700;

/// `OpenOptions` that create a file readable and writable by its owner only.
pub fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// Write `bytes` to `path` (created or truncated) as a private file. A file
/// that already existed with a wider mode (written by an older version) is
/// narrowed too.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut f = options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    narrow(&f)?;
    f.write_all(bytes)?;
    Ok(f)
}

/// Create `path` as an empty private file when it does not exist yet (so a
/// library that opens it later, SQLite, finds it with the right mode).
pub fn touch(path: &Path) -> io::Result<()> {
    match options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Open `path` for appending, creating it private.
pub fn append(path: &Path) -> io::Result<File> {
    options().create(true).append(true).open(path)
}

#[cfg(unix)]
fn narrow(f: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = f.metadata()?.permissions().mode() & 0o777;
    if mode & !FILE_MODE != 0 {
        f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow(_: &File) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` and its missing parents with mode 0700 on unix; an
/// existing folder is accepted as it is, anything else at that path is an
/// error.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    b.create(dir)
}

/// A warning when users other than the owner can read or enter `dir` (its
/// group or other bits are set); `None` when private or not on unix.
pub fn exposure(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "the profile folder {} can be read by other users (mode {mode:o}); \
                 run `chmod 700 {}` to keep its records and logs private",
                dir.display(),
                dir.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// A log written to `<dir>/<prefix>.YYYY-MM-DD.log` (UTC day), a new file
/// each day, the newest `keep` kept; every file is created private. (The
/// ready-made rolling appenders create files with the process's umask.)
pub struct DailyLog {
    dir: PathBuf,
    prefix: String,
    keep: usize,
    now: fn() -> DateTime<Utc>,
    open: Mutex<Option<(NaiveDate, File)>>,
}

impl DailyLog {
    /// The folder must exist; the clock is injected for tests.
    pub fn new(dir: &Path, prefix: &str, keep: usize, now: fn() -> DateTime<Utc>) -> Self {
        DailyLog {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            keep: keep.max(1),
            now,
            open: Mutex::new(None),
        }
    }

    fn path_of(&self, day: NaiveDate) -> PathBuf {
        self.dir
            .join(format!("{}.{}.log", self.prefix, day.format("%Y-%m-%d")))
    }

    /// Remove the oldest of this log's files beyond `keep` (names sort by day).
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let start = format!("{}.", self.prefix);
        let mut ours: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&start) && n.ends_with(".log"))
            })
            .collect();
        ours.sort();
        let extra = ours.len().saturating_sub(self.keep);
        for p in &ours[..extra] {
            let _ = std::fs::remove_file(p);
        }
    }

    fn write_line(&self, buf: &[u8]) -> io::Result<()> {
        let day = (self.now)().date_naive();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.as_ref().map(|(d, _)| *d) != Some(day) {
            let f = append(&self.path_of(day))?;
            *open = Some((day, f));
            self.prune();
        }
        open.as_mut().expect("just opened").1.write_all(buf)
    }
}

/// One write of the log (a whole event line from `tracing_subscriber`).
pub struct DailyLogWriter<'a>(&'a DailyLog);

impl Write for DailyLogWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_line(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for DailyLog {
    type Writer = DailyLogWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        DailyLogWriter(self)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn write_narrows_a_file_an_older_version_left_world_readable() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("f");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&p, b"new").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }

    #[test]
    fn daily_log_files_are_private_one_per_day_newest_kept() {
        use std::sync::atomic::{AtomicI64, Ordering};
        static DAY: AtomicI64 = AtomicI64::new(0);
        fn now() -> DateTime<Utc> {
            crate::test_support::t0() + chrono::Duration::days(DAY.load(Ordering::SeqCst))
        }
        let tmp = tempfile::tempdir().unwrap();
        let log = DailyLog::new(tmp.path(), "orosync", 3, now);
        use tracing_subscriber::fmt::MakeWriter;
        for d in 0..5 {
            DAY.store(d, Ordering::SeqCst);
            log.make_writer().write_all(b"line\n").unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        for n in &names {
            assert_eq!(mode(&tmp.path().join(n)), 0o600, "{n}");
        }
        let newest = now().date_naive().format("%Y-%m-%d").to_string();
        assert_eq!(names[2], format!("orosync.{newest}.log"));
    }

    #[test]
    fn exposure_names_a_folder_others_can_read() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("p");
        create_dir(&d).unwrap();
        assert_eq!(exposure(&d), None);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(exposure(&d).unwrap().contains("chmod 700"));
    }
}
