//! `dom0scope audit [SNAPSHOT]`: the whole pipeline on one snapshot, judged by
//! the built-in rule catalog plus any `--policy` files.

use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_report::{Audit, render_details, render_sarif, render_summary};
use dom0scope_verdict::Severity;

use super::output::{Ext, Kind, emit, extension, text_width};

/// Output format of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// One self-contained HTML file: pictures of dom0's I/O memory and ports, every finding.
    Html,
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
    /// Several, or a directory holding snapshots: a fleet, audited in parallel, one row per
    /// host (exit status: the worst host's).
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: Vec<PathBuf>,
    /// Output format [default: text; with -o, from FILE's extension: .json, .sarif, .html].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Text only: the full evidence (dom0's reach with the owner of every range and port, and
    /// each finding's evidence, fixes and sources) after the answer.
    #[arg(long)]
    pub details: bool,
    /// The default text view (the answer, one line per finding, the other rules by name);
    /// accepted so that scripts written when it was not the default keep working.
    #[arg(long, conflicts_with = "details")]
    pub summary: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 (FAIL) when an unwaived finding is at or above this severity; exit 3
    /// (INCOMPLETE) when none is but a rule at or above it could not be evaluated; exit 0
    /// (PASS) only when every rule at or above it was evaluated or waived.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub judge: super::input::PolicyArgs,
}

impl Args {
    /// `--format`, else what `-o FILE`'s extension says, else text.
    pub fn format(&self) -> Format {
        self.format
            .unwrap_or(match extension(self.output.as_deref()) {
                Some(Ext::Json) => Format::Json,
                Some(Ext::Sarif) => Format::Sarif,
                Some(Ext::Html) => Format::Html,
                None => Format::Text,
            })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.snapshot.len() > 1
        || args
            .snapshot
            .first()
            // A directory that is not a snapshot but holds some; one holding none is
            // audited as today, which says what it lacks.
            .is_some_and(|p| {
                dom0scope_fleet::is_fleet_directory(p)
                    && !dom0scope_fleet::expand(std::slice::from_ref(p))
                        .0
                        .is_empty()
            })
    {
        return super::fleet::run(args);
    }
    let format = args.format();
    for (set, flag) in [(args.details, "--details"), (args.summary, "--summary")] {
        if set && format != Format::Text {
            anyhow::bail!("{flag} is a text view; JSON, SARIF and HTML always carry everything");
        }
    }
    let Some((policy, today)) = args.judge.resolve()? else {
        return Ok(ExitCode::from(2));
    };
    let (snapshot, analysis) =
        super::input::analyse(args.snapshot.first().map(PathBuf::as_path), policy, today)?;
    let info = dom0scope_fleet::snapshot_info(&snapshot);
    let parts = analysis.into_parts();
    let audit = Audit::new(
        info,
        &parts.facts,
        &parts.inventory,
        parts.surface,
        parts.verdict,
        args.fail_on.into(),
    );
    let rendered = match format {
        Format::Text if args.details => render_details(&audit, text_width(args.output.as_deref())),
        Format::Text => render_summary(&audit, text_width(args.output.as_deref())),
        Format::Json => audit.to_json(),
        Format::Sarif => render_sarif(&audit),
        Format::Html => dom0scope_html::render_audit(&audit, &parts.inventory),
    };
    let kind = match format {
        Format::Text => Kind::Text,
        Format::Json | Format::Sarif | Format::Html => Kind::Data,
    };
    emit(&rendered, kind, args.output.as_deref())?;
    Ok(ExitCode::from(audit.result.exit_code()))
}
