//! A real Secret Service round trip through `KeyringStore`. Runs only when
//! `OROSYNC_TEST_KEYRING=1` (CI starts gnome-keyring inside
//! dbus-run-session and sets it); otherwise it says it skipped.

use orosync::secrets::{KeyringStore, Secret, SecretStore, OUTLOOK_REFRESH_TOKEN};

#[test]
fn secret_service_round_trip() {
    if std::env::var("OROSYNC_TEST_KEYRING").as_deref() != Ok("1") {
        eprintln!("keyring test skipped: set OROSYNC_TEST_KEYRING=1 with a Secret Service running");
        return;
    }
    let profile = format!("/tmp/orosync-keyring-test-{}", std::process::id());
    let store = KeyringStore::new(profile.clone());
    store.delete(OUTLOOK_REFRESH_TOKEN).unwrap();
    assert_eq!(store.get(OUTLOOK_REFRESH_TOKEN).unwrap(), None);

    store
        .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("rt-first"))
        .unwrap();
    store
        .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("rt-rotated"))
        .unwrap();
    // A fresh store object (as in the next run) reads what was kept.
    let again = KeyringStore::new(profile.clone());
    assert_eq!(
        again.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap().expose(),
        "rt-rotated"
    );
    // Another profile has its own account.
    let other = KeyringStore::new(format!("{profile}-other"));
    assert_eq!(other.get(OUTLOOK_REFRESH_TOKEN).unwrap(), None);

    again.delete(OUTLOOK_REFRESH_TOKEN).unwrap();
    again.delete(OUTLOOK_REFRESH_TOKEN).unwrap();
    assert_eq!(store.get(OUTLOOK_REFRESH_TOKEN).unwrap(), None);
}
