//! Secrets (refresh tokens, API keys): the OS keyring behind a small trait,
//! with environment variables taking precedence (docs/cli.md, "Secrets").
//!
//! Every secret value travels as a [`Secret`], whose `Debug` and `Display`
//! print `<redacted>`, so a stray `{:?}` in a log line or an error message
//! cannot leak it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

/// The keyring service name every entry is filed under.
pub const SERVICE: &str = "orosync";

/// Names of the secrets the app keeps, and the variables that replace them.
pub const OUTLOOK_REFRESH_TOKEN: &str = "outlook_refresh_token";
pub const ORO_API_KEY: &str = "oro_api_key";
pub const ORO_CLIENT_SECRET: &str = "oro_client_secret";
pub const ORO_REFRESH_TOKEN: &str = "oro_refresh_token";

/// Secret name → environment variable that takes its place.
pub const ENV_VARS: &[(&str, &str)] = &[
    (OUTLOOK_REFRESH_TOKEN, "OROSYNC_OUTLOOK_REFRESH_TOKEN"),
    (ORO_API_KEY, "OROSYNC_ORO_API_KEY"),
    (ORO_CLIENT_SECRET, "OROSYNC_ORO_CLIENT_SECRET"),
    (ORO_REFRESH_TOKEN, "OROSYNC_ORO_REFRESH_TOKEN"),
];

/// The secret variables [`take_from_environment`] moved out of the process
/// environment (variable → value).
static TAKEN: OnceLock<HashMap<&'static str, String>> = OnceLock::new();

/// Move the secret variables of [`ENV_VARS`] out of this process's
/// environment into memory, where [`env_var`] still finds them. Every
/// program this process starts then inherits none of them, including the
/// ones it does not start itself (WebKit's helper processes, a library's
/// subprocess), which no per-spawn clean-up can reach. Both binaries call it
/// first thing in `main`, while the process has one thread (changing the
/// environment beside other threads is a data race).
pub fn take_from_environment() {
    let vars = ENV_VARS
        .iter()
        .filter_map(|(_, var)| std::env::var(var).ok().map(|v| (*var, v)))
        .collect();
    for (_, var) in ENV_VARS {
        std::env::remove_var(var);
    }
    // A second call finds the environment empty; keep the first snapshot.
    let _ = TAKEN.set(vars);
}

/// The value of a secret variable (one of [`ENV_VARS`]): what
/// [`take_from_environment`] kept, or the environment itself where it was
/// never called (tests, library users).
pub fn env_var(var: &str) -> Option<String> {
    match TAKEN.get() {
        Some(taken) => taken.get(var).cloned(),
        None => std::env::var(var).ok(),
    }
}

/// A secret value. Only [`Secret::expose`] gives the text; formatting never does.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The keyring could not be used. The text never contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret store: {0}")]
pub struct SecretError(pub String);

/// Where secrets are kept, by name.
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError>;
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError>;
    /// Deleting a secret that is not there succeeds.
    fn delete(&self, name: &str) -> Result<(), SecretError>;
}

impl<T: SecretStore + ?Sized> SecretStore for Arc<T> {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        (**self).get(name)
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        (**self).set(name, value)
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        (**self).delete(name)
    }
}

/// The OS keyring (Secret Service on Linux) through the `keyring` crate:
/// service `orosync`, account `<profile folder>:<secret name>`, so two
/// profiles of one user never share a token.
#[derive(Clone, Debug)]
pub struct KeyringStore {
    profile: String,
}

impl KeyringStore {
    pub fn new(profile: impl Into<String>) -> KeyringStore {
        KeyringStore {
            profile: profile.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, &format!("{}:{}", self.profile, name)).map_err(describe)
    }
}

/// keyring's errors carry no secret values, but some wrap platform errors
/// whose text is long; keep the kind and the platform's message.
fn describe(e: keyring::Error) -> SecretError {
    SecretError(e.to_string())
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(Secret(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(e)),
        }
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        self.entry(name)?
            .set_password(value.expose())
            .map_err(describe)
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(e)),
        }
    }
}

/// Secrets in memory, for tests and for throw-away profiles.
#[derive(Clone, Default)]
pub struct MemorySecrets {
    map: Arc<Mutex<HashMap<String, Secret>>>,
}

impl MemorySecrets {
    pub fn new() -> MemorySecrets {
        MemorySecrets::default()
    }
}

impl SecretStore for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        Ok(self.map.lock().expect("secrets lock").get(name).cloned())
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        self.map
            .lock()
            .expect("secrets lock")
            .insert(name.to_string(), value.clone());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.map.lock().expect("secrets lock").remove(name);
        Ok(())
    }
}

/// Environment variables first, then `inner`. A secret that came from the
/// environment is never written anywhere: when it rotates (a refresh token)
/// the new value is kept in memory for this run only.
pub struct EnvFirst<S> {
    inner: S,
    vars: HashMap<String, String>,
    run_only: Mutex<HashMap<String, Secret>>,
}

impl<S: SecretStore> EnvFirst<S> {
    /// Read the variables of [`ENV_VARS`] from the process environment now.
    pub fn new(inner: S) -> EnvFirst<S> {
        Self::with_vars(
            inner,
            ENV_VARS
                .iter()
                .filter_map(|(name, var)| {
                    env_var(var)
                        .filter(|v| !v.is_empty())
                        .map(|v| (name.to_string(), v))
                })
                .collect(),
        )
    }

    /// As [`EnvFirst::new`] with the variables given (secret name → value),
    /// so tests do not have to change the process environment.
    pub fn with_vars(inner: S, vars: HashMap<String, String>) -> EnvFirst<S> {
        EnvFirst {
            inner,
            vars,
            run_only: Mutex::new(HashMap::new()),
        }
    }

    /// True when `name` comes from the environment in this run.
    pub fn from_env(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }
}

impl<S: SecretStore> SecretStore for EnvFirst<S> {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        if let Some(v) = self.run_only.lock().expect("secrets lock").get(name) {
            return Ok(Some(v.clone()));
        }
        match self.vars.get(name) {
            Some(v) => Ok(Some(Secret(v.clone()))),
            None => self.inner.get(name),
        }
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        if self.from_env(name) {
            self.run_only
                .lock()
                .expect("secrets lock")
                .insert(name.to_string(), value.clone());
            Ok(())
        } else {
            self.inner.set(name, value)
        }
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        if self.from_env(name) {
            self.run_only.lock().expect("secrets lock").remove(name);
            Ok(())
        } else {
            self.inner.delete(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn memory_store_round_trips_and_delete_is_idempotent() {
        let m = MemorySecrets::new();
        assert_eq!(m.get("a").unwrap(), None);
        m.set("a", &Secret::new("1")).unwrap();
        assert_eq!(m.get("a").unwrap(), Some(Secret::new("1")));
        m.delete("a").unwrap();
        m.delete("a").unwrap();
        assert_eq!(m.get("a").unwrap(), None);
    }

    #[test]
    fn environment_wins_and_is_never_written_through() {
        let inner = MemorySecrets::new();
        inner
            .set(OUTLOOK_REFRESH_TOKEN, &Secret::new("stored"))
            .unwrap();
        let vars = HashMap::from([(OUTLOOK_REFRESH_TOKEN.to_string(), "from-env".to_string())]);
        let s = EnvFirst::with_vars(inner.clone(), vars);
        assert_eq!(
            s.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap().expose(),
            "from-env"
        );
        // Rotation: the new value is used for the rest of the run only.
        s.set(OUTLOOK_REFRESH_TOKEN, &Secret::new("rotated"))
            .unwrap();
        assert_eq!(
            s.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap().expose(),
            "rotated"
        );
        assert_eq!(
            inner.get(OUTLOOK_REFRESH_TOKEN).unwrap().unwrap().expose(),
            "stored"
        );
        // Names not in the environment go to the inner store.
        s.set(ORO_API_KEY, &Secret::new("k")).unwrap();
        assert_eq!(inner.get(ORO_API_KEY).unwrap().unwrap().expose(), "k");
    }
}
