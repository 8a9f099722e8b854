//! Graph JSON ⇄ model: the fields synced and how dates are written and read
//! in the user's zone (what Graph does with them: docs/fidelity.md). Pure
//! functions. The fake Graph reads what clients send with its own code.

use crate::model::{
    country, Address, Contact, Event, Gender, Item, Kind, OutlookItem, Priority, Region, Slot,
    Task, TaskStatus, When,
};
use crate::sides::StoreError;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

/// The link on contacts and events (this GUID always; the name is case-sensitive).
pub const LINK_PROP: &str = "String {001c5db1-a402-44c2-91c3-2185e6e31d60} Name OroCRM_id";
/// MAPI PidTagGender, a PT_SHORT sent and returned as a string.
pub const GENDER_PROP: &str = "Short 0x3A4D";
/// MAPI PidTagBusinessFaxNumber, a PT_UNICODE string: Graph's contact has
/// no fax property (docs/fidelity.md).
pub const FAX_PROP: &str = "String 0x3A24";
/// `applicationName` of the linkedResource that links a To Do task.
pub const TASK_APP: &str = "OroCRM";

/// `$expand` that brings the link (and, on contacts, gender and fax) along.
pub fn expand_props(kind: Kind) -> String {
    match kind {
        Kind::Contacts => format!(
            "singleValueExtendedProperties($filter=id eq '{LINK_PROP}' or id eq '{GENDER_PROP}' or id eq '{FAX_PROP}')"
        ),
        Kind::Events => format!("singleValueExtendedProperties($filter=id eq '{LINK_PROP}')"),
        Kind::Tasks => "linkedResources".to_string(),
    }
}

/// The Windows name of an IANA zone, from CLDR's windowsZones data as the
/// `windows-timezones` crate carries it. Graph's dateTimeTimeZone takes
/// Windows names (and only a subset of IANA ones).
///
/// CLDR keys its table by its own canonical names, which are often the
/// older IANA ones (`Asia/Calcutta`, not `Asia/Kolkata`), and lists no
/// backward links (`US/Eastern`); those are looked up under their CLDR
/// name, and any other zone missing from the table gets a Windows zone
/// with the same UTC offsets day by day.
pub fn windows_zone(tz: Tz) -> Option<&'static str> {
    if let Some(n) = windows_zone_listed(tz) {
        return Some(n);
    }
    if let Some(n) = CLDR_NAMES
        .iter()
        .find(|(iana, _)| *iana == tz.name())
        .and_then(|(_, cldr)| cldr.parse::<Tz>().ok())
        .and_then(windows_zone_listed)
    {
        return Some(n);
    }
    // The Windows zone itself (as its main IANA zone) must keep the same
    // offsets: CLDR's table has stale entries (Antarctica/Casey is listed
    // under a UTC+11 zone but keeps UTC+8).
    let mut tried = std::collections::HashSet::new();
    chrono_tz::TZ_VARIANTS
        .iter()
        .filter_map(|c| windows_zone_listed(*c))
        .filter(|n| tried.insert(*n))
        .find(|n| parse_zone(n).is_some_and(|w| same_offsets(tz, w)))
}

fn windows_zone_listed(tz: Tz) -> Option<&'static str> {
    if tz == Tz::UTC || tz == Tz::Etc__UTC {
        return Some("UTC");
    }
    windows_timezones::WindowsTimezone::try_from(tz)
        .ok()
        .map(|w| w.name())
}

/// Current IANA names whose CLDR windowsZones entry is under another name.
const CLDR_NAMES: &[(&str, &str)] = &[
    ("Asia/Kolkata", "Asia/Calcutta"),
    ("Asia/Kathmandu", "Asia/Katmandu"),
    ("Asia/Ho_Chi_Minh", "Asia/Saigon"),
    ("Asia/Yangon", "Asia/Rangoon"),
    ("Asia/Istanbul", "Europe/Istanbul"),
    ("Europe/Kyiv", "Europe/Kiev"),
    ("Europe/Uzhgorod", "Europe/Kiev"),
    ("Europe/Zaporozhye", "Europe/Kiev"),
    ("Europe/Nicosia", "Asia/Nicosia"),
    ("Europe/Belfast", "Europe/London"),
    ("Atlantic/Faroe", "Atlantic/Faeroe"),
    ("America/Nuuk", "America/Godthab"),
    ("America/Argentina/Buenos_Aires", "America/Buenos_Aires"),
    ("America/Argentina/Cordoba", "America/Cordoba"),
    ("America/Argentina/Catamarca", "America/Catamarca"),
    ("America/Argentina/Jujuy", "America/Jujuy"),
    ("America/Argentina/Mendoza", "America/Mendoza"),
    ("America/Indiana/Indianapolis", "America/Indianapolis"),
    ("America/Kentucky/Louisville", "America/Louisville"),
    ("America/Montreal", "America/Toronto"),
    ("America/Atikokan", "America/Coral_Harbour"),
    ("Africa/Asmara", "Africa/Asmera"),
    ("Pacific/Kanton", "Pacific/Enderbury"),
    ("Pacific/Chuuk", "Pacific/Truk"),
    ("Pacific/Pohnpei", "Pacific/Ponape"),
    ("US/Eastern", "America/New_York"),
    ("US/Central", "America/Chicago"),
    ("US/Mountain", "America/Denver"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Alaska", "America/Anchorage"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("US/Arizona", "America/Phoenix"),
    ("Canada/Eastern", "America/Toronto"),
    ("Canada/Pacific", "America/Vancouver"),
    ("GB", "Europe/London"),
    ("Japan", "Asia/Tokyo"),
    ("NZ", "Pacific/Auckland"),
    ("PRC", "Asia/Shanghai"),
    ("Singapore", "Asia/Singapore"),
];

/// True when both zones have the same UTC offset at noon UTC of every day
/// of 2025 to 2027 (which catches different DST dates).
fn same_offsets(a: Tz, b: Tz) -> bool {
    use chrono::Offset;
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap();
    (0..3 * 365).all(|d| {
        let t = start + Duration::days(d);
        t.with_timezone(&a).offset().fix() == t.with_timezone(&b).offset().fix()
    })
}

/// A zone name as Graph writes it (Windows or IANA, or "UTC").
pub fn parse_zone(name: &str) -> Option<Tz> {
    if name.eq_ignore_ascii_case("utc") || name.is_empty() {
        return Some(Tz::UTC);
    }
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    name.parse::<windows_timezones::WindowsTimezone>()
        .ok()
        .map(Tz::from)
}

/// Graph's `dateTime` text: no offset, up to seven fractional digits.
pub fn graph_datetime(t: NaiveDateTime) -> String {
    // chrono has no seven-digit fraction specifier: 100 ns ticks by hand.
    format!(
        "{}.{:07}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.and_utc().timestamp_subsec_nanos() / 100
    )
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// Read a `dateTimeTimeZone` as an instant.
pub fn parse_dtz(v: &Value) -> Option<DateTime<Utc>> {
    let naive = parse_naive(v.get("dateTime")?.as_str()?)?;
    let tz = parse_zone(v.get("timeZone").and_then(Value::as_str).unwrap_or("UTC"))?;
    local_to_utc(tz, naive)
}

/// A wall-clock time in `tz` as an instant; a time skipped by a DST jump is
/// taken an hour later, an ambiguous one as its first occurrence.
pub fn local_to_utc(tz: Tz, t: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .map(|d| d.with_timezone(&Utc))
}

/// Midnight of `d` in `tz`, as an instant.
pub fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    local_to_utc(tz, d.and_hms_opt(0, 0, 0).expect("midnight")).expect("a midnight exists")
}

/// The date an instant stands for in `tz`, rounded to the nearest midnight.
/// Our own writes are exact midnights in the user's zone, so this is their
/// date; items written by clients in another zone (UTC midnight birthdays,
/// all-day events made abroad) land within ±12 h of the user's midnight and
/// still read as the intended date instead of the day before. An exact UTC
/// midnight is the date it names: in zones 12 hours or more ahead of UTC
/// (Auckland in summer, Kiritimati) rounding would make it the next day,
/// and our own writes are UTC midnights only on days the zone's offset is
/// zero, where both readings agree.
pub fn date_in_zone(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    if t.time() == chrono::NaiveTime::MIN {
        return t.date_naive();
    }
    let local = t.with_timezone(&tz).naive_local();
    let date = local.date();
    if local.time().hour() >= 12 {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    }
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_naive(s).map(|n| n.and_utc()))
}

/// Plain text of an HTML body: tags dropped, line-breaking tags as new
/// lines, the common entities decoded. Graph turns our text bodies into
/// HTML when asked for HTML, so this only needs to undo that much.
pub fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    // Only what is inside <body>, when there is one.
    let start = lower
        .find("<body")
        .and_then(|i| lower[i..].find('>').map(|j| i + j + 1))
        .unwrap_or(0);
    let end = lower.rfind("</body>").unwrap_or(html.len()).max(start);
    let src = &html[start..end];
    let mut out = String::new();
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '<' {
            // An unclosed tag runs to the end (and is dropped with it); a
            // body that ends in `<` has an empty one.
            let close = src[i..].find('>').map(|j| i + j).unwrap_or(src.len());
            let tag = src[i + 1..close].trim().to_ascii_lowercase();
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr")
                && (name == "br" || tag.starts_with('/'))
            {
                out.push('\n');
            }
            while let Some((j, _)) = chars.peek() {
                if *j > close {
                    break;
                }
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let lines: Vec<&str> = decoded.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

/// A body's plain text, or `None` when empty.
fn body_text(v: Option<&Value>) -> Option<String> {
    let b = v?;
    let content = b.get("content").and_then(Value::as_str).unwrap_or("");
    let html = b
        .get("contentType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("html"));
    let text = if html {
        html_to_text(content)
    } else {
        content.replace("\r\n", "\n").trim_end().to_string()
    };
    (!text.trim().is_empty()).then_some(text)
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// One extended property's value from an `$expand`ed item, matched on the
/// id case-insensitively (Graph returns `Short 0x3a4d` for `Short 0x3A4D`).
pub fn ext_prop<'a>(v: &'a Value, id: &str) -> Option<&'a str> {
    v.get("singleValueExtendedProperties")?
        .as_array()?
        .iter()
        .find(|p| {
            p.get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| i.eq_ignore_ascii_case(id))
        })?
        .get("value")?
        .as_str()
}

/// The Oro id on a task's linkedResources, when one of them is ours.
pub fn task_link(v: &Value) -> Option<String> {
    v.get("linkedResources")?
        .as_array()?
        .iter()
        .find(|r| r.get("applicationName").and_then(Value::as_str) == Some(TASK_APP))?
        .get("externalId")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// How items are written to and read from Graph for one user.
#[derive(Clone, Debug)]
pub struct Mapper {
    pub tz: Tz,
    pub windows_zone: String,
    pub oro_url: String,
}

impl Mapper {
    /// `None` when the zone has no Windows name (all-day events could not
    /// be written in it).
    pub fn new(tz: Tz, oro_url: &str) -> Option<Mapper> {
        Some(Mapper {
            tz,
            windows_zone: windows_zone(tz)?.to_string(),
            oro_url: oro_url.trim_end_matches('/').to_string(),
        })
    }

    pub fn contact_fields(&self, c: &Contact) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("title".into(), json!(c.name_prefix));
        m.insert("givenName".into(), json!(c.first_name));
        m.insert("middleName".into(), json!(c.middle_name));
        m.insert("surname".into(), json!(c.last_name));
        m.insert("generation".into(), json!(c.name_suffix));
        m.insert("jobTitle".into(), json!(c.job_title));
        m.insert("personalNotes".into(), json!(c.description));
        m.insert(
            "birthday".into(),
            json!(c.birthday.map(|d| midnight(self.tz, d)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string())),
        );
        let emails: Vec<Value> = c
            .for_outlook()
            .emails
            .iter()
            .map(|e| json!({"address": e, "name": e}))
            .collect();
        m.insert("emailAddresses".into(), Value::Array(emails));
        // businessPhones is replaced whole: Oro has a single primary phone
        // to offer, which becomes the first (and only) business phone.
        m.insert(
            "businessPhones".into(),
            json!(c.primary_phone.iter().collect::<Vec<_>>()),
        );
        // Each of the three is written whole, empty strings clearing an
        // address Oro does not have (Graph's physicalAddress holds strings).
        for slot in Slot::ALL {
            m.insert(
                graph_address_name(slot).into(),
                physical_address(c.address(slot)),
            );
        }
        m
    }

    pub fn event_fields(&self, e: &Event) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("subject".into(), json!(e.title));
        m.insert(
            "body".into(),
            json!({"contentType": "text", "content": e.description.clone().unwrap_or_default()}),
        );
        match &e.when {
            When::Timed { start, end } => {
                m.insert("isAllDay".into(), json!(false));
                m.insert(
                    "start".into(),
                    json!({"dateTime": graph_datetime(start.naive_utc()), "timeZone": "UTC"}),
                );
                m.insert(
                    "end".into(),
                    json!({"dateTime": graph_datetime(end.naive_utc()), "timeZone": "UTC"}),
                );
            }
            When::AllDay { start, end } => {
                // Midnight to midnight in the user's zone, named the Windows way.
                let mid = |d: &NaiveDate| graph_datetime(d.and_hms_opt(0, 0, 0).expect("midnight"));
                m.insert("isAllDay".into(), json!(true));
                m.insert(
                    "start".into(),
                    json!({"dateTime": mid(start), "timeZone": self.windows_zone}),
                );
                m.insert(
                    "end".into(),
                    json!({"dateTime": mid(end), "timeZone": self.windows_zone}),
                );
            }
        }
        m
    }

    pub fn task_fields(&self, t: &Task) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("title".into(), json!(t.subject));
        m.insert(
            "body".into(),
            json!({"contentType": "text", "content": t.description.clone().unwrap_or_default()}),
        );
        m.insert("importance".into(), json!(t.priority.as_str()));
        m.insert("status".into(), json!(t.status.to_todo()));
        // To Do keeps a due day as that day's midnight in the zone it is
        // given (docs/fidelity.md): midnight of the date, named in the
        // user's zone, is the day the user sees in To Do.
        m.insert(
            "dueDateTime".into(),
            match t.due_date {
                Some(d) => json!({
                    "dateTime": graph_datetime(d.and_hms_opt(0, 0, 0).expect("midnight")),
                    "timeZone": self.windows_zone
                }),
                None => Value::Null,
            },
        );
        m
    }

    /// The task's linkedResource pointing back at Oro.
    pub fn linked_resource(&self, oro_id: &str) -> Value {
        json!({
            "applicationName": TASK_APP,
            "displayName": format!("OroCRM task {oro_id}"),
            "externalId": oro_id,
            "webUrl": format!("{}/task/view/{oro_id}", self.oro_url),
        })
    }

    /// The body of a POST (create) or PATCH (update) for `item`, with the
    /// link and gender inline where Graph allows (contacts, events; a task's
    /// link only on create: afterwards it is a linkedResource of its own).
    pub fn write_body(&self, item: Option<&Item>, link: Option<&str>, create: bool) -> Value {
        let mut m = match item {
            Some(Item::Contacts(c)) => self.contact_fields(c),
            Some(Item::Events(e)) => self.event_fields(e),
            Some(Item::Tasks(t)) => self.task_fields(t),
            None => Map::new(),
        };
        let mut props = Vec::new();
        if let Some(l) = link {
            props.push(json!({"id": LINK_PROP, "value": l}));
        }
        if let Some(Item::Contacts(c)) = item {
            props.push(json!({"id": GENDER_PROP, "value": Gender::to_mapi(c.gender).to_string()}));
            // An empty string clears the number: a PATCH cannot remove an
            // extended property, and an empty one reads as no fax.
            props.push(json!({"id": FAX_PROP, "value": c.fax.clone().unwrap_or_default()}));
            if create {
                let c = c.for_outlook();
                let name: Vec<&str> = [&c.first_name, &c.middle_name, &c.last_name]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                let display = if name.is_empty() {
                    c.emails.first().cloned().unwrap_or_default()
                } else {
                    name.join(" ")
                };
                m.insert("displayName".into(), json!(display));
            }
        }
        match item.map(Item::kind) {
            Some(Kind::Tasks) => {
                if let (true, Some(l)) = (create, link) {
                    m.insert("linkedResources".into(), json!([self.linked_resource(l)]));
                }
            }
            _ => {
                if !props.is_empty() {
                    m.insert("singleValueExtendedProperties".into(), Value::Array(props));
                }
            }
        }
        Value::Object(m)
    }

    /// The date an all-day event's start or end names. All-day events
    /// float: Graph answers them midnight to midnight of their dates in
    /// whatever zone `Prefer: outlook.timezone` asks for, so a midnight is
    /// read as the date it is written with, never moved into the user's
    /// zone (in a zone 12 hours or more ahead of UTC that would be the next
    /// day). Anything else (not a midnight) is an instant, read as its date
    /// in the user's zone.
    fn all_day_date(&self, v: Option<&Value>, instant: DateTime<Utc>) -> NaiveDate {
        match v
            .and_then(|v| v.get("dateTime"))
            .and_then(Value::as_str)
            .and_then(parse_naive)
        {
            Some(n) if n.time() == chrono::NaiveTime::MIN => n.date(),
            _ => date_in_zone(self.tz, instant),
        }
    }

    /// An item as Graph returned it (with `$expand`ed link and gender when
    /// asked for). Sparse occurrences of series read with empty fields: they
    /// are marked recurring and never written.
    pub fn read(&self, kind: Kind, v: &Value) -> Result<OutlookItem, StoreError> {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| StoreError::Malformed(format!("{kind} without an id")))?
            .to_string();
        let stamp = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .and_then(parse_instant)
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        };
        let mut recurring = false;
        let (item, link) = match kind {
            Kind::Contacts => {
                let c = Contact {
                    name_prefix: text(v, "title"),
                    first_name: text(v, "givenName"),
                    middle_name: text(v, "middleName"),
                    last_name: text(v, "surname"),
                    name_suffix: text(v, "generation"),
                    gender: ext_prop(v, GENDER_PROP)
                        .and_then(|g| g.trim().parse::<i16>().ok())
                        .and_then(Gender::from_mapi),
                    birthday: v
                        .get("birthday")
                        .and_then(Value::as_str)
                        .and_then(parse_instant)
                        .map(|t| date_in_zone(self.tz, t)),
                    job_title: text(v, "jobTitle"),
                    description: text(v, "personalNotes")
                        .map(|s| s.replace("\r\n", "\n").trim_end().to_string()),
                    emails: v
                        .get("emailAddresses")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|e| text(e, "address"))
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default(),
                    primary_phone: v
                        .get("businessPhones")
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_string),
                    fax: ext_prop(v, FAX_PROP)
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_string),
                    addresses: Slot::ALL
                        .into_iter()
                        .filter_map(|s| read_physical_address(v.get(graph_address_name(s))?, s))
                        .collect(),
                };
                (
                    Item::Contacts(c),
                    ext_prop(v, LINK_PROP).map(str::to_string),
                )
            }
            Kind::Events => {
                let ty = v
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("singleInstance");
                recurring = ty != "singleInstance";
                let all_day = v.get("isAllDay").and_then(Value::as_bool).unwrap_or(false);
                let start = v.get("start").and_then(parse_dtz);
                let end = v.get("end").and_then(parse_dtz);
                let when = match (start, end) {
                    (Some(s), Some(e)) if all_day => When::AllDay {
                        start: self.all_day_date(v.get("start"), s),
                        end: self.all_day_date(v.get("end"), e),
                    },
                    (Some(s), Some(e)) => When::Timed { start: s, end: e },
                    _ if recurring => When::Timed {
                        start: DateTime::<Utc>::UNIX_EPOCH,
                        end: DateTime::<Utc>::UNIX_EPOCH,
                    },
                    _ => {
                        return Err(StoreError::Malformed(format!(
                            "event {id} without a readable start and end"
                        )))
                    }
                };
                let e = Event {
                    title: v
                        .get("subject")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    description: body_text(v.get("body")),
                    when,
                };
                (Item::Events(e), ext_prop(v, LINK_PROP).map(str::to_string))
            }
            Kind::Tasks => {
                let t = Task {
                    subject: v
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    description: body_text(v.get("body")),
                    priority: v
                        .get("importance")
                        .and_then(Value::as_str)
                        .and_then(Priority::parse)
                        .unwrap_or_default(),
                    status: v
                        .get("status")
                        .and_then(Value::as_str)
                        .and_then(TaskStatus::from_todo)
                        .unwrap_or_default(),
                    // To Do answers the due day's midnight in the user's
                    // zone as a UTC instant (whatever `Prefer:
                    // outlook.timezone` says): the day is that instant's
                    // date in the user's zone, not the date it is written
                    // with.
                    due_date: v
                        .get("dueDateTime")
                        .filter(|d| !d.is_null())
                        .and_then(parse_dtz)
                        .map(|t| date_in_zone(self.tz, t)),
                };
                (Item::Tasks(t), task_link(v))
            }
        };
        Ok(OutlookItem {
            id,
            created_at: stamp("createdDateTime"),
            modified_at: stamp("lastModifiedDateTime"),
            link: link.filter(|l| !l.trim().is_empty()),
            recurring,
            item,
        })
    }
}

/// Graph's contact property of an address slot.
fn graph_address_name(slot: Slot) -> &'static str {
    match slot {
        Slot::Billing => "businessAddress",
        Slot::Shipping => "homeAddress",
        Slot::Other => "otherAddress",
    }
}

/// An address as Graph's physicalAddress (docs/sync-rules.md "Contact
/// addresses"): Oro's street and street2 as lines of one street, the state
/// as Oro names its region, the country's English name; all five strings
/// empty for no address.
fn physical_address(a: Option<&Address>) -> Value {
    let Some(a) = a else {
        return json!({"street": "", "city": "", "state": "", "countryOrRegion": "", "postalCode": ""});
    };
    let street = [a.street.as_deref(), a.street2.as_deref()]
        .into_iter()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let state = match (&a.region, &a.region_name) {
        (Some(Region::Code(_)), Some(name)) => name.clone(),
        (Some(Region::Code(code)), None) => code.clone(),
        (Some(Region::Text(t)), _) => t.clone(),
        (None, _) => String::new(),
    };
    let country = match (&a.country, &a.country_text) {
        (Some(code), _) => country::country_name(code)
            .map(str::to_string)
            .unwrap_or_else(|| code.clone()),
        (None, Some(t)) => t.clone(),
        (None, None) => String::new(),
    };
    json!({
        "street": street,
        "city": a.city.clone().unwrap_or_default(),
        "state": state,
        "countryOrRegion": country,
        "postalCode": a.postal_code.clone().unwrap_or_default(),
    })
}

/// An address read from Graph's physicalAddress for `slot`; `None` when it
/// holds nothing. The street's first line is Oro's street, the others its
/// street2; the country is read from a name or an ISO code (kept as text
/// when it names none); the state stays text for the Oro client to match
/// against the country's regions.
fn read_physical_address(v: &Value, slot: Slot) -> Option<Address> {
    let street = text(v, "street").map(|s| s.replace("\r\n", "\n").replace('\r', "\n"));
    let (street, street2) = match street.as_deref().map(str::trim).map(|s| s.split_once('\n')) {
        Some(Some((first, rest))) => (
            Some(first.trim_end().to_string()),
            Some(rest.trim().to_string()),
        ),
        _ => (street.map(|s| s.trim().to_string()), None),
    };
    let country_text = text(v, "countryOrRegion").filter(|s| !s.trim().is_empty());
    let country = country_text.as_deref().and_then(country::country_code);
    let mut a = Address {
        types: slot.types(),
        street: street.filter(|s| !s.is_empty()),
        street2: street2.filter(|s| !s.is_empty()),
        city: text(v, "city").filter(|s| !s.trim().is_empty()),
        postal_code: text(v, "postalCode").filter(|s| !s.trim().is_empty()),
        region: text(v, "state")
            .filter(|s| !s.trim().is_empty())
            .map(Region::Text),
        country_text: if country.is_none() {
            country_text
        } else {
            None
        },
        country,
        ..Address::default()
    };
    if a.is_empty() {
        return None;
    }
    a.oro_id = None;
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Mapper {
        Mapper::new(chrono_tz::Europe::Berlin, "https://crm.example.com/").unwrap()
    }

    #[test]
    fn windows_names_come_from_cldr() {
        assert_eq!(
            windows_zone(chrono_tz::Europe::Berlin),
            Some("W. Europe Standard Time")
        );
        assert_eq!(
            windows_zone(chrono_tz::America::Los_Angeles),
            Some("Pacific Standard Time")
        );
        assert_eq!(windows_zone(Tz::UTC), Some("UTC"));
        assert_eq!(
            parse_zone("W. Europe Standard Time"),
            Some(chrono_tz::Europe::Berlin)
        );
    }

    #[test]
    fn current_iana_names_and_links_have_windows_names() {
        use chrono_tz::{America, Asia, Europe, US};
        assert_eq!(windows_zone(Asia::Kolkata), Some("India Standard Time"));
        assert_eq!(windows_zone(Asia::Kathmandu), Some("Nepal Standard Time"));
        assert_eq!(windows_zone(Europe::Kyiv), Some("FLE Standard Time"));
        assert_eq!(windows_zone(US::Eastern), Some("Eastern Standard Time"));
        assert_eq!(
            windows_zone(America::Argentina::Buenos_Aires),
            Some("Argentina Standard Time")
        );
        // Every zone of the database gets a name with its own offsets, but
        // Troll's research station (UTC+0 in winter, +2 in summer), which
        // has no Windows zone.
        for tz in chrono_tz::TZ_VARIANTS {
            if tz == chrono_tz::Antarctica::Troll {
                assert_eq!(windows_zone(tz), None);
                continue;
            }
            let name = windows_zone(tz).unwrap_or_else(|| panic!("{} has no name", tz.name()));
            let back = parse_zone(name).unwrap();
            assert!(
                same_offsets(tz, back) || windows_zone_listed(tz).is_some(),
                "{} -> {name}",
                tz.name()
            );
        }
    }

    #[test]
    fn birthday_is_midnight_in_the_users_zone_and_reads_back_as_the_date() {
        let m = berlin();
        let d = NaiveDate::from_ymd_opt(1990, 6, 1).unwrap();
        let c = Contact {
            birthday: Some(d),
            ..Default::default()
        };
        let body = m.write_body(Some(&Item::Contacts(c)), None, false);
        assert_eq!(body["birthday"], "1990-05-31T22:00:00Z");
        let mut v = body.clone();
        v["id"] = json!("x");
        let back = m.read(Kind::Contacts, &v).unwrap();
        let Item::Contacts(c) = back.item else {
            panic!()
        };
        assert_eq!(c.birthday, Some(d));
        // A UTC-midnight birthday from another client keeps its date too.
        let ny = Mapper::new(chrono_tz::America::New_York, "").unwrap();
        let back = ny
            .read(
                Kind::Contacts,
                &json!({"id":"y","birthday":"1990-06-01T00:00:00Z"}),
            )
            .unwrap();
        let Item::Contacts(c) = back.item else {
            panic!()
        };
        assert_eq!(c.birthday, Some(d));
        // So does it far east of UTC, and our own write there.
        for tz in [chrono_tz::Pacific::Auckland, chrono_tz::Pacific::Kiritimati] {
            let far = Mapper::new(tz, "").unwrap();
            let back = far
                .read(
                    Kind::Contacts,
                    &json!({"id":"z","birthday":"1990-12-01T00:00:00Z"}),
                )
                .unwrap();
            let Item::Contacts(c) = back.item else {
                panic!()
            };
            assert_eq!(c.birthday, NaiveDate::from_ymd_opt(1990, 12, 1), "{tz}");
            let mine = Contact {
                birthday: Some(d),
                ..Default::default()
            };
            let mut v = far.write_body(Some(&Item::Contacts(mine)), None, true);
            v["id"] = json!("w");
            let Item::Contacts(c) = far.read(Kind::Contacts, &v).unwrap().item else {
                panic!()
            };
            assert_eq!(c.birthday, Some(d), "{tz}");
        }
    }

    #[test]
    fn html_bodies_read_as_text() {
        let html = "<html><head><style>p{}</style></head><body><p>Line &amp; one</p><p>two<br>three</p></body></html>";
        assert_eq!(html_to_text(html), "Line & one\ntwo\nthree");
    }

    #[test]
    fn an_html_body_ending_in_an_open_tag_reads_without_panicking() {
        // Found by the graph_response fuzz target: a body whose last
        // character is `<` sliced past its end.
        assert_eq!(html_to_text("<body><p>Room 4</p><</body>"), "Room 4");
        assert_eq!(html_to_text("<"), "");
        assert_eq!(html_to_text("a <b"), "a");
        assert_eq!(html_to_text("<p>x</p><"), "x");
    }

    #[test]
    fn all_day_dates_float_whatever_the_zone() {
        // Graph answers all-day events as midnights in the zone asked for
        // (here UTC); in Auckland (UTC+13 in summer) the dates must stay.
        let m = Mapper::new(chrono_tz::Pacific::Auckland, "").unwrap();
        let v = json!({"id": "a", "isAllDay": true, "subject": "Offsite",
            "start": {"dateTime": "2026-12-05T00:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-06T00:00:00.0000000", "timeZone": "UTC"}});
        let Item::Events(e) = m.read(Kind::Events, &v).unwrap().item else {
            panic!()
        };
        assert_eq!(
            e.when,
            When::AllDay {
                start: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
                end: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
            }
        );
        // As we write them (midnights named in the user's Windows zone).
        let back = m.write_body(Some(&Item::Events(e.clone())), None, true);
        let mut back = back.clone();
        back["id"] = json!("b");
        let Item::Events(again) = m.read(Kind::Events, &back).unwrap().item else {
            panic!()
        };
        assert_eq!(again.when, e.when);
    }

    #[test]
    fn due_days_are_written_at_midnight_in_the_users_zone_and_read_as_that_days_date() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        let t = Task {
            due_date: Some(day),
            ..Default::default()
        };
        let body = berlin().write_body(Some(&Item::Tasks(t)), None, false);
        assert_eq!(
            body["dueDateTime"],
            json!({"dateTime": "2026-12-24T00:00:00.0000000", "timeZone": "W. Europe Standard Time"})
        );
        // To Do's answers: that midnight as a UTC instant.
        let ny = Mapper::new(chrono_tz::America::New_York, "").unwrap();
        for (m, utc) in [
            (berlin(), "2026-12-23T23:00:00.0000000"),
            (ny, "2026-12-24T05:00:00.0000000"),
        ] {
            let v = json!({"id": "t", "title": "x",
                "dueDateTime": {"dateTime": utc, "timeZone": "UTC"}});
            let Item::Tasks(t) = m.read(Kind::Tasks, &v).unwrap().item else {
                panic!()
            };
            assert_eq!(t.due_date, Some(day), "{}", m.tz);
        }
    }

    #[test]
    fn occurrences_are_recurring() {
        let m = berlin();
        let it = m
            .read(Kind::Events, &json!({"id":"o","type":"occurrence"}))
            .unwrap();
        assert!(it.recurring);
    }
}
