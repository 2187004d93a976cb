//! `dom0scope`: maps, judges and shrinks what a Xen dom0 can reach.
//!
//! Each subcommand lives in its own module under `cmd/`; this file only
//! parses the command line and maps outcomes to exit codes
//! (0 = passes, 1 = findings at or above `--fail-on`, 2 = usage or input error; `verify`
//! adds 3 = differs only where assumptions decided).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

#[derive(Debug, Parser)]
#[command(name = "dom0scope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit a snapshot (a directory, a .tar, or a bare Xen boot log) against the Secure Boot policy.
    Audit(cmd::audit::Args),
    /// Collect a snapshot inside a Xen dom0 (read-only; asks Xen to print its rangesets).
    Collect(cmd::collect::Args),
    /// The owner-tagged map of the machine, with dom0's access per range.
    Map(cmd::map::Args),
    /// What is at an address, port or machine frame, who owns it, and whether dom0 can touch it.
    Explain(cmd::explain::Args),
    /// The Xen model's prediction of dom0's rangesets (what-if: --xen, --dom0, --set).
    Predict(cmd::predict::Args),
    /// Compare the model's prediction with Xen's own rangesets (exit 0 only if they agree).
    Verify(cmd::verify::Args),
    /// What dom0 may ask of Xen on this host: platform ops, EFI runtime calls, kexec, livepatch …
    Hypercalls(cmd::hypercalls::Args),
    /// The hardening plan: what dom0 should give up itself, what only Xen can change, and what remains.
    Harden(cmd::harden::Args),
    /// Inside a Xen dom0, early in boot: give up the plan's ranges (irreversible), then prove it.
    Enforce(cmd::enforce::Args),
    /// Inside a Xen dom0: can the protected frames (and, on request, ports) still be mapped? Runtime proof.
    Probe(cmd::probe::Args),
    /// Compare two snapshots: findings closed/opened/changed, level, rangesets, hypercalls (exit 1 if B is worse).
    Diff(cmd::diff::Args),
    /// Print the shell completion script for bash, zsh or fish (the package installs them).
    Completions(cmd::completions::Args),
    /// Write the man pages (dom0scope.1 and one per subcommand) into DIR (packaging).
    #[command(hide = true)]
    Manpages {
        /// The directory to write into (created if missing).
        dir: std::path::PathBuf,
    },
}

/// The command line as parsed and as documented: clap's definition plus the manual's exit
/// status, files and examples (cmd/manual.rs) as each subcommand's long help.
fn command() -> clap::Command {
    cmd::manual::with_extras(<Cli as clap::CommandFactory>::command())
}

fn main() -> ExitCode {
    let cli = match command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let result = match cli.command {
        Command::Audit(args) => cmd::audit::run(args),
        Command::Collect(args) => cmd::collect::run(args),
        Command::Map(args) => cmd::map::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Hypercalls(args) => cmd::hypercalls::run(args),
        Command::Harden(args) => cmd::harden::run(args),
        Command::Enforce(args) => cmd::enforce::run(args),
        Command::Probe(args) => cmd::probe::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Completions(args) => cmd::completions::run(args, command()),
        Command::Manpages { dir } => cmd::manual::run(command(), &dir),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Errors quote snapshot content (a log line, a file name): escaped like reports.
            let message = format!("{e:#}");
            anstream::eprintln!(
                "dom0scope: error: {}",
                dom0scope_report::for_terminal(&message)
            );
            ExitCode::from(2)
        }
    }
}
