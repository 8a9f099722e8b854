//! Bad input (issue 7): hostile config files and hostile records, through
//! the `orosync` binary against both fakes. A bad config is exit 2 with one
//! line naming the problem, never a panic or a hang; hostile records sync
//! as literal data (markup stays text, non-BMP characters and control
//! characters survive, huge fields go through or fail as one item), the
//! state stays consistent, and a second run writes nothing.

mod support;

use orosync::model::{Contact, Gender, Item, Kind, Priority};
use orosync::testkit::{contact, task};
use serde_json::json;
use support::{run_command, World};

fn configs(w: &World) -> Vec<(&'static str, String)> {
    let good = w.config_text("");
    let oro_url = w.oro.url();
    let with_url = |u: &str| good.replace(&oro_url, u);
    let mut nested = "x = ".to_string();
    nested.push_str(&"[".repeat(100_000));
    vec![
        ("not TOML", "this is [not toml".into()),
        (
            "binary garbage",
            String::from_utf8_lossy(&[0xff, 0x00, 0xfe, 0x5b, 0x00]).into(),
        ),
        ("NUL in a value", good.replace("jane", "ja\0ne")),
        ("nesting 100,000 deep", nested),
        (
            "a duplicate key",
            format!("{good}\n[sync]\nmode = \"manual\"\n"),
        ),
        (
            "an unknown section",
            format!("{good}\n[danger]\nrm = true\n"),
        ),
        (
            "a wrong type",
            good.replace("time_zone = \"UTC\"", "time_zone = 42"),
        ),
        (
            "interval 0",
            good.replace(
                "time_zone = \"UTC\"",
                "time_zone = \"UTC\"\ninterval_seconds = 0",
            ),
        ),
        (
            "interval past i64",
            good.replace(
                "time_zone = \"UTC\"",
                "time_zone = \"UTC\"\ninterval_seconds = 99999999999999999999",
            ),
        ),
        (
            "a time zone that is a path",
            good.replace("time_zone = \"UTC\"", "time_zone = \"../../etc/passwd\""),
        ),
        ("file:// URL", with_url("file:///etc/passwd")),
        ("ftp:// URL", with_url("ftp://crm.example.com")),
        ("javascript: URL", with_url("javascript:alert(1)")),
        ("no scheme", with_url("crm.example.com")),
        ("empty URL", with_url("")),
        (
            "http:// to a remote host",
            with_url("http://crm.example.com"),
        ),
        ("http:// to a private address", with_url("http://10.0.0.1")),
        (
            "http:// to a lookalike of localhost",
            with_url("http://localhost.evil.example"),
        ),
        (
            "http:// to an IPv4-mapped address",
            with_url("http://[::ffff:8.8.8.8]"),
        ),
        (
            "http:// Graph to a remote host",
            good.replace(&w.graph.url(), "http://graph.example.com/v1.0"),
        ),
        (
            "http:// login to a remote host",
            good.replace(&w.graph.login_url(), "http://login.example.com"),
        ),
        (
            "a key field that does not exist",
            format!("{good}\n[keys]\ncontacts = [\"firstName\", \"password\"]\n"),
        ),
        (
            "a huge file",
            format!("{good}\n# {}\n", "x".repeat(4 << 20)),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_configs_are_exit_2_with_one_clear_line() {
    let w = World::new().await;
    let cases = configs(&w);
    let n = cases.len();
    for (name, text) in cases {
        std::fs::write(w.profile().join("config.toml"), text).unwrap();
        let r = w.run(&["sync", "--yes"]).await;
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: one line: {}", r.stderr);
        assert!(lines[0].starts_with("orosync: "), "{name}: {}", lines[0]);
        assert!(lines[0].len() < 600, "{name}: short: {}", lines[0].len());
        assert!(r.took.as_secs() < 10, "{name}: took {:?}", r.took);
    }
    assert_eq!(
        w.oro.stats().requests + w.graph.requests(),
        0,
        "no request with a bad config"
    );
    eprintln!("bad input: {n} hostile configs, each exit 2 with one line");
}

fn named(first: &str, last: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        gender: Some(Gender::Male),
        ..Default::default()
    })
}

/// Hostile values on both sides, each synced across and back.
fn seed_hostile(w: &World) {
    let markup = "<script>alert('x')</script><b>Bold</b> &amp; \"quotes\"";
    w.oro
        .user_create(&named("<img src=x onerror=alert(1)>", markup));
    w.graph
        .user_create_item(&named("Zoë 🦀 𝒜𝓃𝓃", "Ωmega 😀"), None);
    w.oro
        .user_create(&named("Ctl\u{1}\u{7}\u{1b}[31m", "Tab\tNew\nLine\r"));
    w.graph
        .user_create_item(&named("RTL\u{202e}evil", "Zero\u{200b}Width"), None);
    let mut big = contact("Big", "Fields");
    if let Item::Contacts(c) = &mut big {
        c.description = Some("long ".repeat(200_000)); // 1 MB
        c.job_title = Some("j".repeat(10_000));
    }
    w.oro.user_create(&big);
    let mut t = task("Task with % & ? # / \\ + = ; , ' \" in it", Priority::High);
    if let Item::Tasks(x) = &mut t {
        x.description = Some("x".repeat(300_000));
    }
    w.graph.user_create_item(&t, None);
    // A key field missing on one side: no last name in Outlook, no first
    // name in Oro.
    w.graph.user_create_item(
        &Item::Contacts(Contact {
            first_name: Some("Only".into()),
            ..Default::default()
        }),
        None,
    );
    w.oro.user_create(&Item::Contacts(Contact {
        last_name: Some("Lastonly".into()),
        ..Default::default()
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_records_sync_as_literal_data_and_settle() {
    let w = World::new().await;
    seed_hostile(&w);
    // An invalid date as Graph might hold it.
    w.graph.user_create(
        Kind::Contacts,
        json!({"givenName": "Worse", "surname": "Birthday", "birthday": "not-a-date"}),
    );
    let r = w.sync("bidirectional").await;
    assert!(
        matches!(r.code, 0 | 1),
        "no crash: {}\n{}",
        r.code,
        r.stderr
    );
    assert!(w.state_problems().is_empty(), "{:?}", w.state_problems());
    let first = w.picture();
    // Markup, non-BMP and control characters arrive as they were.
    let outlook = first.outlook.join("\n");
    for needle in [
        "<script>alert('x')</script>",
        "🦀 𝒜𝓃𝓃",
        "Ωmega 😀",
        "\\u0001\\u0007\\u001b[31m",
        "RTL\u{202e}evil",
    ] {
        assert!(
            outlook.contains(needle),
            "{needle} reached Outlook:\n{outlook}"
        );
    }
    let oro = first.oro.join("\n");
    for needle in [
        "Zoë 🦀 𝒜𝓃𝓃",
        "Zero\u{200b}Width",
        "Task with % & ? # / \\\\ + = ; , ' \\\" in it",
    ] {
        assert!(oro.contains(needle), "{needle} reached Oro:\n{oro}");
    }
    // Settled: the next runs write nothing and change nothing.
    let (o, g) = (w.oro.writes(), w.graph.writes());
    let r2 = w.sync("bidirectional").await;
    assert_eq!(r2.code, r.code, "{}", r2.stderr);
    if r.code == 0 {
        assert_eq!((w.oro.writes(), w.graph.writes()), (o, g), "no ping-pong");
    }
    assert!(w.picture() == first, "{}", w.picture().diff(&first));
    assert!(w.state_problems().is_empty());
    eprintln!(
        "bad input: hostile records synced, exit {} ({})",
        r.code,
        r.stderr.lines().last().unwrap_or("")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revoked_key_message_is_one_line_even_with_hostile_server_text() {
    // A server's error text with newlines and escapes must not break the
    // one-line contract of stderr.
    let w = World::new().await;
    w.oro.inject(
        orosync::fakes::oro::Fault::Body(
            "{\"errors\": [{\"detail\": \"line1\\nline2\\u001b[31m\"}]}".into(),
        ),
        1,
    );
    let r = run_command(w.command(&["sync", "--yes"])).await;
    assert_ne!(r.code, 0);
    let last = r.stderr.lines().last().unwrap();
    assert!(last.starts_with("orosync: "), "{}", r.stderr);
    assert!(
        !r.stderr.contains('\u{1b}'),
        "no terminal escape from a server reaches stderr: {:?}",
        r.stderr
    );
}

/// A record Oro's database holds but that is no valid record (a
/// non-strict MySQL keeps `1980-02-30`, and `0000-00-00` for "no date") must
/// not stop everyone else's sync: the zero date reads as no date, the
/// impossible one leaves that record out (it stays as it is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_oro_date_stops_only_that_record() {
    let w = World::new().await;
    w.oro.user_create(&contact("Good", "Record"));
    let zero = w.oro.user_create(&contact("Zero", "Birthday"));
    w.oro.user_edit(Kind::Contacts, &zero, |r| {
        r.attributes.insert("birthday".into(), json!("0000-00-00"));
    });
    let bad = w.oro.user_create(&contact("Bad", "Birthday"));
    w.oro.user_edit(Kind::Contacts, &bad, |r| {
        r.attributes.insert("birthday".into(), json!("1980-02-30"));
    });
    let r = w.sync("bidirectional").await;
    assert!(matches!(r.code, 0 | 1), "{}", r.stderr);
    let names: Vec<String> = w
        .graph
        .items(Kind::Contacts)
        .into_iter()
        .map(|i| match i.item {
            Item::Contacts(c) => c.first_name.unwrap_or_default(),
            _ => unreachable!(),
        })
        .collect();
    assert!(
        names.contains(&"Good".to_string()) && names.contains(&"Zero".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"Bad".to_string()), "{names:?}");
    // The bad record is untouched, and the next run is quiet.
    assert_eq!(
        w.oro
            .record(Kind::Contacts, &bad)
            .unwrap()
            .attr_str("birthday"),
        Some("1980-02-30")
    );
    let (o, g) = (w.oro.writes(), w.graph.writes());
    assert!(matches!(w.sync("bidirectional").await.code, 0 | 1));
    assert_eq!((w.oro.writes(), w.graph.writes()), (o, g));
    assert!(w.state_problems().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_ids_with_odd_characters_are_escaped_everywhere() {
    let w = World::new().await;
    w.graph.set_id_infix("+/=-_ %?#&'\"~:;,@$!*()[]{}é");
    w.seed_first();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    assert!(w.state_problems().is_empty());
    w.edit_after_first();
    let r = w.sync("bidirectional").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Same outcome as with plain ids.
    let plain = World::new().await;
    plain.seed_first();
    assert_eq!(plain.sync("bidirectional").await.code, 0);
    plain.edit_after_first();
    assert_eq!(plain.sync("bidirectional").await.code, 0);
    let (a, b) = (w.picture(), plain.picture());
    assert!(a == b, "{}", a.diff(&b));
    let (o, g) = (w.oro.writes(), w.graph.writes());
    assert_eq!(w.sync("bidirectional").await.code, 0);
    assert_eq!((w.oro.writes(), w.graph.writes()), (o, g), "settled");
}
