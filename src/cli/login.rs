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
//! session), else the device code flow, whose message says where to go
//! (the policy is [`crate::app::login::login_outlook`], the tray's too).

use super::sync::app_failure;
use super::{Failure, LoginArgs, SideArg};
use crate::app::login::{self, BROWSER_WAIT};
use crate::app::trust::{self, Fingerprint, Probe};
use crate::config::Config;
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
    let flag = match (&args.trust_fingerprint, args.target) {
        (None, _) => None,
        (Some(_), SideArg::Outlook) => {
            return Err(Failure::usage(
                "--trust-fingerprint is for `orosync login oro` (the Oro server's certificate)",
            ))
        }
        (Some(f), SideArg::Oro) => Some(
            Fingerprint::parse(f)
                .map_err(|problem| Failure::usage(format!("--trust-fingerprint: {problem}")))?,
        ),
    };
    match args.target {
        SideArg::Oro => {
            let cfg = confirm_certificate(profile, cfg, flag, &rt)?;
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
            // The policy (browser or device code, and the fallback) is the
            // library's, as for the tray; only the words are ours.
            let r = rt.block_on(login::login_outlook(
                &cfg,
                store,
                login::OutlookMethod::Auto,
                crate::desktop::has_display(),
                |prompt| match prompt {
                    login::OutlookPrompt::Browser(url) => show_url("Microsoft", url),
                    login::OutlookPrompt::DeviceCode(dc) => {
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
                    }
                },
                BROWSER_WAIT,
            ));
            r.map_err(app_failure)?;
            eprintln!("Signed in to Outlook.");
        }
    }
    Ok(())
}

/// Before any credential is sent: when the Oro server's certificate is not
/// trusted by the OS, show it and pin it once the user confirms (a yes on
/// the terminal, or `--trust-fingerprint` equal to what the server
/// presents); a pinned certificate that changed is refused. Returns the
/// config to sign in with (with the new pin).
fn confirm_certificate(
    profile: &Profile,
    cfg: Config,
    flag: Option<Fingerprint>,
    rt: &tokio::runtime::Runtime,
) -> Result<Config, Failure> {
    let host = trust::host_of(&cfg.oro.url);
    let probe = rt
        .block_on(trust::probe_oro(&cfg.oro.url, cfg.oro.tls_fingerprint))
        .map_err(app_failure)?;
    let (certificate, reason) = match probe {
        Probe::NotTls | Probe::Trusted | Probe::Pinned => {
            if let (Some(f), Probe::Pinned) = (flag, &probe) {
                if Some(f) != cfg.oro.tls_fingerprint {
                    return Err(mismatch(&host, cfg.oro.tls_fingerprint, f));
                }
            }
            return Ok(cfg);
        }
        Probe::Changed {
            pinned,
            certificate,
        } => {
            if flag != Some(certificate.fingerprint) {
                if let Some(f) = flag {
                    return Err(mismatch(&host, Some(certificate.fingerprint), f));
                }
                return Err(Failure {
                    code: 4,
                    message: trust::changed_message(
                        &cfg.oro.url,
                        &pinned,
                        &certificate.fingerprint,
                    ),
                });
            }
            (certificate, format!("it replaces the pinned {pinned}"))
        }
        Probe::Untrusted {
            certificate,
            reason,
        } => (certificate, reason),
    };
    eprintln!("The certificate of {host} is not trusted by this system ({reason}):");
    for (what, value) in trust::describe(&certificate) {
        eprintln!("  {what:<12} {value}");
    }
    let presented = certificate.fingerprint;
    match flag {
        Some(f) if f == presented => {}
        Some(f) => return Err(mismatch(&host, Some(presented), f)),
        None if std::io::stdin().is_terminal() => {
            eprintln!(
                "Compare the fingerprint with the one your Oro administrator gives you \
                 (`openssl x509 -noout -fingerprint -sha256 -in <certificate>`)."
            );
            eprint!("Trust this certificate for {host}? [y/N] ");
            let mut answer = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut answer)
                .map_err(|e| Failure::failed(format!("cannot read from the terminal: {e}")))?;
            if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
                return Err(Failure::usage(format!(
                    "the certificate of {host} was not trusted; nothing was changed"
                )));
            }
        }
        None => {
            return Err(Failure::usage(format!(
                "the certificate of {host} is not trusted by this system and there is no terminal to confirm it: \
                 check its fingerprint with the server's administrator, then run \
                 `orosync login oro --trust-fingerprint {presented}`"
            )))
        }
    }
    // The tray's "Trust this certificate" too: pinned only if the server
    // still presents it, through the one writer of config.toml.
    let cfg = rt
        .block_on(trust::trust_oro_certificate(
            &profile.config_path(),
            presented,
        ))
        .map_err(app_failure)?;
    eprintln!("Pinned: {host} is trusted by this certificate only ([oro] tls_fingerprint in config.toml).");
    Ok(cfg)
}

/// The server does not present the certificate the user named.
fn mismatch(host: &str, presented: Option<Fingerprint>, given: Fingerprint) -> Failure {
    let presented = presented.map_or("another certificate".into(), |p| p.to_string());
    Failure {
        code: 4,
        message: format!(
            "{host} presents {presented}, not the {given} given with --trust-fingerprint; \
             nothing was trusted (check with the server's administrator)"
        ),
    }
}

/// A secret in the environment takes the place of the one stored here;
/// say so, rather than let the new sign-in appear not to work.
fn shadowed_by_env(name: &str) {
    let var = crate::secrets::ENV_VARS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v);
    if let Some(var) = var.filter(|v| crate::secrets::env_var(v).is_some_and(|x| !x.is_empty())) {
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
