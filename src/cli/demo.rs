//! `orosync demo`: the built-in demo (docs/cli.md, "Demo") on the command
//! line. The work is in [`crate::demo`], which the tray's `--demo` shares.

use super::{DemoArgs, Failure};
use crate::demo::{Demo, SecretsHandOff};
use crate::summary::Summary;
use std::path::Path;

/// Runs the demo in `dir` (a new, empty profile folder).
pub fn run(dir: &Path, args: DemoArgs) -> Result<(), Failure> {
    let rt = super::runtime()?;
    rt.block_on(async {
        println!("Starting a local Oro and a local Microsoft Graph with sample data…");
        let demo = Demo::start_in(dir)
            .await
            .map_err(|e| Failure::failed(format!("cannot start the demo servers: {e}")))?;
        println!(
            "Oro has {} contacts, {} tasks and {} events; Outlook has {}, {} and {}.\n",
            demo.oro.all(crate::model::Kind::Contacts).len(),
            demo.oro.all(crate::model::Kind::Tasks).len(),
            demo.oro.all(crate::model::Kind::Events).len(),
            demo.graph.all(crate::model::Kind::Contacts).len(),
            demo.graph.all(crate::model::Kind::Tasks).len(),
            demo.graph.all(crate::model::Kind::Events).len(),
        );
        let report = demo.run().await.map_err(super::sync::app_failure)?;
        print!("{}", report.describe());
        let hand_off = demo.hand_off_secrets();
        println!();
        println!("Profile folder: {}", demo.profile_dir.display());
        println!("Oro:            {}", demo.oro_url);
        println!("Graph:          {}", demo.graph_url);
        // Judge the demo by its syncs: a failure is reported like `sync` does.
        failed(&report.first).or(failed(&report.second))?;
        if args.no_wait {
            println!("\nThe servers stop now (--no-wait).");
            return Ok(());
        }
        println!(
            "\nTry it while the servers are up, in another terminal:\n  orosync --profile {} sync\n  orosync --profile {} status",
            shell_quote(&demo.profile_dir.display().to_string()),
            shell_quote(&demo.profile_dir.display().to_string()),
        );
        match hand_off {
            SecretsHandOff::Keyring => println!(
                "The demo's credentials (fake ones) are in your keyring for that profile."
            ),
            SecretsHandOff::Environment(lines) => {
                println!(
                    "No keyring is available here, so give that shell the demo's (fake) credentials first:"
                );
                for l in lines {
                    println!("  {l}");
                }
            }
        }
        println!("\nThe servers stay up until you press Ctrl-C.");
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| Failure::failed(format!("cannot wait for Ctrl-C: {e}")))?;
        println!("Stopped. The profile folder stays; delete it when you are done.");
        Ok(())
    })
}

fn failed(s: &Summary) -> Result<(), Failure> {
    match s.exit_code() {
        0 => Ok(()),
        code => Err(Failure {
            code: code as u8,
            message: "a demo sync did not finish cleanly (see above); please report it".into(),
        }),
    }
}

/// `s` as one POSIX shell word (temporary folders rarely need it).
fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
