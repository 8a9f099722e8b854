//! Faults from the servers (issue 7), through the `orosync` binary and the
//! real clients against both fakes. Each case: the faulty run ends with a
//! retry that succeeds or one clear line and the documented exit status;
//! the state passes its checks; a clean rerun then reaches exactly the
//! outcome of a run that met no fault, with no record written twice.
//!
//! Slow answers past the timeout are covered at the client level, where
//! the timeout can be made short: `oro_contract::timeouts_are_retried` and
//! `graph_contract::faults_map_to_the_right_error_classes`.

mod support;

use orosync_fakes::graph::{FakeOptions, Fault as GFault};
use orosync_fakes::oro::{FakeOroOptions, Fault as OFault};
use support::{Outcome, World};

/// A clean first sync: its outcome and the creates it made on each side.
async fn reference() -> Outcome {
    let w = World::new().await;
    w.seed_first();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    w.outcome()
}

/// Run the faulty sync, check it, rerun clean, compare with the reference.
async fn check(name: &str, w: &World, exit: i32, injected: usize, reference: &Outcome) -> i32 {
    let r = w.sync("bidirectional").await;
    // The one exit status of each fault (docs/cli.md, "Exit status"): a
    // storm that passes is 0, an answer that cannot be read or a write
    // whose fate is unknown is 4, a write refused for its own item is 1.
    assert_eq!(r.code, exit, "{name}: {}", r.stderr);
    // The injected faults were met: all of them when the run went past
    // them, at least one when it gave up (a storm that never ends).
    let pending = w.oro.faults_pending() + w.graph.faults_pending();
    if exit == 4 {
        assert!(pending < injected, "{name}: no fault was served");
    } else {
        assert_eq!(pending, 0, "{name}: {pending} faults never served");
    }
    if r.code != 0 {
        let line = r.stderr.lines().last().unwrap_or("");
        assert!(
            line.starts_with("orosync: "),
            "{name}: one clear line: {}",
            r.stderr
        );
    }
    assert!(
        w.state_problems().is_empty(),
        "{name}: {:?}",
        w.state_problems()
    );
    w.rerun_matches(name, reference).await;
    eprintln!(
        "{name}: exit {} then 0, outcome as without the fault ({:.1?}); {}",
        r.code,
        r.took,
        r.stderr.lines().last().unwrap_or("")
    );
    r.code
}

async fn seeded() -> World {
    let w = World::new().await;
    w.seed_first();
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oro_faults_end_in_a_retry_or_a_clear_error_and_nothing_twice() {
    let reference = reference().await;
    let body = |s: &str| OFault::Body(s.to_string());
    let cases: Vec<(&str, Vec<OFault>, usize, i32)> = vec![
        (
            "oro: 429 storm with Retry-After",
            vec![OFault::RetryAfter {
                status: 429,
                secs: 1,
            }],
            3,
            0,
        ),
        (
            "oro: 503 storm with Retry-After",
            vec![OFault::RetryAfter {
                status: 503,
                secs: 1,
            }],
            3,
            0,
        ),
        (
            "oro: 503 that never ends",
            vec![OFault::RetryAfter {
                status: 503,
                secs: 0,
            }],
            40,
            4,
        ),
        ("oro: connection reset mid-body", vec![OFault::Drop], 2, 0),
        ("oro: HTML instead of JSON", vec![OFault::Malformed], 1, 4),
        (
            "oro: truncated JSON",
            vec![body(r#"{"data": [{"type": "contacts", "id": "1", "attri"#)],
            1,
            4,
        ),
        (
            "oro: 200 with the wrong shape",
            vec![body(r#"{"data": {"unexpected": true}}"#)],
            1,
            4,
        ),
        ("oro: 200 with no data", vec![body(r#"{"meta": {}}"#)], 1, 4),
        (
            "oro: 200 with data of the wrong type",
            vec![body(r#"{"data": [{"type": "users", "id": "x"}]}"#)],
            1,
            4,
        ),
    ];
    for (name, faults, times, exit) in cases {
        let w = seeded().await;
        let injected = faults.len() * times;
        for f in faults {
            w.oro.inject(f, times);
        }
        check(name, &w, exit, injected, &reference).await;
    }
    // Faults on writes only.
    let writes: Vec<(&str, OFault, i32)> = vec![
        ("oro write: reset before it lands", OFault::Drop, 4),
        (
            "oro write: reset after it landed",
            OFault::DropAfterApply,
            4,
        ),
        (
            "oro write: 503 with Retry-After",
            OFault::RetryAfter {
                status: 503,
                secs: 1,
            },
            0,
        ),
        (
            "oro write: 429 with Retry-After",
            OFault::RetryAfter {
                status: 429,
                secs: 1,
            },
            0,
        ),
        (
            "oro write: garbage answer",
            OFault::Body("<html>".into()),
            1,
        ),
    ];
    for (name, f, exit) in writes {
        let w = seeded().await;
        w.oro.inject_writes(f, 1);
        check(name, &w, exit, 1, &reference).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_faults_end_in_a_retry_or_a_clear_error_and_nothing_twice() {
    let reference = reference().await;
    let cases: Vec<(&str, GFault, usize, i32)> = vec![
        (
            "graph: 429 storm with Retry-After",
            GFault::Throttle { retry_after: 1 },
            3,
            0,
        ),
        ("graph: 503 storm", GFault::Unavailable, 3, 0),
        (
            "graph: 429 that never ends",
            GFault::Throttle { retry_after: 0 },
            40,
            4,
        ),
        ("graph: connection dropped", GFault::Drop, 2, 0),
        ("graph: malformed JSON", GFault::Malformed, 1, 4),
        (
            "graph: a nextLink that repeats",
            GFault::LoopingNextLink,
            20,
            4,
        ),
    ];
    for (name, f, times, exit) in cases {
        let w = seeded().await;
        w.graph.inject(f, times);
        check(name, &w, exit, times, &reference).await;
    }
    let members: Vec<(&str, GFault, i32)> = vec![
        (
            "graph member: 429 storm",
            GFault::Throttle { retry_after: 1 },
            0,
        ),
        (
            "graph member: gateway timeout (not resent)",
            GFault::GatewayTimeout,
            0,
        ),
        ("graph member: 503", GFault::Unavailable, 0),
    ];
    for (name, f, exit) in members {
        let w = seeded().await;
        w.graph.inject_member(f, 2);
        check(name, &w, exit, 2, &reference).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_delta_token_lists_everything_again() {
    let w = seeded().await;
    assert_eq!(w.sync("bidirectional").await.code, 0);
    w.edit_after_first();
    let before_reference = {
        let r = World::new().await;
        r.seed_first();
        assert_eq!(r.sync("bidirectional").await.code, 0);
        r.edit_after_first();
        assert_eq!(r.sync("bidirectional").await.code, 0);
        r.picture()
    };
    w.graph.expire_delta_tokens();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(w.state_problems().is_empty());
    let got = w.picture();
    assert!(got == before_reference, "{}", got.diff(&before_reference));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_says_sign_in_again_once() {
    let w = seeded().await;
    let before = w.graph.token_requests();
    let r = support::run_command(w.command_with(
        &["sync", "--yes", "--json"],
        &w.api_key(),
        "revoked-refresh-token",
    ))
    .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    let line = r.stderr.lines().last().unwrap();
    assert!(line.contains("login") && line.contains("sign in"), "{line}");
    // Exactly one: the client must ask once to learn the token is revoked,
    // and must not ask again (no retry loop at the token endpoint).
    assert_eq!(
        w.graph.token_requests() - before,
        1,
        "one token request, no retry loop"
    );
    assert_eq!(w.oro.writes().total() + w.graph.writes().total(), 0);
    assert!(w.state_problems().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wsse_created_follows_a_skewed_oro_clock() {
    // Oro's clock behind ours by 10 minutes: our Created is in its future
    // ("Future token detected") unless stamped on its clock; and ahead by two
    // hours: past the token lifetime.
    for offset in [-600i64, -31, 7200] {
        let oro = FakeOroOptions {
            clock_offset_secs: offset,
            ..Default::default()
        };
        let w = World::with(oro, FakeOptions::default(), "").await;
        w.seed_first();
        let r = w.sync("bidirectional").await;
        assert_eq!(r.code, 0, "offset {offset}: {}", r.stderr);
        assert!(w.state_problems().is_empty());
        // Each offset is refused once: -600 and -31 put our `Created` in
        // Oro's future (we stamp 30 s back), 7200 puts it past the 3600 s
        // lifetime; the refusal's `Date` teaches the offset, and no request
        // after it is refused.
        let unauthorized = w.oro.stats().unauthorized;
        assert_eq!(
            unauthorized, 1,
            "offset {offset}: refused once, then learnt"
        );
    }
    // A wrong key stays a clear exit 3 after exactly one retry: the first
    // refusal teaches the clock (one retry can help), the second stands.
    let oro = FakeOroOptions {
        clock_offset_secs: -600,
        ..Default::default()
    };
    let w = World::with(oro, FakeOptions::default(), "").await;
    let r = support::run_command(w.command_with(
        &["sync", "--yes"],
        "not-the-key",
        &w.graph.issue_refresh_token(),
    ))
    .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        w.oro.stats().unauthorized,
        2,
        "one retry, then the refusal stands"
    );
}
