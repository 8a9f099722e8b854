//! Kill trials (issue 7, docs/sync-rules.md, "Crash safety"): the real `orosync sync`
//! against both fakes, killed with SIGKILL while a write is in flight,
//! right after a write landed, or at a random instant, then run again. After
//! every trial both sides equal an uninterrupted run's outcome (values, not
//! ids), no record exists twice, the state database passes
//! `PRAGMA integrity_check` and `State::check()`, and one more run writes
//! nothing.
//!
//! `OROSYNC_KILL_TRIALS` sets the number of trials (default 30). They are
//! spread round-robin over two scenarios (first sync; later sync with
//! edits, deletions, a conflict and new records) times three directions,
//! positional kills first, then timer kills.

mod support;

use orosync_fakes::stall::{StallAt, WriteStall};
use orosync_testkit::prelude::*;
use std::time::{Duration, Instant};
use support::{spawn_quiet, Picture, World};

const DIRECTIONS: [&str; 3] = ["bidirectional", "oro-to-outlook", "outlook-to-oro"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    First,
    Later,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Oro,
    Graph,
}

#[derive(Clone, Copy, Debug)]
enum Kill {
    /// SIGKILL while the n-th write request to that side is held.
    Write(Side, usize, StallAt),
    /// SIGKILL this long after the start.
    Timer(Duration),
}

/// One scenario in one direction, with its uninterrupted outcome.
struct Combo {
    scenario: Scenario,
    direction: &'static str,
    reference: Picture,
    oro_writes: usize,
    graph_writes: usize,
    took: Duration,
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
        oro_writes: w.oro.write_stall().writes() - o,
        graph_writes: w.graph.write_stall().writes() - g,
        took: r.took,
    }
}

/// Every positional kill of a combo, with a timer kill (a pseudo-random
/// instant in 0..1.2 × the uninterrupted run) after every third, then timer
/// kills only: a small run still meets every kind of kill, and about 200
/// trials cover every positional point.
fn kills(c: &Combo, seed: u64) -> impl Iterator<Item = Kill> {
    let mut pos = vec![];
    for (side, n) in [(Side::Oro, c.oro_writes), (Side::Graph, c.graph_writes)] {
        for i in 1..=n {
            for at in [StallAt::BeforeApply, StallAt::AfterApply] {
                pos.push(Kill::Write(side, i, at));
            }
        }
    }
    let span = c.took.as_micros() as u64 * 12 / 10;
    let mut x = seed | 1;
    let mut timer = move || {
        // xorshift: reproducible instants without a dependency.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Kill::Timer(Duration::from_micros(x % span.max(1)))
    };
    let mut pos = pos.into_iter();
    let mut i = 0u32;
    std::iter::from_fn(move || {
        i += 1;
        if !i.is_multiple_of(4) {
            if let Some(k) = pos.next() {
                return Some(k);
            }
        }
        Some(timer())
    })
}

#[derive(Default, Debug)]
struct Tally {
    trials: usize,
    killed_in_write: usize,
    killed_by_timer: usize,
    /// Timer kills that came after the run had finished.
    timer_too_late: usize,
}

/// One trial: prepare, run and kill, check, run again, compare.
async fn trial(c: &Combo, kill: Kill, tally: &mut Tally) {
    let label = format!("{:?} {} {kill:?}", c.scenario, c.direction);
    let w = prepare(c.scenario).await;
    let args = ["sync", "--yes", "--json", "--direction", c.direction];
    if let Kill::Write(side, n, at) = kill {
        stall(&w, side).arm(n, at);
    }
    let start = Instant::now();
    let mut child = spawn_quiet(w.command(&args));
    let killed = loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break false;
        }
        let due = match kill {
            Kill::Write(side, ..) => stall(&w, side).holding(),
            Kill::Timer(d) => start.elapsed() >= d,
        };
        if due {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break true;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{label}: hung");
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    // Let a held write go (before-apply: dropped; after-apply: answered to
    // no one).
    w.oro.write_stall().release();
    w.graph.write_stall().release();
    tally.trials += 1;
    match (killed, kill) {
        (false, Kill::Write(..)) => panic!("{label}: the run finished without that write"),
        (false, Kill::Timer(_)) => tally.timer_too_late += 1,
        (true, Kill::Write(..)) => tally.killed_in_write += 1,
        (true, Kill::Timer(_)) => tally.killed_by_timer += 1,
    }
    let problems = w.state_problems();
    assert!(problems.is_empty(), "{label}: after the kill: {problems:?}");

    let r = w.run(&args).await;
    assert_eq!(r.code, 0, "{label}: rerun: {}\n{}", r.stderr, r.stdout);
    let problems = w.state_problems();
    assert!(
        problems.is_empty(),
        "{label}: after the rerun: {problems:?}"
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
    assert_eq!(r.code, 0, "{label}: third run: {}", r.stderr);
    assert_eq!(
        (w.oro.writes(), w.graph.writes()),
        (o, g),
        "{label}: third run wrote"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_repeat_to_the_uninterrupted_outcome() {
    let n: usize = std::env::var("OROSYNC_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let started = Instant::now();
    let mut combos = vec![];
    for scenario in [Scenario::First, Scenario::Later] {
        for d in DIRECTIONS {
            combos.push(reference(scenario, d).await);
        }
    }
    let mut lists: Vec<_> = combos
        .iter()
        .enumerate()
        .map(|(i, c)| kills(c, 0x9e37_79b9_7f4a_7c15 ^ i as u64))
        .collect();
    let mut plan = vec![];
    'fill: loop {
        for (i, l) in lists.iter_mut().enumerate() {
            if plan.len() == n {
                break 'fill;
            }
            plan.push((i, l.next().expect("endless")));
        }
    }
    let mut tally = Tally::default();
    for (i, kill) in plan {
        trial(&combos[i], kill, &mut tally).await;
    }
    let positional: usize = combos
        .iter()
        .map(|c| 2 * (c.oro_writes + c.graph_writes))
        .sum();
    eprintln!(
        "kill trials: {} in {:.1?} ({} killed holding a write, {} by timer, {} timer kills after the end); \
         {} positional kill points over {} combos",
        tally.trials,
        started.elapsed(),
        tally.killed_in_write,
        tally.killed_by_timer,
        tally.timer_too_late,
        positional,
        combos.len()
    );
}

/// The dangerous case on its own, for each kind and both directions that
/// create in Oro: killed right after Oro created the record from an
/// unlinked Outlook item and before the id was stamped back, the rerun
/// adopts that record (journalled intent, re-paired by key) and creates
/// nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_created_in_oro_is_adopted_not_created_again() {
    use orosync::model::Kind;
    use orosync_testkit::sample;
    for direction in ["bidirectional", "outlook-to-oro"] {
        for kind in Kind::ALL {
            let label = format!("{direction} {kind}");
            let w = World::new().await;
            let item = w.graph.user_create_item(&sample(kind, "Solo"), None);
            // The only Oro write of this run is the create.
            w.oro.write_stall().arm(1, StallAt::AfterApply);
            let mut child = spawn_quiet(w.command(&["sync", "--yes", "--direction", direction]));
            let start = Instant::now();
            while !w.oro.write_stall().holding() {
                assert!(child.try_wait().unwrap().is_none(), "{label}: ended first");
                assert!(start.elapsed() < Duration::from_secs(30), "{label}: hung");
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
            assert!(w.state_problems().is_empty(), "{label}");
        }
    }
}
