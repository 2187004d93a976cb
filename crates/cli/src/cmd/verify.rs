//! `dom0scope verify`: the model's prediction against Xen's own rangesets.
//! Exit 0 when they agree exactly, 1 when they differ, 2 when there is nothing
//! to compare.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_ranges::Radix;
use dom0scope_reach::verify::{self, Comparison};
use dom0scope_reach::{ModelInput, Overrides, Reach, model};

use super::input::{Format, emit, load};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    pub snapshot: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, facts) = load(args.snapshot.as_deref())?;
    let label = snapshot.origin.label();
    let reach = Reach::observe(&facts);
    let Some(observed) = reach.observed else {
        anyhow::bail!(
            "{label}: nothing to verify against: {}",
            reach.notes.join("; ")
        );
    };
    let input = ModelInput::from_facts(&facts, &Overrides::default())
        .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
    let p = model::predict(&input);
    let cmp = verify::compare(&p, &observed);
    let out = match args.format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                schema: &'static str,
                snapshot: &'a str,
                comparison: &'a Comparison,
                assumptions: &'a [model::Assumption],
            }
            let mut s = serde_json::to_string_pretty(&Doc {
                schema: "dom0scope-verify/1",
                snapshot: &label,
                comparison: &cmp,
                assumptions: &p.assumptions,
            })?;
            s.push('\n');
            s
        }
        Format::Text => render(&label, &p, &observed, &cmp),
    };
    emit(&out, args.output.as_deref())?;
    Ok(if cmp.agrees {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn render(
    label: &str,
    p: &model::Prediction,
    o: &dom0scope_reach::Observed,
    cmp: &Comparison,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "verify {label}: Xen {}, {} dom0",
        p.xen.label,
        p.mode.label()
    );
    let _ = writeln!(
        s,
        "observed ({}:{}) against the model",
        o.header.artifact, o.header.line
    );
    let _ = writeln!(s, "  I/O Memory observed  {}", o.iomem.to_xen(Radix::Hex));
    let _ = writeln!(s, "             predicted {}", p.iomem.to_xen(Radix::Hex));
    if let Some(ports) = &o.ioports {
        let _ = writeln!(s, "  I/O Ports  observed  {}", ports.to_xen(Radix::Hex));
        let _ = writeln!(s, "             predicted {}", p.ioports.to_xen(Radix::Hex));
    }
    if let Some(irqs) = &o.irqs {
        let _ = writeln!(s, "  Interrupts observed  {}", irqs.to_xen(Radix::Decimal));
        let _ = writeln!(
            s,
            "             predicted {}",
            p.irqs.to_xen(Radix::Decimal)
        );
    }
    for d in &cmp.differences {
        let who = if d.observed_only {
            "Xen grants, the model denies"
        } else {
            "Xen denies, the model grants"
        };
        let rule = match (d.rule, d.rule_source) {
            (Some(r), Some(src)) => format!(
                "decided by rule {r} ({src}): {}",
                d.why.as_deref().unwrap_or("")
            ),
            (Some(r), None) => format!("decided by rule {r}"),
            _ => "no model rule touches it".to_owned(),
        };
        let mark = if d.follows_from_assumption {
            " [follows from an assumption]"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  DIFF {} {}: {who}; {rule}{mark}",
            d.set.label(),
            d.range
        );
    }
    if !p.assumptions.is_empty() {
        let _ = writeln!(s, "assumptions:");
        for a in &p.assumptions {
            let _ = writeln!(
                s,
                "  - {}: assumed {} (needs {})",
                a.fact, a.assumed, a.needs
            );
        }
    }
    let _ = writeln!(
        s,
        "{}",
        if cmp.agrees {
            "Result: the model and Xen agree exactly."
        } else {
            "Result: the model and Xen DIFFER (a model bug or a surprise on this host)."
        }
    );
    s
}
