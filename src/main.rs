//! The `orosync` binary: parses the command line and hands it to
//! [`orosync::cli`], which does the work.

use orosync::cli;
use std::process::ExitCode;

// See Cargo.toml: malloc/free were ~30% of a sync's client instructions.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any thread: no program this one starts inherits a secret.
    orosync::secrets::take_from_environment();
    // `run` sets up logging once it knows the profile (its logs/ folder).
    let result = cli::parse_args().and_then(cli::run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // One line on stderr saying what to do (docs/cli.md, "Exit status").
            // Server text inside it is made terminal-safe here, the last step.
            eprintln!(
                "orosync: {}",
                orosync::server_text::escape_lines(&failure.to_string())
            );
            ExitCode::from(failure.code)
        }
    }
}
