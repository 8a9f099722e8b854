//! Kill trials (issue 7, docs/sync-rules.md, "Crash safety"; coverage:
//! docs/testing.md, "Kill coverage"): the real `orosync sync` against both
//! fakes, killed with SIGKILL while a write is in flight, right after a
//! write landed, or at a random instant; the rerun is itself killed at one
//! of its writes; then a clean run. After every trial both sides and the
//! links equal an uninterrupted run's outcome (values, not ids), no record
//! exists twice, the state database passes `PRAGMA integrity_check` and
//! `State::check()`, and one more run writes nothing.
//!
//! A write point is (direction, kind, side, method, alone or a `$batch`
//! member, held before or after it applies). The uninterrupted runs of two
//! scenarios (first sync; later sync with edits, deletions, a conflict and
//! new records) in the three directions say which points exist; the trials
//! hold each of them once, then add random positional and timer kills, and
//! the test asserts the points held are exactly the points that exist.
//!
//! `OROSYNC_KILL_TRIALS` sets the number of trials (default: one per write
//! point and six more); fewer than the write points is refused, since the
//! coverage could not hold.

mod support;

use orosync_fakes::stall::{StallAt, WritePoint, WriteStall};
use orosync_testkit::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use support::{spawn_quiet, Picture, World};

const DIRECTIONS: [&str; 3] = ["bidirectional", "oro-to-outlook", "outlook-to-oro"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    First,
    Later,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Side {
    Oro,
    Graph,
}

/// A kind of write as a kill point tells it: which record kind, which
/// method, alone or inside a `$batch`. Ids are left out, so the same point
/// is recognised in another run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Shape {
    kind: String,
    method: String,
    in_batch: bool,
}

impl Shape {
    fn of(p: &WritePoint) -> Shape {
        Shape {
            kind: kind_of(&p.path),
            method: p.method.clone(),
            in_batch: p.in_batch,
        }
    }
}

/// The record kind a write's path is about, in either server's paths
/// (Oro `/api/contacts`, `/api/tasks`, `/api/calendarevents`; Graph
/// `/me/contacts`, `/me/todo/lists/{id}/tasks`, `/me/events` or
/// `/me/calendars/{id}/events`); any other path by its first two segments,
/// so a write of another kind still counts as a point of its own.
fn kind_of(path: &str) -> String {
    let p = path.to_ascii_lowercase();
    if p.contains("calendarevents") || p.contains("/events") {
        "events".into()
    } else if p.contains("/tasks") || p.contains("/todo/") {
        "tasks".into()
    } else if p.contains("/contacts") {
        "contacts".into()
    } else {
        let two: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).take(2).collect();
        format!("other /{}", two.join("/"))
    }
}

/// A write point of the coverage: direction, side, shape, where held.
type Point = (&'static str, Side, Shape, StallAt);

#[derive(Clone, Debug)]
enum Kill {
    /// SIGKILL while the n-th write of this shape to that side is held.
    Shaped(Side, Shape, usize, StallAt),
    /// SIGKILL while the n-th write of any shape to that side is held.
    Nth(Side, usize, StallAt),
    /// SIGKILL this long after the start.
    Timer(Duration),
}

/// One scenario in one direction, with its uninterrupted outcome.
struct Combo {
    scenario: Scenario,
    direction: &'static str,
    reference: Picture,
    /// The writes the uninterrupted run made, per side, in order.
    oro_writes: Vec<WritePoint>,
    graph_writes: Vec<WritePoint>,
    took: Duration,
}

impl Combo {
    fn writes(&self, side: Side) -> &[WritePoint] {
        match side {
            Side::Oro => &self.oro_writes,
            Side::Graph => &self.graph_writes,
        }
    }
}

/// Fakes seeded for the scenario; for `Later`, after a first sync and the
/// users' edits.
async fn prepare(scenario: Scenario) -> World {
    let w = World::new().await;
    w.seed_first();
    if scenario == Scenario::Later {
        let r = w.sync("bidirectional").await;
        assert_eq!(r.code, 0, "setup sync: {}", r.stderr);
        w.edit_after_first();
    }
    w
}

fn stall(w: &World, side: Side) -> &WriteStall {
    match side {
        Side::Oro => w.oro.write_stall(),
        Side::Graph => w.graph.write_stall(),
    }
}

async fn reference(scenario: Scenario, direction: &'static str) -> Combo {
    let w = prepare(scenario).await;
    let (o, g) = (w.oro.write_stall().writes(), w.graph.write_stall().writes());
    let r = w.sync(direction).await;
    assert_eq!(r.code, 0, "{scenario:?} {direction}: {}", r.stderr);
    assert!(w.state_problems().is_empty(), "{:?}", w.state_problems());
    assert!(w.doubly_linked().is_empty(), "{:?}", w.doubly_linked());
    Combo {
        scenario,
        direction,
        reference: w.picture(),
        oro_writes: w.oro.write_stall().seen()[o..].to_vec(),
        graph_writes: w.graph.write_stall().seen()[g..].to_vec(),
        took: r.took,
    }
}

/// Every write point the uninterrupted runs make, each with the combo and
/// the occurrence of its shape to hold: the middle one, so a point inside
/// a `$batch` is held with members before it applied.
fn coverage_plan(combos: &[Combo]) -> BTreeMap<Point, (usize, usize)> {
    let mut plan = BTreeMap::new();
    for (ci, c) in combos.iter().enumerate() {
        for side in [Side::Oro, Side::Graph] {
            let mut count: BTreeMap<Shape, usize> = BTreeMap::new();
            for p in c.writes(side) {
                *count.entry(Shape::of(p)).or_default() += 1;
            }
            for (shape, n) in count {
                for at in [StallAt::BeforeApply, StallAt::AfterApply] {
                    plan.entry((c.direction, side, shape.clone(), at))
                        .or_insert((ci, n.div_ceil(2)));
                }
            }
        }
    }
    plan
}

/// After the coverage kills, more: positional kills by index (both sides,
/// before and after) with a timer kill (a pseudo-random instant in
/// 0..1.2 × the uninterrupted run) after every third, then timer kills
/// only.
fn extra_kills(c: &Combo, seed: u64) -> impl Iterator<Item = Kill> {
    let mut pos = vec![];
    for side in [Side::Oro, Side::Graph] {
        for i in 1..=c.writes(side).len() {
            for at in [StallAt::BeforeApply, StallAt::AfterApply] {
                pos.push(Kill::Nth(side, i, at));
            }
        }
    }
    let span = c.took.as_micros() as u64 * 12 / 10;
    let mut x = seed | 1;
    let mut next = move || {
        // xorshift: reproducible choices without a dependency.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // A reproducible shuffle, so a few extras land all over the run.
    for i in (1..pos.len()).rev() {
        pos.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    let mut pos = pos.into_iter();
    let mut i = 0u32;
    std::iter::from_fn(move || {
        i += 1;
        if !i.is_multiple_of(4) {
            if let Some(k) = pos.next() {
                return Some(k);
            }
        }
        Some(Kill::Timer(Duration::from_micros(next() % span.max(1))))
    })
}

#[derive(Default, Debug)]
struct Tally {
    trials: usize,
    killed_in_write: usize,
    killed_by_timer: usize,
    /// Timer kills that came after the run had finished.
    timer_too_late: usize,
    /// Reruns killed at one of their writes.
    rerun_killed: usize,
    /// Reruns that made fewer writes than the one armed, and finished.
    rerun_finished: usize,
    /// Every write point held by a first kill.
    held: BTreeSet<Point>,
}

/// Run `args` and SIGKILL it once `due` says so; true when killed, false
/// when the run ended first.
async fn run_and_kill(w: &World, args: &[&str], label: &str, due: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    let mut child = spawn_quiet(w.command(args));
    let killed = loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break false;
        }
        if due() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break true;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{label}: hung (a guard against a hang, not a timing)"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    // Let a held write go (before-apply: dropped; after-apply: answered to
    // no one).
    w.oro.write_stall().release();
    w.graph.write_stall().release();
    killed
}

/// One trial: prepare, run and kill, check, rerun and kill it at one of its
/// writes, check, run clean, compare.
async fn trial(c: &Combo, kill: Kill, index: usize, tally: &mut Tally) {
    let label = format!("{:?} {} {kill:?}", c.scenario, c.direction);
    let w = prepare(c.scenario).await;
    let args = ["sync", "--yes", "--json", "--direction", c.direction];
    let armed_side = match &kill {
        Kill::Shaped(side, shape, n, at) => {
            let shape = shape.clone();
            stall(&w, *side).arm_matching(*n, *at, move |p| Shape::of(p) == shape);
            Some(*side)
        }
        Kill::Nth(side, n, at) => {
            stall(&w, *side).arm(*n, *at);
            Some(*side)
        }
        Kill::Timer(_) => None,
    };
    let start = Instant::now();
    let killed = run_and_kill(&w, &args, &label, || match (&kill, armed_side) {
        (Kill::Timer(d), _) => start.elapsed() >= *d,
        (_, Some(side)) => stall(&w, side).holding(),
        (_, None) => unreachable!("a positional kill has a side"),
    })
    .await;
    tally.trials += 1;
    match (killed, &kill) {
        (false, Kill::Timer(_)) => tally.timer_too_late += 1,
        (false, _) => panic!("{label}: the run finished without that write"),
        (true, Kill::Timer(_)) => tally.killed_by_timer += 1,
        (true, _) => tally.killed_in_write += 1,
    }
    if let Some(side) = armed_side {
        let held = stall(&w, side).held();
        assert_eq!(held.len(), 1, "{label}: one write held");
        let (point, at) = &held[0];
        if let Kill::Shaped(_, shape, _, want_at) = &kill {
            assert_eq!((&Shape::of(point), at), (shape, want_at), "{label}");
        }
        tally
            .held
            .insert((c.direction, side, Shape::of(point), *at));
    }
    let problems = w.state_problems();
    assert!(problems.is_empty(), "{label}: after the kill: {problems:?}");

    // The rerun, killed at its first or second write on either side.
    let nth = 1 + index % 2;
    let at = if index.is_multiple_of(3) {
        StallAt::AfterApply
    } else {
        StallAt::BeforeApply
    };
    w.oro.write_stall().arm(nth, at);
    w.graph.write_stall().arm(nth, at);
    let killed = run_and_kill(&w, &args, &label, || {
        w.oro.write_stall().holding() || w.graph.write_stall().holding()
    })
    .await;
    if killed {
        tally.rerun_killed += 1;
    } else {
        tally.rerun_finished += 1;
    }
    let problems = w.state_problems();
    assert!(
        problems.is_empty(),
        "{label}: after the rerun (killed: {killed}): {problems:?}"
    );

    let r = w.run(&args).await;
    assert_eq!(r.code, 0, "{label}: clean run: {}\n{}", r.stderr, r.stdout);
    let problems = w.state_problems();
    assert!(
        problems.is_empty(),
        "{label}: after the clean run: {problems:?}"
    );
    assert!(
        w.doubly_linked().is_empty(),
        "{label}: {:?}",
        w.doubly_linked()
    );
    let got = w.picture();
    assert!(
        got == c.reference,
        "{label}: outcome differs from the uninterrupted run:\n{}",
        got.diff(&c.reference)
    );
    // Settled: a further run writes nothing.
    let (o, g) = (w.oro.writes(), w.graph.writes());
    let r = w.run(&args).await;
    assert_eq!(r.code, 0, "{label}: settled run: {}", r.stderr);
    assert_eq!(
        (w.oro.writes(), w.graph.writes()),
        (o, g),
        "{label}: settled run wrote"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_hold_every_write_point_and_repeat_to_the_uninterrupted_outcome() {
    let started = Instant::now();
    let mut combos = vec![];
    for scenario in [Scenario::First, Scenario::Later] {
        for d in DIRECTIONS {
            combos.push(reference(scenario, d).await);
        }
    }
    let coverage = coverage_plan(&combos);
    let n: usize = match std::env::var("OROSYNC_KILL_TRIALS") {
        Ok(v) => v.parse().expect("OROSYNC_KILL_TRIALS is a number"),
        Err(_) => coverage.len() + 6,
    };
    assert!(
        n >= coverage.len(),
        "OROSYNC_KILL_TRIALS={n} is fewer than the {} write points to cover",
        coverage.len()
    );
    // Every write point first, then the extras round-robin over combos.
    let mut plan: Vec<(usize, Kill)> = coverage
        .iter()
        .map(|((_, side, shape, at), (ci, nth))| {
            (*ci, Kill::Shaped(*side, shape.clone(), *nth, *at))
        })
        .collect();
    let mut lists: Vec<_> = combos
        .iter()
        .enumerate()
        .map(|(i, c)| extra_kills(c, 0x9e37_79b9_7f4a_7c15 ^ i as u64))
        .collect();
    'fill: loop {
        for (i, l) in lists.iter_mut().enumerate() {
            if plan.len() >= n {
                break 'fill;
            }
            plan.push((i, l.next().expect("endless")));
        }
    }
    let mut tally = Tally::default();
    for (index, (i, kill)) in plan.into_iter().enumerate() {
        trial(&combos[i], kill, index, &mut tally).await;
    }
    let exist: BTreeSet<Point> = coverage.keys().cloned().collect();
    let missed: Vec<_> = exist.difference(&tally.held).collect();
    let unknown: Vec<_> = tally.held.difference(&exist).collect();
    assert!(
        missed.is_empty() && unknown.is_empty(),
        "write points never held: {missed:?}; held but not in an uninterrupted run: {unknown:?}"
    );
    // Each side, each direction's writing side, and single batch members
    // are among them (a guard against an empty or one-sided run).
    for (direction, side) in [
        ("bidirectional", Side::Oro),
        ("bidirectional", Side::Graph),
        ("oro-to-outlook", Side::Graph),
        ("outlook-to-oro", Side::Oro),
    ] {
        assert!(
            exist.iter().any(|p| p.0 == direction && p.1 == side),
            "{direction} writes to {side:?}"
        );
    }
    assert!(
        exist.iter().any(|p| p.2.in_batch),
        "some write points are `$batch` members"
    );
    assert!(tally.rerun_killed > 0, "{tally:?}");
    eprintln!(
        "kill trials: {} in {:.1?}; {} write points over {} combos, all held; \
         {} killed holding a write, {} by timer, {} timer kills after the end; \
         reruns: {} killed at a write, {} finished first",
        tally.trials,
        started.elapsed(),
        exist.len(),
        combos.len(),
        tally.killed_in_write,
        tally.killed_by_timer,
        tally.timer_too_late,
        tally.rerun_killed,
        tally.rerun_finished,
    );
    for p in &exist {
        eprintln!("  point {p:?}");
    }
}

/// The dangerous case on its own, for each kind and both directions that
/// create in Oro: killed right after Oro created the record from an
/// unlinked Outlook item and before the id was stamped back, the rerun
/// adopts that record (journalled intent, re-paired by key) and creates
/// nothing again, on either side: Outlook still has the one item, it links
/// the one record, no Oro id is on two items, and both sides equal an
/// uninterrupted run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_created_in_oro_is_adopted_not_created_again() {
    use orosync::model::Kind;
    use orosync_testkit::sample;
    for direction in ["bidirectional", "outlook-to-oro"] {
        for kind in Kind::ALL {
            let label = format!("{direction} {kind}");
            let uninterrupted = {
                let w = World::new().await;
                w.graph.user_create_item(&sample(kind, "Solo"), None);
                let r = w.run(&["sync", "--yes", "--direction", direction]).await;
                assert_eq!(r.code, 0, "{label}: uninterrupted: {}", r.stderr);
                w.picture()
            };
            let w = World::new().await;
            let item = w.graph.user_create_item(&sample(kind, "Solo"), None);
            // The only Oro write of this run is the create.
            w.oro.write_stall().arm(1, StallAt::AfterApply);
            let mut child = spawn_quiet(w.command(&["sync", "--yes", "--direction", direction]));
            let start = Instant::now();
            while !w.oro.write_stall().holding() {
                assert!(child.try_wait().unwrap().is_none(), "{label}: ended first");
                assert!(
                    start.elapsed() < Duration::from_secs(600),
                    "{label}: hung (a guard against a hang, not a timing)"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            w.oro.write_stall().release();
            assert_eq!(w.oro.all(kind).len(), 1, "{label}: the create landed");
            assert_eq!(w.graph.link_of(&item), None, "{label}: not stamped yet");
            assert!(w.state_problems().is_empty(), "{label}");

            let r = w.run(&["sync", "--yes", "--direction", direction]).await;
            assert_eq!(r.code, 0, "{label}: {}", r.stderr);
            let recs = w.oro.all(kind);
            assert_eq!(recs.len(), 1, "{label}: no second record");
            assert_eq!(w.oro.writes().created, 1, "{label}: one create in all");
            assert_eq!(
                w.graph.link_of(&item),
                Some(recs[0].id.to_string()),
                "{label}: the item now links the adopted record"
            );
            assert_eq!(
                w.graph.items(kind).len(),
                1,
                "{label}: no second Outlook item"
            );
            assert_eq!(w.graph.writes().created, 0, "{label}: no Outlook create");
            assert!(
                w.doubly_linked().is_empty(),
                "{label}: {:?}",
                w.doubly_linked()
            );
            // One link in the state too: the record and the item once each.
            let links = orosync::state::State::open(&w.state_path())
                .expect("state opens")
                .links(kind)
                .expect("links");
            assert_eq!(links.len(), 1, "{label}: one link in the state");
            assert_eq!(
                (links[0].oro_id.as_str(), Some(links[0].outlook_id.clone())),
                (
                    recs[0].id.to_string().as_str(),
                    w.graph.items(kind).first().map(|i| i.id.clone())
                ),
                "{label}: the state links the adopted record and the item"
            );
            let got = w.picture();
            assert!(
                got == uninterrupted,
                "{label}: outcome differs from the uninterrupted run:\n{}",
                got.diff(&uninterrupted)
            );
            assert!(w.state_problems().is_empty(), "{label}");
        }
    }
}
