//! Oro's `task_flow` workflow, as OROCRMTaskBundle defines it and platform's
//! WorkflowBundle enforces it:
//!
//! - `Resources/config/oro/workflows/task_flow.yml`: active by default,
//!   start step `open`; `task_flow/steps.yml`: open → start_progress, close;
//!   in_progress → stop_progress, close; closed → reopen;
//!   `task_flow/transitions.yml` + `transition_definitions.yml`: each
//!   transition's step and the status it sets.
//! - `task_flow/entity_restrictions.yml` + platform
//!   `Validator/Constraints/WorkflowEntityValidator.php` and
//!   `Resources/translations/validators.en.yml`: a new task may not have the
//!   status in_progress or closed ("Could not create entity with this value
//!   because of workflow restrictions."); a task with a workflow item may not
//!   have its status changed at all, whatever the step ("Field could not be
//!   edited because of workflow restrictions.", 400 "workflow entity
//!   constraint", `TaskTest::testTryToUpdateRelationshipForStatus`); the
//!   restrictions of an existing task come from its workflow item, so a task
//!   without one is not restricted (`Restriction/RestrictionManager.php`).
//! - The legacy `GET /api/rest/{version}/tasks/{id}` adds `workflowItem` and
//!   `workflowStep` (ids) when the task has an item
//!   (`Controller/Api/Rest/TaskController::getPreparedItem`).
//! - `POST /api/rest/{version}/workflow/transit/{workflowItemId}/{transition}`
//!   (platform `WorkflowController::transitAction`, `routing.yml`): 200
//!   `{"workflowItem": {...}}`, 400 `{"message": ...}` for an unknown
//!   transition or one the current step does not allow
//!   (`InvalidTransitionException`), 404 for an unknown item.
//! - Deactivating or activating the workflow deletes its items
//!   (`WorkflowController::deactivateAction`/`activateAction` →
//!   `resetWorkflowData`); activation starts no item for existing tasks.
//!
//! The fake keeps a task's step as its status: every way the fake changes a
//! status (a transition, a user's edit standing for the UI's transition
//! buttons) moves both together.

use super::data::{FakeData, TASKS};
use super::Shared;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub(crate) const WORKFLOW: &str = "task_flow";
const TASK_CLASS: &str = "Oro\\Bundle\\TaskBundle\\Entity\\Task";

/// Oro's wording of a refused create (validators.en.yml,
/// `oro.workflow.validator.field.message.create`).
pub(crate) const CREATE_REFUSED: &str =
    "Could not create entity with this value because of workflow restrictions.";
/// Oro's wording of a refused change (`oro.workflow.validator.field.message.update`).
pub(crate) const UPDATE_REFUSED: &str =
    "Field could not be edited because of workflow restrictions.";
pub(crate) const TITLE: &str = "workflow entity constraint";

/// The transitions: name, the step it leads to (transitions.yml), its
/// label (OROCRMTaskBundle `Resources/translations/workflows.en.yml`).
const TRANSITIONS: [(&str, &str, &str); 4] = [
    ("start_progress", "in_progress", "Start progress"),
    ("stop_progress", "open", "Stop progress"),
    ("close", "closed", "Close"),
    ("reopen", "open", "Reopen"),
];

/// The steps: name, its id (a `WorkflowStep` row), the transitions it
/// allows (steps.yml).
const STEPS: [(&str, u64, &[&str]); 3] = [
    ("open", 1, &["start_progress", "close"]),
    ("in_progress", 2, &["stop_progress", "close"]),
    ("closed", 3, &["reopen"]),
];

/// The workflow's state: on or off, and the tasks' workflow items.
#[derive(Debug)]
pub(crate) struct TaskFlow {
    active: bool,
    /// Task id → workflow item id.
    by_task: BTreeMap<u64, u64>,
    /// Workflow item id → task id.
    by_item: BTreeMap<u64, u64>,
    next_item: u64,
    /// Transitions the user's role may not perform (workflow permissions).
    forbidden: BTreeSet<String>,
}

impl TaskFlow {
    pub(crate) fn new(active: bool) -> Self {
        TaskFlow {
            active,
            by_task: BTreeMap::new(),
            by_item: BTreeMap::new(),
            // Not 1: an item id is never mistaken for its task's id.
            next_item: 101,
            forbidden: BTreeSet::new(),
        }
    }

    pub(crate) fn active(&self) -> bool {
        self.active
    }

    /// An admin activates or deactivates the workflow: either way its items
    /// are deleted.
    pub(crate) fn set_active(&mut self, on: bool) {
        if on != self.active {
            self.active = on;
            self.by_task.clear();
            self.by_item.clear();
        }
    }

    /// A task was created: it gets an item when the workflow is active.
    pub(crate) fn start(&mut self, task: u64) {
        if self.active {
            let item = self.next_item;
            self.next_item += 1;
            self.by_task.insert(task, item);
            self.by_item.insert(item, task);
        }
    }

    /// An admin takes the permission to perform `transition` from the
    /// user's role (or gives it back).
    pub(crate) fn forbid(&mut self, transition: &str, forbidden: bool) {
        if forbidden {
            self.forbidden.insert(transition.to_string());
        } else {
            self.forbidden.remove(transition);
        }
    }

    pub(crate) fn forget(&mut self, task: u64) {
        if let Some(item) = self.by_task.remove(&task) {
            self.by_item.remove(&item);
        }
    }

    pub(crate) fn item_of(&self, task: u64) -> Option<u64> {
        self.by_task.get(&task).copied()
    }

    fn task_of(&self, item: u64) -> Option<u64> {
        self.by_item.get(&item).copied()
    }

    /// The error of a create whose status the restrictions refuse: only
    /// `open` may be given while the workflow is active.
    pub(crate) fn refuse_create(&self, status: &str) -> Option<&'static str> {
        (self.active && status != "open").then_some(CREATE_REFUSED)
    }

    /// The error of an update that changes the status of a task that has a
    /// workflow item (each step restricts the status fully).
    pub(crate) fn refuse_update(&self, task: u64, old: &str, new: &str) -> Option<&'static str> {
        (self.item_of(task).is_some() && old != new).then_some(UPDATE_REFUSED)
    }
}

fn step_id(step: &str) -> Option<u64> {
    STEPS.iter().find(|s| s.0 == step).map(|s| s.1)
}

fn plain(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// FOSRest's answer to an unknown route or entity.
fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        json!({"code": 404, "message": "Not Found"}),
    )
}

/// The routes accept `latest` or `v1` as the version and an optional
/// `.json` suffix (routing.yml requirements).
fn version_ok(v: &str) -> bool {
    v == "latest" || v == "v1"
}

fn numeric(id: &str) -> Option<u64> {
    let id = id.strip_suffix(".json").unwrap_or(id);
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

fn legacy_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// `GET /api/rest/{version}/tasks/{id}`: the task as the legacy API shows
/// it, with its workflow item and step ids when it has an item.
pub(crate) async fn legacy_task(
    State(s): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
) -> Response {
    let (true, Some(id)) = (version_ok(&version), numeric(&id)) else {
        return not_found();
    };
    let d = s.data.lock().expect("data");
    let Some(r) = d.get(TASKS, id) else {
        return not_found();
    };
    let due = r
        .attr_str("dueDate")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| legacy_time(t.with_timezone(&chrono::Utc)));
    let mut body = json!({
        "id": r.id,
        "subject": r.attributes.get("subject").cloned().unwrap_or(Value::Null),
        "description": r.attributes.get("description").cloned().unwrap_or(Value::Null),
        "dueDate": due,
        // TaskController::transformEntityField: the priority's name.
        "taskPriority": r.rel("taskPriority"),
        "owner": r.rel("owner").and_then(|o| o.parse::<u64>().ok()),
        "createdAt": legacy_time(r.created_at),
        "updatedAt": legacy_time(r.updated_at),
    });
    if let Some(item) = d.task_flow.item_of(id) {
        body["workflowItem"] = json!(item);
        let step = d.task_status(id).unwrap_or_else(|| "open".into());
        if let Some(step) = step_id(&step) {
            body["workflowStep"] = json!(step);
        }
    }
    plain(StatusCode::OK, body)
}

/// `POST /api/rest/{version}/workflow/transit/{workflowItemId}/{transition}`.
pub(crate) async fn transit(
    State(s): State<Arc<Shared>>,
    Path((version, item, transition)): Path<(String, String, String)>,
) -> Response {
    // routing.yml: workflowItemId must be digits, else no route matches.
    let (true, Some(item)) = (version_ok(&version), numeric_plain(&item)) else {
        return not_found();
    };
    let transition = transition
        .strip_suffix(".json")
        .unwrap_or(&transition)
        .to_string();
    let mut d = s.data.lock().expect("data");
    // The item is resolved (MapEntity) before the transition is looked at.
    let Some(task) = d.task_flow.task_of(item) else {
        return not_found();
    };
    match apply_transition(&mut d, task, &transition) {
        Ok(()) => plain(
            StatusCode::OK,
            json!({"workflowItem": {
                "id": item,
                "workflow_name": WORKFLOW,
                "entity_id": task.to_string(),
                "entity_class": TASK_CLASS,
                "result": null,
            }}),
        ),
        Err((status, message)) => plain(status, json!({ "message": message })),
    }
}

fn numeric_plain(id: &str) -> Option<u64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Run a transition on a task (Workflow::executeAndLogTransit): the
/// transition must exist and the current step must allow it (400), the
/// user's role must be granted it (`Transition::transit` →
/// `IsGrantedWorkflowTransition`, else ForbiddenTransitionException: 403
/// "Could not perform transition …" with the transition's label, platform
/// `messages.en.yml`); the status (and `updatedAt`) change as the
/// transition's action sets them.
fn apply_transition(
    d: &mut FakeData,
    task: u64,
    transition: &str,
) -> Result<(), (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let Some((_, to, label)) = TRANSITIONS.iter().find(|t| t.0 == transition) else {
        // InvalidTransitionException::unknownTransition
        return Err(bad(format!(
            "Transition \"{transition}\" is not exist in workflow."
        )));
    };
    let step = d.task_status(task).unwrap_or_else(|| "open".into());
    let allowed = STEPS
        .iter()
        .find(|s| s.0 == step)
        .is_some_and(|s| s.2.contains(&transition));
    if !allowed {
        // InvalidTransitionException::stepHasNoAllowedTransition
        return Err(bad(format!(
            "Step \"{step}\" of workflow \"{WORKFLOW}\" doesn't have allowed transition \"{transition}\"."
        )));
    }
    if d.task_flow.forbidden.contains(transition) {
        return Err((
            StatusCode::FORBIDDEN,
            format!("Could not perform transition \"{label}\"."),
        ));
    }
    d.user_edit(TASKS, task, |r| {
        r.relationships.insert(
            "status".into(),
            Some(("taskstatuses".into(), (*to).to_string())),
        );
    });
    d.writes.updated += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_allows_only_its_transitions() {
        let mut f = TaskFlow::new(true);
        f.start(5);
        assert_eq!(f.item_of(5), Some(101));
        assert_eq!(f.task_of(101), Some(5));
        assert_eq!(f.refuse_create("in_progress"), Some(CREATE_REFUSED));
        assert_eq!(f.refuse_create("open"), None);
        assert_eq!(f.refuse_update(5, "open", "closed"), Some(UPDATE_REFUSED));
        assert_eq!(f.refuse_update(5, "open", "open"), None);
        f.set_active(false);
        assert_eq!(f.item_of(5), None);
        assert_eq!(f.refuse_create("closed"), None);
        assert_eq!(f.refuse_update(5, "open", "closed"), None);
    }
}
