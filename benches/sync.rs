//! End-to-end sync figures against the fake Oro and fake Graph on loopback
//! (issue 8). Run: `cargo bench --bench sync [-- noop|first|incremental|memory]`
//! (no argument: all four). Figures go to docs/benchmarks.md.
//!
//! Method. The fakes run on their own tokio runtime in another OS thread;
//! the engine, both HTTP clients, SQLite and the backups run on a thread
//! of their own (one per run), on a current-thread runtime, so that thread's user + system time
//! (`getrusage(RUSAGE_THREAD)`) is the client's CPU and nothing of the
//! fakes'. Request counts come from the fakes' own logs, which the
//! machine's load does not change. `memory` runs the `orosync` binary as a
//! child process and reads its peak RSS through `/usr/bin/time`.
//!
//! Oro records are seeded one second apart in the past, as real records
//! are spread in time: Oro's change listing is `updatedAt >= watermark` at
//! one-second precision, so records sharing the watermark's second are
//! listed again by design.

use chrono::{Duration as Days, Utc};
use orosync::backup::BackupWriter;
use orosync::clock::{ManualClock, SystemClock};
use orosync::engine::{Engine, RunOptions};
use orosync::graph::auth::AuthConfig;
use orosync::graph::{GraphClient, GraphConfig};
use orosync::model::{Event, Item, Kind, OroRecord, OutlookItem, When};
use orosync::oro::{OroAuth, OroClient, OroConfig, Secret};
use orosync::secrets::{self, MemorySecrets, SecretStore};
use orosync::settings::SyncSettings;
use orosync::sides::{
    OroStore, OutlookChanges, OutlookStore, OutlookWrite, StoreResult, Window, WriteResult,
};
use orosync::state::State;
use orosync::summary::Summary;
use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use orosync_testkit::prelude::*;
use orosync_testkit::{contact, edit_note, task};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

// The `orosync` binary's allocator (src/main.rs), so the client's CPU is
// measured as the binary spends it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

// ------------------------------------------------------------ measuring

/// User + system CPU time, in ns, of the calling thread (`RUSAGE_THREAD`)
/// or of the whole process (`RUSAGE_SELF`: every thread, the fakes' too).
#[cfg(unix)]
fn rusage_ns(who: libc::c_int) -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(who, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// The client's CPU: user + system time of the run's own thread, which
/// runs the engine, both HTTP clients, SQLite and the backups and nothing
/// else (the fakes have their own runtime thread).
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> u64 {
    rusage_ns(libc::RUSAGE_THREAD)
}

/// Other Unixes have no per-thread rusage: the process's time stands in
/// (it then includes the fakes').
#[cfg(all(unix, not(target_os = "linux")))]
fn thread_cpu_ns() -> u64 {
    rusage_ns(libc::RUSAGE_SELF)
}

#[cfg(unix)]
fn process_cpu_ns() -> u64 {
    rusage_ns(libc::RUSAGE_SELF)
}

/// Windows: CPU figures are not taken (they read 0); times and requests are.
#[cfg(not(unix))]
fn thread_cpu_ns() -> u64 {
    0
}

#[cfg(not(unix))]
fn process_cpu_ns() -> u64 {
    0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// An Oro store that times its calls (to show the id listing's share).
struct TimedOro<'a> {
    inner: &'a OroClient,
    list_ids: Cell<Duration>,
    /// The client's CPU inside the id listing (it runs on the run's thread).
    list_ids_cpu: Cell<Duration>,
    changed: Cell<Duration>,
}

impl<'a> TimedOro<'a> {
    fn new(inner: &'a OroClient) -> Self {
        TimedOro {
            inner,
            list_ids: Cell::default(),
            list_ids_cpu: Cell::default(),
            changed: Cell::default(),
        }
    }
}

impl OroStore for TimedOro<'_> {
    async fn changed_since(
        &self,
        kind: Kind,
        since: Option<chrono::DateTime<Utc>>,
        window: &Window,
    ) -> StoreResult<Vec<OroRecord>> {
        let t = Instant::now();
        let r = self.inner.changed_since(kind, since, window).await;
        self.changed.set(self.changed.get() + t.elapsed());
        r
    }
    async fn list_ids(&self, kind: Kind, window: &Window) -> StoreResult<Vec<String>> {
        let t = Instant::now();
        let cpu = thread_cpu_ns();
        let r = self.inner.list_ids(kind, window).await;
        self.list_ids.set(self.list_ids.get() + t.elapsed());
        self.list_ids_cpu.set(
            self.list_ids_cpu.get() + Duration::from_nanos(thread_cpu_ns().saturating_sub(cpu)),
        );
        r
    }
    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OroRecord>> {
        self.inner.get(kind, id).await
    }
    async fn create(&self, item: &Item) -> StoreResult<OroRecord> {
        self.inner.create(item).await
    }
    async fn update(&self, id: &str, item: &Item) -> StoreResult<OroRecord> {
        self.inner.update(id, item).await
    }
    async fn move_task_status(
        &self,
        id: &str,
        to: orosync::model::TaskStatus,
    ) -> StoreResult<OroRecord> {
        self.inner.move_task_status(id, to).await
    }
}

/// The Graph client, timing its delta reads.
struct TimedGraph<'a> {
    inner: &'a GraphClient,
    changes: Cell<Duration>,
}

impl OutlookStore for TimedGraph<'_> {
    async fn changes(
        &self,
        kind: Kind,
        cursor: Option<&str>,
        window: &Window,
    ) -> StoreResult<OutlookChanges> {
        let t = Instant::now();
        let r = self.inner.changes(kind, cursor, window).await;
        self.changes.set(self.changes.get() + t.elapsed());
        r
    }
    async fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<OutlookItem>> {
        self.inner.get(kind, id).await
    }
    async fn get_many(&self, kind: Kind, ids: &[String]) -> Vec<StoreResult<Option<OutlookItem>>> {
        self.inner.get_many(kind, ids).await
    }
    async fn write(&self, kind: Kind, writes: Vec<OutlookWrite>) -> Vec<WriteResult> {
        self.inner.write(kind, writes).await
    }
    fn write_chunk(&self) -> usize {
        self.inner.write_chunk()
    }
}

// ------------------------------------------------------------ the world

struct World {
    fakes: tokio::runtime::Runtime,
    rt: tokio::runtime::Runtime,
    clock: ManualClock,
    oro: FakeOro,
    graph: FakeGraph,
    oro_client: OroClient,
    graph_client: GraphClient,
    dir: tempfile::TempDir,
    state: State,
}

/// Requests seen by both fakes, by side, kind and kind of request.
#[derive(Clone, Debug, Default)]
struct Counts {
    /// (side, kind) → request kind → count; kind "setup" is sign-in and lookups.
    map: BTreeMap<(&'static str, &'static str), BTreeMap<String, usize>>,
    graph_members: usize,
    graph_batches: usize,
    token_requests: usize,
}

impl Counts {
    fn all(&self) -> usize {
        self.map.values().flat_map(|m| m.values()).sum()
    }
}

fn oro_kind(line: &str) -> (&'static str, String) {
    let path = line.split('?').next().unwrap_or("");
    let kind = if path.contains("/api/contacts") {
        "contacts"
    } else if path.contains("/api/tasks") {
        "tasks"
    } else if path.contains("calendarevents") {
        "events"
    } else {
        "setup"
    };
    let what = if line.contains("fields[") {
        "id list".to_string()
    } else if kind == "events" && line.contains("limit=1000") {
        // The legacy API's id listing: whole events, pages of 1000.
        "id list (whole events)".to_string()
    } else if line.starts_with("GET") && line.contains('?') {
        "list".to_string()
    } else {
        line.split(' ').next().unwrap_or("").to_string()
    };
    (kind, what)
}

fn graph_kind(path: &str) -> &'static str {
    if path.contains("/me/contacts") {
        "contacts"
    } else if path.contains("/me/calendarView") || path.contains("/me/events") {
        "events"
    } else if path.contains("/tasks") {
        "tasks"
    } else {
        "setup"
    }
}

impl World {
    fn new() -> World {
        let fakes = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("fakes' runtime");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let clock = ManualClock::new(Utc::now());
        let oro = fakes
            .block_on(FakeOro::start(FakeOroOptions {
                clock: orosync_testkit::fake_clock(&clock),
                ..Default::default()
            }))
            .expect("fake Oro");
        let graph = fakes
            .block_on(FakeGraph::start(FakeOptions::default()))
            .expect("fake Graph");
        let o = oro.options();
        let oro_client = OroClient::new(OroConfig::new(
            &oro.url(),
            &o.username,
            OroAuth::Wsse {
                api_key: Secret::new(o.api_key.clone()),
            },
        ))
        .expect("Oro client");
        let secrets = MemorySecrets::new();
        secrets
            .set(
                secrets::OUTLOOK_REFRESH_TOKEN,
                &secrets::Secret::new(graph.issue_refresh_token()),
            )
            .expect("secret");
        let graph_client = GraphClient::with_secrets(
            GraphConfig::new(&graph.url(), chrono_tz::Tz::UTC, &oro.url()),
            AuthConfig::new(&graph.login_url(), "common", "orosync-bench"),
            Arc::new(secrets),
        )
        .expect("Graph client");
        let dir = tempfile::tempdir().expect("tempdir");
        let state = State::open(&dir.path().join("state.sqlite3")).expect("state");
        World {
            fakes,
            rt,
            clock,
            oro,
            graph,
            oro_client,
            graph_client,
            dir,
            state,
        }
    }

    /// Seed `n` records of `kind` in Oro, one second apart, ending a minute ago.
    fn seed_oro(&self, kind: Kind, n: usize) {
        let now = Utc::now();
        self.clock
            .set(now - Days::seconds(n as i64 + 60) - Days::days(1));
        for i in 0..n {
            self.oro.user_create(&item(kind, i));
            self.clock.advance(Days::seconds(1));
        }
        self.clock.set(Utc::now());
    }

    fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for line in self.oro.stats().log {
            let (kind, what) = oro_kind(&line);
            *c.map
                .entry(("oro", kind))
                .or_default()
                .entry(what)
                .or_default() += 1;
        }
        for (line, members) in self.graph.request_log() {
            let path = line.split_once(' ').map(|x| x.1).unwrap_or("");
            let (kind, what) = if path == "/$batch" {
                c.graph_batches += 1;
                c.graph_members += members.len();
                let first = members.first().map(String::as_str).unwrap_or("");
                let method = first.split(' ').next().unwrap_or("");
                (graph_kind(first), format!("$batch of {method}"))
            } else if path.ends_with("/delta") {
                (graph_kind(path), "delta page".to_string())
            } else {
                (
                    graph_kind(path),
                    line.split(' ').next().unwrap_or("").to_string(),
                )
            };
            *c.map
                .entry(("graph", kind))
                .or_default()
                .entry(what)
                .or_default() += 1;
        }
        c.token_requests = self.graph.token_requests();
        c
    }

    /// One engine run over `kinds`; what it did and what it cost.
    fn run(&mut self, kinds: &[Kind]) -> Measured {
        self.clock.set(Utc::now());
        let before = self.counts();
        let settings = SyncSettings {
            oro_url: self.oro.url(),
            kinds: kinds.to_vec(),
            ..Default::default()
        };
        let peak_before = self.graph.peak_in_flight();
        // The run gets a thread of its own, so that thread's CPU time (and,
        // under `valgrind --tool=callgrind --separate-threads=yes`, its
        // instruction count) is the client's alone: no seeding, no fakes.
        let (rt, state, oro_client, graph_client) = (
            &self.rt,
            &mut self.state,
            &self.oro_client,
            &self.graph_client,
        );
        let backups_dir = self.dir.path().join("backups");
        let mut m = std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("sync-run".into())
                .spawn_scoped(s, move || {
                    let backups = BackupWriter::new(backups_dir, Utc::now());
                    let oro = TimedOro::new(oro_client);
                    let graph = TimedGraph {
                        inner: graph_client,
                        changes: Cell::default(),
                    };
                    let engine = Engine {
                        oro: &oro,
                        outlook: &graph,
                        clock: &SystemClock,
                        backups: &backups,
                        settings: &settings,
                    };
                    let cpu0 = thread_cpu_ns();
                    let pcpu0 = process_cpu_ns();
                    let t0 = Instant::now();
                    let summary = rt.block_on(engine.run(state, RunOptions::default()));
                    let wall = t0.elapsed();
                    let cpu = thread_cpu_ns() - cpu0;
                    let pcpu = process_cpu_ns() - pcpu0;
                    Measured {
                        wall,
                        client_cpu: Duration::from_nanos(cpu),
                        process_cpu: Duration::from_nanos(pcpu),
                        list_ids: oro.list_ids.get(),
                        list_ids_cpu: oro.list_ids_cpu.get(),
                        oro_changed: oro.changed.get(),
                        graph_changes: graph.changes.get(),
                        counts: Counts::default(),
                        summary,
                        peak_in_flight: 0,
                    }
                })
                .expect("sync thread")
                .join()
                .expect("sync thread ends")
        });
        assert!(
            m.summary.fatal.is_none(),
            "run failed: {:?}",
            m.summary.fatal
        );
        m.counts = diff(&before, &self.counts());
        m.peak_in_flight = self.graph.peak_in_flight().max(peak_before);
        m
    }
}

fn diff(a: &Counts, b: &Counts) -> Counts {
    let mut c = Counts::default();
    for (k, m) in &b.map {
        for (what, n) in m {
            let was = a.map.get(k).and_then(|m| m.get(what)).copied().unwrap_or(0);
            if *n > was {
                c.map.entry(*k).or_default().insert(what.clone(), n - was);
            }
        }
    }
    c.graph_batches = b.graph_batches - a.graph_batches;
    c.graph_members = b.graph_members - a.graph_members;
    c.token_requests = b.token_requests - a.token_requests;
    c
}

struct Measured {
    wall: Duration,
    client_cpu: Duration,
    process_cpu: Duration,
    list_ids: Duration,
    list_ids_cpu: Duration,
    oro_changed: Duration,
    graph_changes: Duration,
    counts: Counts,
    summary: Summary,
    peak_in_flight: usize,
}

impl Measured {
    fn writes(&self) -> usize {
        self.summary
            .kinds
            .values()
            .map(|k| {
                k.oro.created
                    + k.oro.updated
                    + k.oro.deleted
                    + k.outlook.created
                    + k.outlook.updated
                    + k.outlook.deleted
            })
            .sum()
    }

    fn print(&self, title: &str, records: usize) {
        println!("\n== {title}");
        println!(
            "wall {:.3} s | client CPU {:.3} s ({:.1} µs/record) | whole process CPU {:.3} s (fakes: {:.3} s) | load {}",
            self.wall.as_secs_f64(),
            self.client_cpu.as_secs_f64(),
            self.client_cpu.as_secs_f64() * 1e6 / records.max(1) as f64,
            self.process_cpu.as_secs_f64(),
            self.process_cpu.saturating_sub(self.client_cpu).as_secs_f64(),
            load()
        );
        println!(
            "Oro changed listing {:.3} s, Oro id listing {:.3} s ({:.0}% of wall; client CPU in it {:.3} s), Graph delta {:.3} s",
            self.oro_changed.as_secs_f64(),
            self.list_ids.as_secs_f64(),
            100.0 * self.list_ids.as_secs_f64() / self.wall.as_secs_f64(),
            self.list_ids_cpu.as_secs_f64(),
            self.graph_changes.as_secs_f64()
        );
        println!(
            "writes {} | Graph: {} requests, {} $batch with {} members, token requests {}, peak in flight {}",
            self.writes(),
            self.counts.map.iter().filter(|(k, _)| k.0 == "graph").flat_map(|(_, m)| m.values()).sum::<usize>(),
            self.counts.graph_batches,
            self.counts.graph_members,
            self.counts.token_requests,
            self.peak_in_flight
        );
        for ((side, kind), m) in &self.counts.map {
            let total: usize = m.values().sum();
            let detail: Vec<String> = m.iter().map(|(w, n)| format!("{w} {n}")).collect();
            println!(
                "  {side:5} {kind:8} {total:6} requests  ({})",
                detail.join(", ")
            );
        }
        println!(
            "requests per record: {:.4} (all requests {} / {} records)",
            self.counts.all() as f64 / records.max(1) as f64,
            self.counts.all(),
            records
        );
    }
}

fn item(kind: Kind, i: usize) -> Item {
    match kind {
        Kind::Contacts => contact(&format!("First{i}"), &format!("Last{i}")),
        Kind::Tasks => task(&format!("Task {i}"), orosync::model::Priority::Normal),
        Kind::Events => {
            let start = Utc::now()
                .date_naive()
                .and_hms_opt(9, 0, 0)
                .expect("9:00")
                .and_utc()
                + Days::days((i % 300) as i64 + 1)
                + Days::minutes((i / 300) as i64 * 15 % 480);
            Item::Events(Event {
                title: format!("Meeting {i}"),
                description: Some("Room 4".into()),
                when: When::Timed {
                    start,
                    end: start + Days::minutes(30),
                },
            })
        }
    }
}

// ------------------------------------------------------------ scenarios

fn noop() {
    let mut w = World::new();
    let sizes = [
        (Kind::Contacts, 10_000),
        (Kind::Tasks, 10_000),
        (Kind::Events, 5_000),
    ];
    for (k, n) in sizes {
        w.seed_oro(k, n);
    }
    let total: usize = sizes.iter().map(|s| s.1).sum();
    let first = w.run(&Kind::ALL);
    first.print(
        "no-op setup: run 1, first sync of 10k contacts + 10k tasks + 5k events",
        total,
    );
    let second = w.run(&Kind::ALL);
    second.print(
        "no-op setup: run 2 (reads back the first sync's own writes)",
        total,
    );
    for i in 1..=3 {
        let m = w.run(&Kind::ALL);
        m.print(
            &format!("NO-OP sync #{i}, nothing changed (10k + 10k + 5k)"),
            total,
        );
        assert_eq!(m.writes(), 0, "a no-op run writes nothing");
    }
}

/// `SYNC_BENCH_N` records (default 10k), `SYNC_BENCH_REPS` times (default 3):
/// smaller under callgrind.
fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn first() {
    let n = env_or("SYNC_BENCH_N", 10_000);
    for rep in 1..=env_or("SYNC_BENCH_REPS", 3) {
        let mut w = World::new();
        w.seed_oro(Kind::Contacts, n);
        let m = w.run(&[Kind::Contacts]);
        m.print(
            &format!("FIRST sync #{rep}: {n} contacts from Oro into an empty Outlook"),
            n,
        );
        println!(
            "records/s end to end: {:.0}",
            n as f64 / m.wall.as_secs_f64()
        );
    }
}

fn incremental() {
    let mut curve = vec![];
    for n in [1_000usize, 10_000, 100_000] {
        let mut w = World::new();
        w.seed_oro(Kind::Contacts, n);
        let t = Instant::now();
        w.run(&[Kind::Contacts]);
        w.run(&[Kind::Contacts]);
        println!(
            "\n(setup of {n}: first sync and echo run took {:.1} s)",
            t.elapsed().as_secs_f64()
        );
        let oro_ids: Vec<String> = w
            .oro
            .all(Kind::Contacts)
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        let outlook: Vec<OutlookItem> = w.graph.items(Kind::Contacts);
        let mut runs = vec![];
        for rep in 0..3 {
            // 100 changes: 50 edited in Oro, 50 others edited in Outlook.
            w.clock.set(Utc::now());
            for (j, id) in oro_ids.iter().step_by(n / 50).take(50).enumerate() {
                w.oro.user_edit_item(Kind::Contacts, id, |it| {
                    edit_note(it, &format!("oro edit {rep}.{j}"))
                });
            }
            for (j, it) in outlook
                .iter()
                .skip(n / 100)
                .step_by(n / 50)
                .take(50)
                .enumerate()
            {
                let mut item = it.item.clone();
                edit_note(&mut item, &format!("outlook edit {rep}.{j}"));
                w.graph.user_edit_item(&it.id, &item);
            }
            // Oro's second precision: the next edits must be in a later second.
            std::thread::sleep(Duration::from_millis(1100));
            let m = w.run(&[Kind::Contacts]);
            m.print(
                &format!("INCREMENTAL #{}: 100 changes among {n} contacts", rep + 1),
                100,
            );
            runs.push(m);
        }
        let best = runs.into_iter().min_by_key(|m| m.wall).expect("three runs");
        curve.push((
            n,
            best.wall,
            best.list_ids,
            best.counts.all(),
            best.client_cpu,
            best.list_ids_cpu,
        ));
    }
    println!("\n== INCREMENTAL curve (best of 3): records, wall s, id listing s, share, requests, client CPU s, of which in the id listing s");
    for (n, wall, ids, req, cpu, ids_cpu) in &curve {
        println!(
            "{n:>7} {:.3} {:.3} {:.0}% {req} {:.3} {:.3}",
            wall.as_secs_f64(),
            ids.as_secs_f64(),
            100.0 * ids.as_secs_f64() / wall.as_secs_f64(),
            cpu.as_secs_f64(),
            ids_cpu.as_secs_f64()
        );
    }
    let plot: Vec<_> = curve.iter().map(|c| (c.0, c.1, c.2, c.3, c.4)).collect();
    let svg = svg_plot(&plot);
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/incremental.svg");
    match std::fs::write(out, svg) {
        Ok(()) => println!("plot written to {out}"),
        Err(e) => println!("plot not written: {e}"),
    }
}

/// Peak RSS of `orosync sync` as a child process, in KiB, with its exit
/// status. Through `/usr/bin/time -f %M`: Linux carries a parent's peak RSS
/// over to a child it forks, so `wait4` from this process (whose fakes hold
/// 100k records) would report ours; `time` is small, and reports its child.
fn run_child(dir: &std::path::Path, w: &World) -> (i32, u64, Duration, String) {
    let mut cmd = std::process::Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "-o"])
        .arg(dir.join("maxrss.txt"))
        .arg(env!("CARGO_BIN_EXE_orosync"))
        .arg("--profile")
        .arg(dir)
        .args(["sync", "--json", "--yes"])
        .env("OROSYNC_ORO_API_KEY", &w.oro.options().api_key)
        .env(
            "OROSYNC_OUTLOOK_REFRESH_TOKEN",
            w.graph.issue_refresh_token(),
        )
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .stderr(std::process::Stdio::null());
    let t = Instant::now();
    let out = cmd.output().expect("orosync runs");
    let wall = t.elapsed();
    let kib = std::fs::read_to_string(dir.join("maxrss.txt"))
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse().ok())
        .unwrap_or(0);
    (
        out.status.code().unwrap_or(-1),
        kib,
        wall,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn memory() {
    let w = World::new();
    w.seed_oro(Kind::Contacts, 100_000);
    let dir = w.dir.path().join("profile");
    std::fs::create_dir_all(&dir).expect("profile dir");
    let cfg = format!(
        "[oro]\nurl = \"{}\"\nusername = \"{}\"\nauth = \"wsse\"\n\n[outlook]\nclient_id = \"orosync-bench\"\ngraph_url = \"{}\"\nlogin_url = \"{}\"\n\n[sync]\ntime_zone = \"UTC\"\nkinds = [\"contacts\"]\nmode = \"manual\"\n",
        w.oro.url(),
        w.oro.options().username,
        w.graph.url(),
        w.graph.login_url()
    );
    std::fs::write(dir.join("config.toml"), cfg).expect("config");
    for (i, what) in [
        "first sync (100k created in Outlook)",
        "second run (reads the 100k back)",
        "no-op run",
    ]
    .iter()
    .enumerate()
    {
        let (code, kib, wall, out) = run_child(&dir, &w);
        let short: String = out.chars().take(300).collect();
        println!(
            "\n== MEMORY run {}: orosync sync on 100k contacts, {what}: exit {code}, peak RSS {:.1} MB, wall {:.1} s, load {}\n{short}",
            i + 1,
            kib as f64 / 1024.0,
            wall.as_secs_f64(),
            load()
        );
    }
    drop(w.fakes);
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = args.is_empty();
    let want = |s: &str| all || args.iter().any(|a| a == s);
    println!(
        "machine: {} CPUs, load {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        load()
    );
    if want("noop") {
        noop();
    }
    if want("first") {
        first();
    }
    if want("incremental") {
        incremental();
    }
    if want("memory") {
        memory();
    }
}

/// The incremental curve as a small hand-written SVG: three points on a log
/// axis need no plotting crate (and its build time on a 2-core machine).
fn svg_plot(curve: &[(usize, Duration, Duration, usize, Duration)]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 360.0, 70.0, 20.0, 40.0, 50.0);
    let ymax = curve
        .iter()
        .map(|c| c.1.as_secs_f64())
        .fold(0.0f64, f64::max)
        .max(0.001)
        * 1.15;
    let x = |n: usize| {
        let lo = 3.0f64;
        let hi = 5.0f64;
        left + ((n as f64).log10() - lo) / (hi - lo) * (w - left - right)
    };
    let y = |s: f64| h - bottom - s / ymax * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">Incremental sync of 100 changes: wall time vs. contacts (best of 3)</text>\n",
        w / 2.0
    );
    // Axes, ticks and grid.
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>",
        h - bottom,
        w - right,
        h - bottom
    );
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"black\"/>",
        h - bottom
    );
    for n in [1_000usize, 10_000, 100_000] {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}k</text>",
            x(n),
            h - bottom + 18.0,
            n / 1000
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">records per kind (log scale)</text>",
        (left + w - right) / 2.0,
        h - 10.0
    );
    for i in 0..=4 {
        let v = ymax * i as f64 / 4.0;
        let _ = writeln!(svg, "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.2} s</text>", y(v), w - right, y(v), left - 6.0, y(v) + 4.0);
    }
    let series = [
        (
            "wall time of the run",
            "#1f77b4",
            curve
                .iter()
                .map(|c| (c.0, c.1.as_secs_f64()))
                .collect::<Vec<_>>(),
        ),
        (
            "of which Oro id listing",
            "#d62728",
            curve.iter().map(|c| (c.0, c.2.as_secs_f64())).collect(),
        ),
        (
            "wall minus id listing",
            "#2ca02c",
            curve
                .iter()
                .map(|c| (c.0, (c.1 - c.2.min(c.1)).as_secs_f64()))
                .collect(),
        ),
    ];
    for (k, (name, color, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .map(|(n, s)| format!("{:.1},{:.1}", x(*n), y(*s)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for (n, s) in pts {
            let _ = writeln!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{s:.3}</text>", x(*n), y(*s), x(*n) + 6.0, y(*s) - 6.0);
        }
        let ly = top + 8.0 + 16.0 * k as f64;
        let _ = writeln!(svg, "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{name}</text>", left + 12.0, ly, left + 30.0, ly + 4.0);
    }
    svg.push_str("</svg>\n");
    svg
}
