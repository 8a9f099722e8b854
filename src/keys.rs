//! Keys: the tuple of field values that pairs an unlinked Outlook item with
//! an Oro record (docs/sync-rules.md, "Words" (Key)).

use crate::model::{Field, Item};

/// The normalised key of `item` over `fields`, as one comparable string.
/// Equal strings ⇔ equal keys under the comparison rules of docs/sync-rules.md, "Words" (Key).
pub fn key_of(item: &Item, fields: &[Field]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            // A separator no normalised text can contain.
            out.push('\u{1f}');
        }
        out.push_str(&item.value(*f).key_part());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::model::{Contact, Gender};
    use crate::settings::Keys;

    fn c(first: &str, last: &str) -> Item {
        Item::Contacts(Contact {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            gender: Some(Gender::Female),
            ..Default::default()
        })
    }

    #[test]
    fn k1_contact_key_ignores_case_and_spacing_but_not_fields() {
        let keys = Keys::default();
        let f = keys.of(Kind::Contacts);
        assert_eq!(key_of(&c(" Ann ", "LEE"), f), key_of(&c("ann", "lee"), f));
        assert_ne!(key_of(&c("Ann", "Lee"), f), key_of(&c("Ann", "Li"), f));
        assert_ne!(key_of(&c("", "AnnLee"), f), key_of(&c("Ann", "Lee"), f));
    }
}
