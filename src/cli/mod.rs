//! The `orosync` command line (docs/cli.md, "Commands"): the clap
//! types, logging set-up, and the one place commands are dispatched.
//!
//! Commands return `Result<(), Failure>`; `main` turns a [`Failure`] into its
//! one line on stderr and its exit status, so every command reports errors
//! the same way.

mod conflicts;
#[cfg(feature = "demo")]
mod demo;
mod login;
mod output;
mod progress;
mod resolve;
mod status;
mod sync;

use crate::config::{Config, ConfigError};
use crate::model::{Kind, Side};
use crate::profile::Profile;
use crate::settings::Direction;
use crate::state::StateError;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit status for usage and configuration errors, a missing confirmation,
/// an unknown conflict id and a too-new state database (docs/cli.md, "Exit status").
pub const EXIT_USAGE: u8 = 2;
/// Exit status for anything else that stops a command (an unreadable state
/// database, stdout gone bad): docs/cli.md ("Exit status") has no code of its own for it,
/// and 1 is what a sync reports for a state-database failure
/// ([`crate::summary::Summary::exit_code`]).
pub const EXIT_FAILED: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "orosync",
    version,
    about = "Keeps OroCRM contacts, tasks and calendar events in sync with Outlook"
)]
pub struct Cli {
    /// More detail on stderr: -v for progress, -vv for debugging.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// The profile folder (config.toml, state, logs, backups).
    /// [default: the OS per-user data folder, e.g. ~/.local/share/orosync/default]
    #[arg(long, value_name = "DIR", global = true)]
    pub profile: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one sync now.
    Sync(SyncArgs),
    /// Last run, pending conflicts and next run.
    Status(JsonArg),
    /// Conflicts waiting for your choice (conflict_resolution = "ask").
    Conflicts(JsonArg),
    /// Choose which side of a pending conflict to keep; applied at the next sync.
    Resolve(ResolveArgs),
    /// Sign in to Oro or Outlook and keep the secret in the OS keyring.
    Login(LoginArgs),
    /// Try OroSync against local fake servers filled with sample data.
    /// (Only in builds with the `demo` feature, the default.)
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Print a report for support: version, settings, last runs and recent
    /// errors, with every secret redacted.
    Diagnostics,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Override the configured direction for this run.
    #[arg(long, value_parser = direction_parser())]
    pub direction: Option<Direction>,
    /// Override the configured kinds for this run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    pub kinds: Option<Vec<KindArg>>,
    /// Start over: the run is a first sync for every kind it covers.
    #[arg(long)]
    pub resync: bool,
    /// Confirm the deletions of a first sync or resync without asking, and
    /// a mass deletion (more than half of a kind's linked items gone from Oro).
    #[arg(long)]
    pub yes: bool,
    /// Answer a mass deletion with "keep": the Outlook items whose Oro
    /// records are gone stay, and are created again in Oro.
    #[arg(long, conflicts_with = "yes")]
    pub keep: bool,
    /// Compute and print the plan; write nothing anywhere.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the run summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The conflict's id, as `orosync conflicts` shows it.
    pub id: String,
    /// The side whose version is kept.
    #[arg(long, value_enum)]
    pub keep: SideArg,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Which system to sign in to.
    #[arg(value_enum)]
    pub target: SideArg,
    /// Oro only: trust the server's self-signed certificate if, and only
    /// if, its SHA-256 fingerprint is this one (confirms without a terminal).
    #[arg(long, value_name = "sha256:HEX")]
    pub trust_fingerprint: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Stop after the second sync instead of keeping the servers up.
    #[arg(long)]
    pub no_wait: bool,
}

// Mirrors of the model's enums: clap's ValueEnum derive gives the
// documented spellings, help text and "did you mean" for free, and the
// library stays free of clap. Settings use their own parser instead
// (`direction_parser`).

/// `--direction`: the setting's own names and parser (the one style of
/// setting enum), with clap's listing of the values and its suggestions.
fn direction_parser() -> impl clap::builder::TypedValueParser<Value = Direction> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Direction::NAMES).try_map(|s| s.parse::<Direction>())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Contacts,
    Tasks,
    Events,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Contacts => Kind::Contacts,
            KindArg::Tasks => Kind::Tasks,
            KindArg::Events => Kind::Events,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SideArg {
    Oro,
    Outlook,
}

impl From<SideArg> for Side {
    fn from(s: SideArg) -> Side {
        match s {
            SideArg::Oro => Side::Oro,
            SideArg::Outlook => Side::Outlook,
        }
    }
}

/// Why a command stopped: the exit status and the one line for stderr,
/// which says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

/// Parses the command line. Help and version print as clap lays them out;
/// a usage error becomes a [`Failure`] (exit 2), so it is one line on
/// stderr like every other failure (docs/cli.md, "Exit status"), which scripts can rely on.
pub fn parse_args() -> Result<Cli, Failure> {
    use clap::error::ErrorKind;
    Cli::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        _ => Failure::usage(usage_line(&e.render().to_string())),
    })
}

/// clap's error text on one line: its lines joined, the `error:` prefix and
/// the closing "For more information" dropped in favour of our own hint.
fn usage_line(rendered: &str) -> String {
    let mut parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    if let Some(first) = parts.first_mut() {
        *first = first.strip_prefix("error:").unwrap_or(first).trim_start();
    }
    parts.push("see `orosync --help`");
    let mut line = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // "were not provided:" introduces the next part; the rest are
            // separate sentences.
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    line
}

/// Runs the parsed command: sets up logging (stderr by `-v`, and the
/// profile's `logs/` folder), then dispatches. This is the only dispatch.
pub fn run(cli: Cli) -> Result<(), Failure> {
    #[cfg(feature = "demo")]
    if let Command::Demo(a) = cli.command {
        // The demo makes its own throw-away profile; it logs there.
        let dir = crate::demo::Demo::new_profile_dir().map_err(|e| {
            Failure::failed(format!("cannot create the demo's profile folder: {e}"))
        })?;
        init_logging_to(cli.verbose, Some(&Profile::at(&dir).logs_dir()));
        return demo::run(&dir, a);
    }
    let p = profile(cli.profile)?;
    // Read-only commands do not create a profile that is not there (a
    // mistyped --profile); they log to it only when it exists.
    let creates = matches!(cli.command, Command::Sync(_) | Command::Login(_));
    if creates {
        // Made here, private (0700), before the log file goes in it; the
        // commands would make it anyway.
        Profile::open(&p.dir).map_err(|e| {
            Failure::failed(format!(
                "cannot create the profile folder {}: {e}",
                p.dir.display()
            ))
        })?;
    }
    let logs = (creates || p.dir.is_dir()).then(|| p.logs_dir());
    init_logging_to(cli.verbose, logs.as_deref());
    // Into the log (info: stderr stays one line per failure, as scripts
    // expect); `status` and `diagnostics` show it to the user.
    if p.dir.is_dir() {
        if let Some(w) = p.exposure() {
            tracing::info!("warning: {w}");
        }
    }
    match cli.command {
        Command::Status(a) => status::run(&p, a.json),
        Command::Conflicts(a) => conflicts::run(&p, a.json),
        Command::Resolve(a) => resolve::run(&p, &a.id, a.keep.into()),
        Command::Sync(a) => sync::run(&p, a),
        Command::Login(a) => login::run(&p, a),
        Command::Diagnostics => {
            let secrets = crate::secrets::EnvFirst::new(crate::secrets::KeyringStore::new(
                p.dir.display().to_string(),
            ));
            print!(
                "{}",
                crate::diagnostics::report(&p.dir, &secrets, chrono::Utc::now())
            );
            Ok(())
        }
        #[cfg(feature = "demo")]
        Command::Demo(_) => unreachable!("handled above"),
    }
}

/// The runtime for commands that talk to servers: two workers are plenty
/// for a client that keeps at most a few requests in flight.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start: {e}")))
}

/// The profile named by `--profile`, else the default one. The folder is
/// not created here: `status`, `conflicts` and `resolve` only read (or
/// update) what is there, and a mistyped `--profile` should not leave a new
/// folder behind. The path is made absolute so `status` reports where the
/// profile really is.
fn profile(arg: Option<PathBuf>) -> Result<Profile, Failure> {
    let dir = match arg {
        Some(d) => d,
        None => Profile::default_dir().map_err(|e| Failure::usage(e.to_string()))?,
    };
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    Ok(Profile { dir })
}

/// Reads the profile's `config.toml`; `None` when there is none yet.
/// Any other problem is exit 2 with the error (which names the key) and
/// the file, on one line.
fn load_config(profile: &Profile) -> Result<Option<Config>, Failure> {
    let path = profile.config_path();
    tracing::debug!("reading {}", path.display());
    match Config::load(&path) {
        Ok(c) => Ok(Some(c)),
        Err(ConfigError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!("no config.toml at {}", path.display());
            Ok(None)
        }
        // The Io error already names the file; the others are about its text.
        Err(e @ ConfigError::Io { .. }) => Err(Failure::usage(format!(
            "{e}; check the file and its permissions"
        ))),
        Err(e) => Err(Failure::usage(format!(
            "{e} (in {}); fix it and run again",
            path.display()
        ))),
    }
}

/// An error of reading or updating the history and conflicts
/// ([`crate::app::history`]) as a [`Failure`], naming the state file.
fn history_failure(profile: &Profile, e: crate::app::AppError) -> Failure {
    use crate::app::AppError;
    match e {
        AppError::State(e) | AppError::StateTooNew(e) => state_failure(&profile.state_path(), e),
        e => sync::app_failure(e),
    }
}

/// A state-database error as a [`Failure`]: a database from a newer version
/// is exit 2 (docs/cli.md, "Exit status"); anything else is exit 1.
fn state_failure(path: &std::path::Path, e: StateError) -> Failure {
    match e {
        // The message names the file and says to upgrade.
        StateError::TooNew { .. } => Failure::usage(e.to_string()),
        // The error's own text starts "state database: ...".
        e => Failure::failed(format!(
            "{e} ({}); check the file and its permissions",
            path.display()
        )),
    }
}

/// How many daily log files the profile keeps.
pub const LOG_FILES_KEPT: usize = 7;

/// Logging to stderr only: warnings by default, `-v` info, `-vv` debug.
pub fn init_logging(verbose: u8) {
    init_logging_to(verbose, None);
}

/// Logging to stderr by `-v` (warnings by default, `-v` info, `-vv`
/// debug) and, when `logs` is given, always at info (debug with `-vv`) to a
/// daily file `orosync.YYYY-MM-DD.log` there, the last
/// [`LOG_FILES_KEPT`] kept, so a problem can be looked into after the fact.
///
/// The levels apply to OroSync's own messages; dependencies (HTTP, TLS,
/// SQLite) stay at warnings at every level, since their debug output is
/// noise for users and could carry request details we promise never to
/// show. `RUST_LOG` is ignored for the same reason: `-v` is the interface.
/// No message of ours carries a secret (secrets are [`crate::secrets::Secret`],
/// which formats as `<redacted>`); `tests/secrets_leak.rs` checks the files.
pub fn init_logging_to(verbose: u8, logs: Option<&std::path::Path>) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let level = |v: u8| match v {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = |v: u8| tracing_subscriber::EnvFilter::new(format!("warn,orosync={}", level(v)));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter(verbose));
    let file = logs.and_then(|dir| {
        // The appender would complain on stderr about a missing folder.
        // Private files (crate::private_fs), which the ready-made rolling
        // appender cannot create.
        let appender = crate::private_fs::create_dir(dir)
            .map_err(|e| e.to_string())
            .map(|()| {
                crate::private_fs::DailyLog::new(dir, "orosync", LOG_FILES_KEPT, chrono::Utc::now)
            });
        match appender {
            Ok(a) => Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(a)
                    .with_ansi(false)
                    .with_filter(filter(verbose.max(1))),
            ),
            Err(e) => {
                // Not fatal: the command still works, only without its log.
                eprintln!("orosync: warning: no log file in {}: {e}", dir.display());
                None
            }
        }
    });
    // A second initialisation (tests calling this twice) is harmless.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_are_one_line() {
        let rendered = "error: invalid value 'foo' for '--kinds <KINDS>'\n  \
                        [possible values: contacts, tasks, events]\n\n\
                        For more information, try '--help'.\n";
        assert_eq!(
            usage_line(rendered),
            "invalid value 'foo' for '--kinds <KINDS>'; \
             [possible values: contacts, tasks, events]; see `orosync --help`"
        );
        assert_eq!(
            usage_line(
                "error: the following required arguments were not provided:\n  \
                 --keep <KEEP>\n\nUsage: orosync resolve --keep <KEEP> <ID>\n"
            ),
            "the following required arguments were not provided: --keep <KEEP>; \
             Usage: orosync resolve --keep <KEEP> <ID>; see `orosync --help`"
        );
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
