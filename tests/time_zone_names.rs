//! Every zone an OS may report has a Windows name for Graph (else events
//! cannot be written in it). CLDR's table lists many current names only
//! under an old one (Asia/Kolkata as Asia/Calcutta), and the old aliases
//! (US/Eastern) not at all.

use orosync::graph::mapping::windows_zone;

#[test]
fn renamed_and_linked_zones_have_a_windows_name() {
    for (iana, windows) in [
        ("Asia/Kolkata", "India Standard Time"),
        ("Asia/Kathmandu", "Nepal Standard Time"),
        ("Asia/Yangon", "Myanmar Standard Time"),
        ("US/Eastern", "Eastern Standard Time"),
        ("US/Pacific", "Pacific Standard Time"),
    ] {
        let tz: chrono_tz::Tz = iana.parse().unwrap();
        assert_eq!(windows_zone(tz), Some(windows), "{iana}");
    }
    // Any listed zone with the same offsets will do (Kyiv's are Bucharest's).
    for iana in [
        "Europe/Kyiv",
        "Asia/Ho_Chi_Minh",
        "America/Argentina/Buenos_Aires",
        "Atlantic/Faroe",
        "GB",
        "Japan",
    ] {
        let tz: chrono_tz::Tz = iana.parse().unwrap();
        assert!(windows_zone(tz).is_some(), "{iana}");
    }
}

#[test]
fn every_iana_zone_but_antarctica_troll_has_a_windows_name() {
    let missing: Vec<&str> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|tz| windows_zone(**tz).is_none())
        .map(|tz| tz.name())
        .collect();
    eprintln!(
        "{} of {} zones without a Windows name: {missing:?}",
        missing.len(),
        chrono_tz::TZ_VARIANTS.len()
    );
    // Exactly this one with the zone data in Cargo.lock (Troll station has
    // no Windows zone); a new gap after an update is to be looked at, not
    // absorbed by a bound.
    assert_eq!(missing, ["Antarctica/Troll"]);
}
