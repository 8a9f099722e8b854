//! Pending conflicts as people look at them: the differing fields in the
//! kind's documented order, Oro's value next to Outlook's. Shared by
//! `orosync conflicts` and the tray's settings window.

use crate::model::{Field, Kind, Side, Slot, PART_SEPARATOR};
use crate::state::PendingRow;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One field of a conflict: both sides' values (null where a side has none).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldPair {
    pub field: String,
    pub oro: Value,
    pub outlook: Value,
}

/// A pending conflict, side by side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConflictView {
    pub id: String,
    pub kind: Kind,
    pub oro_id: String,
    pub outlook_id: String,
    pub detected_at: DateTime<Utc>,
    /// The side already chosen (applied at the next sync), if any.
    pub resolution: Option<Side>,
    pub fields: Vec<FieldPair>,
}

impl ConflictView {
    pub fn new(row: &PendingRow) -> ConflictView {
        let get = |v: &Value, f: &str| v.get(f).cloned().unwrap_or(Value::Null);
        ConflictView {
            id: row.id.to_string(),
            kind: row.kind,
            oro_id: row.oro_id.clone(),
            outlook_id: row.outlook_id.clone(),
            detected_at: row.detected_at,
            resolution: row.resolution,
            fields: field_names(row)
                .into_iter()
                .flat_map(|f| {
                    let (oro, outlook) = (get(&row.oro, &f), get(&row.outlook, &f));
                    if f == Field::Addresses.name() {
                        return address_pairs(&oro, &outlook);
                    }
                    vec![FieldPair {
                        oro,
                        outlook,
                        field: f,
                    }]
                })
                .collect(),
        }
    }
}

/// A side's values as the conflict JSON shows them: the `addresses` field
/// becomes `billingAddress`, `shippingAddress` and `otherAddress`, each
/// address on one line (null where the slot is empty).
pub fn readable(values: &Value) -> Value {
    let Some(map) = values.as_object() else {
        return values.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        if k == Field::Addresses.name() {
            for (i, s) in Slot::ALL.iter().enumerate() {
                out.insert(s.name().to_string(), address_line(v, i));
            }
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Entry `i` of an `addresses` value on one line; null when empty.
fn address_line(v: &Value, i: usize) -> Value {
    let Some(text) = v.get(i).and_then(Value::as_str) else {
        return Value::Null;
    };
    let line: Vec<&str> = text
        .split([PART_SEPARATOR, '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if line.is_empty() {
        Value::Null
    } else {
        Value::String(line.join(", "))
    }
}

/// The `addresses` field (one entry per slot, see [`Slot`]) as one pair per
/// slot that differs, each address on one line ("Marienplatz 1, München,
/// 80331, Bayern, Germany").
fn address_pairs(oro: &Value, outlook: &Value) -> Vec<FieldPair> {
    let slot = address_line;
    Slot::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| FieldPair {
            field: s.name().to_string(),
            oro: slot(oro, i),
            outlook: slot(outlook, i),
        })
        .filter(|p| p.oro != p.outlook)
        .collect()
}

/// The fields present on either side, in the kind's documented order; any
/// name the model does not know (from another version) comes after, sorted.
pub fn field_names(r: &PendingRow) -> Vec<String> {
    let mut present: Vec<String> = [&r.oro, &r.outlook]
        .into_iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect();
    present.sort();
    present.dedup();
    let mut names: Vec<String> = r
        .kind
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .filter(|n| present.contains(n))
        .collect();
    for n in present {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn both_versions_side_by_side_in_the_documented_order() {
        let row = PendingRow {
            id: 7,
            kind: Kind::Contacts,
            oro_id: "61".into(),
            outlook_id: "AAMk".into(),
            detected_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
            oro: json!({"zzz": 1, "jobTitle": "CFO", "firstName": "Ann"}),
            outlook: json!({"jobTitle": "Chief", "lastName": "Lee"}),
            resolution: None,
        };
        let v = ConflictView::new(&row);
        assert_eq!(v.id, "7");
        let names: Vec<&str> = v.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["firstName", "lastName", "jobTitle", "zzz"]);
        assert_eq!(v.fields[2].oro, json!("CFO"));
        assert_eq!(v.fields[2].outlook, json!("Chief"));
        assert_eq!(v.fields[0].outlook, Value::Null);
    }

    #[test]
    fn differing_addresses_show_one_line_per_slot_side_by_side() {
        let sep = PART_SEPARATOR.to_string();
        let munich = [
            "Marienplatz 1\nRathaus",
            "München",
            "80331",
            "Bayern",
            "Germany",
        ]
        .join(&sep);
        let augsburg = ["Marienplatz 1", "Augsburg", "86150", "Bayern", "Germany"].join(&sep);
        let row = PendingRow {
            id: 8,
            kind: Kind::Contacts,
            oro_id: "61".into(),
            outlook_id: "AAMk".into(),
            detected_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
            oro: json!({"addresses": [munich, "", "x"]}),
            outlook: json!({"addresses": [augsburg, "", "x"], "jobTitle": "CFO"}),
            resolution: None,
        };
        let v = ConflictView::new(&row);
        let names: Vec<&str> = v.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["jobTitle", "billingAddress"]);
        assert_eq!(
            v.fields[1].oro,
            json!("Marienplatz 1, Rathaus, München, 80331, Bayern, Germany")
        );
        assert_eq!(
            v.fields[1].outlook,
            json!("Marienplatz 1, Augsburg, 86150, Bayern, Germany")
        );
        let shown = readable(&row.oro);
        assert_eq!(
            shown["billingAddress"],
            json!("Marienplatz 1, Rathaus, München, 80331, Bayern, Germany")
        );
        assert_eq!(shown["shippingAddress"], Value::Null);
        assert_eq!(shown["otherAddress"], json!("x"));
        assert!(shown.get("addresses").is_none());
    }
}
