//! dom0 can hijack S3 resume without Xen: it can write the FACS waking vector
//! and reach the PM1 control block that puts the platform to sleep.
//!
//! Xen writes only the 32-bit `firmware_waking_vector` and only when it enters
//! S3 itself (`arch/x86/acpi/power.c` `acpi_sleep_prepare()`); nothing in
//! `dom0_setup_permissions()` (4.17, 4.20) denies the FACS page or the FADT's
//! PM1 ports. Measured: the FACS frame maps writable from a PV dom0 on SeaBIOS
//! and OVMF (shared/reference/measured-on-real-xen.md §4).

use dom0scope_inventory::{Owner, PortOwner};
use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Finding, FrameRange, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_S3_WAKING_VECTOR",
    title: "dom0 can rewrite the S3 waking vector and trigger sleep itself",
    eval,
};

fn eval(s: &Surface) -> Outcome {
    if s.reach.observed.is_none() {
        return Outcome::NeedsInput("dom0's rangesets (debug key 'q' dump)".into());
    }
    let facs: Vec<_> = s.memory.iter().filter(|m| m.owner == Owner::Facs).collect();
    let pm1: Vec<_> = s
        .ports_where(|o| matches!(o, PortOwner::Acpi { block } if block.starts_with("PM1") && block.contains("CNT")))
        .collect();
    if !s.facs_known {
        return Outcome::NeedsInput("the FACS address (ACPI table lines or acpi/FACP)".into());
    }
    if facs.is_empty() || pm1.is_empty() {
        return Outcome::Passes;
    }
    let frames = facs
        .iter()
        .map(|m| FrameRange {
            first_frame: m.first_frame,
            last_frame: m.last_frame,
            start: m.start,
            end: m.end,
        })
        .collect();
    let ports = pm1
        .iter()
        .map(|p| format!("{:#x}-{:#x} ({})", p.start, p.end, p.owner.label()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut evidence: Vec<_> = facs.iter().filter_map(|m| m.owner_source.clone()).collect();
    evidence.extend(pm1.iter().filter_map(|p| p.owner_source.clone()));
    if let Some(o) = &s.reach.observed {
        evidence.push(o.iomem_source.clone());
        if let Some(p) = &o.ioports_source {
            evidence.push(p.clone());
        }
    }
    Outcome::Fires(Box::new(Finding {
        id: RULE.id,
        title: RULE.title,
        severity: Severity::High,
        impact: Impact::Integrity,
        summary: format!(
            "The FACS at {:#x} is in dom0's I/O Memory rangeset and the PM1 control ports {ports} are in its I/O Ports rangeset. dom0 can set the waking vectors (FACS+0xc, and the 64-bit one at +0x18 that Xen never clears) and write SLP_EN itself: firmware then resumes at dom0's code with Xen's memory intact, without any hypercall.",
            facs[0].start
        ),
        frames,
        evidence,
        rationale: "S3 resume runs before Xen regains control; whoever chooses the waking vector runs first, with the whole machine.",
        references: vec![
            "xen/arch/x86/acpi/power.c: acpi_sleep_prepare() (writes only the 32-bit vector)",
            "xen/arch/x86/dom0_build.c: dom0_setup_permissions() (FACS page and PM1 ports not denied)",
            "ACPI 6.5 §5.2.10 (FACS waking vectors), §4.8.3.2 (PM1 control, SLP_EN)",
        ],
        remedies: vec![
            Remedy {
                channel: Channel::XenCommandLine,
                text: format!(
                    "dom0_ioports_disable={} so dom0 cannot enter S3 itself; Xen still sleeps through XENPF_enter_acpi_sleep. Check that dom0's ACPI driver copes (it reads SCI_EN there).",
                    pm1.iter()
                        .map(|p| format!("{:x}-{:x}", p.start, p.end))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            },
            Remedy {
                channel: Channel::XenPatch,
                text: "Deny dom0 the PM1 control ports and make the FACS page read-only in dom0_setup_permissions(); clear the 64-bit waking vector when entering S3.".into(),
            },
        ],
    }))
}
