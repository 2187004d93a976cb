//! A PV dom0 can write an ECAM (MMCONFIG) window that Xen does not use.
//!
//! Xen maps the ECAM windows it uses read-only for dom0 and emulates writes
//! (`arch/x86/x86_64/mmconfig_64.c` `pci_mmcfg_arch_enable()` adds them to
//! `mmio_ro_ranges`); a window Xen rejected ("PCI: Not using MCFG") stays a
//! plain reserved range, so dom0's writes reach every function's config space
//! unfiltered — including devices Xen hid or made read-only.

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_inventory::Owner;
use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Finding, FrameRange, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_ECAM_UNMEDIATED",
    title: "dom0 can write PCI config space through an ECAM window Xen does not mediate",
    eval,
};

fn eval(s: &Surface) -> Outcome {
    let Some(p) = &s.reach.predicted else {
        return Outcome::NeedsInput("a Xen log".into());
    };
    if s.reach.observed.is_none() {
        return Outcome::NeedsInput("dom0's rangesets (debug key 'q' dump)".into());
    }
    if p.mode != Dom0Mode::Pv {
        return Outcome::Passes;
    }
    let unused: Vec<_> = s
        .memory
        .iter()
        .filter(|m| match &m.owner {
            Owner::PciEcam { bus_start, .. } => p.input.mcfg.iter().any(|w| {
                !w.used && (w.base + (u64::from(*bus_start) << 20)) >> 12 <= m.first_frame
            }),
            _ => false,
        })
        .collect();
    if unused.is_empty() {
        return Outcome::Passes;
    }
    Outcome::Fires(Box::new(Finding {
        id: RULE.id,
        title: RULE.title,
        severity: Severity::High,
        impact: Impact::Integrity,
        summary: "Xen did not take this MCFG window into use, so it is not in mmio_ro_ranges: a PV dom0 maps it writable and reaches every function's config space directly, bypassing the filters Xen applies on 0xcf8/0xcfc (read-only devices, MSI/MSI-X control).".into(),
        frames: unused
            .iter()
            .map(|m| FrameRange {
                first_frame: m.first_frame,
                last_frame: m.last_frame,
                start: m.start,
                end: m.end,
            })
            .collect(),
        evidence: unused.iter().filter_map(|m| m.owner_source.clone()).collect(),
        rationale: "Config-space protection Xen enforces for itself (its IOMMU, its UART, MSI routing) is void if the same registers are writable another way.",
        references: vec!["xen/arch/x86/x86_64/mmconfig_64.c: pci_mmcfg_arch_enable()"],
        remedies: vec![Remedy {
            channel: Channel::XenCommandLine,
            text: "mmcfg=on (or fix the firmware's E820/MCFG so Xen accepts the window); otherwise revoke the window from dom0.".into(),
        }],
    }))
}
