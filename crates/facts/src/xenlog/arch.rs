//! Which architecture a Xen log comes from. dom0scope's owners, model and rules are x86's; a
//! log from Xen on Arm must be refused, not judged as if it were a PC (it has no E820 map, no
//! I/O ports and no AP trampoline, and its `q` dump reads like an x86 one).
//!
//! Markers are lines only one architecture prints: on Arm, the GIC list registers in the `q`
//! dump (`GICH_LRs`, `VCPU_LR[n]`), the p2m summary with its VMID, GIC and PSCI bring-up, the
//! device tree's `/chosen` and SMMU probes; on x86, the E820 map, the PV/PVH dom0 build
//! banner, the `I/O Ports` rangeset, the CPU vendor line and the x86 IOMMU drivers.

use serde::Serialize;

use super::lines::XenLine;
use super::model::Located;

/// A processor architecture Xen runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// x86-64 (what dom0scope models).
    X86,
    /// 32- or 64-bit Arm.
    Arm,
}

impl Arch {
    /// `x86` / `Arm`.
    pub fn label(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::Arm => "Arm",
        }
    }
}

/// The architecture a log shows and the marker that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArchMark {
    /// The architecture.
    pub arch: Arch,
    /// The text on the line that only this architecture's Xen prints.
    pub marker: &'static str,
}

/// Substrings only Xen on Arm prints.
const ARM: &[&str] = &[
    "GICH_LRs",
    "VCPU_LR[",
    "(vmid ",
    "GICv2",
    "GICv3",
    "PSCI v",
    "Checking for initrd in /chosen",
    "Loading zImage",
    "Loading d0 DTB",
    "SMMUv3",
    "arm-smmu",
];

/// Substrings only Xen on x86 prints.
const X86: &[&str] = &[
    "RAM map:",
    "Building a PV Dom0",
    "Building a PVH Dom0",
    "I/O Ports ",
    "CPU Vendor:",
    "Intel VT-d",
    "AMD-Vi:",
    "ACPI: RSDP",
];

/// The architecture the lines show, with the first line that shows it. x86 wins when both
/// kinds of marker appear (a log that mixes them is not refused on a guess); None when
/// neither does.
pub(crate) fn detect(lines: &[XenLine<'_>]) -> Option<Located<ArchMark>> {
    let first = |arch: Arch, markers: &[&'static str]| {
        lines.iter().find_map(|l| {
            let marker = markers.iter().find(|m| l.body.contains(*m))?;
            Some(Located {
                value: ArchMark { arch, marker },
                line: l.no,
            })
        })
    };
    first(Arch::X86, X86).or_else(|| first(Arch::Arm, ARM))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<XenLine<'_>> {
        text.lines()
            .enumerate()
            .map(|(i, body)| XenLine {
                no: u32::try_from(i + 1).unwrap(),
                body,
            })
            .collect()
    }

    #[test]
    fn markers_decide_and_x86_wins_a_mix() {
        let arm = lines("Rangesets belonging to domain 0:\nGICH_LRs (vcpu 0) mask=f");
        let a = detect(&arm).unwrap();
        assert_eq!(
            (a.value.arch, a.line, a.value.marker),
            (Arch::Arm, 2, "GICH_LRs")
        );
        let x86 = lines("    I/O Ports  { 0-1f }\nGICv3 something");
        assert_eq!(detect(&x86).unwrap().value.arch, Arch::X86);
        assert!(detect(&lines("Rangesets belonging to domain 0:")).is_none());
    }
}
