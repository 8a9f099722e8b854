//! Backups (docs/sync-rules.md, "Backups"), through the binary: every
//! record a sync deletes or overwrites, on either side, is in the profile's
//! `backups/` as it was before the run.

mod support;

use orosync::model::{Kind, Side};
use orosync::oro::{OroAuth, OroClient, OroConfig, Secret};
use orosync::sides::OroStore;
use orosync_testkit::prelude::*;
use std::collections::BTreeMap;
use support::World;

fn oro_client(w: &World) -> OroClient {
    let mut c = OroConfig::new(
        &w.oro.url(),
        &w.oro.options().username,
        OroAuth::Wsse {
            api_key: Secret::new(w.api_key()),
        },
    );
    c.time_zone = chrono_tz::UTC;
    OroClient::new(c).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_overwritten_or_deleted_record_is_backed_up_as_it_was() {
    for direction in ["bidirectional", "oro-to-outlook", "outlook-to-oro"] {
        let w = World::new().await;
        w.seed_first();
        assert_eq!(w.sync("bidirectional").await.code, 0);
        w.edit_after_first();
        let oro = oro_client(&w);

        // Both sides as the clients read them, before the run.
        let mut before_oro = BTreeMap::new();
        let mut before_outlook = BTreeMap::new();
        for k in Kind::ALL {
            for r in w.oro.all(k) {
                let rec = oro.get(k, &r.id.to_string()).await.unwrap().unwrap();
                before_oro.insert((k, rec.id.clone()), (r.clone(), rec));
            }
            for i in w.graph.items(k) {
                before_outlook.insert((k, i.id.clone()), (w.graph.find(&i.id).unwrap(), i));
            }
        }
        let r = w.sync(direction).await;
        assert_eq!(r.code, 0, "{direction}: {}", r.stderr);
        // This run's entries only (the setup run wrote its own).
        let mut entries = orosync::backup::read_all(&w.profile().join("backups")).unwrap();
        let last = entries.iter().map(|e| e.run).max().expect("some backup");
        entries.retain(|e| e.run == last);

        let mut touched = 0;
        for ((k, id), (raw, rec)) in &before_oro {
            let now = w.oro.record(*k, id);
            if now.as_ref().map(|n| &n.attributes) == Some(&raw.attributes) {
                continue;
            }
            touched += 1;
            let e = entries
                .iter()
                .find(|e| e.kind == *k && e.side == Side::Oro && &e.id == id)
                .unwrap_or_else(|| panic!("{direction}: Oro {k} {id} changed without a backup"));
            let saved: orosync::model::OroRecord =
                serde_json::from_value(e.before.clone()).unwrap();
            assert_eq!(
                &saved.item, &rec.item,
                "{direction}: Oro {k} {id} as it was"
            );
        }
        for ((k, id), (raw, item)) in &before_outlook {
            let now = w.graph.find(id);
            let same = now.as_ref().is_some_and(|n| {
                // The link stamp and Graph's bookkeeping are not user data.
                let strip = |v: &serde_json::Value| {
                    let mut v = v.clone();
                    for f in ["lastModifiedDateTime", "changeKey", "@odata.etag"] {
                        v.as_object_mut().unwrap().remove(f);
                    }
                    v
                };
                strip(n) == strip(raw)
            });
            if same {
                continue;
            }
            if now.is_some()
                && w.graph
                    .items(*k)
                    .iter()
                    .any(|i| &i.id == id && i.item == item.item)
            {
                // Only the OroCRM_id stamp changed: nothing of the user's was overwritten.
                continue;
            }
            touched += 1;
            let e = entries
                .iter()
                .find(|e| e.kind == *k && e.side == Side::Outlook && &e.id == id)
                .unwrap_or_else(|| {
                    panic!("{direction}: Outlook {k} {id} changed without a backup")
                });
            let saved: orosync::model::OutlookItem =
                serde_json::from_value(e.before.clone()).unwrap();
            assert_eq!(
                &saved.item, &item.item,
                "{direction}: Outlook {k} {id} as it was"
            );
        }
        assert!(
            touched >= 2,
            "{direction}: the run overwrote or deleted something ({touched})"
        );
        eprintln!("backups {direction}: {touched} records overwritten or deleted, all backed up ({} entries)", entries.len());
    }
}
