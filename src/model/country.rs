//! Countries and regions of addresses as people write them
//! (docs/sync-rules.md "Contact addresses").
//!
//! Oro wants an ISO 3166-1 alpha-2 code and one of its own region codes;
//! Outlook holds free text (`countryOrRegion`, `state`). The codes and names
//! come from the `keshvar` crate's ISO data. Accepted for a country, trimmed
//! and case-insensitive: the alpha-2 and alpha-3 codes, the English ISO short
//! and long names, and the crate's common names of each country (English,
//! German, French, Spanish, Dutch and Japanese forms such as "Deutschland",
//! "Allemagne", "USA"). Other languages are not recognised.

use keshvar::{Alpha2, Alpha3, CountryIterator};
use std::collections::HashMap;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// Text compared without regard to case, Unicode form (composed "ü" and
/// "u" + combining diaeresis are equal) or runs of white space.
fn fold(s: &str) -> String {
    let lower: String = s.nfkc().flat_map(char::to_lowercase).collect();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Folded name → alpha-2, `None` where two countries share a name (such a
/// name decides nothing).
fn names() -> &'static HashMap<String, Option<Alpha2>> {
    static NAMES: OnceLock<HashMap<String, Option<Alpha2>>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut map: HashMap<String, Option<Alpha2>> = HashMap::new();
        for country in CountryIterator::new() {
            let code = country.alpha2();
            let all = [country.iso_short_name(), country.iso_long_name()]
                .into_iter()
                .chain(country.unofficial_name_list().iter().copied());
            for name in all {
                map.entry(fold(name))
                    .and_modify(|c| {
                        if *c != Some(code) {
                            *c = None;
                        }
                    })
                    .or_insert(Some(code));
            }
        }
        map
    })
}

/// The alpha-2 code (upper case) of a country written as a code or a name
/// (see the module's note for the forms accepted); `None` when unknown or
/// ambiguous.
pub fn country_code(text: &str) -> Option<String> {
    let t = text.trim();
    let code = match t.len() {
        2 if t.is_ascii() => Alpha2::try_from(t).ok(),
        3 if t.is_ascii() => Alpha3::try_from(t).ok().map(Alpha2::from),
        _ => None,
    };
    code.or_else(|| names().get(&fold(t)).copied().flatten())
        .map(|c| c.to_string())
}

/// The English (ISO short) name of an alpha-2 code, for Outlook's
/// `countryOrRegion` ("Germany", "United States of America").
pub fn country_name(code: &str) -> Option<&'static str> {
    let t = code.trim();
    if t.len() != 2 || !t.is_ascii() {
        return None;
    }
    Alpha2::try_from(t)
        .ok()
        .map(|c| c.to_country().iso_short_name())
}

/// A region code in Oro's combined form (`DE-BY`) split into its country
/// and its own part; a bare code (`BY`) has no country.
fn split_code(code: &str) -> (Option<&str>, &str) {
    match code.split_once('-') {
        Some((c, r)) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            (Some(c), r)
        }
        _ => (None, code),
    }
}

/// The code, among `regions` (Oro's (code, name) pairs of one country), of
/// a state written as its name ("Bayern"), its code ("BY") or its combined
/// code ("DE-BY"); case, white space and Unicode form do not matter.
/// `None` when nothing or more than one region matches: Oro's names are its
/// English translations, so a name in another language is not matched.
pub fn region_code<'a>(text: &str, regions: &'a [(String, String)]) -> Option<&'a str> {
    let t = fold(text);
    if t.is_empty() {
        return None;
    }
    let by_name: Vec<&str> = regions
        .iter()
        .filter(|(_, name)| fold(name) == t)
        .map(|(code, _)| code.as_str())
        .collect();
    if !by_name.is_empty() {
        return unique(by_name);
    }
    let (t_country, t_part) = split_code(&t);
    let by_code: Vec<&str> = regions
        .iter()
        .filter(|(code, _)| {
            let folded = fold(code);
            let (c_country, c_part) = split_code(&folded);
            let same_country = match (t_country, c_country) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            same_country && c_part == t_part
        })
        .map(|(code, _)| code.as_str())
        .collect();
    unique(by_code)
}

fn unique(mut v: Vec<&str>) -> Option<&str> {
    v.sort_unstable();
    v.dedup();
    match v.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_country_is_read_from_its_codes_and_its_english_or_native_names() {
        for text in [
            "DE",
            " de ",
            "DEU",
            "deu",
            "Germany",
            "GERMANY",
            "Deutschland",
            "deutschland ",
            "Allemagne",
            "The Federal Republic of Germany",
        ] {
            assert_eq!(country_code(text).as_deref(), Some("DE"), "{text}");
        }
        assert_eq!(country_code("Österreich").as_deref(), Some("AT"));
        assert_eq!(
            country_code("O\u{308}sterreich").as_deref(),
            Some("AT"),
            "decomposed umlaut"
        );
        assert_eq!(country_code("Isle  of Man").as_deref(), Some("IM"));
        assert_eq!(country_code("USA").as_deref(), Some("US"));
        assert_eq!(country_code("Schweiz").as_deref(), Some("CH"));
    }

    #[test]
    fn an_unknown_country_is_none() {
        for text in ["", "  ", "XX", "XXX", "Atlantis", "Deutsch", "D"] {
            assert_eq!(country_code(text), None, "{text}");
        }
    }

    #[test]
    fn a_codes_english_name_is_the_iso_short_name() {
        assert_eq!(country_name("DE"), Some("Germany"));
        assert_eq!(country_name("at"), Some("Austria"));
        assert_eq!(country_name("US"), Some("United States of America"));
        assert_eq!(country_name("XX"), None);
        assert_eq!(country_name("DEU"), None);
        assert_eq!(country_name("Ä"), None);
    }

    fn german() -> Vec<(String, String)> {
        [
            ("DE-BE", "Berlin"),
            ("DE-BW", "Baden-Württemberg"),
            ("DE-BY", "Bayern"),
        ]
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect()
    }

    #[test]
    fn a_state_is_matched_to_oros_region_by_code_or_name() {
        let r = german();
        for text in ["BY", "by", "DE-BY", "de-by", " Bayern ", "BAYERN"] {
            assert_eq!(region_code(text, &r), Some("DE-BY"), "{text}");
        }
        assert_eq!(
            region_code("Baden-Wu\u{308}rttemberg", &r),
            Some("DE-BW"),
            "decomposed umlaut"
        );
        assert_eq!(region_code("baden-württemberg", &r), Some("DE-BW"));
    }

    #[test]
    fn a_bare_region_code_list_matches_the_bare_or_combined_code() {
        let r = vec![("BY".to_string(), "Bayern".to_string())];
        assert_eq!(region_code("DE-BY", &r), Some("BY"));
        assert_eq!(region_code("by", &r), Some("BY"));
    }

    #[test]
    fn a_state_of_another_country_or_language_or_nothing_matches_no_region() {
        let r = german();
        for text in ["AT-BY", "Bavaria", "", "  ", "DE-XX", "DE"] {
            assert_eq!(region_code(text, &r), None, "{text}");
        }
        let twice = vec![
            ("DE-BY".to_string(), "Same".to_string()),
            ("DE-BE".to_string(), "same".to_string()),
        ];
        assert_eq!(region_code("Same", &twice), None, "ambiguous name");
    }
}
