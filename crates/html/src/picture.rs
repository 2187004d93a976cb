//! The address-space pictures: every range of the physical address space (or of the 64 Ki
//! I/O ports) as one segment on a segmented scale, so a 4 KiB page sits visibly beside a
//! terabyte hole. A segment's width grows with the logarithm of its size from a minimum;
//! its fill says who owns it, its opacity whether dom0 reaches it, and its outline the most
//! severe finding on it, which it links to.

use dom0scope_facts::xenlog::E820Kind;
use dom0scope_inventory::{Inventory, Owner, PortOwner, human_size};
use dom0scope_reach::{Access, Reach};
use dom0scope_verdict::{Finding, Severity};
use maud::{Markup, html};

/// One range with one owner and one access.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// First byte or port.
    pub start: u64,
    /// Last byte or port (inclusive).
    pub end: u64,
    /// The owner as reports name it.
    pub owner: String,
    /// The inventory's `owner` tag (`xen_trampoline`): stable, for the DOM and for tests.
    pub tag: String,
    /// The colour group.
    pub class: &'static str,
    /// dom0's access to the whole range.
    pub access: Access,
    /// Findings on it, most severe first.
    pub findings: Vec<(String, Severity)>,
    /// `artifact:line` that names the owner.
    pub source: Option<String>,
}

/// Which space a picture draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// Physical addresses, in bytes.
    Memory,
    /// I/O ports 0..=0xffff.
    Ports,
}

/// The colour groups, with the legend's words: (class, label).
pub(crate) const CLASSES: &[(&str, &str)] = &[
    ("xen", "Xen's own (trampoline, image)"),
    ("efi-code", "EFI runtime code"),
    (
        "firmware",
        "firmware data (ACPI, FACS, EFI data, AML, flash)",
    ),
    ("iommu", "IOMMU (registers, RMRR, IVMD)"),
    (
        "platform",
        "platform registers (APIC, HPET, TPM, chipset, legacy)",
    ),
    ("pci", "PCI (BARs, ECAM)"),
    ("reserved", "reserved by the firmware's memory map"),
    ("ram", "RAM (owner unknown)"),
    ("hole", "unclaimed (hole)"),
];

fn memory_class(o: &Owner) -> &'static str {
    match o {
        Owner::XenTrampoline | Owner::XenImage => "xen",
        Owner::EfiRuntimeCode => "efi-code",
        Owner::EfiRuntimeData { .. }
        | Owner::AcpiTable { .. }
        | Owner::Facs
        | Owner::AmlRegion { .. }
        | Owner::FlashWindow => "firmware",
        Owner::VtdRegisters
        | Owner::AmdIommuRegisters
        | Owner::Rmrr { .. }
        | Owner::Ivmd { .. } => "iommu",
        Owner::Lapic
        | Owner::IoApic { .. }
        | Owner::Hpet
        | Owner::TpmCrb
        | Owner::TpmLocalities
        | Owner::ChipsetRegisters { .. }
        | Owner::SpiController { .. }
        | Owner::Legacy { .. } => "platform",
        Owner::PciBar { .. } | Owner::PciEcam { .. } => "pci",
        Owner::E820 {
            kind: E820Kind::Usable,
        } => "ram",
        Owner::E820 { .. } => "reserved",
        Owner::Hole => "hole",
    }
}

fn port_class(o: &PortOwner) -> &'static str {
    match o {
        PortOwner::Acpi { .. } | PortOwner::AmlRegion { .. } => "firmware",
        PortOwner::PciBar { .. } => "pci",
        PortOwner::Chipset { .. } | PortOwner::Legacy { .. } => "platform",
        PortOwner::Unclaimed => "hole",
    }
}

/// The owner's `owner` tag as the inventory serialises it (one key per kind of owner, kept
/// in step with the JSON rather than a second list here).
fn tag<T: serde::Serialize>(owner: &T) -> String {
    serde_json::to_value(owner)
        .ok()
        .and_then(|v| v.get("owner")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn cite(e: &dom0scope_facts::Evidence) -> String {
    if e.line == 0 {
        e.artifact.clone()
    } else {
        format!("{}:{}", e.artifact, e.line)
    }
}

/// Most severe first, then by id.
fn sorted(mut f: Vec<(String, Severity)>) -> Vec<(String, Severity)> {
    f.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    f
}

/// Every region of the inventory (holes included), with dom0's access and the findings
/// whose frames overlap it.
pub(crate) fn memory(inv: &Inventory, reach: &Reach, findings: &[Finding]) -> Vec<Segment> {
    inv.regions
        .iter()
        .map(|r| Segment {
            start: r.start,
            end: r.end,
            owner: r.owner.label(),
            tag: tag(&r.owner),
            class: memory_class(&r.owner),
            access: reach.memory_access(r.start, r.end),
            findings: sorted(
                findings
                    .iter()
                    .filter(|f| {
                        f.frames
                            .iter()
                            .any(|fr| fr.start <= r.end && r.start <= fr.end)
                    })
                    .map(|f| (f.id.clone(), f.severity))
                    .collect(),
            ),
            source: r.source.as_ref().map(cite),
        })
        .collect()
}

/// Every port range of the inventory, with dom0's access and the findings on it.
///
/// A port finding links the segments its own port ranges (`Finding::ports`, what the
/// rule's port predicates matched) overlap.
pub(crate) fn ports(inv: &Inventory, reach: &Reach, findings: &[Finding]) -> Vec<Segment> {
    let named: Vec<(&Finding, Vec<(u64, u64)>)> = findings
        .iter()
        .filter(|f| !f.ports.is_empty())
        .map(|f| {
            let r = f.ports.iter();
            (
                f,
                r.map(|p| (u64::from(p.first), u64::from(p.last))).collect(),
            )
        })
        .collect();
    inv.ports
        .iter()
        .map(|p| {
            let (start, end) = (u64::from(p.start), u64::from(p.end));
            Segment {
                start,
                end,
                owner: p.owner.label(),
                tag: tag(&p.owner),
                class: port_class(&p.owner),
                access: reach.port_access(p.start, p.end),
                findings: sorted(
                    named
                        .iter()
                        .filter(|(_, rs)| rs.iter().any(|&(a, b)| a <= end && start <= b))
                        .map(|(f, _)| (f.id.clone(), f.severity))
                        .collect(),
                ),
                source: p.source.as_ref().map(cite),
            }
        })
        .collect()
}

/// Left column for the row's first address.
const LABEL_W: u32 = 118;
/// Width the segments of a row may take.
const ROW_W: u32 = 1080;
/// Height of one row.
const ROW_H: u32 = 34;
/// Height of a segment.
const SEG_H: u32 = 20;
/// The narrowest segment: a single 4 KiB page or port stays a visible, clickable target.
const MIN_W: u32 = 7;

/// A segment's width: the minimum plus a step per doubling of its size above one unit
/// (a 4 KiB frame for memory, a port for ports).
fn width(space: Space, s: &Segment) -> u32 {
    let size = (s.end - s.start) as f64 + 1.0;
    let (unit, step) = match space {
        Space::Memory => (4096.0, 3.0),
        Space::Ports => (1.0, 4.0),
    };
    let doublings = (size / unit).log2().max(0.0);
    MIN_W + (doublings * step).round() as u32
}

fn access_class(a: Access) -> &'static str {
    match a {
        Access::Yes => "yes",
        Access::ReadOnly => "ro",
        Access::Partial => "partial",
        Access::No => "no",
        Access::Unknown => "unknown",
    }
}

fn size_label(space: Space, s: &Segment) -> String {
    let n = (s.end - s.start).saturating_add(1);
    match space {
        Space::Memory => human_size(n),
        Space::Ports if n == 1 => "1 port".to_owned(),
        Space::Ports => format!("{n} ports"),
    }
}

fn addr(space: Space, v: u64) -> String {
    match space {
        Space::Memory => format!("{v:#x}"),
        Space::Ports => format!("{v:#06x}"),
    }
}

/// The tooltip: range, size, owner, access, source, findings.
fn tooltip(space: Space, s: &Segment) -> String {
    let mut t = format!(
        "{}-{} ({}): {}; dom0: {}",
        addr(space, s.start),
        addr(space, s.end),
        size_label(space, s),
        s.owner,
        s.access.label()
    );
    if let Some(src) = &s.source {
        t.push_str(&format!("; source {src}"));
    }
    for (id, sev) in &s.findings {
        t.push_str(&format!("\n{} finding {id}", sev.label()));
    }
    t
}

/// The picture as inline SVG, rows of segments wrapped at a fixed width, each row labelled
/// with its first address.
pub(crate) fn svg(space: Space, segments: &[Segment]) -> Markup {
    // Place segments: (row, x, width).
    let mut placed = Vec::with_capacity(segments.len());
    let (mut row, mut x) = (0u32, 0u32);
    let mut row_starts = vec![segments.first().map_or(0, |s| s.start)];
    for s in segments {
        let w = width(space, s);
        if x > 0 && x + w > ROW_W {
            row += 1;
            x = 0;
            row_starts.push(s.start);
        }
        placed.push((row, x, w));
        x += w;
    }
    let height = (row + 1) * ROW_H + 4;
    let total = LABEL_W + ROW_W + 8;
    let id = match space {
        Space::Memory => "memory-picture",
        Space::Ports => "ports-picture",
    };
    let what = match space {
        Space::Memory => "dom0's view of the physical address space",
        Space::Ports => "dom0's view of the I/O ports",
    };
    html! {
        svg id=(id) class="picture" xmlns="http://www.w3.org/2000/svg" role="img"
            viewBox={"0 0 " (total) " " (height)} width=(total) height=(height) {
            title { (what) ", one segment per owner, on a logarithmic scale" }
            @for (r, start) in row_starts.iter().enumerate() {
                text class="row-label" x=(LABEL_W - 6) y={(r as u32 * ROW_H + 6 + SEG_H / 2 + 4)} text-anchor="end" {
                    (addr(space, *start))
                }
            }
            @for (s, (r, x, w)) in segments.iter().zip(&placed) {
                @let y = r * ROW_H + 6;
                @let sev = s.findings.first().map(|f| f.1.label());
                @let seg = html! {
                    rect class={"seg c-" (s.class) " a-" (access_class(s.access)) @if let Some(v) = sev { " sev-" (v) }}
                        x=(LABEL_W + x) y=(y) width=(w.saturating_sub(1).max(1)) height=(SEG_H)
                        data-owner=(s.tag) data-start=(addr(space, s.start)) data-end=(addr(space, s.end))
                        data-access=(access_class(s.access))
                        data-finding=[s.findings.first().map(|f| f.0.as_str())] {
                        title { (tooltip(space, s)) }
                    }
                    @if let Some(v) = sev {
                        rect class={"mark sev-" (v)} x=(LABEL_W + x) y=(y - 5) width=(w.saturating_sub(1).max(1)) height="4" {}
                    }
                };
                @if let Some((id, _)) = s.findings.first() {
                    a href={"#finding-" (id)} { (seg) }
                } @else {
                    (seg)
                }
            }
        }
    }
}

/// The legend: owner colours, access, severity outlines.
pub(crate) fn legend() -> Markup {
    html! {
        div class="legend" {
            @for (class, label) in CLASSES {
                span class="key" { svg width="14" height="14" { rect class={"seg a-yes c-" (class)} x="1" y="1" width="12" height="12" {} } " " (label) }
            }
        }
        div class="legend" {
            span class="key" { svg width="14" height="14" { rect class="seg a-yes c-pci" x="1" y="1" width="12" height="12" {} } " dom0 reaches it" }
            span class="key" { svg width="14" height="14" { rect class="seg a-partial c-pci" x="1" y="1" width="12" height="12" {} } " partly" }
            span class="key" { svg width="14" height="14" { rect class="seg a-no c-pci" x="1" y="1" width="12" height="12" {} } " denied" }
            span class="key" { svg width="14" height="14" { rect class="seg a-unknown c-pci" x="1" y="1" width="12" height="12" {} } " unknown (no rangeset)" }
            @for sev in ["critical", "high", "medium", "low", "info"] {
                span class="key" { svg width="14" height="14" { rect class={"seg a-yes c-hole sev-" (sev)} x="2" y="2" width="10" height="10" {} } " " (sev) " finding" }
            }
        }
    }
}
