//! `dom0scope audit [SNAPSHOT]`: the whole pipeline on one snapshot.

use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_inventory::Inventory;
use dom0scope_reach::Reach;
use dom0scope_report::{Audit, SnapshotInfo, render_text};
use dom0scope_surface::Surface;
use dom0scope_verdict::{Severity, Verdict};

pub use super::input::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (`xl dmesg` output or a serial
    /// capture). Without it: on a dom0, collect then audit; elsewhere, the bundled example.
    pub snapshot: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, facts) = super::input::load(args.snapshot.as_deref())?;
    let label = snapshot.origin.label();
    let inventory = Inventory::build(&facts);
    let reach = Reach::derive(&facts);
    let surface = Surface::join(reach, &inventory);
    let verdict = Verdict::evaluate(&surface);
    let info = SnapshotInfo {
        label,
        bare_log: snapshot.is_bare_log(),
        problems: snapshot
            .issues
            .iter()
            .map(|i| match &i.artifact {
                Some(a) => format!("{a}: {}", i.message),
                None => i.message.clone(),
            })
            .collect(),
    };
    let audit = Audit::new(info, &facts, surface, verdict, args.fail_on.into());
    let rendered = match args.format {
        Format::Text => render_text(&audit),
        Format::Json => audit.to_json(),
    };
    super::input::emit(&rendered, args.output.as_deref())?;
    Ok(if audit.fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
