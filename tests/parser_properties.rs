//! Property tests over the parsers of what servers and users send
//! (`orosync::parsers`, the same entry points as the fuzz targets in
//! `fuzz/`): arbitrary bytes, and arbitrary JSON shaped like the real
//! answers (the right keys with values of any type), never panic.
//! `PROPTEST_CASES` raises the number of cases (default 256 per property).

use orosync::parsers;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Any JSON value, small.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
        // Strings that look like what the parsers expect.
        prop_oneof![
            Just("2026-11-25T10:00:00Z"),
            Just("2026-02-30"),
            Just("0000-00-00"),
            Just("2026-11-25T10:00:00.0000000"),
            Just("<p>x</p><script>y</script>&amp;&#xD800;&#99999999;"),
            Just("W. Europe Standard Time"),
            Just("Mars/Olympus"),
            Just("high"),
            Just("in_progress"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys the parsers look for, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "data",
            "id",
            "type",
            "attributes",
            "relationships",
            "included",
            "meta",
            "firstName",
            "lastName",
            "birthday",
            "gender",
            "emails",
            "email",
            "phones",
            "primaryEmail",
            "updatedAt",
            "createdAt",
            "subject",
            "dueDate",
            "taskPriority",
            "status",
            "title",
            "start",
            "end",
            "allDay",
            "recurrence",
            "value",
            "@odata.nextLink",
            "@odata.deltaLink",
            "@removed",
            "givenName",
            "surname",
            "dateTime",
            "timeZone",
            "isAllDay",
            "body",
            "content",
            "contentType",
            "singleValueExtendedProperties",
            "linkedResources",
            "externalId",
            "applicationName",
            "importance",
            "dueDateTime",
            "emailAddresses",
            "address",
            "businessPhones",
            "type",
            "seriesMasterId",
            "createdDateTime",
            "lastModifiedDateTime",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parsers::oro_jsonapi(&bytes);
        parsers::oro_events(&bytes);
        parsers::graph_response(&bytes);
        parsers::config(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_batch_delta_token_and_error_readers(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        parsers::graph_batch_answer(&bytes);
        parsers::graph_delta_loop(&bytes);
        parsers::token_answer(&bytes);
        parsers::error_body(&bytes);
    }

    #[test]
    fn answer_shaped_batches_delta_pages_tokens_and_errors_never_panic(
        v in any_json(),
        w in any_json(),
    ) {
        let batch = json!({"responses": [
            {"id": "0", "status": v.clone(), "headers": {"Retry-After": w.clone()}, "body": v.clone()},
            {"id": "1", "status": 429, "headers": v.clone(), "body": w.clone()},
            v.clone(),
        ]});
        let page = json!({"value": [v.clone(), {"id": "x", "@removed": w.clone()}],
                          "@odata.nextLink": w.clone()});
        let last = json!({"value": v.clone(), "@odata.deltaLink": v.clone()});
        let mut pages = serde_json::to_vec(&page).unwrap();
        pages.push(0x1E);
        pages.extend(serde_json::to_vec(&page).unwrap());
        pages.push(0x1E);
        pages.extend(serde_json::to_vec(&last).unwrap());
        let token = json!({"access_token": v.clone(), "expires_in": w.clone(),
                           "refresh_token": v.clone(), "error": w.clone()});
        let error = json!({"errors": [v.clone(), {"source": {"pointer": w.clone()}}],
                           "error": {"code": v.clone(), "message": w.clone()},
                           "message": v.clone()});
        parsers::graph_batch_answer(&serde_json::to_vec(&batch).unwrap());
        parsers::graph_delta_loop(&pages);
        parsers::token_answer(&serde_json::to_vec(&token).unwrap());
        parsers::error_body(&serde_json::to_vec(&error).unwrap());
    }

    #[test]
    fn arbitrary_text_config_never_panics(text in ".{0,400}") {
        parsers::config(text.as_bytes());
    }

    #[test]
    fn answer_shaped_json_never_panics(v in any_json()) {
        let doc = json!({"data": v.clone(), "included": [v.clone()]});
        let list = json!({"data": [{"type": "contacts", "id": "1", "attributes": v.clone(), "relationships": v.clone()}]});
        let graph = json!({"value": [v.clone()], "@odata.nextLink": v.clone()});
        for body in [&v, &doc, &list, &graph] {
            let bytes = serde_json::to_vec(body).unwrap();
            parsers::oro_jsonapi(&bytes);
            parsers::oro_events(&bytes);
            parsers::graph_response(&bytes);
        }
    }

    #[test]
    fn config_shaped_toml_never_panics(
        section in prop::sample::select(vec!["oro", "outlook", "sync", "keys", "x"]),
        k in prop::sample::select(vec!["url", "username", "auth", "client_id", "redirect_port",
            "tenant", "graph_url", "login_url", "mode", "interval_seconds", "direction",
            "conflict_resolution", "kinds", "contacts_scope", "events_past_days",
            "events_future_days", "time_zone", "contacts", "tasks", "events"]),
        value in prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            ".{0,40}".prop_map(|s| format!("{s:?}")),
            Just("[\"firstName\", 1, []]".to_string()),
            Just("{ a = 1 }".to_string()),
            Just("1979-05-27T07:32:00Z".to_string()),
            Just("nan".to_string()),
        ],
    ) {
        let text = format!(
            "[oro]\nurl = \"https://crm.example.com\"\nusername = \"j\"\n[outlook]\nclient_id = \"c\"\n[{section}]\n{k} = {value}\n"
        );
        parsers::config(text.as_bytes());
    }
}

#[test]
fn the_entry_points_read_real_answers() {
    // A guard that the properties above reach the parsers' insides: real
    // answers parse to records.
    let contact = json!({"data": [{"type": "contacts", "id": "5",
        "attributes": {"firstName": "Ann", "lastName": "Lee", "updatedAt": "2026-11-25T10:00:00Z",
                       "createdAt": "2026-11-25T10:00:00Z", "emails": [{"email": "a@example.com"}]},
        "relationships": {}}]});
    assert!(parsers::oro_jsonapi(&serde_json::to_vec(&contact).unwrap()) >= 1);
    let graph = json!({"value": [{"id": "AAMk1", "givenName": "Ann", "surname": "Lee",
        "createdDateTime": "2026-11-25T10:00:00Z", "lastModifiedDateTime": "2026-11-25T10:00:00Z"}]});
    assert!(parsers::graph_response(&serde_json::to_vec(&graph).unwrap()) >= 1);
    assert!(parsers::config(
        b"[oro]\nurl = \"https://crm.example.com\"\nusername = \"j\"\n[outlook]\nclient_id = \"c\"\n"
    ));
}

/// What each committed fuzz seed (`fuzz/seeds/<target>/`) reads as: the
/// seeds are real answers of each shape, so a parser that stopped reading
/// one (or a seed that stopped being what its name says) fails here, and
/// the fuzzers keep starting from answers that reach the parsers' insides.
const SEEDS: &[(&str, &str, usize)] = &[
    ("config", "config.toml", 1),
    ("error_body", "graph-error.json", 1),
    ("error_body", "graph-sync-state-not-found.json", 1),
    ("error_body", "html-error-page.html", 0),
    ("error_body", "oro-jsonapi-errors.json", 1),
    ("error_body", "oro-legacy-form-errors.json", 1),
    // 3 of 3 members; a throttled member is read too (and retried).
    ("graph_batch", "three-members.json", 3),
    ("graph_batch", "throttled-member.json", 3),
    // Member 0 once (its repeat ignored), 5 with no HTTP status and 6
    // without any status unreadable, the others missing.
    ("graph_batch", "repeated-and-missing-ids.json", 1),
    ("graph_batch", "not-a-batch.json", 0),
    ("graph_delta", "three-pages-to-the-delta-link.bin", 3),
    // The second page's nextLink was the first's: the round stops there.
    ("graph_delta", "next-link-repeats.bin", 2),
    ("graph_delta", "entry-without-id.bin", 1),
    ("graph_delta", "value-not-a-list.bin", 1),
    // Each entry is read as every kind (what another kind does not require
    // may be absent), plus one for an HTML body turned into text.
    ("graph_response", "contacts.json", 2),
    ("graph_response", "event.json", 4),
    ("graph_response", "todo-task.json", 2),
    ("oro_events", "legacy-events.json", 2),
    // Each resource read as a contact and as a task.
    ("oro_jsonapi", "contact-list.json", 2),
    ("oro_jsonapi", "task.json", 2),
    // Tokens under 200 and 201, read by both sign-ins: 2 × 2.
    ("token_answer", "microsoft-tokens.json", 4),
    ("token_answer", "oro-tokens.json", 4),
    ("token_answer", "huge-lifetime.json", 4),
    ("token_answer", "invalid-grant.json", 0),
    ("token_answer", "pending.json", 0),
];

fn read_with(target: &str, bytes: &[u8]) -> usize {
    match target {
        "config" => usize::from(parsers::config(bytes)),
        "error_body" => parsers::error_body(bytes),
        "graph_batch" => parsers::graph_batch_answer(bytes),
        "graph_delta" => parsers::graph_delta_loop(bytes),
        "graph_response" => parsers::graph_response(bytes),
        "oro_events" => parsers::oro_events(bytes),
        "oro_jsonapi" => parsers::oro_jsonapi(bytes),
        "token_answer" => parsers::token_answer(bytes),
        other => panic!("no parser for fuzz target {other}"),
    }
}

#[test]
fn every_fuzz_seed_reads_as_its_table_says() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut found = Vec::new();
    for target in std::fs::read_dir(&root).unwrap() {
        let target = target.unwrap().path();
        for seed in std::fs::read_dir(&target).unwrap() {
            let seed = seed.unwrap().path();
            let t = target.file_name().unwrap().to_string_lossy().into_owned();
            let name = seed.file_name().unwrap().to_string_lossy().into_owned();
            let got = read_with(&t, &std::fs::read(&seed).unwrap());
            found.push((t, name, got));
        }
    }
    found.sort();
    let mut want: Vec<(String, String, usize)> = SEEDS
        .iter()
        .map(|(t, n, k)| (t.to_string(), n.to_string(), *k))
        .collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn every_fuzz_target_has_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut targets: Vec<String> = std::fs::read_dir(root.join("fuzz_targets"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    targets.sort();
    let mut seeded: Vec<String> = std::fs::read_dir(root.join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    seeded.sort();
    assert_eq!(targets, seeded);
}
