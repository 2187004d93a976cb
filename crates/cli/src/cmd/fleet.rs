//! `dom0scope audit SNAPSHOT...` with several snapshots, or a directory holding them: the
//! fleet. Every host is judged by the same policy, date and `--fail-on`, in parallel
//! (crates/fleet); text is one table row per host and a summary line, `--format json` is JSON
//! Lines (each host's `dom0scope-audit/1` document or a `dom0scope-fleet/1` error line, in
//! input order, then a `dom0scope-fleet/1` summary), `--format html` one page (the table,
//! then each host's section). SARIF describes one audit, so a fleet refuses it. Exit status:
//! the worst host's (2 for a host that could not be audited).

use std::process::ExitCode;

use dom0scope_fleet::Settings;

use super::audit::{Args, Format};
use super::output::{Kind, emit, text_width};

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = args.format();
    if args.details {
        anyhow::bail!(
            "--details is one host's evidence: audit that snapshot alone, or use --format json for every host's whole audit"
        );
    }
    // Exhaustive on purpose: a new output format must decide what a fleet does with it.
    match format {
        Format::Text | Format::Json | Format::Html => {}
        Format::Sarif => anyhow::bail!(
            "SARIF describes one audit: with several snapshots use --format json (JSON Lines, one audit document per host), or audit each snapshot alone with --format sarif"
        ),
    }
    let Some((policy, today)) = args.judge.resolve()? else {
        return Ok(ExitCode::from(2));
    };
    let (paths, skipped) = dom0scope_fleet::expand(&args.snapshot);
    for s in &skipped {
        anstream::eprintln!("dom0scope: skipped {}: {}", s.path.display(), s.reason);
    }
    if paths.is_empty() {
        anyhow::bail!(
            "no snapshot among {} (a directory with manifest.json, a .tar/.tar.gz, or a Xen log)",
            args.snapshot
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let settings = Settings {
        policy,
        today,
        fail_on: args.fail_on.into(),
        workers: 0,
    };
    let (rendered, code) = match format {
        Format::Json => {
            let fleet = dom0scope_fleet::audit(&paths, &settings, |a| {
                serde_json::to_string(a).unwrap_or_default()
            });
            (
                dom0scope_fleet::render_jsonl(&fleet, &skipped),
                fleet.exit_code(),
            )
        }
        Format::Html => {
            let fleet = dom0scope_fleet::audit(&paths, &settings, dom0scope_html::host_section);
            (
                dom0scope_html::render_fleet(&fleet, &skipped),
                fleet.exit_code(),
            )
        }
        _ => {
            let fleet = dom0scope_fleet::audit(&paths, &settings, |_| ());
            let width = text_width(args.output.as_deref());
            (
                dom0scope_fleet::render_text(&fleet, &skipped, width),
                fleet.exit_code(),
            )
        }
    };
    let kind = match format {
        Format::Text => Kind::Text,
        _ => Kind::Data,
    };
    emit(&rendered, kind, args.output.as_deref())?;
    Ok(ExitCode::from(code))
}
