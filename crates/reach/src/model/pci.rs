//! Which PCI functions' config space dom0 can write.
//!
//! A PV dom0 reaches config space through ports 0xcf8/0xcfc, which Xen emulates
//! (`arch/x86/pv/emul-priv-op.c` `pci_cfg_ok()`), and through the ECAM window,
//! mapped read-only with writes emulated (`arch/x86/mm.c` `mmcfg_intercept_write()`);
//! both drop writes to devices Xen marked read-only (`pci_ro_device()`, e.g. the
//! AMD IOMMU function and Xen's PCI UART) and filter MSI/MSI-X control. A PVH
//! dom0 goes through vPCI (`drivers/vpci/`), which lets the hardware domain write
//! every register it does not handle itself. Devices Xen owns (`d[XEN]` in the
//! `'Q'` dump) are hidden or read-only. Checked against 4.17.7 and 4.20.4.

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_facts::{Evidence, Facts};
use serde::Serialize;

/// dom0's write access to one function's config space.
#[derive(Debug, Clone, Serialize)]
pub struct PciConfigAccess {
    /// `SSSS:BB:DD.F`, as the snapshot's `pci/` directory names it.
    pub sbdf: String,
    /// Class code (config bytes 0x9-0xb): base class << 16 | subclass << 8 | prog-if.
    pub class: u32,
    /// PCI vendor id (config offset 0x0).
    pub vendor_id: u16,
    /// PCI device id (config offset 0x2).
    pub device_id: u16,
    /// A host bridge (class 06:00) on bus 0: the root complex.
    pub host_bridge: bool,
    /// dom0's config-space writes reach the device (false when Xen owns it or makes it read-only).
    pub writable: bool,
    /// Why, and by which path (ports 0xcf8/0xcfc and ECAM for PV, vPCI for PVH).
    pub how: String,
    /// The function's config header and, when there is one, its `'Q'` dump line.
    pub evidence: Vec<Evidence>,
}

/// Derives per-function access from the snapshot's PCI list and the `'Q'` dump.
pub fn access(facts: &Facts, mode: Dom0Mode) -> Vec<PciConfigAccess> {
    let log = facts.xen.as_ref();
    let owners = log.map(|l| l.pci_owners.as_slice()).unwrap_or(&[]);
    let mut out = Vec::new();
    for f in &facts.pci {
        let owner = owners.iter().find(|o| o.sbdf == f.sbdf);
        let mut evidence = vec![Evidence {
            artifact: format!("pci/{}/config", f.sbdf),
            line: 0,
            text: format!(
                "vendor {:04x} device {:04x} class {:06x} at bytes 0x0-0xb",
                f.vendor_id, f.device_id, f.class
            ),
        }];
        if let (Some(o), Some(l)) = (owner, log) {
            evidence.push(l.pci_owner_evidence(o));
        }
        let (writable, how) = if owner.is_some_and(|o| o.is_xen()) {
            (
                false,
                "Xen owns it (d[XEN]: hidden or read-only); dom0's writes are dropped".to_owned(),
            )
        } else if f.is_iommu() && f.vendor_id == 0x1022 {
            (
                false,
                "the AMD IOMMU function: Xen makes it read-only (pci_ro_device)".to_owned(),
            )
        } else {
            let via = match mode {
                Dom0Mode::Pv => {
                    "through ports 0xcf8/0xcfc and the ECAM window, both emulated by Xen, which filters only MSI/MSI-X control"
                }
                Dom0Mode::Pvh => {
                    "through vPCI, which passes the hardware domain's writes to every register it does not emulate"
                }
            };
            let owned = match owner {
                Some(o) => format!("owned by {}", o.owner),
                None => "not in a 'Q' dump".to_owned(),
            };
            (true, format!("writable by dom0 {via} ({owned})"))
        };
        out.push(PciConfigAccess {
            sbdf: f.sbdf.clone(),
            class: f.class,
            vendor_id: f.vendor_id,
            device_id: f.device_id,
            host_bridge: f.is_host_bridge() && f.bus == 0,
            writable,
            how,
            evidence,
        });
    }
    out
}
