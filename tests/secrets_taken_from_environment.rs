//! The binaries move the secret variables out of their own environment
//! before anything else (`secrets::take_from_environment`), so no program
//! they start inherits one, including programs started by libraries
//! (WebKit's helper processes) that no per-spawn clean-up reaches.
//!
//! One test in its own binary: it changes the process environment, which
//! must not happen beside other threads reading it.

use orosync::secrets::{self, EnvFirst, MemorySecrets, SecretStore, ENV_VARS, ORO_API_KEY};
use std::process::Command;

#[test]
fn secret_variables_leave_the_environment_and_stay_readable_to_the_app() {
    for (i, (_, var)) in ENV_VARS.iter().enumerate() {
        std::env::set_var(var, format!("secret-value-{i}"));
    }
    secrets::take_from_environment();

    for (i, (_, var)) in ENV_VARS.iter().enumerate() {
        assert!(
            std::env::var_os(var).is_none(),
            "{var} still in the environment"
        );
        assert_eq!(
            secrets::env_var(var).as_deref(),
            Some(format!("secret-value-{i}").as_str()),
            "{var} no longer readable by the app"
        );
    }
    // The secret store still takes the variable's place of the keyring.
    let store = EnvFirst::new(MemorySecrets::new());
    assert_eq!(
        store
            .get(ORO_API_KEY)
            .unwrap()
            .map(|s| s.expose().to_string()),
        Some("secret-value-1".to_string())
    );

    // A child started with no clean-up at all inherits none of them.
    let out = Command::new("env").output().expect("run env");
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        env.lines().any(|l| l.starts_with("PATH=")),
        "env printed nothing useful"
    );
    assert!(
        !env.contains("secret-value-"),
        "a child inherited a secret: {env}"
    );
}
