//! `dom0scope predict`: the Xen model's rangesets for a snapshot's host, optionally
//! for another Xen release, dom0 mode or command line (a what-if).

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::Radix;
use dom0scope_reach::model::{self, Op, Prediction, Target, Unmodelled};
use dom0scope_reach::{ModelInput, Overrides};

use super::header::header;
use super::input::load;
use super::output::{Format, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Pv,
    Pvh,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    pub snapshot: Option<PathBuf>,
    /// Predict for this Xen release instead of the snapshot's (e.g. 4.19.1; a bare series such
    /// as 4.19 is its newest modelled release, 4.19.6). A release the model does not reproduce
    /// is predicted as the nearest modelled one, listed as an assumption; one older than the
    /// oldest modelled release is refused.
    #[arg(long, value_name = "VERSION")]
    pub xen: Option<String>,
    /// Refuse (exit 2) a Xen release the model does not reproduce instead of predicting the
    /// nearest modelled one.
    #[arg(long)]
    pub strict: bool,
    /// Predict for this dom0 mode instead of the snapshot's.
    #[arg(long, value_enum)]
    pub dom0: Option<Mode>,
    /// Set a Xen command-line option (repeatable), e.g. --set dom0_ioports_disable=2f8-2ff.
    /// Only options the model reads are accepted (an unknown one or a malformed value is a
    /// usage error listing them).
    #[arg(long = "set", value_name = "OPT=VAL")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub out: Output,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, analysis) = load(args.snapshot.as_deref())?;
    let mut set = Vec::new();
    for s in &args.set {
        let (k, v) = s.split_once('=').map_or((s.as_str(), ""), |(k, v)| (k, v));
        if k.is_empty() {
            anyhow::bail!("--set {s:?}: expected OPT=VAL");
        }
        set.push((k.to_owned(), v.to_owned()));
    }
    let ov = Overrides {
        xen: args.xen.clone(),
        xen_if_unlogged: None,
        unmodelled: if args.strict {
            Unmodelled::Refuse
        } else {
            Unmodelled::RefuseOlder
        },
        dom0: args.dom0.map(|m| match m {
            Mode::Pv => Dom0Mode::Pv,
            Mode::Pvh => Dom0Mode::Pvh,
        }),
        set,
    };
    let input = ModelInput::from_facts(analysis.facts(), &ov)
        .map_err(|e| anyhow::anyhow!("{}: {e}", snapshot.origin.label()))?;
    let p = model::predict(&input);
    let out = match args.out.format() {
        Format::Json => {
            let doc = Document {
                schema: SCHEMA,
                snapshot: snapshot.origin.label(),
                prediction: &p,
            };
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s
        }
        Format::Text => {
            header(&snapshot, &analysis, "prediction", args.out.width())
                + &render(&p, &snapshot.origin.label())
        }
    };
    args.out.write(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The JSON document's schema name (`docs/json-schema/dom0scope-predict-1.json`).
const SCHEMA: &str = "dom0scope-predict/1";

/// `predict --format json`: the prediction, named and labelled like every JSON output.
#[derive(serde::Serialize)]
struct Document<'a> {
    schema: &'static str,
    snapshot: String,
    #[serde(flatten)]
    prediction: &'a Prediction,
}

/// Xen's own `q` syntax, then what the model assumed and each step it took.
pub fn render(p: &Prediction, label: &str) -> String {
    let mut o = String::new();
    let pkg = p
        .xen
        .package
        .as_deref()
        .map_or(String::new(), |k| format!(" ({k})"));
    let _ = writeln!(
        o,
        "Predicted for {label}: Xen {}{pkg}, {} dom0",
        p.xen.label,
        p.mode.label()
    );
    let _ = writeln!(o, "Xen command line: {}", p.input.cmdline_text.trim());
    let _ = writeln!(o, "(model) Rangesets belonging to domain 0:");
    let _ = writeln!(
        o,
        "(model)     Interrupts {}",
        p.irqs.to_xen(Radix::Decimal)
    );
    let _ = writeln!(o, "(model)     I/O Memory {}", p.iomem.to_xen(Radix::Hex));
    let _ = writeln!(o, "(model)     I/O Ports  {}", p.ioports.to_xen(Radix::Hex));
    let _ = writeln!(
        o,
        "read-only I/O memory (PV; mmio_ro_ranges): {}",
        p.ro_iomem.to_xen(Radix::Hex)
    );
    if !p.emulated_ports.is_empty() {
        let _ = writeln!(
            o,
            "ports granted but intercepted by Xen (PV): {}",
            p.emulated_ports.to_xen(Radix::Hex)
        );
    }
    match &p.trampoline {
        Some(t) => {
            let _ = writeln!(
                o,
                "AP trampoline: frames {:#x}-{:#x} ({:?}): {}",
                t.first_frame, t.last_frame, t.certainty, t.how
            );
        }
        None => {
            let _ = writeln!(o, "AP trampoline: not located (somewhere below 1 MiB)");
        }
    }
    let _ = writeln!(o, "DMA: {:?}: {}", p.dma.mode, p.dma.how);
    if p.assumptions.is_empty() {
        let _ = writeln!(o, "assumptions: none");
    } else {
        let _ = writeln!(o, "assumptions:");
        for a in &p.assumptions {
            let _ = writeln!(
                o,
                "  - {}: assumed {} (needs {})",
                a.fact, a.assumed, a.needs
            );
        }
    }
    let _ = writeln!(o, "steps, in Xen's order:");
    for s in &p.steps {
        let op = match s.op {
            Op::Permit => "permit",
            Op::Deny => "deny",
            Op::ReadOnly => "read-only",
        };
        let what = match &s.target {
            Target::Frames(r) => format!("frames {:#x}-{:#x}", r.start(), r.end()),
            Target::Ports(r) => format!("ports {:#x}-{:#x}", r.start(), r.end()),
            Target::Irqs(r) => format!("irqs {}-{}", r.start(), r.end()),
        };
        let mark = if s.assumed { " [assumed]" } else { "" };
        let _ = writeln!(o, "  {:<26} {:<9} {:<32} {}{mark}", s.rule, op, what, s.why);
    }
    o
}
