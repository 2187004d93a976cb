//! `dom0scope audit [SNAPSHOT]`: the whole pipeline on one snapshot.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use dom0scope_facts::Facts;
use dom0scope_inventory::Inventory;
use dom0scope_reach::Reach;
use dom0scope_report::{Audit, SnapshotInfo, render_text};
use dom0scope_snapshot::{Origin, Snapshot};
use dom0scope_surface::Surface;
use dom0scope_verdict::{Severity, Verdict};

/// The example audited when no snapshot is given off a dom0 (see `bundled/README.md`).
const BUNDLED_NAME: &str = "x417-pv-q35-viommu (Xen 4.17.7, PV dom0, q35 + VT-d, QEMU)";
const BUNDLED_LOG: &[u8] = include_bytes!("../../bundled/x417-pv-q35-viommu.log");

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

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
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::open(path)?,
        None => default_snapshot()?,
    };
    let label = snapshot.origin.label();
    let facts = Facts::extract(&snapshot).map_err(|e| match &snapshot.origin {
        Origin::BareLog { path } if e.errors.len() == 1 => {
            anyhow::anyhow!("{}: {}", path.display(), e.errors[0].message)
        }
        _ => anyhow::anyhow!("{label}: {e}"),
    })?;
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
    match &args.output {
        Some(path) => {
            let mut f = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut s = anstream::StripStream::new(&mut f);
            s.write_all(rendered.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = anstream::stdout().lock();
            let _ = out.write_all(rendered.as_bytes());
        }
    }
    Ok(if audit.fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// With no argument: collect on a dom0, else the bundled example (said on stderr).
fn default_snapshot() -> anyhow::Result<Snapshot> {
    if is_dom0() {
        anyhow::bail!(
            "this is a Xen dom0: run `dom0scope collect -o DIR` and then `dom0scope audit DIR`"
        );
    }
    anstream::eprintln!(
        "dom0scope: not running in a Xen dom0; auditing the bundled example snapshot {BUNDLED_NAME}. Pass a snapshot to audit your own."
    );
    Ok(Snapshot::from_log(
        Origin::Bundled {
            name: BUNDLED_NAME.to_owned(),
        },
        "x417-pv-q35-viommu.log",
        BUNDLED_LOG.to_vec(),
    ))
}

/// A dom0 has `control_d` in /proc/xen/capabilities (xenfs mounted).
fn is_dom0() -> bool {
    std::fs::read_to_string("/proc/xen/capabilities").is_ok_and(|c| c.contains("control_d"))
}
