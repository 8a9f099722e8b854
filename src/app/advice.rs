//! What to do when a run stopped, in one place for both shells: the
//! problem is the same, only where the user acts differs (a command on the
//! terminal, or the settings window of the tray, which also retries on its
//! own when the servers come back).

use super::AppError;
use crate::summary::Fatal;

/// Where the advice is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// `orosync` on a terminal: name the command to run.
    Cli,
    /// The tray app: point to its settings window; it retries by itself.
    Tray,
}

/// What stopped a run, with what to do about it.
pub fn for_fatal(f: &Fatal, shell: Shell) -> String {
    match (f, shell) {
        (Fatal::Auth(m), Shell::Cli) => format!(
            "authentication refused: {m}; sign in again with `orosync login oro` or `orosync login outlook`"
        ),
        (Fatal::Auth(_), Shell::Tray) => format!("{f}. Open Settings to check the sign-in."),
        (Fatal::Unavailable(m), Shell::Cli) => format!(
            "{m}; check the network and the server URLs in config.toml, then run again (what was synced so far is kept)"
        ),
        (Fatal::Unavailable(m), Shell::Tray) => unreachable_advice(m),
        (Fatal::State(m), Shell::Cli) => {
            format!("state database: {m}; check the profile folder and its permissions")
        }
        (Fatal::State(_), Shell::Tray) => {
            format!("{f}. Check the profile folder and its permissions.")
        }
    }
}

/// A run that could not start, with what to do. The CLI's errors say it
/// already (their text names the command or key); the tray points to its
/// windows instead.
pub fn for_error(e: &AppError, shell: Shell) -> String {
    match (e, shell) {
        (_, Shell::Cli) => e.to_string(),
        (AppError::Unreachable(m), Shell::Tray) => unreachable_advice(m),
        (AppError::NeedsConfirmation { deletes }, Shell::Tray) => format!(
            "The first sync would delete {deletes} Outlook item(s) that carry an Oro id. \
             Open Settings → Resync to review and confirm."
        ),
        (AppError::Config(_) | AppError::NoConfig { .. }, Shell::Tray) => {
            format!("{e}. Open Settings to fix it.")
        }
        (_, Shell::Tray) => e.to_string(),
    }
}

/// The tray retries on its own: the user need do nothing.
fn unreachable_advice(m: &str) -> String {
    format!("{m}. OroSync tries again on its own.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_names_the_command_and_the_tray_its_window() {
        let auth = Fatal::Auth("token expired".into());
        let cli = for_fatal(&auth, Shell::Cli);
        assert!(
            cli.contains("token expired") && cli.contains("orosync login outlook"),
            "{cli}"
        );
        let tray = for_fatal(&auth, Shell::Tray);
        assert!(
            tray.contains("token expired") && tray.contains("Open Settings"),
            "{tray}"
        );
    }

    #[test]
    fn unreachable_servers_are_retried_by_the_tray_and_rerun_on_the_terminal() {
        let f = Fatal::Unavailable("crm.example.com:443 cannot be reached".into());
        assert!(for_fatal(&f, Shell::Cli).contains("then run again"));
        let tray = for_fatal(&f, Shell::Tray);
        assert!(tray.ends_with("OroSync tries again on its own."), "{tray}");
        let e = AppError::Unreachable("crm.example.com:443 cannot be reached".into());
        assert_eq!(for_error(&e, Shell::Tray), tray);
    }

    #[test]
    fn a_state_problem_points_to_the_profile_folder_in_both() {
        let f = Fatal::State("disk I/O error".into());
        for shell in [Shell::Cli, Shell::Tray] {
            let a = for_fatal(&f, shell).to_lowercase();
            assert!(
                a.contains("disk i/o error") && a.contains("profile folder"),
                "{a}"
            );
        }
    }

    #[test]
    fn errors_before_a_run_keep_their_own_words_on_the_cli() {
        let e = AppError::NeedsConfirmation { deletes: 3 };
        assert_eq!(for_error(&e, Shell::Cli), e.to_string());
        let tray = for_error(&e, Shell::Tray);
        assert!(
            tray.contains("3 Outlook item(s)") && tray.contains("Resync"),
            "{tray}"
        );
        let e = AppError::NoConfig {
            path: "/p/config.toml".into(),
        };
        assert!(for_error(&e, Shell::Tray).ends_with("Open Settings to fix it."));
    }
}
