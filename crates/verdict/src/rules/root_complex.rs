//! dom0 can write the root complex's configuration space.
//!
//! The host bridge holds the memory-controller registers firmware locks to
//! protect SMRAM and itself (TSEGMB, TOLUD, REMAPBASE, the VT-d BAR); nothing in
//! Xen 4.17 or 4.20 stops dom0 writing them (see the model's PCI access), so
//! their protection rests on those firmware lock bits alone.

use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Finding, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_PCI_ROOT_COMPLEX_WRITE",
    title: "dom0 can write the root complex's PCI configuration space",
    eval,
};

fn eval(s: &Surface) -> Outcome {
    let Some(p) = &s.reach.predicted else {
        return Outcome::NeedsInput("a Xen log".into());
    };
    if p.pci_config.is_empty() {
        return Outcome::NeedsInput(
            "the PCI functions' config space (pci/…/config in a collected snapshot)".into(),
        );
    }
    let hb: Vec<_> = p
        .pci_config
        .iter()
        .filter(|a| a.host_bridge && a.writable)
        .collect();
    if hb.is_empty() {
        return Outcome::Passes;
    }
    let names = hb
        .iter()
        .map(|a| format!("{} ({:04x}:{:04x})", a.sbdf, a.vendor_id, a.device_id))
        .collect::<Vec<_>>()
        .join(", ");
    Outcome::Fires(Box::new(Finding {
        id: RULE.id,
        title: RULE.title,
        severity: Severity::High,
        impact: Impact::Integrity,
        summary: format!(
            "Host bridge {names} is {}. Its registers decide where SMRAM/TSEG, the top of low memory and the VT-d register block sit; only firmware lock bits keep dom0 from moving them.",
            hb[0].how
        ),
        frames: vec![],
        evidence: hb.iter().flat_map(|a| a.evidence.iter().cloned()).collect(),
        rationale: "The xen-devel thread lists root-complex config space among what dom0 can still reach; a memory-controller register that is not locked lets dom0 expose SMRAM or relocate the IOMMU, below Xen.",
        references: vec![
            "xen-devel, Feb 2026: \"SecureBoot requirements regarding Dom0\" (PCI config space incl. root complex)",
            "xen/arch/x86/pv/emul-priv-op.c: pci_cfg_ok(); xen/arch/x86/mm.c: mmcfg_intercept_write()",
            "CHIPSEC modules memconfig and remap (host-bridge lock bits); ITL BH08, \"Preventing & Detecting Xen Hypervisor Subversions\"",
        ],
        remedies: vec![Remedy {
            channel: Channel::XenPatch,
            text: "Make the host bridge read-only to dom0 (pci_ro_device() on it, or filter memory-controller registers in the config-space intercepts); until then, check the firmware lock bits (TSEGMB/TOLUD/REMAPBASE lock, VT-d BAR lock).".into(),
        }],
    }))
}
