//! `dom0scope harden [SNAPSHOT]`: the hardening plan — what dom0 should give up
//! itself (checked against its own use), what only Xen can change, and the
//! verdict on what would remain.

use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_harden::{Context, Plan, render_text};

/// Output format of `harden` on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    /// The plan document (`"schema": "dom0scope-plan/1"`).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log. Without it, off a dom0:
    /// the bundled example.
    pub snapshot: Option<PathBuf>,
    /// Format printed on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub judge: super::input::PolicyArgs,
    /// Also write the plan file (JSON, `dom0scope-plan/1`) to FILE.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // The site's policy decides the verdict the plan closes findings of, and the residual
    // level (a waived rule is not "remaining").
    let Some((policy, today)) = args.judge.resolve()? else {
        return Ok(ExitCode::from(2));
    };
    let (snapshot, analysis) = super::input::analyse(args.snapshot.as_deref(), policy, today)?;
    let manifest = snapshot.manifest.as_ref();
    let plan = Plan::build(&Context {
        analysis: &analysis,
        host: manifest.map(|m| m.host.clone()).unwrap_or_default(),
        snapshot: manifest
            .and_then(|m| m.config.clone())
            .unwrap_or_else(|| snapshot.origin.label()),
        dom0_dmesg: snapshot
            .artifacts
            .get("linux/dmesg")
            .map(|a| a.bytes.as_slice()),
    });
    let json = plan.to_json();
    if let Some(path) = &args.output {
        super::input::emit(&json, Some(path))?;
    }
    let rendered = match args.format {
        Format::Text => render_text(&plan),
        Format::Json => json,
    };
    super::input::emit(&rendered, None)?;
    Ok(ExitCode::SUCCESS)
}
