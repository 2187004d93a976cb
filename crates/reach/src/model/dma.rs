//! How far dom0's devices can DMA, from the IOMMU mode Xen reports or the
//! command line that selects it (`drivers/passthrough/iommu.c`
//! `parse_dom0_iommu_param()`, `check_hwdom_reqs()`; identity maps in
//! `drivers/passthrough/x86/iommu.c` `arch_iommu_hwdom_init()`, 4.17 and 4.20).

use dom0scope_facts::xenlog::{Dom0IommuMode, Dom0Mode};
use dom0scope_facts::{Evidence, XenLog};
use serde::Serialize;

use super::cmdline::Cmdline;

/// The IOMMU's treatment of dom0's DMA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IommuMode {
    /// No IOMMU in use: DMA reaches all memory.
    Off,
    /// Identity-mapped without translation: all memory, Xen included.
    Passthrough,
    /// PV default: all RAM and reserved ranges (and everything below 4 GiB) except
    /// Xen's image and trampoline — Xen's heap stays reachable.
    Relaxed,
    /// Only dom0's own pages (plus reserved/RMRR ranges); forced for PVH.
    Strict,
}

/// The DMA reach and where it was read from.
#[derive(Debug, Clone, Serialize)]
pub struct DmaReach {
    /// The IOMMU mode dom0's DMA is under.
    pub mode: IommuMode,
    /// True when dom0's devices can write memory Xen uses for itself or other
    /// domains (page tables, `struct domain`, guests' RAM).
    pub reaches_xen_heap: bool,
    /// What that mode lets dom0's devices reach, and where the mode was read from.
    pub how: String,
    /// The Xen log lines the mode was read from (empty when inferred).
    pub evidence: Vec<Evidence>,
    /// True when the mode was inferred from the command line, not printed by Xen.
    pub inferred: bool,
}

/// Reads the mode from Xen's log, falling back to the command line's selection.
pub fn reach(log: &XenLog, cmdline: &Cmdline, mode: Dom0Mode) -> DmaReach {
    let iommu = &log.iommu;
    if let Some(e) = &iommu.enabled
        && !e.value
    {
        return make(
            IommuMode::Off,
            "Xen reports I/O virtualisation disabled",
            vec![log.evidence(e.line)],
            false,
        );
    }
    if mode == Dom0Mode::Pvh {
        // check_hwdom_reqs() forces strict mode when the PVH dom0 is built, after
        // Xen printed the mode it parsed (so the log can say Relaxed).
        let ev = iommu.enabled.iter().map(|e| log.evidence(e.line)).collect();
        return make(
            IommuMode::Strict,
            "a PVH dom0 always gets strict mode (check_hwdom_reqs())",
            ev,
            false,
        );
    }
    if let Some(m) = &iommu.dom0_mode {
        let mode = match m.value {
            Dom0IommuMode::Passthrough => IommuMode::Passthrough,
            Dom0IommuMode::Relaxed => IommuMode::Relaxed,
            Dom0IommuMode::Strict => IommuMode::Strict,
        };
        let mut ev = vec![log.evidence(m.line)];
        if let Some(e) = &iommu.enabled {
            ev.insert(0, log.evidence(e.line));
        }
        return make(mode, "Xen reports dom0's IOMMU mode", ev, false);
    }
    // Not printed (ring wrapped, or an old Xen): what the options select.
    let off = matches!(cmdline.get(super::cmdline::IOMMU), Some(v) if v.split(',').any(|o| matches!(o, "0" | "off" | "no" | "false")));
    let d = cmdline.list(super::cmdline::DOM0_IOMMU);
    let mode = if off {
        IommuMode::Off
    } else if mode == Dom0Mode::Pvh || d.contains(&"strict") {
        IommuMode::Strict
    } else if d.contains(&"passthrough") {
        IommuMode::Passthrough
    } else {
        IommuMode::Relaxed
    };
    make(
        mode,
        "not printed in the log; selected by the command line (or its default)",
        vec![],
        true,
    )
}

fn make(mode: IommuMode, source: &str, evidence: Vec<Evidence>, inferred: bool) -> DmaReach {
    let what = match mode {
        IommuMode::Off => "no IOMMU protects Xen: dom0's devices can DMA to all memory",
        IommuMode::Passthrough => "dom0's devices DMA untranslated: all memory, Xen included",
        IommuMode::Relaxed => {
            "dom0's devices can DMA to all RAM except Xen's image and trampoline, so to Xen's heap (page tables, other domains' memory)"
        }
        IommuMode::Strict => {
            "dom0's devices can DMA only to dom0's own pages and reserved/RMRR ranges"
        }
    };
    DmaReach {
        mode,
        reaches_xen_heap: mode != IommuMode::Strict,
        how: format!("{what} ({source})"),
        evidence,
        inferred,
    }
}
