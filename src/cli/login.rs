//! `orosync login oro|outlook`: sign in and keep the secret in the OS
//! keyring (the work is in [`crate::app::login`], shared with the tray).
//!
//! Oro: a browser sign-in for `auth = "oauth2-browser"`, else a prompt for
//! the API key (`wsse`) or client secret (`oauth2`). On a terminal the
//! prompt does not echo; when standard input is not a terminal, one line
//! is read from it (`echo "$KEY" | orosync login oro`), so scripts can
//! sign in without a pseudo-terminal.
//!
//! Outlook: a browser sign-in where a browser can be opened (a desktop
//! session), else the device code flow, whose message says where to go.

use super::sync::app_failure;
use super::{Failure, LoginArgs, SideArg};
use crate::app::login::{self, BROWSER_WAIT};
use crate::profile::Profile;
use crate::secrets::{KeyringStore, Secret, SecretStore};
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

pub fn run(profile: &Profile, args: LoginArgs) -> Result<(), Failure> {
    let Some(cfg) = super::load_config(profile)? else {
        return Err(Failure::usage(format!(
            "no configuration at {}: create it first (see README, \"Configuration\")",
            profile.config_path().display()
        )));
    };
    let store: Arc<dyn SecretStore> =
        Arc::new(KeyringStore::new(profile.dir.display().to_string()));
    let rt = super::runtime()?;
    match args.target {
        SideArg::Oro => {
            let user = match login::oro_prompt(&cfg) {
                Some((name, what)) => {
                    shadowed_by_env(name);
                    let value = read_secret(&format!(
                        "Oro {what} for {} at {}: ",
                        cfg.oro.username, cfg.oro.url
                    ))?;
                    rt.block_on(login::login_oro_secret(&cfg, value, store.as_ref()))
                }
                None => rt.block_on(login::login_oro_browser(
                    &cfg,
                    store.as_ref(),
                    |url| show_url("Oro", url),
                    BROWSER_WAIT,
                )),
            }
            .map_err(app_failure)?;
            eprintln!("Signed in to Oro as {} (user {user}).", cfg.oro.username);
        }
        SideArg::Outlook => {
            shadowed_by_env(crate::secrets::OUTLOOK_REFRESH_TOKEN);
            let r = if crate::desktop::has_display() {
                rt.block_on(login::login_outlook_browser(
                    &cfg,
                    store,
                    |url| show_url("Microsoft", url),
                    BROWSER_WAIT,
                ))
            } else {
                rt.block_on(login::login_outlook_device(&cfg, store, |dc| {
                    let msg = if dc.message.is_empty() {
                        format!(
                            "To sign in, open {} and enter the code {}.",
                            dc.verification_uri, dc.user_code
                        )
                    } else {
                        dc.message.clone()
                    };
                    eprintln!("{msg}");
                    eprintln!("Waiting for the sign-in to finish…");
                }))
            };
            r.map_err(app_failure)?;
            eprintln!("Signed in to Outlook.");
        }
    }
    Ok(())
}

/// A secret in the environment takes the place of the one stored here;
/// say so, rather than let the new sign-in appear not to work.
fn shadowed_by_env(name: &str) {
    let var = crate::secrets::ENV_VARS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v);
    if let Some(var) = var.filter(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty())) {
        eprintln!(
            "Note: {var} is set; while it is, it takes the place of what this sign-in stores."
        );
    }
}

/// The secret from a hidden prompt on a terminal, else one line of stdin.
fn read_secret(prompt: &str) -> Result<Secret, Failure> {
    let value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Failure::failed(format!("cannot read from the terminal: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::failed(format!("cannot read standard input: {e}")))?;
        line
    };
    let value = value.trim_end_matches(['\r', '\n']).to_string();
    if value.trim().is_empty() {
        return Err(Failure::usage(
            "nothing was entered; run `orosync login oro` again and paste the key",
        ));
    }
    Ok(Secret::new(value))
}

/// Print the sign-in URL and try to open it in the browser.
fn show_url(what: &str, url: &str) {
    eprintln!(
        "Opening the {what} sign-in page in your browser. If it does not open, visit:\n  {url}"
    );
    if crate::desktop::open(url).is_err() {
        eprintln!("(No browser could be started; open the address above on this computer.)");
    }
    eprintln!("Waiting for the sign-in to finish (up to 5 minutes)…");
}
