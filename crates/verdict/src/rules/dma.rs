//! dom0's devices can DMA into Xen's heap.
//!
//! In the PV default ("relaxed") IOMMU mode Xen identity-maps all RAM for
//! dom0's devices except its own image and the trampoline
//! (`drivers/passthrough/x86/iommu.c` `arch_iommu_hwdom_init()`, 4.17 and 4.20),
//! so a device dom0 programs can write Xen's page tables and other domains'
//! memory; passthrough mode and a disabled IOMMU are worse.

use dom0scope_reach::model::dma::IommuMode;
use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_DMA_XEN_HEAP",
    title: "dom0's devices can DMA into Xen's memory",
    eval,
};

fn eval(s: &Surface) -> Outcome {
    let Some(p) = &s.reach.predicted else {
        return Outcome::NeedsInput("Xen's IOMMU lines or command line".into());
    };
    let d = &p.dma;
    if !d.reaches_xen_heap {
        return Outcome::Passes;
    }
    let severity = Severity::Critical;
    let mut remedies = vec![Remedy {
        channel: Channel::XenCommandLine,
        text: "dom0-iommu=strict (dom0's devices then reach only dom0's own pages); needs a working IOMMU (iommu=required makes Xen refuse to boot without one).".into(),
    }];
    if d.mode == IommuMode::Off {
        remedies.insert(
            0,
            Remedy {
                channel: Channel::XenCommandLine,
                text: "Enable the IOMMU (VT-d / AMD-Vi in firmware; iommu=required).".into(),
            },
        );
    }
    Outcome::Fires(Box::new(crate::Finding {
        id: RULE.id,
        title: RULE.title,
        severity,
        impact: Impact::Integrity,
        summary: format!("IOMMU mode for dom0: {:?}. {}.", d.mode, d.how),
        frames: vec![],
        evidence: d.evidence.clone(),
        rationale: "A device dom0 can program is as powerful as dom0's CPU: if its DMA reaches Xen's memory, dom0 can rewrite the hypervisor without any hypercall.",
        references: vec![
            "xen/drivers/passthrough/x86/iommu.c: arch_iommu_hwdom_init() (dom0 identity maps)",
            "xen/drivers/passthrough/iommu.c: parse_dom0_iommu_param() (dom0-iommu=strict|relaxed|passthrough)",
        ],
        remedies,
    }))
}
