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

/// The first-run setup against the real Secret Service: a commit that
/// cannot make the profile folder takes its secrets back out of the
/// keyring; one that can keeps them there, and nothing in config.toml.
#[test]
fn setup_commit_is_all_or_nothing_in_the_keyring() {
    use orosync::config::Config;
    use orosync::secrets::ORO_API_KEY;
    use orosync::setup::Draft;
    if std::env::var("OROSYNC_TEST_KEYRING").as_deref() != Ok("1") {
        eprintln!("keyring test skipped: set OROSYNC_TEST_KEYRING=1 with a Secret Service running");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let draft = Draft::new().unwrap();
    draft
        .set_config(&Config::new("https://crm.example.com", "jane", "app-id"))
        .unwrap();
    draft
        .secrets()
        .set(ORO_API_KEY, &Secret::new("setup-key-1"))
        .unwrap();
    draft
        .secrets()
        .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("setup-rt-1"))
        .unwrap();

    // The profile's parent is a file: the folder cannot be made.
    std::fs::write(root.path().join("file"), "x").unwrap();
    let bad = root.path().join("file").join("default");
    let store = KeyringStore::new(bad.display().to_string());
    assert!(draft.commit(&bad, &store).is_err());
    assert_eq!(store.get(ORO_API_KEY).unwrap(), None, "taken back");
    assert_eq!(store.get(OUTLOOK_REFRESH_TOKEN).unwrap(), None);

    let good = root.path().join("orosync").join("default");
    let store = KeyringStore::new(good.display().to_string());
    draft.commit(&good, &store).unwrap();
    assert_eq!(
        store.get(ORO_API_KEY).unwrap().unwrap().expose(),
        "setup-key-1"
    );
    let text = std::fs::read_to_string(good.join("config.toml")).unwrap();
    assert!(!text.contains("setup-key-1") && !text.contains("setup-rt-1"));
    store.delete(ORO_API_KEY).unwrap();
    store.delete(OUTLOOK_REFRESH_TOKEN).unwrap();
}
