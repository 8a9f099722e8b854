//! JSON `$batch`: up to 20 requests in one POST, members retried one by one.
//!
//! A member that answered 429 or 503 was not applied, so only those are
//! sent again (after the longest Retry-After among them, or backoff); every
//! other member's answer is final, so no write is ever applied twice. A
//! throttled batch as a whole (429/503 on the POST itself) was not executed
//! and is sent again as a whole by [`GraphClient::send`]; a batch whose
//! answer was lost (dropped connection) is not resent, its writes fail as
//! `Unavailable` and the engine retries them on the next run.

use super::error::{is_refusal, is_transient, to_store_error};
use super::mapping::{task_link, TASK_APP};
use super::{enc, item_of_kind, item_url_in, GraphClient, PREFER_READ};
use crate::clock::Clock;
use crate::model::{Item, Kind, OutlookItem};
use crate::sides::{OutlookWrite, StoreError, StoreResult, WriteResult};
use reqwest::Method;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// Graph takes at most 20 requests per `$batch`.
pub const BATCH_MAX: usize = 20;

/// One request inside a batch; `url` is relative to the Graph base (`/me/...`).
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub method: &'static str,
    pub url: String,
    pub body: Option<Value>,
    pub prefer: Option<&'static str>,
}

impl Member {
    pub fn get(url: String, prefer: Option<&'static str>) -> Member {
        Member {
            method: "GET",
            url,
            body: None,
            prefer,
        }
    }
}

/// A `$batch` request body.
#[derive(serde::Serialize)]
struct BatchRequest<'a> {
    requests: Vec<MemberRequest<'a>>,
}

/// One member as sent: `{"id", "method", "url", "headers"?, "body"?}`.
#[derive(serde::Serialize)]
struct MemberRequest<'a> {
    id: String,
    method: &'static str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<std::collections::BTreeMap<&'static str, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
}

/// A member's final answer.
#[derive(Clone, Debug)]
pub(crate) struct MemberResp {
    pub status: u16,
    pub body: Value,
}

impl MemberResp {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn member_retry_after(r: &Value) -> Option<Duration> {
    let h = r.get("headers")?.as_object()?;
    let (_, v) = h
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?;
    // Seconds (as a number or a string) or an HTTP-date; a member has no
    // Date of its own, so a date is read against our clock.
    match v.as_u64() {
        Some(secs) => Some(Duration::from_secs(secs)),
        None => crate::net::retry_after::parse(v.as_str()?, crate::clock::SystemClock.now()),
    }
}

/// A `$batch` answer's member answers by member id, moved out of the
/// answer, not copied. A repeated id: the first answer counts.
pub(crate) fn answers_by_id(body: &mut Value) -> HashMap<String, Value> {
    match body.get_mut("responses").map(Value::take) {
        Some(Value::Array(a)) => a
            .into_iter()
            .filter_map(|a| Some((a.get("id").and_then(Value::as_str)?.to_string(), a)))
            .fold(HashMap::new(), |mut m, (id, a)| {
                m.entry(id).or_insert(a);
                m
            }),
        _ => HashMap::new(),
    }
}

/// One member's answer as read from a `$batch` answer.
#[derive(Debug)]
pub(crate) struct MemberAnswer {
    pub status: u16,
    /// What its `Retry-After` header asks, if anything.
    pub retry_after: Option<Duration>,
    pub body: Value,
}

/// Member `i`'s answer (`None`: the `$batch` answer left it out).
pub(crate) fn read_member(i: usize, answer: Option<Value>) -> StoreResult<MemberAnswer> {
    let Some(mut a) = answer else {
        return Err(StoreError::Malformed(format!(
            "$batch answer without member {i}"
        )));
    };
    let status = a.get("status").and_then(Value::as_u64).unwrap_or(0);
    // Not an HTTP status: a member that cannot be read (a status past u16
    // would otherwise wrap to a plausible one).
    if !(100..=599).contains(&status) {
        return Err(StoreError::Malformed(format!(
            "$batch member {i} without a status"
        )));
    }
    Ok(MemberAnswer {
        status: status as u16,
        retry_after: member_retry_after(&a),
        body: a.get_mut("body").map(Value::take).unwrap_or(Value::Null),
    })
}

impl GraphClient {
    /// Run `members` in batches of [`BATCH_MAX`], one batch at a time (the
    /// mailbox allows 4 concurrent requests and Graph already runs a batch's
    /// members 4 at a time). Answers come back in the order of `members`.
    pub(crate) async fn batch(&self, members: Vec<Member>) -> Vec<StoreResult<MemberResp>> {
        let mut out: Vec<Option<StoreResult<MemberResp>>> = vec![None; members.len()];
        let mut pending: Vec<usize> = (0..members.len()).collect();
        let mut attempt = 0u32;
        while !pending.is_empty() {
            let mut again = Vec::new();
            let mut wait: Option<Duration> = None;
            for chunk in pending.chunks(BATCH_MAX) {
                // Serialized from borrowed members: the bodies are not
                // copied into a request tree first.
                let requests: Vec<MemberRequest> = chunk
                    .iter()
                    .map(|&i| {
                        let m = &members[i];
                        let mut headers = std::collections::BTreeMap::new();
                        if let Some(p) = m.prefer {
                            headers.insert("Prefer", p);
                        }
                        if m.body.is_some() {
                            headers.insert("Content-Type", "application/json");
                        }
                        MemberRequest {
                            id: i.to_string(),
                            method: m.method,
                            url: &m.url,
                            headers: (!headers.is_empty()).then_some(headers),
                            body: m.body.as_ref(),
                        }
                    })
                    .collect();
                let reads_only = chunk.iter().all(|&i| members[i].method == "GET");
                let sent = self
                    .send(
                        Method::POST,
                        "/$batch",
                        Some(&BatchRequest { requests }),
                        None,
                        reads_only,
                    )
                    .await;
                let mut resp = match sent {
                    Ok(r) if r.ok() => r,
                    Ok(r) => {
                        let e = to_store_error(r.status, &r.body, "POST /$batch");
                        for &i in chunk {
                            out[i] = Some(Err(e.clone()));
                        }
                        continue;
                    }
                    Err(e) => {
                        for &i in chunk {
                            out[i] = Some(Err(e.clone()));
                        }
                        continue;
                    }
                };
                let mut answers = answers_by_id(&mut resp.body);
                for &i in chunk {
                    let a = match read_member(i, answers.remove(&i.to_string())) {
                        Ok(a) => a,
                        Err(e) => {
                            out[i] = Some(Err(e));
                            continue;
                        }
                    };
                    // Reads may be retried on any transient answer; writes
                    // only when refused (429/503), so none is applied twice.
                    let retry = if members[i].method == "GET" {
                        is_transient(a.status)
                    } else {
                        is_refusal(a.status)
                    };
                    if retry && attempt + 1 < self.config().max_attempts {
                        again.push(i);
                        wait = wait.max(a.retry_after);
                        continue;
                    }
                    out[i] = Some(Ok(MemberResp {
                        status: a.status,
                        body: a.body,
                    }));
                }
            }
            if !again.is_empty() {
                attempt += 1;
                tokio::time::sleep(self.wait(attempt, wait)).await;
            }
            pending = again;
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Err(StoreError::Malformed("lost $batch member".into()))))
            .collect()
    }
}

/// What happens to one write beyond its first request.
struct Plan {
    /// The item's id once known (given for updates, from the answer for creates).
    id: Option<String>,
    /// The link as written, to report without reading it back.
    link: Option<String>,
    /// Gender and fax as written (contacts), for the same reason.
    item: Option<Item>,
    /// Read the item back to learn what we did not write ourselves.
    hydrate: bool,
    /// Tasks: stamp this Oro id as a linkedResource after the update.
    task_link: Option<String>,
}

/// Apply writes of one kind; answers in the order of `writes`.
pub(super) async fn write(
    c: &GraphClient,
    kind: Kind,
    writes: Vec<OutlookWrite>,
) -> Vec<WriteResult> {
    let n = writes.len();
    if n == 0 {
        return vec![];
    }
    let mut results: Vec<Option<WriteResult>> = vec![None; n];
    let collection = match c.collection(kind).await {
        Ok(p) => p,
        Err(e) => return vec![Err(e); n],
    };
    let prefer = (kind == Kind::Events).then_some(PREFER_READ);
    let mapper = c.mapper().clone();

    // Phase 1: the writes themselves.
    let mut plans: Vec<Plan> = Vec::with_capacity(n);
    let mut members = Vec::new();
    let mut member_of: Vec<Option<usize>> = vec![None; n];
    for (i, w) in writes.into_iter().enumerate() {
        let (member, plan) = match w {
            OutlookWrite::Create { item, link } => {
                if let Err(e) = item_of_kind(kind, Some(&item)) {
                    results[i] = Some(Err(e));
                    plans.push(Plan {
                        id: None,
                        link: None,
                        item: None,
                        hydrate: false,
                        task_link: None,
                    });
                    continue;
                }
                let body = mapper.write_body(Some(&item), Some(&link), true);
                (
                    Some(Member {
                        method: "POST",
                        url: collection.clone(),
                        body: Some(body),
                        prefer,
                    }),
                    Plan {
                        id: None,
                        link: Some(link),
                        item: Some(item),
                        hydrate: false,
                        task_link: None,
                    },
                )
            }
            OutlookWrite::Update { id, item, link } => {
                if let Err(e) = item_of_kind(kind, item.as_ref()) {
                    results[i] = Some(Err(e));
                    plans.push(Plan {
                        id: None,
                        link: None,
                        item: None,
                        hydrate: false,
                        task_link: None,
                    });
                    continue;
                }
                let url = format!("{collection}/{}", enc(&id));
                let is_task = kind == Kind::Tasks;
                // A task's link is a linkedResource of its own, not a field.
                let inline_link = if is_task { None } else { link.as_deref() };
                let body = mapper.write_body(item.as_ref(), inline_link, false);
                let empty = body.as_object().is_none_or(|m| m.is_empty());
                let hydrate = is_task
                    || link.is_none()
                    || (kind == Kind::Contacts && item.is_none())
                    || empty;
                (
                    (!empty).then_some(Member {
                        method: "PATCH",
                        url,
                        body: Some(body),
                        prefer,
                    }),
                    Plan {
                        id: Some(id),
                        link: if is_task { None } else { link.clone() },
                        item,
                        hydrate,
                        task_link: if is_task { link } else { None },
                    },
                )
            }
            OutlookWrite::Delete { id } => (
                Some(Member {
                    method: "DELETE",
                    url: format!("{collection}/{}", enc(&id)),
                    body: None,
                    prefer: None,
                }),
                Plan {
                    id: Some(id),
                    link: None,
                    item: None,
                    hydrate: false,
                    task_link: None,
                },
            ),
        };
        if let Some(m) = member {
            member_of[i] = Some(members.len());
            members.push(m);
        }
        plans.push(plan);
    }
    let methods: Vec<&'static str> = members.iter().map(|m| m.method).collect();
    let answers = c.batch(members).await;

    let mut read: Vec<Option<OutlookItem>> = vec![None; n];
    for i in 0..n {
        if results[i].is_some() {
            continue;
        }
        let Some(m) = member_of[i] else { continue };
        let what = format!("{} {kind}", methods[m]);
        match &answers[m] {
            Err(e) => results[i] = Some(Err(e.clone())),
            Ok(a) if methods[m] == "DELETE" => {
                // Already gone is as good as deleted.
                results[i] = Some(if a.ok() || a.status == 404 {
                    Ok(None)
                } else {
                    Err(to_store_error(a.status, &a.body, &what))
                });
            }
            Ok(a) if a.ok() => match mapper.read(kind, &a.body) {
                Ok(mut it) => {
                    plans[i].id = Some(it.id.clone());
                    if plans[i].link.is_some() {
                        it.link = plans[i].link.clone();
                    }
                    // Graph does not echo extended properties: report the
                    // gender and fax we wrote.
                    if let (Item::Contacts(got), Some(Item::Contacts(sent))) =
                        (&mut it.item, &plans[i].item)
                    {
                        got.gender = sent.gender;
                        got.fax = sent.fax.clone();
                    }
                    read[i] = Some(it);
                }
                Err(e) => results[i] = Some(Err(e)),
            },
            Ok(a) => results[i] = Some(Err(to_store_error(a.status, &a.body, &what))),
        }
    }

    // Phase 2: read back what the answers could not tell (a link we did
    // not write, a task's linkedResources).
    let mut raw: Vec<Option<Value>> = vec![None; n];
    let need: Vec<usize> = (0..n)
        .filter(|&i| results[i].is_none() && plans[i].hydrate && plans[i].id.is_some())
        .collect();
    if !need.is_empty() {
        let members = need
            .iter()
            .map(|&i| {
                let id = plans[i].id.as_deref().unwrap_or_default();
                Member::get(item_url_in(&collection, kind, id), prefer)
            })
            .collect();
        let answers = c.batch(members).await;
        for (k, &i) in need.iter().enumerate() {
            match &answers[k] {
                Ok(a) if a.ok() => match mapper.read(kind, &a.body) {
                    Ok(it) => {
                        read[i] = Some(it);
                        raw[i] = Some(a.body.clone());
                    }
                    Err(e) => results[i] = Some(Err(e)),
                },
                Ok(a) if a.status == 404 => {
                    results[i] = Some(Err(StoreError::NotFound(format!(
                        "{kind} {}",
                        plans[i].id.as_deref().unwrap_or("")
                    ))))
                }
                Ok(a) => {
                    results[i] = Some(Err(to_store_error(
                        a.status,
                        &a.body,
                        &format!("GET {kind}"),
                    )))
                }
                Err(e) => results[i] = Some(Err(e.clone())),
            }
        }
    }

    // Phase 3: tasks' links, as linkedResources (patched when one of ours
    // is there with another id, added otherwise).
    let mut link_members = Vec::new();
    let mut link_of = Vec::new();
    for i in 0..n {
        let (Some(link), Some(v), None) = (&plans[i].task_link, &raw[i], &results[i]) else {
            continue;
        };
        if task_link(v).as_deref() == Some(link.as_str()) {
            continue;
        }
        let task_url = format!("{collection}/{}", enc(plans[i].id.as_deref().unwrap_or("")));
        let ours = v
            .get("linkedResources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("applicationName").and_then(Value::as_str) == Some(TASK_APP))
            .and_then(|r| r.get("id").and_then(Value::as_str));
        let member = match ours {
            Some(lr) => Member {
                method: "PATCH",
                url: format!("{task_url}/linkedResources/{}", enc(lr)),
                body: Some(mapper.linked_resource(link)),
                prefer: None,
            },
            None => Member {
                method: "POST",
                url: format!("{task_url}/linkedResources"),
                body: Some(mapper.linked_resource(link)),
                prefer: None,
            },
        };
        link_members.push(member);
        link_of.push(i);
    }
    if !link_members.is_empty() {
        let answers = c.batch(link_members).await;
        for (k, &i) in link_of.iter().enumerate() {
            match &answers[k] {
                Ok(a) if a.ok() => {
                    if let Some(it) = read[i].as_mut() {
                        it.link = plans[i].task_link.clone();
                    }
                }
                Ok(a) => {
                    results[i] = Some(Err(to_store_error(a.status, &a.body, "stamp task link")))
                }
                Err(e) => results[i] = Some(Err(e.clone())),
            }
        }
    }

    results
        .into_iter()
        .zip(read)
        .map(|(r, it)| match r {
            Some(r) => r,
            None => it
                .map(|i| Ok(Some(i)))
                .unwrap_or_else(|| Err(StoreError::Malformed("write without an answer".into()))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_member_status_that_is_no_http_status_is_malformed_not_wrapped() {
        // 65736 would wrap to 200 as a u16: a broken answer read as success.
        for status in [
            json!(65736),
            json!(0),
            json!(99),
            json!(600),
            json!("200"),
            json!(null),
        ] {
            let a = json!({"id": "0", "status": status, "body": {"id": "x"}});
            match read_member(0, Some(a)) {
                Err(StoreError::Malformed(m)) => assert!(m.contains("member 0"), "{m}"),
                other => panic!("{status}: {other:?}"),
            }
        }
        let a = read_member(
            0,
            Some(json!({"id": "0", "status": 201, "body": {"id": "x"}})),
        )
        .unwrap();
        assert_eq!((a.status, a.body["id"].as_str()), (201, Some("x")));
    }

    #[test]
    fn a_member_left_out_of_the_answer_and_a_repeated_id() {
        let mut body = json!({"responses": [
            {"id": "1", "status": 200, "body": 1},
            {"id": "1", "status": 500, "body": 2},
            {"id": "2", "status": 429, "headers": {"Retry-After": "7"}}
        ]});
        let mut by_id = answers_by_id(&mut body);
        assert!(matches!(
            read_member(0, by_id.remove("0")),
            Err(StoreError::Malformed(_))
        ));
        let first = read_member(1, by_id.remove("1")).unwrap();
        assert_eq!(
            (first.status, first.body),
            (200, json!(1)),
            "the first answer of an id counts"
        );
        let throttled = read_member(2, by_id.remove("2")).unwrap();
        assert_eq!(throttled.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(throttled.body, Value::Null);
    }
}
