//! `dom0scope verify`: the model's prediction against Xen's own rangesets.
//! Exit 0 when they agree exactly, 1 when they differ where nothing was assumed (the model
//! is wrong, or the host surprising), 3 when they differ only where an assumption decided
//! the prediction (the snapshot lacks facts; the model is not contradicted), 2 when there is
//! nothing to compare, the input is unusable or the Xen release is refused (or, with
//! `--plan`, the plan does not fit the snapshot).
//!
//! `--xen` is accepted only for a log without a `Xen version` banner (a serial capture that
//! started late): the user's word is the only source then, and refusing would leave such a
//! log unverifiable. It is listed as an assumption, so differences it decides give exit 3,
//! never a verdict on the model. With a banner, verify compares against what ran; a what-if
//! release is `predict --xen`.
//!
//! With `--plan PLAN` (the plan `dom0scope enforce` applied): a snapshot collected after
//! enforce lacks exactly the plan's planned ranges, so they are subtracted from the prediction
//! before comparing. The plan must be for the snapshot's host (DMI identity), Xen release and
//! dom0 mode, checked as enforce checks the running host.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dom0scope_enforce::plan::{self as enforce_plan, HostView, Range, Resource, XenRelease};
use dom0scope_facts::Facts;
use dom0scope_ranges::{FrameSet, IoSets, PortSet, Radix};
use dom0scope_reach::model::Unmodelled;
use dom0scope_reach::verify::{self, Comparison, Outcome};
use dom0scope_reach::{ModelInput, Overrides, Reach, model};
use dom0scope_snapshot::Snapshot;

use super::header::header;
use super::input::load;
use super::output::{Format, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub out: Output,
    /// The plan `dom0scope enforce` applied before the snapshot was collected: its planned
    /// ranges are subtracted from the prediction (refused if it is for another host, Xen or
    /// dom0 mode).
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// With --plan: accept a plan that carries no host identity (a plan from a bare Xen log).
    #[arg(long, requires = "plan")]
    pub force_host: bool,
    /// The Xen release, for a log without a `Xen version` banner only; listed as an
    /// assumption (for a what-if release use `predict --xen`).
    #[arg(long, value_name = "VERSION")]
    pub xen: Option<String>,
    /// Refuse (exit 2) a Xen release the model does not reproduce instead of predicting the
    /// nearest modelled one as an assumption.
    #[arg(long)]
    pub strict: bool,
}

/// The applied plan, as verify used it.
#[derive(Debug, serde::Serialize)]
struct AppliedPlan {
    /// The plan file.
    path: String,
    /// The snapshot the plan was made from.
    snapshot: String,
    xen_version: String,
    /// Why the plan fits this snapshot.
    checks: Vec<String>,
    /// The planned ranges, subtracted from the prediction.
    subtracted: Vec<PlanRange>,
    /// Planned ranges Xen still grants in this snapshot (enforce did not run, or failed).
    still_granted: Vec<PlanRange>,
}

#[derive(Debug, serde::Serialize)]
struct PlanRange {
    resource: Resource,
    first: String,
    last: String,
    what: String,
}

impl From<&Range> for PlanRange {
    fn from(r: &Range) -> PlanRange {
        PlanRange {
            resource: r.resource,
            first: format!("{:#x}", r.first),
            last: format!("{:#x}", r.last),
            what: r.what.clone(),
        }
    }
}

/// The snapshot's host as enforce would see it live: DMI identity (`dmi/`, else the
/// manifest's `host`), Xen release, dom0 mode.
pub(super) fn snapshot_host(snapshot: &Snapshot, facts: &Facts, reach: &Reach) -> HostView {
    let mut dmi: BTreeMap<String, String> = snapshot
        .artifacts
        .iter()
        .filter_map(|(k, a)| {
            let name = k.strip_prefix("dmi/")?;
            (!name.contains('/')).then(|| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(&a.bytes).trim().to_string(),
                )
            })
        })
        .collect();
    if dmi.is_empty()
        && let Some(m) = &snapshot.manifest
    {
        dmi.clone_from(&m.host);
    }
    HostView {
        dmi,
        xen: facts
            .xen
            .as_ref()
            .and_then(|x| x.version.as_ref())
            .and_then(|v| XenRelease::parse(&v.full())),
        guest_type: reach.dom0_mode().map(|m| m.label().to_lowercase()),
    }
}

/// Loads the plan and checks that it fits the snapshot; returns it with the ranges to
/// subtract.
fn applied_plan(
    path: &Path,
    force_host: bool,
    label: &str,
    snapshot: &Snapshot,
    facts: &Facts,
    reach: &Reach,
) -> anyhow::Result<(AppliedPlan, FrameSet, PortSet)> {
    let shown = path.display().to_string();
    let plan = enforce_plan::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let host = snapshot_host(snapshot, facts, reach);
    if !plan.host.is_empty() && host.dmi.is_empty() {
        anyhow::bail!(
            "plan {shown} does not fit snapshot {label}: the plan names its host's DMI identity \
             but the snapshot has none (no dmi/ files, no manifest host), so it cannot be told \
             to be the same machine"
        );
    }
    let checks = enforce_plan::check_host(&plan, &shown, &host, force_host, true)
        .map_err(|e| anyhow::anyhow!("plan {shown} does not fit snapshot {label}: {e}"))?;
    let IoSets { frames, ports } = plan.planned().filter_map(Range::io_range).collect();
    let held = reach.observed().map(|o| IoSets {
        frames: o.iomem.clone(),
        ports: o.ioports.clone().unwrap_or_default(),
    });
    let still_granted = plan
        .planned()
        .filter(|r| {
            held.as_ref()
                .zip(r.io_range())
                .is_some_and(|(h, ir)| h.overlaps(&ir))
        })
        .map(PlanRange::from)
        .collect();
    let applied = AppliedPlan {
        path: shown,
        snapshot: plan.snapshot.clone(),
        xen_version: plan.xen.text.clone(),
        // enforce's notes speak of the running host; here it is the snapshot's.
        checks: checks
            .iter()
            .map(|c| c.replace("running Xen", "the snapshot's Xen"))
            .collect(),
        subtracted: plan.planned().map(PlanRange::from).collect(),
        still_granted,
    };
    Ok((applied, frames, ports))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, analysis) = load(args.snapshot.as_deref())?;
    let label = snapshot.origin.label();
    let (facts, reach) = (analysis.facts(), analysis.reach());
    let applied = match &args.plan {
        Some(path) => Some(applied_plan(
            path,
            args.force_host,
            &label,
            &snapshot,
            facts,
            reach,
        )?),
        None => None,
    };
    let Some(observed) = reach.observed() else {
        anyhow::bail!(
            "{label}: nothing to verify against: {}",
            reach.notes().join("; ")
        );
    };
    let logged = facts
        .xen
        .as_ref()
        .and_then(|x| x.version.as_ref())
        .map(|v| v.full());
    if let (Some(v), Some(x)) = (&logged, &args.xen) {
        anyhow::bail!(
            "{label}: the log states Xen {v}, and verify compares the model with what ran: \
             --xen {x} applies only to a log without a `Xen version` banner (for a what-if \
             release use `dom0scope predict --xen`)"
        );
    }
    // The engine's prediction assumes the nearest release for any Xen; verify refuses one
    // older than the model reaches (and, with --strict, any it does not reproduce).
    let ov = Overrides {
        xen_if_unlogged: args.xen.clone(),
        unmodelled: if args.strict {
            Unmodelled::Refuse
        } else {
            Unmodelled::RefuseOlder
        },
        ..Overrides::default()
    };
    let input = ModelInput::from_facts(facts, &ov).map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
    let mut p = model::predict(&input);
    let applied = applied.map(|(a, frames, ports)| {
        p = verify::without_revoked(&p, &frames, &ports);
        a
    });
    let cmp = verify::compare(&p, observed);
    let out = match args.out.format() {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                schema: &'static str,
                snapshot: &'a str,
                /// Present with --plan: the prediction is the model's minus the plan's
                /// planned ranges.
                #[serde(skip_serializing_if = "Option::is_none")]
                applied_plan: Option<&'a AppliedPlan>,
                comparison: &'a Comparison,
                assumptions: &'a [model::Assumption],
            }
            let mut s = serde_json::to_string_pretty(&Doc {
                schema: "dom0scope-verify/1",
                snapshot: &label,
                applied_plan: applied.as_ref(),
                comparison: &cmp,
                assumptions: &p.assumptions,
            })?;
            s.push('\n');
            s
        }
        Format::Text => {
            header(&snapshot, &analysis, "verify", args.out.width())
                + &render(&label, &p, observed, &cmp, applied.as_ref())
        }
    };
    args.out.write(&out)?;
    Ok(exit_code(cmp.outcome))
}

/// The exit status for a comparison (2 is left to usage and input errors).
fn exit_code(o: Outcome) -> ExitCode {
    match o {
        Outcome::Agree => ExitCode::SUCCESS,
        Outcome::ModelDiffers => ExitCode::from(1),
        Outcome::DiffersWhereAssumed => ExitCode::from(3),
    }
}

fn render(
    label: &str,
    p: &model::Prediction,
    o: &dom0scope_reach::Observed,
    cmp: &Comparison,
    applied: Option<&AppliedPlan>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "verify {label}: Xen {}, {} dom0",
        p.xen.label,
        p.mode.label()
    );
    // The answer first, before the sets and differences it rests on.
    let runtime: usize = cmp.runtime_grants.iter().map(|g| g.irqs.len()).sum();
    let with_runtime = format!(
        "Result: the model and Xen agree exactly on the boot-time grants; the {runtime} IRQ(s) \
         Xen granted at run time are each explained by Xen's own dumps (below)."
    );
    let _ = writeln!(
        s,
        "{}",
        match (cmp.outcome, applied.is_some()) {
            (Outcome::Agree, false) if runtime > 0 => with_runtime.as_str(),
            (Outcome::Agree, false) => "Result: the model and Xen agree exactly.",
            (Outcome::DiffersWhereAssumed, false) =>
                "Result: the model and Xen differ only where assumptions decided (exit 3): the \
                 model is not contradicted; collect a snapshot (`dom0scope collect`) to settle \
                 the assumed facts.",
            (Outcome::ModelDiffers, false) =>
                "Result: the model and Xen DIFFER where nothing was assumed (a model bug or a \
                 surprise on this host).",
            (Outcome::Agree, true) =>
                "Result: the model minus the applied plan and Xen agree exactly (the plan's ranges are gone, nothing else changed).",
            (Outcome::DiffersWhereAssumed, true) =>
                "Result: the model minus the applied plan and Xen differ only where assumptions \
                 decided (exit 3); collect a full snapshot to settle the assumed facts.",
            (Outcome::ModelDiffers, true) =>
                "Result: the model minus the applied plan and Xen DIFFER where nothing was assumed (the plan was not applied as written, a model bug, or a surprise on this host).",
        }
    );
    if let Some(a) = applied {
        let _ = writeln!(
            s,
            "applied plan {} (made from {}, Xen {}): the prediction below is the model's minus \
             the plan's {} planned range(s), which dom0scope enforce revokes",
            a.path,
            a.snapshot,
            a.xen_version,
            a.subtracted.len()
        );
        for c in &a.checks {
            let _ = writeln!(s, "  fits: {c}");
        }
        for r in &a.subtracted {
            let _ = writeln!(
                s,
                "  subtracted {} {}-{} ({})",
                r.resource.label(),
                r.first,
                r.last,
                r.what
            );
        }
        for r in &a.still_granted {
            let _ = writeln!(
                s,
                "  STILL GRANTED {} {}-{} ({}): planned, but Xen's rangesets still hold it \
                 (enforce did not run before this snapshot, or failed)",
                r.resource.label(),
                r.first,
                r.last,
                r.what
            );
        }
    }
    let _ = writeln!(
        s,
        "observed ({}:{}) against the model{}",
        o.header.artifact,
        o.header.line,
        if applied.is_some() {
            " minus the plan"
        } else {
            ""
        }
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
        let rule = match (d.rule, d.rule_source, d.beyond_grant) {
            (Some(r), Some(src), false) => format!(
                "decided by rule {r} ({src}): {}",
                d.why.as_deref().unwrap_or("")
            ),
            (Some(r), Some(src), true) => format!(
                "no step touches it; it lies outside the grant of rule {r} ({src}): {}",
                d.why.as_deref().unwrap_or("")
            ),
            (Some(r), None, _) => format!("decided by rule {r}"),
            _ => "no model rule touches it".to_owned(),
        };
        let mark = match d.assumption {
            Some(f) => format!(" [follows from an assumption: {f}]"),
            None if d.follows_from_assumption => " [follows from an assumption]".to_owned(),
            None => String::new(),
        };
        let note = d
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  DIFF {} {}: {who}; {rule}{mark}{note}",
            d.set.label(),
            d.range
        );
    }
    render_runtime(&mut s, cmp);
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
    s
}

/// The run-time grants, apart from the boot-time comparison: observations, each tied to its
/// device and the lines of Xen's dumps that show it.
fn render_runtime(s: &mut String, cmp: &Comparison) {
    if cmp.runtime_grants.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "granted at run time (observed, not predicted: Xen grants dom0 an IRQ when it maps a \
         device's MSI/MSI-X vector; {})",
        dom0scope_reach::runtime::MSI_GRANT_SOURCE
    );
    for g in &cmp.runtime_grants {
        let pirqs = match g.dom0_pirqs.as_slice() {
            [] => String::new(),
            [p] => format!("; dom0 pirq {p}"),
            ps => format!(
                "; dom0 pirqs {}",
                ps.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        let _ = writeln!(s, "  RUNTIME Interrupts {}: {}{pirqs}", g.range, g.why);
        for e in g.evidence.iter().skip(1) {
            let at = if e.line == 0 {
                e.artifact.clone()
            } else {
                format!("{}:{}", e.artifact, e.line)
            };
            let _ = writeln!(s, "    {at}: {}", e.text);
        }
    }
}
