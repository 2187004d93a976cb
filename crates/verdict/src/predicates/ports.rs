//! Predicates over dom0's I/O ports, as Xen's own `I/O Ports` rangeset says.

use dom0scope_inventory::PortOwner;
use serde::Deserialize;

use super::{Detail, Truth};
use crate::PortRange;
use crate::inputs::Inputs;

/// What the port predicates need when Xen's own I/O Ports rangeset is unknown.
pub const NEEDS_IOPORTS: &str = "dom0's I/O Ports rangeset (debug key 'q' dump)";

/// A named port range in a condition: `{ ports = "0x4d0-0x4d1", name = "ELCR" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// First port (inclusive).
    pub first: u16,
    /// Last port (inclusive).
    pub last: u16,
    /// What the ports are, quoted in the finding (e.g. `ELCR`).
    pub name: String,
}

/// Port owner kinds a condition can name (`ports_reachable_owner = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortOwnerKind {
    /// The FADT's PM1a/PM1b control blocks (SLP_TYP/SLP_EN: entering sleep).
    Pm1Control,
    /// The FADT's SMI command port.
    SmiCommand,
    /// Any FADT fixed-hardware block.
    Acpi,
    /// A PCI function's I/O BAR.
    PciBar,
}

impl PortOwnerKind {
    fn matches(self, o: &PortOwner) -> bool {
        match (self, o) {
            (PortOwnerKind::Pm1Control, PortOwner::Acpi { block }) => {
                block.starts_with("PM1") && block.contains("CNT")
            }
            (PortOwnerKind::SmiCommand, PortOwner::Acpi { block }) => block.contains("SMI"),
            (PortOwnerKind::Acpi, PortOwner::Acpi { .. }) => true,
            (PortOwnerKind::PciBar, PortOwner::PciBar { .. }) => true,
            _ => false,
        }
    }
}

/// `ports_reachable = [{ ports = "0xcf9", name = "reset control" }, …]`: any
/// of the ports is in dom0's I/O ports. Vars: `ports` (with names),
/// `ports_disable` (the `dom0_ioports_disable=` syntax).
pub fn ports_reachable(i: &Inputs<'_>, specs: &[PortSpec]) -> Truth {
    let s = i.surface;
    let Some(ports) = &s.ports() else {
        return Truth::Unknown(NEEDS_IOPORTS.into());
    };
    let hit: Vec<&PortSpec> = specs
        .iter()
        .filter(|p| (p.first..=p.last).any(|x| ports.contains(x)))
        .collect();
    if hit.is_empty() {
        return Truth::Fails("none of these ports is in dom0's I/O ports".into());
    }
    let list = hit
        .iter()
        .map(|p| {
            if p.first == p.last {
                format!("{:#x} ({})", p.first, p.name)
            } else {
                format!("{:#x}-{:#x} ({})", p.first, p.last, p.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let disable = disable_syntax(hit.iter().map(|p| (p.first, p.last)));
    let mut d = Detail::summary(format!("dom0's I/O Ports rangeset includes {list}."))
        .var("ports", list)
        .var("ports_disable", disable);
    d.ports = hit
        .iter()
        .map(|p| PortRange {
            first: p.first,
            last: p.last,
        })
        .collect();
    if let Some(e) = s.reach().observed().and_then(|o| o.ioports_source.clone()) {
        d = d.evidence([e]);
    }
    d = d.evidence(
        s.port_entries()
            .iter()
            .filter(|e| hit.iter().any(|p| e.start <= p.last && e.end >= p.first))
            .filter_map(|e| e.owner_source.clone()),
    );
    Truth::Holds(d)
}

/// `ports_reachable_owner = "<kind>"`: dom0's I/O ports include ports of that
/// owner. Vars: `ports`, `ports_disable`.
pub fn ports_reachable_owner(i: &Inputs<'_>, kind: PortOwnerKind) -> Truth {
    let s = i.surface;
    if s.ports().is_none() {
        return Truth::Unknown(NEEDS_IOPORTS.into());
    }
    let hit: Vec<_> = s.ports_where(|o| kind.matches(o)).collect();
    if hit.is_empty() {
        return Truth::Fails("no such owner in dom0's I/O ports".into());
    }
    let list = hit
        .iter()
        .map(|p| format!("{:#x}-{:#x} ({})", p.start, p.end, p.owner.label()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut d = Detail::summary(format!("dom0's I/O Ports rangeset includes {list}."))
        .var("ports", list)
        .var(
            "ports_disable",
            disable_syntax(hit.iter().map(|p| (p.start, p.end))),
        )
        .evidence(hit.iter().filter_map(|p| p.owner_source.clone()));
    d.ports = hit
        .iter()
        .map(|p| PortRange {
            first: p.start,
            last: p.end,
        })
        .collect();
    if let Some(e) = s.reach().observed().and_then(|o| o.ioports_source.clone()) {
        d = d.evidence([e]);
    }
    Truth::Holds(d)
}

/// `cf9,92,4d0-4d1`: Xen's `dom0_ioports_disable=` list syntax (hex, no 0x).
fn disable_syntax(r: impl Iterator<Item = (u16, u16)>) -> String {
    r.map(|(a, b)| {
        if a == b {
            format!("{a:x}")
        } else {
            format!("{a:x}-{b:x}")
        }
    })
    .collect::<Vec<_>>()
    .join(",")
}
