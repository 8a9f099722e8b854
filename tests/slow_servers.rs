//! Slow answers past the timeout (issue 7), over the real Graph client and
//! the fake Graph with a short timeout: one slow answer is retried, a server
//! that stays slow ends as "unavailable" after the bounded attempts, and a
//! slow write is not sent twice. (Oro's: `oro_contract::timeouts_are_retried`.)

use orosync::fakes::graph::{FakeGraph, FakeOptions, Fault};
use orosync::graph::auth::{AuthConfig, TokenManager};
use orosync::graph::{http_client, GraphClient, GraphConfig};
use orosync::model::Kind;
use orosync::secrets::{MemorySecrets, Secret, SecretStore, OUTLOOK_REFRESH_TOKEN};
use orosync::store::{OutlookStore, OutlookWrite, StoreError};
use orosync::testkit::contact;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn client(fake: &FakeGraph) -> GraphClient {
    let secrets = MemorySecrets::new();
    secrets
        .set(
            OUTLOOK_REFRESH_TOKEN,
            &Secret::new(fake.issue_refresh_token()),
        )
        .unwrap();
    let auth = AuthConfig::new(&fake.login_url(), "common", "orosync-tests");
    let tokens = Arc::new(TokenManager::new(
        http_client(Duration::from_secs(10)),
        auth,
        Arc::new(secrets),
    ));
    let mut cfg = GraphConfig::new(&fake.url(), chrono_tz::UTC, "https://crm.example.com/");
    cfg.timeout = Duration::from_millis(300);
    cfg.max_attempts = 3;
    cfg.max_wait = Duration::from_millis(200);
    GraphClient::new(cfg, tokens).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_graph_is_retried_then_unavailable_and_writes_once() {
    let fake = FakeGraph::start(FakeOptions::default()).await.unwrap();
    let c = client(&fake).await;
    let id = fake.user_create_item(&contact("Ann", "Lee"), None);
    // Sign in first, so the latency meets Graph requests only.
    assert!(c.get(Kind::Contacts, &id).await.unwrap().is_some());

    fake.inject(Fault::Latency(Duration::from_secs(2)), 1);
    assert!(
        c.get(Kind::Contacts, &id).await.unwrap().is_some(),
        "one slow answer is retried"
    );

    fake.inject(Fault::Latency(Duration::from_secs(2)), 20);
    let t = Instant::now();
    match c.get(Kind::Contacts, &id).await {
        Err(StoreError::Unavailable(m)) => assert!(m.contains("timed out"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "bounded: {:?}",
        t.elapsed()
    );
    fake.clear_faults();

    // A write whose answer is too slow: the client cannot know whether it
    // landed, so a create is not sent again in this run.
    let before = fake.writes();
    fake.inject(Fault::Latency(Duration::from_secs(2)), 1);
    let r = c
        .write(
            Kind::Contacts,
            vec![OutlookWrite::Create {
                item: contact("Bo", "Chen"),
                link: "42".into(),
            }],
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let created = fake.writes().created - before.created;
    assert!(created <= 1, "created {created} times");
    assert_eq!(r.len(), 1);
    eprintln!(
        "slow graph: write result {:?}, created {created}",
        r[0].as_ref().map(|_| ())
    );
}
