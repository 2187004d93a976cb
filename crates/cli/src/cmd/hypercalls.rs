//! `dom0scope hypercalls`: what dom0 may ask of Xen on this host (platform ops,
//! each EFI runtime call, kexec, livepatch, debug keys, domctls …), from the
//! table in `crates/hypercalls/data`, with availability and its evidence.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dom0scope_hypercalls::{Availability, ConfigSource, Fact, HypercallSurface, OpSurface};
use serde::Serialize;

use super::header::header;
use super::input::load;
use super::output::{Format, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub out: Output,
}

/// The JSON document: the surface plus which snapshot it describes.
#[derive(Serialize)]
struct Doc<'a> {
    snapshot: String,
    #[serde(flatten)]
    surface: &'a HypercallSurface<'static>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, analysis) = load(args.snapshot.as_deref())?;
    let surface = analysis.hypercalls();
    let label = snapshot.origin.label();
    let out = match args.out.format() {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&Doc {
                snapshot: label,
                surface,
            })?;
            s.push('\n');
            s
        }
        Format::Text => {
            header(&snapshot, &analysis, "hypercall surface", args.out.width())
                + &render(surface, &label)
        }
    };
    args.out.write(&out)?;
    Ok(ExitCode::SUCCESS)
}

const WIDTH: usize = 100;
const INDENT: &str = "                   ";

/// The host facts, the counts, then every operation grouped by hypercall.
pub fn render(s: &HypercallSurface<'_>, label: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Hypercall surface of {label}");
    render_host(&mut o, s);
    let c = s.summary;
    let _ = writeln!(
        o,
        "\n{} operations: {} available, {} not available, {} unknown\n",
        c.total, c.available, c.not_available, c.unknown
    );
    let mut group = "";
    for op in &s.operations {
        if op.op.hypercall != group {
            group = &op.op.hypercall;
            let _ = writeln!(o, "{} (hypercall {})", group, op.op.hypercall_number);
        }
        render_op(&mut o, op);
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(o, "\nInput problems:");
        for w in &s.warnings {
            let _ = writeln!(o, "  {w}");
        }
    }
    let _ = writeln!(
        o,
        "\nClass (privileged command / control plane): {}",
        s.class_note
    );
    o
}

fn render_host(o: &mut String, s: &HypercallSurface<'_>) {
    let h = &s.host;
    let line = |o: &mut String, what: &str, f: Option<&Fact>| {
        let at = f.map_or(String::new(), |f| format!("  [{}]", at(f)));
        let _ = writeln!(o, "  {what}{at}");
    };
    let xen = h
        .xen
        .as_ref()
        .map_or("Xen version unknown".to_owned(), |v| {
            let pkg = v
                .package
                .as_deref()
                .map_or(String::new(), |p| format!(" ({p})"));
            format!("Xen {}{pkg}", v.full)
        });
    line(o, &xen, h.xen_evidence.as_ref());
    let config = match &h.config {
        None => "build configuration: not collected".to_owned(),
        Some(c) => match c.source {
            ConfigSource::Hypfs => format!("build configuration: {} (hypfs)", c.artifact),
            ConfigSource::Boot => format!("build configuration: {}", c.artifact),
            ConfigSource::DebianDefault => format!(
                "build configuration: none collected; ASSUMED Debian's shipped one ({})",
                c.default_of.as_deref().unwrap_or("?")
            ),
        },
    };
    let _ = writeln!(o, "  {config}");
    for f in [&h.builtin_cmdline, &h.cmdline].into_iter().flatten() {
        line(o, &f.text, Some(f));
    }
    if h.cmdline.is_none() {
        let _ = writeln!(o, "  command line: unknown");
    }
    let efi = match h.efi_boot {
        Some(true) => "EFI boot",
        Some(false) => "no EFI (BIOS boot)",
        None => "EFI boot: unknown",
    };
    line(o, efi, h.efi_boot_evidence.as_ref());
    let dom0 = h
        .dom0
        .map_or("dom0 mode unknown".to_owned(), |d| format!("{d} dom0"));
    line(o, &dom0, h.dom0_evidence.as_ref());
    let xsm = h.xsm_evidence.first();
    let label = dom0scope_hypercalls::host::xsm_label(h.xsm);
    let what = match xsm {
        Some(f) if f.fact != label => format!("{label} ({})", f.fact),
        _ => label.to_owned(),
    };
    line(o, &what, xsm);
    let tags: Vec<&str> = s
        .checked
        .iter()
        .filter_map(|c| c.tag.strip_prefix("RELEASE-"))
        .collect();
    let _ = writeln!(o, "  table checked against Xen {}", tags.join(", "));
    for c in s.checked.iter().filter(|c| !c.tag.starts_with("RELEASE-")) {
        let what = c.note.as_deref().unwrap_or(&c.tag);
        let _ = writeln!(o, "                     and {} ({what})", c.version);
    }
}

fn render_op(o: &mut String, s: &OpSurface<'_>) {
    let op = s.op;
    let state = match s.availability {
        Availability::Available => "available",
        Availability::NotAvailable { .. } => "not available",
        Availability::Unknown { .. } => "unknown",
    };
    let star = if s.assumed { "*" } else { "" };
    let _ = writeln!(
        o,
        "  {:<16} {}  {}",
        format!("{state}{star}"),
        op.label(),
        op.name
    );
    wrap(o, &op.effect);
    match &s.availability {
        Availability::Available => {
            let flask = if op.flask == "unknown" {
                "a FLASK policy without allow_unknown (no specific permission)".to_owned()
            } else {
                format!("a FLASK policy denying {}", op.flask)
            };
            let by = op.removed_by();
            let text = if by.is_empty() {
                format!("removed by: no Kconfig or command-line switch; only {flask}")
            } else {
                format!("removed by: {}; or {flask}", by.join(", "))
            };
            wrap(o, &text);
        }
        Availability::NotAvailable { why } => wrap(o, &format!("why: {}", why.join("; "))),
        Availability::Unknown { needs } => wrap(o, &format!("needs: {}", needs.join("; "))),
    }
    if !matches!(s.availability, Availability::Available) && !s.evidence.is_empty() {
        let ev: Vec<String> = s
            .evidence
            .iter()
            .map(|f| format!("{} ({})", at(f), f.fact))
            .collect();
        wrap(o, &format!("evidence: {}", ev.join("; ")));
    }
    if s.assumed {
        wrap(
            o,
            "* assumes Debian's shipped build configuration (none was collected)",
        );
    }
}

/// `artifact:line`, or the artifact alone for a whole-artifact fact.
fn at(f: &Fact) -> String {
    if f.line == 0 {
        f.artifact.clone()
    } else {
        format!("{}:{}", f.artifact, f.line)
    }
}

/// Greedy word wrap at [`WIDTH`], indented under the operation.
fn wrap(o: &mut String, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && INDENT.len() + line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(o, "{INDENT}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(o, "{INDENT}{line}");
    }
}
