//! Every cell of the per-pair tables of docs/sync-rules.md, for each direction, over all
//! three kinds: a linked pair, an action on each side, one sync, and the
//! outcome the table names. A second sync must write nothing.

mod scenarios;

use orosync::settings::Direction;
use orosync_testkit::{edit_note, note_of};
use scenarios::memory::MemWorld;
use scenarios::world::{oro_one, outlook_one, World};
use scenarios::{assert_links_consistent, assert_quiet, linked_pairs};

#[derive(Clone, Copy, Debug)]
enum Act {
    Same,
    Change,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// Each side keeps what it has.
    Nothing,
    /// Both hold Oro's values.
    OroToOutlook,
    /// Both hold Outlook's values.
    OutlookToOro,
    /// Outlook has a new item with Oro's values, linked.
    Recreated,
    /// Oro is gone; the Outlook item stays as it is.
    OutlookStays,
    /// Outlook is gone; the Oro record stays as it is, not recreated.
    OroStays,
    /// Nothing left on either side.
    BothGone,
}

async fn cell(direction: Direction, oro: Act, outlook: Act, expect: Outcome, conflict: bool) {
    let mut w = MemWorld::new();
    w.settings_mut().direction = direction;
    for (k, oro_id, x_id) in linked_pairs(&mut w).await {
        match oro {
            Act::Same => {}
            Act::Change => w.oro.user_edit(k, &oro_id, |i| edit_note(i, "Oro edit")),
            Act::Delete => w.oro.user_delete(k, &oro_id),
        }
        w.advance_secs(10);
        match outlook {
            Act::Same => {}
            Act::Change => w
                .outlook
                .user_edit(k, &x_id, |i| edit_note(i, "Outlook edit")),
            Act::Delete => w.outlook.user_delete(k, &x_id),
        }
        let x_edited = outlook_one(&w, k, &x_id);
        let oro_edited = oro_one(&w, k, &oro_id);
        let s = w.sync().await;
        assert!(s.ok, "{s:#?}");
        assert_eq!(
            s.conflicts.len(),
            usize::from(conflict),
            "{k}: conflicts {s:#?}"
        );
        let oro_now = oro_one(&w, k, &oro_id);
        let items = w.outlook.all(k);
        let x_now = outlook_one(&w, k, &x_id);
        match expect {
            Outcome::Nothing => {
                assert_eq!(oro_now, oro_edited, "{k}: Oro as the user left it");
                assert_eq!(x_now, x_edited, "{k}: Outlook as the user left it");
            }
            Outcome::OroToOutlook => {
                let (o, x) = (oro_now.unwrap(), x_now.unwrap());
                assert_eq!(
                    note_of(&o.item),
                    note_of(&oro_edited.unwrap().item),
                    "{k}: Oro kept its values"
                );
                assert!(x.item.same_as(&o.item), "{k}: Outlook holds Oro's values");
            }
            Outcome::OutlookToOro => {
                let (o, x) = (oro_now.unwrap(), x_now.unwrap());
                assert_eq!(
                    note_of(&x.item),
                    note_of(&x_edited.unwrap().item),
                    "{k}: Outlook kept its values"
                );
                assert!(o.item.same_as(&x.item), "{k}: Oro holds Outlook's values");
            }
            Outcome::Recreated => {
                assert!(x_now.is_none());
                assert_eq!(items.len(), 1, "{k}: one new item");
                assert_eq!(items[0].link.as_deref(), Some(oro_id.as_str()));
                assert!(items[0].item.same_as(&oro_now.unwrap().item));
            }
            Outcome::OutlookStays => {
                assert!(oro_now.is_none());
                assert_eq!(x_now, x_edited, "{k}: the item stays, unchanged");
            }
            Outcome::OroStays => {
                assert!(items.is_empty(), "{k}: not created again");
                assert_eq!(oro_now, oro_edited, "{k}: the Oro record stays");
            }
            Outcome::BothGone => {
                assert!(oro_now.is_none() && items.is_empty(), "{k}: nothing left");
            }
        }
        assert_links_consistent(&w, k);
    }
    assert_quiet(&mut w).await;
}

macro_rules! cells {
    ($($name:ident: $dir:ident, $oro:ident, $outlook:ident => $expect:ident $(, $conflict:literal)?;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                cell(Direction::$dir, Act::$oro, Act::$outlook, Outcome::$expect, false $(|| $conflict)?).await;
            }
        )*
    };
}

cells! {
    // docs/sync-rules.md, "Oro → Outlook (one-way)"
    cell_oro_to_outlook_same_same: OroToOutlook, Same, Same => Nothing;
    cell_oro_to_outlook_same_changed: OroToOutlook, Same, Change => Nothing;
    cell_oro_to_outlook_same_gone: OroToOutlook, Same, Delete => Recreated;
    cell_oro_to_outlook_changed_same: OroToOutlook, Change, Same => OroToOutlook;
    cell_oro_to_outlook_changed_changed: OroToOutlook, Change, Change => OroToOutlook;
    cell_oro_to_outlook_changed_gone: OroToOutlook, Change, Delete => Recreated;
    cell_oro_to_outlook_gone_same: OroToOutlook, Delete, Same => OutlookStays;
    cell_oro_to_outlook_gone_changed: OroToOutlook, Delete, Change => OutlookStays;
    cell_oro_to_outlook_gone_gone: OroToOutlook, Delete, Delete => BothGone;
    // docs/sync-rules.md, "Outlook → Oro (one-way)"
    cell_outlook_to_oro_same_same: OutlookToOro, Same, Same => Nothing;
    cell_outlook_to_oro_same_changed: OutlookToOro, Same, Change => OutlookToOro;
    cell_outlook_to_oro_same_gone: OutlookToOro, Same, Delete => OroStays;
    cell_outlook_to_oro_changed_same: OutlookToOro, Change, Same => OutlookToOro;
    cell_outlook_to_oro_changed_changed: OutlookToOro, Change, Change => OutlookToOro;
    cell_outlook_to_oro_changed_gone: OutlookToOro, Change, Delete => OroStays;
    cell_outlook_to_oro_gone_same: OutlookToOro, Delete, Same => BothGone;
    cell_outlook_to_oro_gone_changed: OutlookToOro, Delete, Change => BothGone;
    cell_outlook_to_oro_gone_gone: OutlookToOro, Delete, Delete => BothGone;
    // docs/sync-rules.md, "Bidirectional" (conflict setting: the default, oro-wins)
    cell_bidirectional_same_same: Bidirectional, Same, Same => Nothing;
    cell_bidirectional_same_changed: Bidirectional, Same, Change => OutlookToOro;
    cell_bidirectional_same_gone: Bidirectional, Same, Delete => Recreated;
    cell_bidirectional_changed_same: Bidirectional, Change, Same => OroToOutlook;
    cell_bidirectional_changed_changed: Bidirectional, Change, Change => OroToOutlook, true;
    cell_bidirectional_changed_gone: Bidirectional, Change, Delete => Recreated;
    cell_bidirectional_gone_same: Bidirectional, Delete, Same => BothGone;
    cell_bidirectional_gone_changed: Bidirectional, Delete, Change => BothGone, true;
    cell_bidirectional_gone_gone: Bidirectional, Delete, Delete => BothGone;
}
