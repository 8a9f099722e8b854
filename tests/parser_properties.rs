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
