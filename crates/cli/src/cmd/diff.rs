//! `dom0scope diff A B`: two snapshots compared (text, JSON or HTML) (before and after `enforce`, two hosts, two Xen
//! releases), both judged by the same policy and date. Exit 1 when B is worse than A in a way
//! CI should stop for (its level is lower, or a finding at or above `--fail-on` opened or rose
//! to it), 0 otherwise, 2 on a usage or input error.

use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_diff::{Diff, Input, render_text};
use dom0scope_engine::Analysis;
use dom0scope_snapshot::Snapshot;

use super::audit::FailOn;
use super::output::{Kind, emit, text_json_html};

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    /// The `dom0scope-diff/1` document.
    Json,
    /// One self-contained HTML file.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The baseline snapshot (directory, .tar/.tar.gz, or bare Xen log), e.g. before enforce.
    pub a: PathBuf,
    /// The snapshot judged against it, e.g. after enforce, or another host.
    pub b: PathBuf,
    /// Output format [default: text; with -o, from FILE's extension: .json, .html].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity opened in B (or rose to it), or B's
    /// level is lower than A's.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub judge: super::input::PolicyArgs,
}

/// The host's DMI identity: the manifest's (what collect chose to identify the machine by),
/// else the `dmi/` files as enforce and `verify --plan` read them, without empty values and
/// the two files that only repeat the others (`modalias`, `uevent`).
fn input<'a>(snapshot: &Snapshot, analysis: &'a Analysis) -> Input<'a> {
    let manifest = snapshot.manifest.as_ref();
    let dmi = match manifest.filter(|m| !m.host.is_empty()) {
        Some(m) => m.host.clone(),
        None => {
            let mut dmi =
                super::verify::snapshot_host(snapshot, analysis.facts(), analysis.reach()).dmi;
            dmi.retain(|k, v| !v.is_empty() && k != "modalias" && k != "uevent");
            dmi
        }
    };
    Input {
        label: snapshot.origin.label(),
        dmi,
        collected: manifest.and_then(|m| m.created.clone()),
        analysis,
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some((policy, today)) = args.judge.resolve()? else {
        return Ok(ExitCode::from(2));
    };
    // Both sides under one policy and date, so only the snapshots differ.
    let (sa, aa) = super::input::analyse(Some(&args.a), policy.clone(), today)?;
    let (sb, ab) = super::input::analyse(Some(&args.b), policy, today)?;
    let diff = Diff::between(&input(&sa, &aa), &input(&sb, &ab), args.fail_on.into());
    let format = text_json_html(
        args.format,
        args.output.as_deref(),
        [Format::Text, Format::Json, Format::Html],
    );
    let (rendered, kind) = match format {
        Format::Text => (render_text(&diff), Kind::Text),
        Format::Json => (diff.to_json(), Kind::Data),
        Format::Html => (dom0scope_html::render_diff(&diff), Kind::Data),
    };
    emit(&rendered, kind, args.output.as_deref())?;
    Ok(ExitCode::from(u8::from(diff.outcome.fails)))
}
