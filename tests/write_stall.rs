//! The fakes' write stall (the kill trials' switch, docs/testing.md "Kill
//! coverage") inside a Graph `$batch`: each write member is a point of its
//! own, held with the members before it applied and the rest never applied;
//! a batch of reads is no write.

use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::stall::{StallAt, WritePoint};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fake Graph and a valid access token for it (from a refresh token, as
/// the client gets one).
async fn graph() -> (Arc<FakeGraph>, String) {
    let g = FakeGraph::start(FakeOptions::default())
        .await
        .expect("fake Graph");
    let refresh = g.issue_refresh_token();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/common/oauth2/v2.0/token", g.login_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "orosync-test"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    (Arc::new(g), token)
}

fn creates(n: usize) -> Value {
    let requests: Vec<Value> = (1..=n)
        .map(|i| {
            json!({"id": i.to_string(), "method": "POST", "url": "/me/contacts",
                   "headers": {"Content-Type": "application/json"},
                   "body": {"givenName": format!("N{i}")}})
        })
        .collect();
    json!({ "requests": requests })
}

/// Send a batch on a task of its own (it may be held), answering its status.
fn send(g: &FakeGraph, token: &str, body: Value) -> tokio::task::JoinHandle<u16> {
    let (url, token) = (format!("{}/$batch", g.url()), token.to_string());
    tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

async fn until_held(g: &FakeGraph) {
    let start = Instant::now();
    while !g.write_stall().holding() {
        assert!(start.elapsed() < Duration::from_secs(10), "never held");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_held_before_its_second_write_has_applied_only_the_first() {
    let (g, token) = graph().await;
    let before = g.all("contacts").len();
    g.write_stall().arm(2, StallAt::BeforeApply);
    let answer = send(&g, &token, creates(3));
    until_held(&g).await;
    assert_eq!(
        g.all("contacts").len(),
        before + 1,
        "member 1 applied, 2 held"
    );
    g.write_stall().release();
    assert_eq!(
        answer.await.unwrap(),
        503,
        "the dropped batch is not answered 200"
    );
    assert_eq!(
        g.all("contacts").len(),
        before + 1,
        "members 2 and 3 never applied"
    );
    assert_eq!(
        g.write_stall().held(),
        vec![(
            WritePoint {
                method: "POST".into(),
                path: "/me/contacts".into(),
                in_batch: true
            },
            StallAt::BeforeApply
        )]
    );
    assert_eq!(g.write_stall().writes(), 2, "two members reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_held_after_its_second_write_has_applied_the_first_two() {
    let (g, token) = graph().await;
    let before = g.all("contacts").len();
    g.write_stall().arm(2, StallAt::AfterApply);
    let answer = send(&g, &token, creates(3));
    until_held(&g).await;
    assert_eq!(
        g.all("contacts").len(),
        before + 2,
        "members 1 and 2 applied"
    );
    g.write_stall().release();
    assert_eq!(answer.await.unwrap(), 503);
    assert_eq!(
        g.all("contacts").len(),
        before + 2,
        "member 3 never applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_reads_is_no_write_point() {
    let (g, token) = graph().await;
    g.write_stall().arm(1, StallAt::BeforeApply);
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/me/contacts"},
        {"id": "2", "method": "GET", "url": "/me/events"},
    ]});
    assert_eq!(send(&g, &token, body).await.unwrap(), 200);
    assert!(!g.write_stall().holding());
    assert_eq!(g.write_stall().writes(), 0);
    assert!(g.write_stall().seen().is_empty());
    // The still-armed stall holds the next write, a batch member.
    let answer = send(&g, &token, creates(1));
    until_held(&g).await;
    g.write_stall().release();
    assert_eq!(answer.await.unwrap(), 503);
    assert_eq!(g.write_stall().writes(), 1);
}
