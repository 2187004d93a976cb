//! `dom0scope harden [SNAPSHOT]`: the hardening plan — what dom0 should give up
//! itself (checked against its own use), what only Xen can change, and the
//! verdict on what would remain.

use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_harden::{Context, Plan, render_text};

use super::output::{Kind, emit, text_json_html};

/// Output format of `harden`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    /// The plan document (`"schema": "dom0scope-plan/1"`).
    Json,
    /// One self-contained HTML file: the plan's before and after.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log. Without it, off a dom0:
    /// the bundled example.
    pub snapshot: Option<PathBuf>,
    /// Output format [default: text; with -o, the plan (JSON) when FILE ends in .json, HTML for .html].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub judge: super::input::PolicyArgs,
    /// Write to FILE instead of standard output: `-o plan.json` writes the plan that
    /// `enforce` and `verify --plan` read.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the Xen patch series that closes what only Xen can close, for the
    /// snapshot's Xen release, into DIR (one patch per finding, and a quilt `series` file).
    #[arg(long, value_name = "DIR")]
    pub xen_patch: Option<PathBuf>,
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
    let format = text_json_html(
        args.format,
        args.output.as_deref(),
        [Format::Text, Format::Json, Format::Html],
    );
    let (rendered, kind) = match format {
        Format::Text => (render_text(&plan), Kind::Text),
        Format::Json => (plan.to_json(), Kind::Data),
        Format::Html => (dom0scope_html::render_plan(&plan), Kind::Data),
    };
    if let Some(dir) = &args.xen_patch {
        super::xen_patch::write(&analysis, &plan.snapshot, dir)?;
    }
    emit(&rendered, kind, args.output.as_deref())?;
    if let (Some(path), Format::Json) = (&args.output, format) {
        anstream::eprintln!(
            "dom0scope: wrote the plan to {} (`dom0scope harden` without -o shows it as text)",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
