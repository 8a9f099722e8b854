//! The planner on 100k linked contacts with 1% changed on each side
//! (target: under 2 µs per record, under 200 MB peak).
//! Run: `cargo bench --bench planner`; figures go to docs/benchmarks.md.

use chrono::{Duration, TimeZone, Utc};
use criterion::{black_box, Criterion};
use orosync::model::{Contact, Gender, Item, Kind, OroRecord, OutlookItem};
use orosync::plan::{plan_kind, KindInput, Link};
use orosync::settings::Keys;
use orosync::sides::Window;

const N: usize = 100_000;

fn contact(i: usize, note: &str) -> Item {
    Item::Contacts(Contact {
        first_name: Some(format!("First{i}")),
        last_name: Some(format!("Last{i}")),
        gender: Some(if i.is_multiple_of(2) {
            Gender::Male
        } else {
            Gender::Female
        }),
        job_title: Some(note.into()),
        emails: vec![format!("p{i}@example.com")],
        ..Default::default()
    })
}

fn input() -> KindInput {
    let t = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let mut inp = KindInput::new(Kind::Contacts, Window::around(t, 30, 365));
    inp.keys = Keys::default().of(Kind::Contacts).to_vec();
    for i in 0..N {
        let base = contact(i, "synced");
        inp.links.push(Link {
            oro_id: i.to_string(),
            outlook_id: format!("AAMk{i:08}"),
            oro_hash: base.hash(),
            outlook_hash: base.hash(),
            oro_version: Some(t),
            outlook_version: Some(t),
        });
        inp.oro_ids.insert(i.to_string());
    }
    // 1% changed in Oro, another 1% changed in Outlook.
    for i in (0..N).step_by(100) {
        inp.oro_records.push(OroRecord {
            id: i.to_string(),
            created_at: t,
            updated_at: t + Duration::seconds(60),
            recurring: false,
            item: contact(i, "changed in Oro"),
        });
        let j = i + 50;
        inp.outlook_items.push(OutlookItem {
            id: format!("AAMk{j:08}"),
            created_at: t,
            modified_at: t + Duration::seconds(60),
            link: Some(j.to_string()),
            recurring: false,
            item: contact(j, "changed in Outlook"),
        });
    }
    inp
}

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let inp = input();
    let plan = plan_kind(&inp);
    assert_eq!(plan.ops.len(), 2 * N / 100, "one write per changed record");
    let mut c = Criterion::default().sample_size(20).configure_from_args();
    c.bench_function("plan 100k linked contacts, 1% changed per side", |b| {
        b.iter(|| plan_kind(black_box(&inp)))
    });
    c.final_summary();
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak RSS of the bench process: {:.1} MB",
            kib as f64 / 1024.0
        );
    }
}
