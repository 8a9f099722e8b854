//! The `orosync` binary: parses the command line and hands it to
//! [`orosync::cli`], which does the work.

use clap::Parser;
use orosync::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Cli::parse();
    cli::init_logging(args.verbose);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // One line on stderr saying what to do (INTERFACES.md).
            eprintln!("orosync: {failure}");
            ExitCode::from(failure.code)
        }
    }
}
