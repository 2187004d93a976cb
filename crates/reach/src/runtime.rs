//! Run-time grants: IRQs Xen adds to dom0's `Interrupts` rangeset after boot. When dom0 maps
//! a device's MSI/MSI-X vector (`PHYSDEVOP_map_pirq`, or vPCI for a PVH dom0), Xen's
//! `allocate_and_map_msi_pirq()` creates an IRQ with `create_irq(…, true)`, which grants it
//! to the calling domain, and `map_domain_pirq()` grants it to the target
//! (`xen/arch/x86/irq.c`, RELEASE-4.17.7 and RELEASE-4.20.4); unmapping revokes it. These
//! IRQs lie beyond the GSIs of the boot-time grant, so the model — a replay of dom0's build —
//! cannot predict them. They are observed instead, from Xen's own dumps: `'Q'` names the
//! device whose MSI each IRQ is, `'i'` the pirq it is bound to, `'M'` the MSI entry; dom0's
//! PCI config space shows the capability the driver enabled.

use std::collections::BTreeMap;

use dom0scope_facts::pci::PciFunction;
use dom0scope_facts::pci::config::msi_caps;
use dom0scope_facts::{Evidence, XenLog};
use serde::Serialize;

/// Where Xen grants an MSI IRQ to dom0 at run time.
pub const MSI_GRANT_SOURCE: &str = "xen/arch/x86/irq.c allocate_and_map_msi_pirq(): \
     create_irq(…, true) grants the calling domain, map_domain_pirq() the device's";

/// The device whose MSI/MSI-X an IRQ is, from a `'Q'` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsiDevice {
    /// `SSSS:BB:DD.F`.
    pub sbdf: String,
    /// The domain that owns the device (`d0`, or a guest dom0 mapped it for).
    pub owner: String,
    /// The `'Q'` line listing the IRQ among the device's MSIs.
    pub source: Evidence,
}

/// What Xen's dumps say of one IRQ that is a device's MSI or MSI-X.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsiIrq {
    /// Xen's IRQ number.
    pub irq: u32,
    /// The device, when a `'Q'` line lists the IRQ (without it the IRQ is not tied to one).
    pub device: Option<MsiDevice>,
    /// `MSI` or `MSI-X` from `'M'`, else the `'i'` handler (`PCI-MSI`, `PCI-MSI/-X`).
    pub kind: Option<String>,
    /// dom0's pirq bound to it (`'i'`: `d0:P`).
    pub dom0_pirq: Option<i32>,
    /// The `'i'` and `'M'` lines.
    pub evidence: Vec<Evidence>,
    /// The device's MSI or MSI-X capability in dom0's config space (`pci/…/config`).
    pub config: Vec<Evidence>,
}

/// Every IRQ Xen's `'Q'`, `'i'` or `'M'` dumps show as a PCI device's MSI/MSI-X, by IRQ.
pub(crate) fn msi_irqs(log: &XenLog, pci: &[PciFunction]) -> Vec<MsiIrq> {
    let mut by: BTreeMap<u32, MsiIrq> = BTreeMap::new();
    for o in &log.pci_owners {
        for &irq in &o.msi_irqs {
            entry(&mut by, irq).device = Some(MsiDevice {
                sbdf: o.sbdf.clone(),
                owner: o.owner.clone(),
                source: log.pci_owner_evidence(o),
            });
        }
    }
    let d = &log.irq_dumps;
    let artifact = |a: &Option<String>| a.clone().unwrap_or_else(|| log.artifact.clone());
    for b in d.bindings.values().filter(|b| b.is_pci_msi()) {
        let e = entry(&mut by, b.irq);
        e.kind = Some(b.kind.clone());
        e.dom0_pirq = b.guests.iter().find(|g| g.domain == 0).map(|g| g.pirq);
        e.evidence.push(Evidence {
            artifact: artifact(&d.bindings_artifact),
            line: b.line,
            text: b.text.clone(),
        });
    }
    for m in d
        .msi
        .values()
        .filter(|m| m.kind == "MSI" || m.kind == "MSI-X")
    {
        let e = entry(&mut by, m.irq);
        e.kind = Some(m.kind.clone());
        e.evidence.push(Evidence {
            artifact: artifact(&d.msi_artifact),
            line: m.line,
            text: m.text.clone(),
        });
    }
    for e in by.values_mut() {
        let Some(dev) = &e.device else { continue };
        let Some(f) = pci.iter().find(|f| f.sbdf == dev.sbdf) else {
            continue;
        };
        // The capability of the kind `'M'` names; both when it names none.
        let wanted = |k: &str| {
            e.kind
                .as_deref()
                .is_none_or(|w| !w.starts_with("MSI") || w == k)
        };
        for c in msi_caps(&f.config).into_iter().filter(|c| wanted(c.kind)) {
            e.config.push(Evidence {
                artifact: format!("pci/{}/config", f.sbdf),
                line: 0,
                text: format!(
                    "{} capability at {:#x}: {} (Message Control {:#06x})",
                    c.kind,
                    c.offset,
                    if c.enabled { "enabled" } else { "disabled" },
                    c.control
                ),
            });
        }
    }
    by.into_values().collect()
}

fn entry(by: &mut BTreeMap<u32, MsiIrq>, irq: u32) -> &mut MsiIrq {
    by.entry(irq).or_insert_with(|| MsiIrq {
        irq,
        device: None,
        kind: None,
        dom0_pirq: None,
        evidence: Vec::new(),
        config: Vec::new(),
    })
}

/// IRQs Xen granted dom0 at run time for one device's MSI/MSI-X: consecutive IRQs of the same
/// device and kind, shown apart from the boot-time comparison.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeGrant {
    /// Decimal, inclusive (`25-27`).
    pub range: String,
    /// The IRQs.
    pub irqs: Vec<u32>,
    /// The device (`SSSS:BB:DD.F`).
    pub device: String,
    /// The device's owner in Xen (`d0`, or the guest dom0 mapped it for).
    pub owner: String,
    /// `MSI`, `MSI-X`, or the `'i'` handler name.
    pub kind: String,
    /// dom0's pirqs bound to them, where `'i'` shows one.
    pub dom0_pirqs: Vec<i32>,
    /// Why, for people: `granted at run time for MSI-X of 0000:00:02.0, xen/debugkey-Q.txt:4`.
    pub why: String,
    /// Where Xen grants them ([`MSI_GRANT_SOURCE`]).
    pub xen_source: &'static str,
    /// The `'Q'` line first, then the `'i'` and `'M'` lines, then config space.
    pub evidence: Vec<Evidence>,
}

/// Groups the device-tied `explained` IRQs into [`RuntimeGrant`]s.
pub(crate) fn grants(explained: &[&MsiIrq]) -> Vec<RuntimeGrant> {
    let mut out: Vec<RuntimeGrant> = Vec::new();
    let mut config: Vec<Vec<Evidence>> = Vec::new();
    for m in explained {
        let Some(dev) = &m.device else { continue };
        let kind = m.kind.clone().unwrap_or_else(|| "MSI".into());
        let extends = out.last().is_some_and(|g| {
            g.device == dev.sbdf && g.kind == kind && g.irqs.last() == m.irq.checked_sub(1).as_ref()
        });
        if !extends {
            out.push(RuntimeGrant {
                range: String::new(),
                irqs: Vec::new(),
                device: dev.sbdf.clone(),
                owner: dev.owner.clone(),
                kind: kind.clone(),
                dom0_pirqs: Vec::new(),
                why: String::new(),
                xen_source: MSI_GRANT_SOURCE,
                evidence: vec![dev.source.clone()],
            });
            config.push(Vec::new());
        }
        let Some(g) = out.last_mut() else { continue };
        g.irqs.push(m.irq);
        g.dom0_pirqs.extend(m.dom0_pirq);
        g.evidence.extend(m.evidence.iter().cloned());
        if let Some(c) = config.last_mut() {
            for e in &m.config {
                if !c.contains(e) {
                    c.push(e.clone());
                }
            }
        }
    }
    for (g, c) in out.iter_mut().zip(config) {
        g.evidence.extend(c);
        let (first, last) = (g.irqs[0], g.irqs[g.irqs.len() - 1]);
        g.range = if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        };
        let src = &g.evidence[0];
        g.why = format!(
            "granted at run time for {} of {}{}, {}:{}",
            g.kind,
            g.device,
            if g.owner == "d0" {
                String::new()
            } else {
                format!(" (owned by {}, mapped by dom0)", g.owner)
            },
            src.artifact,
            src.line
        );
    }
    out
}
