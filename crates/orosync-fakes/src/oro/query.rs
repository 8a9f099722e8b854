//! The fake's JSON:API list parameters: `filter[...]` with operators,
//! `page[...]`, `sort`, `fields[...]`, `include`.

use super::data::{FakeRecord, CONTACTS, TASKS};
use super::validate::{param, ApiErr};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    pub(super) fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            _ => return None,
        })
    }
    pub(super) fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
        }
    }

    pub(super) fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Eq => o == Ordering::Equal,
            Op::Neq => o != Ordering::Equal,
            Op::Gt => o == Ordering::Greater,
            Op::Gte => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Lte => o != Ordering::Greater,
        }
    }
}

enum Filter {
    Id(Op, Vec<(u64, u64)>),
    /// On `updatedAt`, the one datetime filter Oro offers here.
    UpdatedAt(Op, DateTime<Utc>),
    Rel(String, Vec<String>),
}

impl Filter {
    fn matches(&self, r: &FakeRecord) -> bool {
        match self {
            Filter::Id(op, ranges) => {
                let hit = |(a, b): &(u64, u64)| match op {
                    Op::Eq => r.id >= *a && r.id <= *b,
                    _ => op.holds(r.id.cmp(a)),
                };
                if *op == Op::Neq {
                    ranges.iter().all(hit)
                } else {
                    ranges.iter().any(hit)
                }
            }
            Filter::UpdatedAt(op, t) => op.holds(r.updated_at.cmp(t)),
            Filter::Rel(name, ids) => r.rel(name).is_some_and(|id| ids.iter().any(|x| x == id)),
        }
    }
}

pub(super) struct ListQuery {
    filters: Vec<Filter>,
    pub(super) size: Option<usize>,
    pub(super) number: usize,
    pub(super) sort: Vec<(String, bool)>,
    pub(super) fields: Option<Vec<String>>,
    pub(super) include: Vec<String>,
}

impl ListQuery {
    /// The smallest id that can pass the id filters (`gt`/`gte` on one
    /// id), so a listing walked by id starts there instead of at the first
    /// record (the client pages its id listing this way).
    pub(super) fn min_id(&self) -> u64 {
        self.filters
            .iter()
            .filter_map(|f| match f {
                Filter::Id(Op::Gt, r) if r.len() == 1 => Some(r[0].0.saturating_add(1)),
                Filter::Id(Op::Gte, r) if r.len() == 1 => Some(r[0].0),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Sorted by id alone, ascending: the store's own order.
    pub(super) fn by_id(&self) -> bool {
        matches!(self.sort.as_slice(), [(f, false)] if f == "id")
    }

    /// Whether a record passes every filter (Oro ANDs them).
    pub(super) fn matches(&self, r: &FakeRecord) -> bool {
        self.filters.iter().all(|f| f.matches(r))
    }
}

/// Oro's datetime filter values (platform ApiBundle
/// `Processor/NormalizeValue/Rest/NormalizeDateTime.php`): `REQUIREMENT`
/// allows at most two digits of a second's fraction, and a space stands for
/// a `+` that a client did not escape. Oro also takes a date or a datetime
/// without seconds or zone as the start of that period; the fake refuses
/// those (the client sends whole UTC seconds).
fn updated_at_value(v: &str) -> Option<DateTime<Utc>> {
    static REQUIREMENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2})?(:\d{2})?(\.\d{2})?(Z|([-+]\d{2}(:?\d{2})?))?)?)?)?$",
        )
        .expect("Oro's datetime requirement")
    });
    let v = v.replace(' ', "+");
    if !REQUIREMENT.is_match(&v) {
        return None;
    }
    DateTime::parse_from_rfc3339(&v)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn parse_list_query(ty: &str, raw: &str) -> Result<ListQuery, Vec<ApiErr>> {
    let mut q = ListQuery {
        filters: Vec::new(),
        size: Some(10),
        number: 1,
        sort: vec![("id".into(), false)],
        fields: None,
        include: Vec::new(),
    };
    let mut errs = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()).into_owned() {
        if let Some(rest) = k.strip_prefix("filter[") {
            let (name, op) = match rest.split_once("][") {
                Some((n, o)) => (n.to_string(), o.trim_end_matches(']').to_string()),
                None => (rest.trim_end_matches(']').to_string(), "eq".to_string()),
            };
            let Some(op) = Op::parse(&op) else {
                errs.push(param(
                    "filter constraint",
                    format!("The operator \"{op}\" is not supported."),
                    &k,
                ));
                continue;
            };
            match name.as_str() {
                "id" => {
                    let mut ranges = Vec::new();
                    for part in v.split(',') {
                        let r = match part.split_once("..") {
                            Some((a, b)) => a.parse().ok().zip(b.parse().ok()),
                            None => part.parse().ok().map(|x| (x, x)),
                        };
                        match r {
                            Some(r) => ranges.push(r),
                            None => errs.push(param(
                                "filter constraint",
                                format!("Expected integer value. Given \"{part}\"."),
                                &k,
                            )),
                        }
                    }
                    q.filters.push(Filter::Id(op, ranges));
                }
                // Oro makes filters only for indexed columns (platform
                // ApiBundle `CompleteFilters`, `DoctrineHelper::getIndexedFields`):
                // `updatedAt` is indexed on both contacts and tasks, `createdAt`
                // on neither, so `filter[createdAt]` is "not supported".
                "updatedAt" => match updated_at_value(&v) {
                    Some(t) => q.filters.push(Filter::UpdatedAt(op, t)),
                    None => errs.push(param(
                        "filter constraint",
                        format!("Expected datetime value. Given \"{v}\"."),
                        &k,
                    )),
                },
                "owner" | "assignedTo" if op == Op::Eq && (name == "owner" || ty == CONTACTS) => {
                    q.filters.push(Filter::Rel(
                        name.clone(),
                        v.split(',').map(str::to_string).collect(),
                    ))
                }
                _ => errs.push(param(
                    "filter constraint",
                    "The filter is not supported.",
                    &k,
                )),
            }
        } else if k == "page[size]" {
            match v.parse::<i64>() {
                Ok(-1) => q.size = None,
                Ok(n) if n > 0 => q.size = Some(n as usize),
                _ => errs.push(param(
                    "page size constraint",
                    "Expected a positive integer or -1.",
                    &k,
                )),
            }
        } else if k == "page[number]" {
            match v.parse::<usize>() {
                Ok(n) if n > 0 => q.number = n,
                _ => errs.push(param(
                    "page number constraint",
                    "Expected a positive integer.",
                    &k,
                )),
            }
        } else if k == "sort" {
            let unsupported: Vec<&str> = v
                .split(',')
                .map(|f| f.strip_prefix('-').unwrap_or(f))
                .filter(|f| !f.is_empty() && !sortable(ty).contains(f))
                .collect();
            if !unsupported.is_empty() {
                // platform ApiBundle `Processor/Shared/ValidateSorting.php`.
                errs.push(param(
                    "sort constraint",
                    format!(
                        "Sorting by \"{}\" field{} not supported.",
                        unsupported.join(", "),
                        if unsupported.len() == 1 {
                            " is"
                        } else {
                            "s are"
                        }
                    ),
                    &k,
                ));
                continue;
            }
            q.sort = v
                .split(',')
                .filter(|f| !f.is_empty())
                .map(|f| match f.strip_prefix('-') {
                    Some(n) => (n.to_string(), true),
                    None => (f.to_string(), false),
                })
                .collect();
        } else if k == format!("fields[{ty}]") {
            q.fields = Some(v.split(',').map(str::to_string).collect());
        } else if k == "include" {
            q.include = v.split(',').map(str::to_string).collect();
        }
    }
    if errs.is_empty() {
        Ok(q)
    } else {
        Err(errs)
    }
}

/// The fields a listing can be sorted by. Oro makes sorters for the
/// identifier and for columns that lead an index (platform ApiBundle
/// `Processor/GetConfig/CompleteSorters.php`, `Util/DoctrineHelper.php`
/// `getIndexedFields`): OroCRM's `Contact` indexes `updatedAt`, `first_name`
/// and `last_name` (`ContactBundle/Entity/Contact.php`), OROCRMTaskBundle's
/// `Task` indexes `updated_at` and `due_date` (`Entity/Task.php`). Oro's
/// other sorters (contacts' `emails`/`phones`, associations) are not
/// modelled: the fake refuses them.
fn sortable(ty: &str) -> &'static [&'static str] {
    match ty {
        CONTACTS => &["id", "updatedAt", "firstName", "lastName"],
        TASKS => &["id", "updatedAt", "dueDate"],
        _ => &["id"],
    }
}

pub(super) fn compare(a: &FakeRecord, b: &FakeRecord, sort: &[(String, bool)]) -> Ordering {
    for (field, desc) in sort {
        let o = match field.as_str() {
            "id" => a.id.cmp(&b.id),
            "updatedAt" => a.updated_at.cmp(&b.updated_at),
            f => a.attr_str(f).unwrap_or("").cmp(b.attr_str(f).unwrap_or("")),
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.id.cmp(&b.id)
}
