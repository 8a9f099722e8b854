//! Oro's task workflow (`task_flow`): the fake against Oro's documented
//! answers, the client moving statuses through transitions (or the field
//! where no workflow manages a task), and whole syncs in both directions
//! with the workflow on and off (docs/fidelity.md, "Oro: task workflow").

mod scenarios;

use orosync::model::{Item, Kind, Priority, Task, TaskStatus};
use orosync::oro::{wsse_headers, Secret};
use orosync::settings::Direction;
use orosync::sides::{OroStore, StoreError};
use orosync::summary::Summary;
use orosync_fakes::oro::FakeOro;
use orosync_fakes::stall::StallAt;
use orosync_testkit::prelude::*;
use orosync_testkit::task;
use scenarios::http::OroHttpWorld;
use scenarios::world::World;
use scenarios::{assert_links_consistent, assert_quiet};
use serde_json::{json, Value};
use std::time::Duration;

// ------------------------------------------------------------ helpers

/// A raw, WSSE-signed request to the fake, as any client of Oro sends it.
async fn raw(
    fake: &FakeOro,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let o = fake.options().clone();
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", fake.url()));
    let json_api = path.starts_with("/api/") && !path.starts_with("/api/rest/");
    let media = if json_api {
        "application/vnd.api+json"
    } else {
        "application/json"
    };
    req = req.header("Accept", media);
    let created = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let nonce: [u8; 16] = rand::random();
    for (k, v) in wsse_headers(
        &o.username,
        &Secret::new(o.api_key.clone()),
        &nonce,
        &created,
    ) {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.header("Content-Type", media).body(b.to_string());
    }
    let r = req.send().await.expect("the fake answers");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn task_doc(id: Option<&str>, subject: &str, status: Option<&str>) -> Value {
    let mut data = json!({
        "type": "tasks",
        "attributes": {"subject": subject},
        "relationships": {"taskPriority": {"data": {"type": "taskpriorities", "id": "normal"}}},
    });
    if let Some(id) = id {
        data["id"] = json!(id);
    }
    if let Some(s) = status {
        data["relationships"]["status"] = json!({"data": {"type": "taskstatuses", "id": s}});
    }
    json!({ "data": data })
}

fn status_in_oro(fake: &FakeOro, id: &str) -> Option<String> {
    fake.record(Kind::Tasks, id)
        .and_then(|r| r.rel("status").map(str::to_string))
}

fn subject_in_oro(fake: &FakeOro, id: &str) -> Option<String> {
    fake.record(Kind::Tasks, id)
        .and_then(|r| r.attr_str("subject").map(str::to_string))
}

fn transits(fake: &FakeOro) -> Vec<String> {
    fake.stats()
        .log
        .into_iter()
        .filter(|l| l.contains("/workflow/transit/"))
        .collect()
}

fn todo(subject: &str, status: TaskStatus) -> Item {
    let Item::Tasks(t) = task(subject, Priority::Normal) else {
        unreachable!()
    };
    Item::Tasks(Task { status, ..t })
}

fn status_of(item: &Item) -> TaskStatus {
    match item {
        Item::Tasks(t) => t.status,
        _ => panic!("not a task"),
    }
}

fn subject_of(item: &Item) -> String {
    match item {
        Item::Tasks(t) => t.subject.clone(),
        _ => panic!("not a task"),
    }
}

fn assert_ok(s: &Summary) {
    assert!(s.ok, "run failed: {s:#?}");
}

async fn world(workflow: bool) -> OroHttpWorld {
    let w = OroHttpWorld::start().await;
    w.oro.fake.set_task_workflow(workflow);
    w
}

/// A task made in Oro and synced to To Do: (Oro id, To Do id).
async fn linked_task(w: &mut OroHttpWorld, subject: &str) -> (String, String) {
    let oro_id = w.oro.fake.user_create(&todo(subject, TaskStatus::Open));
    assert_ok(&w.sync().await);
    let x = w
        .outlook
        .all(Kind::Tasks)
        .into_iter()
        .find(|i| i.link.as_deref() == Some(oro_id.as_str()))
        .expect("in To Do")
        .id;
    w.advance_secs(5);
    (oro_id, x)
}

// ------------------------------------------------------------ the fake

#[tokio::test]
async fn the_fake_refuses_creating_a_task_in_progress_or_closed_while_the_workflow_is_active() {
    let fake = FakeOro::start(Default::default()).await.unwrap();
    assert!(fake.task_workflow_active(), "task_flow is on by default");
    for status in ["in_progress", "closed"] {
        let (code, doc) = raw(
            &fake,
            reqwest::Method::POST,
            "/api/tasks",
            Some(task_doc(None, "Call", Some(status))),
        )
        .await;
        assert_eq!(code, 400, "{status}: {doc}");
        assert_eq!(
            doc["errors"][0],
            json!({
                "status": "400",
                "title": "workflow entity constraint",
                "detail": "Could not create entity with this value because of workflow restrictions.",
                "source": {"pointer": "/data/relationships/status/data"},
            })
        );
    }
    assert!(fake.all(Kind::Tasks).is_empty(), "nothing was created");
    // Open, or no status at all, is accepted, with a workflow item.
    for status in [Some("open"), None] {
        let (code, doc) = raw(
            &fake,
            reqwest::Method::POST,
            "/api/tasks",
            Some(task_doc(None, "Call", status)),
        )
        .await;
        assert_eq!(code, 201, "{doc}");
        let id = doc["data"]["id"].as_str().unwrap();
        assert_eq!(status_in_oro(&fake, id).as_deref(), Some("open"));
        assert!(fake.task_workflow_item(id).is_some());
    }
}

#[tokio::test]
async fn the_fake_refuses_a_patch_that_changes_the_status_as_a_whole() {
    let fake = FakeOro::start(Default::default()).await.unwrap();
    let id = fake.user_create(&todo("Call", TaskStatus::Open));
    let (code, doc) = raw(
        &fake,
        reqwest::Method::PATCH,
        &format!("/api/tasks/{id}"),
        Some(task_doc(Some(&id), "Call back", Some("closed"))),
    )
    .await;
    assert_eq!(code, 400, "{doc}");
    assert_eq!(doc["errors"][0]["title"], "workflow entity constraint");
    assert_eq!(
        doc["errors"][0]["detail"],
        "Field could not be edited because of workflow restrictions."
    );
    // Nothing of the request was applied.
    assert_eq!(subject_in_oro(&fake, &id).as_deref(), Some("Call"));
    assert_eq!(status_in_oro(&fake, &id).as_deref(), Some("open"));
    // The same status again is no change: accepted with the rest.
    let (code, _) = raw(
        &fake,
        reqwest::Method::PATCH,
        &format!("/api/tasks/{id}"),
        Some(task_doc(Some(&id), "Call back", Some("open"))),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(subject_in_oro(&fake, &id).as_deref(), Some("Call back"));
}

#[tokio::test]
async fn the_legacy_task_shows_its_workflow_item_and_step_and_transitions_follow_the_steps() {
    let fake = FakeOro::start(Default::default()).await.unwrap();
    let id = fake.user_create(&todo("Call", TaskStatus::Open));
    let (code, t) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/rest/latest/tasks/{id}"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["subject"], "Call");
    let item = t["workflowItem"].as_u64().expect("a workflow item id");
    let open_step = t["workflowStep"].as_u64().expect("a step id");

    let fake_ref = &fake;
    let post =
        |path: String| async move { raw(fake_ref, reqwest::Method::POST, &path, None).await };
    // Not allowed from `open`: 400 with Oro's message, nothing moves.
    let (code, r) = post(format!("/api/rest/latest/workflow/transit/{item}/reopen")).await;
    assert_eq!(code, 400);
    assert_eq!(
        r,
        json!({"message": "Step \"open\" of workflow \"task_flow\" doesn't have allowed transition \"reopen\"."})
    );
    let (code, r) = post(format!("/api/rest/latest/workflow/transit/{item}/finish")).await;
    assert_eq!(code, 400);
    assert_eq!(
        r,
        json!({"message": "Transition \"finish\" is not exist in workflow."})
    );
    assert_eq!(status_in_oro(&fake, &id).as_deref(), Some("open"));

    // Allowed: 200 with the serialized workflow item; the status moves.
    let before = fake.record(Kind::Tasks, &id).unwrap().updated_at;
    let (code, r) = post(format!("/api/rest/latest/workflow/transit/{item}/close")).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["workflowItem"]["id"], json!(item));
    assert_eq!(r["workflowItem"]["workflow_name"], "task_flow");
    assert_eq!(r["workflowItem"]["entity_id"], json!(id));
    assert_eq!(
        r["workflowItem"]["entity_class"],
        "Oro\\Bundle\\TaskBundle\\Entity\\Task"
    );
    assert_eq!(status_in_oro(&fake, &id).as_deref(), Some("closed"));
    assert!(fake.record(Kind::Tasks, &id).unwrap().updated_at >= before);
    let (_, t) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/rest/latest/tasks/{id}.json"),
        None,
    )
    .await;
    assert_ne!(
        t["workflowStep"].as_u64(),
        Some(open_step),
        "the step moved"
    );
    let (code, _) = post(format!("/api/rest/latest/workflow/transit/{item}/close")).await;
    assert_eq!(code, 400, "closed allows only reopen");
    let (code, _) = post(format!("/api/rest/latest/workflow/transit/{item}/reopen")).await;
    assert_eq!(code, 200);
    assert_eq!(status_in_oro(&fake, &id).as_deref(), Some("open"));

    // A role without the permission: 403 with the transition's label.
    fake.forbid_task_transition("start_progress", true);
    let (code, r) = post(format!(
        "/api/rest/latest/workflow/transit/{item}/start_progress"
    ))
    .await;
    assert_eq!(code, 403);
    assert_eq!(
        r,
        json!({"message": "Could not perform transition \"Start progress\"."})
    );
    // Unknown item, unknown version: 404.
    let (code, _) = post("/api/rest/latest/workflow/transit/999999/close".into()).await;
    assert_eq!(code, 404);
    let (code, _) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/rest/v9/tasks/{id}"),
        None,
    )
    .await;
    assert_eq!(code, 404);
    // Unsigned requests are refused as on every legacy endpoint.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/api/rest/latest/workflow/transit/{item}/close",
            fake.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(status_in_oro(&fake, &id).as_deref(), Some("open"));
}

#[tokio::test]
async fn with_the_workflow_deactivated_the_status_is_a_plain_field() {
    let fake = FakeOro::start(Default::default()).await.unwrap();
    let old = fake.user_create(&todo("Old", TaskStatus::Open));
    assert!(fake.task_workflow_item(&old).is_some());
    fake.set_task_workflow(false);
    // Deactivating deleted the items.
    let (_, t) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/rest/latest/tasks/{old}"),
        None,
    )
    .await;
    assert!(t.get("workflowItem").is_none(), "{t}");
    let (code, doc) = raw(
        &fake,
        reqwest::Method::POST,
        "/api/tasks",
        Some(task_doc(None, "New", Some("in_progress"))),
    )
    .await;
    assert_eq!(code, 201, "{doc}");
    let (code, _) = raw(
        &fake,
        reqwest::Method::PATCH,
        &format!("/api/tasks/{old}"),
        Some(task_doc(Some(&old), "Old", Some("closed"))),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(status_in_oro(&fake, &old).as_deref(), Some("closed"));
    // Activated again: old tasks get no item, so they stay unrestricted.
    fake.set_task_workflow(true);
    assert!(fake.task_workflow_item(&old).is_none());
}

// ------------------------------------------------------------ the client

#[tokio::test]
async fn the_client_moves_a_status_through_the_transitions_the_steps_allow() {
    let w = world(true).await;
    let oro = &w.oro.client;
    let rec = oro
        .create(&todo("Call", TaskStatus::Closed))
        .await
        .expect("created");
    assert_eq!(status_of(&rec.item), TaskStatus::Open, "created open");
    let rec = oro
        .move_task_status(&rec.id, TaskStatus::Closed)
        .await
        .unwrap();
    assert_eq!(status_of(&rec.item), TaskStatus::Closed);
    let rec = oro
        .move_task_status(&rec.id, TaskStatus::InProgress)
        .await
        .unwrap();
    assert_eq!(status_of(&rec.item), TaskStatus::InProgress);
    assert_eq!(
        status_in_oro(&w.oro.fake, &rec.id).as_deref(),
        Some("in_progress")
    );
    let item = w.oro.fake.task_workflow_item(&rec.id).unwrap();
    assert_eq!(
        transits(&w.oro.fake),
        [
            format!("POST /api/rest/latest/workflow/transit/{item}/close"),
            format!("POST /api/rest/latest/workflow/transit/{item}/reopen"),
            format!("POST /api/rest/latest/workflow/transit/{item}/start_progress"),
        ]
    );
}

#[tokio::test]
async fn the_client_writes_the_status_field_where_no_workflow_manages_the_task() {
    let w = world(false).await;
    let oro = &w.oro.client;
    let rec = oro.create(&todo("Call", TaskStatus::Open)).await.unwrap();
    let rec = oro
        .move_task_status(&rec.id, TaskStatus::Closed)
        .await
        .unwrap();
    assert_eq!(status_of(&rec.item), TaskStatus::Closed);
    assert_eq!(
        status_in_oro(&w.oro.fake, &rec.id).as_deref(),
        Some("closed")
    );
    assert!(transits(&w.oro.fake).is_empty());
}

#[tokio::test]
async fn a_forbidden_transition_is_a_refused_item_not_an_authentication_failure() {
    let w = world(true).await;
    w.oro.fake.forbid_task_transition("close", true);
    let rec = w
        .oro
        .client
        .create(&todo("Call", TaskStatus::Open))
        .await
        .unwrap();
    let e = w
        .oro
        .client
        .move_task_status(&rec.id, TaskStatus::Closed)
        .await
        .unwrap_err();
    match e {
        StoreError::Rejected(m) => assert!(m.contains("Could not perform transition"), "{m}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

// ------------------------------------------------------------ syncs

async fn todo_statuses_reach_oro(workflow: bool) -> OroHttpWorld {
    let mut w = world(workflow).await;
    w.settings_mut().direction = Direction::OutlookToOro;
    w.outlook
        .user_create(todo("Started", TaskStatus::InProgress));
    w.outlook.user_create(todo("Done", TaskStatus::Closed));
    w.outlook.user_create(todo("Waiting", TaskStatus::Open));
    let s = w.sync().await;
    assert_ok(&s);
    let tasks = w.oro.fake.records(Kind::Tasks);
    assert_eq!(tasks.len(), 3, "each created once: {tasks:#?}");
    for (subject, status) in [
        ("Started", TaskStatus::InProgress),
        ("Done", TaskStatus::Closed),
        ("Waiting", TaskStatus::Open),
    ] {
        let r = tasks
            .iter()
            .find(|r| subject_of(&r.item) == subject)
            .unwrap();
        assert_eq!(status_of(&r.item), status, "{subject}");
    }
    assert_links_consistent(&w, Kind::Tasks);
    assert_quiet(&mut w).await;
    w
}

#[tokio::test]
async fn todo_tasks_in_progress_or_completed_reach_oro_through_transitions() {
    let w = todo_statuses_reach_oro(true).await;
    assert_eq!(
        transits(&w.oro.fake).len(),
        2,
        "{:?}",
        transits(&w.oro.fake)
    );
}

#[tokio::test]
async fn todo_tasks_in_progress_or_completed_reach_oro_as_fields_without_the_workflow() {
    let w = todo_statuses_reach_oro(false).await;
    assert!(transits(&w.oro.fake).is_empty());
}

async fn completed_and_renamed_in_one_change(workflow: bool) {
    let mut w = world(workflow).await;
    let (oro, x) = linked_task(&mut w, "Call Ann").await;
    w.outlook.user_edit(Kind::Tasks, &x, |i: &mut Item| {
        if let Item::Tasks(t) = i {
            t.subject = "Call Ann and Bob".into();
            t.status = TaskStatus::Closed;
        }
    });
    let s = w.sync().await;
    assert_ok(&s);
    assert_eq!(
        subject_in_oro(&w.oro.fake, &oro).as_deref(),
        Some("Call Ann and Bob")
    );
    assert_eq!(status_in_oro(&w.oro.fake, &oro).as_deref(), Some("closed"));
    let item = w
        .outlook
        .all(Kind::Tasks)
        .into_iter()
        .find(|i| i.id == x)
        .unwrap();
    assert_eq!(status_of(&item.item), TaskStatus::Closed);
    assert_links_consistent(&w, Kind::Tasks);
    assert_quiet(&mut w).await;
}

#[tokio::test]
async fn a_todo_task_completed_and_renamed_in_one_change_reaches_oro_with_both() {
    completed_and_renamed_in_one_change(true).await;
}

#[tokio::test]
async fn without_the_workflow_completed_and_renamed_reach_oro_in_one_change() {
    completed_and_renamed_in_one_change(false).await;
}

#[tokio::test]
async fn a_task_moved_by_a_transition_in_oro_reaches_todo() {
    let mut w = world(true).await;
    let (oro, x) = linked_task(&mut w, "Call Ann").await;
    let item = w.oro.fake.task_workflow_item(&oro).unwrap();
    let (code, _) = raw(
        &w.oro.fake,
        reqwest::Method::POST,
        &format!("/api/rest/latest/workflow/transit/{item}/start_progress"),
        None,
    )
    .await;
    assert_eq!(code, 200);
    assert_ok(&w.sync().await);
    let got = w
        .outlook
        .all(Kind::Tasks)
        .into_iter()
        .find(|i| i.id == x)
        .unwrap();
    assert_eq!(status_of(&got.item), TaskStatus::InProgress);
    assert_quiet(&mut w).await;
}

#[tokio::test]
async fn a_refused_transition_fails_that_task_only_and_the_rest_of_its_change_lands() {
    let mut w = world(true).await;
    let (a, xa) = linked_task(&mut w, "Call Ann").await;
    let (b, xb) = linked_task(&mut w, "Write Bob").await;
    w.oro.fake.forbid_task_transition("close", true);
    w.outlook.user_edit(Kind::Tasks, &xa, |i: &mut Item| {
        if let Item::Tasks(t) = i {
            t.subject = "Call Ann today".into();
            t.status = TaskStatus::Closed;
        }
    });
    w.outlook.user_edit(Kind::Tasks, &xb, |i: &mut Item| {
        if let Item::Tasks(t) = i {
            t.subject = "Write Bob today".into();
        }
    });
    let s = w.sync().await;
    assert!(s.fatal.is_none(), "the run went on: {s:#?}");
    assert_eq!(s.errors.len(), 1, "{s:#?}");
    assert_eq!(s.errors[0].id, a);
    assert!(
        s.errors[0].message.contains("Could not perform transition"),
        "{:?}",
        s.errors[0]
    );
    // The rename landed; the status did not; the other task went through.
    assert_eq!(
        subject_in_oro(&w.oro.fake, &a).as_deref(),
        Some("Call Ann today")
    );
    assert_eq!(status_in_oro(&w.oro.fake, &a).as_deref(), Some("open"));
    assert_eq!(
        subject_in_oro(&w.oro.fake, &b).as_deref(),
        Some("Write Bob today")
    );

    // Refused again next run; To Do's completion is not lost (no conflict
    // with our own partial write).
    let s = w.sync().await;
    assert_eq!(s.errors.len(), 1, "{s:#?}");
    assert!(s.conflicts.is_empty(), "{s:#?}");
    let got = w
        .outlook
        .all(Kind::Tasks)
        .into_iter()
        .find(|i| i.id == xa)
        .unwrap();
    assert_eq!(status_of(&got.item), TaskStatus::Closed);

    // Allowed again: the status arrives, and the run after is quiet.
    w.oro.fake.forbid_task_transition("close", false);
    assert_ok(&w.sync().await);
    assert_eq!(status_in_oro(&w.oro.fake, &a).as_deref(), Some("closed"));
    assert_links_consistent(&w, Kind::Tasks);
    assert_quiet(&mut w).await;
}

/// Run a sync until the fake holds the given Oro write, then drop the run
/// (a killed process), and let the held write go.
async fn sync_killed_at(w: &mut OroHttpWorld, nth: usize, at: StallAt) {
    w.oro.fake.write_stall().arm(nth, at);
    let held = w.oro.fake.write_stall_handle();
    let killed = tokio::select! {
        s = w.sync() => panic!("the run finished without that write: {s:#?}"),
        _ = async {
            while !held.holding() {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        } => true,
    };
    assert!(killed);
    held.release();
}

#[tokio::test]
async fn a_run_killed_between_the_create_and_the_transitions_converges_without_a_duplicate() {
    // Write 1 is the create (held after Oro applied it: the client never
    // hears of the task); write 2 the first transition (never applied).
    for (nth, at) in [(1, StallAt::AfterApply), (2, StallAt::BeforeApply)] {
        let mut w = world(true).await;
        w.settings_mut().direction = Direction::OutlookToOro;
        let x = w
            .outlook
            .user_create(todo("Started", TaskStatus::InProgress));
        sync_killed_at(&mut w, nth, at).await;
        let stopped = w.oro.fake.records(Kind::Tasks);
        assert_eq!(stopped.len(), 1, "{nth}");
        assert_eq!(
            status_of(&stopped[0].item),
            TaskStatus::Open,
            "stopped before the transition"
        );
        let s = w.sync().await;
        assert_ok(&s);
        let tasks = w.oro.fake.records(Kind::Tasks);
        assert_eq!(tasks.len(), 1, "no duplicate ({nth} {at:?}): {tasks:#?}");
        assert_eq!(status_of(&tasks[0].item), TaskStatus::InProgress);
        let item = w
            .outlook
            .all(Kind::Tasks)
            .into_iter()
            .find(|i| i.id == x)
            .unwrap();
        assert_eq!(item.link.as_deref(), Some(tasks[0].id.as_str()));
        assert_links_consistent(&w, Kind::Tasks);
        assert_quiet(&mut w).await;
    }
}

#[tokio::test]
async fn a_run_killed_between_the_update_and_the_transition_keeps_todos_change() {
    // Both directions, Oro wins conflicts (the defaults): a stop after the
    // rename landed must not look like an edit in Oro that beats To Do's.
    let mut w = world(true).await;
    let (oro, x) = linked_task(&mut w, "Call Ann").await;
    w.outlook.user_edit(Kind::Tasks, &x, |i: &mut Item| {
        if let Item::Tasks(t) = i {
            t.subject = "Call Ann and Bob".into();
            t.status = TaskStatus::Closed;
        }
    });
    // Write 1 is the PATCH of the other fields, write 2 the transition.
    sync_killed_at(&mut w, 2, StallAt::BeforeApply).await;
    assert_eq!(
        subject_in_oro(&w.oro.fake, &oro).as_deref(),
        Some("Call Ann and Bob")
    );
    assert_eq!(status_in_oro(&w.oro.fake, &oro).as_deref(), Some("open"));
    let s = w.sync().await;
    assert_ok(&s);
    assert!(s.conflicts.is_empty(), "{s:#?}");
    assert_eq!(status_in_oro(&w.oro.fake, &oro).as_deref(), Some("closed"));
    let got = w
        .outlook
        .all(Kind::Tasks)
        .into_iter()
        .find(|i| i.id == x)
        .unwrap();
    assert_eq!(status_of(&got.item), TaskStatus::Closed);
    assert_eq!(subject_of(&got.item), "Call Ann and Bob");
    assert_links_consistent(&w, Kind::Tasks);
    assert_quiet(&mut w).await;
}
