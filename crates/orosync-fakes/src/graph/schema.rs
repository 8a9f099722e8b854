//! The properties each Graph type has, so the fake refuses a write that
//! names one the type lacks, as Graph does (400 `RequestBodyRead`, "The
//! property '…' does not exist on type …"): a misspelt field would
//! otherwise be stored by the fake and silently dropped by Graph.
//!
//! From the v1.0 CSDL (microsoftgraph/msgraph-metadata
//! `clean_v10_metadata/cleanMetadata.xml`: EntityTypes entity, outlookItem,
//! contact, event, todoTask, linkedResource) and the resource pages of
//! microsoft-graph-docs-contrib (`api-reference/v1.0/resources/contact.md`,
//! `event.md`, `todotask.md`, `linkedresource.md`), navigation properties
//! included (they may be given inline on create).

use crate::Resource;
use serde_json::{Map, Value};

/// entity + outlookItem.
const OUTLOOK_ITEM: &[&str] = &[
    "id",
    "categories",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
];

const CONTACT: &[&str] = &[
    "assistantName",
    "birthday",
    "businessAddress",
    "businessHomePage",
    "businessPhones",
    "children",
    "companyName",
    "department",
    "displayName",
    "emailAddresses",
    "fileAs",
    "generation",
    "givenName",
    "homeAddress",
    "homePhones",
    "imAddresses",
    "initials",
    "jobTitle",
    "manager",
    "middleName",
    "mobilePhone",
    "nickName",
    "officeLocation",
    "otherAddress",
    "parentFolderId",
    "personalNotes",
    "primaryEmailAddress",
    "secondaryEmailAddress",
    "tertiaryEmailAddress",
    "profession",
    "spouseName",
    "surname",
    "title",
    "yomiCompanyName",
    "yomiGivenName",
    "yomiSurname",
    // Navigation properties.
    "extensions",
    "multiValueExtendedProperties",
    "photo",
    "singleValueExtendedProperties",
];

const EVENT: &[&str] = &[
    "allowNewTimeProposals",
    "attendees",
    "body",
    "bodyPreview",
    "end",
    "hasAttachments",
    "hideAttendees",
    "iCalUId",
    "importance",
    "isAllDay",
    "isCancelled",
    "isDraft",
    "isOnlineMeeting",
    "isOrganizer",
    "isReminderOn",
    "location",
    "locations",
    "onlineMeeting",
    "onlineMeetingProvider",
    "onlineMeetingUrl",
    "organizer",
    "originalEndTimeZone",
    "originalStart",
    "originalStartTimeZone",
    "recurrence",
    "reminderMinutesBeforeStart",
    "responseRequested",
    "responseStatus",
    "sensitivity",
    "seriesMasterId",
    "showAs",
    "start",
    "subject",
    "transactionId",
    "type",
    "webLink",
    // Navigation properties.
    "attachments",
    "calendar",
    "extensions",
    "instances",
    "multiValueExtendedProperties",
    "singleValueExtendedProperties",
];

/// todoTask is an entity, not an outlookItem (no changeKey, no categories
/// of outlookItem's; categories is its own).
const TODO_TASK: &[&str] = &[
    "id",
    "body",
    "bodyLastModifiedDateTime",
    "categories",
    "completedDateTime",
    "createdDateTime",
    "dueDateTime",
    "hasAttachments",
    "importance",
    "isReminderOn",
    "lastModifiedDateTime",
    "recurrence",
    "reminderDateTime",
    "startDateTime",
    "status",
    "title",
    // Navigation properties.
    "attachments",
    "attachmentSessions",
    "checklistItems",
    "extensions",
    "linkedResources",
];

const LINKED_RESOURCE: &[&str] = &[
    "id",
    "applicationName",
    "displayName",
    "externalId",
    "webUrl",
];

/// ComplexType physicalAddress (CSDL; `resources/physicaladdress.md`): the
/// value of a contact's businessAddress, homeAddress and otherAddress.
const PHYSICAL_ADDRESS: &[&str] = &["city", "countryOrRegion", "postalCode", "state", "street"];
const CONTACT_ADDRESSES: &[&str] = &["businessAddress", "homeAddress", "otherAddress"];

/// The type's name as Graph's message gives it, and its properties.
fn of(kind: Resource) -> (&'static str, Vec<&'static str>) {
    match kind {
        Resource::Contacts => ("microsoft.graph.contact", [OUTLOOK_ITEM, CONTACT].concat()),
        Resource::Events => ("microsoft.graph.event", [OUTLOOK_ITEM, EVENT].concat()),
        Resource::Tasks => ("microsoft.graph.todoTask", TODO_TASK.to_vec()),
    }
}

fn unknown(body: &Map<String, Value>, type_name: &str, known: &[&str]) -> Result<(), String> {
    // Property names are matched exactly: OData is case-sensitive.
    // Instance annotations (`@odata.type`) are not properties.
    match body
        .keys()
        .find(|k| !k.starts_with('@') && !known.contains(&k.as_str()))
    {
        Some(k) => Err(format!(
            "The property '{k}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
        )),
        None => Ok(()),
    }
}

/// `Err` with Graph's message when the body names a property `kind`'s type
/// does not have (a task's inline linkedResources are checked too).
pub fn check(kind: Resource, body: &Map<String, Value>) -> Result<(), String> {
    let (name, known) = of(kind);
    unknown(body, name, &known)?;
    if kind == Resource::Contacts {
        for a in CONTACT_ADDRESSES {
            check_physical_address(body.get(*a))?;
        }
    }
    if let Some(Value::Array(l)) = body.get("linkedResources") {
        for r in l {
            check_linked_resource(r)?;
        }
    }
    Ok(())
}

/// A physicalAddress names only its five properties (`country` is not
/// `countryOrRegion`), each a string or null (Edm.String).
fn check_physical_address(v: Option<&Value>) -> Result<(), String> {
    match v {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(m)) => {
            unknown(m, "microsoft.graph.physicalAddress", PHYSICAL_ADDRESS)?;
            match m
                .iter()
                .find(|(k, v)| !(k.starts_with('@') || v.is_string() || v.is_null()))
            {
                Some((k, v)) => Err(format!(
                    "Cannot convert the literal '{v}' to the expected type 'Edm.String' of '{k}'."
                )),
                None => Ok(()),
            }
        }
        Some(other) => Err(format!(
            "Cannot convert the literal '{other}' to the expected type 'microsoft.graph.physicalAddress'."
        )),
    }
}

/// The same for a linkedResource written on its own.
pub fn check_linked_resource(r: &Value) -> Result<(), String> {
    match r {
        Value::Object(m) => unknown(m, "microsoft.graph.linkedResource", LINKED_RESOURCE),
        _ => Err("A linkedResource must be an object.".into()),
    }
}

/// `Err` with Graph's message when a value cannot be read as its
/// property's type: an enum member the enum lacks (`importance`, `status`,
/// `body.contentType`: CSDL EnumTypes importance, taskStatus, bodyType) or
/// a contact `birthday` that is not an Edm.DateTimeOffset (a date without a
/// time and offset is refused; contact.md: "birthday: DateTimeOffset").
pub fn check_values(kind: Resource, body: &Map<String, Value>) -> Result<(), String> {
    let member = |prop: &str, enum_type: &str, members: &[&str], v: Option<&Value>| match v {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if members.contains(&s.as_str()) => Ok(()),
        Some(other) => Err(format!(
            "Cannot convert the literal '{}' to the expected type '{enum_type}' of '{prop}'.",
            other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string)
        )),
    };
    // Enum members are matched as written: Graph reads them case-sensitively.
    member(
        "body.contentType",
        "microsoft.graph.bodyType",
        &["text", "html"],
        body.get("body").and_then(|b| b.get("contentType")),
    )?;
    match kind {
        Resource::Tasks => {
            member(
                "importance",
                "microsoft.graph.importance",
                &["low", "normal", "high"],
                body.get("importance"),
            )?;
            member(
                "status",
                "microsoft.graph.taskStatus",
                &[
                    "notStarted",
                    "inProgress",
                    "completed",
                    "waitingOnOthers",
                    "deferred",
                ],
                body.get("status"),
            )?;
        }
        Resource::Contacts => {
            match body.get("birthday") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {}
                Some(other) => {
                    return Err(format!(
                    "Cannot convert the literal '{}' to the expected type 'Edm.DateTimeOffset'.",
                    other.as_str().map_or_else(|| other.to_string(), str::to_string)
                ))
                }
            }
        }
        Resource::Events => {}
    }
    Ok(())
}
