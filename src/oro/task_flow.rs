//! A task's status, moved the way Oro allows it. OroCRM's `task_flow`
//! workflow (active by default) refuses any write of the status field on a
//! task it manages, and refuses a create with another status than `open`;
//! the status moves only through the workflow's transitions, on the legacy
//! REST API (docs/fidelity.md, "Oro: task workflow").
//!
//! So tasks are created as `open` and updates keep Oro's status; then
//! [`OroClient::task_move_status`] asks Oro for the task's workflow item
//! (`GET /api/rest/latest/tasks/{id}`, field `workflowItem`) and runs the
//! transitions that lead to the wanted status, or writes the status field
//! where the task has no workflow item.
//!
//! Why the workflow item and not "try the field, fall back on a refusal":
//! Oro restricts an existing task's status exactly when the task has a
//! workflow item (the restrictions hang on the item's step), so the item
//! says it per task, also where an admin deactivated the workflow (its items
//! are deleted) or activated it after the task existed (no item is made for
//! old tasks). A refusal is worded in the user's language and refuses the
//! whole request, so it would have to be recognised and the rest sent again.

use super::error::from_status;
use super::http::{Retry, JSON, JSON_API};
use super::{esc, OroClient};
use crate::model::{Item, Kind, OroRecord, TaskStatus};
use crate::sides::{StoreError, StoreResult};
use reqwest::Method;
use serde_json::{json, Value};

/// The transitions from one status to another, as task_flow's steps allow
/// them (OROCRMTaskBundle `Resources/config/oro/workflows/task_flow/steps.yml`:
/// open → start_progress, close; in_progress → stop_progress, close;
/// closed → reopen; `transitions.yml`: the step each leads to).
pub(crate) fn transitions(from: TaskStatus, to: TaskStatus) -> &'static [&'static str] {
    use TaskStatus::*;
    match (from, to) {
        (Open, InProgress) => &["start_progress"],
        (Open, Closed) | (InProgress, Closed) => &["close"],
        (InProgress, Open) => &["stop_progress"],
        (Closed, Open) => &["reopen"],
        // A closed task has one way out: reopened, then started.
        (Closed, InProgress) => &["reopen", "start_progress"],
        (Open, Open) | (InProgress, InProgress) | (Closed, Closed) => &[],
    }
}

fn status_of(rec: &OroRecord) -> StoreResult<TaskStatus> {
    match &rec.item {
        Item::Tasks(t) => Ok(t.status),
        _ => Err(StoreError::Malformed(format!("{} is not a task", rec.id))),
    }
}

impl OroClient {
    /// The task's workflow item id, or `None` when no workflow manages the
    /// task (`NotFound` when the task is gone).
    async fn task_workflow_item(&self, id: &str) -> StoreResult<Option<String>> {
        let what = format!("tasks {id}");
        let r = self
            .send(
                Method::GET,
                &format!("/api/rest/latest/tasks/{}", esc(id)),
                None,
                JSON,
                Retry::Idempotent,
            )
            .await?;
        if !r.status.is_success() {
            return Err(from_status(r.status, &r.body, &what));
        }
        let v: Value = serde_json::from_slice(&r.body)
            .map_err(|e| StoreError::Malformed(format!("{what}: not JSON: {e}")))?;
        match v.get("workflowItem") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(StoreError::Malformed(format!(
                "{what}: workflowItem is not an id: {other}"
            ))),
        }
    }

    /// One transition of a workflow item. Sent once: a transition that may
    /// have landed is not repeated (the next run reads the status again and
    /// moves on from where Oro is).
    async fn task_transit(&self, id: &str, item: &str, transition: &str) -> StoreResult<()> {
        let r = self
            .send(
                Method::POST,
                &format!(
                    "/api/rest/latest/workflow/transit/{}/{}",
                    esc(item),
                    esc(transition)
                ),
                None,
                JSON,
                Retry::Create,
            )
            .await?;
        if r.status.is_success() {
            return Ok(());
        }
        let refused = |m: String| {
            StoreError::Rejected(format!(
                "Oro refused the status change of task {id} ({transition}): {m}"
            ))
        };
        // A 403 here is the workflow refusing this transition to the user's
        // role (ForbiddenTransitionException), about this task only: the
        // credentials were accepted (401 stays an authentication failure).
        if r.status.as_u16() == 403 {
            let m = super::error::reason(&r.body).unwrap_or_else(|| "forbidden".into());
            return Err(refused(m));
        }
        Err(
            match from_status(r.status, &r.body, &format!("tasks {id}")) {
                StoreError::Rejected(m) => refused(m),
                e => e,
            },
        )
    }

    /// Move task `id` to status `to` from wherever Oro has it now: through
    /// the workflow's transitions when the task has a workflow item, by
    /// writing the field otherwise. Returns the task as Oro holds it after.
    pub(crate) async fn task_move_status(
        &self,
        id: &str,
        to: TaskStatus,
    ) -> StoreResult<OroRecord> {
        let gone = || StoreError::NotFound(format!("tasks {id}"));
        let now = self.resource_get(Kind::Tasks, id).await?.ok_or_else(gone)?;
        let from = status_of(&now)?;
        if from == to {
            return Ok(now);
        }
        match self.task_workflow_item(id).await? {
            Some(item) => {
                for t in transitions(from, to) {
                    self.task_transit(id, &item, t).await?;
                }
                self.resource_get(Kind::Tasks, id).await?.ok_or_else(gone)
            }
            None => {
                let doc = json!({"data": {
                    "type": "tasks",
                    "id": id,
                    "relationships": {"status": {"data": {"type": "taskstatuses", "id": to.as_str()}}},
                }});
                let body =
                    serde_json::to_vec(&doc).map_err(|e| StoreError::Malformed(e.to_string()))?;
                let r = self
                    .send(
                        Method::PATCH,
                        &format!("/api/tasks/{}", esc(id)),
                        Some((JSON_API, body)),
                        JSON_API,
                        Retry::Idempotent,
                    )
                    .await?;
                if !r.status.is_success() {
                    return Err(from_status(r.status, &r.body, &format!("tasks {id}")));
                }
                self.resource_get(Kind::Tasks, id).await?.ok_or_else(gone)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    #[test]
    fn each_status_is_reached_by_the_steps_allowed_transitions() {
        assert_eq!(transitions(Open, InProgress), ["start_progress"]);
        assert_eq!(transitions(Open, Closed), ["close"]);
        assert_eq!(transitions(InProgress, Open), ["stop_progress"]);
        assert_eq!(transitions(InProgress, Closed), ["close"]);
        assert_eq!(transitions(Closed, Open), ["reopen"]);
        assert_eq!(
            transitions(Closed, InProgress),
            ["reopen", "start_progress"]
        );
        assert!(transitions(Closed, Closed).is_empty());
    }
}
