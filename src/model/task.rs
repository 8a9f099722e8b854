//! Tasks: Oro `tasks` ↔ Microsoft To Do `todoTask` (default list).

use super::{Field, Value};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Oro's task priorities (`taskpriorities` ids) = To Do's importance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }
    pub fn parse(s: &str) -> Option<Priority> {
        match s {
            "low" => Some(Priority::Low),
            "normal" => Some(Priority::Normal),
            "high" => Some(Priority::High),
            _ => None,
        }
    }
}

/// Oro's task statuses (`taskstatuses` ids). To Do's `notStarted` is open,
/// `inProgress`, `waitingOnOthers` and `deferred` are in progress,
/// `completed` is closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    #[default]
    Open,
    InProgress,
    Closed,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<TaskStatus> {
        match s {
            "open" => Some(TaskStatus::Open),
            "in_progress" => Some(TaskStatus::InProgress),
            "closed" => Some(TaskStatus::Closed),
            _ => None,
        }
    }
    /// To Do's `status` for this Oro status.
    pub fn to_todo(self) -> &'static str {
        match self {
            TaskStatus::Open => "notStarted",
            TaskStatus::InProgress => "inProgress",
            TaskStatus::Closed => "completed",
        }
    }
    pub fn from_todo(s: &str) -> Option<TaskStatus> {
        match s {
            "notStarted" => Some(TaskStatus::Open),
            "inProgress" | "waitingOnOthers" | "deferred" => Some(TaskStatus::InProgress),
            "completed" => Some(TaskStatus::Closed),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub subject: String,
    pub description: Option<String>,
    pub priority: Priority,
    pub status: TaskStatus,
    /// The due date as a calendar date: To Do drops the time of day, and Oro's
    /// datetime is read as its date in the user's zone (docs/fidelity.md).
    pub due_date: Option<NaiveDate>,
}

impl Task {
    pub fn value(&self, field: Field) -> Value {
        match field {
            Field::Subject => Value::text(Some(&self.subject)),
            Field::Description => Value::text(self.description.as_deref()),
            Field::TaskPriority => Value::Text(self.priority.as_str().into()),
            Field::Status => Value::Text(self.status.as_str().into()),
            Field::DueDate => self.due_date.map(Value::Date).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }
}
